/*
 * store — the backup store: ids, the write transaction, listing and cleaning
 * (see store.h for the layout and the protocol, DESIGN.md "The store").
 *
 * Design.  Everything rests on two file-system facts: rename(2) within a
 * directory is atomic, and O_CREAT|O_EXCL lets exactly one creator win a name.
 *   - A backup is committed by renaming its record into place, after every
 *     artifact and the .sha256 file are durable (fsync, rename, directory
 *     fsync).  Readers only ever look at records, so they never see half a
 *     backup.
 *   - Sequence numbers are allocated by creating ".backup-DD-NN.reserve" with
 *     O_EXCL: two runs racing for the same NN cannot both win, the loser just
 *     tries the next number.  A committed backup has dropped its reservation,
 *     so the winner also checks that no record holds the number.  It keeps an
 *     flock(2) on the reservation until the record is in place, so the
 *     cleaner can tell a live run (lock held) from a crashed one (lock free:
 *     the kernel drops it with the process).  flock locks belong to the open
 *     file description, so even a cleaner in the same process as a live
 *     transaction sees the lock.
 *   - The cleaner decides per backup number ("group" DD-NN), and decides at
 *     the moment it deletes, not from its directory snapshot: a reservation or
 *     record that appeared since readdir(3) wins over what the snapshot said.
 *
 * What it deliberately does not do: decide what goes into an artifact, compress,
 * verify old backups, or choose what to delete (retention does).  It does not
 * guard against two processes committing through the same transaction, and it
 * does not remove stray files whose names it does not recognise.
 */
#include "store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "outfile.h"
#include "timefmt.h"

#define STORE_DIR_MODE 0700
#define STORE_FILE_MODE 0600
#define STORE_SEQ_MAX 999	/* three digits is the most an id can carry */
#define STORE_EXT_MAX 32	/* longest artifact extension, bytes */
#define STORE_PATH_MAX 4096	/* longest path we build, bytes incl. NUL */
#define STORE_STEM_MAX 32	/* "backup-DD-NNN" and NUL, with room */

struct store {
	char *root;		/* store root directory, malloc'd */
};

/* An artifact that has been renamed to its final name. */
struct done_artifact {
	char ext[STORE_EXT_MAX + 1];	/* extension, e.g. "sql.zst" */
	uint64_t size;			/* bytes written */
	char sha256[SHA256_HEX_LEN + 1];	/* lowercase hex of its content */
	bool direct_io;			/* written with O_DIRECT to its end (tail aside) */
};

struct store_artifact {
	struct store_txn *txn;		/* owning transaction */
	struct store_artifact *next;	/* next in the txn's list of open artifacts */
	char ext[STORE_EXT_MAX + 1];	/* extension, e.g. "sql.zst" */
	int fd;				/* the temp file ".backup-DD-NN.EXT.tmp" */
	struct outfile out;		/* how bytes reach fd (direct I/O when allowed) */
	uint64_t size;			/* bytes written so far */
	struct sha256 hash;		/* running hash of the accounted bytes */
	int failed;			/* first write error (negative errno), 0 if none */
};

struct store_txn {
	char job[128];			/* job name */
	char *kind;			/* "db", "files", "logs"; malloc'd */
	struct store_id id;		/* the reserved id */
	char id_text[STORE_ID_MAX];	/* "YYYY/MM/backup-DD-NN" */
	char dir[STORE_PATH_MAX];	/* <root>/<job>/YYYY/MM */
	char stem[STORE_STEM_MAX];	/* "backup-DD-NN" */
	int reserve_fd;			/* flock'd reservation, -1 once dropped */
	struct store_artifact *open;	/* artifacts being written */
	struct done_artifact *done;	/* finished artifacts, in finishing order */
	size_t n_done;			/* entries used in DONE */
	size_t cap_done;		/* entries allocated in DONE */
	int failed;			/* an artifact failed (negative errno): no commit */
};

/* --- names ------------------------------------------------------------------ */

/* Exactly N decimal digits at S, value into *VAL. */
static bool take_digits(const char *s, int n, int *val)
{
	int v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*val = v;
	return true;
}

/*
 * Parses "backup-DD-NN" at the start of NAME and returns what follows it, or
 * NULL.  Only the canonical spelling is accepted (two digits up to 99, three
 * from 100), so that one backup has exactly one name and "backup-25-1" or
 * "backup-25-001" can never alias "backup-25-01".
 */
static const char *parse_stem(const char *name, int *day, int *seq)
{
	const char *p;
	int n = 0;
	int v = 0;

	if (strncmp(name, "backup-", 7) != 0)
		return NULL;
	if (!take_digits(name + 7, 2, day) || *day < 1 || *day > 31)
		return NULL;
	if (name[9] != '-')
		return NULL;
	p = name + 10;
	while (isdigit((unsigned char)p[n]))
		n++;
	if (n != 2 && n != 3)
		return NULL;
	take_digits(p, n, &v);
	if (n == 2 && (v < 1 || v > 99))
		return NULL;
	if (n == 3 && v < 100)
		return NULL;
	*seq = v;
	return p + n;
}

static void format_stem(int day, int seq, char buf[STORE_STEM_MAX])
{
	snprintf(buf, STORE_STEM_MAX, "backup-%02d-%02d", day, seq);
}

/* Job names become directory names: keep them to a safe, portable alphabet. */
static bool valid_job(const char *job)
{
	size_t i;

	if (!job || !((job[0] >= 'a' && job[0] <= 'z') || isdigit((unsigned char)job[0])))
		return false;
	for (i = 1; job[i]; i++) {
		char c = job[i];

		if (!((c >= 'a' && c <= 'z') || isdigit((unsigned char)c) || c == '_' || c == '-'))
			return false;
	}
	return i < sizeof(((struct store_entry *)0)->job);
}

/*
 * An extension is dot-separated [a-z0-9] words that cannot be mistaken for the
 * store's own files: not the record, the checksum list or a reservation, and
 * not ending in "tmp", which the cleaner would take for a temporary.
 */
static bool valid_ext(const char *ext)
{
	const char *last;
	size_t len;
	size_t i;

	if (!ext)
		return false;
	len = strlen(ext);
	if (len == 0 || len > STORE_EXT_MAX || ext[0] == '.' || ext[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		char c = ext[i];

		if (c == '.' && ext[i + 1] == '.')
			return false;
		if (!(c == '.' || (c >= 'a' && c <= 'z') || isdigit((unsigned char)c)))
			return false;
	}
	if (!strcmp(ext, "json") || !strcmp(ext, "sha256") || !strcmp(ext, "reserve"))
		return false;
	last = strrchr(ext, '.');
	last = last ? last + 1 : ext;
	return strcmp(last, "tmp") != 0;
}

/* Directory names of years and months as the store writes them. */
static bool is_year_name(const char *name, int *year)
{
	return strlen(name) == 4 && take_digits(name, 4, year);
}

static bool is_month_name(const char *name, int *month)
{
	return strlen(name) == 2 && take_digits(name, 2, month) && *month >= 1 && *month <= 12;
}

/* snprintf that reports truncation as -ENAMETOOLONG. */
static int path_printf(char *buf, size_t buflen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int path_printf(char *buf, size_t buflen, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, buflen, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return (size_t)n < buflen ? 0 : -ENAMETOOLONG;
}

/* --- the store ---------------------------------------------------------------- */

int store_open(const char *root, struct store **out)
{
	struct store *st;
	size_t len;
	int rc;

	*out = NULL;
	if (!root || !*root) {
		log_error("store: no directory given");
		return -EINVAL;
	}
	st = calloc(1, sizeof(*st));
	if (!st || !(st->root = strdup(root))) {
		free(st);
		log_error("%s: cannot open store: out of memory", root);
		return -ENOMEM;
	}
	/* "/srv/store/" and "/srv/store" are one store; keep messages tidy. */
	len = strlen(st->root);
	while (len > 1 && st->root[len - 1] == '/')
		st->root[--len] = '\0';
	rc = fs_mkdirs(st->root, STORE_DIR_MODE);
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot create", st->root);
		store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	free(st->root);
	free(st);
}

const char *store_root(const struct store *st)
{
	return st->root;
}

/* --- ids ---------------------------------------------------------------------- */

void store_id_format(const struct store_id *id, char buf[STORE_ID_MAX])
{
	/* %02d already widens to three digits past 99, as the layout wants. */
	snprintf(buf, STORE_ID_MAX, "%04d/%02d/backup-%02d-%02d",
		 id->year, id->month, id->day, id->seq);
}

int store_id_parse(const char *text, struct store_id *id)
{
	struct store_id v;
	const char *rest;

	if (!text || strlen(text) >= STORE_ID_MAX)
		return -EINVAL;
	if (!take_digits(text, 4, &v.year) || text[4] != '/')
		return -EINVAL;
	if (!take_digits(text + 5, 2, &v.month) || v.month < 1 || v.month > 12 || text[7] != '/')
		return -EINVAL;
	rest = parse_stem(text + 8, &v.day, &v.seq);
	if (!rest || *rest != '\0')
		return -EINVAL;
	*id = v;
	return 0;
}

static int cmp_int(int a, int b)
{
	return (a > b) - (a < b);
}

int store_id_compare(const struct store_id *a, const struct store_id *b)
{
	int c;

	if ((c = cmp_int(a->year, b->year)))
		return c;
	if ((c = cmp_int(a->month, b->month)))
		return c;
	if ((c = cmp_int(a->day, b->day)))
		return c;
	return cmp_int(a->seq, b->seq);
}

int store_path(const struct store *st, const char *job, const struct store_id *id,
	       const char *suffix, char *buf, size_t buflen)
{
	if (!valid_job(job))
		return -EINVAL;
	return path_printf(buf, buflen, "%s/%s/%04d/%02d/backup-%02d-%02d%s%s",
			   st->root, job, id->year, id->month, id->day, id->seq,
			   suffix && *suffix ? "." : "", suffix ? suffix : "");
}

/* --- the transaction ------------------------------------------------------------ */

/* Path of one of the txn's files: "DIR/[.]backup-DD-NN.SUFFIX". */
static int txn_file(const struct store_txn *txn, bool hidden, const char *suffix,
		    char *buf, size_t buflen)
{
	return path_printf(buf, buflen, "%s/%s%s.%s", txn->dir, hidden ? "." : "",
			   txn->stem, suffix);
}

/* Path of an artifact while it is written: "DIR/.backup-DD-NN.EXT.tmp". */
static int artifact_tmp(const struct store_txn *txn, const char *ext, char *buf, size_t buflen)
{
	return path_printf(buf, buflen, "%s/.%s.%s.tmp", txn->dir, txn->stem, ext);
}

const char *store_txn_id(const struct store_txn *txn)
{
	return txn->id_text;
}

const struct store_id *store_txn_id_parts(const struct store_txn *txn)
{
	return &txn->id;
}

int store_txn_artifact_path(const struct store_txn *txn, const char *ext,
			    char *buf, size_t buflen)
{
	return txn_file(txn, false, ext, buf, buflen);
}

/* Highest sequence number any file of DAY in DIR uses, committed or not. */
static int max_seq_of_day(const char *dir, int day, int *max)
{
	struct dirent *de;
	DIR *d;

	*max = 0;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((errno = 0, de = readdir(d))) {
		/* Temporaries and reservations count too: their number is taken. */
		const char *name = de->d_name[0] == '.' ? de->d_name + 1 : de->d_name;
		const char *rest;
		int dd, nn;

		rest = parse_stem(name, &dd, &nn);
		if (rest && *rest == '.' && dd == day && nn > *max)
			*max = nn;
	}
	if (errno) {
		int rc = -errno;

		closedir(d);
		return rc;
	}
	closedir(d);
	return 0;
}

/*
 * Tries to take sequence number SEQ.  -EEXIST: a run or a committed backup
 * has it.  -EAGAIN: we created the reservation but a cleaner got to it first
 * (it saw an unlocked reservation between our create and our flock, took it
 * for a crashed run's and is removing it), so the number is not safely ours.
 */
static int try_reserve(struct store_txn *txn, int seq)
{
	char stem[STORE_STEM_MAX];
	char path[STORE_PATH_MAX];
	char rec[STORE_PATH_MAX];
	struct stat fsb, psb;
	int fd;
	int rc;

	format_stem(txn->id.day, seq, stem);
	rc = path_printf(path, sizeof(path), "%s/.%s.reserve", txn->dir, stem);
	if (rc < 0)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, STORE_FILE_MODE);
	if (fd < 0)
		return -errno;
	/* A cleaner must be able to open it to test the lock, whatever the umask. */
	if (fchmod(fd, STORE_FILE_MODE) < 0) {
		rc = -errno;
		close(fd);
		unlink(path);
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = -errno;
		close(fd);
		if (rc == -EWOULDBLOCK)
			return -EAGAIN;
		unlink(path);
		return rc;
	}
	/* The cleaner may also have come and gone: it then unlinked our file,
	 * and a lock on an unlinked inode reserves nothing. */
	if (fstat(fd, &fsb) < 0 || stat(path, &psb) < 0 ||
	    fsb.st_dev != psb.st_dev || fsb.st_ino != psb.st_ino) {
		close(fd);
		return -EAGAIN;
	}
	/* A committed backup drops its reservation, so O_EXCL alone would hand
	 * out its number again to a run that scanned the directory before that
	 * backup began and reserved after it committed.  The record is renamed
	 * into place before the reservation goes, so it is there to see. */
	rc = path_printf(rec, sizeof(rec), "%s/%s.json", txn->dir, stem);
	if (rc < 0 || stat(rec, &psb) == 0 || errno != ENOENT) {
		unlink(path);
		close(fd);
		return -EEXIST;
	}
	txn->reserve_fd = fd;
	txn->id.seq = seq;
	memcpy(txn->stem, stem, sizeof(stem));
	store_id_format(&txn->id, txn->id_text);
	return 0;
}

static void txn_free(struct store_txn *txn)
{
	struct store_artifact *a, *next;

	for (a = txn->open; a; a = next) {
		next = a->next;
		if (a->fd >= 0)
			close(a->fd);
		outfile_free(&a->out);
		sha256_discard(&a->hash);
		free(a);
	}
	if (txn->reserve_fd >= 0)
		close(txn->reserve_fd);
	free(txn->done);
	free(txn->kind);
	free(txn);
}

static void unlink_quiet(const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		log_err(LOG_LVL_WARN, errno, "%s: cannot remove", path);
}

/*
 * Removes every file the transaction may have written, then its reservation,
 * and frees it.  The reservation goes last so that a concurrent cleaner never
 * sees our leftovers without a live lock on them (it would remove them too,
 * but there is no reason to race it).
 */
static void txn_destroy(struct store_txn *txn, bool remove_record)
{
	char path[STORE_PATH_MAX];
	struct store_artifact *a;
	size_t i;

	for (a = txn->open; a; a = a->next)
		if (artifact_tmp(txn, a->ext, path, sizeof(path)) == 0)
			unlink_quiet(path);
	for (i = 0; i < txn->n_done; i++)
		if (txn_file(txn, false, txn->done[i].ext, path, sizeof(path)) == 0)
			unlink_quiet(path);
	if (txn_file(txn, false, "sha256", path, sizeof(path)) == 0)
		unlink_quiet(path);
	if (txn_file(txn, true, "json.tmp", path, sizeof(path)) == 0)
		unlink_quiet(path);
	if (remove_record && txn_file(txn, false, "json", path, sizeof(path)) == 0)
		unlink_quiet(path);
	if (txn_file(txn, true, "reserve", path, sizeof(path)) == 0)
		unlink_quiet(path);
	txn_free(txn);
}

int store_begin(struct store *st, const char *job, const char *kind, time_t now,
		struct store_txn **out)
{
	struct store_txn *txn;
	struct tm tm;
	int max;
	int seq;
	int rc;

	*out = NULL;
	if (!valid_job(job)) {
		log_error("%s: invalid job name \"%s\"", st->root, job ? job : "");
		return -EINVAL;
	}
	if (!kind || !*kind) {
		log_error("%s/%s: cannot begin a backup without a kind", st->root, job);
		return -EINVAL;
	}
	if (!localtime_r(&now, &tm) || tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999) {
		log_error("%s/%s: cannot begin a backup: time %lld is out of range",
			  st->root, job, (long long)now);
		return -ERANGE;
	}

	/* Stale leftovers only waste space: a failure to remove them is worth a
	 * warning, not a missed backup. */
	rc = store_clean(st, job);
	if (rc < 0)
		log_err(LOG_LVL_WARN, -rc, "%s/%s: cannot remove stale files", st->root, job);

	txn = calloc(1, sizeof(*txn));
	if (!txn || !(txn->kind = strdup(kind))) {
		free(txn);
		log_error("%s/%s: cannot begin a backup: out of memory", st->root, job);
		return -ENOMEM;
	}
	txn->reserve_fd = -1;
	snprintf(txn->job, sizeof(txn->job), "%s", job);
	txn->id.year = tm.tm_year + 1900;
	txn->id.month = tm.tm_mon + 1;
	txn->id.day = tm.tm_mday;

	rc = path_printf(txn->dir, sizeof(txn->dir), "%s/%s/%04d/%02d",
			 st->root, job, txn->id.year, txn->id.month);
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s/%s: cannot begin a backup", st->root, job);
		goto fail;
	}
	rc = fs_mkdirs(txn->dir, STORE_DIR_MODE);
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot create", txn->dir);
		goto fail;
	}
	rc = max_seq_of_day(txn->dir, txn->id.day, &max);
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot read", txn->dir);
		goto fail;
	}
	/* Losing a race only moves us up one number, so the bound is the id
	 * format's, not a retry count. */
	for (seq = max + 1; seq <= STORE_SEQ_MAX; seq++) {
		rc = try_reserve(txn, seq);
		if (rc == 0)
			break;
		if (rc != -EEXIST && rc != -EAGAIN) {
			log_err(LOG_LVL_ERROR, -rc, "%s/.backup-%02d-%02d.reserve: cannot create",
				txn->dir, txn->id.day, seq);
			goto fail;
		}
	}
	if (seq > STORE_SEQ_MAX) {
		rc = -ENOSPC;
		log_error("%s: no backup number left for day %02d (the most is %d)",
			  txn->dir, txn->id.day, STORE_SEQ_MAX);
		goto fail;
	}
	*out = txn;
	return 0;

fail:
	txn_free(txn);
	return rc;
}

int store_artifact_open(struct store_txn *txn, const char *ext,
			struct store_artifact **out)
{
	char path[STORE_PATH_MAX];
	struct store_artifact *a;
	size_t i;
	int rc;

	*out = NULL;
	if (!valid_ext(ext)) {
		log_error("%s/%s: invalid artifact extension \"%s\"", txn->dir, txn->stem,
			  ext ? ext : "");
		return -EINVAL;
	}
	/* One file per extension: a second one would silently replace the first. */
	for (a = txn->open; a; a = a->next)
		if (!strcmp(a->ext, ext))
			goto dup;
	for (i = 0; i < txn->n_done; i++)
		if (!strcmp(txn->done[i].ext, ext))
			goto dup;

	a = calloc(1, sizeof(*a));
	if (!a) {
		log_error("%s/%s.%s: cannot create: out of memory", txn->dir, txn->stem, ext);
		return -ENOMEM;
	}
	a->txn = txn;
	a->fd = -1;
	snprintf(a->ext, sizeof(a->ext), "%s", ext);
	rc = artifact_tmp(txn, ext, path, sizeof(path));
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s/%s.%s: cannot create", txn->dir, txn->stem, ext);
		free(a);
		return rc;
	}
	rc = sha256_init(&a->hash);
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot create", path);
		free(a);
		return rc;
	}
	a->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, STORE_FILE_MODE);
	if (a->fd < 0) {
		rc = -errno;
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot create", path);
		sha256_discard(&a->hash);
		free(a);
		return rc;
	}
	/* 0600 whatever the umask: a dump holds password hashes. */
	if (fchmod(a->fd, STORE_FILE_MODE) < 0) {
		rc = -errno;
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot chmod", path);
		close(a->fd);
		unlink(path);
		sha256_discard(&a->hash);
		free(a);
		return rc;
	}
	rc = outfile_init(&a->out, a->fd);
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot create", path);
		close(a->fd);
		unlink(path);
		sha256_discard(&a->hash);
		free(a);
		return rc;
	}
	if (!outfile_is_direct(&a->out))
		log_debug("%s: no direct I/O on this filesystem: written through the page cache", path);
	a->next = txn->open;
	txn->open = a;
	*out = a;
	return 0;

dup:
	log_error("%s/%s.%s: artifact written twice in one backup", txn->dir, txn->stem, ext);
	return -EEXIST;
}

/* Bytes in the hash and the size: the artifact's checksum is of exactly
 * what its writer gave. */
static void account(struct store_artifact *a, const void *buf, size_t len)
{
	sha256_update(&a->hash, buf, len);
	a->size += len;
}

int store_artifact_write(struct store_artifact *a, const void *buf, size_t len)
{
	int rc;

	if (a->failed)
		return a->failed;
	rc = outfile_write(&a->out, buf, len);
	if (rc < 0) {
		/* Part of BUF may be in the file but not in the hash: the
		 * artifact can no longer be trusted, so finishing must fail. */
		a->failed = rc;
		log_err(LOG_LVL_ERROR, -rc, "%s/.%s.%s.tmp: cannot write",
			a->txn->dir, a->txn->stem, a->ext);
		return rc;
	}
	account(a, buf, len);
	return 0;
}

int store_artifact_fd(const struct store_artifact *a)
{
	return a->fd;
}

int store_artifact_finish(struct store_artifact *a)
{
	struct store_txn *txn = a->txn;
	struct store_artifact **pp;
	char tmp[STORE_PATH_MAX];
	char final[STORE_PATH_MAX];
	struct done_artifact *d;
	bool have_tmp = false;
	int rc;

	/* The artifact leaves the open list whatever happens: it is freed here. */
	for (pp = &txn->open; *pp; pp = &(*pp)->next) {
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	}
	rc = artifact_tmp(txn, a->ext, tmp, sizeof(tmp));
	have_tmp = rc == 0;
	if (rc == 0)
		rc = txn_file(txn, false, a->ext, final, sizeof(final));
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s/%s.%s: cannot finish", txn->dir, txn->stem, a->ext);
		goto fail;
	}
	if (a->failed) {
		rc = a->failed;
		log_error("%s: not finished: an earlier write failed", tmp);
		goto fail;
	}
	rc = outfile_flush(&a->out);
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot write", tmp);
		goto fail;
	}
	if (fsync(a->fd) < 0) {
		rc = -errno;
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot fsync", tmp);
		goto fail;
	}
	/* Written and durable: the backup need not sit in the site's page cache. */
	posix_fadvise(a->fd, 0, 0, POSIX_FADV_DONTNEED);
	rc = close(a->fd) < 0 ? -errno : 0;
	a->fd = -1;
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot close", tmp);
		goto fail;
	}
	/* Room first: once renamed, the file must be tracked or an abort would
	 * leave it behind. */
	if (txn->n_done == txn->cap_done) {
		size_t ncap = txn->cap_done ? 2 * txn->cap_done : 4;

		d = realloc(txn->done, ncap * sizeof(*d));
		if (!d) {
			rc = -ENOMEM;
			log_error("%s: cannot finish: out of memory", tmp);
			goto fail;
		}
		txn->done = d;
		txn->cap_done = ncap;
	}
	if (rename(tmp, final) < 0) {
		rc = -errno;
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot rename to %s", tmp, final);
		goto fail;
	}
	/* The directory fsync that makes this rename durable is the one
	 * store_commit() does when it writes the .sha256 file. */
	d = &txn->done[txn->n_done++];
	memcpy(d->ext, a->ext, sizeof(d->ext));
	d->size = a->size;
	d->direct_io = outfile_all_direct(&a->out);
	sha256_final_hex(&a->hash, d->sha256);
	outfile_free(&a->out);
	free(a);
	return 0;

fail:
	if (a->fd >= 0)
		close(a->fd);
	outfile_free(&a->out);
	if (have_tmp)
		unlink_quiet(tmp);
	sha256_discard(&a->hash);
	free(a);
	/* A backup missing an artifact its writer produced must never commit. */
	if (!txn->failed)
		txn->failed = rc;
	return rc;
}

/* The .sha256 file's text: one `sha256sum` line per artifact. */
static char *sha256_lines(const struct store_txn *txn, size_t *len)
{
	size_t cap = 1;
	size_t used = 0;
	char *buf;
	size_t i;

	for (i = 0; i < txn->n_done; i++)
		cap += SHA256_HEX_LEN + 2 + strlen(txn->stem) + 1 + strlen(txn->done[i].ext) + 1;
	buf = malloc(cap);
	if (!buf)
		return NULL;
	buf[0] = '\0';
	for (i = 0; i < txn->n_done; i++)
		used += (size_t)snprintf(buf + used, cap - used, "%s  %s.%s\n",
					 txn->done[i].sha256, txn->stem, txn->done[i].ext);
	*len = used;
	return buf;
}

/* The caller's record plus what the store vouches for. */
static json_t *build_record(const struct store_txn *txn, json_t *record)
{
	json_t *rec;
	json_t *arts;
	size_t i;
	int bad = 0;

	rec = record ? json_deep_copy(record) : json_object();
	arts = json_array();
	if (!rec || !arts)
		goto fail;
	for (i = 0; i < txn->n_done; i++) {
		char name[STORE_STEM_MAX + STORE_EXT_MAX + 2];

		snprintf(name, sizeof(name), "%s.%s", txn->stem, txn->done[i].ext);
		bad |= json_array_append_new(arts, json_pack("{s:s, s:I, s:s, s:b}",
			"file", name,
			"size", (json_int_t)txn->done[i].size,
			"sha256", txn->done[i].sha256,
			"direct_io", txn->done[i].direct_io));
	}
	bad |= json_object_set_new(rec, "format", json_integer(STORE_RECORD_FORMAT));
	bad |= json_object_set_new(rec, "job", json_string(txn->job));
	bad |= json_object_set_new(rec, "kind", json_string(txn->kind));
	bad |= json_object_set_new(rec, "id", json_string(txn->id_text));
	bad |= json_object_set(rec, "artifacts", arts);
	json_decref(arts);
	if (bad) {
		json_decref(rec);
		return NULL;
	}
	return rec;

fail:
	json_decref(rec);
	json_decref(arts);
	return NULL;
}

/* Writes the record: temp, fsync, rename, directory fsync.  Sets *RENAMED once
 * the final name exists, so that a failure after it can take it back. */
static int write_record(struct store_txn *txn, const char *text, bool *renamed)
{
	char tmp[STORE_PATH_MAX];
	char final[STORE_PATH_MAX];
	int fd;
	int rc;

	*renamed = false;
	rc = txn_file(txn, true, "json.tmp", tmp, sizeof(tmp));
	if (rc == 0)
		rc = txn_file(txn, false, "json", final, sizeof(final));
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s/%s.json: cannot write", txn->dir, txn->stem);
		return rc;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, STORE_FILE_MODE);
	if (fd < 0) {
		rc = -errno;
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot create", tmp);
		return rc;
	}
	if (fchmod(fd, STORE_FILE_MODE) < 0) {
		rc = -errno;
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot chmod", tmp);
		goto fail;
	}
	rc = fs_write_all(fd, text, strlen(text));
	if (rc == 0)
		rc = fs_write_all(fd, "\n", 1);
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot write", tmp);
		goto fail;
	}
	if (fsync(fd) < 0) {
		rc = -errno;
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot fsync", tmp);
		goto fail;
	}
	rc = close(fd) < 0 ? -errno : 0;
	fd = -1;
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot close", tmp);
		goto fail;
	}
	if (rename(tmp, final) < 0) {
		rc = -errno;
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot rename to %s", tmp, final);
		goto fail;
	}
	*renamed = true;
	rc = fs_fsync_dir(txn->dir);
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot fsync", txn->dir);
		return rc;
	}
	return 0;

fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

int store_commit(struct store_txn *txn, json_t *record)
{
	char path[STORE_PATH_MAX];
	bool renamed = false;
	json_t *rec = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (txn->open) {
		rc = -EBUSY;
		log_error("%s/%s: cannot commit: artifact .%s is not finished",
			  txn->dir, txn->stem, txn->open->ext);
		goto fail;
	}
	if (txn->failed) {
		rc = txn->failed;
		log_error("%s/%s: cannot commit: an artifact failed", txn->dir, txn->stem);
		goto fail;
	}
	if (!txn->done) {
		rc = -EINVAL;
		log_error("%s/%s: cannot commit: no artifact was written", txn->dir, txn->stem);
		goto fail;
	}
	if (record && !json_is_object(record)) {
		rc = -EINVAL;
		log_error("%s/%s: cannot commit: the record is not a JSON object",
			  txn->dir, txn->stem);
		goto fail;
	}

	/* The checksums go first: once the record exists, `sha256sum -c` must
	 * work.  fs_write_atomic's directory fsync also makes the artifacts'
	 * renames durable before the record can be. */
	rc = txn_file(txn, false, "sha256", path, sizeof(path));
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s/%s.sha256: cannot write", txn->dir, txn->stem);
		goto fail;
	}
	text = sha256_lines(txn, &len);
	if (!text) {
		rc = -ENOMEM;
		log_error("%s: cannot write: out of memory", path);
		goto fail;
	}
	rc = fs_write_atomic(path, text, len, STORE_FILE_MODE);
	free(text);
	text = NULL;
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot write", path);
		goto fail;
	}

	rec = build_record(txn, record);
	if (rec)
		text = json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(rec);
	if (!text) {
		rc = -ENOMEM;
		log_error("%s/%s.json: cannot write: out of memory", txn->dir, txn->stem);
		goto fail;
	}
	rc = write_record(txn, text, &renamed);
	free(text);
	if (rc < 0)
		goto fail;

	/* Committed.  Unlink before close: the cleaner must never find this
	 * reservation unlocked while it still names our number. */
	rc = txn_file(txn, true, "reserve", path, sizeof(path));
	if (rc == 0 && unlink(path) < 0)
		log_err(LOG_LVL_WARN, errno, "%s: cannot remove", path);
	txn_free(txn);
	return 0;

fail:
	txn_destroy(txn, renamed);
	return rc;
}

void store_abort(struct store_txn *txn)
{
	if (txn)
		txn_destroy(txn, false);
}

/* --- reading -------------------------------------------------------------------- */

/* Loads the record at PATH.  -ENOENT is not logged: a caller asking for a
 * missing backup words that itself, and a listing racing a prune skips it. */
static int load_record(const char *path, json_t **out)
{
	json_error_t err;
	json_t *rec;
	FILE *f;
	int fd;
	int rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		if (rc != -ENOENT)
			log_err(LOG_LVL_ERROR, -rc, "%s: unreadable record", path);
		return rc;
	}
	/* Through stdio: json_loadfd reads one byte per read(2), a system call
	 * per byte of a large record (a logs job's holds its whole state). */
	f = fdopen(fd, "r");
	if (!f) {
		rc = -errno;
		close(fd);
		log_err(LOG_LVL_ERROR, -rc, "%s: unreadable record", path);
		return rc;
	}
	rec = json_loadf(f, 0, &err);
	fclose(f);
	if (!rec) {
		log_error("%s: unreadable record: %s", path, err.text);
		return -EBADMSG;
	}
	if (!json_is_object(rec)) {
		log_error("%s: unreadable record: not a JSON object", path);
		json_decref(rec);
		return -EBADMSG;
	}
	*out = rec;
	return 0;
}

/* The pin beside record path REC_PATH ("….json" → "….pin"), or NULL. */
static json_t *load_pin(const char *rec_path)
{
	char path[STORE_PATH_MAX];
	size_t len = strlen(rec_path);
	json_error_t err;
	json_t *pin;

	if (len < 5 || len >= sizeof(path))
		return NULL;
	memcpy(path, rec_path, len - 5);
	strcpy(path + len - 5, ".pin");
	if (access(path, F_OK) < 0)
		return NULL;
	pin = json_load_file(path, 0, &err);
	if (!pin || !json_is_object(pin)) {
		/* A damaged pin still pins: losing evidence is worse than keeping a backup. */
		log_warn("%s: unreadable pin (%s); the backup stays pinned", path, pin ? "not an object" : err.text);
		json_decref(pin);
		pin = json_pack("{s:s}", "reason", "(unreadable pin file)");
	}
	return pin;
}

struct list_builder {
	struct store_entry *v;	/* entries, grown by doubling */
	size_t n;		/* entries used */
	size_t cap;		/* entries allocated */
};

static int list_push(struct list_builder *b, const char *job, const struct store_id *id,
		     json_t *rec)
{
	struct store_entry *e;

	if (b->n == b->cap) {
		size_t ncap = b->cap ? 2 * b->cap : 16;

		e = realloc(b->v, ncap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		b->v = e;
		b->cap = ncap;
	}
	e = &b->v[b->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->job, sizeof(e->job), "%s", job);
	e->parts = *id;
	store_id_format(id, e->id);
	e->record = rec;
	return 0;
}

/* Opens a directory of the store's tree; a missing one (or a file where a
 * directory would be) is simply empty, anything else is an error. */
static int open_tree_dir(const char *path, DIR **out)
{
	int rc;

	*out = opendir(path);
	if (*out)
		return 0;
	rc = -errno;
	if (rc == -ENOENT || rc == -ENOTDIR)
		return 0;
	log_err(LOG_LVL_ERROR, -rc, "%s: cannot read", path);
	return rc;
}

static int list_month(const char *dir, const char *job, int year, int month,
		      struct list_builder *b)
{
	char path[STORE_PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc;

	rc = open_tree_dir(dir, &d);
	if (rc < 0 || !d)
		return rc;
	while ((errno = 0, de = readdir(d))) {
		struct store_id id = { .year = year, .month = month };
		const char *rest;
		json_t *rec;

		rest = parse_stem(de->d_name, &id.day, &id.seq);
		if (!rest || strcmp(rest, ".json") != 0)
			continue;
		if (path_printf(path, sizeof(path), "%s/%s", dir, de->d_name) < 0)
			continue;
		/* One bad record must not hide the others: it is logged and
		 * skipped. */
		if (load_record(path, &rec) < 0)
			continue;
		rc = list_push(b, job, &id, rec);
		if (rc < 0) {
			json_decref(rec);
			log_error("%s: cannot list: out of memory", dir);
			break;
		}
		b->v[b->n - 1].pin = load_pin(path);
	}
	if (rc == 0 && errno) {
		rc = -errno;
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot read", dir);
	}
	closedir(d);
	return rc;
}

static int list_job(const struct store *st, const char *job, struct list_builder *b)
{
	char jobdir[STORE_PATH_MAX];
	char ydir[STORE_PATH_MAX];
	char mdir[STORE_PATH_MAX];
	struct dirent *yde, *mde;
	DIR *yd, *md;
	int year, month;
	int rc;

	rc = path_printf(jobdir, sizeof(jobdir), "%s/%s", st->root, job);
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s/%s: cannot read", st->root, job);
		return rc;
	}
	rc = open_tree_dir(jobdir, &yd);
	if (rc < 0 || !yd)
		return rc;
	while (rc == 0 && (errno = 0, yde = readdir(yd))) {
		if (!is_year_name(yde->d_name, &year))
			continue;
		if (path_printf(ydir, sizeof(ydir), "%s/%s", jobdir, yde->d_name) < 0)
			continue;
		rc = open_tree_dir(ydir, &md);
		if (rc < 0 || !md)
			continue;
		while (rc == 0 && (errno = 0, mde = readdir(md))) {
			if (!is_month_name(mde->d_name, &month))
				continue;
			if (path_printf(mdir, sizeof(mdir), "%s/%s", ydir, mde->d_name) < 0)
				continue;
			rc = list_month(mdir, job, year, month, b);
		}
		if (rc == 0 && errno) {
			rc = -errno;
			log_err(LOG_LVL_ERROR, -rc, "%s: cannot read", ydir);
		}
		closedir(md);
	}
	if (rc == 0 && errno) {
		rc = -errno;
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot read", jobdir);
	}
	closedir(yd);
	return rc;
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct store_entry *a = pa, *b = pb;
	int c = strcmp(a->job, b->job);

	return c ? c : store_id_compare(&a->parts, &b->parts);
}

int store_list(struct store *st, const char *job, struct store_list *out)
{
	struct list_builder b = { 0 };
	struct dirent *de;
	DIR *d;
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	if (job) {
		if (!valid_job(job)) {
			log_error("%s: invalid job name \"%s\"", st->root, job);
			return -EINVAL;
		}
		rc = list_job(st, job, &b);
	} else {
		rc = open_tree_dir(st->root, &d);
		if (rc < 0)
			return rc;
		if (d) {
			while (rc == 0 && (errno = 0, de = readdir(d))) {
				if (valid_job(de->d_name))
					rc = list_job(st, de->d_name, &b);
			}
			if (rc == 0 && errno) {
				rc = -errno;
				log_err(LOG_LVL_ERROR, -rc, "%s: cannot read", st->root);
			}
			closedir(d);
		}
	}
	if (rc < 0) {
		struct store_list partial = { .v = b.v, .n = b.n };

		store_list_free(&partial);
		return rc;
	}
	if (b.n > 1)
		qsort(b.v, b.n, sizeof(*b.v), entry_cmp);
	out->v = b.v;
	out->n = b.n;
	return 0;
}

void store_list_free(struct store_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++) {
		json_decref(l->v[i].record);
		json_decref(l->v[i].pin);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

bool store_record_is_good(const json_t *record)
{
	const char *result = json_string_value(json_object_get(record, "result"));

	return result && !strcmp(result, "ok");
}

int store_get(struct store *st, const char *job, const char *id, struct store_entry *out)
{
	char path[STORE_PATH_MAX];
	struct store_list l;
	struct store_id parts;
	json_t *rec;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!valid_job(job)) {
		log_error("%s: invalid job name \"%s\"", st->root, job ? job : "");
		return -EINVAL;
	}
	if (id && !strcmp(id, "latest")) {
		rc = store_list(st, job, &l);
		if (rc < 0)
			return rc;
		rc = -ENOENT;
		for (i = l.n; i-- > 0;) {
			if (store_record_is_good(l.v[i].record)) {
				/* Move the entry out so that freeing the list keeps it. */
				*out = l.v[i];
				l.v[i].record = NULL;
				l.v[i].pin = NULL;
				rc = 0;
				break;
			}
		}
		store_list_free(&l);
		return rc;
	}
	if (store_id_parse(id, &parts) < 0) {
		log_error("%s/%s: invalid backup id \"%s\" (expected YYYY/MM/backup-DD-NN or latest)",
			  st->root, job, id ? id : "");
		return -EINVAL;
	}
	rc = store_path(st, job, &parts, "json", path, sizeof(path));
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s/%s/%s: cannot read", st->root, job, id);
		return rc;
	}
	rc = load_record(path, &rec);
	if (rc < 0)
		return rc;
	snprintf(out->job, sizeof(out->job), "%s", job);
	store_id_format(&parts, out->id);
	out->parts = parts;
	out->record = rec;
	out->pin = load_pin(path);
	return 0;
}

/* The pin file path of JOB's backup ID (which must exist); its id to ID_OUT. */
static int pin_path(struct store *st, const char *job, const char *id, char id_out[STORE_ID_MAX],
		    char path[STORE_PATH_MAX])
{
	struct store_entry e;
	int rc;

	rc = store_get(st, job, id, &e);
	if (rc < 0)
		return rc;
	if (id_out)
		snprintf(id_out, STORE_ID_MAX, "%s", e.id);
	rc = store_path(st, job, &e.parts, "pin", path, STORE_PATH_MAX);
	store_entry_free(&e);
	return rc;
}

int store_pin(struct store *st, const char *job, const char *id, const char *reason,
	      time_t now, char id_out[STORE_ID_MAX])
{
	char path[STORE_PATH_MAX], when[TIMEFMT_RFC3339_LEN];
	char *text;
	json_t *pin;
	int rc;

	rc = pin_path(st, job, id, id_out, path);
	if (rc < 0)
		return rc;
	timefmt_rfc3339(now, when);
	pin = json_pack("{s:s, s:s?}", "pinned_at", when, "reason", reason);
	text = pin ? json_dumps(pin, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(pin);
	if (!text)
		return -ENOMEM;
	rc = fs_write_atomic(path, text, strlen(text), 0600);
	free(text);
	if (rc < 0)
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot write", path);
	return rc;
}

int store_unpin(struct store *st, const char *job, const char *id, char id_out[STORE_ID_MAX])
{
	char path[STORE_PATH_MAX], dir[STORE_PATH_MAX];
	int rc;

	rc = pin_path(st, job, id, id_out, path);
	if (rc < 0)
		return rc;
	if (unlink(path) < 0) {
		rc = -errno;
		if (rc != -ENOENT)
			log_err(LOG_LVL_ERROR, errno, "%s: cannot remove", path);
		return rc;
	}
	if (fs_dirname(path, dir, sizeof(dir)) == 0 && fs_fsync_dir(dir) < 0)
		log_warn("%s: cannot fsync", dir);
	return 0;
}

int store_remove(struct store *st, const char *job, const char *id)
{
	char rec[STORE_PATH_MAX], dir[STORE_PATH_MAX], stem[STORE_STEM_MAX];
	struct store_entry e;
	struct dirent *de;
	size_t stemlen;
	DIR *d;
	int rc;

	rc = store_get(st, job, id, &e);
	if (rc < 0)
		return rc;
	if (e.pin) {
		log_error("%s/%s: pinned; unpin it before it can be removed", job, e.id);
		store_entry_free(&e);
		return -EPERM;
	}
	rc = store_path(st, job, &e.parts, "json", rec, sizeof(rec));
	format_stem(e.parts.day, e.parts.seq, stem);
	store_entry_free(&e);
	if (rc < 0 || (rc = fs_dirname(rec, dir, sizeof(dir))) < 0)
		return rc;

	/* The record first: from here on the backup does not exist. */
	if (unlink(rec) < 0) {
		rc = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot remove", rec);
		return rc;
	}
	rc = fs_fsync_dir(dir);
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot fsync", dir);
		return rc;
	}
	d = opendir(dir);
	if (!d) {
		rc = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot read", dir);
		return rc;
	}
	stemlen = strlen(stem);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, stem, stemlen) != 0 || de->d_name[stemlen] != '.')
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
			rc = -errno;
			log_err(LOG_LVL_ERROR, errno, "%s/%s: cannot remove", dir, de->d_name);
		}
	}
	closedir(d);
	if (fs_fsync_dir(dir) < 0)
		log_warn("%s: cannot fsync", dir);
	return rc;
}

void store_entry_free(struct store_entry *e)
{
	if (!e)
		return;
	json_decref(e->record);
	e->record = NULL;
	json_decref(e->pin);
	e->pin = NULL;
}

/* --- cleaning ---------------------------------------------------------------------- */

enum clean_kind {
	CLEAN_RESERVE,		/* ".backup-DD-NN.reserve" */
	CLEAN_TEMP,		/* ".backup-DD-NN.*.tmp" or "backup-DD-NN.*.tmp-PID" */
	CLEAN_RECORD,		/* "backup-DD-NN.json" */
	CLEAN_FINAL,		/* "backup-DD-NN.*": an artifact or the .sha256 */
};

struct clean_name {
	char *name;		/* file name in the month directory, malloc'd */
	int day, seq;		/* the backup number it belongs to */
	enum clean_kind kind;	/* what the name says the file is */
};

/* "….tmp-<digits>": what fs_write_atomic() leaves when it dies mid-way. */
static bool is_atomic_leftover(const char *rest)
{
	const char *p = strstr(rest, ".tmp-");

	while (p) {
		const char *q = p + 5;

		if (*q) {
			while (isdigit((unsigned char)*q))
				q++;
			if (!*q)
				return true;
		}
		p = strstr(p + 1, ".tmp-");
	}
	return false;
}

static bool classify(const char *name, struct clean_name *cn)
{
	bool hidden = name[0] == '.';
	const char *rest;
	size_t len;

	rest = parse_stem(hidden ? name + 1 : name, &cn->day, &cn->seq);
	if (!rest || rest[0] != '.' || rest[1] == '\0')
		return false;
	len = strlen(rest);
	if (hidden) {
		if (!strcmp(rest, ".reserve"))
			cn->kind = CLEAN_RESERVE;
		else if (len > 4 && !strcmp(rest + len - 4, ".tmp"))
			cn->kind = CLEAN_TEMP;
		else
			return false;	/* not a name we make: not ours to remove */
	} else if (is_atomic_leftover(rest)) {
		cn->kind = CLEAN_TEMP;
	} else if (!strcmp(rest, ".json")) {
		cn->kind = CLEAN_RECORD;
	} else {
		cn->kind = CLEAN_FINAL;
	}
	return true;
}

static int clean_name_cmp(const void *pa, const void *pb)
{
	const struct clean_name *a = pa, *b = pb;
	int c = cmp_int(a->day, b->day);

	return c ? c : cmp_int(a->seq, b->seq);
}

static int unlink_counted(int dfd, const char *dir, const char *name, int *removed)
{
	if (unlinkat(dfd, name, 0) == 0) {
		(*removed)++;
		return 0;
	}
	if (errno == ENOENT)
		return 0;
	log_err(LOG_LVL_WARN, errno, "%s/%s: cannot remove", dir, name);
	return -errno;
}

/*
 * Cleans one backup number of a month directory.  V holds the names the
 * snapshot saw for it; liveness and the record's existence are checked now.
 */
static void clean_group(int dfd, const char *dir, const struct clean_name *v, size_t n,
			int *removed)
{
	char res[STORE_STEM_MAX + 16];
	char rec[STORE_STEM_MAX + 16];
	char stem[STORE_STEM_MAX];
	struct stat fsb, psb;
	bool stale = false;
	bool has_record;
	size_t i;
	int fd;

	format_stem(v[0].day, v[0].seq, stem);
	snprintf(res, sizeof(res), ".%s.reserve", stem);
	snprintf(rec, sizeof(rec), "%s.json", stem);

	fd = openat(dfd, res, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			/* EWOULDBLOCK: a live run.  Anything else: we cannot
			 * tell, so leave it alone too. */
			if (errno != EWOULDBLOCK)
				log_err(LOG_LVL_WARN, errno, "%s/%s: cannot lock", dir, res);
			close(fd);
			return;
		}
		/* We may hold a lock on a reservation its run just committed and
		 * unlinked, or that a new run re-created: only the file that the
		 * name still points to tells us the number is abandoned. */
		if (fstat(fd, &fsb) < 0 || fstatat(dfd, res, &psb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fsb.st_dev != psb.st_dev || fsb.st_ino != psb.st_ino) {
			close(fd);
			return;
		}
		stale = true;
	} else if (errno != ENOENT) {
		log_err(LOG_LVL_WARN, errno, "%s/%s: cannot open", dir, res);
		return;
	}

	/* With no live reservation nobody writes these any more. */
	for (i = 0; i < n; i++)
		if (v[i].kind == CLEAN_TEMP)
			unlink_counted(dfd, dir, v[i].name, removed);

	/* Checked now, not from the snapshot: a run that committed since readdir
	 * has a record, and its artifacts are a backup.  Unsure means keep. */
	has_record = fstatat(dfd, rec, &psb, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
	if (!has_record)
		for (i = 0; i < n; i++)
			if (v[i].kind == CLEAN_FINAL)
				unlink_counted(dfd, dir, v[i].name, removed);

	/* The reservation goes last so the number stays taken until its files
	 * are gone and no new run can start writing under it meanwhile. */
	if (stale) {
		unlink_counted(dfd, dir, res, removed);
		close(fd);
	}
}

static int clean_month(const char *dir, int *removed)
{
	struct clean_name *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	size_t i, j;
	DIR *d;
	int rc = 0;

	rc = open_tree_dir(dir, &d);
	if (rc < 0 || !d)
		return rc;
	while ((errno = 0, de = readdir(d))) {
		struct clean_name cn;

		if (!classify(de->d_name, &cn))
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 32;
			struct clean_name *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		cn.name = strdup(de->d_name);
		if (!cn.name) {
			rc = -ENOMEM;
			break;
		}
		v[n++] = cn;
	}
	if (rc == 0 && errno)
		rc = -errno;
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot read", dir);
		goto out;
	}

	if (n > 1)
		qsort(v, n, sizeof(*v), clean_name_cmp);
	for (i = 0; i < n; i = j) {
		bool only_records = true;

		for (j = i; j < n && v[j].day == v[i].day && v[j].seq == v[i].seq; j++)
			if (v[j].kind != CLEAN_RECORD)
				only_records = false;
		/* A committed backup's group is the common case: skip the
		 * reservation probe when there is nothing to consider. */
		if (!only_records)
			clean_group(dirfd(d), dir, v + i, j - i, removed);
	}
out:
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	closedir(d);
	return rc;
}

static int clean_job(const struct store *st, const char *job, int *removed)
{
	char jobdir[STORE_PATH_MAX];
	char ydir[STORE_PATH_MAX];
	char mdir[STORE_PATH_MAX];
	struct dirent *yde, *mde;
	DIR *yd, *md;
	int year, month;
	int first = 0;
	int rc;

	rc = path_printf(jobdir, sizeof(jobdir), "%s/%s", st->root, job);
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s/%s: cannot clean", st->root, job);
		return rc;
	}
	rc = open_tree_dir(jobdir, &yd);
	if (rc < 0 || !yd)
		return rc;
	/* One unreadable month must not keep the others dirty: carry on and
	 * report the first error. */
	while ((errno = 0, yde = readdir(yd))) {
		if (!is_year_name(yde->d_name, &year))
			continue;
		if (path_printf(ydir, sizeof(ydir), "%s/%s", jobdir, yde->d_name) < 0)
			continue;
		rc = open_tree_dir(ydir, &md);
		if (rc < 0 || !md) {
			if (rc < 0 && !first)
				first = rc;
			continue;
		}
		while ((errno = 0, mde = readdir(md))) {
			if (!is_month_name(mde->d_name, &month))
				continue;
			if (path_printf(mdir, sizeof(mdir), "%s/%s", ydir, mde->d_name) < 0)
				continue;
			rc = clean_month(mdir, removed);
			if (rc < 0 && !first)
				first = rc;
		}
		if (errno && !first) {
			first = -errno;
			log_err(LOG_LVL_ERROR, errno, "%s: cannot read", ydir);
		}
		closedir(md);
	}
	if (errno && !first) {
		first = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot read", jobdir);
	}
	closedir(yd);
	return first;
}

int store_clean(struct store *st, const char *job)
{
	struct dirent *de;
	int removed = 0;
	int first = 0;
	DIR *d;
	int rc;

	if (job) {
		if (!valid_job(job)) {
			log_error("%s: invalid job name \"%s\"", st->root, job);
			return -EINVAL;
		}
		rc = clean_job(st, job, &removed);
		return rc < 0 ? rc : removed;
	}
	rc = open_tree_dir(st->root, &d);
	if (rc < 0 || !d)
		return rc;
	while ((errno = 0, de = readdir(d))) {
		if (!valid_job(de->d_name))
			continue;
		rc = clean_job(st, de->d_name, &removed);
		if (rc < 0 && !first)
			first = rc;
	}
	if (errno && !first) {
		first = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot read", st->root);
	}
	closedir(d);
	return first < 0 ? first : removed;
}

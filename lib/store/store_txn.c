/*
 * store_txn — writing a backup: the transaction of store.h ("Writing a backup
 * is a transaction").  A run reserves its number with O_EXCL and holds an
 * flock on the reservation; each artifact is written under a hidden ".tmp"
 * name, hashed and counted on the way, fsync'd and renamed; store_commit()
 * writes the .sha256 file, then the record (temp, fsync, rename, directory
 * fsync) and only then drops the reservation.  Any failure takes back every
 * file the transaction wrote.
 *
 * What it does not do: read or list backups (store_list.c), or remove what a
 * crashed run left (store_clean.c, which store_begin() calls first).
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "outfile.h"

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


/* --- the transaction ------------------------------------------------------------ */

/* Path of one of the txn's files: "DIR/[.]backup-DD-NN.SUFFIX". */
static int txn_file(const struct store_txn *txn, bool hidden, const char *suffix,
		    char *buf, size_t buflen)
{
	return store_path_printf(buf, buflen, "%s/%s%s.%s", txn->dir, hidden ? "." : "",
			   txn->stem, suffix);
}

/* Path of an artifact while it is written: "DIR/.backup-DD-NN.EXT.tmp". */
static int artifact_tmp(const struct store_txn *txn, const char *ext, char *buf, size_t buflen)
{
	return store_path_printf(buf, buflen, "%s/.%s.%s.tmp", txn->dir, txn->stem, ext);
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

		rest = store_parse_stem(name, &dd, &nn);
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

	store_format_stem(txn->id.day, seq, stem);
	rc = store_path_printf(path, sizeof(path), "%s/.%s.reserve", txn->dir, stem);
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
	rc = store_path_printf(rec, sizeof(rec), "%s/%s.json", txn->dir, stem);
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
	if (!store_valid_job(job)) {
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

	rc = store_path_printf(txn->dir, sizeof(txn->dir), "%s/%s/%04d/%02d",
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
	if (!store_valid_ext(ext)) {
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

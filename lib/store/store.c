/*
 * store — the backup store's root, its ids and the names of its files (see
 * store.h for the layout and the protocol, DESIGN.md "The store").  The
 * rest of the store lives in store_txn.c, store_list.c, store_pins.c,
 * store_remove.c and store_clean.c; store_int.h says which does what.
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
#include "store_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "log.h"

/* --- names ------------------------------------------------------------------ */

/* Exactly N decimal digits at S, value into *VAL. */
bool store_take_digits(const char *s, int n, int *val)
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
const char *store_parse_stem(const char *name, int *day, int *seq)
{
	const char *p;
	int n = 0;
	int v = 0;

	if (strncmp(name, "backup-", 7) != 0)
		return NULL;
	if (!store_take_digits(name + 7, 2, day) || *day < 1 || *day > 31)
		return NULL;
	if (name[9] != '-')
		return NULL;
	p = name + 10;
	while (isdigit((unsigned char)p[n]))
		n++;
	if (n != 2 && n != 3)
		return NULL;
	store_take_digits(p, n, &v);
	if (n == 2 && (v < 1 || v > 99))
		return NULL;
	if (n == 3 && v < 100)
		return NULL;
	*seq = v;
	return p + n;
}

void store_format_stem(int day, int seq, char buf[STORE_STEM_MAX])
{
	snprintf(buf, STORE_STEM_MAX, "backup-%02d-%02d", day, seq);
}

/* Job names become directory names: keep them to a safe, portable alphabet. */
bool store_valid_job(const char *job)
{
	size_t i;

	if (!job || !((job[0] >= 'a' && job[0] <= 'z') || isdigit((unsigned char)job[0])))
		return false;
	/* <store>/incidents holds incident evidence (lib/incident), never a job. */
	if (strcmp(job, "incidents") == 0)
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
bool store_valid_ext(const char *ext)
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
bool store_is_year_name(const char *name, int *year)
{
	return strlen(name) == 4 && store_take_digits(name, 4, year);
}

bool store_is_month_name(const char *name, int *month)
{
	return strlen(name) == 2 && store_take_digits(name, 2, month) && *month >= 1 && *month <= 12;
}

int store_path_printf(char *buf, size_t buflen, const char *fmt, ...)
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
	if (!store_take_digits(text, 4, &v.year) || text[4] != '/')
		return -EINVAL;
	if (!store_take_digits(text + 5, 2, &v.month) || v.month < 1 || v.month > 12 || text[7] != '/')
		return -EINVAL;
	rest = store_parse_stem(text + 8, &v.day, &v.seq);
	if (!rest || *rest != '\0')
		return -EINVAL;
	*id = v;
	return 0;
}

int store_cmp_int(int a, int b)
{
	return (a > b) - (a < b);
}

int store_id_compare(const struct store_id *a, const struct store_id *b)
{
	int c;

	if ((c = store_cmp_int(a->year, b->year)))
		return c;
	if ((c = store_cmp_int(a->month, b->month)))
		return c;
	if ((c = store_cmp_int(a->day, b->day)))
		return c;
	return store_cmp_int(a->seq, b->seq);
}

int store_path(const struct store *st, const char *job, const struct store_id *id,
	       const char *suffix, char *buf, size_t buflen)
{
	if (!store_valid_job(job))
		return -EINVAL;
	return store_path_printf(buf, buflen, "%s/%s/%04d/%02d/backup-%02d-%02d%s%s",
			   st->root, job, id->year, id->month, id->day, id->seq,
			   suffix && *suffix ? "." : "", suffix ? suffix : "");
}

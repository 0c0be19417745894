/*
 * store_int — what the store_*.c files share; not for other modules.
 *
 *   store.c         the store root, ids, the canonical names of a backup's
 *                   files and the checks on job names and extensions
 *   store_txn.c     the write transaction: reservation, temp artifacts,
 *                   fsync and rename, the .sha256 file, the record last
 *   store_list.c    reading back: records and pins, listing, "latest"
 *   store_pins.c    pinning and unpinning a backup
 *   store_remove.c  deleting one committed backup, record first
 *   store_clean.c   the cleaner of stale temporaries and record-less files
 *
 * The layout and the guarantees are in store.h; the design (why rename and
 * O_EXCL are enough) at the top of store.c.
 */
#ifndef LIFEBOAT_STORE_INT_H
#define LIFEBOAT_STORE_INT_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "store.h"

#define STORE_DIR_MODE 0700
#define STORE_FILE_MODE 0600
#define STORE_SEQ_MAX 999	/* three digits is the most an id can carry */
#define STORE_EXT_MAX 32	/* longest artifact extension, bytes */
#define STORE_PATH_MAX 4096	/* longest path we build, bytes incl. NUL */
#define STORE_STEM_MAX 32	/* "backup-DD-NNN" and NUL, with room */

struct store {
	char *root;		/* store root directory, malloc'd */
};

/* --- names (store.c) ------------------------------------------------------- */

/* Exactly N decimal digits at S, value into *VAL. */
bool store_take_digits(const char *s, int n, int *val);
/* Parses "backup-DD-NN" at the start of NAME (canonical spelling only) and
 * returns what follows it, or NULL. */
const char *store_parse_stem(const char *name, int *day, int *seq);
/* "backup-DD-NN" into BUF. */
void store_format_stem(int day, int seq, char buf[STORE_STEM_MAX]);
/* A job name the store accepts as a directory name. */
bool store_valid_job(const char *job);
/* An artifact extension the store accepts (not one of its own suffixes). */
bool store_valid_ext(const char *ext);
/* "YYYY" and "MM" directory names as the store writes them. */
bool store_is_year_name(const char *name, int *year);
bool store_is_month_name(const char *name, int *month);
/* snprintf that reports truncation as -ENAMETOOLONG. */
int store_path_printf(char *buf, size_t buflen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* <0, 0, >0 like a comparison of A and B. */
int store_cmp_int(int a, int b);

/* --- reading (store_list.c) -------------------------------------------------- */

/* Opens a directory of the store's tree into *OUT; a missing one (or a file
 * where a directory would be) gives 0 and *OUT NULL; anything else is logged
 * and returned as a negative errno. */
int store_open_tree_dir(const char *path, DIR **out);
/* Calls FN on every month directory of JOB's tree (<root>/<job>/YYYY/MM),
 * with its path, year and month.  A missing job directory is no month.
 * Without CARRY_ON the walk stops at the first error (FN's or reading a
 * directory) and returns it; with CARRY_ON it goes on to the other months
 * and returns the first error at the end.  Reading errors are logged; FN
 * logs its own. */
int store_walk_months(const struct store *st, const char *job, bool carry_on,
		      int (*fn)(const char *mdir, int year, int month, void *ctx), void *ctx);
/* Loads the record at PATH into *OUT (owned by the caller).  -ENOENT is not
 * logged; anything else is. */
int store_load_record(const char *path, json_t **out);
/* The pin beside record path REC_PATH ("….json" → "….pin"), or NULL. */
json_t *store_load_pin(const char *rec_path);

#endif

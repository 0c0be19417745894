/*
 * verify_kind — what verify (verify.c) lends a kind's content check
 * (struct kind_layout's check): the artifacts as verify checked them in the
 * record, the report, and the reading of an artifact once through reader.h
 * (hashed; a tar streamed entry by entry).  Only the kinds' verify files
 * (lib/files/files_verify.c, lib/logs/logs_verify.c) use it.  It does not
 * check a record or the .sha256 file: verify.c does that before any check
 * runs.
 */
#ifndef LIFEBOAT_VERIFY_KIND_H
#define LIFEBOAT_VERIFY_KIND_H

#include <stdint.h>

#include <archive.h>
#include <archive_entry.h>

#include "reader.h"
#include "verify.h"

/* One artifact the record names, checked. */
struct verify_art {
	const char *ext;		/* from the kind's layout */
	const char *file;		/* "backup-DD-NN.EXT", borrowed from the record */
	const char *sha;		/* the record's SHA-256, 64 lowercase hex digits */
	uint64_t size;			/* the record's size, bytes */
	char path[4096];		/* where it is */
};

/* Adds one problem line to REP (or counts it past VERIFY_MAX_LINES). */
void verify_problem(struct verify_report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* TEXT (from a record or an archive) made printable on one line, cut to
 * fit BUF: control bytes and bytes past ASCII as \xHH.  Returns BUF. */
const char *verify_show(const char *text, char *buf, size_t len);

/* Opens A through the reader, quiet; a failure goes to REP (NULL). */
struct reader *verify_open(const struct verify_art *a, struct verify_report *rep);

/* Closes and frees RD, the reader of an artifact: 0, or -EINVAL with its
 * mismatch in REP.  Adds the bytes read to *BYTES. */
int verify_close(struct reader *rd, struct verify_report *rep, uint64_t *bytes);

/* Called for each entry of a tar; problems go to PEND (kept only when the
 * tar's hash is right).  Returns 0 or -ENOMEM. */
typedef int (*verify_entry_fn)(void *ctx, struct archive *a, struct archive_entry *ae,
			       struct verify_report *pend);

/* Streams A's tar.zst, hashing it and calling FN (or nothing, when NULL) on
 * each entry.  Returns 0 when the tar is whole and hashes right (entry
 * problems are then in REP too), -EINVAL (reported) or -ENOMEM. */
int verify_walk_tar(const struct verify_art *a, verify_entry_fn fn, void *ctx, struct verify_report *rep,
		    uint64_t *bytes);

#endif

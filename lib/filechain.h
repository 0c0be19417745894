/*
 * filechain — the chain of a files backup: its full snapshot, then every
 * incremental up to it, found by following each record's "files"."parent".
 * Restore extracts a chain in that order, verify checks that every member
 * is there, and a new run checks its parent's chain before building on it.
 *
 * Loading a chain reads the records and checks that every artifact they name
 * exists with the size recorded (cheap); re-hashing is verify's job.  This
 * module does not read tars or indexes.
 */
#ifndef LIFEBOAT_FILECHAIN_H
#define LIFEBOAT_FILECHAIN_H

#include <stddef.h>

#include "store.h"

#define FILECHAIN_MAX 1000		/* longer than any max_chain: a loop guard */

struct filechain {
	struct store_entry *v;		/* full first, the backup asked for last; owned */
	size_t n;
};

/* Loads the chain ending at JOB's backup ID (an exact id or "latest").  On
 * failure writes one line saying which backup or artifact is at fault into
 * WHY (not logged: callers word it) and returns -ENOENT (a member or an
 * artifact is missing), -EINVAL (a record that is not a files backup, a
 * loop, a size mismatch) or another negative errno. */
int filechain_load(struct store *st, const char *job, const char *id, struct filechain *out,
		   char *why, size_t whylen);
void filechain_free(struct filechain *c);

/* The path of artifact EXT ("tar.zst", "index.zst") of entry E. */
int filechain_artifact(struct store *st, const struct store_entry *e, const char *ext,
		       char *buf, size_t buflen);

/* The SHA-256 (hex) E's record gives for its artifact EXT, or NULL. */
const char *filechain_artifact_sha(const struct store_entry *e, const char *ext);

/* Checks that every artifact of E's record exists with its recorded size.
 * Returns 0, or -ENOENT / -EINVAL with WHY filled. */
int filechain_check_artifacts(struct store *st, const struct store_entry *e, char *why, size_t whylen);

#endif

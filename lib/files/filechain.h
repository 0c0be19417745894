/*
 * filechain — the chain of a files backup: its full snapshot, then every
 * incremental up to it.  Since record.h owns the record's keys and the one
 * chain loader for every kind, this is a thin files-only face of it, kept so
 * that its callers (snaprestore.c, verify.c, jobkind_files.c, cmd_verify.c)
 * move to record.h one at a time:
 *   filechain_load(...)            -> record_chain_load(st, job, id, "files", 0, ...)
 *   filechain_artifact_sha(e, ext) -> record_artifact(e->record, RECORD_ARTIFACT_MAIN
 *                                     or RECORD_ARTIFACT_INDEX, &a), then a.sha256
 *   filechain_artifact(...)        -> record_artifact_path(st, e, &a, ...)
 *   filechain_check_artifacts(...) -> record_check_artifacts(...)
 *
 * Loading a chain reads the records and checks that every artifact they name
 * exists with the size recorded (cheap); re-hashing is verify's job.  This
 * module does not read tars or indexes.
 */
#ifndef LIFEBOAT_FILECHAIN_H
#define LIFEBOAT_FILECHAIN_H

#include <stddef.h>

#include "record.h"
#include "store.h"

#define FILECHAIN_MAX RECORD_CHAIN_MAX	/* longer than any max_chain: a loop guard */

struct filechain {
	struct store_entry *v;		/* full first, the backup asked for last; owned */
	size_t n;
};

/* Loads the chain ending at JOB's backup ID (an exact id or "latest"): see
 * record_chain_load(), with the kind "files". */
int filechain_load(struct store *st, const char *job, const char *id, struct filechain *out,
		   char *why, size_t whylen);
void filechain_free(struct filechain *c);

/* The path of artifact EXT ("tar.zst", "index.zst") of entry E. */
int filechain_artifact(struct store *st, const struct store_entry *e, const char *ext,
		       char *buf, size_t buflen);

/* The SHA-256 (hex) E's record gives for its artifact EXT, or NULL (none, or
 * a record that record.h refuses). */
const char *filechain_artifact_sha(const struct store_entry *e, const char *ext);

/* Checks that every artifact of E's record exists with its recorded size.
 * Returns 0, or -ENOENT / -EINVAL with WHY filled. */
int filechain_check_artifacts(struct store *st, const struct store_entry *e, char *why, size_t whylen);

#endif

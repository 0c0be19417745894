/*
 * record — the one owner of a backup record's keys (the "backup-DD-NN.json"
 * beside the artifacts; store.h says when it is written).
 *
 * A record is a JSON object.  The store writes "format", "job", "kind", "id"
 * and "artifacts"; the run writes "result", "started", "finished", the sizes,
 * "parent" (files and logs) and the kind's facts under a key named after the
 * kind ("db", "files", "logs").  Every reader goes through the accessors
 * below, so a key is spelled, typed and checked in one place, and a record
 * that a person (or an attacker with write access to the store) edited is
 * refused with -EINVAL instead of read half-way.
 *
 * An artifact is found by its role, not by its place in the array:
 *   kind    RECORD_ARTIFACT_MAIN    RECORD_ARTIFACT_INDEX
 *   db      sql.zst (the dump)      -
 *   files   tar.zst (the tar)       index.zst (the file index)
 *   logs    tar.zst (the segments)  -
 * Its "file" must be a plain name, the record's own "backup-DD-NN." followed
 * by the extension: no "/", no "..", nothing that leads out of the backup's
 * directory.  Its size must be a non-negative integer below
 * RECORD_ARTIFACT_SIZE_MAX, its sha256 64 lowercase hex digits.
 *
 * The chain loader gives, for any kind, the records a restore needs, oldest
 * first: a db backup alone; a files backup back to its full; a logs backup
 * back to the job's first.  It checks what a walk of untrusted records must
 * (a missing member, a member of another job or kind, a loop, a chain longer
 * than the maximum) and that every member's artifacts exist with their
 * recorded size; re-hashing them is reader.h's job (restores, verify).
 *
 * What this module does not do: write the record (store_commit() does), read
 * artifacts, or decide retention.  Pointers it returns borrow from the record.
 */
#ifndef LIFEBOAT_RECORD_H
#define LIFEBOAT_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "store.h"

#define RECORD_ARTIFACT_SIZE_MAX (UINT64_C(1) << 50)	/* 1 PiB: past any real artifact */
#define RECORD_CHAIN_MAX 1000	/* files: longer than any max_chain, a loop guard */

enum record_role {
	RECORD_ARTIFACT_MAIN,	/* the backup's data: the dump or the tar */
	RECORD_ARTIFACT_INDEX,	/* files: the index of the snapshot's entries */
};

/* One artifact as its record describes it; the strings borrow from the record. */
struct record_artifact {
	const char *file;	/* "backup-DD-NN.EXT": a plain file name */
	const char *ext;	/* "sql.zst", "tar.zst", "index.zst" (points into FILE) */
	const char *sha256;	/* 64 lowercase hex digits */
	uint64_t size;		/* bytes */
};

/* --- plain keys: the value, or NULL when missing or not a string ------------ */

const char *record_id(const json_t *rec);	/* "YYYY/MM/backup-DD-NN" */
const char *record_job(const json_t *rec);
const char *record_kind(const json_t *rec);	/* "db", "files", "logs" */
const char *record_result(const json_t *rec);	/* "ok", "partial", "failed" */
const char *record_started(const json_t *rec);	/* RFC 3339 */
const char *record_finished(const json_t *rec);	/* RFC 3339 */
const char *record_type(const json_t *rec);	/* files: "full" or "incremental" */

/* "started" as a time: 0, -ENOENT (missing) or -EINVAL (not a time). */
int record_started_time(const json_t *rec, time_t *out);

/* The kind's facts (the object under the key named after "kind"), or NULL. */
const json_t *record_facts(const json_t *rec);

/* The backup this one continues, into *OUT (NULL for none: a db backup, a
 * full, a logs job's first).  Returns 0, or -EINVAL when "parent" is not a
 * backup id or the kind's facts name a different one. */
int record_parent(const json_t *rec, const char **out);

/* --- artifacts ---------------------------------------------------------------- */

/* The extension of ROLE for KIND ("sql.zst" ...), or NULL if it has none. */
const char *record_role_ext(const char *kind, enum record_role role);

/* The artifact of REC with ROLE.  Returns 0, -ENOENT (the record has none:
 * or its kind has no such role), or -EINVAL (unknown kind, a malformed
 * "artifacts" array or entry, two artifacts with one extension). */
int record_artifact(const json_t *rec, enum record_role role, struct record_artifact *out);
/* The SHA-256 of REC's artifact with ROLE, or NULL when record_artifact()
 * would fail. */
const char *record_artifact_sha256(const json_t *rec, enum record_role role);
/* The same by extension, whatever the kind. */
int record_artifact_by_ext(const json_t *rec, const char *ext, struct record_artifact *out);
/* Number of entries in "artifacts" (0 when missing or not an array). */
size_t record_artifact_count(const json_t *rec);
/* Entry I, checked as above.  0, -ENOENT (no such entry) or -EINVAL. */
int record_artifact_at(const json_t *rec, size_t i, struct record_artifact *out);

/* The path of artifact A of the committed backup E. */
int record_artifact_path(const struct store *st, const struct store_entry *e,
			 const struct record_artifact *a, char *buf, size_t buflen);

/* Checks that every artifact of E exists with its recorded size.  Returns 0,
 * or -ENOENT / -EINVAL with one line in WHY naming the backup and file. */
int record_check_artifacts(const struct store *st, const struct store_entry *e,
			   char *why, size_t whylen);

/* --- writers for keys more than one place holds ------------------------------- */

/* Sets "parent" to PARENT (a backup id) at the top level (list and retention
 * read it there) and in the facts object REC[FACTS_KEY] when FACTS_KEY is not
 * NULL and that object exists.  Returns 0, -EINVAL or -ENOMEM. */
int record_set_parent(json_t *rec, const char *facts_key, const char *parent);

/* --- the chain a restore needs ------------------------------------------------ */

struct record_chain {
	struct store_entry *v;	/* oldest first, the backup asked for last; owned */
	size_t n;
};

/* Loads the chain ending at JOB's backup ID (an exact id or "latest").  When
 * KIND is not NULL the backup must be of that kind.  MAX bounds its length
 * (0: the kind's own bound, RECORD_CHAIN_MAX for files, none for logs, whose
 * loops are still found).  On failure writes one line saying which backup or
 * artifact is at fault into WHY (not logged: callers word it) and returns
 * -ENOENT (a member or an artifact is missing), -EINVAL (a member of another
 * job or kind, a loop, a chain too long, a malformed record, a size mismatch)
 * or another negative errno.  *OUT is freed with record_chain_free(). */
int record_chain_load(struct store *st, const char *job, const char *id, const char *kind,
		      size_t max, struct record_chain *out, char *why, size_t whylen);
void record_chain_free(struct record_chain *c);

#endif

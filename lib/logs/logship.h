/*
 * logship — the logs job: archives what was appended to log files since the
 * last run, follows their rotation, and notices when a log was tampered with.
 *
 * Each log file is archived as a series of generations.  A generation is one
 * file's contents from byte 0, followed by its identity (device + inode, and
 * a fingerprint of its first 4 KiB so a reused inode number is not mistaken
 * for the old file) through renames and into its compressed copy.  A run
 * archives, per generation, the bytes [offset, end) not yet archived, where
 * end is the last complete line of a live log (a partial last line waits for
 * the next run) and the end of a rotated one.  State per generation: offset,
 * the SHA-256 of [0, offset) and the running hash state (hashrun.h) so the
 * next run extends the hash without reading the prefix again.  The state is
 * written to <state_dir>/logs/<job>.json and into every record, which also
 * names its parent (the backup the state came from), so the store alone can
 * rebuild it and restore can walk the chain.
 *
 * Rotation, all recognised by content or identity, never by name alone:
 *   - rename (access.log -> access.log.1): same identity at a new path; its
 *     tail is taken from there and the new access.log is a new generation;
 *   - compression (.1 -> .2.gz): a gzip sibling whose decompressed start
 *     hashes to a generation's archived prefix continues that generation
 *     (only the bytes past the prefix, if any, are archived);
 *   - copytruncate: a file that shrank, whose rotated sibling holds the
 *     archived prefix: the sibling continues the old generation and the
 *     truncated file starts a new one.
 * Tamper checks before archiving (alerts.h): "rewritten" (archived bytes
 * differ, with the first differing offset, found by comparing against the
 * archived copy in the store), "truncated" (shrank without a rotation copy),
 * "deleted" (a live log gone without a rotated successor), "replaced" (a
 * different file under the log's name).  Each run checks the first and last
 * 4 KiB of every archived prefix; the whole prefix is re-hashed every
 * verify_every (0 = every run) and whenever a file changed without growing.
 * After an alert the file as it now is starts a new generation, so both the
 * archived original and the altered version are kept.  An alert still open
 * with the same kind, file and offset is not raised twice (a run that found
 * it but did not commit is followed by one that finds it again).
 *
 * The artifact is a plain tar (zstd-compressed) with one entry per segment,
 * named "<source path>@<dev>:<ino>@<start>-<end>" (source path without its
 * leading "/"; offsets in the generation's uncompressed bytes).
 *
 * What it does not do: take the store transaction or locks (jobrun does),
 * watch files between runs, or archive anything that is not a regular file.
 */
#ifndef LIFEBOAT_LOGSHIP_H
#define LIFEBOAT_LOGSHIP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "store.h"
#include "units.h"

/* What the run reports to its job, all optional. */
struct logship_hooks {
	void *ctx;
	void (*io)(void *ctx, uint64_t n);		/* N bytes read: throttle's io_limit */
	int (*between)(void *ctx);			/* between reads: 0, or -ECANCELED to stop */
	void (*progress)(void *ctx, const char *what, uint64_t bytes_in, uint64_t files);
	/* A file could not be read: the run goes on without it and is partial. */
	void (*partial)(void *ctx, const char *msg);
};

struct logship_opts {
	const char *job;		/* job name, for messages, alerts and the state file */
	const char *state_dir;
	const struct strlist *paths;	/* absolute globs of the live logs */
	int64_t verify_every;		/* seconds between full re-hashes; 0 = every run */
	time_t now;
	int level, threads;		/* zstd level and worker threads */
	size_t paced_block;		/* >0: compress paced in this thread (zwriter_open_paced) */
	struct store *st;		/* the store, to read earlier records and artifacts */
	struct logship_hooks hooks;
};

struct logship_result {
	uint64_t size_raw;		/* bytes archived */
	uint64_t size_stored;		/* artifact bytes */
	uint64_t segments;		/* tar entries written */
	unsigned alerts;		/* alerts raised */
	json_t *facts;			/* the record's "logs" object, owned by the caller */
	char parent[STORE_ID_MAX];	/* the backup this one continues, "" for the first */
};

/* Runs one logs backup into TXN (artifact "tar.zst"), and writes the new state
 * file.  On success *RES is filled (the caller puts facts and parent into the
 * record and decrefs facts).  Returns 0 or a negative errno (logged). */
int logship_run(const struct logship_opts *o, struct store_txn *txn, struct logship_result *res);

/* Rebuilds, under DIR (which must not exist or be empty), every log as
 * archived up to JOB's backup ID: each generation's segments concatenated,
 * generations in order, at DIR/<original path>.  Artifacts are checked
 * against their records' SHA-256 as they are read, each once: the logs
 * are written into a staging directory beside DIR (restore_target.h) and
 * moved into DIR only when every artifact checked.  DIR must not exist or
 * be empty.  *FILES and *BYTES get what was written, *READ the bytes read
 * from the store.  Returns 0 or a negative errno (logged). */
/* Whether PATH, a log's name in a record, is safe to rebuild under a
 * directory: absolute, no empty, "." or ".." part (restore and verify ask). */
bool lstate_path_safe(const char *path);

int logship_restore(struct store *st, const char *job, const char *id, const char *dir,
		    uint64_t *files, uint64_t *bytes, uint64_t *read);

/* Streams every archived byte of the chain C of logs job JOB (from
 * record_chain_load), each artifact read once and checked at its end like a
 * restore: FN gets each piece with its segment (the record's object: "name",
 * "gen", "source", "start", ...) and its offset in the generation.  FN
 * returns 0 to go on, 1 to stop, a negative errno to fail.  For readers
 * that want the logs' lines without writing them anywhere (`lifeboat when`). */
struct record_chain;
typedef int (*logship_each_fn)(void *ctx, const json_t *seg, uint64_t pos, const void *buf, size_t len);
int logship_each(struct store *st, const char *job, const struct record_chain *c, logship_each_fn fn,
		 void *ctx, uint64_t *read);
/* The paths a logs job covers now: every match of GLOBS and its rotated and
 * compressed siblings, sorted (logship_files.c).  OUT is the caller's
 * (strlist_free).  0 or a negative errno (logged). */
int logship_list_files(const struct strlist *globs, struct strlist *out);

#endif

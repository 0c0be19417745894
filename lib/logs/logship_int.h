/*
 * logship_int — what the logship_*.c files share; not for other modules.
 *
 *   logship_state.c  the per-generation state: JSON form, state file, rebuild
 *                    from the newest record
 *   logship_scan.c   which files are candidates this run: glob matches and
 *                    their rotated siblings
 *   logship_src.c    reading a candidate, plain or gzip, with its identity checked
 *   logship_tar.c    the artifact: a tar of segments through zstd into the store
 *   logship_chain.c  a backup's chain of records, reading its segments back
 *                    (restore, and the first differing byte of a tampered log)
 *   logship.c        one run: matching, rotation, tamper checks, archiving
 */
#ifndef LIFEBOAT_LOGSHIP_INT_H
#define LIFEBOAT_LOGSHIP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <archive.h>
#include <jansson.h>

#include "hashrun.h"
#include "logship.h"
#include "sha256.h"
#include "store.h"

#define LS_FP_MAX 4096			/* bytes of the fingerprint and of the tail check */
#define LS_BUF (256 * 1024)		/* read size, bytes */

/* One generation of a log, as the state remembers it. */
struct lfile {
	char *name;			/* the log: the live path it belongs to, owned */
	char *path;			/* where it was last seen, owned */
	uint64_t gen;			/* generation number, job-wide, increasing */
	uint64_t dev, ino;		/* identity of the file it is in now */
	bool gz;			/* that file is gzip: offsets count decompressed bytes */
	uint64_t offset;		/* bytes archived: [0, offset) */
	uint32_t fp_len;		/* bytes under fp: min(4096, offset) */
	char fp[SHA256_HEX_LEN + 1];	/* SHA-256 of [0, fp_len) */
	uint32_t tail_len;		/* bytes under tail: min(4096, offset) */
	char tail[SHA256_HEX_LEN + 1];	/* SHA-256 of [offset - tail_len, offset) */
	char prefix[SHA256_HEX_LEN + 1];/* SHA-256 of [0, offset) */
	char run[HASHRUN_TEXT_MAX];	/* hash state after [0, offset) */
	uint64_t size;			/* file size when last seen (compressed for gz) */
	int64_t mtime_ns;		/* its mtime then */
	/* This run only. */
	int cand;			/* index of the candidate it continues in, or -1 */
	int at;				/* its inode seen, but not as archived (shrunk, other
					 * first bytes): that candidate's index, or -1 */
	bool checked;			/* its whole prefix was hashed this run */
	bool drop;			/* forget after this run */
};

struct lstate {
	char backup[STORE_ID_MAX];	/* the backup this state is the outcome of, "" none */
	uint64_t next_gen;		/* next generation number */
	int64_t verified_at;		/* last full re-hash (epoch seconds), 0 = never */
	struct lfile *v;		/* owned */
	size_t n, cap;
};

/* A file seen this run. */
struct lcand {
	char *path;			/* owned */
	char *name;			/* the log it belongs to (a live path), owned */
	bool live;			/* path == name */
	bool gz;			/* name ends in .gz: read decompressed */
	uint64_t dev, ino, size;
	int64_t mtime_ns;
	int owner;			/* index of the generation continuing here, or -1 */
	bool tampered;			/* its generation was found altered: start a new one */
	unsigned char *head;		/* first bytes (decompressed), owned, NULL until read */
	size_t head_len;
	uint64_t gz_len;		/* gz: its decompressed length, once measured */
	bool gz_len_known;
};

struct lcands {
	struct lcand *v;
	size_t n, cap;
};

/* logship_state.c */
void lstate_free(struct lstate *s);
struct lfile *lstate_add(struct lstate *s);
json_t *lstate_to_json(const struct lstate *s);
int lstate_from_json(const json_t *j, struct lstate *s);
/* Loads the state for a run of JOB: the state file when it matches the
 * newest record, else that record's copy, else an empty state (first run).
 * *PARENT gets the newest record's id, or "". */
int lstate_load(const struct logship_opts *o, struct lstate *s, char parent[STORE_ID_MAX]);
int lstate_save(const struct logship_opts *o, const struct lstate *s);

/* logship_scan.c */
int lscan(const struct strlist *globs, const struct lstate *s, struct lcands *out);
void lcands_free(struct lcands *c);
/* Reads C's first LS_FP_MAX bytes (decompressed) into c->head, once. */
int lcand_head(struct lcand *c);

/* logship_src.c: a candidate opened for reading, at offset 0. */
struct lsrc {
	int fd;
	struct archive *a;		/* gzip reader, or NULL for plain files */
	uint64_t pos;			/* bytes (decompressed) returned so far */
	const char *path;
};
/* Opens PATH, checking it is still DEV/INO.  -ESTALE when it changed. */
int lsrc_open(struct lsrc *s, const char *path, bool gz, uint64_t dev, uint64_t ino);
/* Up to LEN bytes; 0 at the end; negative errno (logged). */
ssize_t lsrc_read(struct lsrc *s, void *buf, size_t len);
/* Moves to OFF (forward only for gz).  -ENODATA when the file ends before. */
int lsrc_seek(struct lsrc *s, uint64_t off);
void lsrc_close(struct lsrc *s);
/* Hashes [0, LEN) of the source into H (initialised by the caller) and, when
 * TOTAL is not NULL, reads on to the end and sets *TOTAL.  HOOKS see the
 * bytes.  -ENODATA when shorter than LEN. */
int lsrc_hash_prefix(struct lsrc *s, uint64_t len, struct hashrun *h, uint64_t *total,
		     const struct logship_hooks *hooks);

/* logship_tar.c */
struct ltar;
int ltar_open(struct store_txn *txn, int level, int threads, size_t paced_block, struct ltar **out);
int ltar_begin(struct ltar *t, const char *entry, uint64_t size, time_t mtime);
int ltar_write(struct ltar *t, const void *buf, size_t len);
/* Finishes the tar and the artifact; *STORED gets its size. */
int ltar_finish(struct ltar *t, uint64_t *stored);
void ltar_free(struct ltar *t);
/* "<path without leading />@<dev>:<ino>@<start>-<end>" into BUF. */
int ltar_entry_name(char *buf, size_t len, const char *path, uint64_t dev, uint64_t ino,
		    uint64_t start, uint64_t end);

/* logship_chain.c */
/* Called with each piece of data of the segments of generation GEN (every
 * generation when GEN is UINT64_MAX): SEG is the record's segment object,
 * POS the offset in the generation.  Return 0 to go on, 1 to stop, <0 error. */
typedef int (*lchain_fn)(void *ctx, const json_t *seg, uint64_t pos, const void *buf, size_t len);
struct record_chain;
/* Streams the segments of every member of C (record_chain_load(), kind
 * "logs"), oldest first, through the reader: an artifact read to its end is
 * checked against its record (-EBADMSG).  *READ (when not NULL) grows by the
 * bytes read from the store.  Returns 0, 1 (FN stopped) or <0. */
int lchain_each(struct store *st, const char *job, const struct record_chain *c, uint64_t gen,
		lchain_fn fn, void *ctx, uint64_t *read);
/* Compares generation GEN as archived in the chain ending at backup ID with
 * the plain file at PATH (identity DEV/INO).  *DIFF gets the first offset where
 * they differ (the file's size if it is a shorter but equal prefix), or -1
 * when the file holds the whole archived generation unchanged. */
int lchain_first_diff(struct store *st, const char *job, const char *id, uint64_t gen,
		      const char *path, int64_t *diff);

#endif

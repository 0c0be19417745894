/*
 * jobkind — what a kind of job (db, files, logs) is, and what it gets from
 * the code around it.
 *
 * A kind is one struct jobkind_ops: its name, its config keys and their
 * checks, its run and the estimate of its size, its throttle probes, how a
 * backup of it is restored, its own part of verify, and its layout in the
 * store (kind_layout.h: artifacts, chain rule, verify's content check —
 * what lib/store/ asks through kind_layout_find()).  The table of them is
 * jobkind_table[] (jobkinds.c); everything outside the kinds' own files asks
 * the table (jobkind_of(job)) instead of testing a job's kind.  Adding a kind
 * is a file jobkind_NAME.c with its ops, a row in the table and a value in
 * enum job_kind (config.h) — and, when it has settings of its own, a header
 * with their struct and a member of struct job's union.
 *
 * A run: jobrun takes the locks, passes the gate, opens the store
 * transaction and then calls the kind's run with a struct jobkind; the kind
 * writes its artifact(s) into k->txn, fills the record, and returns.  The
 * commit, the run's state and retention stay in jobrun.  A kind sets in
 * RECORD at least "size_raw" and "size_stored" and an object named after its
 * kind with its facts.  A run that completed but could not capture
 * everything (an unreadable file, say) calls jobkind_partial(): the backup is
 * committed with result "partial" and the warnings, and is not counted as a
 * clean success.
 *
 * The helpers a kind uses while it runs (progress, cancel, partial, the zstd
 * writer) are in jobkind.c, which knows nothing of jobrun: jobrun calls the
 * kinds, the kinds never call jobrun.
 */
#ifndef LIFEBOAT_JOBKIND_H
#define LIFEBOAT_JOBKIND_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "compress.h"
#include "config.h"
#include "config_keys.h"
#include "kind_layout.h"
#include "store.h"
#include "throttle.h"

/* What a progress display needs, whatever the kind. */
struct jobrun_progress {
	const char *job;
	const char *what;		/* "shop.orders" or similar, or NULL */
	uint64_t bytes_in;		/* uncompressed bytes produced */
	uint64_t bytes_out;		/* bytes written to the store */
	uint64_t estimated;		/* expected bytes_in, 0 when unknown */
	uint64_t files;			/* files done (files and logs jobs), else 0 */
	double elapsed;			/* seconds since the run started */
};

/* What the caller of a run (jobrun) passes down to the kind. */
struct jobrun_opts {
	/* Optional: called now and then while the run works. */
	void (*progress)(void *ctx, const struct jobrun_progress *p);
	void *progress_ctx;
	/* Optional: set (by a signal handler) to stop the run; it then fails
	 * with -ECANCELED and leaves nothing in the store. */
	volatile sig_atomic_t *cancel;
	/* files: take a full snapshot whatever the chain (lifeboat baseline --accept). */
	bool full;
};

struct jobkind {
	const struct config *cfg;
	const struct job *job;
	const struct jobrun_opts *opts;
	struct store *st;		/* the store, open */
	struct store_txn *txn;		/* this run's backup, being written */
	struct throttle *throttle;	/* pauses and io_limit: call it between reads */

	/* Progress, set by the kind and shown by jobkind_progress(). */
	const char *what;		/* current object ("shop.orders", a path), or NULL */
	uint64_t bytes_in;		/* uncompressed bytes read so far */
	uint64_t bytes_out;		/* bytes written to the store so far */
	uint64_t estimated;		/* expected bytes_in, 0 when unknown */
	uint64_t files;			/* files done, for kinds that count files */

	/* Outcome details, for the record and the state. */
	bool partial;			/* set by jobkind_partial() */
	/* Set by a kind whose run completed and found what it checks bad (a
	 * drill): the record is committed with result "failed", and the run
	 * counts as failed with this reason. */
	bool failed;
	char failed_why[512];
	unsigned alerts;		/* alerts this run raised (the on_alert hook) */
	char summary[512];		/* no_backup kinds: one line of what the run found */
	json_t *warnings;		/* array of strings */

	/* The caller's. */
	struct timespec t0;		/* when the run started (CLOCK_MONOTONIC) */
	struct timespec last_progress;
};

/* What a kind's restore returns when it put back all but what it listed. */
#define JOBKIND_RESTORE_PARTIAL 1

/* Where a restore writes: what jobkind_ops.target says the kind takes. */
enum jobkind_target_type {
	JOBKIND_TO_DIR,			/* a new or empty directory */
	JOBKIND_TO_DATABASE,		/* a database on the job's server (or its restore_host) */
};

struct jobkind_target {
	const char *dir;		/* JOBKIND_TO_DIR */
	const char *subpath;		/* only this path of the backup, or NULL (target_subpath kinds) */
	const char *database;		/* JOBKIND_TO_DATABASE */
	bool force;			/* a database that already has tables is written into */
};

/* Which side of the host's dump lock a run takes (jobstate_lock_dbdump). */
enum jobkind_dump_lock {
	JOBKIND_DUMP_LOCK_NONE,
	JOBKIND_DUMP_LOCK_SHARED,	/* a dump of this host's server: dumps run together */
	JOBKIND_DUMP_LOCK_EXCLUSIVE,	/* never while such a dump runs */
};

struct jobkind_ops {
	const char *name;		/* [NAME:job] sections, the record's "kind" */
	/* What its backups are to the store: artifacts, chain rule, verify's
	 * content check (kind_layout.h); layout->name is NAME. */
	const struct kind_layout *layout;

	/* The run writes no backup (a check): jobrun opens no transaction
	 * (k->txn is NULL), guards no space and prunes nothing; the RECORD the
	 * kind fills becomes the run's "facts" in the state dir. */
	bool no_backup;

	/* Config: the kind's own keys (KP_JOB, offsets into struct job), the
	 * opt-in tuning keys of config_keys[] it takes (NULL-terminated, or
	 * NULL), and its checks across keys after loading (or NULL). */
	const struct config_key *keys;
	size_t nkeys;
	const char *const *tuning;
	void (*check)(struct config_check *c, struct job *job);

	/* A run: 0 or a negative errno after logging one line. */
	int (*run)(struct jobkind *k, json_t *record);
	/* The store space a run will need, for the space guard; NULL = unknown (0). */
	int (*estimate)(const struct job *job, struct store *st, uint64_t *bytes);
	/* Its side of the host's dump lock; NULL = none. */
	enum jobkind_dump_lock (*dump_lock)(const struct job *job);

	/* Throttling beyond load and I/O pressure (probes, a pause budget), or NULL. */
	const struct throttle_kind *throttle;

	/* Restore of backup E into TO, of the type TARGET.  Prints what it did
	 * to OUT; returns 0, JOBKIND_RESTORE_PARTIAL (all but what it listed on
	 * OUT was restored), or a negative errno (logged). */
	enum jobkind_target_type target;
	bool target_subpath;		/* TO->subpath is understood */
	int (*restore)(const struct config *cfg, const struct job *job, struct store *st,
		       const struct store_entry *e, const struct jobkind_target *to, FILE *out);

	/* Lines `status` shows under the table for the job ("baseline: ..."),
	 * appended to the array NOTES; NULL = none. */
	void (*status_notes)(const struct config *cfg, const struct job *job, json_t *notes);

	/* verify: the kind's own check of a backup whose artifacts are whole
	 * (its content against its index, say), or NULL.  0, or a negative
	 * errno with the reason in WHY. */
	int (*verify)(struct store *st, const struct store_entry *e, char *why, size_t whylen);
};

/* The kinds, indexed by enum job_kind (jobkinds.c). */
extern const struct jobkind_ops *const jobkind_table[JOB_KIND_COUNT];
extern const struct jobkind_ops jobkind_db_ops, jobkind_files_ops, jobkind_logs_ops;
extern const struct jobkind_ops jobkind_drill_ops;
extern const struct jobkind_ops jobkind_watch_ops;

/* The kind named NAME, or NULL. */
const struct jobkind_ops *jobkind_find(const char *name);
/* The enum job_kind of OPS, a row of the table. */
enum job_kind jobkind_kind(const struct jobkind_ops *ops);
/* JOB's kind (never NULL for a job from config). */
const struct jobkind_ops *jobkind_of(const struct job *job);
/* "db, files or logs": the kinds' names, for messages. */
const char *jobkind_names(void);

/* ---- helpers for a kind while it runs (jobkind.c) ------------------------ */

/* True when the run was asked to stop (SIGINT, SIGTERM, a cancel request):
 * the kind then fails with -ECANCELED and leaves the transaction to jobrun. */
bool jobkind_cancelled(const struct jobkind *k);

/* Hands the current progress to the display, at most a few times a second
 * unless FORCE. */
void jobkind_progress(struct jobkind *k, bool force);

/* Seconds since the run started. */
double jobkind_elapsed(const struct jobkind *k);

/* THROTTLE_PACED_BLOCK when the throttle paces the job, else 0: the block a
 * paced zstd writer flushes at (zwriter_open_paced). */
size_t jobkind_paced_block(const struct jobkind *k);

/* Opens the zstd writer of an artifact: paced (in this thread, flushed every
 * THROTTLE_PACED_BLOCK bytes) when the throttle paces the job, else with
 * THREADS workers.  Returns what zwriter_open() does. */
int jobkind_zwriter_open(const struct jobkind *k, int threads, zsink_fn sink, void *ctx,
			 struct zwriter **out);

/* Marks the run partial with a warning (printf-style; logged as a warning too). */
void jobkind_partial(struct jobkind *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

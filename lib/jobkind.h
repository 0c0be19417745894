/*
 * jobkind — what one kind of job (db, files, logs) gets from jobrun and gives
 * back.  jobrun takes the locks, passes the gate, opens the store transaction
 * and then calls the kind's run function with a struct jobkind; the kind
 * writes its artifact(s) into k->txn, fills the record, and returns.  The
 * commit, the run's state and retention stay in jobrun.
 *
 * A kind sets in RECORD at least "size_raw" and "size_stored" and an object
 * named after its kind with its facts.  A run that completed but could not
 * capture everything (an unreadable file, say) calls jobkind_partial(): the
 * backup is committed with result "partial" and the warnings, and is not
 * counted as a clean success.
 */
#ifndef LIFEBOAT_JOBKIND_H
#define LIFEBOAT_JOBKIND_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "compress.h"
#include "config.h"
#include "store.h"
#include "throttle.h"

struct jobrun_opts;

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
	json_t *warnings;		/* array of strings */

	/* jobrun's own. */
	struct timespec t0;
	struct timespec last_progress;
};

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

/* The kinds.  Each returns 0 or a negative errno after logging one line. */
int jobkind_db_run(struct jobkind *k, json_t *record);
int jobkind_files_run(struct jobkind *k, json_t *record);
int jobkind_logs_run(struct jobkind *k, json_t *record);

/* The store space this run will need, for the space guard (0 when unknown). */
int jobkind_db_estimate(const struct job *job, struct store *st, uint64_t *bytes);
int jobkind_files_estimate(const struct job *job, struct store *st, uint64_t *bytes);

#endif

/*
 * jobrun — one run of a job, start to finish: the run lock, the store
 * transaction, the kind-specific work, the record, and what the state dir
 * remembers.  `lifeboat run --here` calls it in its own process; the daemon
 * will call the same code in a child process.
 *
 * A run either commits a whole backup or leaves nothing in the store: on any
 * failure the transaction is aborted and the run is remembered as failed,
 * with the one-line reason that was logged.
 */
#ifndef LIFEBOAT_JOBRUN_H
#define LIFEBOAT_JOBRUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

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

struct jobrun_opts {
	/* Optional: called now and then while the run works. */
	void (*progress)(void *ctx, const struct jobrun_progress *p);
	void *progress_ctx;
	/* Optional: set (by a signal handler) to stop the run; it then fails
	 * with -ECANCELED and leaves nothing in the store. */
	volatile sig_atomic_t *cancel;
};

/* The outcome of a successful run. */
struct jobrun_result {
	char id[STORE_ID_MAX];		/* the new backup */
	uint64_t bytes_in;		/* uncompressed size */
	uint64_t bytes_out;		/* stored size */
	double seconds;			/* wall time */
	bool partial;			/* committed, but something could not be captured */
	bool busy;			/* not run: the job runs in another process */
};

/* Runs JOB now.  Returns 0 and fills *RES, or a negative errno after logging
 * one line that says what failed (-EBUSY: the job is running elsewhere). */
int jobrun(const struct config *cfg, const struct job *job, const struct jobrun_opts *opts,
	   struct jobrun_result *res);

#endif

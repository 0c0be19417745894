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
#include "jobkind.h"
#include "store.h"

/* struct jobrun_opts and struct jobrun_progress are in jobkind.h: the kinds
 * see them too. */

/* The outcome of a successful run. */
struct jobrun_result {
	char id[STORE_ID_MAX];		/* the new backup */
	uint64_t bytes_in;		/* uncompressed size */
	uint64_t bytes_out;		/* stored size */
	double seconds;			/* wall time */
	bool partial;			/* committed, but something could not be captured */
	bool busy;			/* not run: the job runs in another process */
	unsigned alerts;		/* alerts the run raised */
	char summary[512];		/* a no_backup kind's line of what it found, or "" */
};

/* Runs JOB now.  Returns 0 and fills *RES, or a negative errno after logging
 * one line that says what failed (-EBUSY: the job is running elsewhere). */
int jobrun(const struct config *cfg, const struct job *job, const struct jobrun_opts *opts,
	   struct jobrun_result *res);

#endif

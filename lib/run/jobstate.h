/*
 * jobstate — what the state dir remembers about each job between runs.
 *
 *   <state_dir>/jobs/<job>.json    last run (result, times, id or error),
 *                                  last good run, consecutive failures
 *   <state_dir>/locks/<job>.lock   flock held while the job runs, with its pid
 *   <state_dir>/locks/<job>.retention  flock held while its backups are pruned or pinned
 *
 * The lock is what keeps a job from overlapping itself, whether it was
 * started by the daemon or by `lifeboat run --here`.  The state file is
 * replaced atomically; a failed run is remembered here (it leaves nothing in
 * the store), so `status` can show it.
 */
#ifndef LIFEBOAT_JOBSTATE_H
#define LIFEBOAT_JOBSTATE_H

#include <signal.h>
#include <stdbool.h>

#include <jansson.h>

/* Takes JOB's run lock.  Returns 0 and *FD (release with jobstate_unlock), or
 * -EBUSY when another process runs the job (logged with its pid), or a
 * negative errno (logged). */
int jobstate_lock(const char *state_dir, const char *job, int *fd);
void jobstate_unlock(int fd);
/* The same, waiting (quietly) while another process runs the job, until it
 * ends or *CANCEL is set (-ECANCELED).  A drill uses it so that it never
 * drills a job while that job runs. */
int jobstate_lock_wait(const char *state_dir, const char *job, volatile sig_atomic_t *cancel, int *fd);

/* Takes JOB's retention lock, waiting for it: held by prune (of a run or of
 * `lifeboat prune`) while it decides and removes, and by pin/unpin, so that
 * a backup is never removed while it is being pinned.  Released with
 * jobstate_unlock().  Returns 0 or a negative errno (logged). */
int jobstate_lock_retention(const char *state_dir, const char *job, int *fd);

/* Takes one of the PARALLEL run slots (locks/slot-N), waiting while all are
 * taken: only that many jobs run at once.  *WAITED gets the seconds waited.
 * Returns 0 and *FD, -ECANCELED when *CANCEL was set meanwhile, or a
 * negative errno (logged). */
int jobstate_take_slot(const char *state_dir, long parallel, volatile sig_atomic_t *cancel,
		       int *fd, double *waited);

/* The host's dump lock (locks/dbdump): a db dump of this host takes it
 * shared (DUMPING), a files or logs job with `exclusive = yes` takes it
 * exclusively, each waiting for the other.  *WAITED gets the seconds waited.
 * Returns 0 and *FD (release with jobstate_unlock), -ECANCELED, or a
 * negative errno (logged). */
int jobstate_lock_dbdump(const char *state_dir, bool dumping, volatile sig_atomic_t *cancel,
			 int *fd, double *waited);

/* Records a finished run: RUN holds result, started, finished and id or error.
 * Updates last_run, last_good (when result is "ok") and failures.  Returns 0
 * or a negative errno (logged). */
int jobstate_record_run(const char *state_dir, const char *job, json_t *run);

/* Reads JOB's state into *OUT (an empty object when there is none yet). */
int jobstate_load(const char *state_dir, const char *job, json_t **out);

#endif

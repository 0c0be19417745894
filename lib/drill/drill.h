/*
 * drill — what the rest of Lifeboat asks of the drills: the last verified
 * restore of a backup job, for `status` (and for anything else that reports
 * it, such as metrics).
 *
 * A drill job writes, per backup job it drilled, <state_dir>/drill/<job>.json:
 *   {"last": RESULT, "last_ok": RESULT}
 * where RESULT is that job's entry of the drill record (drill_record.c):
 * drill, record (the drill record's id), backup, finished, result,
 * restore_seconds, rpo_seconds, compared, difference.  Reading it never
 * touches the store, so the daemon's loop may call these.
 */
#ifndef LIFEBOAT_DRILL_H
#define LIFEBOAT_DRILL_H

#include <stdbool.h>
#include <time.h>

#include <jansson.h>

#include "config.h"

/* The drill jobs whose `of` covers JOB (a backup job): true when any does,
 * with *INTERVAL the shortest of their schedules' intervals from NOW (0 when
 * none has one) and *BY the first such drill job's name. */
bool drill_covers(const struct config *cfg, const struct job *job, time_t now, int64_t *interval,
		  const char **by);

/* JOB's drill state (see above) into *OUT (caller owns; an empty object
 * when JOB was never drilled).  Returns 0 or a negative errno (logged). */
int drill_state_load(const char *state_dir, const char *job, json_t **out);

/* Adds to J, a job's status object (jobstatus.h), what status shows of its
 * drills when a drill job covers it: "drill" = {"by", "interval_seconds",
 * "last", "last_ok"} (the last two objects or null).  Nothing for a job no
 * drill covers, or for a drill job. */
void drill_status_add(const struct config *cfg, const struct job *job, time_t now, json_t *j);

#endif

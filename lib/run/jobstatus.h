/*
 * jobstatus — the facts `lifeboat status` shows for one job that live in the
 * state dir and the config: last run, last good run, consecutive failures,
 * open alerts, the schedule and its nominal interval.  The daemon adds what
 * only it knows (the running child, the next fire); the CLI uses the same
 * facts when no daemon answers.  Formatting is the CLI's, not this module's.
 */
#ifndef LIFEBOAT_JOBSTATUS_H
#define LIFEBOAT_JOBSTATUS_H

#include <time.h>

#include <jansson.h>

#include "config.h"

/* A new JSON object for JOB: name, kind, schedule, interval_seconds,
 * last_run, last_good (objects or null), failures, alerts (array).
 * NULL only when out of memory; unreadable state is reported in "error". */
json_t *jobstatus_job(const struct config *cfg, const struct job *job, time_t now);

#endif

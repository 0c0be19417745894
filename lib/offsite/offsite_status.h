/*
 * offsite_status — what `lifeboat status` shows of each offsite target,
 * from the local store and the target's status.json alone (no network):
 * per job the backups not offsite yet (the queue), the newest of them and
 * how long the oldest has waited; the last good sync, the last error and
 * since when uploads have been failing.  Health: WARNING when a job's
 * offsite copy lags more than 2 of its schedule intervals, CRITICAL when
 * uploads have failed for a day (OFFSITE_FAILING_CRITICAL).
 */
#ifndef LIFEBOAT_OFFSITE_STATUS_H
#define LIFEBOAT_OFFSITE_STATUS_H

#include <time.h>

#include <jansson.h>

#include "config.h"

#define OFFSITE_FAILING_CRITICAL (24 * 3600)

/* An array of one object per target: "name", "last_ok", "last_error",
 * "failing_since", "health" (0 OK, 1 WARNING, 2 CRITICAL), "why", "jobs"
 * [{"job", "queue", "newest_pending", "lag_seconds"}].  New reference. */
json_t *offsite_status(const struct config *cfg, time_t now);

#endif

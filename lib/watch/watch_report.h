/*
 * watch_report — what a watch check leaves behind: the full report, and the
 * alerts for what is new.
 *
 *   <state_dir>/watch/<job>/report.json   the last check's report (0640, atomic)
 *   <state_dir>/watch/<job>/known.json    what each listed path looked like when
 *                                         it was last alerted on
 *
 * An alert is raised (alerts.h; kind "added", "removed" or "changed", the
 * escaped path as its file) for a finding whose path is not in known.json
 * with the same fingerprint (its change and the live stat and hash): the
 * same unchanged change raises nothing on the next check, a further change
 * to it raises a new alert.  A path that is clean again leaves known.json.
 * A new baseline starts known.json afresh.  At most WATCH_ALERTS_MAX alerts
 * are raised one by one per check, the critical ones first; the rest become
 * one alert that points at the report.
 *
 * This module does not compare trees or choose baselines.
 */
#ifndef LIFEBOAT_WATCH_REPORT_H
#define LIFEBOAT_WATCH_REPORT_H

#include <jansson.h>

#include "watch_compare.h"

#define WATCH_ALERTS_MAX 50

/* Writes REPORT as JOB's report.  0 or a negative errno (logged). */
int watch_report_write(const char *state_dir, const char *job, const json_t *report);
/* Reads JOB's last report into *OUT; -ENOENT when there is none (not logged). */
int watch_report_read(const char *state_dir, const char *job, json_t **out);

/* Raises the alerts for L's findings that are new since BASELINE's last
 * alerts; *RAISED gets how many.  0 or a negative errno (logged). */
int watch_report_alerts(const char *state_dir, const char *job, const char *baseline, const struct wc_list *l,
			unsigned *raised);

#endif

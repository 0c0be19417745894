/*
 * metrics — Lifeboat's state as a Prometheus textfile: the file named by
 * `metrics_file`, in the format node_exporter's textfile collector reads,
 * rewritten whole after every run and every change of the open alerts.
 *
 * The values are read from the state dir through jobstatus_job(), the very
 * facts `lifeboat status --json` shows, so the two never disagree.  The file
 * is replaced atomically (a temporary name in the same directory, fsynced,
 * renamed), mode 0644: it holds no secret.  Writers in several processes (a
 * daemon's job child, `lifeboat run --here`, an ack) take a lock in the
 * state dir around read-and-write, so an older view never overwrites a newer
 * one.  Which metrics exist is one table, metrics_families.c.
 *
 * Writing metrics never fails a backup: callers log and go on.
 */
#ifndef LIFEBOAT_METRICS_H
#define LIFEBOAT_METRICS_H

#include <stddef.h>
#include <time.h>

#include "config.h"

/* Renders every metric of CFG as of NOW into *OUT (NUL-terminated, caller
 * frees) and *LEN.  Returns 0 or -ENOMEM. */
int metrics_render(const struct config *cfg, time_t now, char **out, size_t *len);

/* Replaces cfg->metrics_file with the current metrics; 0 and nothing done
 * when it is unset.  Returns 0 or a negative errno (logged with the file). */
int metrics_write(const struct config *cfg);

#endif

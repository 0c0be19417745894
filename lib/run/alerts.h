/*
 * alerts — what a job found that a human must look at (a log rewritten, a
 * log deleted without rotation), kept in the state dir until acknowledged.
 *
 *   <state_dir>/alerts/open/<id>.json    an open alert
 *   <state_dir>/alerts/acked/<id>.json   the same, once acknowledged (kept as history)
 *
 * An alert id is "<job>-<n>", n counting up per job from 1, never reused,
 * so `lifeboat ack web-3` is easy to type.  Each file is written atomically;
 * a JSON object: id, job, kind, file, offset (-1 when unknown), message,
 * found (RFC 3339 UTC) and, once acknowledged, acked.
 *
 * Several processes may raise alerts at once (a job child, the CLI's ack):
 * a flock on <state_dir>/alerts/lock serialises numbering and moves.
 */
#ifndef LIFEBOAT_ALERTS_H
#define LIFEBOAT_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define ALERT_ID_MAX 96

struct alert_new {
	const char *job;
	const char *kind;		/* "rewritten", "truncated", "deleted", "replaced", ... */
	const char *file;		/* the file it is about, or NULL */
	int64_t offset;			/* first differing byte, -1 when unknown */
	const char *message;		/* one line for humans */
};

/* Raises an alert (logged as an error too).  Returns 0 and fills ID, or a
 * negative errno (logged). */
int alerts_raise(const char *state_dir, const struct alert_new *a, char id[ALERT_ID_MAX]);

/* The open alerts of JOB (every job when NULL), oldest first, as a new JSON
 * array in *OUT.  A state dir without alerts gives an empty array. */
int alerts_list(const char *state_dir, const char *job, json_t **out);

/* The same, open and acknowledged together (acknowledged ones carry
 * "acked"): the history `lifeboat when` reads for tampered logs. */
int alerts_history(const char *state_dir, const char *job, json_t **out);

/* WHAT is the id of an open alert (rather than a job name). */
bool alerts_is_open_id(const char *state_dir, const char *what);

/* Acknowledges one alert (WHAT is the id of an open alert) or else every
 * open alert of a job (WHAT is a job name).  *N gets how many were acknowledged; -ENOENT when
 * WHAT matched none (not logged: the caller says it in its own words). */
int alerts_ack(const char *state_dir, const char *what, size_t *n);

#endif

/*
 * metrics_int.h — shared by metrics.c and the family table
 * (metrics_families.c): what a family is and what it is given.
 *
 * To add a metric: append a row to metric_families[] in metrics_families.c.
 * A per-job gauge is a name, a help line and a job_value function reading
 * the job's status object (labels job and kind are added for it).  A family
 * with other labels, or not per job (an offsite target, say), gives a
 * `collect` function instead and writes its samples with mtext_sample().
 */
#ifndef LIFEBOAT_METRICS_INT_H
#define LIFEBOAT_METRICS_INT_H

#include <stdbool.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "metrics_text.h"

/* One job as the metrics see it. */
struct metrics_job {
	const struct job *job;
	const char *kind;		/* job_kind_name() */
	json_t *status;			/* jobstatus_job(): last_run, last_good, failures, alerts, ... */
};

/* What every family is given. */
struct metrics_ctx {
	const struct config *cfg;
	time_t now;
	struct metrics_job *jobs;	/* one per configured job, in config order */
	size_t njobs;
	json_t *offsite;		/* offsite_status(): one object per target (an empty array with none) */
};

struct metric_family {
	const char *name;		/* lifeboat_..., with its unit as suffix (_seconds, _bytes) */
	const char *type;		/* "gauge" or "counter" */
	const char *help;
	/* Per job: *V for the job; false when the job has no value (never ran). */
	bool (*job_value)(const struct metrics_job *mj, double *v);
	/* Or: writes the family's samples itself (labels of its own). */
	void (*collect)(const struct metric_family *f, const struct metrics_ctx *ctx, struct mtext *t);
	/* For a collect function shared by several families: the member it reads. */
	const char *key;
};

extern const struct metric_family metric_families[];
extern const size_t metric_nfamilies;

/* Helpers for job_value functions. */
/* The RFC 3339 time at KEY of OBJ, as seconds since the epoch; false when absent or bad. */
bool metrics_json_time(json_t *obj, const char *key, double *v);
/* The number at KEY of OBJ; false when absent or not a number. */
bool metrics_json_number(json_t *obj, const char *key, double *v);

#endif

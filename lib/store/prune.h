/*
 * prune — retention applied to the store: turns a job's committed backups
 * into retention items, asks retention_plan() what to keep, and removes the
 * rest through store_remove() (record first, so an interrupted prune leaves
 * only orphans that store_clean() takes away).
 *
 * The caller holds the job's run lock: a prune never races a run of the
 * same job.
 */
#ifndef LIFEBOAT_PRUNE_H
#define LIFEBOAT_PRUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "retention.h"
#include "store.h"

struct prune_entry {
	char id[STORE_ID_MAX];
	char result[16];		/* the record's result */
	bool pinned;
	bool remove;			/* the decision */
	char reasons[RETENTION_REASONS_MAX];
};

struct prune_plan {
	struct prune_entry *v;		/* chronological */
	size_t n;
	size_t nremove;
};

/* Plans JOB's retention at NOW.  Returns 0 and *PLAN (free with
 * prune_plan_free), or a negative errno (logged). */
int prune_plan(struct store *st, const struct job *job, time_t now, struct prune_plan *plan);
void prune_plan_free(struct prune_plan *plan);

/* Removes the backups PLAN marks.  Returns the number removed, or a negative
 * errno after logging the first failure (the backups before it are gone). */
int prune_apply(struct store *st, const char *job, const struct prune_plan *plan);

#endif

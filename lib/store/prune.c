/*
 * prune — see prune.h.
 */
#include "prune.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "record.h"

/* When the backup was taken: the record's start, else its id's date. */
static time_t backup_time(const struct store_entry *e)
{
	struct tm tm = { 0 };
	time_t t;

	if (record_started_time(e->record, &t) == 0)
		return t;
	tm.tm_year = e->parts.year - 1900;
	tm.tm_mon = e->parts.month - 1;
	tm.tm_mday = e->parts.day;
	tm.tm_hour = 12;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

int prune_plan(struct store *st, const struct job *job, time_t now, struct prune_plan *plan)
{
	struct retention_decision *dec = NULL;
	struct retention_item *items = NULL;
	struct store_list l = { 0 };
	int r;

	memset(plan, 0, sizeof(*plan));
	r = store_list(st, job->name, &l);
	if (r < 0)
		return r;
	if (l.n == 0)
		return 0;
	items = calloc(l.n, sizeof(*items));
	dec = calloc(l.n, sizeof(*dec));
	plan->v = calloc(l.n, sizeof(*plan->v));
	if (!items || !dec || !plan->v) {
		r = -ENOMEM;
		log_error("job %s: prune: out of memory", job->name);
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		items[i].id = l.v[i].id;
		items[i].time = backup_time(&l.v[i]);
		items[i].good = store_record_is_good(l.v[i].record);
		items[i].pinned = l.v[i].pin != NULL;
		/* A parent that is not a backup id links nothing. */
		if (record_parent(l.v[i].record, &items[i].parent) < 0)
			items[i].parent = NULL;
	}
	r = retention_plan(items, l.n, &job->keep, now, dec);
	if (r < 0) {
		log_error("job %s: prune: cannot plan retention: %s", job->name, strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		struct prune_entry *p = &plan->v[i];
		const char *result = record_result(l.v[i].record);

		snprintf(p->id, sizeof(p->id), "%s", l.v[i].id);
		snprintf(p->result, sizeof(p->result), "%s", result ? result : "?");
		p->pinned = items[i].pinned;
		p->remove = dec[i].action == RETENTION_REMOVE;
		snprintf(p->reasons, sizeof(p->reasons), "%s", dec[i].reasons);
		plan->nremove += p->remove;
	}
	plan->n = l.n;
out:
	if (r < 0) {
		free(plan->v);
		plan->v = NULL;
	}
	free(items);
	free(dec);
	store_list_free(&l);
	return r;
}

void prune_plan_free(struct prune_plan *plan)
{
	free(plan->v);
	memset(plan, 0, sizeof(*plan));
}

int prune_apply(struct store *st, const char *job, const struct prune_plan *plan)
{
	int removed = 0, r;

	for (size_t i = 0; i < plan->n; i++) {
		if (!plan->v[i].remove)
			continue;
		r = store_remove(st, job, plan->v[i].id);
		if (r == -ENOENT)
			continue;	/* already gone: a prune that was interrupted */
		if (r < 0)
			return r;
		log_info("job %s: removed %s (%s)", job, plan->v[i].id, plan->v[i].reasons);
		removed++;
	}
	return removed;
}

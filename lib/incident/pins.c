/*
 * incident pins — keeps what the incident refers to: the newest good backup
 * of every job (the candidates for the clean restore) and every archived
 * backup of the logs jobs (the earlier periods an attacker would like
 * gone), pinned with store_pin and reason "incident STAMP", so retention
 * and prune never remove them.  A backup already pinned keeps its own pin
 * and reason.  The evidence itself lives in <store>/incidents/, which no
 * job listing, cleaning or prune enters (store_valid_job refuses the name).
 * Unpinning after the incident is the user's (`lifeboat unpin`).
 */
#include "incident.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static int pin_one(struct store *st, const struct store_entry *e, const char *reason, unsigned *pinned)
{
	int r;

	if (e->pin)
		return 0;
	r = store_pin(st, e->job, e->id, reason, time(NULL), NULL);
	if (r == 0)
		(*pinned)++;
	return r;
}

int incident_pin(const struct config *cfg, struct store *st, struct incident *inc, unsigned *pinned)
{
	char reason[64];
	int rc = 0;

	*pinned = 0;
	snprintf(reason, sizeof(reason), "incident %s", inc->stamp);
	for (size_t i = 0; i < cfg->njobs; i++) {
		const struct job *job = &cfg->jobs[i];
		struct store_list l;
		const struct store_entry *last = NULL;
		int r = store_list(st, job->name, &l);

		if (r < 0) {
			rc = r;
			continue;
		}
		for (size_t k = 0; k < l.n; k++) {
			if (store_record_is_good(l.v[k].record))
				last = &l.v[k];
			if (job->kind == JOB_LOGS && (r = pin_one(st, &l.v[k], reason, pinned)) < 0)
				rc = r;
		}
		if (last && job->kind != JOB_LOGS && (r = pin_one(st, last, reason, pinned)) < 0)
			rc = r;
		store_list_free(&l);
	}
	return rc;
}

/*
 * offsite_status — status facts of the offsite targets (see offsite_status.h).
 * A backup counts as offsite when the last sync saw it there or sent it
 * (status.json: the newest such id per job, and the ids it could not send);
 * everything committed locally after that is queued.
 */
#include "jobkind.h"
#include "offsite_status.h"
#include "offsite_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "record.h"
#include "store.h"
#include "timefmt.h"
#include "units.h"

static json_t *read_status(const struct config *cfg, const struct offsite *o)
{
	char path[2048], *text = NULL;
	json_t *j = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/offsite/%s/status.json", cfg->state_dir, o->name);
	if (fs_read_all(path, 1 << 22, &text, &len) == 0)
		j = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_object(j)) {
		json_decref(j);
		j = json_object();
	}
	return j;
}

static bool in_list(json_t *arr, const char *id)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), id))
			return true;
	return false;
}

/* The facts of JOB on target O; *HEALTH raised and WHY set on a lag. */
static json_t *job_facts(const struct config *cfg, struct store *st, const struct offsite *o, const struct job *job,
			 json_t *facts, time_t now, int *health, char *why, size_t whylen)
{
	struct store_list l = { 0 };
	const char *newest = json_string_value(json_object_get(facts, "newest"));
	json_t *missing = json_object_get(facts, "missing");
	struct store_id nid = { 0 };
	int64_t interval = schedule_interval(&job->schedule.when, now), lag = 0;
	const char *newest_pending = NULL;
	size_t queue = 0;
	json_t *out;

	(void)cfg;
	if (newest)
		store_id_parse(newest, &nid);
	if (st && store_list(st, job->name, &l) == 0) {
		for (size_t i = 0; i < l.n; i++) {
			const struct store_entry *e = &l.v[i];
			time_t fin;

			if (newest && store_id_compare(&e->parts, &nid) <= 0 && !in_list(missing, e->id))
				continue;
			queue++;
			newest_pending = e->id;
			if (record_finished(e->record) && timefmt_parse_rfc3339(record_finished(e->record), &fin) == 0 &&
			    now - fin > lag)
				lag = now - fin;
		}
	}
	out = json_pack("{s:s, s:I, s:s?, s:I}", "job", job->name, "queue", (json_int_t)queue,
			"newest_pending", newest_pending, "lag_seconds", (json_int_t)lag);
	if (queue && interval > 0 && lag > 2 * interval && *health < 1) {
		char a[32];

		units_format_age(lag, a, sizeof(a));
		*health = 1;
		snprintf(why, whylen, "offsite %s: job %s: %zu backup%s not offsite, the oldest for %s (more than 2 intervals)",
			 o->name, job->name, queue, queue == 1 ? "" : "s", a);
	}
	store_list_free(&l);
	return out;
}

json_t *offsite_status(const struct config *cfg, time_t now)
{
	json_t *arr = json_array();
	struct store *st = NULL;

	if (cfg->noffsites == 0)
		return arr;
	/* status never creates the store */
	if (access(cfg->store, F_OK) != 0 || store_open(cfg->store, &st) < 0)
		st = NULL;
	for (size_t i = 0; i < cfg->noffsites; i++) {
		const struct offsite *o = &cfg->offsites[i];
		json_t *s = read_status(cfg, o), *jobs = json_array(), *t;
		json_t *facts = json_object_get(s, "jobs");
		json_int_t failing = json_integer_value(json_object_get(s, "failing_since"));
		int health = 0;
		char why[600] = "";

		for (size_t j = 0; j < cfg->njobs; j++)
			/* A watch job keeps no backups: nothing of it goes offsite. */
			if (offsite_has_job(o, cfg->jobs[j].name) && !jobkind_of(&cfg->jobs[j])->no_backup)
				json_array_append_new(jobs, job_facts(cfg, st, o, &cfg->jobs[j],
								      json_object_get(facts, cfg->jobs[j].name), now,
								      &health, why, sizeof(why)));
		if (failing && now - failing > OFFSITE_FAILING_CRITICAL) {
			char a[32];

			units_format_age(now - failing, a, sizeof(a));
			health = 2;
			snprintf(why, sizeof(why), "offsite %s: uploads failing for %s: %.300s", o->name, a,
				 json_string_value(json_object_get(s, "last_error")) ?: "");
		}
		t = json_pack("{s:s, s:O?, s:O?, s:O?, s:O?, s:i, s:s, s:o}", "name", o->name,
			      "last_sync", json_object_get(s, "last_sync"), "last_ok", json_object_get(s, "last_ok"),
			      "last_error", json_object_get(s, "last_error"),
			      "failing_since", json_object_get(s, "failing_since"), "health", health, "why", why,
			      "jobs", jobs);
		json_array_append_new(arr, t);
		json_decref(s);
	}
	store_close(st);
	return arr;
}

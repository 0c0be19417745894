/*
 * jobstatus — see jobstatus.h.
 */
#include "jobstatus.h"

#include <string.h>

#include "alerts.h"
#include "drill.h"
#include "jobkind.h"
#include "jobstate.h"

json_t *jobstatus_job(const struct config *cfg, const struct job *job, time_t now)
{
	json_t *j, *state = NULL, *alerts = NULL;

	j = json_pack("{s:s, s:s, s:s, s:I}", "name", job->name, "kind", job_kind_name(job->kind),
		      "schedule", job->schedule.text,
		      "interval_seconds", (json_int_t)schedule_interval(&job->schedule.when, now));
	if (!j)
		return NULL;
	if (jobstate_load(cfg->state_dir, job->name, &state) < 0)
		json_object_set_new(j, "error", json_string("cannot read the job's state (see the log)"));
	json_object_set(j, "last_run", state && json_object_get(state, "last_run")
			? json_object_get(state, "last_run") : json_null());
	json_object_set(j, "last_good", state && json_object_get(state, "last_good")
			? json_object_get(state, "last_good") : json_null());
	json_object_set_new(j, "failures", json_integer(json_integer_value(json_object_get(state, "failures"))));
	json_decref(state);
	if (alerts_list(cfg->state_dir, job->name, &alerts) < 0)
		json_object_set_new(j, "error", json_string("cannot read the job's alerts (see the log)"));
	json_object_set_new(j, "alerts", alerts ? alerts : json_array());
	drill_status_add(cfg, job, now, j);
	/* The kind's own lines (a watch job's baseline); the daemon adds its own. */
	json_object_set_new(j, "notes", json_array());
	if (jobkind_of(job)->status_notes)
		jobkind_of(job)->status_notes(cfg, job, json_object_get(j, "notes"));
	return j;
}

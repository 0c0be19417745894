/*
 * metrics_families — the table of Lifeboat's metrics.  Adding one is a row
 * here (and a function when it is computed): see metrics_int.h.  Names follow
 * Prometheus's conventions: the lifeboat_ prefix, base units as suffix
 * (_seconds, _bytes), _timestamp_seconds for points in time, and one series
 * per possible value for an enumeration (lifeboat_job_last_run_result).
 *
 * Every per-job value is read from the job's status object (jobstatus.h),
 * its drills from the "drill" member drill_status_add() puts there, and the
 * offsite targets from offsite_status(): nothing else, so the metrics say
 * what `lifeboat status --json` says.
 */
#include "metrics_int.h"

#include <string.h>

#include "timefmt.h"

bool metrics_json_time(json_t *obj, const char *key, double *v)
{
	const char *s = json_string_value(json_object_get(obj, key));
	time_t t;

	if (!s || timefmt_parse_rfc3339(s, &t) < 0)
		return false;
	*v = (double)t;
	return true;
}

bool metrics_json_number(json_t *obj, const char *key, double *v)
{
	json_t *n = json_object_get(obj, key);

	if (!json_is_number(n))
		return false;
	*v = json_number_value(n);
	return true;
}

static json_t *last_run(const struct metrics_job *mj)
{
	json_t *r = json_object_get(mj->status, "last_run");

	return json_is_object(r) ? r : NULL;
}

static json_t *last_good(const struct metrics_job *mj)
{
	json_t *r = json_object_get(mj->status, "last_good");

	return json_is_object(r) ? r : NULL;
}

static bool last_success_time(const struct metrics_job *mj, double *v)
{
	return metrics_json_time(last_good(mj), "finished", v);
}

static bool last_run_time(const struct metrics_job *mj, double *v)
{
	return metrics_json_time(last_run(mj), "finished", v);
}

/* The run's own measure when it has one; a run the daemon recorded for a
 * child that died has only its start and end (whole seconds). */
static bool last_run_duration(const struct metrics_job *mj, double *v)
{
	double a, b;

	if (metrics_json_number(last_run(mj), "duration_seconds", v))
		return true;
	if (!metrics_json_time(last_run(mj), "started", &a) || !metrics_json_time(last_run(mj), "finished", &b))
		return false;
	*v = b - a;
	return true;
}

static bool last_success_size(const struct metrics_job *mj, double *v)
{
	return metrics_json_number(last_good(mj), "size_stored", v);
}

static bool last_run_waited(const struct metrics_job *mj, double *v)
{
	return metrics_json_number(json_object_get(last_run(mj), "throttle"), "waited_seconds", v);
}

static bool last_run_paused(const struct metrics_job *mj, double *v)
{
	return metrics_json_number(json_object_get(last_run(mj), "throttle"), "paused_seconds", v);
}

static bool last_run_backed_off(const struct metrics_job *mj, double *v)
{
	return metrics_json_number(json_object_get(last_run(mj), "throttle"), "backed_off_seconds", v);
}

static bool failures(const struct metrics_job *mj, double *v)
{
	return metrics_json_number(mj->status, "failures", v);
}

static bool open_alerts(const struct metrics_job *mj, double *v)
{
	*v = (double)json_array_size(json_object_get(mj->status, "alerts"));
	return true;
}

static bool interval(const struct metrics_job *mj, double *v)
{
	return metrics_json_number(mj->status, "interval_seconds", v);
}

/* One series per result a run can end with, 1 for the last run's. */
static void collect_result(const struct metric_family *f, const struct metrics_ctx *ctx, struct mtext *t)
{
	static const char *const results[] = { "ok", "partial", "failed", "cancelled" };

	for (size_t i = 0; i < ctx->njobs; i++) {
		const struct metrics_job *mj = &ctx->jobs[i];
		const char *res = json_string_value(json_object_get(last_run(mj), "result"));

		if (!res)
			continue;
		for (size_t k = 0; k < sizeof(results) / sizeof(results[0]); k++) {
			const char *labels[] = { "job", mj->job->name, "kind", mj->kind,
						 "result", results[k], NULL };

			mtext_sample(t, f->name, labels, strcmp(res, results[k]) == 0);
		}
	}
}

/* One series per open alert.  Its file and message come from the site (a
 * log's name, what was found in it): mtext escapes them. */
static void collect_alerts(const struct metric_family *f, const struct metrics_ctx *ctx, struct mtext *t)
{
	for (size_t i = 0; i < ctx->njobs; i++) {
		const struct metrics_job *mj = &ctx->jobs[i];
		json_t *alerts = json_object_get(mj->status, "alerts"), *a;
		size_t k;

		json_array_foreach(alerts, k, a) {
			const char *id = json_string_value(json_object_get(a, "id"));
			const char *type = json_string_value(json_object_get(a, "kind"));
			const char *file = json_string_value(json_object_get(a, "file"));
			const char *msg = json_string_value(json_object_get(a, "message"));
			double found = 0;
			const char *labels[] = { "job", mj->job->name, "kind", mj->kind,
						 "alert", id ? id : "", "type", type ? type : "",
						 "file", file ? file : "", "message", msg ? msg : "", NULL };

			metrics_json_time(a, "found", &found);
			mtext_sample(t, f->name, labels, found);
		}
	}
}

/* The job's drill facts (drill.h): "last" or "last_ok", when a drill job
 * covers the job and has drilled it. */
static json_t *drill_entry(const struct metrics_job *mj, const char *which)
{
	json_t *r = json_object_get(json_object_get(mj->status, "drill"), which);

	return json_is_object(r) ? r : NULL;
}

static bool drill_time(const struct metrics_job *mj, double *v)
{
	return metrics_json_time(drill_entry(mj, "last"), "finished", v);
}

static bool drill_ok_time(const struct metrics_job *mj, double *v)
{
	return metrics_json_time(drill_entry(mj, "last_ok"), "finished", v);
}

static bool drill_restore(const struct metrics_job *mj, double *v)
{
	return metrics_json_number(drill_entry(mj, "last"), "restore_seconds", v);
}

/* One series per result a drill can end with (drill_run.c), 1 for the last. */
static void collect_drill_result(const struct metric_family *f, const struct metrics_ctx *ctx, struct mtext *t)
{
	static const char *const results[] = { "ok", "failed" };

	for (size_t i = 0; i < ctx->njobs; i++) {
		const struct metrics_job *mj = &ctx->jobs[i];
		const char *res = json_string_value(json_object_get(drill_entry(mj, "last"), "result"));

		if (!res)
			continue;
		for (size_t k = 0; k < sizeof(results) / sizeof(results[0]); k++) {
			const char *labels[] = { "job", mj->job->name, "kind", mj->kind,
						 "result", results[k], NULL };

			mtext_sample(t, f->name, labels, strcmp(res, results[k]) == 0);
		}
	}
}

/* Per offsite target and job (offsite_status.h): the number at f->key of
 * the job's facts. */
static void collect_offsite_jobs(const struct metric_family *f, const struct metrics_ctx *ctx, struct mtext *t)
{
	json_t *o, *jf;
	size_t i, k;

	json_array_foreach(ctx->offsite, i, o) {
		const char *target = json_string_value(json_object_get(o, "name"));

		json_array_foreach(json_object_get(o, "jobs"), k, jf) {
			const char *job = json_string_value(json_object_get(jf, "job"));
			const char *labels[] = { "offsite", target ? target : "", "job", job ? job : "", NULL };
			double v;

			if (metrics_json_number(jf, f->key, &v))
				mtext_sample(t, f->name, labels, v);
		}
	}
}

/* Per offsite target: the number at f->key of its status (last_ok,
 * last_sync: seconds since the epoch; health). */
static void collect_offsite(const struct metric_family *f, const struct metrics_ctx *ctx, struct mtext *t)
{
	json_t *o;
	size_t i;

	json_array_foreach(ctx->offsite, i, o) {
		const char *target = json_string_value(json_object_get(o, "name"));
		const char *labels[] = { "offsite", target ? target : "", NULL };
		double v;

		if (metrics_json_number(o, f->key, &v))
			mtext_sample(t, f->name, labels, v);
	}
}

/* Per offsite target whose uploads fail: since when, the last error as a
 * label (a server's text: mtext escapes and cuts it). */
static void collect_offsite_failing(const struct metric_family *f, const struct metrics_ctx *ctx, struct mtext *t)
{
	json_t *o;
	size_t i;

	json_array_foreach(ctx->offsite, i, o) {
		const char *target = json_string_value(json_object_get(o, "name"));
		const char *err = json_string_value(json_object_get(o, "last_error"));
		const char *labels[] = { "offsite", target ? target : "", "error", err ? err : "", NULL };
		double v;

		if (metrics_json_number(o, "failing_since", &v))
			mtext_sample(t, f->name, labels, v);
	}
}

static void collect_written(const struct metric_family *f, const struct metrics_ctx *ctx, struct mtext *t)
{
	mtext_sample(t, f->name, NULL, (double)ctx->now);
}

const struct metric_family metric_families[] = {
	{ "lifeboat_job_last_success_timestamp_seconds", "gauge",
	  "When the job's newest good (ok) run finished, seconds since the epoch.", last_success_time, NULL, NULL },
	{ "lifeboat_job_last_run_timestamp_seconds", "gauge",
	  "When the job's last run finished, whatever its result.", last_run_time, NULL, NULL },
	{ "lifeboat_job_last_run_result", "gauge",
	  "1 for the result of the job's last run (ok, partial, failed, cancelled), 0 for the others.",
	  NULL, collect_result, NULL },
	{ "lifeboat_job_last_run_duration_seconds", "gauge",
	  "How long the job's last run took, waits included.", last_run_duration, NULL, NULL },
	{ "lifeboat_job_last_success_size_bytes", "gauge",
	  "Stored size of the job's newest good backup.", last_success_size, NULL, NULL },
	{ "lifeboat_job_last_run_throttle_waited_seconds", "gauge",
	  "How long throttling held the job's last run at its start (gate and run slot).", last_run_waited, NULL, NULL },
	{ "lifeboat_job_last_run_throttle_paused_seconds", "gauge",
	  "How long throttling paused the job's last run while it ran.", last_run_paused, NULL, NULL },
	{ "lifeboat_job_last_run_throttle_backed_off_seconds", "gauge",
	  "How long the adaptive pace held the job's last run back: from each cut (the site's latency rose) until its rate was back.",
	  last_run_backed_off, NULL, NULL },
	{ "lifeboat_job_consecutive_failures", "gauge",
	  "Failed runs of the job since its last good one.", failures, NULL, NULL },
	{ "lifeboat_job_schedule_interval_seconds", "gauge",
	  "Nominal time between two scheduled runs of the job (status --check warns past two).", interval, NULL, NULL },
	{ "lifeboat_job_open_alerts", "gauge",
	  "Alerts of the job not yet acknowledged (lifeboat ack).", open_alerts, NULL, NULL },
	{ "lifeboat_alert_open_timestamp_seconds", "gauge",
	  "One series per open alert: when it was found.", NULL, collect_alerts, NULL },
	{ "lifeboat_job_last_drill_timestamp_seconds", "gauge",
	  "When the last drill (a verified restore) of the job's backup finished.", drill_time, NULL, NULL },
	{ "lifeboat_job_last_drill_result", "gauge",
	  "1 for the result of the job's last drill (ok, failed), 0 for the other.", NULL, collect_drill_result, NULL },
	{ "lifeboat_job_last_drill_restore_seconds", "gauge",
	  "How long the restore of the job's last drill took.", drill_restore, NULL, NULL },
	{ "lifeboat_job_last_drill_success_timestamp_seconds", "gauge",
	  "When the job's newest passing drill finished.", drill_ok_time, NULL, NULL },
	{ "lifeboat_offsite_queue_backups", "gauge",
	  "Backups of the job committed locally and not yet on the offsite target.", NULL, collect_offsite_jobs, "queue" },
	{ "lifeboat_offsite_lag_seconds", "gauge",
	  "How long the oldest backup of the job not yet offsite has waited (0 when none waits).",
	  NULL, collect_offsite_jobs, "lag_seconds" },
	{ "lifeboat_offsite_last_success_timestamp_seconds", "gauge",
	  "When the last sync to the offsite target ended without an error.", NULL, collect_offsite, "last_ok" },
	{ "lifeboat_offsite_last_sync_timestamp_seconds", "gauge",
	  "When the last sync to the offsite target ended, whatever its result.", NULL, collect_offsite, "last_sync" },
	{ "lifeboat_offsite_failing_since_timestamp_seconds", "gauge",
	  "For an offsite target whose syncs fail: since when; label error holds the last error.",
	  NULL, collect_offsite_failing, NULL },
	{ "lifeboat_offsite_health", "gauge",
	  "Health of the offsite target as status shows it: 0 OK, 1 WARNING (a job lags), 2 CRITICAL (failing a day).",
	  NULL, collect_offsite, "health" },
	{ "lifeboat_metrics_written_timestamp_seconds", "gauge",
	  "When Lifeboat last wrote this file.", NULL, collect_written, NULL },
};

const size_t metric_nfamilies = sizeof(metric_families) / sizeof(metric_families[0]);

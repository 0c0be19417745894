/*
 * metrics_families — the table of Lifeboat's metrics.  Adding one is a row
 * here (and a function when it is computed): see metrics_int.h.  Names follow
 * Prometheus's conventions: the lifeboat_ prefix, base units as suffix
 * (_seconds, _bytes), _timestamp_seconds for points in time, and one series
 * per possible value for an enumeration (lifeboat_job_last_run_result).
 *
 * Every per-job value is read from the job's status object (jobstatus.h),
 * nothing else, so the metrics say what `lifeboat status --json` says.
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

static void collect_written(const struct metric_family *f, const struct metrics_ctx *ctx, struct mtext *t)
{
	mtext_sample(t, f->name, NULL, (double)ctx->now);
}

const struct metric_family metric_families[] = {
	{ "lifeboat_job_last_success_timestamp_seconds", "gauge",
	  "When the job's newest good (ok) run finished, seconds since the epoch.", last_success_time, NULL },
	{ "lifeboat_job_last_run_timestamp_seconds", "gauge",
	  "When the job's last run finished, whatever its result.", last_run_time, NULL },
	{ "lifeboat_job_last_run_result", "gauge",
	  "1 for the result of the job's last run (ok, partial, failed, cancelled), 0 for the others.",
	  NULL, collect_result },
	{ "lifeboat_job_last_run_duration_seconds", "gauge",
	  "How long the job's last run took, waits included.", last_run_duration, NULL },
	{ "lifeboat_job_last_success_size_bytes", "gauge",
	  "Stored size of the job's newest good backup.", last_success_size, NULL },
	{ "lifeboat_job_last_run_throttle_waited_seconds", "gauge",
	  "How long throttling held the job's last run at its start (gate and run slot).", last_run_waited, NULL },
	{ "lifeboat_job_last_run_throttle_paused_seconds", "gauge",
	  "How long throttling paused the job's last run while it ran.", last_run_paused, NULL },
	{ "lifeboat_job_consecutive_failures", "gauge",
	  "Failed runs of the job since its last good one.", failures, NULL },
	{ "lifeboat_job_schedule_interval_seconds", "gauge",
	  "Nominal time between two scheduled runs of the job (status --check warns past two).", interval, NULL },
	{ "lifeboat_job_open_alerts", "gauge",
	  "Alerts of the job not yet acknowledged (lifeboat ack).", open_alerts, NULL },
	{ "lifeboat_alert_open_timestamp_seconds", "gauge",
	  "One series per open alert: when it was found.", NULL, collect_alerts },
	{ "lifeboat_metrics_written_timestamp_seconds", "gauge",
	  "When Lifeboat last wrote this file.", NULL, collect_written },
};

const size_t metric_nfamilies = sizeof(metric_families) / sizeof(metric_families[0]);

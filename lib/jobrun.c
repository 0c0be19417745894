/*
 * jobrun — see jobrun.h.  The kinds plug in as run_<kind>(), each writing its
 * artifact(s) into an open store transaction and returning the kind's facts
 * for the record; everything around them (lock, transaction, record, state)
 * is shared.
 */
#include "jobrun.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "compress.h"
#include "dbconn.h"
#include "dbdump.h"
#include "jobstate.h"
#include "log.h"
#include "prune.h"
#include "throttle.h"
#include "timefmt.h"
#include "units.h"

/* Shared by the pieces of one run. */
struct run {
	const struct config *cfg;
	const struct job *job;
	const struct jobrun_opts *opts;
	struct store_txn *txn;
	struct store_artifact *artifact;	/* the artifact being written */
	struct zwriter *zw;			/* compressing into it */
	struct timespec t0;			/* start, monotonic */
	struct timespec last_progress;		/* when progress was last reported */
	uint64_t stored;			/* bytes written to the artifact */
	struct throttle throttle;		/* gate, pauses, io_limit */
	const char *what;			/* current object, for progress */
	uint64_t estimated;
};

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static bool cancelled(const struct run *run)
{
	return run->opts && run->opts->cancel && *run->opts->cancel;
}

static void report(struct run *run, bool force)
{
	struct jobrun_progress p;

	if (!run->opts || !run->opts->progress)
		return;
	/* At most a few times a second: a display need not be busier. */
	if (!force && since(&run->last_progress) < 0.25)
		return;
	clock_gettime(CLOCK_MONOTONIC, &run->last_progress);
	p.job = run->job->name;
	p.what = run->what;
	p.bytes_in = run->zw ? zwriter_bytes_in(run->zw) : 0;
	p.bytes_out = run->zw ? zwriter_bytes_out(run->zw) : 0;
	p.estimated = run->estimated;
	p.elapsed = since(&run->t0);
	run->opts->progress(run->opts->progress_ctx, &p);
}

static int artifact_sink(void *ctx, const void *buf, size_t len)
{
	struct run *run = ctx;

	run->stored += len;
	throttle_io(&run->throttle, len);
	return store_artifact_write(run->artifact, buf, len);
}

/* ---- db ------------------------------------------------------------------ */

static int db_write(void *ctx, const void *buf, size_t len)
{
	struct run *run = ctx;

	if (cancelled(run)) {
		log_error("job %s: cancelled", run->job->name);
		return -ECANCELED;
	}
	/* The SQL text stands for what was read from the server. */
	throttle_io(&run->throttle, len);
	return zwriter_write(run->zw, buf, len);
}

static void db_progress(void *ctx, const struct dbdump_progress *p)
{
	struct run *run = ctx;
	static char what[300];

	if (p->database && p->table)
		snprintf(what, sizeof(what), "%s.%s", p->database, p->table);
	else
		snprintf(what, sizeof(what), "%s", p->database ? p->database : "");
	run->what = what;
	run->estimated = p->estimated_bytes;
	report(run, false);
}

static int db_between_chunks(void *ctx)
{
	struct run *run = ctx;

	if (throttle_between_chunks(&run->throttle) < 0 || cancelled(run)) {
		log_error("job %s: cancelled", run->job->name);
		return -ECANCELED;
	}
	return 0;
}

static int run_db(struct run *run, json_t *record)
{
	struct dbdump_opts o = {
		.job = run->job,
		.write = db_write, .write_ctx = run,
		.progress = db_progress, .progress_ctx = run,
		.between_chunks = db_between_chunks, .between_ctx = run,
	};
	json_t *facts = NULL;
	MYSQL *my;
	int r;

	r = dbconn_open(run->job, NULL, &my);
	if (r < 0)
		return r;
	r = store_artifact_open(run->txn, "sql.zst", &run->artifact);
	if (r == 0)
		r = zwriter_open((int)run->job->tuning.compress_level, (int)run->job->tuning.compress_threads,
				 artifact_sink, run, &run->zw);
	if (r == 0)
		r = dbdump_run(my, &o, &facts);
	mysql_close(my);
	if (r < 0)
		return r;
	json_object_set_new(record, "size_raw", json_integer((json_int_t)zwriter_bytes_in(run->zw)));
	r = zwriter_close(run->zw);
	run->zw = NULL;
	if (r == 0)
		r = store_artifact_finish(run->artifact);
	run->artifact = NULL;
	json_object_set_new(record, "size_stored", json_integer((json_int_t)run->stored));
	json_object_set_new(record, "db", facts);
	return r;
}

/* The size this db run will take in the store: the tables' space on the
 * server times the ratio stored/space of the last good run (1 for a first run:
 * better to refuse early than to fill the disk). */
static int estimate_db(const struct job *job, struct store *st, uint64_t *bytes)
{
	struct store_entry e;
	uint64_t space;
	double ratio = 1.0;
	MYSQL *my;
	int r;

	r = dbconn_open(job, NULL, &my);
	if (r < 0)
		return r;
	r = dbdump_estimate(my, job, &space);
	mysql_close(my);
	if (r < 0)
		return r;
	if (store_get(st, job->name, "latest", &e) == 0) {
		json_int_t stored = json_integer_value(json_object_get(e.record, "size_stored"));
		json_int_t before = json_integer_value(json_object_get(json_object_get(e.record, "db"),
								       "estimated_bytes"));

		if (stored > 0 && before > 0)
			ratio = (double)stored / (double)before;
		store_entry_free(&e);
	}
	*bytes = (uint64_t)((double)space * ratio);
	return 0;
}

/* Refuses a run that would leave less than min_free on the store's
 * filesystem: before anything is written, and without deleting anything. */
static int space_guard(const struct config *cfg, const struct job *job, struct store *st)
{
	char avail_s[32], need_s[32], keep_s[32], keep_desc[64];
	uint64_t estimate = 0, avail, total, keep;
	struct statvfs sv;
	int r;

	switch (job->kind) {
	case JOB_DB:
		r = estimate_db(job, st, &estimate);
		break;
	default:
		r = 0;
		break;
	}
	if (r < 0)
		return r;
	if (statvfs(cfg->store, &sv) < 0) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "job %s: %s: cannot read the free space", job->name, cfg->store);
		return r;
	}
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	total = (uint64_t)sv.f_blocks * sv.f_frsize;
	keep = cfg->min_free.is_percent ? (uint64_t)((double)total * cfg->min_free.percent / 100.0)
					: cfg->min_free.bytes;
	if (avail >= estimate && avail - estimate >= keep)
		return 0;
	units_format_size_human(avail, avail_s, sizeof(avail_s));
	units_format_size_human(estimate, need_s, sizeof(need_s));
	units_format_size_human(keep, keep_s, sizeof(keep_s));
	if (cfg->min_free.is_percent)
		snprintf(keep_desc, sizeof(keep_desc), "%g%% (%s)", cfg->min_free.percent, keep_s);
	else
		snprintf(keep_desc, sizeof(keep_desc), "%s", keep_s);
	log_error("job %s: not enough space in %s: %s free, this run needs about %s and min_free keeps %s free; nothing was written",
		  job->name, cfg->store, avail_s, need_s, keep_desc);
	return -ENOSPC;
}

/* The record's "throttle": the throttle's facts, plus the wait for a run slot
 * counted in the time the job waited to start. */
static void throttle_facts_set(const struct throttle *t, json_t *record, double slot_waited)
{
	json_t *facts = throttle_facts(t);

	json_object_set_new(facts, "slot_waited_seconds", json_real(slot_waited));
	json_object_set_new(facts, "waited_seconds",
			    json_real(json_real_value(json_object_get(facts, "waited_seconds")) + slot_waited));
	json_object_set_new(record, "throttle", facts);
}

/* Retention after a good backup.  A failure here does not undo the backup. */
static void auto_prune(const struct config *cfg, struct store *st, const struct job *job)
{
	struct prune_plan plan;
	int lockfd, r;

	if (jobstate_lock_retention(cfg->state_dir, job->name, &lockfd) < 0)
		return;
	if (prune_plan(st, job, time(NULL), &plan) < 0) {
		log_warn("job %s: the backup is good, but retention could not be planned", job->name);
		jobstate_unlock(lockfd);
		return;
	}
	if (plan.nremove) {
		r = prune_apply(st, job->name, &plan);
		if (r < 0)
			log_warn("job %s: the backup is good, but pruning old ones failed", job->name);
	}
	prune_plan_free(&plan);
	jobstate_unlock(lockfd);
}

/* ---- the run around the kinds ------------------------------------------- */

static json_t *run_summary(const char *result, const char *started, const char *id, const char *error)
{
	char finished[TIMEFMT_RFC3339_LEN];

	timefmt_rfc3339(time(NULL), finished);
	return json_pack("{s:s, s:s, s:s, s:s*, s:s*}", "result", result, "started", started,
			 "finished", finished, "id", id, "error", error);
}

int jobrun(const struct config *cfg, const struct job *job, const struct jobrun_opts *opts,
	   struct jobrun_result *res)
{
	struct run run = { .cfg = cfg, .job = job, .opts = opts };
	char started[TIMEFMT_RFC3339_LEN], finished[TIMEFMT_RFC3339_LEN];
	struct store *st = NULL;
	json_t *record = NULL, *summary;
	time_t now = time(NULL);
	int lockfd = -1, slotfd = -1, r;
	double slot_waited = 0;

	memset(res, 0, sizeof(*res));
	log_clear_last_error();
	clock_gettime(CLOCK_MONOTONIC, &run.t0);
	timefmt_rfc3339(now, started);

	r = jobstate_lock(cfg->state_dir, job->name, &lockfd);
	if (r < 0)
		return r;	/* not a failed run: the other one is running */
	throttle_apply_priority(job);
	/* The gate first: a job waiting for a quieter server must not hold the
	 * run slot that another job could use meanwhile. */
	r = throttle_init(&run.throttle, job, NULL, opts ? opts->cancel : NULL);
	if (r == 0)
		r = throttle_gate(&run.throttle);
	if (r == 0)
		r = jobstate_take_slot(cfg->state_dir, cfg->parallel_jobs, opts ? opts->cancel : NULL,
				       &slotfd, &slot_waited);
	if (r == -ECANCELED)
		log_error("job %s: cancelled before it started", job->name);
	if (r == 0)
		r = store_open(cfg->store, &st);
	if (r == 0)
		r = space_guard(cfg, job, st);
	if (r == 0)
		r = store_begin(st, job->name, job_kind_name(job->kind), now, &run.txn);
	if (r == 0) {
		record = json_object();
		if (!record)
			r = -ENOMEM;
	}
	if (r == 0) {
		switch (job->kind) {
		case JOB_DB:
			r = run_db(&run, record);
			break;
		default:
			log_error("job %s: %s jobs are not available in this version", job->name,
				  job_kind_name(job->kind));
			r = -ENOSYS;
			break;
		}
	}
	if (r == 0) {
		timefmt_rfc3339(time(NULL), finished);
		json_object_set_new(record, "started", json_string(started));
		json_object_set_new(record, "finished", json_string(finished));
		json_object_set_new(record, "result", json_string("ok"));
		json_object_set_new(record, "duration_seconds", json_real(since(&run.t0)));
		throttle_facts_set(&run.throttle, record, slot_waited);
		snprintf(res->id, sizeof(res->id), "%s", store_txn_id(run.txn));
		res->bytes_in = (uint64_t)json_integer_value(json_object_get(record, "size_raw"));
		res->bytes_out = run.stored;
		r = store_commit(run.txn, record);
		run.txn = NULL;
		if (r == 0)
			auto_prune(cfg, st, job);
	}
	report(&run, true);
	zwriter_free(run.zw);
	run.zw = NULL;
	if (run.txn)
		store_abort(run.txn);
	store_close(st);
	json_decref(record);
	res->seconds = since(&run.t0);

	if (r == 0)
		summary = run_summary("ok", started, res->id, NULL);
	else
		summary = run_summary("failed", started, NULL,
				      *log_last_error() ? log_last_error() : strerror(-r));
	if (summary) {
		jobstate_record_run(cfg->state_dir, job->name, summary);
		json_decref(summary);
	}
	throttle_close(&run.throttle);
	jobstate_unlock(slotfd);
	jobstate_unlock(lockfd);
	return r;
}

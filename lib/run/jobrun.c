/*
 * jobrun — see jobrun.h.  The kinds plug in through the kind table
 * (jobkind.h), each writing its artifact(s) into an open store transaction
 * and returning the kind's facts for the record; everything around them
 * (lock, transaction, record, state) is shared, and asks the job's
 * jobkind_ops for what differs.
 */
#include "jobrun.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "jobkind.h"
#include "jobstate.h"
#include "log.h"
#include "prune.h"
#include "throttle.h"
#include "timefmt.h"
#include "units.h"
#include "metrics.h"

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Refuses a run that would leave less than min_free on the store's
 * filesystem: before anything is written, and without deleting anything. */
static int space_guard(const struct config *cfg, const struct job *job, struct store *st)
{
	const struct jobkind_ops *ops = jobkind_of(job);
	char avail_s[32], need_s[32], keep_s[32], keep_desc[64];
	uint64_t estimate = 0, avail, total, keep;
	struct statvfs sv;
	int r = 0;

	if (ops->estimate)
		r = ops->estimate(job, st, &estimate);
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

static json_t *run_summary(const char *result, const char *started, const char *id, const char *error,
			   uint64_t size_stored, json_t *warnings, const struct throttle *t)
{
	char finished[TIMEFMT_RFC3339_LEN];
	json_t *j;

	timefmt_rfc3339(time(NULL), finished);
	j = json_pack("{s:s, s:s, s:s, s:s*, s:s*}", "result", result, "started", started,
		      "finished", finished, "id", id, "error", error);
	if (j && id)
		json_object_set_new(j, "size_stored", json_integer((json_int_t)size_stored));
	if (j && warnings)
		json_object_set(j, "warnings", warnings);
	/* How long throttling held the run back, for status; and, with the
	 * adaptive pace, how long it held the rate down after its cuts (none
	 * when the run ended before the pace was first judged). */
	if (j) {
		json_t *facts = throttle_facts(t);
		json_t *ctl = json_object_get(facts, "controller");
		json_t *backed = json_object_get(ctl, "backed_off_seconds");

		json_object_set_new(j, "throttle", json_pack("{s:O?, s:O?}", "waited_seconds",
				    json_object_get(facts, "waited_seconds"), "paused_seconds",
				    json_object_get(facts, "paused_seconds")));
		if (json_is_object(ctl))
			json_object_set_new(json_object_get(j, "throttle"), "backed_off_seconds",
					    backed ? json_incref(backed) : json_real(0));
		json_decref(facts);
	}
	return j;
}

/* Which side of the host's dump lock JOB takes, if any. */
static enum jobkind_dump_lock dump_lock_of(const struct job *job)
{
	const struct jobkind_ops *ops = jobkind_of(job);

	return ops->dump_lock ? ops->dump_lock(job) : JOBKIND_DUMP_LOCK_NONE;
}

int jobrun(const struct config *cfg, const struct job *job, const struct jobrun_opts *opts,
	   struct jobrun_result *res)
{
	struct throttle throttle;
	struct jobkind k = { .cfg = cfg, .job = job, .opts = opts, .throttle = &throttle };
	char started[TIMEFMT_RFC3339_LEN], finished[TIMEFMT_RFC3339_LEN];
	json_t *record = NULL, *summary, *facts = NULL;
	time_t now = time(NULL);
	int lockfd = -1, slotfd = -1, dumpfd = -1, r;
	double slot_waited = 0, dump_waited = 0;

	memset(res, 0, sizeof(*res));
	log_clear_last_error();
	clock_gettime(CLOCK_MONOTONIC, &k.t0);
	timefmt_rfc3339(now, started);

	r = jobstate_lock(cfg->state_dir, job->name, &lockfd);
	if (r < 0) {
		res->busy = r == -EBUSY;
		return r;	/* not a failed run: the other one is running */
	}
	/* The gate first: a job waiting for a quieter server must not hold the
	 * run slot that another job could use meanwhile.  The throttle starts
	 * before the job takes its nice and I/O class: its measuring thread
	 * (adapt.h) keeps the site's priority, or its canary would time our
	 * own wait for a CPU rather than the site's. */
	r = throttle_init(&throttle, job, NULL, opts ? opts->cancel : NULL);
	throttle_apply_priority(job);
	/* A private bucket is still a limit: not a reason to skip a backup. */
	if (r == 0 && throttle_share_io(&throttle, cfg->state_dir) < 0)
		log_warn("job %s: io_limit applies to this job alone this time", job->name);
	if (r == 0)
		r = throttle_gate(&throttle);
	if (r == 0)
		r = jobstate_take_slot(cfg->state_dir, cfg->parallel_jobs, opts ? opts->cancel : NULL,
				       &slotfd, &slot_waited);
	if (r == 0 && dump_lock_of(job) != JOBKIND_DUMP_LOCK_NONE) {
		r = jobstate_lock_dbdump(cfg->state_dir, dump_lock_of(job) == JOBKIND_DUMP_LOCK_SHARED,
					 opts ? opts->cancel : NULL,
					 &dumpfd, &dump_waited);
		slot_waited += dump_waited;
	}
	if (r == -ECANCELED)
		log_info("job %s: cancelled before it started", job->name);
	if (r == 0)
		r = store_open(cfg->store, &k.st);
	if (r == 0 && !jobkind_of(job)->no_backup)
		r = space_guard(cfg, job, k.st);
	if (r == 0 && !jobkind_of(job)->no_backup)
		r = store_begin(k.st, job->name, job_kind_name(job->kind), now, &k.txn);
	if (r == 0) {
		record = json_object();
		if (!record)
			r = -ENOMEM;
	}
	if (r == 0)
		r = jobkind_of(job)->run(&k, record);
	res->alerts = k.alerts;
	snprintf(res->summary, sizeof(res->summary), "%s", k.summary);
	if (r == 0 && jobkind_of(job)->no_backup) {
		res->partial = k.partial;
		facts = json_incref(record);
	} else if (r == 0) {
		timefmt_rfc3339(time(NULL), finished);
		json_object_set_new(record, "started", json_string(started));
		json_object_set_new(record, "finished", json_string(finished));
		json_object_set_new(record, "result", json_string(k.failed ? "failed" : k.partial ? "partial" : "ok"));
		if (k.warnings)
			json_object_set(record, "warnings", k.warnings);
		json_object_set_new(record, "duration_seconds", json_real(since(&k.t0)));
		throttle_facts_set(&throttle, record, slot_waited);
		snprintf(res->id, sizeof(res->id), "%s", store_txn_id(k.txn));
		res->bytes_in = (uint64_t)json_integer_value(json_object_get(record, "size_raw"));
		res->bytes_out = (uint64_t)json_integer_value(json_object_get(record, "size_stored"));
		res->partial = k.partial;
		r = store_commit(k.txn, record);
		k.txn = NULL;
		if (r == 0)
			auto_prune(cfg, k.st, job);
	}
	jobkind_progress(&k, true);
	if (k.txn)
		store_abort(k.txn);
	store_close(k.st);
	json_decref(record);
	res->seconds = since(&k.t0);

	if (r == 0 && k.failed)
		/* Committed (a drill's record of what it found), but a failure. */
		summary = run_summary("failed", started, res->id, k.failed_why, res->bytes_out, NULL, &throttle);
	else if (r == 0)
		summary = run_summary(k.partial ? "partial" : "ok", started, res->id[0] ? res->id : NULL, NULL,
				      res->bytes_out, k.warnings, &throttle);
	else if (r == -ECANCELED)
		/* Asked to stop: not a failure of the backup, nor a good one. */
		summary = run_summary("cancelled", started, NULL, "cancelled: asked to stop", 0, NULL, &throttle);
	else
		summary = run_summary("failed", started, NULL,
				      *log_last_error() ? log_last_error() : strerror(-r), 0, NULL, &throttle);
	if (summary && facts)
		json_object_set_new(summary, "facts", facts);
	else
		json_decref(facts);
	if (summary) {
		json_object_set_new(summary, "duration_seconds", json_real(res->seconds));
		jobstate_record_run(cfg->state_dir, job->name, summary);
		json_decref(summary);
	}
	metrics_write(cfg);
	json_decref(k.warnings);
	throttle_close(&throttle);
	jobstate_unlock(dumpfd);
	jobstate_unlock(slotfd);
	jobstate_unlock(lockfd);
	return r == 0 && k.failed ? -EBADMSG : r;
}

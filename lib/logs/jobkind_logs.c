/*
 * jobkind_logs — the logs kind (jobkind_logs_ops, see jobkind.h): its config
 * keys, its run (logship.h does the work into the open transaction; this file
 * connects it to the job's throttle, progress and record) and its restore of
 * every log, as archived up to a backup, into a new or empty directory.
 */
#include "jobkind.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "diskcanary.h"
#include "log.h"
#include "logs_verify.h"
#include "logship.h"
#include "units.h"

static void logs_io(void *ctx, uint64_t n)
{
	struct jobkind *k = ctx;

	throttle_io(k->throttle, n);
}

static int logs_between(void *ctx)
{
	struct jobkind *k = ctx;

	if (throttle_between_chunks(k->throttle) < 0 || jobkind_cancelled(k)) {
		log_error("job %s: cancelled", k->job->name);
		return -ECANCELED;
	}
	return 0;
}

static void logs_progress(void *ctx, const char *what, uint64_t bytes_in, uint64_t files)
{
	struct jobkind *k = ctx;

	k->what = what;
	k->bytes_in = bytes_in;
	if (files)
		k->files = files;
	jobkind_progress(k, false);
}

static void logs_partial(void *ctx, const char *msg)
{
	jobkind_partial(ctx, "%s", msg);
}

static int logs_run(struct jobkind *k, json_t *record)
{
	struct logship_opts o = {
		.job = k->job->name,
		.state_dir = k->cfg->state_dir,
		.paths = &k->job->logs.paths,
		.verify_every = k->job->logs.verify_every,
		.now = time(NULL),
		.level = (int)k->job->tuning.compress_level,
		.threads = (int)k->job->tuning.compress_threads,
		.paced_block = jobkind_paced_block(k),
		.st = k->st,
		.hooks = { .ctx = k, .io = logs_io, .between = logs_between, .progress = logs_progress,
			   .partial = logs_partial },
	};
	struct logship_result res;
	int r;

	r = logship_run(&o, k->txn, &res);
	k->what = NULL;
	if (r < 0)
		return r;
	k->bytes_out = res.size_stored;
	json_object_set_new(record, "size_raw", json_integer((json_int_t)res.size_raw));
	json_object_set_new(record, "size_stored", json_integer((json_int_t)res.size_stored));
	/* retention keeps every backup a kept one needs: a logs backup needs
	 * its whole chain to be restored. */
	if (res.parent[0])
		json_object_set_new(record, "parent", json_string(res.parent));
	json_object_set_new(record, "logs", res.facts);
	k->alerts = res.alerts;
	if (res.alerts)
		log_warn("job %s: %u tamper alert(s) raised; see lifeboat status, clear with lifeboat ack %s",
			 k->job->name, res.alerts, k->job->name);
	return 0;
}

/* ---- the kind's ops ---------------------------------------------------------- */

static enum jobkind_dump_lock logs_dump_lock(const struct job *job)
{
	return job->tuning.exclusive ? JOBKIND_DUMP_LOCK_EXCLUSIVE : JOBKIND_DUMP_LOCK_NONE;
}

/* Every log as archived up to the backup, under TO->dir. */
static int logs_restore(const struct config *cfg, const struct job *job, struct store *st,
			const struct store_entry *e, const struct jobkind_target *to, FILE *out)
{
	uint64_t files, bytes, read;
	char size[32];
	int r;

	(void)cfg;
	r = logship_restore(st, job->name, e->id, to->dir, &files, &bytes, &read);
	if (r < 0) {
		log_error("restore of %s %s into %s failed", job->name, e->id, to->dir);
		return r;
	}
	units_format_size_human(bytes, size, sizeof(size));
	fprintf(out, "restored %s %s into %s: %" PRIu64 " log(s), %s\n", job->name, e->id, to->dir, files, size);
	fprintf(out, "read %" PRIu64 " bytes from the store (each artifact once)\n", read);
	return 0;
}

static const struct config_key logs_keys[] = {
	{ "paths", KT_LIST, CONFIG_JOB(logs.paths), 0, 0, NULL, true,
	  "log files (absolute globs)", NULL },
	{ "verify_every", KT_DURATION, CONFIG_JOB(logs.verify_every), 0, 0, "24h", false,
	  "time between full re-hashes of the archived prefix of each log", NULL },
};

static const char *const logs_tuning[] = { "exclusive", NULL };

/* One tar of new log segments; back to the job's first backup, however
 * long (logs_verify.c checks the tar against the record's segments). */
static const struct kind_layout logs_layout = {
	.name = "logs",
	.ext = { [RECORD_ARTIFACT_MAIN] = "tar.zst" },
	.chain = KIND_CHAIN_FIRST,
	.max_chain = 0,
	.check = logs_verify_check,
};

/* The adaptive throttle times small direct reads of the logs and watches the
 * latency of the device holding them: the directory of the first path, up
 * to its first wildcard. */
static bool logs_data_path(const struct job *job, void *canary_state, char *buf, size_t len)
{
	char *slash;

	(void)canary_state;
	if (!job->logs.paths.n || (size_t)snprintf(buf, len, "%s", job->logs.paths.v[0]) >= len)
		return false;
	buf[strcspn(buf, "*?[")] = '\0';
	slash = strrchr(buf, '/');
	if (!slash)
		return false;
	slash[slash == buf ? 1 : 0] = '\0';
	return true;
}

/* The canary reads the logs of that directory (and whatever else is there). */
static int logs_canary_open(const struct job *job, void **state)
{
	char dir[4096];

	return diskcanary_open(job->name, logs_data_path(job, NULL, dir, sizeof(dir)) ? dir : "", state);
}

static const struct throttle_canary_def logs_canary = {
	.name = DISKCANARY_NAME,
	.open = logs_canary_open,
	.sample = diskcanary_sample,
	.close = diskcanary_close,
};

static const struct throttle_kind logs_throttle = {
	.canary = &logs_canary,
	.data_path = logs_data_path,
};

const struct jobkind_ops jobkind_logs_ops = {
	.name = "logs",
	.layout = &logs_layout,
	.keys = logs_keys,
	.nkeys = sizeof(logs_keys) / sizeof(logs_keys[0]),
	.tuning = logs_tuning,
	.run = logs_run,
	.throttle = &logs_throttle,
	.dump_lock = logs_dump_lock,
	.target = JOBKIND_TO_DIR,
	.restore = logs_restore,
};

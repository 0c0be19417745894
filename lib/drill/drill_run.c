/*
 * drill_run — the drill kind (jobkind_drill_ops, see jobkind.h): a fire
 * drill that proves, on a schedule, that backups restore.  For each job of
 * `of` (default: every job whose kind restores) it takes that job's run lock
 * (so a job is never drilled while it runs, and does not run while drilled),
 * restores the job's newest good backup with the kind's own restore op — the
 * code of `lifeboat restore` — into scratch space (a database
 * lifeboat_drill_<job> on the restore server, or a fresh directory under
 * scratch_dir), times it (the RTO), notes the backup's age (the RPO), has
 * the kind's comparison recompute what the record promises (drill_db.c,
 * drill_files.c, drill_logs.c), and removes the scratch copy, whatever
 * happened.  A leftover of a killed drill (scratch directory or database)
 * is removed by the next drill before it restores.
 *
 * Only one drill runs at a time on a host (locks/drills, waited for), and a
 * drill is throttled like any job (jobrun's gate, slot, nice; io_limit and
 * load pauses while it hashes what was restored).
 *
 * The run's record (drill_record.c builds the entries) holds, per job, the
 * backup drilled, the result, the restore seconds, what was compared and the
 * first difference; its artifact is the drill's report as text.  A drill
 * that found a difference, or could not restore, commits its record and the
 * run fails (jobkind.failed): CRITICAL in status, and on_failure runs.
 *
 * What it does not do: restore a db dump of several databases (the restore
 * op refuses them: such a drill fails saying so), or throttle the restore
 * itself beyond the process's nice and I/O class.
 */
#include "jobkind.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "drill_int.h"
#include "fsutil.h"
#include "jobstate.h"
#include "log.h"
#include "timefmt.h"
#include "units.h"

#define DRILL_POLL_US 200000	/* while waiting for a lock */

int drill_differs(struct drill_one *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->diff[0]) {
		va_start(ap, fmt);
		vsnprintf(d->diff, sizeof(d->diff), fmt, ap);
		va_end(ap);
		log_error("drill %s: job %s, backup %s: %s", d->k->job->name, d->job->name, d->e.id, d->diff);
	}
	return -EBADMSG;
}

/* The per-kind comparisons, by the kind's name. */
static const struct {
	const char *kind;
	int (*compare)(struct drill_one *d);
} comparisons[] = {
	{ "db", drill_db_compare },
	{ "files", drill_files_compare },
	{ "logs", drill_logs_compare },
};

static int (*compare_of(const struct job *job))(struct drill_one *)
{
	for (size_t i = 0; i < sizeof(comparisons) / sizeof(comparisons[0]); i++)
		if (strcmp(comparisons[i].kind, job_kind_name(job->kind)) == 0)
			return comparisons[i].compare;
	return NULL;
}

/* A job a drill can drill: its kind restores, and we know how to compare. */
static bool drillable(const struct job *job)
{
	const struct jobkind_ops *ops = jobkind_of(job);

	return ops && ops->restore && compare_of(job);
}

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- locks ------------------------------------------------------------------ */

/* One drill at a time on this host: locks/drills, waited for. */
static int lock_drills(struct jobkind *k, int *fd)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/locks", k->cfg->state_dir);
	if (fs_mkdirs(path, 0700) < 0 || snprintf(path, sizeof(path), "%s/locks/drills", k->cfg->state_dir) < 0)
		return -EIO;
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0) {
		int e = errno;

		log_err(LOG_LVL_ERROR, e, "drill %s: %s: cannot open the drills' lock", k->job->name, path);
		return -e;
	}
	for (bool said = false; flock(*fd, LOCK_EX | LOCK_NB) < 0; said = true) {
		if (errno != EWOULDBLOCK || jobkind_cancelled(k)) {
			int e = errno == EWOULDBLOCK ? ECANCELED : errno;

			close(*fd);
			*fd = -1;
			return -e;
		}
		if (!said)
			log_info("drill %s: another drill is running; waiting for it", k->job->name);
		usleep(DRILL_POLL_US);
	}
	return 0;
}

/* The run lock of the backup job JOB, waited for while it runs (the run
 * shows "waiting" meanwhile). */
static int lock_job(struct jobkind *k, const struct job *job, int *fd)
{
	char what[300];
	int r;

	snprintf(what, sizeof(what), "%s: waiting for its lock", job->name);
	k->what = what;
	jobkind_progress(k, true);
	r = jobstate_lock_wait(k->cfg->state_dir, job->name, k->opts ? k->opts->cancel : NULL, fd);
	k->what = NULL;
	return r;
}

/* ---- one job's drill ---------------------------------------------------------- */

/* Where D's restore goes; leftovers of the same name are gone first. */
static int prepare_target(struct drill_one *d, struct jobkind_target *to)
{
	const struct jobkind_ops *ops = jobkind_of(d->job);

	memset(to, 0, sizeof(*to));
	if (ops->target == JOBKIND_TO_DATABASE) {
		drill_db_name(d->job->name, d->database);
		to->database = d->database;
		return drill_db_drop(d);
	}
	if ((size_t)snprintf(d->scratch, sizeof(d->scratch), "%s/" DRILL_PREFIX "%s", d->k->job->drill.scratch_dir,
			     d->job->name) >= sizeof(d->scratch) ||
	    (size_t)snprintf(d->tree, sizeof(d->tree), "%s/restored", d->scratch) >= sizeof(d->tree)) {
		log_error("drill %s: %s: scratch path too long", d->k->job->name, d->k->job->drill.scratch_dir);
		return -ENAMETOOLONG;
	}
	if (fs_remove_tree(AT_FDCWD, d->scratch) < 0 || mkdir(d->scratch, 0700) < 0) {
		int e = errno;

		log_err(LOG_LVL_ERROR, e, "drill %s: %s: cannot make the scratch directory", d->k->job->name,
			d->scratch);
		return -e;
	}
	to->dir = d->tree;
	return 0;
}

/* Removes D's scratch copy, whatever happened; false when something stayed. */
static bool remove_scratch(struct drill_one *d)
{
	if (d->database[0])
		return drill_db_drop(d) == 0;
	if (d->scratch[0] && fs_remove_tree(AT_FDCWD, d->scratch) < 0) {
		log_err(LOG_LVL_WARN, errno, "drill %s: %s: the scratch copy could not be removed (the next drill removes it)",
			d->k->job->name, d->scratch);
		return false;
	}
	return true;
}

/* The text a restore op printed, into the report. */
static void restore_output(FILE *report, const char *text)
{
	if (text && *text)
		fprintf(report, "%s", text);
}

/* Drills JOB; its entry of the record into *ENTRY.  A negative return is
 * only for a cancel or no memory: a failed drill is an entry. */
static int drill_job(struct jobkind *k, struct store *st, const struct job *job, FILE *report, json_t **entry)
{
	const struct jobkind_ops *ops = jobkind_of(job);
	struct drill_one d = { .k = k };
	struct job copy = *job;
	struct jobkind_target to;
	struct timespec t0;
	char *out = NULL, finished[TIMEFMT_RFC3339_LEN], what[300];
	size_t outlen = 0;
	double restore_s = -1, check_s = -1;
	int64_t rpo = -1;
	bool removed = true;
	time_t made;
	FILE *mem;
	int lockfd = -1, r;

	/* db restores go to the drill's restore_host, else the job's own. */
	if (ops->target == JOBKIND_TO_DATABASE && k->job->drill.restore_host)
		copy.db.restore_host = k->job->drill.restore_host;
	d.job = &copy;
	d.compared = json_object();
	if (!d.compared)
		return -ENOMEM;
	log_clear_last_error();

	r = lock_job(k, job, &lockfd);
	if (r == -ECANCELED) {
		json_decref(d.compared);
		return r;
	}
	if (r < 0)
		drill_differs(&d, "cannot take the job's run lock");
	if (r == 0 && store_get(st, job->name, "latest", &d.e) < 0)
		r = drill_differs(&d, "no good backup to drill");
	if (r == 0 && timefmt_parse_rfc3339(json_string_value(json_object_get(d.e.record, "finished")) ?: "",
					    &made) == 0)
		rpo = (int64_t)(time(NULL) - made);
	if (r == 0)
		r = prepare_target(&d, &to);
	if (r < 0 && !d.diff[0])
		drill_differs(&d, "cannot prepare the scratch space: %s", *log_first_error() ? log_first_error() : strerror(-r));

	/* The restore: the kind's own op, as `lifeboat restore` runs it. */
	if (r == 0) {
		snprintf(what, sizeof(what), "%s: restoring %s", job->name, d.e.id);
		k->what = what;
		jobkind_progress(k, true);
		mem = open_memstream(&out, &outlen);
		if (!mem) {
			r = -ENOMEM;
			drill_differs(&d, "out of memory");
		} else {
			clock_gettime(CLOCK_MONOTONIC, &t0);
			r = ops->restore(k->cfg, &copy, st, &d.e, &to, mem);
			restore_s = since(&t0);
			fclose(mem);
			restore_output(report, out);
			free(out);
			if (r == JOBKIND_RESTORE_PARTIAL)
				r = 0;	/* what it could not put back shows in the comparison */
			if (r < 0)
				drill_differs(&d, "the restore failed: %s",
					      *log_first_error() ? log_first_error() : strerror(-r));
		}
	}
	if (r == 0 && jobkind_cancelled(k))
		r = -ECANCELED;
	/* What the record promises, recomputed from the copy. */
	if (r == 0) {
		snprintf(what, sizeof(what), "%s: comparing %s", job->name, d.e.id);
		k->what = what;
		jobkind_progress(k, true);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = compare_of(job)(&d);
		check_s = since(&t0);
		if (r < 0 && r != -ECANCELED && !d.diff[0])
			drill_differs(&d, "the comparison failed: %s",
				      *log_first_error() ? log_first_error() : strerror(-r));
	}
	removed = remove_scratch(&d);
	if (lockfd >= 0)
		jobstate_unlock(lockfd);
	k->what = NULL;
	if (r == -ECANCELED || jobkind_cancelled(k)) {
		store_entry_free(&d.e);
		json_decref(d.compared);
		return -ECANCELED;
	}

	timefmt_rfc3339(time(NULL), finished);
	*entry = json_pack("{s:s, s:s, s:s*, s:s, s:s}", "job", job->name, "kind", job_kind_name(job->kind),
			   "backup", d.e.id[0] ? d.e.id : NULL, "finished", finished,
			   "result", d.diff[0] ? "failed" : "ok");
	if (!*entry) {
		store_entry_free(&d.e);
		json_decref(d.compared);
		return -ENOMEM;
	}
	json_object_set_new(*entry, "restore_seconds", restore_s >= 0 ? json_real(restore_s) : json_null());
	json_object_set_new(*entry, "check_seconds", check_s >= 0 ? json_real(check_s) : json_null());
	json_object_set_new(*entry, "rpo_seconds", rpo >= 0 ? json_integer(rpo) : json_null());
	json_object_set_new(*entry, "backup_finished", json_incref(json_object_get(d.e.record, "finished")) ?: json_null());
	json_object_set_new(*entry, "compared", d.compared);
	json_object_set_new(*entry, "difference", d.diff[0] ? json_string(d.diff) : json_null());
	json_object_set_new(*entry, "target", json_string(d.database[0] ? d.database : d.tree[0] ? d.tree : ""));
	json_object_set_new(*entry, "scratch_removed", json_boolean(removed));

	fprintf(report, "%s %s (%s): %s", job->name, d.e.id[0] ? d.e.id : "-", job_kind_name(job->kind),
		d.diff[0] ? "FAILED" : "ok");
	if (restore_s >= 0)
		fprintf(report, ", restored in %.2f s", restore_s);
	if (rpo >= 0)
		fprintf(report, ", backup %lld s old", (long long)rpo);
	fprintf(report, "\n");
	if (d.diff[0])
		fprintf(report, "  first difference: %s\n", d.diff);
	store_entry_free(&d.e);
	return 0;
}

/* ---- the run ----------------------------------------------------------------------- */

static int write_report(struct jobkind *k, const char *text, size_t len)
{
	struct store_artifact *a;
	int r;

	r = store_artifact_open(k->txn, "txt", &a);
	if (r < 0)
		return r;
	r = store_artifact_write(a, text, len);
	if (r == 0)
		r = store_artifact_finish(a);
	k->bytes_out += len;
	return r;
}

static int drill_run(struct jobkind *k, json_t *record)
{
	const struct drill_job *dj = &k->job->drill;
	const struct config *cfg = k->cfg;
	char *text = NULL;
	size_t len = 0;
	json_t *jobs = json_array();
	unsigned passed = 0, failed = 0;
	FILE *report;
	int lockfd = -1, r;

	if (!jobs)
		return -ENOMEM;
	r = lock_drills(k, &lockfd);
	if (r == 0)
		r = drill_scratch_clean(dj->scratch_dir, k->job->name);
	report = r == 0 ? open_memstream(&text, &len) : NULL;
	if (r == 0 && !report)
		r = -ENOMEM;
	if (report)
		fprintf(report, "Lifeboat drill %s\n\n", k->job->name);
	for (size_t i = 0; i < cfg->njobs && r == 0; i++) {
		const struct job *job = &cfg->jobs[i];
		bool chosen = dj->of.n == 0;
		json_t *entry = NULL;

		for (size_t j = 0; j < dj->of.n; j++)
			chosen = chosen || strcmp(dj->of.v[j], job->name) == 0;
		if (!chosen || !drillable(job))
			continue;
		r = throttle_between_chunks(k->throttle);
		if (r == 0 && jobkind_cancelled(k))
			r = -ECANCELED;
		if (r == 0)
			r = drill_job(k, k->st, job, report, &entry);
		if (r < 0)
			break;
		json_object_set_new(entry, "drill", json_string(k->job->name));
		json_object_set_new(entry, "record", json_string(store_txn_id(k->txn)));
		if (drill_state_update(cfg->state_dir, job->name, entry) < 0)
			log_warn("drill %s: job %s: status will not show this drill", k->job->name, job->name);
		if (json_object_get(entry, "difference") && !json_is_null(json_object_get(entry, "difference"))) {
			failed++;
			if (!k->failed) {
				k->failed = true;
				snprintf(k->failed_why, sizeof(k->failed_why), "drill of %s failed: %s", job->name,
					 json_string_value(json_object_get(entry, "difference")));
			}
		} else {
			passed++;
		}
		json_array_append_new(jobs, entry);
	}
	if (report) {
		if (r == 0 && json_array_size(jobs) == 0)
			fprintf(report, "no job to drill\n");
		fclose(report);
	}
	if (r == 0)
		r = write_report(k, text ? text : "", len);
	free(text);
	if (r == 0) {
		json_object_set_new(record, "size_raw", json_integer(0));
		json_object_set_new(record, "size_stored", json_integer((json_int_t)k->bytes_out));
		json_object_set_new(record, "drill", json_pack("{s:o, s:i, s:i}", "jobs", jobs, "passed", passed,
							       "failed", failed));
		jobs = NULL;
		if (k->failed)
			log_error("drill %s: %s", k->job->name, k->failed_why);
	}
	json_decref(jobs);
	if (lockfd >= 0)
		close(lockfd);
	return r;
}

/* ---- config ---------------------------------------------------------------------- */

static const struct config_key drill_keys[] = {
	{ "of", KT_LIST, CONFIG_JOB(drill.of), 0, 0, NULL, false,
	  "jobs whose newest good backup is drilled (default: every db, files and logs job)", NULL },
	{ "scratch_dir", KT_PATH, CONFIG_JOB(drill.scratch_dir), 0, 0, "/var/tmp/lifeboat-drill", false,
	  "files and logs restores go under this directory", NULL },
	{ "restore_host", KT_STRING, CONFIG_JOB(drill.restore_host), 0, 0, NULL, false,
	  "db restores go to this server (default: the job's restore_host, else its own)", NULL },
};

static void drill_check(struct config_check *c, struct job *job)
{
	const struct config *cfg = config_check_config(c);

	for (size_t i = 0; i < job->drill.of.n; i++) {
		const struct job *t = config_job(cfg, job->drill.of.v[i]);

		if (!t)
			config_check_error(c, config_check_line(c, "of"), "of", "no job named '%s'", job->drill.of.v[i]);
		else if (!drillable(t))
			config_check_error(c, config_check_line(c, "of"), "of",
					   "'%s' is a %s job, which a drill cannot restore (db, files and logs jobs can)",
					   t->name, job_kind_name(t->kind));
	}
	if (job->drill.restore_host && !*job->drill.restore_host)
		config_check_error(c, config_check_line(c, "restore_host"), "restore_host", "empty");
}

/* A drill's record and its report; it stands alone. */
static const struct kind_layout drill_layout = {
	.name = "drill",
	.noun = "drill record",
	.ext = { [RECORD_ARTIFACT_MAIN] = "txt" },
	.chain = KIND_CHAIN_SELF,
	.max_chain = 1,
};

const struct jobkind_ops jobkind_drill_ops = {
	.name = "drill",
	.layout = &drill_layout,
	.keys = drill_keys,
	.nkeys = sizeof(drill_keys) / sizeof(drill_keys[0]),
	.check = drill_check,
	.run = drill_run,
};

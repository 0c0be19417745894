/*
 * jobkind_watch — the watch kind (jobkind_watch_ops, see jobkind.h): its
 * config keys and their checks, and its run, a check: the live tree of the
 * files job against the baseline's index (watch_baseline.h,
 * watch_compare.h), the report and the alerts (watch_report.h).  A check
 * writes no backup (no_backup): what it found goes to the state dir, its
 * counts to the run's facts.  The daemon's triggers (on_change,
 * every_requests) are the daemon's; this file only runs a check.
 */
#include "jobkind.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fileindex.h"
#include "log.h"
#include "timefmt.h"
#include "watch_baseline.h"
#include "watch_compare.h"
#include "watch_flags.h"
#include "watch_report.h"

static int check_between(void *ctx)
{
	struct jobkind *k = ctx;

	if (throttle_between_chunks(k->throttle) < 0 || jobkind_cancelled(k)) {
		log_error("job %s: cancelled", k->job->name);
		return -ECANCELED;
	}
	k->files++;
	jobkind_progress(k, false);
	return 0;
}

static void check_read(void *ctx, uint64_t n)
{
	struct jobkind *k = ctx;

	throttle_io(k->throttle, n);
	k->bytes_in += n;
}

static json_t *report_of(const struct jobkind *k, const char *root, const char *source, const struct watch_baseline *b,
			 const struct wc_list *l, unsigned counts[4])
{
	char now[TIMEFMT_RFC3339_LEN];
	json_t *items = json_array(), *j;

	memset(counts, 0, 4 * sizeof(unsigned));
	for (size_t i = 0; i < l->n; i++) {
		counts[l->v[i].change]++;
		if (watch_flags_critical(l->v[i].flags))
			counts[3]++;
		json_array_append_new(items, watch_item_json(&l->v[i]));
	}
	timefmt_rfc3339(time(NULL), now);
	j = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:b, s:I, s:I, s:I, s:I, s:I, s:I,"
		      " s:{s:i, s:i, s:i, s:i}, s:o}",
		      "job", k->job->name, "checked", now, "root", root, "files_job", source,
		      "baseline", "id", b->id, "how", b->how, "set", b->set, "files_job", source,
		      "paranoid", k->job->watch.paranoid,
		      "entries", (json_int_t)l->entries, "hashed", (json_int_t)l->hashed,
		      "bytes_hashed", (json_int_t)l->bytes_hashed, "meta_only", (json_int_t)l->meta_only,
		      "excluded", (json_int_t)l->excluded, "errors", (json_int_t)l->errors,
		      "counts", "added", counts[WC_ADDED], "removed", counts[WC_REMOVED],
		      "changed", counts[WC_CHANGED], "critical", counts[3], "items", items);
	if (j && l->error_list)
		json_object_set(j, "error_list", l->error_list);
	return j;
}

static int watch_run(struct jobkind *k, json_t *record)
{
	const struct job *w = k->job;
	const char *source = w->watch.originals ? w->watch.originals : w->watch.files;
	struct wc_tree_opts o;
	struct watch_baseline b;
	struct fileindex fi;
	struct wc_list l;
	unsigned counts[4], raised = 0;
	json_t *report = NULL;
	int r;

	fileindex_init(&fi);
	wc_list_init(&l);
	r = watch_tree_of(k->cfg, w, &o);
	if (r == 0) {
		o.between = check_between;
		o.read_bytes = check_read;
		o.ctx = k;
		r = watch_baseline_index(k->cfg, k->st, w, true, &o, &b, &fi);
	}
	if (r == 0)
		r = watch_compare_tree(&o, &fi, &l);
	if (r == 0) {
		report = report_of(k, o.root, source, &b, &l, counts);
		json_object_set_new(report, "duration_seconds", json_real(jobkind_elapsed(k)));
		r = report ? watch_report_write(k->cfg->state_dir, w->name, report) : -ENOMEM;
	}
	if (r == 0) {
		char key[PATH_MAX + 32];

		/* The alerts' memory belongs to one baseline. */
		snprintf(key, sizeof(key), "%s%s", w->watch.originals ? "originals:" : "", w->watch.originals ? w->watch.originals : b.id);
		r = watch_report_alerts(k->cfg->state_dir, w->name, key, &l, &raised);
	}
	if (r == 0) {
		k->alerts = raised;
		snprintf(k->summary, sizeof(k->summary),
			 "checked %" PRIu64 " entries against %s %s (%s): %u added, %u removed, %u changed, %u critical; %u new alert(s)",
			 l.entries, source, b.id, b.how, counts[WC_ADDED], counts[WC_REMOVED], counts[WC_CHANGED],
			 counts[3], raised);
		log_info("job %s: %s", w->name, k->summary);
		json_object_set_new(record, "watch",
				    json_pack("{s:s, s:s, s:I, s:I, s:i, s:i, s:i, s:i, s:i}", "baseline", b.id,
					      "baseline_how", b.how, "entries", (json_int_t)l.entries,
					      "hashed", (json_int_t)l.hashed, "added", counts[WC_ADDED],
					      "removed", counts[WC_REMOVED], "changed", counts[WC_CHANGED],
					      "critical", counts[3], "new_alerts", raised));
		if (l.errors)
			jobkind_partial(k, "%" PRIu64 " path(s) could not be read (see lifeboat watch report %s)",
					l.errors, w->name);
		if (raised)
			log_warn("job %s: %u new alert(s); see lifeboat status, clear with lifeboat ack %s",
				 w->name, raised, w->name);
	}
	k->what = NULL;
	json_decref(report);
	wc_list_free(&l);
	fileindex_free(&fi);
	return r;
}

/* files names a files job, or path and originals two trees; requests_from
 * a logs job, with every_requests. */
static void watch_check(struct config_check *c, struct job *job)
{
	const struct config *cfg = config_check_config(c);
	const struct job *f = job->watch.files ? config_job(cfg, job->watch.files) : NULL;
	const struct job *l = job->watch.requests_from ? config_job(cfg, job->watch.requests_from) : NULL;
	const struct watch_job *w = &job->watch;

	if (w->files && (w->path || w->originals))
		config_check_error(c, config_check_line(c, "files"), "files",
				   "set either files = JOB or path + originals, not both");
	else if (!w->files && !(w->path && w->originals))
		config_check_error(c, config_check_line(c, w->path ? "path" : "originals"),
				   w->path ? "originals" : w->originals ? "path" : "files",
				   "missing (a watch job needs files = JOB, or path = DIR and originals = DIR)");
	else if (w->files && (!f || f->kind != JOB_FILES))
		config_check_error(c, config_check_line(c, "files"), "files",
				   "'%s' is not a files job of this config (the watched tree and its baselines)",
				   w->files);
	if (w->paranoid && w->originals)
		config_check_error(c, config_check_line(c, "paranoid"), "paranoid",
				   "with originals every file is read at every check already");
	if (w->every_requests && !w->requests_from)
		config_check_error(c, config_check_line(c, "every_requests"), "every_requests",
				   "needs requests_from = LOGSJOB (whose access logs count the requests)");
	if (w->requests_from && (!l || l->kind != JOB_LOGS))
		config_check_error(c, config_check_line(c, "requests_from"), "requests_from",
				   "'%s' is not a logs job of this config", w->requests_from);
}

/* "baseline: site 2026/12/backup-03-01, chosen automatically" (from the
 * state dir only: status does not open the store). */
static void watch_status_notes(const struct config *cfg, const struct job *job, json_t *notes)
{
	struct watch_baseline b;
	char line[256];

	if (job->watch.originals)
		snprintf(line, sizeof(line), "baseline: the originals in %s (every file read at each check)",
			 job->watch.originals);
	else if (watch_baseline_get(cfg, NULL, job, false, &b) == 0)
		snprintf(line, sizeof(line), "baseline: %s %s, %s", job->watch.files, b.id, b.how);
	else
		snprintf(line, sizeof(line), "baseline: none yet (the first check chooses %s's newest good backup)",
			 job->watch.files);
	json_array_append_new(notes, json_string(line));
}

static const struct config_key watch_keys[] = {
	{ "files", KT_STRING, CONFIG_JOB(watch.files), 0, 0, NULL, false,
	  "the files job: its path is watched, its backups are the baselines", NULL },
	{ "path", KT_PATH, CONFIG_JOB(watch.path), 0, 0, NULL, false,
	  "instead of files: the tree to watch ...", NULL },
	{ "originals", KT_PATH, CONFIG_JOB(watch.originals), 0, 0, NULL, false,
	  "... against this trusted copy of it (work from originals)", NULL },
	{ "exclude", KT_LIST, CONFIG_JOB(watch.exclude), 0, 0, NULL, false,
	  "globs, relative to the path, not to check (on top of the files job's)", NULL },
	{ "paranoid", KT_BOOL, CONFIG_JOB(watch.paranoid), 0, 0, "no", false,
	  "rehash every file on every check instead of trusting stat", NULL },
	{ "on_change", KT_BOOL, CONFIG_JOB(watch.on_change), 0, 0, "no", false,
	  "lifeboatd checks soon after files change (inotify)", NULL },
	{ "max_watches", KT_INT, CONFIG_JOB(watch.max_watches), 1, 1000000, "8192", false,
	  "directories on_change watches at most; beyond, scheduled checks only", NULL },
	{ "debounce", KT_DURATION, CONFIG_JOB(watch.debounce_s), 0, 3600, "0", false,
	  "quiet time after a file event before the check (0 = 300 ms)", NULL },
	{ "every_requests", KT_COUNT, CONFIG_JOB(watch.every_requests), 0, 1000000000, "0", false,
	  "a check per this many new lines in requests_from's logs; 0 = off", NULL },
	{ "requests_from", KT_STRING, CONFIG_JOB(watch.requests_from), 0, 0, NULL, false,
	  "the logs job whose access logs count requests", NULL },
};

static const struct kind_layout watch_layout = {
	.name = "watch",
	.noun = "watch check",
};

const struct jobkind_ops jobkind_watch_ops = {
	.name = "watch",
	.layout = &watch_layout,
	.no_backup = true,
	.keys = watch_keys,
	.nkeys = sizeof(watch_keys) / sizeof(watch_keys[0]),
	.check = watch_check,
	.run = watch_run,
	.status_notes = watch_status_notes,
	.target = JOBKIND_TO_DIR,
};

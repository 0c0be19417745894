/*
 * incident changes — incident_changes(): the list of changes for the
 * evidence, changes.json, made with the watch module's compare
 * (lib/watch/watch_compare.h), so an incident lists what a watch check and
 * `lifeboat diff` would, with the same risk flags.
 *
 * For every watch job: what a check finds now, the live tree against the
 * job's baseline (its files backup, or its originals), as the baseline
 * stands — the incident never chooses or moves a baseline.  For every files
 * job no watch job covers (or whose watch job has no baseline yet): the
 * evidence snapshot just captured (its index files-JOB.index.zst, every
 * file's hash already there) against the index of the job's newest good
 * backup; with no evidence snapshot, the live tree instead.  A job with
 * nothing to compare with is listed with "baseline": null and an "error".
 *
 * Each change is watch_item_json()'s object (path escaped, change, what,
 * flags, severity, signature, old/new, target) plus, for readers of the
 * earlier format (incident_suggest reads "mtime"), the side that is there
 * now (the old one for a removal) as type, size, mode, uid, gid, mtime
 * (seconds), sha256, and "differs", the names of what changed.
 * It writes no alert and no watch report: that is a watch check's.
 */
#include "incident.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileindex.h"
#include "jobkind.h"
#include "log.h"
#include "watch_baseline.h"
#include "watch_compare.h"
#include "watch_flags.h"

/* One change: watch's item and the earlier format's keys. */
static json_t *item_json(const struct wc_item *it)
{
	const struct fi_entry *e = it->has_new ? &it->cur : &it->old;
	json_t *j = watch_item_json(it), *differs;
	char mode[8], type[2] = { e->type, 0 }, what[128];

	if (!j)
		return NULL;
	snprintf(mode, sizeof(mode), "%04o", (unsigned)e->mode);
	json_object_set_new(j, "type", json_string(type));
	json_object_set_new(j, "size", json_integer((json_int_t)e->size));
	json_object_set_new(j, "mode", json_string(mode));
	json_object_set_new(j, "uid", json_integer((json_int_t)e->uid));
	json_object_set_new(j, "gid", json_integer((json_int_t)e->gid));
	json_object_set_new(j, "mtime", json_integer((json_int_t)e->mtime_s));
	if (e->has_sha) {
		char hex[SHA256_HEX_LEN + 1];

		sha256_hex(e->sha, hex);
		json_object_set_new(j, "sha256", json_string(hex));
	}
	if (it->change == WC_CHANGED && (differs = json_array())) {
		watch_what_text(it->what, what, sizeof(what));
		for (char *s = what, *tok; (tok = strsep(&s, ","));)
			if (*tok)
				json_array_append_new(differs, json_string(tok));
		json_object_set_new(j, "differs", differs);
	}
	return j;
}

/* L's items and counts into J; *N grows by the items.  -ENOMEM or 0. */
static int list_into(json_t *j, const struct wc_list *l, uint64_t *n)
{
	uint64_t count[3] = { 0 }, critical = 0;
	json_t *list = json_array();

	for (size_t i = 0; i < l->n && list; i++) {
		json_t *c = item_json(&l->v[i]);

		if (!c || json_array_append_new(list, c) < 0) {
			json_decref(list);
			return -ENOMEM;
		}
		count[l->v[i].change]++;
		critical += watch_flags_critical(l->v[i].flags) ? 1 : 0;
	}
	if (!list)
		return -ENOMEM;
	json_object_set_new(j, "added", json_integer((json_int_t)count[WC_ADDED]));
	json_object_set_new(j, "changed", json_integer((json_int_t)count[WC_CHANGED]));
	json_object_set_new(j, "removed", json_integer((json_int_t)count[WC_REMOVED]));
	json_object_set_new(j, "critical", json_integer((json_int_t)critical));
	json_object_set_new(j, "entries", json_integer((json_int_t)l->entries));
	json_object_set_new(j, "errors", json_integer((json_int_t)l->errors));
	if (l->error_list)
		json_object_set(j, "error_list", l->error_list);
	json_object_set_new(j, "changes", list);
	*n += l->n;
	return 0;
}

static void set_error(json_t *j, const char *why)
{
	if (!json_object_get(j, "baseline"))
		json_object_set_new(j, "baseline", json_null());
	json_object_set_new(j, "error", json_string(why));
}

/* Watch job W: a check's findings against its baseline.  *COVERED when
 * it had one.  NULL on ENOMEM. */
static json_t *compare_watch(const struct config *cfg, struct store *st, const struct job *w, bool *covered,
			     uint64_t *n)
{
	struct wc_tree_opts o;
	struct watch_baseline b;
	struct fileindex base;
	struct wc_list l;
	json_t *j;
	int r;

	*covered = false;
	j = json_pack("{s:s, s:s}", "job", w->watch.files ? w->watch.files : w->name, "watch", w->name);
	if (!j)
		return NULL;
	fileindex_init(&base);
	wc_list_init(&l);
	r = watch_tree_of(cfg, w, &o);
	if (r < 0) {
		set_error(j, "the watch job's tree is not known (see the log)");
		return j;
	}
	json_object_set_new(j, "path", json_string(o.root));
	r = watch_baseline_index(cfg, st, w, false, &o, &b, &base);
	if (r == -ENOENT) {
		set_error(j, "the watch job has no baseline yet");
	} else if (r < 0) {
		set_error(j, "the baseline's index could not be read (see the log)");
	} else {
		json_object_set_new(j, "baseline", json_string(b.id));
		json_object_set_new(j, "baseline_how", json_string(b.how));
		json_object_set_new(j, "compared", json_string("the live tree against the watch job's baseline"));
		r = watch_compare_tree(&o, &base, &l);
		if (r < 0)
			set_error(j, "the live tree could not be compared (see the log)");
		*covered = r >= 0;
		if (r >= 0 && list_into(j, &l, n) < 0) {
			json_decref(j);
			j = NULL;
		}
	}
	wc_list_free(&l);
	fileindex_free(&base);
	return j;
}

/* Files job JOB: the evidence snapshot (else the live tree) against its
 * newest good backup.  NULL on ENOMEM. */
static json_t *compare_files(struct store *st, const struct job *job, struct incident *inc, uint64_t *n)
{
	struct fileindex live, base;
	struct store_entry e;
	char path[INCIDENT_FILE_MAX];
	struct wc_list l;
	json_t *j;
	int r;

	j = json_pack("{s:s, s:s}", "job", job->name, "path", job->files.path);
	if (!j)
		return NULL;
	if (store_get(st, job->name, "latest", &e) < 0) {
		set_error(j, "the job has no good backup to compare with");
		return j;
	}
	json_object_set_new(j, "baseline", json_string(e.id));
	fileindex_init(&live);
	fileindex_init(&base);
	wc_list_init(&l);
	r = watch_index_load(st, job->name, e.id, &base);
	store_entry_free(&e);
	snprintf(path, sizeof(path), "%s/files-%s.index.zst", inc->dir, job->name);
	if (r < 0) {
		set_error(j, "the backup's index could not be read (see the log)");
	} else if (access(path, F_OK) == 0) {
		json_object_set_new(j, "compared", json_string("the evidence snapshot against the newest good backup"));
		r = fileindex_load(&live, path, NULL);
		if (r == 0)
			r = watch_compare_index(&base, &live, &l);
		if (r < 0)
			set_error(j, "the evidence snapshot's index could not be compared (see the log)");
	} else {
		struct wc_tree_opts o = { .root = job->files.path, .exclude = &job->files.exclude,
					  .one_file_system = job->files.one_file_system };

		json_object_set_new(j, "compared", json_string("the live tree (no evidence snapshot) against the newest good backup"));
		r = watch_compare_tree(&o, &base, &l);
		if (r < 0)
			set_error(j, "the live tree could not be compared (see the log)");
	}
	if (r == 0 && list_into(j, &l, n) < 0) {
		json_decref(j);
		j = NULL;
	}
	wc_list_free(&l);
	fileindex_free(&live);
	fileindex_free(&base);
	return j;
}

int incident_changes(const struct config *cfg, struct store *st, struct incident *inc,
		     char *summary, size_t len)
{
	char hex[SHA256_HEX_LEN + 1];
	bool *covered = calloc(cfg->njobs ? cfg->njobs : 1, sizeof(*covered));
	json_t *jobs = json_array(), *doc;
	uint64_t n = 0;
	int r = covered && jobs ? 0 : -ENOMEM;

	for (size_t i = 0; i < cfg->njobs && r == 0; i++) {
		const struct job *w = &cfg->jobs[i];
		const struct job *fj;
		bool had;
		json_t *j;

		if (strcmp(jobkind_of(w)->name, "watch") != 0)
			continue;
		if (!(j = compare_watch(cfg, st, w, &had, &n)) || json_array_append_new(jobs, j) < 0) {
			r = -ENOMEM;
			break;
		}
		if (had && w->watch.files && !w->watch.originals && (fj = config_job(cfg, w->watch.files)))
			covered[fj - cfg->jobs] = true;
	}
	for (size_t i = 0; i < cfg->njobs && r == 0; i++) {
		json_t *j;

		if (cfg->jobs[i].kind != JOB_FILES || covered[i])
			continue;
		if (!(j = compare_files(st, &cfg->jobs[i], inc, &n)) || json_array_append_new(jobs, j) < 0)
			r = -ENOMEM;
	}
	free(covered);
	doc = r == 0 ? json_pack("{s:s, s:O}", "compared",
				 "each watch job's live tree against its baseline; each other files job's evidence snapshot against its newest good backup",
				 "jobs", jobs) : NULL;
	json_decref(jobs);
	r = doc ? evfile_json(inc, "changes.json", doc, hex) : -ENOMEM;
	json_decref(doc);
	if (r < 0) {
		snprintf(summary, len, "failed: %s", strerror(-r));
		return r;
	}
	snprintf(summary, len, "%" PRIu64 " change(s) against the baselines and newest good files backups; changes.json sha256 %s",
		 n, hex);
	return 0;
}

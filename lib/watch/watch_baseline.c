/*
 * watch_baseline — see watch_baseline.h.
 */
#include "watch_baseline.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "jobkind.h"
#include "log.h"
#include "reader.h"
#include "record.h"
#include "watch_compare.h"

int watch_tree_of(const struct config *cfg, const struct job *w, struct wc_tree_opts *o)
{
	const struct job *fj = w->watch.files ? config_job(cfg, w->watch.files) : NULL;

	memset(o, 0, sizeof(*o));
	if (w->watch.originals) {
		o->root = w->watch.path;
		o->exclude2 = &w->watch.exclude;
		o->one_file_system = true;
		o->copy = true;
		return 0;
	}
	if (!fj || fj->kind != JOB_FILES) {
		log_error("job %s: files job %s is not in the config", w->name, w->watch.files ? w->watch.files : "?");
		return -ENOENT;
	}
	o->root = fj->files.path;
	o->exclude = &fj->files.exclude;
	o->exclude2 = &w->watch.exclude;
	o->one_file_system = fj->files.one_file_system;
	o->paranoid = w->watch.paranoid;
	return 0;
}

int watch_state_dir(const char *state_dir, const char *job, bool make, char *buf, size_t len)
{
	int r;

	if ((size_t)snprintf(buf, len, "%s/watch/%s", state_dir, job) >= len)
		return -ENAMETOOLONG;
	if (!make)
		return 0;
	r = fs_mkdirs(buf, 0750);
	if (r < 0)
		log_err(LOG_LVL_ERROR, -r, "job %s: cannot create %s", job, buf);
	return r;
}

static int state_path(const char *state_dir, const char *job, bool make, char *buf, size_t len)
{
	char dir[PATH_MAX];
	int r = watch_state_dir(state_dir, job, make, dir, sizeof(dir));

	if (r == 0 && (size_t)snprintf(buf, len, "%s/baseline.json", dir) >= len)
		r = -ENAMETOOLONG;
	return r;
}

static int read_state(const char *state_dir, const char *job, struct watch_baseline *out)
{
	char path[PATH_MAX];
	json_error_t err;
	json_t *j;
	const char *id, *how, *set;

	if (state_path(state_dir, job, false, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	j = json_load_file(path, 0, &err);
	if (!j)
		return access(path, F_OK) == 0 ? (log_error("%s: unreadable (%s)", path, err.text), -EINVAL) : -ENOENT;
	id = json_string_value(json_object_get(j, "id"));
	how = json_string_value(json_object_get(j, "how"));
	set = json_string_value(json_object_get(j, "set"));
	if (!id || strlen(id) >= sizeof(out->id)) {
		log_error("%s: no baseline id in it", path);
		json_decref(j);
		return -EINVAL;
	}
	snprintf(out->id, sizeof(out->id), "%s", id);
	snprintf(out->how, sizeof(out->how), "%s", how ? how : "marked");
	snprintf(out->set, sizeof(out->set), "%s", set ? set : "");
	json_decref(j);
	return 0;
}

static int write_state(const char *state_dir, const char *job, const struct watch_baseline *b)
{
	char path[PATH_MAX], *text;
	json_t *j;
	int r;

	r = state_path(state_dir, job, true, path, sizeof(path));
	if (r < 0)
		return r;
	j = json_pack("{s:s, s:s, s:s}", "id", b->id, "how", b->how, "set", b->set);
	text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	json_decref(j);
	r = text ? fs_write_atomic(path, text, strlen(text), 0640) : -ENOMEM;
	free(text);
	if (r < 0)
		log_err(LOG_LVL_ERROR, -r, "job %s: cannot write %s", job, path);
	return r;
}

static bool pinned_as_baseline(const struct store_entry *e)
{
	const char *reason = json_string_value(json_object_get(e->pin, "reason"));

	return reason && strcmp(reason, WATCH_PIN_REASON) == 0;
}

int watch_baseline_set(const struct config *cfg, struct store *st, const struct job *w, const char *id,
		       const char *how, struct watch_baseline *out)
{
	struct watch_baseline b = { 0 };
	struct store_entry e;
	struct store_list l;
	int r;

	r = store_get(st, w->watch.files, id, &e);
	if (r < 0) {
		log_error("job %s: files job %s has no backup %s", w->name, w->watch.files, id);
		return r;
	}
	snprintf(b.id, sizeof(b.id), "%s", e.id);
	store_entry_free(&e);
	snprintf(b.how, sizeof(b.how), "%s", how);
	timefmt_rfc3339(time(NULL), b.set);
	/* The old baseline's pin goes (only a "baseline" pin: another reason is the user's). */
	if (store_list(st, w->watch.files, &l) == 0) {
		for (size_t i = 0; i < l.n; i++)
			if (pinned_as_baseline(&l.v[i]) && strcmp(l.v[i].id, b.id) != 0)
				store_unpin(st, w->watch.files, l.v[i].id, NULL);
		store_list_free(&l);
	}
	r = store_pin(st, w->watch.files, b.id, WATCH_PIN_REASON, time(NULL), NULL);
	if (r < 0 && r != -EEXIST) {
		log_error("job %s: cannot pin %s %s as the baseline", w->name, w->watch.files, b.id);
		return r;
	}
	r = write_state(cfg->state_dir, w->name, &b);
	if (r == 0 && out)
		*out = b;
	return r;
}

int watch_baseline_get(const struct config *cfg, struct store *st, const struct job *w, bool choose,
		       struct watch_baseline *out)
{
	struct store_list l;
	const char *newest = NULL, *pinned = NULL;
	char id[STORE_ID_MAX];
	int r;

	memset(out, 0, sizeof(*out));
	r = read_state(cfg->state_dir, w->name, out);
	if (r != -ENOENT || !st)
		return r;
	r = store_list(st, w->watch.files, &l);
	if (r < 0)
		return r;
	for (size_t i = 0; i < l.n; i++) {
		if (pinned_as_baseline(&l.v[i]))
			pinned = l.v[i].id;
		if (store_record_is_good(l.v[i].record))
			newest = l.v[i].id;
	}
	if (pinned) {
		snprintf(id, sizeof(id), "%s", pinned);
		store_list_free(&l);
		return watch_baseline_set(cfg, st, w, id, "marked", out);
	}
	if (!newest || !choose) {
		store_list_free(&l);
		if (choose)
			log_error("job %s: no baseline: files job %s has no good backup yet (run it, or lifeboat baseline %s --accept)",
				  w->name, w->watch.files, w->name);
		return -ENOENT;
	}
	snprintf(id, sizeof(id), "%s", newest);
	store_list_free(&l);
	log_info("job %s: baseline %s %s, chosen automatically (the newest good backup)", w->name,
		 w->watch.files, id);
	return watch_baseline_set(cfg, st, w, id, "chosen automatically", out);
}

int watch_index_load(struct store *st, const char *job, const char *id, struct fileindex *fi)
{
	struct store_entry e;
	struct reader *rd = NULL;
	char why[512] = "";
	int r;

	r = store_get(st, job, id, &e);
	if (r < 0) {
		log_error("job %s: no backup %s", job, id);
		return r;
	}
	r = reader_open(st, &e, RECORD_ARTIFACT_INDEX, 0, &rd, why, sizeof(why));
	if (r == 0)
		r = fileindex_read(fi, rd);
	if (rd && reader_close(rd) < 0 && r == 0)
		r = -EBADMSG;
	reader_free(rd);
	if (r < 0)
		log_error("job %s: the index of %s cannot be read%s%s", job, e.id, why[0] ? ": " : "", why);
	store_entry_free(&e);
	return r;
}

int watch_baseline_index(const struct config *cfg, struct store *st, const struct job *w, bool choose,
			 const struct wc_tree_opts *live, struct watch_baseline *b, struct fileindex *fi)
{
	int r;

	if (w->watch.originals) {
		struct wc_tree_opts orig = *live;

		memset(b, 0, sizeof(*b));
		snprintf(b->id, sizeof(b->id), "originals");
		snprintf(b->how, sizeof(b->how), "a trusted copy");
		orig.root = w->watch.originals;
		orig.copy = false;
		r = watch_index_tree(&orig, fi, "originals");
		if (r < 0)
			log_error("job %s: the originals %s cannot be read whole; nothing was compared", w->name,
				  w->watch.originals);
		return r;
	}
	r = watch_baseline_get(cfg, choose ? st : NULL, w, choose, b);
	if (r == 0) {
		r = watch_index_load(st, w->watch.files, b->id, fi);
		if (r < 0)
			log_error("job %s: the baseline %s %s cannot be used; choose another with lifeboat baseline %s ID (or --accept)",
				  w->name, w->watch.files, b->id, w->name);
	}
	return r;
}

const struct job *watch_job_of(const struct config *cfg, const char *files_job)
{
	for (size_t i = 0; i < cfg->njobs; i++)
		if (strcmp(jobkind_of(&cfg->jobs[i])->name, "watch") == 0 && cfg->jobs[i].watch.files &&
		    strcmp(cfg->jobs[i].watch.files, files_job) == 0)
			return &cfg->jobs[i];
	return NULL;
}

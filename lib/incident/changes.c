/*
 * incident changes — incident_changes(): the list of changes for the
 * evidence, changes.json.
 *
 * FOR NOW this is a stand-in for the watch module (issue 16: lib/watch/,
 * a tree-vs-baseline-index compare and `lifeboat diff`), which is not on
 * this branch yet; the lead will switch this one function to the watch
 * module's compare and keep its output file.  Until then, for every files
 * job it compares the live tree — as the evidence snapshot just captured
 * it, its index files-JOB.index.zst, so the tree is walked once and every
 * file's hash is already there — against the index of the job's newest good
 * files backup (lib/files/fileindex): a path only in the live tree is
 * "added", one only in the baseline "removed", and one in both "changed"
 * when its type, size, mode, owner, mtime or content hash differ (the
 * fields that differ are listed).  Paths are written escaped as the index
 * writes them (fileindex_escape), so a hostile name stays one JSON string.
 * A job with no good backup is listed with "baseline": null.
 * It does not flag risks (web-shell markers, timestomping): that is watch's.
 */
#include "incident.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileindex.h"
#include "log.h"
#include "reader.h"
#include "record.h"

static int load_baseline(struct store *st, const struct store_entry *e, struct fileindex *fi)
{
	struct reader *rd = NULL;
	int r;

	r = reader_open(st, e, RECORD_ARTIFACT_INDEX, 0, &rd, NULL, 0);
	if (r == 0)
		r = fileindex_read(fi, rd);
	if (rd && reader_close(rd) < 0 && r == 0)
		r = -EBADMSG;
	reader_free(rd);
	return r;
}

static json_t *entry_json(const struct fi_entry *e, const char *change, json_t *fields)
{
	char *p = fileindex_escape(e->path);
	json_t *j = json_pack("{s:s, s:s, s:s#, s:I, s:s, s:I, s:I, s:I}", "change", change, "path", p ? p : "?",
			      "type", &e->type, (int)1, "size", (json_int_t)e->size, "mode", "",
			      "uid", (json_int_t)e->uid, "gid", (json_int_t)e->gid, "mtime", (json_int_t)e->mtime_s);
	char mode[8];

	free(p);
	if (!j) {
		json_decref(fields);
		return NULL;
	}
	snprintf(mode, sizeof(mode), "%04o", e->mode);
	json_object_set_new(j, "mode", json_string(mode));
	if (e->has_sha) {
		char hex[65];

		for (int i = 0; i < 32; i++)
			sprintf(hex + 2 * i, "%02x", e->sha[i]);
		json_object_set_new(j, "sha256", json_string(hex));
	}
	if (fields)
		json_object_set_new(j, "differs", fields);
	return j;
}

static json_t *differs(const struct fi_entry *a, const struct fi_entry *b)
{
	json_t *f = json_array();

	if (a->type != b->type)
		json_array_append_new(f, json_string("type"));
	if (a->size != b->size)
		json_array_append_new(f, json_string("size"));
	if (a->mode != b->mode)
		json_array_append_new(f, json_string("mode"));
	if (a->uid != b->uid || a->gid != b->gid)
		json_array_append_new(f, json_string("owner"));
	if (a->mtime_s != b->mtime_s || a->mtime_ns != b->mtime_ns)
		json_array_append_new(f, json_string("mtime"));
	if (a->type == 'f' && a->has_sha && b->has_sha && memcmp(a->sha, b->sha, 32) != 0)
		json_array_append_new(f, json_string("content"));
	if (json_array_size(f) == 0) {
		json_decref(f);
		return NULL;
	}
	return f;
}

/* One files job: its comparison object, or NULL on ENOMEM. */
static json_t *compare_job(struct store *st, const struct job *job, struct incident *inc, uint64_t *nchanges)
{
	struct fileindex live, base;
	struct store_entry e;
	char path[INCIDENT_FILE_MAX];
	json_t *j, *list;
	uint64_t added = 0, changed = 0, removed = 0;
	int r;

	j = json_pack("{s:s, s:s}", "job", job->name, "path", job->files.path);
	if (!j)
		return NULL;
	fileindex_init(&live);
	fileindex_init(&base);
	if (store_get(st, job->name, "latest", &e) < 0) {
		json_object_set_new(j, "baseline", json_null());
		json_object_set_new(j, "error", json_string("the job has no good backup to compare with"));
		return j;
	}
	json_object_set_new(j, "baseline", json_string(e.id));
	snprintf(path, sizeof(path), "%s/files-%s.index.zst", inc->dir, job->name);
	r = fileindex_load(&live, path, NULL);
	if (r == 0)
		r = load_baseline(st, &e, &base);
	store_entry_free(&e);
	if (r < 0) {
		json_object_set_new(j, "error", json_string("an index could not be read (see the log)"));
		fileindex_free(&live);
		fileindex_free(&base);
		return j;
	}
	list = json_array();
	for (size_t i = 0; i < live.n && list; i++) {
		const struct fi_entry *a = &live.v[i];
		struct fi_entry *b;
		json_t *f;

		if (a->type == '-')
			continue;
		b = fileindex_find(&base, a->path);
		if (!b || b->type == '-') {
			json_array_append_new(list, entry_json(a, "added", NULL));
			added++;
		} else {
			b->seen = true;
			if ((f = differs(b, a))) {
				json_array_append_new(list, entry_json(a, "changed", f));
				changed++;
			}
		}
	}
	for (size_t i = 0; i < base.n && list; i++) {
		if (base.v[i].type == '-' || base.v[i].seen)
			continue;
		json_array_append_new(list, entry_json(&base.v[i], "removed", NULL));
		removed++;
	}
	json_object_set_new(j, "added", json_integer((json_int_t)added));
	json_object_set_new(j, "changed", json_integer((json_int_t)changed));
	json_object_set_new(j, "removed", json_integer((json_int_t)removed));
	json_object_set_new(j, "changes", list ? list : json_array());
	*nchanges += added + changed + removed;
	fileindex_free(&live);
	fileindex_free(&base);
	return j;
}

int incident_changes(const struct config *cfg, struct store *st, struct incident *inc,
		     char *summary, size_t len)
{
	char hex[SHA256_HEX_LEN + 1];
	json_t *jobs = json_array(), *doc;
	uint64_t n = 0;
	int r;

	for (size_t i = 0; i < cfg->njobs && jobs; i++) {
		json_t *j;

		if (cfg->jobs[i].kind != JOB_FILES)
			continue;
		j = compare_job(st, &cfg->jobs[i], inc, &n);
		if (!j) {
			json_decref(jobs);
			return -ENOMEM;
		}
		json_array_append_new(jobs, j);
	}
	doc = json_pack("{s:s, s:o}", "compared",
			"each files job's live tree (its evidence snapshot's index) against the index of the job's newest good backup",
			"jobs", jobs ? jobs : json_array());
	r = doc ? evfile_json(inc, "changes.json", doc, hex) : -ENOMEM;
	json_decref(doc);
	if (r < 0) {
		snprintf(summary, len, "failed: %s", strerror(-r));
		return r;
	}
	snprintf(summary, len, "%" PRIu64 " change(s) against the newest good files backups; changes.json sha256 %s",
		 n, hex);
	return 0;
}

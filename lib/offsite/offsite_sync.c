/*
 * offsite_sync — copies every committed backup of a target's jobs that is
 * not offsite yet (see offsite.h), oldest first, each as the store commits
 * it: artifacts, then the .sha256 file, then the record, the commit mark.
 * A backup whose upload failed is tried again by the next sync; a large
 * artifact resumes where it stopped (offsite_upload.c).  The outcome goes
 * to <state>/status.json for `lifeboat status`: when the last sync ran and
 * ended well, the last error and since when uploads have been failing.
 */
#include "offsite_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>

#include "fsutil.h"
#include "log.h"
#include "record.h"
#include "store.h"

static bool remote_has(const struct offsite_list *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].id, id))
			return r->v[i].has_record;
	return false;
}

static int put_one(struct offsite_conn *c, struct offsite_sync_stats *st, const char *path,
		   const struct store_entry *e, const char *suffix)
{
	char key[1024];
	uint64_t before, after, x, y;
	int r;

	if ((r = offsite_object_key(c->o, e->job, e->id, suffix, key, sizeof(key))) < 0) {
		offsite_seterr(c, "%s %s: object name too long", e->job, e->id);
		return r;
	}
	s3_counters(c->s3, &before, &x, &y);
	r = offsite_put_file(c, path, key);
	s3_counters(c->s3, &after, &x, &y);
	st->bytes += after - before;
	if (r == 0)
		st->objects++;
	return r;
}

static int upload_backup(struct offsite_conn *c, struct store *s, const struct store_entry *e,
			 struct offsite_sync_stats *st)
{
	char path[4096];
	struct record_artifact a;
	int r;

	for (size_t i = 0; i < record_artifact_count(e->record); i++) {
		if ((r = record_artifact_at(e->record, i, &a)) < 0) {
			offsite_seterr(c, "%s %s: the record's artifact %zu is malformed", e->job, e->id, i);
			return r;
		}
		if ((r = record_artifact_path(s, e, &a, path, sizeof(path))) < 0 ||
		    (r = put_one(c, st, path, e, a.ext)) < 0)
			return r;
	}
	if ((r = store_path(s, e->job, &e->parts, "sha256", path, sizeof(path))) < 0 ||
	    (r = put_one(c, st, path, e, "sha256")) < 0)
		return r;
	if ((r = store_path(s, e->job, &e->parts, "json", path, sizeof(path))) < 0 ||
	    (r = put_one(c, st, path, e, "json")) < 0)
		return r;
	return 0;
}

/* Records the outcome in DIR/status.json for status: ERR NULL for success. */
static void write_status(const char *dir, const char *name, const struct offsite_sync_stats *st, const char *err,
			 json_t *jobs)
{
	char path[1100], *text = NULL, *old = NULL;
	json_t *j = NULL, *prev;
	time_t now = time(NULL);
	size_t len;

	snprintf(path, sizeof(path), "%s/status.json", dir);
	if (fs_read_all(path, 1 << 20, &old, &len) == 0)
		j = json_loads(old, 0, NULL);
	free(old);
	if (!json_is_object(j)) {
		json_decref(j);
		j = json_object();
	}
	json_object_set_new(j, "last_sync", json_integer(now));
	json_object_set_new(j, "pending", json_integer(st->pending));
	if (jobs) {
		/* a job this sync could not look at keeps what the last one saw */
		json_t *old_jobs = json_object_get(j, "jobs");

		if (json_is_object(old_jobs))
			json_object_update(old_jobs, jobs);
		else
			json_object_set(j, "jobs", jobs);
	}
	if (!err) {
		json_object_set_new(j, "last_ok", json_integer(now));
		json_object_del(j, "failing_since");
		json_object_del(j, "last_error");
	} else {
		prev = json_object_get(j, "failing_since");
		if (!json_is_integer(prev))
			json_object_set_new(j, "failing_since", json_integer(now));
		json_object_set_new(j, "last_error", json_string(err));
	}
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (text && fs_write_atomic(path, text, strlen(text), 0600) < 0)
		log_warn("offsite %s: cannot write %s", name, path);
	free(text);
}

static void save_status(struct offsite_conn *c, const struct offsite_sync_stats *st, const char *err, json_t *jobs)
{
	write_status(c->state_dir, c->o->name, st, err, jobs);
}

void offsite_record_failure(const struct config *cfg, const struct offsite *o, const char *err)
{
	struct offsite_sync_stats st = { .pending = 1 };
	char dir[1024];

	snprintf(dir, sizeof(dir), "%s/offsite/%s", cfg->state_dir, o->name);
	if (fs_mkdirs(dir, 0700) == 0)
		write_status(dir, o->name, &st, err, NULL);
}

void offsite_priority(const struct offsite *o)
{
	if (setpriority(PRIO_PROCESS, 0, (int)o->nice) < 0)
		log_err(LOG_LVL_WARN, errno, "offsite %s: cannot set nice %ld", o->name, o->nice);
	if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, 3 << 13 /* IOPRIO_CLASS_IDLE */) < 0)
		log_err(LOG_LVL_WARN, errno, "offsite %s: cannot set the idle I/O class", o->name);
}

/* Takes <state>/sync.lock (one sync of a target at a time, the daemon's or
 * a person's) and removes what a killed sync left half-written in uploads/.
 * Returns the lock's descriptor or a negative errno with c->err set. */
static int sync_lock(struct offsite_conn *c)
{
	char path[1200];
	struct dirent *de;
	DIR *d;
	int fd;

	snprintf(path, sizeof(path), "%s/sync.lock", c->state_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		offsite_seterr(c, "offsite %s: %s", c->o->name,
			       e == EWOULDBLOCK ? "another sync of this target is running" : strerror(e));
		return -e;
	}
	snprintf(path, sizeof(path), "%s/uploads", c->state_dir);
	if ((d = opendir(path))) {
		while ((de = readdir(d)))
			if (strstr(de->d_name, ".json.tmp-"))
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	return fd;
}

int offsite_sync(struct offsite_conn *c, const char *only, struct offsite_sync_stats *st)
{
	int lock;
	const struct config *cfg = c->cfg;
	char first_err[sizeof(c->err)] = "";
	struct store *s = NULL;
	json_t *facts = json_object();	/* per job: "newest" offsite id, "missing" ids */
	int r, rc = 0;

	memset(st, 0, sizeof(*st));
	if ((lock = sync_lock(c)) < 0)
		return lock;
	if ((r = store_open(cfg->store, &s)) < 0) {
		offsite_seterr(c, "offsite %s: cannot open the store %s: %s", c->o->name, cfg->store, strerror(-r));
		save_status(c, st, c->err, NULL);
		close(lock);
		return r;
	}
	for (size_t j = 0; j < cfg->njobs; j++) {
		const struct job *job = &cfg->jobs[j];
		struct store_list local = { 0 };
		struct offsite_list remote = { 0 };

		if (!offsite_has_job(c->o, job->name) || (only && strcmp(only, job->name) != 0))
			continue;
		if ((r = store_list(s, job->name, &local)) < 0) {
			offsite_seterr(c, "offsite %s: job %s: cannot list the store", c->o->name, job->name);
			goto fail;
		}
		if ((r = offsite_list(c, job->name, &remote)) < 0) {
			store_list_free(&local);
			goto fail;
		}
		json_t *jf = json_pack("{s:n, s:[]}", "newest", "missing");
		struct offsite_plan plan;
		bool failed = false;

		if ((r = offsite_plan(c, s, job, &local, &remote, time(NULL), &plan)) < 0) {
			offsite_plan_free(&plan);
			json_decref(jf);
			offsite_list_free(&remote);
			store_list_free(&local);
			goto fail;
		}

		/* the listing worked: what this sync sees replaces what the last saw */
		json_object_set_new(facts, job->name, jf);
		for (size_t i = 0; i < local.n; i++) {
			const struct store_entry *e = &local.v[i];
			struct offsite_sync_stats one = { 0 };

			if (remote_has(&remote, e->id)) {
				json_object_set_new(jf, "newest", json_string(e->id));
				continue;
			}
			if (!plan.upload[i] && c->o->prune)
				continue;	/* the target's retention would drop it at once */
			r = upload_backup(c, s, e, &one);
			st->objects += one.objects;
			st->bytes += one.bytes;
			if (r < 0) {
				failed = true;
				json_array_append_new(json_object_get(jf, "missing"), json_string(e->id));
				st->pending++;
				log_error("offsite %s: job %s: %s not copied: %s", c->o->name, job->name, e->id, c->err);
				if (!first_err[0])
					snprintf(first_err, sizeof(first_err), "%s", c->err);
				if (!rc)
					rc = r;
				continue;
			}
			st->backups++;
			json_object_set_new(jf, "newest", json_string(e->id));
			log_info("offsite %s: job %s: %s copied (%d objects, %" PRIu64 " bytes)", c->o->name,
				 job->name, e->id, one.objects, one.bytes);
		}
		if (!failed && c->o->prune) {
			int removed = 0;

			r = offsite_apply_removals(c, job, &remote, &plan, &removed);
			st->removed += removed;
		}
		offsite_plan_free(&plan);
		offsite_list_free(&remote);
		store_list_free(&local);
		if (r < 0 && !failed)
			goto fail;
		continue;
fail:
		log_error("%s", c->err);
		if (!first_err[0])
			snprintf(first_err, sizeof(first_err), "%s", c->err);
		if (!rc)
			rc = r;
		st->pending++;
	}
	store_close(s);
	save_status(c, st, rc ? first_err : NULL, facts);
	json_decref(facts);
	close(lock);
	if (rc)
		snprintf(c->err, sizeof(c->err), "%s", first_err);
	return rc;
}

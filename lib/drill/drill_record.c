/*
 * drill_record — what a drill leaves outside its store record: the state
 * file per backup job that status reads (drill.h), the answers status asks
 * (which drills cover a job, its last and last passing drill), and the
 * removal of a killed drill's scratch directories.
 *
 * The state file is replaced atomically (mode 0600) after each job's drill;
 * "last_ok" is kept from the previous file until a drill passes again.
 * What it does not do: write the store (drill_run.c's record is jobrun's to
 * commit) or drop scratch databases (drill_db.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drill.h"
#include "drill_int.h"
#include "fsutil.h"
#include "log.h"

#define STATE_MAX (1024 * 1024)

static int state_path(const char *state_dir, const char *job, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/drill/%s.json", state_dir, job) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int drill_state_load(const char *state_dir, const char *job, json_t **out)
{
	char path[PATH_MAX], *text = NULL;
	json_error_t err;
	size_t len;
	int r;

	*out = NULL;
	r = state_path(state_dir, job, path, sizeof(path));
	if (r == 0)
		r = fs_read_all(path, STATE_MAX, &text, &len);
	if (r == -ENOENT) {
		*out = json_object();
		return *out ? 0 : -ENOMEM;
	}
	if (r < 0) {
		log_err(LOG_LVL_ERROR, -r, "%s: cannot read", path);
		return r;
	}
	*out = json_loadb(text, len, 0, &err);
	free(text);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		log_error("%s: not a drill state file (%s)", path, err.text);
		return -EINVAL;
	}
	return 0;
}

int drill_state_update(const char *state_dir, const char *job, const json_t *entry)
{
	char path[PATH_MAX], dir[PATH_MAX];
	json_t *st = NULL;
	char *text;
	int r;

	snprintf(dir, sizeof(dir), "%s/drill", state_dir);
	r = fs_mkdirs(dir, 0700);
	if (r < 0) {
		log_err(LOG_LVL_ERROR, -r, "%s: cannot create", dir);
		return r;
	}
	/* An unreadable old file loses only its last_ok. */
	if (drill_state_load(state_dir, job, &st) < 0)
		st = json_object();
	if (!st)
		return -ENOMEM;
	json_object_set(st, "last", (json_t *)entry);
	if (strcmp(json_string_value(json_object_get(entry, "result")) ?: "", "ok") == 0)
		json_object_set(st, "last_ok", (json_t *)entry);
	text = json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(st);
	if (!text)
		return -ENOMEM;
	r = state_path(state_dir, job, path, sizeof(path));
	if (r == 0)
		r = fs_write_atomic(path, text, strlen(text), 0600);
	if (r < 0)
		log_err(LOG_LVL_ERROR, -r, "%s: cannot write", path);
	free(text);
	return r;
}

int drill_scratch_clean(const char *scratch_dir, const char *drill)
{
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int r = fs_mkdirs(scratch_dir, 0700), dfd;

	if (r < 0) {
		log_err(LOG_LVL_ERROR, -r, "drill %s: %s: cannot create the scratch directory", drill, scratch_dir);
		return r;
	}
	dfd = open(scratch_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* Restores of dumps and web roots go here: a directory someone else
	 * owns or may write to (a symlink planted in /var/tmp, say) could hand
	 * them to that someone, or have us remove what it points at. */
	if (dfd >= 0 && fstat(dfd, &st) == 0 && (st.st_uid != geteuid() || (st.st_mode & 022))) {
		log_error("drill %s: %s: the scratch directory must be ours and writable by us alone (owner %u, mode %04o); nothing was restored",
			  drill, scratch_dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		close(dfd);
		return -EPERM;
	}
	if (dfd < 0 || !(dir = fdopendir(dfd))) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "drill %s: %s: cannot open the scratch directory", drill, scratch_dir);
		if (dfd >= 0)
			close(dfd);
		return r;
	}
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, DRILL_PREFIX, strlen(DRILL_PREFIX)) != 0)
			continue;
		log_info("drill %s: removing %s/%s, left by a drill that did not finish", drill, scratch_dir, de->d_name);
		if (fs_remove_tree(dfd, de->d_name) < 0) {
			r = -errno;
			log_err(LOG_LVL_ERROR, errno, "drill %s: %s/%s: cannot remove the leftover", drill, scratch_dir,
				de->d_name);
		}
	}
	closedir(dir);
	return r;
}

/* The drill job DRILL covers JOB. */
static bool covers(const struct job *drill, const struct job *job)
{
	const struct jobkind_ops *ops = jobkind_of(job);

	if (job->kind == JOB_DRILL || !ops || !ops->restore)
		return false;
	if (drill->drill.of.n == 0)
		return true;
	for (size_t i = 0; i < drill->drill.of.n; i++)
		if (strcmp(drill->drill.of.v[i], job->name) == 0)
			return true;
	return false;
}

bool drill_covers(const struct config *cfg, const struct job *job, time_t now, int64_t *interval,
		  const char **by)
{
	bool any = false;

	*interval = 0;
	*by = NULL;
	for (size_t i = 0; i < cfg->njobs; i++) {
		const struct job *d = &cfg->jobs[i];
		int64_t iv;

		if (d->kind != JOB_DRILL || !covers(d, job))
			continue;
		iv = schedule_interval(&d->schedule.when, now);
		if (!any)
			*by = d->name;
		if (iv > 0 && (*interval == 0 || iv < *interval))
			*interval = iv;
		any = true;
	}
	return any;
}

void drill_status_add(const struct config *cfg, const struct job *job, time_t now, json_t *j)
{
	const char *by;
	int64_t interval;
	json_t *st = NULL, *d;

	if (!drill_covers(cfg, job, now, &interval, &by))
		return;
	if (drill_state_load(cfg->state_dir, job->name, &st) < 0)
		st = json_object();
	d = json_pack("{s:s, s:I, s:O?, s:O?}", "by", by, "interval_seconds", (json_int_t)interval,
		      "last", json_object_get(st, "last"), "last_ok", json_object_get(st, "last_ok"));
	json_decref(st);
	if (!d)
		return;
	if (!json_object_get(d, "last"))
		json_object_set_new(d, "last", json_null());
	if (!json_object_get(d, "last_ok"))
		json_object_set_new(d, "last_ok", json_null());
	json_object_set_new(j, "drill", d);
}

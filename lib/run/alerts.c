/*
 * alerts — see alerts.h.
 */
#include "alerts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "timefmt.h"

#define ALERT_FILE_MAX (64 * 1024)

static int alerts_dir(const char *state_dir, const char *sub, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/alerts/%s", state_dir, sub);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Takes the alerts lock, creating the directories on the way. */
static int alerts_lock(const char *state_dir, int *fd)
{
	char path[PATH_MAX];
	int r;

	for (const char *sub = "open"; sub; sub = strcmp(sub, "open") ? NULL : "acked") {
		r = alerts_dir(state_dir, sub, path, sizeof(path));
		if (r == 0)
			r = fs_mkdirs(path, 0700);
		if (r < 0) {
			log_err(LOG_LVL_ERROR, -r, "%s: cannot create the alerts directory", path);
			return r;
		}
	}
	r = alerts_dir(state_dir, "lock", path, sizeof(path));
	if (r < 0)
		return r;
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0 || flock(*fd, LOCK_EX) < 0) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot lock", path);
		if (*fd >= 0)
			close(*fd);
		return r;
	}
	return 0;
}

/* For a file named "<job>-<n>.json" of JOB, n; else 0. */
static long alert_number(const char *name, const char *job)
{
	size_t jl = strlen(job);
	char *end;
	long n;

	if (strncmp(name, job, jl) != 0 || name[jl] != '-')
		return 0;
	errno = 0;
	n = strtol(name + jl + 1, &end, 10);
	if (errno || n <= 0 || strcmp(end, ".json") != 0)
		return 0;
	return n;
}

/* The highest alert number JOB has used, open or acknowledged. */
static long alerts_highest(const char *state_dir, const char *job)
{
	char path[PATH_MAX];
	long high = 0;

	for (const char *sub = "open"; sub; sub = strcmp(sub, "open") ? NULL : "acked") {
		struct dirent *de;
		DIR *d;

		if (alerts_dir(state_dir, sub, path, sizeof(path)) < 0 || !(d = opendir(path)))
			continue;
		while ((de = readdir(d))) {
			long n = alert_number(de->d_name, job);

			if (n > high)
				high = n;
		}
		closedir(d);
	}
	return high;
}

static int write_alert(const char *path, json_t *alert)
{
	char *text = json_dumps(alert, JSON_INDENT(2) | JSON_SORT_KEYS);
	int r;

	if (!text)
		return -ENOMEM;
	r = fs_write_atomic(path, text, strlen(text), 0600);
	free(text);
	return r;
}

int alerts_raise(const char *state_dir, const struct alert_new *a, char id[ALERT_ID_MAX])
{
	char path[PATH_MAX], found[TIMEFMT_RFC3339_LEN];
	json_t *alert;
	int fd, r;

	r = alerts_lock(state_dir, &fd);
	if (r < 0)
		return r;
	snprintf(id, ALERT_ID_MAX, "%s-%ld", a->job, alerts_highest(state_dir, a->job) + 1);
	timefmt_rfc3339(time(NULL), found);
	alert = json_pack("{s:s, s:s, s:s, s:s*, s:I, s:s, s:s}", "id", id, "job", a->job,
			  "kind", a->kind, "file", a->file, "offset", (json_int_t)a->offset,
			  "message", a->message ? a->message : "", "found", found);
	r = alert ? 0 : -ENOMEM;
	if (r == 0 && snprintf(path, sizeof(path), "%s/alerts/open/%s.json", state_dir, id) >= (int)sizeof(path))
		r = -ENAMETOOLONG;
	if (r == 0)
		r = write_alert(path, alert);
	json_decref(alert);
	close(fd);
	if (r < 0) {
		log_err(LOG_LVL_ERROR, -r, "job %s: cannot record alert %s (%s: %s)", a->job, id, a->kind,
			a->message ? a->message : "");
		return r;
	}
	log_error("job %s: ALERT %s: %s%s%s", a->job, id, a->message ? a->message : a->kind,
		  a->file ? ": " : "", a->file ? a->file : "");
	return 0;
}

static int by_found_then_id(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(json_string_value(json_object_get(x, "found")) ?: "",
		       json_string_value(json_object_get(y, "found")) ?: "");

	return c ? c : strcmp(json_string_value(json_object_get(x, "id")) ?: "",
			      json_string_value(json_object_get(y, "id")) ?: "");
}

/* Reads one alert file; a file that does not parse is reported, not hidden. */
static json_t *read_alert(const char *path)
{
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);

	if (!j || !json_is_object(j)) {
		log_warn("%s: not a readable alert (%s); it stays until removed by hand", path, err.text);
		json_decref(j);
		return NULL;
	}
	return j;
}

static int list_dir(const char *state_dir, const char *sub, const char *job, json_t ***itemsp,
		    size_t *np, size_t *capp);

/* The alerts of JOB (every job when NULL) in SUBS ("open", "acked"), sorted. */
static int list_alerts(const char *state_dir, const char *job, const char *const *subs, json_t **out)
{
	json_t **items = NULL, *arr;
	size_t n = 0, cap = 0;
	int r = 0;

	*out = NULL;
	arr = json_array();
	if (!arr)
		return -ENOMEM;
	for (; *subs && r == 0; subs++)
		r = list_dir(state_dir, *subs, job, &items, &n, &cap);
	if (n)
		qsort(items, n, sizeof(*items), by_found_then_id);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, items[i]);
	free(items);
	if (r < 0) {
		json_decref(arr);
		return r;
	}
	*out = arr;
	return 0;
}

int alerts_list(const char *state_dir, const char *job, json_t **out)
{
	static const char *const open_only[] = { "open", NULL };

	return list_alerts(state_dir, job, open_only, out);
}

int alerts_history(const char *state_dir, const char *job, json_t **out)
{
	static const char *const both[] = { "open", "acked", NULL };

	return list_alerts(state_dir, job, both, out);
}

static int list_dir(const char *state_dir, const char *sub, const char *job, json_t ***itemsp,
		    size_t *np, size_t *capp)
{
	char dir[PATH_MAX], path[PATH_MAX + 256];
	json_t **items = *itemsp;
	size_t n = *np, cap = *capp;
	struct dirent *de;
	DIR *d;
	int r;

	r = alerts_dir(state_dir, sub, dir, sizeof(dir));
	if (r < 0)
		return r;
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot list alerts", dir);
		return r;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		json_t *a;

		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		a = read_alert(path);
		if (!a)
			continue;
		if (job && strcmp(json_string_value(json_object_get(a, "job")) ?: "", job) != 0) {
			json_decref(a);
			continue;
		}
		if (n == cap) {
			json_t **grown = realloc(items, (cap ? cap * 2 : 16) * sizeof(*items));

			if (!grown) {
				json_decref(a);
				r = -ENOMEM;
				break;
			}
			items = grown;
			cap = cap ? cap * 2 : 16;
		}
		items[n++] = a;
	}
	closedir(d);
	*itemsp = items;
	*np = n;
	*capp = cap;
	return r;
}

/* Moves the open alert file NAME to acked/, with the time it was acknowledged. */
static int ack_one(const char *state_dir, const char *name)
{
	char from[PATH_MAX], to[PATH_MAX], acked[TIMEFMT_RFC3339_LEN];
	json_t *a;
	int r;

	if (snprintf(from, sizeof(from), "%s/alerts/open/%s", state_dir, name) >= (int)sizeof(from) ||
	    snprintf(to, sizeof(to), "%s/alerts/acked/%s", state_dir, name) >= (int)sizeof(to))
		return -ENAMETOOLONG;
	a = read_alert(from);
	if (!a)
		return -EINVAL;
	timefmt_rfc3339(time(NULL), acked);
	json_object_set_new(a, "acked", json_string(acked));
	r = write_alert(to, a);
	json_decref(a);
	if (r == 0 && unlink(from) < 0)
		r = -errno;
	if (r < 0)
		log_err(LOG_LVL_ERROR, -r, "%s: cannot acknowledge", from);
	return r;
}

/* DIR holds the open alert WHAT (an id). */
static bool alert_is_open(const char *dir, const char *what)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s.json", dir, what) >= (int)sizeof(path))
		return false;
	return access(path, F_OK) == 0;
}

bool alerts_is_open_id(const char *state_dir, const char *what)
{
	char dir[PATH_MAX];

	return alerts_dir(state_dir, "open", dir, sizeof(dir)) == 0 && alert_is_open(dir, what);
}

int alerts_ack(const char *state_dir, const char *what, size_t *n)
{
	char dir[PATH_MAX];
	struct dirent *de;
	size_t wl = strlen(what);
	bool by_id;
	int fd, r;
	DIR *d;

	*n = 0;
	r = alerts_lock(state_dir, &fd);
	if (r < 0)
		return r;
	r = alerts_dir(state_dir, "open", dir, sizeof(dir));
	d = r == 0 ? opendir(dir) : NULL;
	if (!d) {
		r = r < 0 ? r : -errno;
		log_err(LOG_LVL_ERROR, -r, "%s: cannot list alerts", dir);
		close(fd);
		return r;
	}
	/* WHAT is an id ("web-3") or a job ("web"); job names may hold '-' and
	 * digits, so an open alert with exactly that id wins, and only then is
	 * WHAT taken as a job ("web" never matches "web2-1"). */
	by_id = alert_is_open(dir, what);
	while ((de = readdir(d))) {
		bool match = by_id ? strncmp(de->d_name, what, wl) == 0 && strcmp(de->d_name + wl, ".json") == 0
				   : alert_number(de->d_name, what) != 0;

		if (!match)
			continue;
		r = ack_one(state_dir, de->d_name);
		if (r < 0)
			break;
		(*n)++;
	}
	closedir(d);
	close(fd);
	if (r < 0)
		return r;
	return *n ? 0 : -ENOENT;
}

/*
 * watch_report — see watch_report.h.
 */
#include "watch_report.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts.h"
#include "fsutil.h"
#include "log.h"
#include "sha256.h"
#include "watch_baseline.h"
#include "watch_flags.h"

static int file_path(const char *state_dir, const char *job, const char *name, bool make, char *buf, size_t len)
{
	char dir[PATH_MAX];
	int r = watch_state_dir(state_dir, job, make, dir, sizeof(dir));

	if (r == 0 && (size_t)snprintf(buf, len, "%s/%s", dir, name) >= len)
		r = -ENAMETOOLONG;
	return r;
}

static int write_json(const char *path, const json_t *j)
{
	char *text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	int r;

	if (!text)
		return -ENOMEM;
	r = fs_write_atomic(path, text, strlen(text), 0640);
	free(text);
	if (r < 0)
		log_err(LOG_LVL_ERROR, -r, "cannot write %s", path);
	return r;
}

int watch_report_write(const char *state_dir, const char *job, const json_t *report)
{
	char path[PATH_MAX];
	int r = file_path(state_dir, job, "report.json", true, path, sizeof(path));

	return r < 0 ? r : write_json(path, report);
}

int watch_report_read(const char *state_dir, const char *job, json_t **out)
{
	char path[PATH_MAX];
	json_error_t err;

	*out = NULL;
	if (file_path(state_dir, job, "report.json", false, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	*out = json_load_file(path, 0, &err);
	if (*out)
		return 0;
	if (access(path, F_OK) != 0)
		return -ENOENT;
	log_error("%s: unreadable (%s)", path, err.text);
	return -EINVAL;
}

/* What the finding looks like now: a new alert when this differs. */
static char *fingerprint(const struct wc_item *it)
{
	char sha[65] = "-", *out = NULL;

	if (it->change == WC_REMOVED)
		return strdup("removed");
	if (it->cur.has_sha)
		sha256_hex(it->cur.sha, sha);
	if (asprintf(&out, "%d %c %o %u %u %llu %lld.%09d %llu %s", (int)it->change, it->cur.type,
		     (unsigned)it->cur.mode, (unsigned)it->cur.uid, (unsigned)it->cur.gid,
		     (unsigned long long)it->cur.size, (long long)it->cur.mtime_s, (int)it->cur.mtime_ns,
		     (unsigned long long)it->cur.ino, sha) < 0)
		return NULL;
	return out;
}

static int raise_one(const char *state_dir, const char *job, const struct wc_item *it, const char *esc)
{
	static const char *const change[] = { "added", "removed", "changed" };
	char what[128], flags[256], msg[768], id[ALERT_ID_MAX];
	struct alert_new a = { .job = job, .kind = change[it->change], .file = esc, .offset = -1, .message = msg };

	watch_what_text(it->what, what, sizeof(what));
	watch_flags_text(it->flags, flags, sizeof(flags));
	snprintf(msg, sizeof(msg), "%s: %s%s%s%s%s%s%s", watch_flags_critical(it->flags) ? "critical" : "warning",
		 change[it->change], what[0] ? " (" : "", what, what[0] ? ")" : "", flags[0] ? " [" : "", flags,
		 flags[0] ? "]" : "");
	if (it->signature[0])
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), " web-shell marker %s", it->signature);
	return alerts_raise(state_dir, &a, id);
}

int watch_report_alerts(const char *state_dir, const char *job, const char *baseline, const struct wc_list *l,
			unsigned *raised)
{
	char path[PATH_MAX];
	json_error_t err;
	json_t *old, *known, *paths, *oldpaths;
	const struct wc_item **fresh = NULL;
	char **fresh_esc = NULL;
	size_t nfresh = 0;
	int r;

	*raised = 0;
	r = file_path(state_dir, job, "known.json", true, path, sizeof(path));
	if (r < 0)
		return r;
	old = json_load_file(path, 0, &err);
	oldpaths = old && json_is_string(json_object_get(old, "baseline")) &&
		   strcmp(json_string_value(json_object_get(old, "baseline")), baseline) == 0
		   ? json_object_get(old, "paths") : NULL;
	known = json_pack("{s:s, s:{}}", "baseline", baseline, "paths");
	fresh = calloc(l->n + 1, sizeof(*fresh));
	fresh_esc = calloc(l->n + 1, sizeof(*fresh_esc));
	if (!known || !fresh || !fresh_esc) {
		r = -ENOMEM;
		goto out;
	}
	paths = json_object_get(known, "paths");
	for (size_t i = 0; i < l->n; i++) {
		char *esc = fileindex_escape(l->v[i].path), *fp = fingerprint(&l->v[i]);
		const char *was = esc ? json_string_value(json_object_get(oldpaths, esc)) : NULL;

		if (!esc || !fp) {
			free(esc);
			free(fp);
			r = -ENOMEM;
			goto out;
		}
		json_object_set_new(paths, esc, json_string(fp));
		if (was && strcmp(was, fp) == 0) {
			free(esc);
		} else {
			fresh[nfresh] = &l->v[i];
			fresh_esc[nfresh++] = esc;
		}
		free(fp);
	}
	/* Critical ones first, for the WATCH_ALERTS_MAX raised one by one
	 * (two passes: the order of the walk stays within each). */
	for (int pass = 0; pass < 2 && *raised < WATCH_ALERTS_MAX; pass++) {
		for (size_t i = 0; i < nfresh && *raised < WATCH_ALERTS_MAX; i++) {
			if (watch_flags_critical(fresh[i]->flags) != (pass == 0))
				continue;
			r = raise_one(state_dir, job, fresh[i], fresh_esc[i]);
			if (r < 0)
				goto out;
			++*raised;
		}
	}
	if (nfresh > WATCH_ALERTS_MAX) {
		char msg[256], id[ALERT_ID_MAX];
		struct alert_new a = { .job = job, .kind = "changed", .offset = -1, .message = msg };

		snprintf(msg, sizeof(msg), "%zu more new findings, not raised one by one: see lifeboat watch report %s",
			 nfresh - WATCH_ALERTS_MAX, job);
		r = alerts_raise(state_dir, &a, id);
		if (r < 0)
			goto out;
		++*raised;
	}
	r = write_json(path, known);
out:
	for (size_t i = 0; fresh_esc && i < nfresh; i++)
		free(fresh_esc[i]);
	free(fresh_esc);
	free(fresh);
	json_decref(known);
	json_decref(old);
	return r;
}

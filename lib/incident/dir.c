/*
 * incident dir — the incident's directory, its state file incident.json,
 * and the open marker <state_dir>/incident-open.  See incident.h.
 *
 * The incidents directory is <store>/incidents: the store's listing,
 * cleaning and prune never take it for a job (store_valid_job() refuses the
 * name, and so does the config).  One incident is open at a time; the
 * marker names it, so the daemon and `status` learn of it by reading one
 * small file (no socket message that a daemon down at the time would miss).
 * This file does not capture evidence (capture.c) or write the journal
 * (journal.c).
 */
#include "incident.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "timefmt.h"

int incident_root(const struct config *cfg, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", cfg->store, INCIDENT_DIR) >= len)
		return -ENAMETOOLONG;
	return 0;
}

bool incident_stamp_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 16 || n >= INCIDENT_STAMP_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && s[i] != 'T' && s[i] != 'Z' && s[i] != '-')
			return false;
	return true;
}

static int marker_path(const struct config *cfg, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", cfg->state_dir, INCIDENT_MARKER) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int incident_open_stamp(const struct config *cfg, char buf[INCIDENT_STAMP_MAX])
{
	char path[INCIDENT_FILE_MAX], *text = NULL;
	size_t len = 0;
	int r;

	if ((r = marker_path(cfg, path, sizeof(path))) < 0)
		return r;
	r = fs_read_all(path, 256, &text, &len);
	if (r < 0)
		return r == -ENOENT ? -ENOENT : r;
	while (len && isspace((unsigned char)text[len - 1]))
		text[--len] = '\0';
	if (!incident_stamp_valid(text)) {
		log_error("%s: not an incident stamp; remove the file if no incident is open", path);
		free(text);
		return -EINVAL;
	}
	snprintf(buf, INCIDENT_STAMP_MAX, "%s", text);
	free(text);
	return 0;
}

int incident_mark_open(const struct config *cfg, const char *stamp)
{
	char path[INCIDENT_FILE_MAX], line[INCIDENT_STAMP_MAX + 2];
	int r;

	if ((r = marker_path(cfg, path, sizeof(path))) < 0)
		return r;
	if (!stamp) {
		if (unlink(path) < 0 && errno != ENOENT) {
			r = -errno;
			log_err(LOG_LVL_ERROR, errno, "%s: cannot remove", path);
			return r;
		}
		if (fs_fsync_dir(cfg->state_dir) < 0)
			log_warn("%s: cannot fsync", cfg->state_dir);
		return 0;
	}
	if ((r = fs_mkdirs(cfg->state_dir, 0700)) < 0) {
		log_err(LOG_LVL_ERROR, -r, "%s: cannot create", cfg->state_dir);
		return r;
	}
	snprintf(line, sizeof(line), "%s\n", stamp);
	r = fs_write_atomic(path, line, strlen(line), 0600);
	if (r < 0)
		log_err(LOG_LVL_ERROR, -r, "%s: cannot write", path);
	return r;
}

static int open_dir(struct incident *inc)
{
	char path[INCIDENT_FILE_MAX];

	inc->dirfd = open(inc->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (inc->dirfd < 0) {
		int r = -errno;

		if (r != -ENOENT)
			log_err(LOG_LVL_ERROR, errno, "%s: cannot open", inc->dir);
		return r;
	}
	snprintf(path, sizeof(path), "%s/%s", inc->dir, INCIDENT_JOURNAL);
	inc->journal_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (inc->journal_fd < 0) {
		int r = -errno;

		log_err(LOG_LVL_ERROR, errno, "%s: cannot open", path);
		return r;
	}
	return 0;
}

int incident_save(struct incident *inc)
{
	char path[INCIDENT_FILE_MAX], *text;
	int r;

	snprintf(path, sizeof(path), "%s/%s", inc->dir, INCIDENT_STATE);
	text = json_dumps(inc->state, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		return -ENOMEM;
	r = fs_write_atomic(path, text, strlen(text), 0600);
	free(text);
	if (r < 0)
		log_err(LOG_LVL_ERROR, -r, "%s: cannot write", path);
	return r;
}

static void init(struct incident *inc)
{
	memset(inc, 0, sizeof(*inc));
	inc->dirfd = -1;
	inc->journal_fd = -1;
}

int incident_create(const struct config *cfg, time_t now, struct incident *inc)
{
	char root[INCIDENT_PATH_MAX - INCIDENT_STAMP_MAX - 2], when[TIMEFMT_RFC3339_LEN];
	struct tm tm;
	int r;

	init(inc);
	if ((r = incident_root(cfg, root, sizeof(root))) < 0)
		return r;
	if ((r = fs_mkdirs(root, 0700)) < 0) {
		log_err(LOG_LVL_ERROR, -r, "%s: cannot create", root);
		return r;
	}
	gmtime_r(&now, &tm);
	for (int n = 1; n < 100; n++) {
		char base[20];

		strftime(base, sizeof(base), "%Y%m%dT%H%M%SZ", &tm);
		if (n == 1)
			snprintf(inc->stamp, sizeof(inc->stamp), "%s", base);
		else
			snprintf(inc->stamp, sizeof(inc->stamp), "%s-%d", base, n);
		snprintf(inc->dir, sizeof(inc->dir), "%s/%s", root, inc->stamp);
		if (mkdir(inc->dir, 0700) == 0)
			break;
		if (errno != EEXIST || n == 99) {
			r = -errno;
			log_err(LOG_LVL_ERROR, errno, "%s: cannot create", inc->dir);
			return r;
		}
	}
	fs_fsync_dir(root);
	if ((r = open_dir(inc)) < 0)
		return r;
	timefmt_rfc3339(now, when);
	inc->state = json_pack("{s:i, s:s, s:s, s:s}", "format", 1, "stamp", inc->stamp, "opened", when,
			       "capture", "not started");
	if (!inc->state)
		return -ENOMEM;
	if ((r = incident_save(inc)) < 0)
		return r;
	return incident_mark_open(cfg, inc->stamp);
}

int incident_load(const struct config *cfg, const char *stamp, struct incident *inc)
{
	char root[INCIDENT_PATH_MAX - INCIDENT_STAMP_MAX - 2], path[INCIDENT_FILE_MAX], open_stamp[INCIDENT_STAMP_MAX];
	json_error_t jerr;
	int r;

	init(inc);
	if (!stamp) {
		if ((r = incident_open_stamp(cfg, open_stamp)) < 0)
			return r;
		stamp = open_stamp;
	}
	if (!incident_stamp_valid(stamp)) {
		log_error("'%s' is not an incident (incident list shows them)", stamp);
		return -EINVAL;
	}
	if ((r = incident_root(cfg, root, sizeof(root))) < 0)
		return r;
	snprintf(inc->stamp, sizeof(inc->stamp), "%s", stamp);
	snprintf(inc->dir, sizeof(inc->dir), "%s/%s", root, stamp);
	if ((r = open_dir(inc)) < 0) {
		if (r == -ENOENT)
			log_error("incident %s: %s does not exist", stamp, inc->dir);
		return r;
	}
	snprintf(path, sizeof(path), "%s/%s", inc->dir, INCIDENT_STATE);
	inc->state = json_load_file(path, 0, &jerr);
	if (!json_is_object(inc->state)) {
		log_error("%s: %s", path, jerr.text);
		return -EINVAL;
	}
	return 0;
}

void incident_free(struct incident *inc)
{
	if (inc->dirfd >= 0)
		close(inc->dirfd);
	if (inc->journal_fd >= 0)
		close(inc->journal_fd);
	json_decref(inc->state);
	inc->dirfd = inc->journal_fd = -1;
	inc->state = NULL;
}

int incident_lock(struct incident *inc)
{
	if (flock(inc->dirfd, LOCK_EX | LOCK_NB) < 0)
		return -errno;
	return 0;
}

bool incident_evidence_complete(const struct incident *inc)
{
	return evfile_exists(inc, INCIDENT_MANIFEST);
}

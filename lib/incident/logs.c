/*
 * incident logs — the evidence of one logs job: a FULL copy of every log it
 * covers now, and of each one's rotated and compressed siblings
 * (logship_list_files: access.log, access.log.1, access.log.2.gz, ...), not
 * only what was appended since the job's last run — "a backup of ALL log
 * files covering the exploit period".  Files are copied as they are on disk
 * (a .gz stays gzip), opened with O_NOATIME where allowed and never through
 * a symlink, into one pax tar, logs-JOB.tar.zst, each entry named by its
 * absolute path without the leading '/'.  A file that cannot be read is
 * listed in the summary and the copy goes on.
 *
 * Beside it, logs-JOB.archived.json lists the job's archived backups in the
 * store (id, when, result): they hold earlier periods, and what an attacker
 * edited since (logs-tamper) — pins.c keeps them.  Does not parse logs.
 */
#include "incident.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "compress.h"
#include "log.h"
#include "logship.h"
#include "units.h"

#define COPY_BUF (256 * 1024)

struct ev_tar {
	struct evfile ev;
	struct zwriter *zw;
	int err;
};

static int sink(void *ctx, const void *buf, size_t len)
{
	return evfile_write(&((struct ev_tar *)ctx)->ev, buf, len);
}

static la_ssize_t tar_cb(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct ev_tar *t = ctx;
	int r = zwriter_write(t->zw, buf, len);

	(void)a;
	if (r < 0) {
		t->err = r;
		return -1;
	}
	return (la_ssize_t)len;
}

static int open_noatime(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);

	if (fd < 0 && errno == EPERM)	/* O_NOATIME: only the owner or root */
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

/* One file into the tar: its header from fstat, its bytes as read (a log
 * still growing is copied up to the size it had at the start). */
static int add_file(struct archive *a, const char *path, char *buf, uint64_t *bytes, int *unreadable)
{
	struct archive_entry *e;
	struct stat sb;
	uint64_t left;
	int fd = open_noatime(path);

	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		log_err(LOG_LVL_WARN, errno ? errno : EINVAL, "%s: not copied", path);
		if (fd >= 0)
			close(fd);
		(*unreadable)++;
		return 0;
	}
	e = archive_entry_new();
	if (!e) {
		close(fd);
		return -ENOMEM;
	}
	archive_entry_copy_pathname(e, path[0] == '/' ? path + 1 : path);
	archive_entry_copy_stat(e, &sb);
	if (archive_write_header(a, e) < ARCHIVE_WARN) {	/* WARN: a name stored as bytes */
		log_error("%s: cannot add to the evidence tar: %s", path, archive_error_string(a));
		archive_entry_free(e);
		close(fd);
		return -EIO;
	}
	archive_entry_free(e);
	for (left = (uint64_t)sb.st_size; left > 0;) {
		ssize_t n = read(fd, buf, left < COPY_BUF ? (size_t)left : COPY_BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* Shrunk or unreadable mid-way: pad, so the tar stays whole. */
			log_warn("%s: %s while copying; the copy is padded with zeros", path,
				 n < 0 ? strerror(errno) : "shrank");
			memset(buf, 0, COPY_BUF);
			n = (ssize_t)(left < COPY_BUF ? left : COPY_BUF);
		}
		if (archive_write_data(a, buf, (size_t)n) != n) {
			log_error("%s: cannot add to the evidence tar: %s", path, archive_error_string(a));
			close(fd);
			return -EIO;
		}
		left -= (uint64_t)n;
		*bytes += (uint64_t)n;
	}
	close(fd);
	return 0;
}

static int archived_list(struct store *st, const struct job *job, struct incident *inc, size_t *count)
{
	struct store_list l;
	char name[200];
	json_t *arr = json_array(), *doc;
	int r;

	if (!arr)
		return -ENOMEM;
	r = store_list(st, job->name, &l);
	if (r < 0) {
		json_decref(arr);
		return r;
	}
	for (size_t i = 0; i < l.n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:O?, s:O?, s:O?, s:O?}", "id", l.v[i].id,
						     "started", json_object_get(l.v[i].record, "started"),
						     "finished", json_object_get(l.v[i].record, "finished"),
						     "result", json_object_get(l.v[i].record, "result"),
						     "size_raw", json_object_get(l.v[i].record, "size_raw")));
	*count = l.n;
	store_list_free(&l);
	snprintf(name, sizeof(name), "logs-%s.archived.json", job->name);
	doc = json_pack("{s:s, s:s, s:o}", "job", job->name, "note",
			"archived log backups of this job in the store; pinned by the incident", "backups", arr);
	r = doc ? evfile_json(inc, name, doc, NULL) : -ENOMEM;
	json_decref(doc);
	return r;
}

int incident_logs(const struct config *cfg, const struct job *job, struct store *st,
		  struct incident *inc, char *summary, size_t len)
{
	struct ev_tar t = { 0 };
	struct strlist files = { 0 };
	struct archive *a = NULL;
	char name[200], size[32], hex[SHA256_HEX_LEN + 1], *buf = NULL;
	uint64_t bytes = 0;
	size_t archived = 0;
	bool open_ev = false;
	int unreadable = 0, r;

	snprintf(name, sizeof(name), "logs-%s.tar.zst", job->name);
	r = logship_list_files(&job->logs.paths, &files);
	if (r == 0 && !(buf = malloc(COPY_BUF)))
		r = -ENOMEM;
	if (r == 0)
		open_ev = (r = evfile_open(inc, name, &t.ev)) == 0;
	if (r == 0)
		r = zwriter_open((int)job->tuning.compress_level, (int)job->tuning.compress_threads, sink, &t, &t.zw);
	if (r == 0 && (!(a = archive_write_new()) || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
		       archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
		       archive_write_open(a, &t, NULL, tar_cb, NULL) != ARCHIVE_OK)) {
		log_error("incident %s: logs %s: cannot start the tar: %s", inc->stamp, job->name,
			  a ? archive_error_string(a) : "out of memory");
		r = -EIO;
	}
	for (size_t i = 0; r == 0 && i < files.n; i++)
		r = add_file(a, files.v[i], buf, &bytes, &unreadable);
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = t.err ? t.err : -EIO;
	if (a)
		archive_write_free(a);
	if (r == 0) {
		r = zwriter_close(t.zw);
		t.zw = NULL;
	}
	zwriter_free(t.zw);
	if (r == 0) {
		r = evfile_finish(&t.ev, hex);
		open_ev = false;
	}
	if (open_ev)
		evfile_abort(&t.ev);
	free(buf);
	if (r == 0)
		r = archived_list(st, job, inc, &archived);
	(void)cfg;
	if (r < 0) {
		strlist_free(&files);
		snprintf(summary, len, "failed: %s (see the log)", strerror(-r));
		return r;
	}
	units_format_size_human(bytes, size, sizeof(size));
	snprintf(summary, len, "%zu log file(s) copied whole (rotated and compressed ones included), %s; "
		 "%d unreadable; %zu archived backup(s) listed; %s sha256 %s",
		 files.n - (size_t)unreadable, size, unreadable, archived, name, hex);
	strlist_free(&files);
	return 0;
}

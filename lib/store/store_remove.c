/*
 * store_remove — deleting one committed backup: the record first (from then
 * on the backup does not exist), then its other files, each step made
 * durable with a directory fsync.  Interrupted, it leaves only record-less
 * files, which store_clean() removes.
 *
 * What it does not do: choose what to remove (retention, prune) or remove a
 * pinned backup (refused with -EPERM).
 */
#include "store_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"

int store_remove(struct store *st, const char *job, const char *id)
{
	char rec[STORE_PATH_MAX], dir[STORE_PATH_MAX], stem[STORE_STEM_MAX];
	struct store_entry e;
	struct dirent *de;
	size_t stemlen;
	DIR *d;
	int rc;

	rc = store_get(st, job, id, &e);
	if (rc < 0)
		return rc;
	if (e.pin) {
		log_error("%s/%s: pinned; unpin it before it can be removed", job, e.id);
		store_entry_free(&e);
		return -EPERM;
	}
	rc = store_path(st, job, &e.parts, "json", rec, sizeof(rec));
	store_format_stem(e.parts.day, e.parts.seq, stem);
	store_entry_free(&e);
	if (rc < 0 || (rc = fs_dirname(rec, dir, sizeof(dir))) < 0)
		return rc;

	/* The record first: from here on the backup does not exist. */
	if (unlink(rec) < 0) {
		rc = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot remove", rec);
		return rc;
	}
	rc = fs_fsync_dir(dir);
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot fsync", dir);
		return rc;
	}
	d = opendir(dir);
	if (!d) {
		rc = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot read", dir);
		return rc;
	}
	stemlen = strlen(stem);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, stem, stemlen) != 0 || de->d_name[stemlen] != '.')
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
			rc = -errno;
			log_err(LOG_LVL_ERROR, errno, "%s/%s: cannot remove", dir, de->d_name);
		}
	}
	closedir(d);
	if (fs_fsync_dir(dir) < 0)
		log_warn("%s: cannot fsync", dir);
	return rc;
}

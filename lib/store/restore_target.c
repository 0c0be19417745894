/*
 * restore_target — see restore_target.h.
 */
#include "restore_target.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"

/* The directory TO is in, into BUF ("." for a bare name). */
static int parent_of(const char *to, char *buf, size_t len)
{
	int r = fs_dirname(to, buf, len);

	if (r < 0)
		log_err(LOG_LVL_ERROR, -r, "%s", to);
	return r;
}

int restore_target_check(struct restore_target *t, const char *to)
{
	char parent[4096];
	struct stat sb;
	struct dirent *de;
	DIR *d;
	int r;

	memset(t, 0, sizeof(*t));
	t->to = to;
	if (lstat(to, &sb) < 0) {
		if (errno != ENOENT) {
			r = -errno;
			log_err(LOG_LVL_ERROR, errno, "%s", to);
			return r;
		}
		r = parent_of(to, parent, sizeof(parent));
		if (r < 0)
			return r;
		if (stat(parent, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
			log_error("%s: its parent %s is not a directory: restore only into a new or empty directory",
				  to, parent);
			return -ENOENT;
		}
		if (access(parent, W_OK | X_OK) < 0) {
			r = -errno;
			log_err(LOG_LVL_ERROR, errno, "%s: cannot create it in %s", to, parent);
			return r;
		}
		return 0;
	}
	if (S_ISLNK(sb.st_mode)) {
		log_error("%s is a symlink: restore only into a new or empty directory", to);
		return -ENOTDIR;
	}
	if (!S_ISDIR(sb.st_mode)) {
		log_error("%s is not a directory: restore only into a new or empty directory", to);
		return -ENOTDIR;
	}
	d = opendir(to);
	if (!d) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot open", to);
		return r;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			break;
	closedir(d);
	if (de) {
		log_error("%s is not empty: restore only into a new or empty directory", to);
		return -EEXIST;
	}
	r = parent_of(to, parent, sizeof(parent));
	if (r < 0)
		return r;
	if (access(to, W_OK | X_OK) < 0 || access(parent, W_OK | X_OK) < 0) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot write there (the restore is staged beside it, in %s)",
			to, parent);
		return r;
	}
	t->exists = true;
	return 0;
}

int restore_target_stage(struct restore_target *t)
{
	char parent[4096];
	int r = parent_of(t->to, parent, sizeof(parent)), n;

	if (r < 0)
		return r;
	n = snprintf(t->staging, sizeof(t->staging), "%s/.lifeboat-staging-XXXXXX", parent);
	if (n < 0 || (size_t)n >= sizeof(t->staging)) {
		t->staging[0] = 0;
		log_error("%s: path too long", t->to);
		return -ENAMETOOLONG;
	}
	if (!mkdtemp(t->staging)) {		/* mode 0700 */
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot make a staging directory", parent);
		t->staging[0] = 0;
		return r;
	}
	return 0;
}

int restore_target_commit(struct restore_target *t)
{
	struct dirent *de;
	int sfd, tfd, r = 0;
	DIR *d;

	if (!t->exists) {
		if (renameat2(AT_FDCWD, t->staging, AT_FDCWD, t->to, RENAME_NOREPLACE) < 0) {
			r = -errno;
			log_err(LOG_LVL_ERROR, errno, "%s: cannot move the restored tree there from %s", t->to,
				t->staging);
			return r;
		}
		t->staging[0] = 0;
		return fs_fsync_dir(t->to) < 0 ? 0 : 0;
	}
	sfd = open(t->staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	tfd = open(t->to, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d = sfd >= 0 ? fdopendir(dup(sfd)) : NULL;
	if (sfd < 0 || tfd < 0 || !d) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot move the restored tree there from %s", t->to, t->staging);
	}
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (renameat2(sfd, de->d_name, tfd, de->d_name, RENAME_NOREPLACE) < 0) {
			r = -errno;
			log_err(LOG_LVL_ERROR, errno, "%s/%s: cannot move it there from %s", t->to, de->d_name,
				t->staging);
		}
	}
	if (d)
		closedir(d);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	if (r == 0) {
		if (rmdir(t->staging) < 0)
			log_err(LOG_LVL_WARN, errno, "%s: cannot remove", t->staging);
		t->staging[0] = 0;
	}
	return r;
}

void restore_target_discard(struct restore_target *t)
{
	if (!t->staging[0])
		return;
	if (fs_remove_tree(AT_FDCWD, t->staging) < 0)
		log_err(LOG_LVL_WARN, errno, "%s: cannot remove the restore's staging directory", t->staging);
	t->staging[0] = 0;
}

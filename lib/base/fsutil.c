/*
 * fsutil — the file-system primitives every durable write in Lifeboat rests
 * on (see fsutil.h).
 *
 * Design: every function is a thin, careful wrapper around the system calls,
 * returning 0 or a negative errno so that the caller, who knows which backup
 * or config file a path belongs to, can log it with context.  Durability
 * follows the usual recipe: write a temporary file, fsync it, rename it over
 * the target and fsync the directory so that the rename itself survives a
 * power cut.
 *
 * What it deliberately does not do: log (the caller does), follow or resolve
 * symlinks specially, retry on ENOSPC, or clean up temporaries left by a
 * crashed process (the store's cleaner knows which ones are stale).
 */
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Creates one directory component; an existing directory is fine. */
static int mkdir_one(const char *path, mode_t mode)
{
	struct stat sb;

	if (mkdir(path, mode) == 0) {
		/* mkdir(2) applies the umask; a store directory must be exactly
		 * MODE, so fix it — but only on directories we just made, never
		 * on ones the administrator set up. */
		if (chmod(path, mode) < 0)
			return -errno;
		return 0;
	}
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &sb) < 0)
		return -errno;
	return S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
}

int fs_mkdirs(const char *path, mode_t mode)
{
	char *buf;
	char *p;
	int rc = 0;

	if (!path || !*path)
		return -ENOENT;
	buf = strdup(path);
	if (!buf)
		return -ENOMEM;
	/* Walk the components left to right; the leading "/" of an absolute
	 * path is not a component of its own. */
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (p[-1] != '/') {
			char saved = *p;

			*p = '\0';
			rc = mkdir_one(buf, mode);
			*p = saved;
			if (rc < 0)
				break;
		}
		if (*p == '\0')
			break;
	}
	free(buf);
	return rc;
}

int fs_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* write(2) returning 0 for a non-zero length means no progress
		 * will ever be made; don't spin. */
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fs_fsync_dir(const char *dir)
{
	int fd;
	int rc = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[4096];
	char dir[4096];
	int fd;
	int rc;
	int n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	rc = fs_dirname(path, dir, sizeof(dir));
	if (rc < 0)
		return rc;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0 && errno == EEXIST) {
		/* Only a dead process that had our PID (before a reboot) can have
		 * left this name; O_EXCL still guarantees we never write through
		 * a file or link someone else planted. */
		if (unlink(tmp) < 0 && errno != ENOENT)
			return -errno;
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	}
	if (fd < 0)
		return -errno;

	/* The umask may have narrowed (or, at 0, not narrowed) the mode. */
	if (fchmod(fd, mode) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = fs_write_all(fd, data, len);
	if (rc < 0)
		goto fail;
	if (fsync(fd) < 0) {
		rc = -errno;
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = -errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = -errno;
		goto fail;
	}
	return fs_fsync_dir(dir);

fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

int fs_read_all(const char *path, size_t max, char **out, size_t *len)
{
	struct stat sb;
	char *buf = NULL;
	size_t cap;
	size_t used = 0;
	int fd;
	int rc;

	*out = NULL;
	if (len)
		*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		rc = -errno;
		goto fail;
	}
	if (S_ISREG(sb.st_mode) && (unsigned long long)sb.st_size > max) {
		rc = -EFBIG;
		goto fail;
	}
	/* st_size is only a hint (the file may grow, or be a pipe or a /proc
	 * file reporting 0), so the loop below still enforces MAX itself. */
	if (max > SIZE_MAX - 2)
		max = SIZE_MAX - 2;
	/* Room for the NUL and for one more byte, so that a file of exactly
	 * st_size bytes reaches EOF without growing the buffer. */
	cap = S_ISREG(sb.st_mode) ? (size_t)sb.st_size + 2 : 4096;
	if (cap > max + 2)
		cap = max + 2;
	buf = malloc(cap);
	if (!buf) {
		rc = -ENOMEM;
		goto fail;
	}
	for (;;) {
		ssize_t n;

		if (used + 1 >= cap) {
			size_t ncap;
			char *nbuf;

			if (used > max) {
				rc = -EFBIG;
				goto fail;
			}
			/* Room for one byte past MAX, so that reading it proves
			 * the file is too big. */
			ncap = cap * 2;
			if (ncap > max + 2)
				ncap = max + 2;
			if (ncap <= cap)
				ncap = cap + 1;
			nbuf = realloc(buf, ncap);
			if (!nbuf) {
				rc = -ENOMEM;
				goto fail;
			}
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			rc = -EFBIG;
			goto fail;
		}
	}
	close(fd);
	buf[used] = '\0';
	*out = buf;
	if (len)
		*len = used;
	return 0;

fail:
	free(buf);
	close(fd);
	return rc;
}

int fs_dirname(const char *path, char *buf, size_t buflen)
{
	size_t end;

	if (!path)
		return -EINVAL;
	end = strlen(path);
	/* Trailing slashes name the same directory ("a/b/" is "a/b"). */
	while (end > 1 && path[end - 1] == '/')
		end--;
	while (end > 0 && path[end - 1] != '/')
		end--;
	if (end == 0) {
		/* No slash at all: the file is in the current directory. */
		path = ".";
		end = 1;
	} else {
		/* Drop the separator(s) before the last component, but keep the
		 * root itself. */
		while (end > 1 && path[end - 1] == '/')
			end--;
	}
	if (end + 1 > buflen)
		return -ENAMETOOLONG;
	memcpy(buf, path, end);
	buf[end] = '\0';
	return 0;
}

int fs_remove_tree(int parent, const char *name)
{
	int dfd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	int bad = 0, err = 0;
	DIR *d;

	if (dfd < 0) {
		if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
			return -1;
		return 0;
	}
	fchmod(dfd, 0700);
	d = fdopendir(dfd);
	if (!d) {
		err = errno;
		close(dfd);
		errno = err;
		return -1;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dfd, de->d_name, 0) < 0) {
			if ((errno == EISDIR || errno == EPERM) && fs_remove_tree(dfd, de->d_name) == 0)
				continue;
			if (errno != ENOENT) {
				bad = 1;
				err = errno;
			}
		}
	}
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0) {
		if (!bad)
			err = errno;
		bad = 1;
	}
	errno = err;
	return bad ? -1 : 0;
}

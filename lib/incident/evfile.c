/*
 * incident evfile — one evidence file, written whole or not at all: bytes
 * go to ".NAME.part" (0600, O_EXCL) in the incident dir while their SHA-256
 * is computed; finishing fsyncs it, renames it to NAME and fsyncs the
 * directory.  A capture killed mid-file leaves only the part, which no
 * manifest lists and the next capture removes (evfile_clean).  This file
 * does not know what the evidence is.
 */
#include "incident.h"

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

int evfile_open(struct incident *inc, const char *name, struct evfile *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->inc = inc;
	ev->fd = -1;
	snprintf(ev->name, sizeof(ev->name), "%s", name);
	snprintf(ev->part, sizeof(ev->part), ".%s.part", name);
	unlinkat(inc->dirfd, ev->part, 0);
	ev->fd = openat(inc->dirfd, ev->part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (ev->fd < 0) {
		int r = -errno;

		log_err(LOG_LVL_ERROR, errno, "%s/%s: cannot create", inc->dir, ev->part);
		return r;
	}
	if (sha256_init(&ev->h) < 0) {
		close(ev->fd);
		unlinkat(inc->dirfd, ev->part, 0);
		ev->fd = -1;
		return -ENOMEM;
	}
	return 0;
}

int evfile_write(struct evfile *ev, const void *buf, size_t len)
{
	int r = fs_write_all(ev->fd, buf, len);

	if (r < 0) {
		log_err(LOG_LVL_ERROR, -r, "%s/%s: cannot write", ev->inc->dir, ev->part);
		return r;
	}
	sha256_update(&ev->h, buf, len);
	ev->bytes += len;
	return 0;
}

int evfile_finish(struct evfile *ev, char hex[SHA256_HEX_LEN + 1])
{
	char h[SHA256_HEX_LEN + 1];
	int r = 0;

	sha256_final_hex(&ev->h, h);
	if (fsync(ev->fd) < 0) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s/%s: cannot fsync", ev->inc->dir, ev->part);
	}
	close(ev->fd);
	ev->fd = -1;
	if (r == 0 && renameat(ev->inc->dirfd, ev->part, ev->inc->dirfd, ev->name) < 0) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s/%s: cannot rename to %s", ev->inc->dir, ev->part, ev->name);
	}
	if (r == 0 && fsync(ev->inc->dirfd) < 0) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot fsync", ev->inc->dir);
	}
	if (r < 0)
		unlinkat(ev->inc->dirfd, ev->part, 0);
	else if (hex)
		memcpy(hex, h, sizeof(h));
	return r;
}

void evfile_abort(struct evfile *ev)
{
	if (ev->fd >= 0) {
		sha256_discard(&ev->h);
		close(ev->fd);
		ev->fd = -1;
	}
	unlinkat(ev->inc->dirfd, ev->part, 0);
}

int evfile_json(struct incident *inc, const char *name, const json_t *j, char hex[SHA256_HEX_LEN + 1])
{
	struct evfile ev;
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	int r;

	if (!text)
		return -ENOMEM;
	r = evfile_open(inc, name, &ev);
	if (r == 0) {
		r = evfile_write(&ev, text, strlen(text));
		if (r == 0)
			r = evfile_write(&ev, "\n", 1);
		if (r == 0)
			r = evfile_finish(&ev, hex);
		else
			evfile_abort(&ev);
	}
	free(text);
	return r;
}

bool evfile_exists(const struct incident *inc, const char *name)
{
	struct stat sb;

	return fstatat(inc->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode);
}

int evfile_clean(struct incident *inc)
{
	int fd = dup(inc->dirfd), n = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' && len > 6 && !strcmp(de->d_name + len - 5, ".part") &&
		    unlinkat(inc->dirfd, de->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	return n;
}

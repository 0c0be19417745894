/*
 * logship_src — reads a candidate file from its start: a plain file through
 * its descriptor, a .gz through libarchive's gzip filter (raw format), so
 * a compressed rotation is seen as the text it holds.  The file opened must
 * still be the one the scan saw (same device and inode); otherwise it was
 * rotated in between and the caller treats it as gone for this run.
 */
#include "logship_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive_entry.h>

#include "log.h"

int lsrc_open(struct lsrc *s, const char *path, bool gz, uint64_t dev, uint64_t ino)
{
	struct archive_entry *e;
	struct stat sb;
	int r;

	memset(s, 0, sizeof(*s));
	s->path = path;
	s->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (s->fd < 0) {
		r = -errno;
		if (errno != ENOENT)
			log_err(LOG_LVL_ERROR, errno, "%s: cannot open", path);
		return r == -ENOENT ? -ESTALE : r;
	}
	if (fstat(s->fd, &sb) < 0 || (uint64_t)sb.st_dev != dev || (uint64_t)sb.st_ino != ino ||
	    !S_ISREG(sb.st_mode)) {
		close(s->fd);
		s->fd = -1;
		return -ESTALE;
	}
	if (!gz)
		return 0;
	s->a = archive_read_new();
	if (!s->a) {
		close(s->fd);
		return -ENOMEM;
	}
	archive_read_support_filter_gzip(s->a);
	archive_read_support_format_raw(s->a);
	if (archive_read_open_fd(s->a, s->fd, 64 * 1024) != ARCHIVE_OK ||
	    archive_read_next_header(s->a, &e) != ARCHIVE_OK) {
		log_error("%s: cannot read as gzip: %s", path, archive_error_string(s->a));
		lsrc_close(s);
		return -EIO;
	}
	return 0;
}

ssize_t lsrc_read(struct lsrc *s, void *buf, size_t len)
{
	ssize_t n;

	if (s->a) {
		n = archive_read_data(s->a, buf, len);
		if (n < 0) {
			log_error("%s: cannot decompress: %s", s->path, archive_error_string(s->a));
			return -EIO;
		}
	} else {
		do
			n = pread(s->fd, buf, len, (off_t)s->pos);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			n = -errno;
			log_err(LOG_LVL_ERROR, errno, "%s: cannot read", s->path);
			return n;
		}
	}
	s->pos += (uint64_t)n;
	return n;
}

int lsrc_seek(struct lsrc *s, uint64_t off)
{
	char buf[64 * 1024];

	if (!s->a) {
		s->pos = off;
		return 0;
	}
	while (s->pos < off) {
		size_t want = off - s->pos < sizeof(buf) ? (size_t)(off - s->pos) : sizeof(buf);
		ssize_t n = lsrc_read(s, buf, want);

		if (n < 0)
			return (int)n;
		if (n == 0)
			return -ENODATA;
	}
	return s->pos == off ? 0 : -EINVAL;
}

void lsrc_close(struct lsrc *s)
{
	if (s->a)
		archive_read_free(s->a);
	s->a = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int lsrc_hash_prefix(struct lsrc *s, uint64_t len, struct hashrun *h, uint64_t *total,
		     const struct logship_hooks *hooks)
{
	unsigned char *buf = malloc(LS_BUF);
	uint64_t done = 0;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		size_t want = LS_BUF;
		ssize_t n;

		if (done < len && len - done < want)
			want = (size_t)(len - done);
		if (done >= len && !total)
			break;
		n = lsrc_read(s, buf, want);
		if (n < 0) {
			r = (int)n;
			break;
		}
		if (n == 0)
			break;
		if (hooks && hooks->io)
			hooks->io(hooks->ctx, (uint64_t)n);
		if (done < len)
			hashrun_update(h, buf, (size_t)n);
		done += (uint64_t)n;
		if (hooks && hooks->between && hooks->between(hooks->ctx) < 0) {
			r = -ECANCELED;
			break;
		}
	}
	free(buf);
	if (r < 0)
		return r;
	if (total)
		*total = done;
	return done < len ? -ENODATA : 0;
}

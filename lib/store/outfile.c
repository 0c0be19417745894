/*
 * outfile — see outfile.h.
 */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WRITEBACK_WINDOW (8u << 20)	/* page-cache path: bytes between write-back steps */

static int leave_direct(struct outfile *w)
{
	int fl = fcntl(w->fd, F_GETFL);

	if (fl < 0 || fcntl(w->fd, F_SETFL, fl & ~O_DIRECT) < 0)
		return -errno;
	w->direct = false;
	/* What was written direct is not in the page cache: pacing starts here. */
	w->flushing = w->dropped = w->written;
	return 0;
}

/* A direct write the kernel refused: the rest goes through the page cache. */
static int fall_back(struct outfile *w)
{
	w->all_direct = false;
	return leave_direct(w);
}

int outfile_init(struct outfile *w, int fd)
{
	void *buf;
	int fl;

	memset(w, 0, sizeof(*w));
	w->fd = fd;
	if (posix_memalign(&buf, OUTFILE_ALIGN, OUTFILE_BUF) != 0)
		return -ENOMEM;
	w->buf = buf;
	/* fcntl, not open: a filesystem without direct I/O refuses it here
	 * with EINVAL, where open(O_CREAT|O_EXCL) would already have made the
	 * file. */
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && fcntl(fd, F_SETFL, fl | O_DIRECT) == 0) {
		w->direct = w->all_direct = true;
		return 0;
	}
	free(w->buf);
	w->buf = NULL;
	return 0;
}

/*
 * Left to itself the kernel writes a big file back in one burst ~30 s in,
 * and the final fsync in another, each stalling the database for a
 * noticeable time, and the written pages push the site's own cache out.  So
 * every window the writer starts writing the new window back, waits for the
 * window before it (long since under way, so the wait is short) and drops
 * that from the page cache.  These calls are advice: where a filesystem does
 * not support them, the caller's fsync still makes the file durable.
 */
static void pace_writeback(struct outfile *w)
{
	sync_file_range(w->fd, (off_t)w->flushing, (off_t)(w->written - w->flushing),
			SYNC_FILE_RANGE_WRITE);
	if (w->flushing > w->dropped) {
		sync_file_range(w->fd, (off_t)w->dropped, (off_t)(w->flushing - w->dropped),
				SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
				SYNC_FILE_RANGE_WAIT_AFTER);
		posix_fadvise(w->fd, (off_t)w->dropped, (off_t)(w->flushing - w->dropped),
			      POSIX_FADV_DONTNEED);
		w->dropped = w->flushing;
	}
	w->flushing = w->written;
}

/* Writes LEN bytes of P at the file's end, direct while the fd is.  A direct
 * write the kernel refuses (EINVAL: the device wants a coarser alignment
 * than ours, or a short write left us unaligned) is finished through the
 * page cache, and so is the rest of the file. */
static int write_out(struct outfile *w, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(w->fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EINVAL && w->direct) {
				int r = fall_back(w);

				if (r < 0)
					return r;
				continue;
			}
			return -errno;
		}
		if (n == 0)
			return -EIO;	/* no progress and no error: never spin */
		p += n;
		len -= (size_t)n;
		w->written += (uint64_t)n;
		if (w->direct && (n % OUTFILE_ALIGN) != 0 && len > 0) {
			int r = fall_back(w);

			if (r < 0)
				return r;
		}
	}
	if (!w->direct && w->written - w->flushing >= WRITEBACK_WINDOW)
		pace_writeback(w);
	return 0;
}

int outfile_write(struct outfile *w, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	int r;

	if (!w->buf)
		return write_out(w, p, len);
	while (len > 0) {
		size_t take = OUTFILE_BUF - w->buffered;

		if (take > len)
			take = len;
		memcpy(w->buf + w->buffered, p, take);
		w->buffered += take;
		p += take;
		len -= take;
		if (w->buffered == OUTFILE_BUF) {
			r = write_out(w, w->buf, w->buffered);
			w->buffered = 0;
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int outfile_flush(struct outfile *w)
{
	size_t aligned;
	int r = 0;

	/* The whole blocks go direct; the tail, a partial block, cannot.  The
	 * fd is left an ordinary one in any case, for the caller's fsync. */
	aligned = w->buffered - w->buffered % OUTFILE_ALIGN;
	if (aligned)
		r = write_out(w, w->buf, aligned);
	if (r == 0 && w->direct)
		r = leave_direct(w);
	if (r == 0 && w->buffered > aligned)
		r = write_out(w, w->buf + aligned, w->buffered - aligned);
	w->buffered = 0;
	return r;
}

bool outfile_is_direct(const struct outfile *w)
{
	return w->direct;
}

bool outfile_all_direct(const struct outfile *w)
{
	return w->all_direct;
}

void outfile_free(struct outfile *w)
{
	free(w->buf);
	w->buf = NULL;
	w->buffered = 0;
}

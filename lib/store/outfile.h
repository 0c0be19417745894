/*
 * outfile — how a backup's bytes reach the disk without harming the server.
 *
 * Measured on the issue 8 benchmark (2 vCPUs, kernel 6.18, 1 GB database
 * fully in the buffer pool, point selects at 200/s): writing a file at 40 MB/s
 * through the page cache raised the workload's p99 from 0.55 ms to 2.7-2.9 ms,
 * even with its write-back paced; the same bytes written with O_DIRECT left it
 * at 0.61 ms.  Page-cache writes cost the whole machine (dirty accounting,
 * the flusher thread, page reclaim) at the moment the site wants the CPU;
 * direct writes cost only the writer.
 *
 * So an outfile collects bytes in an aligned buffer and writes it with
 * O_DIRECT, a buffer at a time.  Where the filesystem refuses direct I/O
 * (tmpfs, some network filesystems) it writes through the page cache and
 * paces its write-back instead: every few MiB it starts writing the new
 * window back, waits for the window before it and drops that from the cache.
 *
 * The outfile borrows the fd: it never closes it.  outfile_flush() must be
 * called before the fd's fsync, or the tail is not in the file.
 */
#ifndef LIFEBOAT_OUTFILE_H
#define LIFEBOAT_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct outfile {
	int fd;			/* borrowed */
	bool direct;		/* O_DIRECT is set on fd */
	bool all_direct;	/* every whole block so far went direct */
	unsigned char *buf;	/* OUTFILE_BUF bytes, aligned; NULL when not direct */
	size_t buffered;	/* bytes in buf */
	uint64_t written;	/* bytes handed to write(2) */
	uint64_t flushing;	/* page-cache path: write-back started up to here */
	uint64_t dropped;	/* ... written back and dropped from the cache up to here */
};

#define OUTFILE_BUF (1u << 20)		/* direct write size */
#define OUTFILE_ALIGN 4096u		/* buffer, offset and length alignment */

/* Sets W up on FD (an empty file opened for writing) and tries to switch FD
 * to O_DIRECT.  Returns 0 or -ENOMEM; a filesystem that refuses direct I/O
 * is not an error (outfile_is_direct() says false). */
int outfile_init(struct outfile *w, int fd);
/* Appends LEN bytes.  Returns 0 or a negative errno from write(2). */
int outfile_write(struct outfile *w, const void *buf, size_t len);
/* Writes what is still buffered and takes O_DIRECT off the fd.  After it the
 * file holds every byte given; the caller's fsync makes them durable.  0 or
 * a negative errno. */
int outfile_flush(struct outfile *w);
/* True while the file is written with O_DIRECT. */
bool outfile_is_direct(const struct outfile *w);
/* True when every whole block went direct (only the tail did not): the
 * file never went through the page cache but for its last block. */
bool outfile_all_direct(const struct outfile *w);
/* Frees the buffer (not the fd).  Safe on a zeroed or freed outfile. */
void outfile_free(struct outfile *w);

#endif

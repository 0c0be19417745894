/*
 * diskcanary — see diskcanary.h for what and why.
 */
#include "diskcanary.h"

#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "monoclock.h"

#define BLOCK		4096
#define WALK_SECONDS	1.0

struct dc_file {
	int fd;
	uint64_t blocks;		/* whole 4 KiB blocks in it */
};

struct diskcanary {
	struct dc_file file[DISKCANARY_FILES];
	unsigned nfiles;
	void *buf;			/* BLOCK bytes, BLOCK-aligned (O_DIRECT) */
	unsigned seed;
	double last;			/* when the last read started (monotonic s) */
	double quickest;		/* the quickest read so far, s (0: none yet) */
};

/* A file the walk found, before it is opened. */
struct dc_pick {
	char *path;
	off_t size;
};

/* Worth reading: regular, at least a block, most of it on the disk (the
 * holes of a sparse file read as zeros without a device read). */
static bool worth(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_size >= BLOCK && (off_t)st->st_blocks * 512 >= st->st_size / 2;
}

/* Keeps the DISKCANARY_FILES largest in PICK (sorted, largest first). */
static void keep_largest(struct dc_pick *pick, unsigned *n, const char *path, off_t size)
{
	unsigned i = *n < DISKCANARY_FILES ? (*n)++ : DISKCANARY_FILES;
	char *copy;

	if (i == DISKCANARY_FILES) {
		if (size <= pick[DISKCANARY_FILES - 1].size)
			return;
		i = DISKCANARY_FILES - 1;
		free(pick[i].path);
		pick[i].path = NULL;
	}
	copy = strdup(path);
	if (!copy) {		/* one file fewer; the canary still works */
		if (i == *n - 1)
			(*n)--;
		return;
	}
	for (; i > 0 && pick[i - 1].size < size; i--)
		pick[i] = pick[i - 1];
	pick[i].path = copy;
	pick[i].size = size;
}

/* The largest files under PATH on device DEV, within the walk's bounds. */
static unsigned walk(const char *path, dev_t dev, struct dc_pick *pick)
{
	char *argv[] = { (char *)path, NULL };
	double until = monoclock_now() + WALK_SECONDS;
	unsigned n = 0, seen = 0;
	FTSENT *e;
	FTS *fts;

	/* The job's path is the admin's (a `current` symlink to a release is
	 * common): followed; nothing below it is. */
	fts = fts_open(argv, FTS_PHYSICAL | FTS_COMFOLLOW | FTS_XDEV | FTS_NOCHDIR, NULL);
	if (!fts)
		return 0;
	while ((e = fts_read(fts)) != NULL) {
		if (++seen > DISKCANARY_WALK || (seen % 64 == 0 && monoclock_now() > until))
			break;
		if (e->fts_info == FTS_F && e->fts_statp->st_dev == dev && worth(e->fts_statp))
			keep_largest(pick, &n, e->fts_path, e->fts_statp->st_size);
	}
	fts_close(fts);
	return n;
}

/* Opens PATH for direct reads: the fd, -1 when it does not fit (said why in
 * *WHY: 'd' O_DIRECT refused, 'o' other). */
static int open_direct(const char *path, dev_t dev, uint64_t *blocks, char *why)
{
	int flags = O_RDONLY | O_DIRECT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	struct stat st;
	int fd;

	fd = open(path, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)	/* O_NOATIME: only the owner or root */
		fd = open(path, flags);
	if (fd < 0) {
		*why = errno == EINVAL ? 'd' : 'o';
		return -1;
	}
	/* What the walk saw may have been swapped since: check what is open. */
	if (fstat(fd, &st) < 0 || st.st_dev != dev || !worth(&st)) {
		close(fd);
		*why = 'o';
		return -1;
	}
	*blocks = (uint64_t)st.st_size / BLOCK;
	return fd;
}

int diskcanary_open(const char *job_name, const char *path, void **out)
{
	struct diskcanary *c = calloc(1, sizeof(*c));
	struct dc_pick pick[DISKCANARY_FILES] = { 0 };
	unsigned npick = 0, refused = 0;
	struct stat root;

	*out = NULL;
	if (!c || posix_memalign(&c->buf, BLOCK, BLOCK) != 0) {
		free(c);
		log_error("job %s: out of memory", job_name);
		return -ENOMEM;
	}
	c->seed = (unsigned)(monoclock_now() * 1e6) ^ (unsigned)getpid();
	if (stat(path, &root) == 0) {
		if (S_ISDIR(root.st_mode))
			npick = walk(path, root.st_dev, pick);
		else if (worth(&root))
			keep_largest(pick, &npick, path, root.st_size);
	}
	for (unsigned i = 0; i < npick; i++) {
		char why = 0;
		int fd = open_direct(pick[i].path, root.st_dev, &c->file[c->nfiles].blocks, &why);

		if (fd >= 0)
			c->file[c->nfiles++].fd = fd;
		else if (why == 'd')
			refused++;
		free(pick[i].path);
	}
	if (!c->nfiles)
		log_debug("job %s: no disk canary: %s", job_name,
			  refused ? "the filesystem refuses direct reads" : "no file of 4 KiB or more found");
	*out = c;
	return 0;
}

int diskcanary_sample(void *state, double *seconds)
{
	struct diskcanary *c = state;
	const struct dc_file *f;
	double t0, took;
	off_t off;
	ssize_t n;

	if (!c->nfiles)
		return 1;
	t0 = monoclock_now();
	if (c->quickest > 0 && t0 - c->last < DISKCANARY_DUTY * c->quickest)
		return 1;	/* its own cost: at most 1/DUTY of the device's time */
	f = &c->file[(unsigned)rand_r(&c->seed) % c->nfiles];
	off = (off_t)(((uint64_t)rand_r(&c->seed) << 31 ^ (uint64_t)rand_r(&c->seed)) % f->blocks) * BLOCK;
	c->last = t0;
	n = pread(f->fd, c->buf, BLOCK, off);
	took = monoclock_now() - t0;
	if (n < 0)
		return -errno;
	if (n != BLOCK)
		return 1;	/* the file shrank: nothing read from the disk */
	if (c->quickest <= 0 || took < c->quickest)
		c->quickest = took;
	*seconds = took;
	return 0;
}

unsigned diskcanary_files(const void *state)
{
	return state ? ((const struct diskcanary *)state)->nfiles : 0;
}

void diskcanary_close(void *state)
{
	struct diskcanary *c = state;

	if (!c)
		return;
	for (unsigned i = 0; i < c->nfiles; i++)
		close(c->file[i].fd);
	free(c->buf);
	free(c);
}

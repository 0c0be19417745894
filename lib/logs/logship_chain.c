/*
 * logship_chain — reading back what a logs job archived.
 *
 * A logs backup holds only what was new at its run; the whole history of a
 * log is the segments of every backup along the "parent" chain, oldest
 * first.  The chain is record_chain_load()'s (kind "logs"); this file
 * streams the segments out of each tar.zst through reader.h (the artifact
 * checked against its record when it is read whole), and builds two things
 * on it: restore, which writes each log's generations one after the other
 * into a staging directory moved into place only when every artifact
 * checked (restore_target.h), each read once, and the first
 * byte where a live file stopped matching what was archived of it (the
 * offset a tamper alert reports).
 */
#include "logship_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive_entry.h>

#include "fsutil.h"
#include "log.h"
#include "reader.h"
#include "record.h"
#include "restore_target.h"

/* ---- streaming the segments out of one artifact --------------------------- */

static const json_t *segment_named(const json_t *segs, const char *entry)
{
	const json_t *s;
	size_t i;

	json_array_foreach(segs, i, s)
		if (strcmp(json_string_value(json_object_get(s, "entry")) ?: "", entry) == 0)
			return s;
	return NULL;
}

static bool has_gen(const json_t *segs, uint64_t gen)
{
	const json_t *s;
	size_t i;

	if (gen == UINT64_MAX)
		return json_array_size(segs) > 0;
	json_array_foreach(segs, i, s)
		if ((uint64_t)json_integer_value(json_object_get(s, "gen")) == gen)
			return true;
	return false;
}

static int each_in_artifact(struct store *st, const char *job, const struct store_entry *e,
			    uint64_t gen, lchain_fn fn, void *ctx, uint64_t *read)
{
	const json_t *segs = json_object_get(json_object_get(e->record, "logs"), "segments");
	struct reader *rd = NULL;
	struct archive *a = NULL;
	struct archive_entry *ae;
	size_t entries = 0;
	int r, c, ar = ARCHIVE_OK;

	if (!has_gen(segs, gen))
		return 0;
	r = reader_open(st, e, RECORD_ARTIFACT_MAIN, 0, &rd, NULL, 0);
	if (r < 0)
		return r;
	r = reader_archive(rd, &a);
	if (r == -EBADMSG)
		log_error("job %s: backup %s: %s", job, e->id, rd->why);
	while (r == 0 && (ar = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		const json_t *seg = segment_named(segs, archive_entry_pathname(ae));
		const void *buf;
		size_t len;
		la_int64_t off;

		entries++;
		if (!seg) {
			log_error("job %s: backup %s: %s holds %s, which its record does not list", job, e->id,
				  rd->path, archive_entry_pathname(ae));
			r = -EINVAL;
			break;
		}
		if (gen != UINT64_MAX && (uint64_t)json_integer_value(json_object_get(seg, "gen")) != gen)
			continue;
		while (r == 0 && (ar = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
			r = fn(ctx, seg, (uint64_t)json_integer_value(json_object_get(seg, "start")) + (uint64_t)off,
			       buf, len);
		if (r == 0 && ar != ARCHIVE_EOF) {
			log_error("job %s: backup %s: %s: %s", job, e->id, rd->path, archive_error_string(a));
			r = -EIO;
		}
	}
	if (r == 0 && ar != ARCHIVE_EOF) {
		log_error("job %s: backup %s: %s: %s", job, e->id, rd->path, archive_error_string(a));
		r = -EIO;
	}
	if (r == 0 && entries != json_array_size(segs)) {
		log_error("job %s: backup %s: %s holds %zu segments, its record lists %zu", job, e->id,
			  rd->path, entries, json_array_size(segs));
		r = -EINVAL;
	}
	if (a)
		archive_read_free(a);
	/* Read to its end (or failed on the way, most often for a corrupted
	 * artifact): the hash decides.  FN's stop (1) leaves it unchecked. */
	if (r <= 0) {
		c = reader_close(rd);
		if (c < 0 && (r == 0 || r == -EIO || r == -EINVAL))
			r = c;
	}
	if (read)
		*read += rd->bytes;
	reader_free(rd);
	return r;
}

int lchain_each(struct store *st, const char *job, const struct record_chain *c, uint64_t gen,
		lchain_fn fn, void *ctx, uint64_t *read)
{
	for (size_t i = 0; i < c->n; i++) {
		int r = each_in_artifact(st, job, &c->v[i], gen, fn, ctx, read);

		if (r != 0)
			return r;
	}
	return 0;
}

int logship_each(struct store *st, const char *job, const struct record_chain *c, logship_each_fn fn,
		 void *ctx, uint64_t *read)
{
	return lchain_each(st, job, c, UINT64_MAX, fn, ctx, read);
}

/* ---- the first differing byte --------------------------------------------- */

struct diff_ctx {
	int fd;
	int64_t diff;
	unsigned char buf[64 * 1024];
};

static int diff_cb(void *ctx, const json_t *seg, uint64_t pos, const void *data, size_t len)
{
	struct diff_ctx *d = ctx;
	const unsigned char *want = data;

	while (len) {
		size_t n = len < sizeof(d->buf) ? len : sizeof(d->buf);
		ssize_t got = pread(d->fd, d->buf, n, (off_t)pos);

		if (got < 0)
			got = 0;
		for (ssize_t i = 0; i < got; i++) {
			if (d->buf[i] != want[i]) {
				d->diff = (int64_t)pos + i;
				return 1;
			}
		}
		if ((size_t)got < n) {
			d->diff = (int64_t)pos + got;	/* the file ends here */
			return 1;
		}
		pos += n;
		want += n;
		len -= n;
	}
	return 0;
}

int lchain_first_diff(struct store *st, const char *job, const char *id, uint64_t gen,
		      const char *path, int64_t *diff)
{
	struct diff_ctx *d;
	struct record_chain c;
	char why[1024];
	int r;

	*diff = -1;
	d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->diff = -1;
	d->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (d->fd < 0) {
		*diff = 0;
		free(d);
		return 0;
	}
	r = record_chain_load(st, job, id, "logs", 0, &c, why, sizeof(why));
	if (r < 0) {
		log_error("job %s: %s", job, why);
	} else {
		r = lchain_each(st, job, &c, gen, diff_cb, d, NULL);
		record_chain_free(&c);
	}
	if (r >= 0) {
		*diff = d->diff;
		r = 0;
	}
	close(d->fd);
	free(d);
	return r;
}

/* ---- restore ---------------------------------------------------------------- */

struct rgen {
	uint64_t gen;
	const char *name;	/* borrowed from a record */
	uint64_t len;		/* bytes archived so far along the chain */
	uint64_t base;		/* where it starts in the restored file */
};

struct restore_ctx {
	const char *dir;
	struct rgen *gens;	/* sorted by gen */
	size_t n;
	const char *open_name;	/* name of the file open on fd */
	int fd;
	uint64_t bytes;
};

static int cmp_gen(const void *a, const void *b)
{
	const struct rgen *x = a, *y = b;

	return x->gen < y->gen ? -1 : x->gen > y->gen;
}

static struct rgen *gen_find(struct restore_ctx *rc, uint64_t gen)
{
	struct rgen key = { .gen = gen };

	return rc->n ? bsearch(&key, rc->gens, rc->n, sizeof(*rc->gens), cmp_gen) : NULL;
}

/* Every generation of the chain with its length, checking that each segment
 * starts where the generation's previous one ended. */
static int restore_plan(const char *job, const struct record_chain *c, struct restore_ctx *rc)
{
	size_t cap = 0;

	for (size_t i = 0; i < c->n; i++) {
		const struct store_entry *e = &c->v[i];
		const json_t *segs = json_object_get(json_object_get(e->record, "logs"), "segments"), *s;
		size_t k;

		json_array_foreach(segs, k, s) {
			uint64_t gen = (uint64_t)json_integer_value(json_object_get(s, "gen"));
			uint64_t start = (uint64_t)json_integer_value(json_object_get(s, "start"));
			uint64_t end = (uint64_t)json_integer_value(json_object_get(s, "end"));
			const char *name = json_string_value(json_object_get(s, "name"));
			struct rgen *g = NULL;

			for (size_t j = rc->n; j-- > 0;)
				if (rc->gens[j].gen == gen) {
					g = &rc->gens[j];
					break;
				}
			if (!lstate_path_safe(name) || end < start || (g && strcmp(g->name, name))) {
				log_error("job %s: backup %s: a segment has a bad name or range", job, e->id);
				return -EINVAL;
			}
			if (!g) {
				if (rc->n == cap) {
					struct rgen *v;

					cap = cap ? cap * 2 : 64;
					v = realloc(rc->gens, cap * sizeof(*v));
					if (!v)
						return -ENOMEM;
					rc->gens = v;
				}
				g = &rc->gens[rc->n++];
				*g = (struct rgen){ .gen = gen, .name = name };
			}
			if (start != g->len) {
				log_error("job %s: backup %s: %s generation %llu continues at %llu but the chain holds %llu bytes of it",
					  job, e->id, name, (unsigned long long)gen, (unsigned long long)start,
					  (unsigned long long)g->len);
				return -EINVAL;
			}
			g->len = end;
		}
	}
	if (rc->n)
		qsort(rc->gens, rc->n, sizeof(*rc->gens), cmp_gen);
	return 0;
}

static int out_path(const struct restore_ctx *rc, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s", rc->dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Creates each restored file, and sets each generation's place in it:
 * generations of one log follow each other in generation order. */
static int restore_create(struct restore_ctx *rc, uint64_t *files)
{
	char path[PATH_MAX], dir[PATH_MAX];
	int r = 0;

	*files = 0;
	for (size_t i = 0; i < rc->n && r == 0; i++) {
		uint64_t base = 0;
		bool first = true;
		int fd;

		/* Earlier generations of the same log come first. */
		for (size_t j = 0; j < i; j++) {
			if (strcmp(rc->gens[j].name, rc->gens[i].name) == 0) {
				base += rc->gens[j].len;
				first = false;
			}
		}
		rc->gens[i].base = base;
		if (!first)
			continue;
		r = out_path(rc, rc->gens[i].name, path, sizeof(path));
		if (r == 0)
			r = fs_dirname(path, dir, sizeof(dir));
		if (r == 0)
			r = fs_mkdirs(dir, 0700);
		if (r < 0) {
			log_err(LOG_LVL_ERROR, -r, "%s: cannot create", dir);
			break;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			r = -errno;
			log_err(LOG_LVL_ERROR, errno, "%s: cannot create", path);
			break;
		}
		close(fd);
		(*files)++;
	}
	return r;
}

static int restore_cb(void *ctx, const json_t *seg, uint64_t pos, const void *buf, size_t len)
{
	struct restore_ctx *rc = ctx;
	const char *name = json_string_value(json_object_get(seg, "name"));
	struct rgen *g = gen_find(rc, (uint64_t)json_integer_value(json_object_get(seg, "gen")));
	char path[PATH_MAX];
	int r;

	if (!g)
		return -EINVAL;
	if (!rc->open_name || strcmp(rc->open_name, name) != 0) {
		if (rc->fd >= 0)
			close(rc->fd);
		rc->fd = -1;
		r = out_path(rc, name, path, sizeof(path));
		if (r < 0)
			return r;
		rc->fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (rc->fd < 0) {
			r = -errno;
			log_err(LOG_LVL_ERROR, errno, "%s: cannot open", path);
			return r;
		}
		rc->open_name = name;
	}
	while (len) {
		ssize_t n = pwrite(rc->fd, buf, len, (off_t)(g->base + pos));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			log_err(LOG_LVL_ERROR, -r, "%s%s: cannot write", rc->dir, name);
			return r;
		}
		buf = (const char *)buf + n;
		len -= (size_t)n;
		pos += (uint64_t)n;
		rc->bytes += (uint64_t)n;
	}
	return 0;
}

int logship_restore(struct store *st, const char *job, const char *id, const char *dir,
		    uint64_t *files, uint64_t *bytes, uint64_t *read)
{
	struct restore_ctx rc = { .fd = -1 };
	struct restore_target t = { .staging = "" };
	struct record_chain c;
	char why[1024];
	int r;

	*files = *bytes = *read = 0;
	r = record_chain_load(st, job, id, "logs", 0, &c, why, sizeof(why));
	if (r < 0) {
		log_error("job %s: %s", job, why);
		return r;
	}
	r = restore_plan(job, &c, &rc);
	if (r == 0)
		r = restore_target_check(&t, dir);
	/* Written into a staging directory beside DIR, moved there only when
	 * every artifact checked at its close: a tampered one never gets a
	 * byte into the restored logs, and each is read once. */
	if (r == 0)
		r = restore_target_stage(&t);
	rc.dir = t.staging;
	if (r == 0)
		r = restore_create(&rc, files);
	if (r == 0)
		r = lchain_each(st, job, &c, UINT64_MAX, restore_cb, &rc, read);
	if (rc.fd >= 0 && fsync(rc.fd) < 0 && r == 0)
		r = -errno;
	if (rc.fd >= 0)
		close(rc.fd);
	if (r == 0)
		r = restore_target_commit(&t);
	if (r == -ENOMEM)
		log_error("job %s: out of memory while restoring", job);
	if (r < 0 && t.staging[0]) {
		restore_target_discard(&t);
		log_error("job %s: %s: nothing was restored; %s is as it was", job, c.v[c.n - 1].id, dir);
	}
	*bytes = rc.bytes;
	free(rc.gens);
	record_chain_free(&c);
	return r;
}

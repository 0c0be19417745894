/*
 * logship — one run of a logs job (see logship.h for the model).
 *
 * The run goes in passes over the generations the state knows and the files
 * the scan found:
 *   1. identity: a generation continues in the candidate with its device and
 *      inode, if that file still starts with the generation's fingerprint and
 *      is not shorter than what was archived (gzip files: unchanged size and
 *      mtime, or a decompressed prefix that still hashes the same);
 *   2. verification: the last 4 KiB of each archived prefix are re-read;
 *      the whole prefix is re-hashed every verify_every, and for a file that
 *      changed without growing; a file that fails is no continuation;
 *   3. successors: a generation not found so continues in an unclaimed
 *      rotated file that starts with exactly its archived prefix (gzip or
 *      copytruncate copy, or the old inode number reused by a new file);
 *   4. tamper: a live generation with no continuation is reported
 *      (truncated, rewritten, replaced, deleted); a rotated one simply gone
 *      was removed by log rotation and is forgotten;
 *   5. archiving: each generation's new bytes, then every unclaimed file as
 *      a new generation (rotated ones oldest first, then the live ones).
 * The state is saved last, naming this run's backup.
 */
#include "logship_int.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts.h"
#include "log.h"

struct run {
	const struct logship_opts *o;
	struct store_txn *txn;
	struct lstate s;
	struct lcands c;
	char parent[STORE_ID_MAX];
	struct ltar *tar;
	json_t *segments;		/* this run's segments, owned */
	json_t *alert_ids;		/* alerts raised, owned */
	json_t *open_alerts;		/* the job's open alerts at the first raise, owned */
	unsigned char *buf;		/* LS_BUF bytes, owned */
	bool verify_due;
	struct logship_result *res;
};

static void empty_hex(char hex[SHA256_HEX_LEN + 1])
{
	struct hashrun h;

	hashrun_init(&h);
	hashrun_hex(&h, hex);
}

static void hash_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1])
{
	struct hashrun h;

	hashrun_init(&h);
	hashrun_update(&h, data, len);
	hashrun_hex(&h, hex);
}

static int set_str(char **dst, const char *src)
{
	char *d = strdup(src);

	if (!d)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

/* ---- alerts ------------------------------------------------------------------ */

static int raise_alert(struct run *rn, const char *kind, const char *file, int64_t offset,
		       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int raise_alert(struct run *rn, const char *kind, const char *file, int64_t offset,
		       const char *fmt, ...)
{
	struct alert_new a = { .job = rn->o->job, .kind = kind, .file = file, .offset = offset };
	char msg[1024], id[ALERT_ID_MAX];
	va_list ap;
	int r;

	const json_t *open;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	a.message = msg;
	if (!rn->open_alerts && alerts_list(rn->o->state_dir, rn->o->job, &rn->open_alerts) < 0)
		rn->open_alerts = NULL;
	json_array_foreach(rn->open_alerts, i, open) {
		if (strcmp(json_string_value(json_object_get(open, "kind")) ?: "", kind) == 0 &&
		    strcmp(json_string_value(json_object_get(open, "file")) ?: "", file) == 0 &&
		    json_integer_value(json_object_get(open, "offset")) == offset) {
			log_warn("job %s: %s (still open as %s)", rn->o->job, msg,
				 json_string_value(json_object_get(open, "id")) ?: "?");
			return 0;
		}
	}
	r = alerts_raise(rn->o->state_dir, &a, id);
	if (r < 0)
		return r;
	rn->res->alerts++;
	json_array_append_new(rn->alert_ids, json_string(id));
	return 0;
}

/* ---- helpers over candidates ------------------------------------------------- */

/* Whether C starts with F's fingerprint. */
static int starts_like(struct lcand *c, const struct lfile *f, bool *yes)
{
	char hex[SHA256_HEX_LEN + 1];
	int r = lcand_head(c);

	*yes = false;
	/* Gone, or a .gz that does not decompress (being written): not it. */
	if (r == -ESTALE || (r < 0 && r != -ENOMEM))
		return 0;
	if (r < 0)
		return r;
	if (c->head_len < f->fp_len)
		return 0;
	hash_hex(c->head, f->fp_len, hex);
	*yes = strcmp(hex, f->fp) == 0;
	return 0;
}

/* Whether C holds F's whole archived prefix.  *TOTAL gets C's length
 * (decompressed for gzip). */
static int holds_prefix(struct run *rn, const struct lcand *c, const struct lfile *f, bool *yes,
			uint64_t *total)
{
	char hex[SHA256_HEX_LEN + 1];
	struct hashrun h;
	struct lsrc src;
	int r;

	*yes = false;
	r = lsrc_open(&src, c->path, c->gz, c->dev, c->ino);
	if (r == -ESTALE)
		return 0;
	if (r < 0)
		return r;
	hashrun_init(&h);
	r = lsrc_hash_prefix(&src, f->offset, &h, total, &rn->o->hooks);
	lsrc_close(&src);
	if (r == -ENODATA || (c->gz && r == -EIO))
		return 0;
	if (r < 0)
		return r;
	hashrun_hex(&h, hex);
	*yes = strcmp(hex, f->prefix) == 0;
	return 0;
}

/* ---- 1. identity -------------------------------------------------------------- */

static int match_identity(struct run *rn)
{
	int r;

	for (size_t i = 0; i < rn->s.n; i++) {
		struct lfile *f = &rn->s.v[i];

		for (size_t j = 0; j < rn->c.n; j++) {
			struct lcand *c = &rn->c.v[j];
			bool ok = false;

			if (c->dev != f->dev || c->ino != f->ino || c->owner >= 0)
				continue;
			if (c->gz != f->gz) {
				/* Same inode number, different kind of file: a reuse. */
				break;
			}
			if (f->gz) {
				ok = c->size == f->size && c->mtime_ns == f->mtime_ns && !rn->verify_due;
				if (!ok) {
					r = holds_prefix(rn, c, f, &ok, NULL);
					if (r < 0)
						return r;
					f->checked = ok;
				}
			} else if (c->size >= f->offset) {
				r = starts_like(c, f, &ok);
				if (r < 0)
					return r;
			}
			if (ok) {
				f->cand = (int)j;
				c->owner = (int)i;
			} else if (strcmp(c->path, f->path) == 0) {
				f->at = (int)j;
			}
			/* Otherwise the inode number was freed and reused by another
			 * file under another name (logrotate deleting the oldest .gz
			 * while gzip writes a new one): this generation is not here. */
			break;
		}
	}
	return 0;
}

/* ---- 3. successors -------------------------------------------------------------- */

static int match_successors(struct run *rn)
{
	int r;

	for (size_t i = 0; i < rn->s.n; i++) {
		struct lfile *f = &rn->s.v[i];

		if (f->cand >= 0 || f->offset == 0)
			continue;
		for (size_t j = 0; j < rn->c.n; j++) {
			struct lcand *c = &rn->c.v[j];
			bool ok;

			if (c->owner >= 0 || c->live || (int)j == f->at || strcmp(c->name, f->name))
				continue;
			r = starts_like(c, f, &ok);
			if (r == 0 && ok)
				r = holds_prefix(rn, c, f, &ok, NULL);
			if (r < 0)
				return r;
			if (!ok)
				continue;
			log_info("job %s: %s continues in %s (rotated)", rn->o->job, f->path, c->path);
			f->cand = (int)j;
			f->checked = true;
			c->owner = (int)i;
			f->dev = c->dev;
			f->ino = c->ino;
			f->gz = c->gz;
			/* The new file's own size and time, for the next run's checks. */
			f->size = c->size;
			f->mtime_ns = c->mtime_ns;
			break;
		}
	}
	return 0;
}

/* ---- 4. tamper ------------------------------------------------------------------ */

/* The first byte where the file at PATH differs from F as archived. */
static int first_diff(struct run *rn, const struct lfile *f, const char *path, int64_t *diff)
{
	if (!rn->parent[0]) {
		*diff = 0;
		return 0;
	}
	return lchain_first_diff(rn->o->st, rn->o->job, rn->parent, f->gen, path, diff);
}

static int judge_altered(struct run *rn, struct lfile *f, struct lcand *c)
{
	int64_t d;
	int r;

	if (c->gz)
		return raise_alert(rn, "rewritten", c->path, -1,
				   "%s: the compressed log no longer holds the %" PRIu64 " bytes archived of it",
				   c->path, f->offset);
	r = first_diff(rn, f, c->path, &d);
	if (r < 0)
		return r;
	if (c->size < f->offset && d == (int64_t)c->size)
		return raise_alert(rn, "truncated", c->path, d,
				   "%s was truncated from %" PRIu64 " to %" PRIu64 " bytes with no rotated copy holding them",
				   c->path, f->offset, c->size);
	if (d < 0)
		d = 0;	/* the fingerprint differed, yet the bytes compare equal: raced */
	return raise_alert(rn, "rewritten", c->path, d,
			   "%s: archived bytes were changed, first at offset %" PRId64, c->path, d);
}

static int judge_missing(struct run *rn)
{
	int r = 0;

	for (size_t i = 0; i < rn->s.n && r == 0; i++) {
		struct lfile *f = &rn->s.v[i];
		struct lcand *at = NULL;
		int64_t d;

		if (f->cand >= 0)
			continue;
		f->drop = true;
		if (f->offset == 0)
			continue;	/* nothing archived, nothing to defend */
		if (f->at >= 0 && rn->c.v[f->at].owner >= 0)
			f->at = -1;	/* its inode number now holds another generation */
		if (f->at >= 0) {
			/* Its own inode, shrunk or with other first bytes. */
			rn->c.v[f->at].tampered = true;
			r = judge_altered(rn, f, &rn->c.v[f->at]);
			continue;
		}
		if (strcmp(f->path, f->name) != 0)
			continue;	/* a rotated file removed by rotation */
		for (size_t j = 0; j < rn->c.n; j++)
			if (rn->c.v[j].live && rn->c.v[j].owner < 0 && strcmp(rn->c.v[j].path, f->name) == 0)
				at = &rn->c.v[j];
		if (!at) {
			r = raise_alert(rn, "deleted", f->name, -1,
					"%s was deleted, and no rotated file holds the %" PRIu64 " bytes archived of it",
					f->name, f->offset);
			continue;
		}
		r = first_diff(rn, f, at->path, &d);
		if (r < 0)
			break;
		if (d < 0) {
			/* Copied over with the same bytes (and maybe more): the same log. */
			f->drop = false;
			f->cand = (int)(at - rn->c.v);
			at->owner = (int)i;
			f->dev = at->dev;
			f->ino = at->ino;
			f->checked = true;
			continue;
		}
		at->tampered = true;
		if (d < (int64_t)f->fp_len)
			r = raise_alert(rn, "replaced", f->name, d,
					"%s was replaced by a different file (first difference at offset %" PRId64 ")",
					f->name, d);
		else
			r = raise_alert(rn, "rewritten", f->name, d,
					"%s was rewritten into a new file; archived bytes differ first at offset %" PRId64,
					f->name, d);
	}
	return r;
}

/* ---- 2. verification -------------------------------------------------------------- */

static int verify_one(struct run *rn, struct lfile *f, struct lcand *c)
{
	char hex[SHA256_HEX_LEN + 1];
	bool ok = true, full;
	struct lsrc src;
	int r;

	if (f->gz || f->checked || f->offset == 0)
		return 0;
	full = rn->verify_due || (c->size == f->size && c->mtime_ns != f->mtime_ns);
	if (!full && f->tail_len) {
		r = lsrc_open(&src, c->path, false, c->dev, c->ino);
		if (r == -ESTALE)
			return 0;
		if (r < 0)
			return r;
		ok = pread(src.fd, rn->buf, f->tail_len, (off_t)(f->offset - f->tail_len)) == (ssize_t)f->tail_len;
		if (ok) {
			hash_hex(rn->buf, f->tail_len, hex);
			ok = strcmp(hex, f->tail) == 0;
		}
		lsrc_close(&src);
	}
	if (full || !ok) {
		r = holds_prefix(rn, c, f, &ok, NULL);
		if (r < 0)
			return r;
		f->checked = true;
	}
	if (ok)
		return 0;
	/* Not as archived: a copytruncate copy may yet hold it (successors),
	 * else it is judged as altered in place. */
	f->cand = -1;
	f->at = (int)(c - rn->c.v);
	c->owner = -1;
	return 0;
}

static int verify_all(struct run *rn)
{
	for (size_t i = 0; i < rn->s.n; i++) {
		struct lfile *f = &rn->s.v[i];
		int r;

		if (f->cand < 0)
			continue;
		r = verify_one(rn, f, &rn->c.v[f->cand]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- 5. archiving ------------------------------------------------------------------- */

/* The end of the last complete line in [from, size) of FD, or FROM. */
static int last_line_end(struct run *rn, int fd, uint64_t from, uint64_t size, uint64_t *end)
{
	uint64_t hi = size;

	*end = from;
	/* Backwards in small steps: lines are short, and the bytes read here
	 * are read again when archived. */
	while (hi > from) {
		size_t n = hi - from < LS_FP_MAX ? (size_t)(hi - from) : LS_FP_MAX;
		ssize_t got = pread(fd, rn->buf, n, (off_t)(hi - n));

		if (got < 0)
			return -errno;
		if ((size_t)got < n)
			return -ESTALE;	/* shrank meanwhile */
		for (size_t i = n; i-- > 0;) {
			if (rn->buf[i] == '\n') {
				*end = hi - n + i + 1;
				return 0;
			}
		}
		hi -= n;
	}
	return 0;
}

/* Re-takes F's fingerprint and tail after archiving up to f->offset. */
static int refresh_checks(struct run *rn, struct lfile *f, struct lcand *c)
{
	uint32_t want = f->offset < LS_FP_MAX ? (uint32_t)f->offset : LS_FP_MAX;
	int r;

	if (f->fp_len != want) {
		if (c->head_len < want) {
			free(c->head);
			c->head = NULL;
		}
		r = lcand_head(c);
		if (r < 0)
			return r == -ESTALE ? -EIO : r;
		if (c->head_len < want)
			return -EIO;
		f->fp_len = want;
		hash_hex(c->head, want, f->fp);
	}
	if (f->gz) {
		f->tail_len = 0;
		empty_hex(f->tail);
		return 0;
	}
	f->tail_len = want;
	/* rn->buf still holds nothing we need. */
	{
		struct lsrc src;
		ssize_t got;

		r = lsrc_open(&src, c->path, false, c->dev, c->ino);
		if (r < 0)
			return r == -ESTALE ? -EIO : r;
		got = pread(src.fd, rn->buf, want, (off_t)(f->offset - want));
		lsrc_close(&src);
		if (got != (ssize_t)want)
			return -EIO;
		hash_hex(rn->buf, want, f->tail);
	}
	return 0;
}

static int add_segment(struct run *rn, const struct lfile *f, const char *entry, uint64_t start)
{
	json_t *seg = json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:s}",
				"entry", entry, "name", f->name, "gen", (json_int_t)f->gen,
				"source", f->path, "dev", (json_int_t)f->dev, "ino", (json_int_t)f->ino,
				"start", (json_int_t)start, "end", (json_int_t)f->offset,
				"sha256", f->prefix);

	if (!seg || json_array_append_new(rn->segments, seg) < 0)
		return -ENOMEM;
	rn->res->segments++;
	return 0;
}

/* Archives F's bytes past its offset from candidate C. */
static int archive_one(struct run *rn, struct lfile *f, struct lcand *c)
{
	const struct logship_hooks *hk = &rn->o->hooks;
	char entry[PATH_MAX + 96];
	uint64_t end, start = f->offset, pos;
	struct hashrun h;
	struct lsrc src;
	int r;

	if (hashrun_load(&h, f->run) < 0)
		return -EINVAL;
	/* A gzip file that has not changed since its prefix was checked holds
	 * nothing new: rotation compressed what was already archived. */
	if (f->gz && c->size == f->size && c->mtime_ns == f->mtime_ns && f->offset > 0 && !f->checked)
		return 0;
	r = lsrc_open(&src, c->path, c->gz, c->dev, c->ino);
	if (r == -ESTALE) {
		log_warn("job %s: %s changed while the run looked at it; it is taken next run", rn->o->job, c->path);
		return 0;
	}
	if (r < 0 && r != -ENOMEM && hk->partial) {
		/* Unreadable (permissions, I/O): the other logs are still taken. */
		char msg[PATH_MAX + 64];

		snprintf(msg, sizeof(msg), "%s: cannot read it (%s); it is tried again next run",
			 c->path, strerror(-r));
		hk->partial(hk->ctx, msg);
		return 0;
	}
	if (r < 0)
		return r;
	if (c->gz && c->gz_len_known) {
		end = c->gz_len;
		r = lsrc_seek(&src, start);
	} else if (c->gz) {
		/* The tar header needs the length first: one pass to measure. */
		r = lsrc_seek(&src, UINT64_MAX);
		end = src.pos;
		lsrc_close(&src);
		if (r != -ENODATA && r < 0)
			return r;
		r = lsrc_open(&src, c->path, true, c->dev, c->ino);
		if (r == 0)
			r = lsrc_seek(&src, start);
	} else if (c->live) {
		r = last_line_end(rn, src.fd, start, c->size, &end);
		if (r == 0)
			r = lsrc_seek(&src, start);
	} else {
		end = c->size;
		r = lsrc_seek(&src, start);
	}
	if (r < 0 || end <= start) {
		lsrc_close(&src);
		if (r == -ESTALE || r == -ENODATA) {
			log_warn("job %s: %s changed while the run looked at it; it is taken next run",
				 rn->o->job, c->path);
			r = 0;
		}
		f->size = c->size;
		f->mtime_ns = c->mtime_ns;
		return r < 0 ? r : set_str(&f->path, c->path);
	}
	r = ltar_entry_name(entry, sizeof(entry), c->path, c->dev, c->ino, start, end);
	if (r == 0)
		r = ltar_begin(rn->tar, entry, end - start, rn->o->now);
	for (pos = start; r == 0 && pos < end;) {
		size_t want = end - pos < LS_BUF ? (size_t)(end - pos) : LS_BUF;
		ssize_t n = lsrc_read(&src, rn->buf, want);

		if (n < 0) {
			r = (int)n;
			break;
		}
		if (n == 0) {
			log_error("job %s: %s shrank while it was archived (at byte %" PRIu64 " of %" PRIu64 ")",
				  rn->o->job, c->path, pos, end);
			r = -EIO;
			break;
		}
		hashrun_update(&h, rn->buf, (size_t)n);
		r = ltar_write(rn->tar, rn->buf, (size_t)n);
		pos += (uint64_t)n;
		rn->res->size_raw += (uint64_t)n;
		if (hk->io)
			hk->io(hk->ctx, (uint64_t)n);
		if (r == 0 && hk->between && hk->between(hk->ctx) < 0)
			r = -ECANCELED;
		if (hk->progress)
			hk->progress(hk->ctx, c->path, rn->res->size_raw, 0);
	}
	lsrc_close(&src);
	if (r < 0)
		return r;
	f->offset = end;
	hashrun_save(&h, f->run);
	hashrun_hex(&h, f->prefix);
	f->dev = c->dev;
	f->ino = c->ino;
	f->gz = c->gz;
	f->size = c->size;
	f->mtime_ns = c->mtime_ns;
	r = set_str(&f->path, c->path);
	if (r == 0)
		r = refresh_checks(rn, f, c);
	if (r == -EIO)
		log_error("job %s: %s changed while it was archived", rn->o->job, c->path);
	if (r == 0)
		r = add_segment(rn, f, entry, start);
	return r;
}

/* Whether the .gz C decompresses to its end.  One that does not is being
 * written (logrotate compressing right now): it is looked at next run,
 * when it is whole and its source gone, and is then recognised by content. */
static bool gz_complete(struct lcand *c)
{
	struct lsrc src;
	int r = lsrc_open(&src, c->path, true, c->dev, c->ino);

	if (r == 0) {
		r = lsrc_seek(&src, UINT64_MAX);
		/* Kept: the tar header needs this length, and measuring is a whole pass. */
		c->gz_len = src.pos;
		c->gz_len_known = r == -ENODATA;
		lsrc_close(&src);
	}
	if (r == -ENODATA)
		return true;	/* reached its end */
	log_info("%s: not a whole gzip file yet; it is looked at again next run", c->path);
	return false;
}

/* New generations: rotated files oldest first, then the live ones. */
static int cmp_new(const void *a, const void *b, void *ctx)
{
	const struct lcand *v = ctx;
	const struct lcand *x = &v[*(const size_t *)a], *y = &v[*(const size_t *)b];

	if (x->live != y->live)
		return x->live ? 1 : -1;
	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns < y->mtime_ns ? -1 : 1;
	/* Same time: access.log.2 is older than access.log.1. */
	return strcmp(y->path, x->path);
}

static int archive_new(struct run *rn)
{
	size_t *order, n = 0;
	int r = 0;

	order = malloc((rn->c.n + 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (size_t j = 0; j < rn->c.n; j++)
		if (rn->c.v[j].owner < 0)
			order[n++] = j;
	qsort_r(order, n, sizeof(*order), cmp_new, rn->c.v);
	for (size_t k = 0; k < n && r == 0; k++) {
		struct lcand *c = &rn->c.v[order[k]];
		size_t i = rn->s.n;
		struct lfile *f;
		struct hashrun h;

		if (c->gz && !gz_complete(c))
			continue;
		f = lstate_add(&rn->s);
		if (!f) {
			r = -ENOMEM;
			break;
		}
		f->name = strdup(c->name);
		f->path = strdup(c->path);
		if (!f->name || !f->path) {
			r = -ENOMEM;
			break;
		}
		f->gen = rn->s.next_gen++;
		f->dev = c->dev;
		f->ino = c->ino;
		f->gz = c->gz;
		hashrun_init(&h);
		hashrun_save(&h, f->run);
		hashrun_hex(&h, f->prefix);
		memcpy(f->fp, f->prefix, sizeof(f->fp));
		memcpy(f->tail, f->prefix, sizeof(f->tail));
		f->cand = (int)order[k];
		c->owner = (int)i;
		if (!c->live)
			log_info("job %s: %s is new: archived as a generation of %s", rn->o->job, c->path, c->name);
		r = archive_one(rn, f, c);
	}
	free(order);
	return r;
}

static int archive_all(struct run *rn)
{
	const struct logship_hooks *hk = &rn->o->hooks;
	int r = 0;

	for (size_t i = 0; i < rn->s.n && r == 0; i++) {
		struct lfile *f = &rn->s.v[i];

		if (f->cand < 0)
			continue;
		r = archive_one(rn, f, &rn->c.v[f->cand]);
		if (hk->progress)
			hk->progress(hk->ctx, f->path, rn->res->size_raw, i + 1);
	}
	if (r == 0)
		r = archive_new(rn);
	return r;
}

/* ---- the run -------------------------------------------------------------------- */

static void run_free(struct run *rn)
{
	lstate_free(&rn->s);
	lcands_free(&rn->c);
	ltar_free(rn->tar);
	json_decref(rn->segments);
	json_decref(rn->alert_ids);
	json_decref(rn->open_alerts);
	free(rn->buf);
}

int logship_run(const struct logship_opts *o, struct store_txn *txn, struct logship_result *res)
{
	struct run rn = { .o = o, .txn = txn, .res = res };
	json_t *facts = NULL;
	int r;

	memset(res, 0, sizeof(*res));
	rn.buf = malloc(LS_BUF);
	rn.segments = json_array();
	rn.alert_ids = json_array();
	if (!rn.buf || !rn.segments || !rn.alert_ids) {
		run_free(&rn);
		log_error("job %s: out of memory", o->job);
		return -ENOMEM;
	}
	r = lstate_load(o, &rn.s, rn.parent);
	if (r == 0)
		r = lscan(o->paths, &rn.s, &rn.c);
	rn.verify_due = o->verify_every == 0 || rn.s.verified_at == 0 ||
			(int64_t)o->now - rn.s.verified_at >= o->verify_every;
	if (r == 0)
		r = match_identity(&rn);
	if (r == 0)
		r = verify_all(&rn);
	if (r == 0)
		r = match_successors(&rn);
	if (r == 0)
		r = judge_missing(&rn);
	if (r == 0)
		r = ltar_open(txn, o->level, o->threads, o->paced_block, &rn.tar);
	if (r == 0)
		r = archive_all(&rn);
	if (r == 0) {
		r = ltar_finish(rn.tar, &res->size_stored);
		rn.tar = NULL;
	}
	if (r == 0) {
		if (rn.verify_due)
			rn.s.verified_at = (int64_t)o->now;
		snprintf(rn.s.backup, sizeof(rn.s.backup), "%s", store_txn_id(txn));
		facts = lstate_to_json(&rn.s);
		if (!facts || json_object_set(facts, "segments", rn.segments) < 0 ||
		    json_object_set(facts, "alerts", rn.alert_ids) < 0 ||
		    json_object_set_new(facts, "verified", json_boolean(rn.verify_due)) < 0)
			r = -ENOMEM;
	}
	if (r == 0)
		r = lstate_save(o, &rn.s);
	if (r == 0) {
		res->facts = facts;
		facts = NULL;
		snprintf(res->parent, sizeof(res->parent), "%s", rn.parent);
	}
	if (r == -ENOMEM)
		log_error("job %s: out of memory", o->job);
	json_decref(facts);
	run_free(&rn);
	return r;
}

/*
 * when_files — a path's history over a files job's snapshots, from their
 * indexes alone (see when.h).  Each index is streamed once through the
 * hashed reader (a tampered index is an error, not an answer), and only the
 * lines of the requested paths are parsed; nothing else is kept, so a year
 * of daily snapshots of a large tree costs one pass over 365 indexes and
 * memory for the requested paths only.
 *
 * What it does not do: read a tar (content is compared by the index's
 * SHA-256), or see a symlink retargeted to a name of the same length (the
 * index keeps a link's length, not its target).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"
#include "record.h"
#include "timefmt.h"
#include "when.h"

struct scan {
	const char *const *esc;		/* the requested paths, escaped as in an index */
	size_t *order;			/* their indexes, sorted by ESC: one bsearch per line */
	size_t npaths;
	struct when_history *h;
	size_t snap;
	char *line;			/* a line being assembled */
	size_t len, cap;
	bool header_done;
	int err;
};

static void on_line(struct scan *s, char *line)
{
	const char *tab = strrchr(line, '\t');
	struct fi_entry e;
	char *path = NULL, *from = NULL;

	if (!s->header_done) {
		s->header_done = true;
		return;
	}
	if (!tab)
		return;
	/* The first of the (sorted) requested paths equal to this line's. */
	size_t lo = 0, hi = s->npaths;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(s->esc[s->order[mid]], tab + 1) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = lo; k < s->npaths && strcmp(s->esc[s->order[k]], tab + 1) == 0; k++) {
		size_t p = s->order[k];

		if (fileindex_parse_line(line, &e, &path, &from) < 0) {
			s->err = -EINVAL;
			return;
		}
		free(path);
		free(from);
		e.path = NULL;
		s->h->versions[p * s->h->nsnaps + s->snap].present = e.type != '-';
		s->h->versions[p * s->h->nsnaps + s->snap].e = e;
	}
}

static int on_bytes(void *ctx, const void *buf, size_t len)
{
	struct scan *s = ctx;
	const char *p = buf, *end = p + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (s->len + n + 1 > s->cap) {
			size_t nc = (s->len + n + 1) * 2;
			char *g = realloc(s->line, nc);

			if (!g)
				return -ENOMEM;
			s->line = g;
			s->cap = nc;
		}
		memcpy(s->line + s->len, p, n);
		s->len += n;
		p += n;
		if (nl) {
			s->line[s->len] = '\0';
			on_line(s, s->line);
			s->len = 0;
			p++;
			if (s->err)
				return s->err;
		}
	}
	return 0;
}

/* qsort has no context argument: the array being sorted, for by_esc. */
static const char *const *sort_esc;

static int by_esc(const void *a, const void *b)
{
	return strcmp(sort_esc[*(const size_t *)a], sort_esc[*(const size_t *)b]);
}

static unsigned differs(const struct when_version *a, const struct when_version *b)
{
	const struct fi_entry *x = &a->e, *y = &b->e;
	unsigned w = 0;

	if (!a->present && !b->present)
		return 0;
	if (!a->present)
		return WH_APPEARED;
	if (!b->present)
		return WH_VANISHED;
	if (x->type != y->type)
		w |= WH_TYPE;
	if (x->size != y->size)
		w |= WH_SIZE;
	if (x->has_sha && y->has_sha && memcmp(x->sha, y->sha, sizeof(x->sha)) != 0)
		w |= WH_CONTENT;
	if (x->mode != y->mode)
		w |= WH_MODE;
	if (x->uid != y->uid || x->gid != y->gid)
		w |= WH_OWNER;
	if (x->mtime_s != y->mtime_s || x->mtime_ns != y->mtime_ns)
		w |= WH_MTIME;
	if (x->ctime_s != y->ctime_s || x->ctime_ns != y->ctime_ns)
		w |= WH_CTIME;
	/* A ctime alone moves on a rename or a link count change: not a change
	 * of the file a person asked about. */
	if (w == WH_CTIME)
		return 0;
	return w;
}

static int add_change(struct when_history *h, const char *path, size_t before, size_t after, unsigned what,
		      const struct when_version *a, const struct when_version *b)
{
	struct when_change *c;

	if (h->nchanges % 16 == 0) {
		struct when_change *g = realloc(h->changes, (h->nchanges + 16) * sizeof(*g));

		if (!g)
			return -ENOMEM;
		h->changes = g;
	}
	c = &h->changes[h->nchanges++];
	memset(c, 0, sizeof(*c));
	c->path = path;
	c->before = before;
	c->after = after;
	c->what = what;
	if (a->present)
		c->old = a->e;
	if (b->present)
		c->new = b->e;
	c->from = h->snaps[before].finished;
	c->to = h->snaps[after].started;
	if (b->present && b->e.ctime_s >= c->from && b->e.ctime_s <= c->to) {
		c->narrowed = true;
		c->at = b->e.ctime_s;
	}
	/* ctime cannot be set back by a user; mtime can.  New or changed
	 * content whose mtime lies before the window was given an old mtime. */
	if (b->present && (what & (WH_APPEARED | WH_CONTENT | WH_SIZE | WH_TYPE)) && b->e.mtime_s < c->from)
		c->timestomped = true;
	return 0;
}

static int load_snaps(struct store *st, const struct job *job, struct store_list *l, struct when_history *h,
		      char *why, size_t whylen)
{
	int r = store_list(st, job->name, l);

	if (r < 0) {
		snprintf(why, whylen, "cannot list the backups of %s: %s", job->name, strerror(-r));
		return r;
	}
	h->snaps = calloc(l->n ? l->n : 1, sizeof(*h->snaps));
	if (!h->snaps)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		const json_t *rec = l->v[i].record;
		const char *res = record_result(rec), *fin = record_finished(rec);
		struct when_snap *s = &h->snaps[h->nsnaps];

		if (!res || (strcmp(res, "ok") != 0 && strcmp(res, "partial") != 0))
			continue;
		if (record_started_time(rec, &s->started) < 0 || !fin ||
		    timefmt_parse_rfc3339(fin, &s->finished) < 0)
			continue;
		snprintf(s->id, sizeof(s->id), "%s", l->v[i].id);
		h->nsnaps++;
	}
	return 0;
}

int when_files_history(struct store *st, const struct job *job, const char *const *paths, size_t npaths,
		       struct when_history *h, char *why, size_t whylen)
{
	struct store_list l = { 0 };
	char **esc = NULL;
	struct scan s = { 0 };
	size_t k = 0;
	int r;

	memset(h, 0, sizeof(*h));
	h->npaths = npaths;
	r = load_snaps(st, job, &l, h, why, whylen);
	if (r < 0)
		goto out;
	if (h->nsnaps == 0) {
		snprintf(why, whylen, "job %s has no good snapshot", job->name);
		r = -ENOENT;
		goto out;
	}
	h->versions = calloc(npaths * h->nsnaps, sizeof(*h->versions));
	esc = calloc(npaths ? npaths : 1, sizeof(*esc));
	if (!h->versions || !esc) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t p = 0; p < npaths; p++)
		if (!(esc[p] = fileindex_escape(paths[p]))) {
			r = -ENOMEM;
			goto out;
		}
	s.esc = (const char *const *)esc;
	s.npaths = npaths;
	s.order = calloc(npaths ? npaths : 1, sizeof(*s.order));
	if (!s.order) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t p = 0; p < npaths; p++)
		s.order[p] = p;
	sort_esc = s.esc;
	qsort(s.order, npaths, sizeof(*s.order), by_esc);
	s.h = h;
	for (size_t i = 0; i < l.n && r == 0; i++) {
		struct reader *rd = NULL;

		if (k >= h->nsnaps || strcmp(l.v[i].id, h->snaps[k].id) != 0)
			continue;
		for (size_t p = 0; p < npaths; p++)
			h->versions[p * h->nsnaps + k].snap = k;
		s.snap = k;
		s.header_done = false;
		s.len = 0;
		r = reader_open(st, &l.v[i], RECORD_ARTIFACT_INDEX, READER_QUIET, &rd, why, whylen);
		if (r == 0)
			r = reader_zstd(rd, on_bytes, &s);
		if (r == 0)
			r = reader_close(rd);
		if (r < 0 && rd && !why[0])
			snprintf(why, whylen, "%s", rd->why[0] ? rd->why : strerror(-r));
		if (r < 0 && !why[0])
			snprintf(why, whylen, "%s %s: index: %s", job->name, l.v[i].id, strerror(-r));
		if (rd)
			h->index_bytes += rd->bytes;
		reader_free(rd);
		k++;
	}
	for (size_t p = 0; p < npaths && r == 0; p++)
		for (size_t i = 1; i < h->nsnaps && r == 0; i++) {
			const struct when_version *a = &h->versions[p * h->nsnaps + i - 1];
			const struct when_version *b = &h->versions[p * h->nsnaps + i];
			unsigned w = differs(a, b);

			if (w)
				r = add_change(h, paths[p], i - 1, i, w, a, b);
		}
out:
	for (size_t p = 0; esc && p < npaths; p++)
		free(esc[p]);
	free(esc);
	free(s.order);
	free(s.line);
	store_list_free(&l);
	return r;
}

void when_history_free(struct when_history *h)
{
	free(h->snaps);
	free(h->changes);
	free(h->versions);
	memset(h, 0, sizeof(*h));
}

static void what_text(unsigned w, char *buf, size_t len)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ WH_APPEARED, "appeared" }, { WH_VANISHED, "vanished" }, { WH_TYPE, "type" },
		{ WH_CONTENT, "content" }, { WH_SIZE, "size" }, { WH_MODE, "mode" },
		{ WH_OWNER, "owner" }, { WH_MTIME, "mtime" }, { WH_CTIME, "ctime" },
	};
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((w & names[i].bit) && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", names[i].name);
}

int when_files_events(const struct when_history *h, const char *const *paths, struct when_timeline *tl)
{
	int r = 0;

	(void)paths;
	for (size_t i = 0; i < h->nchanges && r == 0; i++) {
		const struct when_change *c = &h->changes[i];
		const struct when_snap *a = &h->snaps[c->before], *b = &h->snaps[c->after];
		char what[128], mt[TIMEFMT_RFC3339_LEN], from[TIMEFMT_RFC3339_LEN], to[TIMEFMT_RFC3339_LEN];

		what_text(c->what, what, sizeof(what));
		timefmt_rfc3339(c->from, from);
		timefmt_rfc3339(c->to, to);
		r = when_event_add(tl, c->from, "window", a->id,
				   "%s: last seen as before in snapshot %s (finished); window %s .. %s opens",
				   c->path, a->id, from, to);
		if (r == 0 && c->narrowed)
			r = when_event_add(tl, c->at, "ctime", b->id,
					   "%s: its inode changed (ctime) at this moment, the latest the change can have happened",
					   c->path);
		if (r == 0 && c->timestomped) {
			timefmt_rfc3339(c->new.mtime_s, mt);
			r = when_event_add(tl, c->new.mtime_s, "stomped", b->id,
					   "%s: mtime %s lies before the window although the file %s inside it: "
					   "its mtime was set back (timestomping)",
					   c->path, mt, (c->what & WH_APPEARED) ? "appeared" : "changed");
		}
		if (r == 0)
			r = when_event_add(tl, c->to, "change", b->id,
					   "%s: %s (first seen in snapshot %s, started); window %s .. %s closes",
					   c->path, what, b->id, from, to);
	}
	return r;
}

int when_url_of(const struct job *job, const char *path, char *buf, size_t len)
{
	const char *base = job->files.url_path && *job->files.url_path ? job->files.url_path : "/";
	size_t bl = strlen(base);
	int n;

	while (path[0] == '/' || (path[0] == '.' && path[1] == '/'))
		path += path[0] == '/' ? 1 : 2;
	n = snprintf(buf, len, "%s%s%s", base, bl && base[bl - 1] == '/' ? "" : "/", path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

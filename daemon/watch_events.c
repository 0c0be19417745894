/*
 * watch_events — the daemon's triggers of watch jobs besides the schedule:
 *
 *   on_change = yes   one uv_fs_event (inotify) per directory of the watched
 *                     tree, walked with the files job's rules (treewalk.h),
 *                     at most max_watches of them.  An event (re)starts a
 *                     debounce timer (debounce, else 300 ms); when it fires
 *                     the check starts, unless one runs: then it starts again
 *                     when that one ends (never two at once).  After each
 *                     trigger the directories are walked again, so new ones
 *                     are watched.  Over max_watches, or when a watch cannot
 *                     be added (the kernel's inotify limits), every watch is
 *                     dropped and the job falls back to its schedule; status
 *                     says so.  Idle, nothing runs: no timer, no polling.
 *   every_requests    a one-second timer looks at the sizes of the logs
 *                     job's files (its globs) and counts the new lines
 *                     appended since (a rotated, shorter file counts from its
 *                     start); every N of them start a check.
 *
 * libuv on Linux does not report an inotify queue overflow to its users;
 * events lost that way are caught by the next scheduled check.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "treewalk.h"

#define REQ_FILES_MAX 256

struct req_file {
	char *path;
	uint64_t offset;
};

struct dwatch {
	struct djob *dj;
	uv_fs_event_t **ev;		/* one per watched directory */
	size_t nev, cap;
	uv_timer_t debounce, requests;
	bool req_on;
	int open_handles;		/* the two timers + every event handle being closed */
	bool pending;			/* a trigger came while a check ran */
	bool fallback;			/* on_change gave up: scheduled checks only */
	char note[300];
	struct req_file req[REQ_FILES_MAX];
	size_t nreq;
	uint64_t lines;			/* new request lines since the last trigger */
	bool closing;
};

static void handle_closed(uv_handle_t *h)
{
	struct dwatch *w = h->data;

	if (h->type == UV_FS_EVENT)
		free(h);
	if (--w->open_handles == 0) {
		for (size_t i = 0; i < w->nreq; i++)
			free(w->req[i].path);
		free(w->ev);
		free(w);
	}
}

static void drop_watches(struct dwatch *w)
{
	for (size_t i = 0; i < w->nev; i++) {
		w->open_handles++;
		uv_close((uv_handle_t *)w->ev[i], handle_closed);
	}
	w->nev = 0;
}

static void on_debounce(uv_timer_t *t);

static void on_fs_event(uv_fs_event_t *h, const char *filename, int events, int status)
{
	struct dwatch *w = h->data;
	uint64_t ms = w->dj->job && w->dj->job->watch.debounce_s ? (uint64_t)w->dj->job->watch.debounce_s * 1000 : 300;

	(void)filename;
	(void)events;
	if (status < 0) {
		log_warn("job %s: file events: %s", w->dj->name, uv_strerror(status));
		return;
	}
	uv_timer_start(&w->debounce, on_debounce, ms, 0);	/* restarted by each event */
}

struct add_ctx {
	struct dwatch *w;
	const char *root;
	long max;
	int err;
};

static int add_dir(void *ctx, int fd, const char *path, const struct stat *st)
{
	struct add_ctx *a = ctx;
	struct dwatch *w = a->w;
	char full[PATH_MAX];
	uv_fs_event_t *h;
	int r;

	(void)fd;
	(void)st;
	if ((long)w->nev >= a->max) {
		a->err = -E2BIG;
		return -E2BIG;
	}
	if ((size_t)snprintf(full, sizeof(full), "%s/%s", a->root, path) >= sizeof(full))
		return 0;	/* deeper than a path inotify takes: the schedule covers it */
	if (w->nev == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		uv_fs_event_t **v = realloc(w->ev, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->ev = v;
		w->cap = cap;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	uv_fs_event_init(w->dj->d->loop, h);
	h->data = w;
	r = uv_fs_event_start(h, on_fs_event, full, 0);
	if (r < 0) {
		w->open_handles++;
		uv_close((uv_handle_t *)h, handle_closed);
		a->err = r;
		return -EIO;
	}
	w->ev[w->nev++] = h;
	return 0;
}

static int skip_entry(void *ctx, int dirfd, const char *name, const char *path, const struct stat *st)
{
	(void)ctx;
	(void)dirfd;
	(void)name;
	(void)path;
	(void)st;
	return 0;
}

static void skip_error(void *ctx, const char *path, int err, const char *what)
{
	(void)ctx;
	(void)path;
	(void)err;
	(void)what;
}

/* (Re)builds the directory watches of W's job. */
static void build_watches(struct dwatch *w)
{
	const struct job *job = w->dj->job;
	const struct job *fj = job ? config_job(w->dj->d->cfg, job->watch.files) : NULL;
	struct strlist ex = { 0 };
	struct add_ctx a = { .w = w, .max = job ? job->watch.max_watches : 0 };
	struct treewalk_opts o = { 0 };
	struct treewalk_stats ws;
	int r;

	drop_watches(w);
	if (!job || !job->watch.on_change || !fj || w->fallback)
		return;
	ex.v = calloc(fj->files.exclude.n + job->watch.exclude.n + 1, sizeof(char *));
	if (!ex.v)
		return;
	for (size_t i = 0; i < fj->files.exclude.n; i++)
		ex.v[ex.n++] = fj->files.exclude.v[i];
	for (size_t i = 0; i < job->watch.exclude.n; i++)
		ex.v[ex.n++] = job->watch.exclude.v[i];
	a.root = fj->files.path;
	o.root = fj->files.path;
	o.exclude = &ex;
	o.one_file_system = fj->files.one_file_system;
	o.dir = add_dir;
	o.entry = skip_entry;
	o.error = skip_error;
	o.ctx = &a;
	r = treewalk_run(&o, &ws);
	free(ex.v);
	if (r == 0) {
		snprintf(w->note, sizeof(w->note), "on_change: watching %zu directories", w->nev);
		return;
	}
	drop_watches(w);
	w->fallback = true;
	if (a.err == -E2BIG)
		snprintf(w->note, sizeof(w->note),
			 "on_change: off, the tree has more than max_watches = %ld directories; scheduled checks only",
			 job->watch.max_watches);
	else
		snprintf(w->note, sizeof(w->note), "on_change: off, a directory could not be watched (%s); scheduled checks only",
			 a.err < 0 ? uv_strerror(a.err) : strerror(-r));
	log_warn("job %s: %s", w->dj->name, w->note);
}

static void trigger(struct dwatch *w, const char *why)
{
	char err[256];

	if (!w->dj->job || w->dj->d->stopping)
		return;
	if (w->dj->child) {
		w->pending = true;
		return;
	}
	w->pending = false;
	if (child_start(w->dj, why, err, sizeof(err)) < 0)
		log_warn("job %s: %s: check not started: %s", w->dj->name, why, err);
	build_watches(w);
}

static void on_debounce(uv_timer_t *t)
{
	trigger(t->data, "change");
}

/* ---- every_requests --------------------------------------------------- */

static struct req_file *req_slot(struct dwatch *w, const char *path, bool *fresh)
{
	*fresh = false;
	for (size_t i = 0; i < w->nreq; i++)
		if (strcmp(w->req[i].path, path) == 0)
			return &w->req[i];
	if (w->nreq == REQ_FILES_MAX)
		return NULL;
	w->req[w->nreq].path = strdup(path);
	if (!w->req[w->nreq].path)
		return NULL;
	w->req[w->nreq].offset = 0;
	*fresh = true;
	return &w->req[w->nreq++];
}

static uint64_t count_lines(const char *path, uint64_t from, uint64_t to)
{
	char buf[65536];
	uint64_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME);

	if (fd < 0)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (from < to) {
		ssize_t got = pread(fd, buf, to - from < sizeof(buf) ? (size_t)(to - from) : sizeof(buf), (off_t)from);

		if (got <= 0)
			break;
		for (ssize_t i = 0; i < got; i++)
			n += buf[i] == '\n';
		from += (uint64_t)got;
	}
	close(fd);
	return n;
}

static void on_requests(uv_timer_t *t)
{
	struct dwatch *w = t->data;
	const struct job *job = w->dj->job;
	const struct job *lj = job ? config_job(w->dj->d->cfg, job->watch.requests_from) : NULL;

	if (!lj || !job->watch.every_requests)
		return;
	for (size_t p = 0; p < lj->logs.paths.n; p++) {
		glob_t g;

		if (glob(lj->logs.paths.v[p], 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc; i++) {
			struct stat st;
			bool fresh;
			struct req_file *rf;

			if (stat(g.gl_pathv[i], &st) < 0 || !S_ISREG(st.st_mode))
				continue;
			rf = req_slot(w, g.gl_pathv[i], &fresh);
			if (!rf)
				continue;
			if (fresh) {
				rf->offset = (uint64_t)st.st_size;	/* what was there before counts as seen */
				continue;
			}
			if ((uint64_t)st.st_size < rf->offset)
				rf->offset = 0;	/* rotated or truncated */
			if ((uint64_t)st.st_size > rf->offset) {
				w->lines += count_lines(rf->path, rf->offset, (uint64_t)st.st_size);
				rf->offset = (uint64_t)st.st_size;
			}
		}
		globfree(&g);
	}
	if (w->lines >= job->watch.every_requests) {
		log_info("job %s: %llu new requests in %s's logs: checking", w->dj->name,
			 (unsigned long long)w->lines, lj->name);
		w->lines = 0;
		trigger(w, "requests");
	}
}

/* ---- the daemon's side -------------------------------------------------- */

void watch_events_stop(struct djob *dj)
{
	struct dwatch *w = dj->watch;

	if (!w)
		return;
	dj->watch = NULL;
	w->closing = true;
	drop_watches(w);
	uv_close((uv_handle_t *)&w->debounce, handle_closed);
	uv_close((uv_handle_t *)&w->requests, handle_closed);
}

void watch_events_start(struct djob *dj)
{
	const struct job *job = dj->job;
	struct dwatch *w;

	watch_events_stop(dj);
	if (!job || job->kind != JOB_WATCH || (!job->watch.on_change && !job->watch.every_requests))
		return;
	w = calloc(1, sizeof(*w));
	if (!w) {
		log_error("job %s: file events not watched: out of memory", dj->name);
		return;
	}
	w->dj = dj;
	w->open_handles = 2;	/* the timers: freed when the last handle is closed */
	uv_timer_init(dj->d->loop, &w->debounce);
	uv_timer_init(dj->d->loop, &w->requests);
	w->debounce.data = w;
	w->requests.data = w;
	dj->watch = w;
	build_watches(w);
	if (job->watch.every_requests) {
		on_requests(&w->requests);	/* the current sizes: what is there is seen */
		uv_timer_start(&w->requests, on_requests, 1000, 1000);
	}
	if (w->nev)
		log_info("job %s: %s", dj->name, w->note);
}

void watch_events_run_done(struct djob *dj)
{
	if (dj->watch && dj->watch->pending)
		trigger(dj->watch, "change");
}

void watch_events_notes(const struct djob *dj, json_t *notes)
{
	if (dj->watch && dj->watch->note[0])
		json_array_append_new(notes, json_string(dj->watch->note));
}

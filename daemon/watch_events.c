/*
 * watch_events — the daemon's triggers of watch jobs besides the schedule:
 *
 *   on_change = yes   an inotify instance per job, polled in the daemon's
 *                     libuv loop (uv_poll), with one watch per directory of
 *                     the watched tree, walked with the files job's rules
 *                     (treewalk.h), at most max_watches of them.  (libuv's
 *                     uv_fs_event shares one instance and drops the queue
 *                     overflow event; this one sees it.)  An event (re)starts a
 *                     debounce timer (debounce, else 300 ms); when it fires
 *                     the check starts, unless one runs: then it starts again
 *                     when that one ends (never two at once).  After each
 *                     trigger the directories are walked again, so new ones
 *                     are watched.  Over max_watches, when a watch cannot be
 *                     added (the kernel's inotify limits), or when the
 *                     kernel's event queue overflowed (IN_Q_OVERFLOW: events
 *                     were lost; a check starts at once), every watch is
 *                     dropped and the job falls back to its schedule; status
 *                     says so.  Idle, nothing runs: no timer, no polling.
 *   every_requests    a one-second timer looks at the sizes of the logs
 *                     job's files (its globs) and counts the new lines
 *                     appended since (a rotated, shorter file counts from its
 *                     start); every N of them start a check.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "treewalk.h"
#include "watch_baseline.h"
#include "watch_compare.h"

#define REQ_FILES_MAX 256

struct req_file {
	char *path;
	uint64_t offset;
};

struct dwatch {
	struct djob *dj;
	uv_poll_t *poll;		/* on the inotify instance, or NULL */
	int ifd;			/* the inotify instance, or -1 */
	size_t nev;			/* directories watched */
	uv_timer_t debounce, requests;
	bool req_on;
	int open_handles;		/* the two timers and a poll being closed */
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

	if (h->type == UV_POLL) {
		int *fd = (int *)((uv_poll_t *)h + 1);

		close(*fd);
		free(h);
	}
	if (--w->open_handles == 0) {
		for (size_t i = 0; i < w->nreq; i++)
			free(w->req[i].path);
		free(w);
	}
}

/* Closes the inotify instance: every watch goes with it. */
static void drop_watches(struct dwatch *w)
{
	if (w->poll) {
		w->open_handles++;
		uv_close((uv_handle_t *)w->poll, handle_closed);	/* closes ifd after */
		w->poll = NULL;
	} else if (w->ifd >= 0) {
		close(w->ifd);
	}
	w->ifd = -1;
	w->nev = 0;
}

static void on_debounce(uv_timer_t *t);
static void trigger(struct dwatch *w, const char *why);

static void go_fallback(struct dwatch *w, const char *why)
{
	char note[sizeof(w->note)];

	drop_watches(w);
	w->fallback = true;
	snprintf(note, sizeof(note), "on_change: off, %s; scheduled checks only", why);
	memcpy(w->note, note, sizeof(note));
	log_warn("job %s: %s", w->dj->name, w->note);
}

static void on_inotify(uv_poll_t *h, int status, int events)
{
	struct dwatch *w = h->data;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool any = false, overflow = false;
	uint64_t ms = w->dj->job && w->dj->job->watch.debounce_s ? (uint64_t)w->dj->job->watch.debounce_s * 1000 : 300;
	ssize_t n;

	(void)events;
	if (status < 0) {
		log_warn("job %s: file events: %s", w->dj->name, uv_strerror(status));
		return;
	}
	while ((n = read(w->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->mask & IN_Q_OVERFLOW)
				overflow = true;
			else if (!(ev->mask & IN_IGNORED))
				any = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (overflow) {
		go_fallback(w, "the kernel's inotify queue overflowed (events were lost)");
		trigger(w, "change");
		return;
	}
	if (any)
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

	(void)fd;
	(void)st;
	if ((long)w->nev >= a->max) {
		a->err = -E2BIG;
		return -E2BIG;
	}
	if ((size_t)snprintf(full, sizeof(full), "%s/%s", a->root, path) >= sizeof(full))
		return 0;	/* deeper than a path inotify takes: the schedule covers it */
	if (inotify_add_watch(w->ifd, full, IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE |
			      IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR |
			      IN_DONT_FOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;	/* gone since the walk saw it */
		a->err = -errno;
		return -EIO;
	}
	w->nev++;
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
	struct wc_tree_opts t;
	struct strlist ex = { 0 };
	struct add_ctx a = { .w = w, .max = job ? job->watch.max_watches : 0 };
	struct treewalk_opts o = { 0 };
	struct treewalk_stats ws;
	int r;

	drop_watches(w);
	if (!job || !job->watch.on_change || w->fallback || watch_tree_of(w->dj->d->cfg, job, &t) < 0)
		return;
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ifd < 0) {
		char why[128];

		snprintf(why, sizeof(why), "no inotify instance (%s)", strerror(errno));
		go_fallback(w, why);
		return;
	}
	ex.v = calloc((t.exclude ? t.exclude->n : 0) + (t.exclude2 ? t.exclude2->n : 0) + 1, sizeof(char *));
	if (!ex.v)
		return;
	for (size_t i = 0; t.exclude && i < t.exclude->n; i++)
		ex.v[ex.n++] = t.exclude->v[i];
	for (size_t i = 0; t.exclude2 && i < t.exclude2->n; i++)
		ex.v[ex.n++] = t.exclude2->v[i];
	a.root = t.root;
	o.root = t.root;
	o.exclude = &ex;
	o.one_file_system = t.one_file_system;
	o.dir = add_dir;
	o.entry = skip_entry;
	o.error = skip_error;
	o.ctx = &a;
	r = treewalk_run(&o, &ws);
	free(ex.v);
	if (r == 0) {
		w->poll = malloc(sizeof(uv_poll_t) + sizeof(int));
		if (w->poll && uv_poll_init(w->dj->d->loop, w->poll, w->ifd) == 0) {
			*(int *)(w->poll + 1) = w->ifd;
			w->poll->data = w;
			uv_poll_start(w->poll, UV_READABLE, on_inotify);
			snprintf(w->note, sizeof(w->note), "on_change: watching %zu directories", w->nev);
			return;
		}
		free(w->poll);
		w->poll = NULL;
		a.err = -ENOMEM;
	}
	if (a.err == -E2BIG) {
		char why[128];

		snprintf(why, sizeof(why), "the tree has more than max_watches = %ld directories", job->watch.max_watches);
		go_fallback(w, why);
	} else {
		char why[160];

		snprintf(why, sizeof(why), "a directory could not be watched (%s)", strerror(a.err < 0 ? -a.err : -r));
		go_fallback(w, why);
	}
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
	w->ifd = -1;
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

/*
 * children — each run is a child process (lifeboatd --run-job JOB), so that a
 * crash, a hang or a cancel of one backup never takes the daemon down.  The
 * child gets the daemon's config bytes on stdin and writes JSON lines
 * (started, progress, done) on its fd 3; its logs share our stderr.
 *
 * A run is over when the child has exited and its pipe is drained.  A child
 * that died without saying "done" is a failed run, recorded here since it
 * could not record itself, and over once its temporary files are cleaned
 * (on libuv's thread pool, not in the loop); one that found the job busy (a `lifeboat run
 * --here` holds its lock) is no run at all.  Then the job's hook runs.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon.h"
#include "fsutil.h"
#include "jobstate.h"
#include "log.h"
#include "store.h"
#include "timefmt.h"
#include "metrics.h"

extern char **environ;

/* Variables that belong to us alone: systemd's, and socket activation's. */
static bool env_private(const char *kv)
{
	static const char *const names[] = {
		"NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID=", "LISTEN_FDS=", "LISTEN_PID=",
		"LISTEN_FDNAMES=",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(kv, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

char **daemon_child_env(const char *const *extra)
{
	size_t n = 0, nextra = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	while (extra && extra[nextra])
		nextra++;
	env = calloc(n + nextra + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (env_private(environ[i]))
			continue;
		if (!(env[k++] = strdup(environ[i])))
			goto fail;
	}
	for (size_t i = 0; i < nextra; i++)
		if (!(env[k++] = strdup(extra[i])))
			goto fail;
	return env;
fail:
	env_free(env);
	return NULL;
}

void env_free(char **env)
{
	if (!env)
		return;
	for (char **e = env; *e; e++)
		free(*e);
	free(env);
}

/* ---- hooks ------------------------------------------------------------ */

struct hook {
	uv_process_t proc;
	uv_timer_t timer;
	int open_handles;
	char job[JOB_NAME_MAX + 1];
	const char *which;
};

static void hook_closed(uv_handle_t *h)
{
	struct hook *hk = h->data;

	if (--hk->open_handles == 0)
		free(hk);
}

static void hook_exit(uv_process_t *p, int64_t status, int sig)
{
	struct hook *hk = p->data;

	if (sig)
		log_warn("job %s: %s hook killed by signal %d", hk->job, hk->which, sig);
	else if (status)
		log_warn("job %s: %s hook exited with status %lld", hk->job, hk->which, (long long)status);
	uv_timer_stop(&hk->timer);
	uv_close((uv_handle_t *)&hk->proc, hook_closed);
	uv_close((uv_handle_t *)&hk->timer, hook_closed);
}

static void hook_timeout(uv_timer_t *t)
{
	struct hook *hk = t->data;

	log_warn("job %s: %s hook still running after hook_timeout; killing it", hk->job, hk->which);
	/* Detached: the hook leads its own process group, and takes it along. */
	kill(-hk->proc.pid, SIGKILL);
}

static void run_hook(struct daemon *d, const struct djob *dj, const char *result, const char *id,
		     const char *message, unsigned alerts)
{
	const struct job *job = dj->job;
	bool good = strcmp(result, "ok") == 0;
	const char *cmd, *which = alerts ? "on_alert" : good ? "on_success" : "on_failure";
	char v_job[128], v_id[128], v_res[64], v_msg[2200], v_kind[64], v_alerts[64];
	const char *extra[] = { v_job, v_id, v_res, v_msg, v_kind, v_alerts, NULL };
	/* Through ourselves, to shed the capabilities only job runs need. */
	char *args[] = { d->self_exe, "--run-hook", NULL, NULL };
	uv_process_options_t o = { 0 };
	uv_stdio_container_t stdio[3];
	struct hook *hk;
	char **env;
	int r;

	if (!job)
		return;
	if (alerts)
		cmd = job->on_alert ? job->on_alert : d->cfg->on_alert;
	else
		cmd = good ? (job->on_success ? job->on_success : d->cfg->on_success)
			   : (job->on_failure ? job->on_failure : d->cfg->on_failure);
	if (!cmd || !*cmd)
		return;
	snprintf(v_job, sizeof(v_job), "LIFEBOAT_JOB=%s", dj->name);
	snprintf(v_id, sizeof(v_id), "LIFEBOAT_ID=%s", id ? id : "");
	snprintf(v_res, sizeof(v_res), "LIFEBOAT_RESULT=%s", result);
	snprintf(v_msg, sizeof(v_msg), "LIFEBOAT_MESSAGE=%s", message ? message : "");
	snprintf(v_kind, sizeof(v_kind), "LIFEBOAT_KIND=%s", job_kind_name(job->kind));
	snprintf(v_alerts, sizeof(v_alerts), "LIFEBOAT_ALERTS=%u", alerts);
	env = daemon_child_env(extra);
	hk = calloc(1, sizeof(*hk));
	if (!env || !hk) {
		log_error("job %s: %s hook not run: out of memory", dj->name, which);
		env_free(env);
		free(hk);
		return;
	}
	snprintf(hk->job, sizeof(hk->job), "%s", dj->name);
	hk->which = which;
	args[2] = (char *)cmd;
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = STDERR_FILENO;	/* a hook's chatter belongs in the log */
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = STDERR_FILENO;
	o.file = args[0];
	o.args = args;
	o.env = env;
	o.stdio = stdio;
	o.stdio_count = 3;
	o.exit_cb = hook_exit;
	o.flags = UV_PROCESS_DETACHED;
	hk->proc.data = hk;
	r = uv_spawn(d->loop, &hk->proc, &o);
	env_free(env);
	if (r < 0) {
		log_error("job %s: %s hook: cannot start %s: %s", dj->name, which, d->self_exe, uv_strerror(r));
		hk->open_handles = 1;
		uv_close((uv_handle_t *)&hk->proc, hook_closed);
		return;
	}
	hk->open_handles = 2;
	uv_timer_init(d->loop, &hk->timer);
	hk->timer.data = hk;
	uv_timer_start(&hk->timer, hook_timeout, (uint64_t)d->cfg->hook_timeout * 1000, 0);
	log_info("job %s: running the %s hook", dj->name, which);
}

/* ---- the run's end ------------------------------------------------------ */

static void child_closed(uv_handle_t *h)
{
	struct child *c = h->data;

	if (--c->open_handles)
		return;
	proto_lines_free(&c->lines);
	json_decref(c->progress);
	json_decref(c->done);
	free(c);
}

/* A child that could not say how its run ended: the run failed, and the state
 * dir must say so. */
static void record_lost_run(struct djob *dj, const struct child *c, const char *error)
{
	char started[TIMEFMT_RFC3339_LEN], finished[TIMEFMT_RFC3339_LEN];
	json_t *run;

	timefmt_rfc3339(c->started, started);
	timefmt_rfc3339(time(NULL), finished);
	run = json_pack("{s:s, s:s, s:s, s:s}", "result", "failed", "started", started,
			"finished", finished, "error", error);
	if (run)
		jobstate_record_run(dj->d->cfg->state_dir, dj->name, run);
	json_decref(run);
	metrics_write(dj->d->cfg);
}

static void child_report(struct child *c, const char *result, const char *id, const char *error);

/* A child that died mid-run left its temporary files; nothing lists them,
 * but they take space until the job's next run, so they go now.  The run
 * lock died with the child, so the cleaner sees the run is over.  Walking the
 * job's store is not for the loop thread: it is done on libuv's thread pool,
 * and the run is over (reported, its hook run) when it is done. */
struct lost_clean {
	uv_work_t work;
	struct child *c;
	char *store;			/* copies: a reload may swap the config meanwhile */
	char *job;
	char why[256];			/* the run's error */
	int r;				/* store_clean's result */
};

static void clean_work(uv_work_t *w)
{
	struct lost_clean *lc = w->data;
	struct store *st;

	lc->r = store_open(lc->store, &st);
	if (lc->r < 0)
		return;
	lc->r = store_clean(st, lc->job);
	store_close(st);
}

static void clean_done(uv_work_t *w, int status)
{
	struct lost_clean *lc = w->data;

	if (status < 0 || lc->r < 0)
		log_warn("job %s: the temporary files of the lost run stay until its next run", lc->job);
	child_report(lc->c, "failed", NULL, lc->why);
	free(lc->store);
	free(lc->job);
	free(lc);
}

/* Starts the cleaning after C's lost run; 0, or a negative errno when it
 * could not start (then the job's next run cleans). */
static int clean_after(struct child *c, const char *why)
{
	struct daemon *d = c->dj->d;
	struct lost_clean *lc = calloc(1, sizeof(*lc));
	int r;

	if (!lc || !(lc->store = strdup(d->cfg->store)) || !(lc->job = strdup(c->dj->name))) {
		if (lc)
			free(lc->store);
		free(lc);
		return -ENOMEM;
	}
	lc->c = c;
	snprintf(lc->why, sizeof(lc->why), "%s", why);
	lc->work.data = lc;
	r = uv_queue_work(d->loop, &lc->work, clean_work, clean_done);
	if (r < 0) {
		free(lc->store);
		free(lc->job);
		free(lc);
		return r;
	}
	return 0;
}

static void free_orphan(struct daemon *d, struct djob *dj)
{
	for (struct djob **pp = &d->orphans; *pp; pp = &(*pp)->next) {
		if (*pp == dj) {
			*pp = dj->next;
			uv_close((uv_handle_t *)&dj->timer, djob_free_closed);
			return;
		}
	}
}

static void child_finish(struct child *c)
{
	struct djob *dj = c->dj;
	const char *result, *id = NULL, *error = NULL;
	char why[256];

	if (c->done) {
		result = json_string_value(json_object_get(c->done, "result"));
		id = json_string_value(json_object_get(c->done, "id"));
		error = json_string_value(json_object_get(c->done, "error"));
		if (!result)
			result = "failed";
	} else if (!c->term_signal && c->exit_status == CHILD_EXIT_BUSY) {
		result = "busy";
		error = "the job is already running in another process (lifeboat run --here?)";
		log_warn("job %s: %s; this run is skipped", dj->name, error);
	} else {
		if (c->term_signal)
			snprintf(why, sizeof(why), "the job process was killed by signal %d (%s)",
				 c->term_signal, strsignal(c->term_signal));
		else if (c->exit_status == CHILD_EXIT_USAGE)
			snprintf(why, sizeof(why), "the job process could not load the config (see the log)");
		else
			snprintf(why, sizeof(why), "the job process exited with status %lld without finishing",
				 (long long)c->exit_status);
		result = "failed";
		error = why;
		log_error("job %s: %s", dj->name, why);
		record_lost_run(dj, c, why);
		if (clean_after(c, why) == 0)
			return;	/* clean_done() reports the run */
		log_warn("job %s: the temporary files of the lost run stay until its next run", dj->name);
	}
	child_report(c, result, id, error);
}

/* The end of C's run: said, broadcast, hooked, and C closed. */
static void child_report(struct child *c, const char *result, const char *id, const char *error)
{
	struct djob *dj = c->dj;
	struct daemon *d = dj->d;
	json_t *ev;

	if (strcmp(result, "busy") != 0)
		log_info("job %s: run %s%s%s%s%s", dj->name, result, id ? " " : "", id ? id : "",
			 error ? ": " : "", error ? error : "");

	ev = json_pack("{s:s, s:s, s:s, s:s*, s:s*}", "event", "done", "job", dj->name, "result", result,
		       "id", id, "error", error);
	if (ev) {
		control_broadcast(d, dj->name, ev);
		json_decref(ev);
	}
	if (strcmp(result, "busy") != 0 && !(d->stopping && c->cancel_requested)) {
		json_int_t alerts = c->done ? json_integer_value(json_object_get(c->done, "alerts")) : 0;

		run_hook(d, dj, result, id, error, 0);
		/* New alerts (a tampered log, a watch finding): the on_alert hook too. */
		if (alerts > 0)
			run_hook(d, dj, result, id,
				 json_string_value(json_object_get(c->done, "summary")) ?: error, (unsigned)alerts);
	}
	if (id && (!strcmp(result, "ok") || !strcmp(result, "partial")))
		offsite_queue_backup(d, dj->name);	/* a committed backup goes offsite */

	dj->child = NULL;
	d->nrunning--;
	uv_timer_stop(&c->kill_timer);
	uv_close((uv_handle_t *)&c->proc, child_closed);
	uv_close((uv_handle_t *)&c->kill_timer, child_closed);
	if (!uv_is_closing((uv_handle_t *)&c->pipe))
		uv_close((uv_handle_t *)&c->pipe, child_closed);
	if (!dj->job)
		free_orphan(d, dj);
	else
		watch_events_run_done(dj);
	notify_status(d);
	if (d->stopping)
		daemon_maybe_exit(d);
}

static bool pipe_done(const struct child *c)
{
	return uv_is_closing((const uv_handle_t *)&c->pipe);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct child *c = p->data;

	c->exited = true;
	c->exit_status = status;
	c->term_signal = sig;
	uv_timer_stop(&c->kill_timer);	/* the pid is reaped: never signal it again */
	if (pipe_done(c))
		child_finish(c);
}

static void handle_line(struct child *c, const char *line)
{
	char err[200];
	json_t *ev = proto_parse(line, err, sizeof(err));
	const char *kind;

	if (!ev) {
		log_warn("job %s: unreadable progress line from the job process (%s)", c->dj->name, err);
		return;
	}
	kind = json_string_value(json_object_get(ev, "event"));
	if (kind && strcmp(kind, "progress") == 0) {
		json_decref(c->progress);
		c->progress = json_incref(ev);
		json_object_set_new(ev, "job", json_string(c->dj->name));
		control_broadcast(c->dj->d, c->dj->name, ev);
	} else if (kind && strcmp(kind, "done") == 0) {
		json_decref(c->done);
		c->done = json_incref(ev);
	}
	json_decref(ev);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char slab[16384];

	(void)h;
	(void)suggested;
	/* One loop thread, and each read is consumed before the next: one slab. */
	*buf = uv_buf_init(slab, sizeof(slab));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct child *c = s->data;
	char *line;

	if (n > 0) {
		if (proto_lines_push(&c->lines, buf->base, (size_t)n) < 0) {
			log_warn("job %s: the job process sent an over-long line; progress is no longer followed",
				 c->dj->name);
			n = UV_EOF;
		} else {
			while ((line = proto_lines_next(&c->lines)))
				handle_line(c, line);
		}
	}
	if (n < 0) {
		uv_read_stop(s);
		uv_close((uv_handle_t *)s, child_closed);
		if (c->exited)
			child_finish(c);
	}
}

static void on_kill_timer(uv_timer_t *t)
{
	struct child *c = t->data;

	if (c->exited)
		return;
	log_warn("job %s: did not stop within stop_timeout; killing it", c->dj->name);
	uv_process_kill(&c->proc, SIGKILL);
}

void child_cancel(struct child *c)
{
	if (c->cancel_requested || c->exited)
		return;
	c->cancel_requested = true;
	log_info("job %s: asking the run to stop", c->dj->name);
	uv_process_kill(&c->proc, SIGTERM);
	uv_timer_start(&c->kill_timer, on_kill_timer, (uint64_t)c->dj->d->cfg->stop_timeout * 1000 + 1, 0);
}

/* The config text as a file the child reads from its stdin. */
int daemon_config_memfd(const struct daemon *d)
{
	int fd = memfd_create("lifeboat-config", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fs_write_all(fd, d->config_text, d->config_len) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		int r = -errno;

		close(fd);
		return r ? r : -EIO;
	}
	return fd;
}

int child_start(struct djob *dj, const char *trigger, char *err, size_t errlen)
{
	struct daemon *d = dj->d;
	char *args[] = { d->self_exe, "--run-job", dj->name, "-c", d->config_path, NULL };
	uv_process_options_t o = { 0 };
	uv_stdio_container_t stdio[4];
	struct child *c;
	char **env;
	int cfd, r;

	if (dj->child) {
		snprintf(err, errlen, "already running (started %s)", dj->child->trigger);
		return -EBUSY;
	}
	c = calloc(1, sizeof(*c));
	env = daemon_child_env(NULL);
	cfd = daemon_config_memfd(d);
	if (!c || !env || cfd < 0) {
		snprintf(err, errlen, "%s", cfd < 0 && c && env ? strerror(-cfd) : "out of memory");
		free(c);
		env_free(env);
		if (cfd >= 0)
			close(cfd);
		return -ENOMEM;
	}
	c->dj = dj;
	c->trigger = trigger;
	c->started = time(NULL);
	proto_lines_init(&c->lines);
	uv_pipe_init(d->loop, &c->pipe, 0);
	c->pipe.data = c;
	stdio[0].flags = UV_INHERIT_FD;
	stdio[0].data.fd = cfd;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = STDOUT_FILENO;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = STDERR_FILENO;
	/* Flags are the child's view: it writes, we read. */
	stdio[3].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[3].data.stream = (uv_stream_t *)&c->pipe;
	o.file = d->self_exe;
	o.args = args;
	o.env = env;
	o.stdio = stdio;
	o.stdio_count = 4;
	o.exit_cb = on_exit_cb;
	c->proc.data = c;
	r = uv_spawn(d->loop, &c->proc, &o);
	env_free(env);
	close(cfd);
	if (r < 0) {
		snprintf(err, errlen, "cannot start %s: %s", d->self_exe, uv_strerror(r));
		c->open_handles = 2;
		uv_close((uv_handle_t *)&c->pipe, child_closed);
		uv_close((uv_handle_t *)&c->proc, child_closed);
		return -EIO;
	}
	uv_timer_init(d->loop, &c->kill_timer);
	c->kill_timer.data = c;
	c->open_handles = 3;
	uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, on_read);
	dj->child = c;
	d->nrunning++;
	log_info("job %s: run started (%s), pid %d", dj->name, trigger, c->proc.pid);
	notify_status(d);
	return 0;
}

json_t *child_status(const struct child *c)
{
	char started[TIMEFMT_RFC3339_LEN];
	json_t *s, *p = c->progress;

	timefmt_rfc3339(c->started, started);
	s = json_pack("{s:i, s:s, s:s, s:s, s:b}", "pid", c->proc.pid, "started", started,
		      "trigger", c->trigger, "phase", p ? "running" : "starting",
		      "cancel_requested", c->cancel_requested);
	if (s && p) {
		double elapsed = json_number_value(json_object_get(p, "elapsed"));
		json_int_t in = json_integer_value(json_object_get(p, "bytes_in"));
		json_int_t est = json_integer_value(json_object_get(p, "estimated"));
		double rate = elapsed > 0 ? (double)in / elapsed : 0;

		json_object_set(s, "what", json_object_get(p, "what"));
		json_object_set(s, "bytes_in", json_object_get(p, "bytes_in"));
		json_object_set(s, "bytes_out", json_object_get(p, "bytes_out"));
		json_object_set(s, "estimated", json_object_get(p, "estimated"));
		json_object_set(s, "files", json_object_get(p, "files"));
		json_object_set(s, "elapsed", json_object_get(p, "elapsed"));
		json_object_set_new(s, "rate", json_real(rate));
		if (est > in && rate > 0)
			json_object_set_new(s, "eta_seconds", json_integer((json_int_t)((double)(est - in) / rate)));
	}
	return s;
}

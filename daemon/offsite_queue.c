/*
 * offsite_queue — the daemon's side of offsite copies.  After each run that
 * committed a backup (children.c calls offsite_queue_backup), every
 * [offsite:NAME] target that copies the job gets an upload child,
 * `lifeboatd --offsite-sync NAME` (offsite_child_main below: the same
 * offsite_sync() as `lifeboat offsite sync`), with the daemon's config
 * bytes on stdin like a job child, and an environment without secrets.  One
 * upload child per target at a time: a backup committed while one runs
 * marks the target pending, and it runs again when the first is done, so
 * nothing committed is left behind; what a failed upload left is tried at
 * the next backup (or by hand), and resumes.  On SIGTERM the upload
 * children are stopped; a cut multipart upload resumes next time.
 *
 * The queue itself is the store: a sync uploads whatever is not offsite, so
 * nothing is lost when the daemon restarts.  What status shows of it is in
 * <state_dir>/offsite/NAME/status.json (offsite_sync.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "fsutil.h"
#include "log.h"
#include "metrics.h"
#include "offsite.h"

#define UPLOADERS_MAX 64

struct uploader {
	struct daemon *d;
	char name[JOB_NAME_MAX + 1];	/* the target */
	uv_process_t proc;
	bool running;			/* proc is a live child */
	bool pending;			/* a backup came while it ran: run again */
};

static struct uploader uploaders[UPLOADERS_MAX];
static size_t nuploaders;

static void start(struct uploader *u);

static void uploader_closed(uv_handle_t *h)
{
	struct uploader *u = h->data;

	u->running = false;
	if (u->pending && !u->d->stopping) {
		u->pending = false;
		start(u);
	}
}

static void uploader_exit(uv_process_t *p, int64_t status, int sig)
{
	struct uploader *u = p->data;

	if (sig)
		log_warn("offsite %s: the upload process was killed by signal %d", u->name, sig);
	else if (status)
		log_warn("offsite %s: the upload ended with errors (see above); it is tried again after the next backup",
			 u->name);
	else
		log_info("offsite %s: upload done", u->name);
	uv_close((uv_handle_t *)p, uploader_closed);
}

static void start(struct uploader *u)
{
	struct daemon *d = u->d;
	char *args[] = { d->self_exe, "--offsite-sync", u->name, "-c", d->config_path, NULL };
	uv_process_options_t o = { 0 };
	uv_stdio_container_t stdio[3];
	char **env = daemon_child_env(NULL);
	int cfd = daemon_config_memfd(d), r;

	if (!env || cfd < 0) {
		log_error("offsite %s: cannot start the upload: %s", u->name, cfd < 0 ? strerror(-cfd) : "out of memory");
		env_free(env);
		if (cfd >= 0)
			close(cfd);
		return;
	}
	stdio[0].flags = UV_INHERIT_FD;
	stdio[0].data.fd = cfd;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = STDERR_FILENO;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = STDERR_FILENO;
	o.file = d->self_exe;
	o.args = args;
	o.env = env;
	o.stdio = stdio;
	o.stdio_count = 3;
	o.exit_cb = uploader_exit;
	u->proc.data = u;
	r = uv_spawn(d->loop, &u->proc, &o);
	env_free(env);
	close(cfd);
	if (r < 0) {
		log_error("offsite %s: cannot start %s: %s", u->name, d->self_exe, uv_strerror(r));
		uv_close((uv_handle_t *)&u->proc, NULL);
		return;
	}
	u->running = true;
	log_info("offsite %s: upload started, pid %d", u->name, u->proc.pid);
}

void offsite_queue_backup(struct daemon *d, const char *job)
{
	for (size_t i = 0; i < d->cfg->noffsites; i++) {
		const struct offsite *o = &d->cfg->offsites[i];
		struct uploader *u = NULL;

		if (!offsite_has_job(o, job) || d->stopping)
			continue;
		for (size_t k = 0; k < nuploaders; k++)
			if (!strcmp(uploaders[k].name, o->name))
				u = &uploaders[k];
		if (!u) {
			if (nuploaders == UPLOADERS_MAX) {
				log_error("offsite %s: more than %d targets; not queued", o->name, UPLOADERS_MAX);
				continue;
			}
			u = &uploaders[nuploaders++];
			memset(u, 0, sizeof(*u));
			snprintf(u->name, sizeof(u->name), "%s", o->name);
		}
		u->d = d;
		if (u->running)
			u->pending = true;
		else
			start(u);
	}
}

void offsite_queue_stop(struct daemon *d)
{
	(void)d;
	for (size_t k = 0; k < nuploaders; k++) {
		uploaders[k].pending = false;
		if (uploaders[k].running)
			uv_process_kill(&uploaders[k].proc, SIGTERM);
	}
}

int offsite_child_main(const char *name, const char *config_path)
{
	struct offsite_sync_stats st;
	struct offsite_conn c;
	const struct offsite *o;
	struct config *cfg = NULL;
	char what[300];
	int r;

	signal(SIGPIPE, SIG_IGN);
	snprintf(what, sizeof(what), "offsite %s", name);
	if (child_config_load(what, config_path, &cfg) < 0)
		return 2;
	o = config_offsite(cfg, name);
	if (!o) {
		log_error("offsite %s: not in %s", name, config_path);
		config_free(cfg);
		return 2;
	}
	offsite_priority(o);
	if (offsite_connect(cfg, o, true, &c) < 0) {
		log_error("%s", c.err);
		offsite_record_failure(cfg, o, c.err);
		metrics_write(cfg);
		config_free(cfg);
		return 1;
	}
	r = offsite_sync(&c, NULL, &st);
	offsite_disconnect(&c);
	metrics_write(cfg);
	config_free(cfg);
	return r < 0 ? 1 : 0;
}

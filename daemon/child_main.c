/*
 * child_main — one scheduled or requested run, in a child of lifeboatd:
 * the same jobrun() that `lifeboat run --here` uses.  The config arrives on
 * stdin (the exact bytes the daemon loaded), progress leaves as JSON lines
 * on fd 3, logs go to the inherited stderr.  SIGTERM cancels the run, which
 * then leaves nothing in the store.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "fsutil.h"
#include "jobrun.h"
#include "log.h"

#define PROGRESS_FD 3

static volatile sig_atomic_t cancel_flag;

static void on_signal(int sig)
{
	(void)sig;
	cancel_flag = 1;
}

static void send_event(json_t *ev)
{
	if (!ev)
		return;
	/* A daemon that stopped reading must not stop the backup. */
	(void)proto_write(PROGRESS_FD, ev);
	json_decref(ev);
}

static void on_progress(void *ctx, const struct jobrun_progress *p)
{
	(void)ctx;
	send_event(json_pack("{s:s, s:s*, s:I, s:I, s:I, s:I, s:f}", "event", "progress",
			     "what", p->what, "bytes_in", (json_int_t)p->bytes_in,
			     "bytes_out", (json_int_t)p->bytes_out, "estimated", (json_int_t)p->estimated,
			     "files", (json_int_t)p->files, "elapsed", p->elapsed));
}

int child_config_load(const char *what, const char *config_path, struct config **out)
{
	struct config_errors errs = { 0 };
	char *text = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	/* The config text, all of stdin (a memfd the daemon filled). */
	r = fs_read_all("/dev/stdin", CONFIG_TEXT_MAX, &text, &len);
	if (r < 0) {
		log_err(LOG_LVL_ERROR, -r, "%s: cannot read the config from the daemon", what);
		return r;
	}
	r = config_load_text(config_path, text, len, out, &errs);
	free(text);
	for (size_t i = 0; i < errs.lines.n; i++)
		log_error("%s", errs.lines.v[i]);
	config_errors_free(&errs);
	return r;
}

int child_main(const char *job_name, const char *config_path)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct jobrun_opts ro = { .progress = on_progress, .cancel = &cancel_flag };
	struct jobrun_result res;
	struct config *cfg = NULL;
	const struct job *job;
	const char *result;
	char what[300];
	int r;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	snprintf(what, sizeof(what), "job %s", job_name);
	if (child_config_load(what, config_path, &cfg) < 0)
		return CHILD_EXIT_USAGE;
	job = config_job(cfg, job_name);
	if (!job) {
		log_error("job %s: not in %s", job_name, config_path);
		config_free(cfg);
		return CHILD_EXIT_USAGE;
	}
	send_event(json_pack("{s:s, s:i}", "event", "started", "pid", (int)getpid()));
	r = jobrun(cfg, job, &ro, &res);
	if (res.busy) {
		config_free(cfg);
		return CHILD_EXIT_BUSY;
	}
	result = r == 0 ? (res.partial ? "partial" : "ok") : (r == -ECANCELED ? "cancelled" : "failed");
	send_event(json_pack("{s:s, s:s, s:s*, s:s*, s:I, s:I, s:f, s:i, s:s*}", "event", "done", "result", result,
			     "id", r == 0 && res.id[0] ? res.id : NULL,
			     "error", r == 0 ? NULL : (*log_last_error() ? log_last_error() : strerror(-r)),
			     "bytes_in", (json_int_t)res.bytes_in, "bytes_out", (json_int_t)res.bytes_out,
			     "seconds", res.seconds, "alerts", (int)res.alerts,
			     "summary", res.summary[0] ? res.summary : NULL));
	config_free(cfg);
	return r == 0 ? CHILD_EXIT_OK : CHILD_EXIT_FAILED;
}

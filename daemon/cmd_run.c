/*
 * lifeboat run JOB [--wait | --here] — run a job now.
 *   (neither)  ask lifeboatd to start it, and return
 *   --wait     ask lifeboatd, follow its progress to the end, exit with its result
 *   --here     run it in this process, with no daemon at all
 * Progress is drawn on stderr when it is a terminal and nothing is drawn in
 * a pipe.  With --here, Ctrl-C (or SIGTERM) stops the run and leaves nothing
 * in the store; with --wait it only stops following (lifeboat cancel stops
 * the run).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "jobrun.h"
#include "units.h"

static volatile sig_atomic_t cancel_flag;

static void on_signal(int sig)
{
	(void)sig;
	cancel_flag = 1;
}

static void draw_progress(void *ctx, const struct jobrun_progress *p)
{
	char in[32], out[32], rate[32], eta[48] = "";
	double r = p->elapsed > 0 ? (double)p->bytes_in / p->elapsed : 0;

	(void)ctx;
	units_format_size_human(p->bytes_in, in, sizeof(in));
	units_format_size_human(p->bytes_out, out, sizeof(out));
	units_format_size_human((uint64_t)r, rate, sizeof(rate));
	/* The estimate is the table space on disk: a rough guide, so only shown
	 * while it is ahead of us. */
	if (p->estimated > p->bytes_in && r > 0) {
		char left[32];

		units_format_age((int64_t)((double)(p->estimated - p->bytes_in) / r), left, sizeof(left));
		snprintf(eta, sizeof(eta), "  ETA ~%s", left);
	}
	/* Files jobs count files: the count leads, the path shows its tail. */
	if (p->files) {
		const char *what = p->what ? p->what : "";
		size_t len = strlen(what);

		fprintf(stderr, "\r\033[K%s: %8" PRIu64 " files %10s -> %-10s %10s/s  %s%.30s", p->job, p->files,
			in, out, rate, len > 30 ? "..." : "", len > 30 ? what + len - 30 : what);
	} else {
		fprintf(stderr, "\r\033[K%s: %-30.30s %10s -> %-10s %10s/s%s", p->job, p->what ? p->what : "",
			in, out, rate, eta);
	}
	fflush(stderr);
}

/* A progress event from the daemon, drawn like a local run's. */
static void draw_event(json_t *ev)
{
	struct jobrun_progress p = {
		.job = json_string_value(json_object_get(ev, "job")),
		.what = json_string_value(json_object_get(ev, "what")),
		.bytes_in = (uint64_t)json_integer_value(json_object_get(ev, "bytes_in")),
		.bytes_out = (uint64_t)json_integer_value(json_object_get(ev, "bytes_out")),
		.estimated = (uint64_t)json_integer_value(json_object_get(ev, "estimated")),
		.files = (uint64_t)json_integer_value(json_object_get(ev, "files")),
		.elapsed = json_number_value(json_object_get(ev, "elapsed")),
	};

	if (p.job)
		draw_progress(NULL, &p);
}

static int run_via_daemon(const struct config *cfg, const struct job *job, bool wait)
{
	struct cli_conn conn;
	json_t *reply = NULL, *ev = NULL;
	bool tty = isatty(STDERR_FILENO);
	const char *result = NULL;
	int r;

	if (cli_daemon_open(cfg, &conn, true) < 0) {
		fprintf(stderr, "lifeboat: lifeboatd is not running (no daemon on %s); to run without it: lifeboat run %s --here\n",
			cfg->socket, job->name);
		return EXIT_FAILED;
	}
	r = cli_daemon_request(&conn, json_pack("{s:s, s:s, s:b}", "cmd", "run", "job", job->name,
						"wait", wait), &reply);
	if (r < 0) {
		json_decref(reply);
		cli_daemon_close(&conn);
		return EXIT_FAILED;
	}
	if (!wait) {
		printf("%s: started by lifeboatd (pid %lld); follow it with: lifeboat status\n", job->name,
		       (long long)json_integer_value(json_object_get(reply, "pid")));
		json_decref(reply);
		cli_daemon_close(&conn);
		return EXIT_OK;
	}
	json_decref(reply);
	while (cli_daemon_read(&conn, &ev) == 0) {
		const char *kind = json_string_value(json_object_get(ev, "event"));

		if (kind && strcmp(kind, "progress") == 0 && tty) {
			draw_event(ev);
		} else if (kind && strcmp(kind, "done") == 0) {
			if (tty)
				fprintf(stderr, "\r\033[K");
			result = json_string_value(json_object_get(ev, "result"));
			if (result && !json_string_value(json_object_get(ev, "id")) &&
			    json_string_value(json_object_get(ev, "summary")))
				printf("%s: %s: %s\n", job->name, result,
				       json_string_value(json_object_get(ev, "summary")));
			else if (result && strcmp(result, "ok") == 0)
				printf("%s: %s ok\n", job->name,
				       json_string_value(json_object_get(ev, "id")) ?: "(no backup: a check)");
			else if (result && strcmp(result, "partial") == 0)
				printf("%s: %s partial (see lifeboat status)\n", job->name,
				       json_string_value(json_object_get(ev, "id")) ?: "(no backup: a check)");
			else
				fprintf(stderr, "lifeboat: %s: run %s: %s\n", job->name, result ? result : "failed",
					json_string_value(json_object_get(ev, "error")) ?: "see the daemon's log");
			/* As with --here: a committed backup, partial or not, is exit 0. */
			r = result && (!strcmp(result, "ok") || !strcmp(result, "partial")) ? EXIT_OK : EXIT_FAILED;
			json_decref(ev);
			cli_daemon_close(&conn);
			return r;
		}
		json_decref(ev);
	}
	cli_daemon_close(&conn);
	return EXIT_FAILED;
}

int cmd_run(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "here", no_argument, NULL, 'H' },
		{ "wait", no_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct jobrun_opts ro = { .cancel = &cancel_flag };
	struct jobrun_result res;
	struct sigaction sa = { .sa_handler = on_signal };
	const struct job *job;
	struct config *cfg;
	bool here = false, wait = false, tty;
	char in[32], out[32];
	int c, r;

	optind = 0;	/* 0: glibc re-initialises, permutation included */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'H') {
			here = true;
		} else if (c == 'w') {
			wait = true;
		} else {
			fprintf(stderr, "usage: lifeboat [-c FILE] run JOB [--wait | --here]\n");
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || (here && wait)) {
		fprintf(stderr, "usage: lifeboat [-c FILE] run JOB [--wait | --here]\n");
		return EXIT_USAGE;
	}
	r = cli_load_job(cli, argv[optind], NULL, &cfg, &job);
	if (r)
		return r;
	if (!here) {
		r = run_via_daemon(cfg, job, wait);
		config_free(cfg);
		return r;
	}
	r = cli_as_store_owner(cfg);
	if (r) {
		config_free(cfg);
		return r;
	}

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	tty = isatty(STDERR_FILENO);
	if (tty)
		ro.progress = draw_progress;

	r = jobrun(cfg, job, &ro, &res);
	if (tty)
		fprintf(stderr, "\r\033[K");
	if (r < 0) {
		config_free(cfg);
		return EXIT_FAILED;
	}
	if (!res.id[0]) {
		/* A check (watch): no backup, a line of what it found. */
		printf("%s: %s: %s, in %.1f s\n", job->name, res.partial ? "partial" : "ok", res.summary,
		       res.seconds);
		config_free(cfg);
		return EXIT_OK;
	}
	units_format_size_human(res.bytes_in, in, sizeof(in));
	units_format_size_human(res.bytes_out, out, sizeof(out));
	printf("%s: %s %s: %s, %s stored, in %.1f s\n", job->name, res.id, res.partial ? "partial" : "ok",
	       in, out, res.seconds);
	config_free(cfg);
	return EXIT_OK;
}

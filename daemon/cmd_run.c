/*
 * lifeboat run JOB --here — run a job now, in this process, with no daemon.
 * Progress is drawn on stderr when it is a terminal and nothing is drawn in
 * a pipe.  Ctrl-C (or SIGTERM) stops the run and leaves nothing in the store.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
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
	bool here = false, tty;
	char in[32], out[32];
	int c, r;

	optind = 0;	/* 0: glibc re-initialises, permutation included */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'H') {
			here = true;
		} else if (c == 'w') {
			here = false;
		} else {
			fprintf(stderr, "usage: lifeboat [-c FILE] run JOB [--wait | --here]\n");
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: lifeboat [-c FILE] run JOB [--wait | --here]\n");
		return EXIT_USAGE;
	}
	r = cli_load_job(cli, argv[optind], NULL, &cfg, &job);
	if (r)
		return r;
	if (!here) {
		fprintf(stderr, "lifeboat: running a job through lifeboatd is not part of this build yet; use: lifeboat run %s --here\n",
			job->name);
		config_free(cfg);
		return EXIT_FAILED;
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
	units_format_size_human(res.bytes_in, in, sizeof(in));
	units_format_size_human(res.bytes_out, out, sizeof(out));
	printf("%s: %s %s: %s, %s stored, in %.1f s\n", job->name, res.id, res.partial ? "partial" : "ok",
	       in, out, res.seconds);
	config_free(cfg);
	return EXIT_OK;
}

/*
 * lifeboatd — the daemon.  This build knows only its config check (-n): the
 * scheduler, job children and control socket arrive with the daemon's own
 * module, and until then lifeboatd refuses to pretend it is running.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: lifeboatd [-n] [-c FILE]\n"
		"  -n       check the config, say \"configuration OK\" and exit\n"
		"  -c FILE  config file (default $%s, else %s)\n", CONFIG_ENV, CONFIG_DEFAULT_PATH);
}

int main(int argc, char **argv)
{
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	const char *copt = NULL, *path;
	bool check_only = false;
	int c, r;

	log_init("lifeboatd", LOG_LVL_INFO);
	while ((c = getopt(argc, argv, "c:nh")) != -1) {
		switch (c) {
		case 'c':
			copt = optarg;
			break;
		case 'n':
			check_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	path = config_path_choose(copt);
	r = config_load(path, &cfg, &errs);
	for (size_t i = 0; i < errs.lines.n; i++)
		fprintf(stderr, "%s\n", errs.lines.v[i]);
	config_errors_free(&errs);
	if (r < 0)
		return 2;
	config_free(cfg);
	if (check_only) {
		fprintf(stderr, "lifeboatd: %s: configuration OK\n", path);
		return 0;
	}
	log_error("the scheduler is not part of this build yet; only -n works");
	return 1;
}

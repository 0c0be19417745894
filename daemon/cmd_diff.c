/*
 * lifeboat diff JOB ID1 ID2 [--json] — what differs between two backups of a
 * job, read from their records and indexes only.  db jobs: the tables whose
 * rows changed (cmd_diff_db.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "jobkind.h"

#define USAGE "usage: lifeboat [-c FILE] diff DBJOB ID1 ID2 [--json]\n"

int cmd_diff(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct config *cfg = NULL;
	const struct job *job;
	struct store *st = NULL;
	bool json = false;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j') {
			fputs(USAGE, stderr);
			return EXIT_USAGE;
		}
		json = true;
	}
	if (argc - optind != 3) {
		fputs(USAGE, stderr);
		return EXIT_USAGE;
	}
	if ((r = cli_load_job(cli, argv[optind], NULL, &cfg, &job)))
		return r;
	if (jobkind_of(job)->target != JOBKIND_TO_DATABASE) {
		fprintf(stderr, "lifeboat: diff: %s is a %s job\n", job->name, jobkind_of(job)->name);
		config_free(cfg);
		return EXIT_USAGE;
	}
	if (store_open(cfg->store, &st) < 0) {
		config_free(cfg);
		return EXIT_FAILED;
	}
	r = cmd_diff_db(st, job, argv[optind + 1], argv[optind + 2], json);
	store_close(st);
	config_free(cfg);
	return r;
}

/*
 * lifeboat check-config — validate the config and print it with every default
 * filled in, so the user sees what the daemon will actually do.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

int cmd_check_config(struct cli *cli, int argc, char **argv)
{
	struct config *cfg;
	int r;

	optind = 0;	/* 0: glibc re-initialises, permutation included */
	if (getopt(argc, argv, "") != -1 || optind != argc) {
		fprintf(stderr, "usage: lifeboat [-c FILE] check-config\n");
		return EXIT_USAGE;
	}
	r = cli_load_config(cli, &cfg);
	if (r)
		return r;
	config_print(cfg, stdout);
	fprintf(stderr, "lifeboat: %s: configuration OK\n", cfg->path);
	config_free(cfg);
	return EXIT_OK;
}

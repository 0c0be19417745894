/*
 * lifeboat pin JOB ID [--reason TEXT] / unpin JOB ID — a pinned backup is
 * kept by every retention policy (evidence, a known-good state).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "jobstate.h"
#include "store.h"

static int pin_or_unpin(struct cli *cli, int argc, char **argv, bool pin)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL;
	char id[STORE_ID_MAX] = "";
	struct config *cfg;
	struct store *st;
	int c, r, lockfd = -1;

	optind = 0;	/* 0: glibc re-initialises, permutation included */
	while ((c = getopt_long(argc, argv, "", pin ? opts : opts + 1, NULL)) != -1) {
		if (c != 'r')
			goto usage;
		reason = optarg;
	}
	if (argc - optind != 2)
		goto usage;
	if (!config_job_name_valid(argv[optind])) {
		fprintf(stderr, "lifeboat: '%s' is not a job name\n", argv[optind]);
		return EXIT_USAGE;
	}
	r = cli_load_config(cli, &cfg);
	if (r)
		return r;
	r = cli_as_store_owner(cfg);
	if (r) {
		config_free(cfg);
		return r;
	}
	if (store_open(cfg->store, &st) < 0) {
		config_free(cfg);
		return EXIT_FAILED;
	}
	/* Never while a prune of the job chooses what to remove. */
	r = jobstate_lock_retention(cfg->state_dir, argv[optind], &lockfd);
	if (r == 0 && pin)
		r = store_pin(st, argv[optind], argv[optind + 1], reason, time(NULL), id);
	else if (r == 0)
		r = store_unpin(st, argv[optind], argv[optind + 1], id);
	jobstate_unlock(lockfd);
	if (r == -ENOENT)
		fprintf(stderr, "lifeboat: job %s: %s\n", argv[optind],
			pin || !*id ? "no such backup in the store" : "that backup is not pinned");
	else if (r == 0)
		printf("%s %s %s%s%s%s\n", pin ? "pinned" : "unpinned", argv[optind], id,
		       reason ? " (" : "", reason ? reason : "", reason ? ")" : "");
	store_close(st);
	config_free(cfg);
	if (r == -EINVAL)
		return EXIT_USAGE;	/* a malformed id or job name, already said */
	return r < 0 ? EXIT_FAILED : EXIT_OK;
usage:
	fprintf(stderr, "usage: lifeboat [-c FILE] %s JOB ID%s\n", pin ? "pin" : "unpin",
		pin ? " [--reason TEXT]" : "");
	return EXIT_USAGE;
}

int cmd_pin(struct cli *cli, int argc, char **argv)
{
	return pin_or_unpin(cli, argc, argv, true);
}

int cmd_unpin(struct cli *cli, int argc, char **argv)
{
	return pin_or_unpin(cli, argc, argv, false);
}

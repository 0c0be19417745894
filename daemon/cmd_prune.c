/*
 * lifeboat prune [JOB] [--dry-run] [--json] — apply each job's retention
 * policy to the store, saying for every backup whether it stays and why.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "jobstate.h"
#include "log.h"
#include "prune.h"
#include "store.h"

static const char usage_text[] = "usage: lifeboat [-c FILE] prune [JOB] [--dry-run] [--json]\n";

static void print_table_head(void)
{
	printf("%-16s %-24s %-8s %-7s %s\n", "JOB", "ID", "RESULT", "ACTION", "WHY");
	printf("%.*s\n", 100, "----------------------------------------------------------------------------------------------------");
}

static void print_plan(const char *job, const struct prune_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		printf("%-16s %-24s %-8s %-7s %s\n", job, p->v[i].id, p->v[i].result,
		       p->v[i].remove ? "remove" : "keep", p->v[i].reasons);
}

static json_t *plan_json(const char *job, const struct prune_plan *p)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < p->n && arr; i++) {
		json_t *reasons = json_array();
		char buf[RETENTION_REASONS_MAX], *save = NULL, *tok;

		snprintf(buf, sizeof(buf), "%s", p->v[i].reasons);
		for (tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
			while (*tok == ' ')
				tok++;
			json_array_append_new(reasons, json_string(tok));
		}
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:b, s:o}", "job", job,
						     "id", p->v[i].id, "result", p->v[i].result,
						     "action", p->v[i].remove ? "remove" : "keep",
						     "pinned", p->v[i].pinned, "reasons", reasons));
	}
	return arr;
}

/* Plans (and unless DRY, applies) one job.  Returns 0 or EXIT_FAILED. */
static int prune_job(const struct config *cfg, struct store *st, const struct job *job, bool dry,
		     json_t *json_out)
{
	struct prune_plan plan;
	int runfd, lockfd, r;

	/* A run of the job must not write while its backups are removed, nor a
	 * pin be added while they are chosen. */
	if (jobstate_lock(cfg->state_dir, job->name, &runfd) < 0)
		return EXIT_FAILED;
	if (jobstate_lock_retention(cfg->state_dir, job->name, &lockfd) < 0) {
		jobstate_unlock(runfd);
		return EXIT_FAILED;
	}
	/* A dry run changes nothing on disk, leftovers included. */
	if (!dry) {
		r = store_clean(st, job->name);
		if (r > 0)
			log_info("job %s: removed %d leftover file(s) of interrupted runs or prunes",
				 job->name, r);
	}
	r = prune_plan(st, job, time(NULL), &plan);
	if (r < 0) {
		jobstate_unlock(lockfd);
		jobstate_unlock(runfd);
		return EXIT_FAILED;
	}
	if (json_out) {
		json_t *part = plan_json(job->name, &plan);

		json_array_extend(json_out, part);
		json_decref(part);
	} else
		print_plan(job->name, &plan);
	if (!dry && plan.nremove) {
		r = prune_apply(st, job->name, &plan);
		if (r < 0) {
			prune_plan_free(&plan);
			jobstate_unlock(lockfd);
			jobstate_unlock(runfd);
			return EXIT_FAILED;
		}
	}
	/* The summary follows the job's rows, also when both go to one pipe. */
	fflush(stdout);
	if (!json_out)
		fprintf(stderr, "lifeboat: job %s: %zu backup(s), %zu kept, %zu %s\n", job->name, plan.n,
			plan.n - plan.nremove, plan.nremove, dry ? "would be removed (dry run)" : "removed");
	prune_plan_free(&plan);
	jobstate_unlock(lockfd);
	jobstate_unlock(runfd);
	return EXIT_OK;
}

int cmd_prune(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	bool dry = false, json = false;
	json_t *out = NULL;
	struct store *st;
	struct config *cfg;
	const struct job *job;
	const char *only = NULL;
	int c, r, rc = EXIT_OK;

	optind = 0;	/* 0: glibc re-initialises, permutation included */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			dry = true;
		else if (c == 'j')
			json = true;
		else {
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (optind < argc)
		only = argv[optind];
	if (only)
		r = cli_load_job(cli, only, "prune needs its retention policy", &cfg, &job);
	else
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
	if (json)
		out = json_array();
	else
		print_table_head();
	for (size_t i = 0; i < cfg->njobs; i++) {
		if (only && strcmp(cfg->jobs[i].name, only) != 0)
			continue;
		if (prune_job(cfg, st, &cfg->jobs[i], dry, out) != EXIT_OK)
			rc = EXIT_FAILED;
	}
	if (out) {
		json_dumpf(out, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(out);
	}
	store_close(st);
	config_free(cfg);
	return rc;
}

/*
 * lifeboat restore — puts a backup back, never over the original:
 *   db jobs:    restore JOB ID --database NAME [--force]   (a new database)
 *   files jobs: restore JOB ID --to DIR [--path SUBPATH]   (a new or empty DIR)
 *   logs jobs:  restore JOB ID --to DIR                    (a new or empty directory)
 *   files, db:  restore JOB ID --replace [--without-evidence]   (the live
 *               site or database, after `lifeboat incident open`)
 * ID is a backup id or `latest` (the newest good backup).  The kind's
 * restore (jobkind_ops.restore) does the work and says what it did.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "incident.h"
#include "jobkind.h"
#include "log.h"
#include "store.h"

/* A restore that put back all but what it reports (README "restore"). */
#define EXIT_PARTIAL 3

static const char usage_text[] =
	"usage: lifeboat [-c FILE] restore JOB ID --database NAME [--force]\n"
	"       lifeboat [-c FILE] restore JOB ID --to DIR [--path SUBPATH]\n"
	"       lifeboat [-c FILE] restore JOB ID --replace [--without-evidence]\n"
	"       (add --from NAME to restore from the offsite copies of [offsite:NAME])\n";

/* "files and logs" (CONJ "and"): the kinds that restore into TYPE (and take
 * --path, when SUBPATH). */
static const char *kinds_taking(enum jobkind_target_type type, bool subpath, const char *conj,
				char *names, size_t size)
{
	size_t len = 0, n = 0, all = 0;

	for (size_t i = 0; i < JOB_KIND_COUNT; i++)
		all += jobkind_table[i]->restore && jobkind_table[i]->target == type &&
		       (!subpath || jobkind_table[i]->target_subpath);
	names[0] = '\0';
	for (size_t i = 0; i < JOB_KIND_COUNT && len < size; i++) {
		const struct jobkind_ops *k = jobkind_table[i];

		if (!k->restore || k->target != type || (subpath && !k->target_subpath))
			continue;
		n++;
		len += (size_t)snprintf(names + len, size - len, "%s%s%s%s", n == 1 ? "" :
					n == all ? (all == 2 ? " " : ", ") : ", ", n > 1 && n == all ? conj : "",
					n > 1 && n == all ? " " : "", k->name);
	}
	return names;
}

/* --replace: the live site or database replaced by the backup, guarded by
 * the open incident's evidence (lib/incident/replace.c). */
static int restore_replace(struct cli *cli, const char *name, const char *id, bool without_evidence)
{
	const struct job *job;
	struct config *cfg;
	struct store *st = NULL;
	struct store_entry e;
	int r;

	r = cli_load_job(cli, name, "restore needs its settings", &cfg, &job);
	if (r)
		return r;
	if (store_open(cfg->store, &st) < 0) {
		config_free(cfg);
		return EXIT_FAILED;
	}
	r = store_get(st, job->name, id, &e);
	if (r < 0) {
		if (r == -ENOENT)
			fprintf(stderr, "lifeboat: job %s has no backup '%s' in %s\n", job->name, id, cfg->store);
		store_close(st);
		config_free(cfg);
		return EXIT_FAILED;
	}
	r = incident_replace(cfg, job, st, &e, without_evidence, stdout) < 0 ? EXIT_FAILED : EXIT_OK;
	store_entry_free(&e);
	store_close(st);
	config_free(cfg);
	return r;
}

int cmd_restore(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "database", required_argument, NULL, 'd' },
		{ "to", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "path", required_argument, NULL, 'p' },
		{ "from", required_argument, NULL, 'o' },
		{ "replace", no_argument, NULL, 'R' },
		{ "without-evidence", no_argument, NULL, 'W' },
		{ NULL, 0, NULL, 0 },
	};
	const char *to_db = NULL, *to_dir = NULL, *subpath = NULL, *from = NULL;
	char *fetched = NULL, id[32];
	const struct jobkind_ops *ops;
	struct jobkind_target to;
	struct store_entry e;
	struct store *st = NULL;
	const struct job *job;
	struct config *cfg;
	bool force = false, replace = false, without_evidence = false;
	int c, r;

	optind = 0;	/* 0: glibc re-initialises, permutation included */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': to_db = optarg; break;
		case 't': to_dir = optarg; break;
		case 'f': force = true; break;
		case 'p': subpath = optarg; break;
		case 'o': from = optarg; break;
		case 'R': replace = true; break;
		case 'W': without_evidence = true; break;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (replace || without_evidence) {
		if (!replace || argc - optind != 2 || to_db || to_dir || subpath || force) {
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
		return restore_replace(cli, argv[optind], argv[optind + 1], without_evidence);
	}
	if (argc - optind != 2 || (!to_db && !to_dir) || (to_db && to_dir)) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if ((subpath && !to_dir) || (force && to_dir) || (to_dir && !*to_dir)) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (to_db && (!*to_db || strlen(to_db) > 64)) {
		fprintf(stderr, "lifeboat: restore: --database needs a name of 1 to 64 characters\n");
		return EXIT_USAGE;
	}
	r = cli_load_job(cli, argv[optind], "restore needs its settings", &cfg, &job);
	if (r)
		return r;
	ops = jobkind_of(job);
	if (!ops->restore) {
		fprintf(stderr, "lifeboat: restore: %s is a %s job: it keeps no backups to restore\n", job->name, ops->name);
		config_free(cfg);
		return EXIT_USAGE;
	}
	if ((ops->target == JOBKIND_TO_DATABASE && to_dir) || (ops->target == JOBKIND_TO_DIR && to_db) ||
	    (!ops->target_subpath && subpath)) {
		char a[256], b[256];

		if (ops->target == JOBKIND_TO_DATABASE)
			fprintf(stderr, "lifeboat: restore: --to DIR is for %s jobs; a %s job restores with --database NAME\n",
				kinds_taking(JOBKIND_TO_DIR, false, "and", a, sizeof(a)), ops->name);
		else if (subpath && to_dir)
			fprintf(stderr, "lifeboat: restore: --path is for %s jobs; a %s job restores every log with --to DIR\n",
				kinds_taking(JOBKIND_TO_DIR, true, "and", a, sizeof(a)), ops->name);
		else
			fprintf(stderr, "lifeboat: restore: --database is for %s jobs; a %s job restores with --to DIR\n",
				kinds_taking(JOBKIND_TO_DATABASE, false, "and", a, sizeof(a)),
				kinds_taking(JOBKIND_TO_DIR, false, "or", b, sizeof(b)));
		config_free(cfg);
		return EXIT_USAGE;
	}
	snprintf(id, sizeof(id), "%s", argv[optind + 1]);
	/* --from NAME: the backup's chain, fetched from offsite into a private store */
	if (from && (r = cli_offsite_fetch(cfg, from, job->name, argv[optind + 1], &fetched, id)) != 0) {
		config_free(cfg);
		return r;
	}
	if (store_open(fetched ? fetched : cfg->store, &st) < 0) {
		cli_offsite_fetch_done(fetched);
		config_free(cfg);
		return EXIT_FAILED;
	}
	r = store_get(st, job->name, id, &e);
	if (r < 0) {
		if (r == -ENOENT)
			fprintf(stderr, "lifeboat: job %s has no backup '%s' in %s\n", job->name,
				argv[optind + 1], cfg->store);
		store_close(st);
		cli_offsite_fetch_done(fetched);
		config_free(cfg);
		return EXIT_FAILED;
	}
	to = (struct jobkind_target){ .dir = to_dir, .subpath = subpath, .database = to_db, .force = force };
	r = ops->restore(cfg, job, st, &e, &to, stdout);
	r = r < 0 ? EXIT_FAILED : r == JOBKIND_RESTORE_PARTIAL ? EXIT_PARTIAL : EXIT_OK;
	store_entry_free(&e);
	store_close(st);
	cli_offsite_fetch_done(fetched);
	config_free(cfg);
	return r;
}

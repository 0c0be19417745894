/*
 * lifeboat restore — puts a backup back, never over the original:
 *   db jobs:    restore JOB ID --database NAME [--force]   (a new database)
 *   files jobs: restore JOB ID --to DIR [--path SUBPATH]   (a new or empty DIR)
 *   logs jobs:  restore JOB ID --to DIR                    (a new or empty directory)
 * ID is a backup id or `latest` (the newest good backup).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dbconn.h"
#include "dbrestore.h"
#include "log.h"
#include "snaprestore.h"
#include "logship.h"
#include "record.h"
#include "store.h"
#include "units.h"

static const char usage_text[] =
	"usage: lifeboat [-c FILE] restore JOB ID --database NAME [--force]\n"
	"       lifeboat [-c FILE] restore JOB ID --to DIR [--path SUBPATH]\n";

/* A restore that put back all but what it reports (README "restore"). */
#define EXIT_PARTIAL 3

/* The partial restore's list: what was not restored exactly, by kind. */
static void print_skipped(const struct snaprestore_stats *stats, uint64_t skipped)
{
	static const char *const kind_name[SR_SKIP_KINDS] = {
		"device nodes or FIFOs not created", "owners not set", "setuid/setgid bits not set",
		"extended attributes not set",
	};
	static const char *const key[SR_SKIP_KINDS] = { "node", "owner", "mode", "xattr" };

	printf("partial: %" PRIu64 " thing(s) not restored exactly%s:\n", skipped,
	       geteuid() ? " (not root)" : "");
	for (int k = 0; k < SR_SKIP_KINDS; k++) {
		size_t listed = 0, i;
		const json_t *it;

		if (!stats->skipped[k])
			continue;
		printf("  %s: %" PRIu64 "\n", kind_name[k], stats->skipped[k]);
		json_array_foreach(stats->skipped_list, i, it) {
			if (strcmp(json_string_value(json_object_get(it, "kind")), key[k]) != 0)
				continue;
			printf("    %s: %s\n", json_string_value(json_object_get(it, "path")),
			       json_string_value(json_object_get(it, "what")));
			listed++;
		}
		if (listed < stats->skipped[k])
			printf("    ... and %" PRIu64 " more\n", stats->skipped[k] - listed);
	}
}

static int restore_files(const struct job *job, struct store *st, const struct store_entry *e,
			 const char *to_dir, const char *subpath)
{
	struct snaprestore_opts o = {
		.st = st, .job = job->name, .id = e->id, .to = to_dir, .subpath = subpath,
		.owners = geteuid() == 0,
	};
	struct snaprestore_stats stats;
	struct timespec t0, t1;
	char size[32];
	uint64_t skipped = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (snaprestore_run(&o, &stats) < 0) {
		snaprestore_stats_free(&stats);
		return EXIT_FAILED;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (int k = 0; k < SR_SKIP_KINDS; k++)
		skipped += stats.skipped[k];
	units_format_size_human(stats.bytes, size, sizeof(size));
	printf("restored %s %s%s%s into %s: %" PRIu64 " entries, %" PRIu64 " files, %s from %u tar(s) in %.1f s%s\n",
	       job->name, e->id, subpath ? " path " : "", subpath ? subpath : "", to_dir,
	       stats.entries, stats.files, size, stats.chain,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       skipped ? "" : o.owners ? "" : " (not root: every owner is the restoring user's)");
	if (stats.unreadable)
		printf("%" PRIu64 " path(s) were unreadable when the backup was taken and are not restored\n",
		       stats.unreadable);
	if (skipped)
		print_skipped(&stats, skipped);
	snaprestore_stats_free(&stats);
	return skipped ? EXIT_PARTIAL : EXIT_OK;
}

static int restore_db(const struct config *cfg, const struct job *job, struct store *st,
		      const struct store_entry *e, const char *to_db, bool force)
{
	struct dbrestore_opts o = {
		.job = job->name, .id = e->id, .to_db = to_db, .force = force,
		.facts = json_object_get(e->record, "db"),
		.sha256 = record_artifact_sha256(e->record, RECORD_ARTIFACT_MAIN),
	};
	struct dbrestore_stats stats;
	struct timespec t0, t1;
	char path[4096], where[512], size[32];
	MYSQL *my;
	int r;

	(void)cfg;
	if (!o.facts || !o.sha256 || store_path(st, job->name, &e->parts, "sql.zst", path, sizeof(path)) < 0) {
		fprintf(stderr, "lifeboat: %s %s: the record does not describe a db dump\n", job->name, e->id);
		return EXIT_FAILED;
	}
	o.artifact = path;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (dbconn_open(job, job->db.restore_host, &my) < 0)
		return EXIT_FAILED;
	r = dbrestore_run(my, &o, &stats);
	mysql_close(my);
	if (r < 0)
		return EXIT_FAILED;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dbconn_describe(job, job->db.restore_host, where, sizeof(where));
	units_format_size_human(stats.bytes, size, sizeof(size));
	printf("restored %s %s into database %s (%s): %" PRIu64 " tables, %" PRIu64 " rows, %s of SQL in %.1f s\n",
	       job->name, e->id, to_db, where, stats.tables, stats.rows, size,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (stats.events_disabled)
		printf("%" PRIu64 " event(s) restored disabled, so the copy does not run the original's schedule\n",
		       stats.events_disabled);
	return EXIT_OK;
}

/* Logs: every log as archived up to the backup, under DIR. */
static int restore_logs(const struct job *job, struct store *st, const struct store_entry *e,
			const char *to_dir)
{
	uint64_t files, bytes;
	char size[32];

	if (logship_restore(st, job->name, e->id, to_dir, &files, &bytes) < 0) {
		fprintf(stderr, "lifeboat: restore of %s %s into %s failed\n", job->name, e->id, to_dir);
		return EXIT_FAILED;
	}
	units_format_size_human(bytes, size, sizeof(size));
	printf("restored %s %s into %s: %" PRIu64 " log(s), %s\n", job->name, e->id, to_dir, files, size);
	return EXIT_OK;
}

int cmd_restore(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "database", required_argument, NULL, 'd' },
		{ "to", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "path", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *to_db = NULL, *to_dir = NULL, *subpath = NULL;
	struct store_entry e;
	struct store *st = NULL;
	const struct job *job;
	struct config *cfg;
	bool force = false;
	int c, r;

	optind = 0;	/* 0: glibc re-initialises, permutation included */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': to_db = optarg; break;
		case 't': to_dir = optarg; break;
		case 'f': force = true; break;
		case 'p': subpath = optarg; break;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
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
	if ((job->kind == JOB_DB && to_dir) || (job->kind != JOB_DB && to_db) ||
	    (job->kind == JOB_LOGS && subpath)) {
		fprintf(stderr, "lifeboat: restore: %s\n",
			job->kind == JOB_DB ? "--to DIR is for files and logs jobs; a db job restores with --database NAME" :
			subpath ? "--path is for files jobs; a logs job restores every log with --to DIR" :
			"--database is for db jobs; a files or logs job restores with --to DIR");
		config_free(cfg);
		return EXIT_USAGE;
	}
	if (store_open(cfg->store, &st) < 0) {
		config_free(cfg);
		return EXIT_FAILED;
	}
	r = store_get(st, job->name, argv[optind + 1], &e);
	if (r < 0) {
		if (r == -ENOENT)
			fprintf(stderr, "lifeboat: job %s has no backup '%s' in %s\n", job->name,
				argv[optind + 1], cfg->store);
		store_close(st);
		config_free(cfg);
		return EXIT_FAILED;
	}
	if (job->kind == JOB_FILES)
		r = restore_files(job, st, &e, to_dir, subpath);
	else if (job->kind == JOB_LOGS)
		r = restore_logs(job, st, &e, to_dir);
	else
		r = restore_db(cfg, job, st, &e, to_db, force);
	store_entry_free(&e);
	store_close(st);
	config_free(cfg);
	return r;
}

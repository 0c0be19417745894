/*
 * lifeboat list — the committed backups in the store, read straight from
 * the records, with no daemon.  A table for people, --json for scripts; both
 * carry the same facts.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "log.h"
#include "record.h"
#include "store.h"
#include "timefmt.h"
#include "units.h"

/* The facts of one backup, as both outputs show them. */
struct row {
	const char *job;
	const char *id;
	const char *kind;
	const char *type;	/* "full", "incremental" or "-" */
	const char *result;
	const char *finished;	/* RFC 3339, or NULL */
	int64_t age;		/* seconds since it finished; -1 if unknown */
	uint64_t size;		/* bytes of all artifacts in the store */
	bool pinned;
	const char *pin_reason;	/* or NULL */
};

static void row_from_entry(const struct store_entry *e, time_t now, struct row *row)
{
	const json_t *rec = e->record;
	struct record_artifact a;
	time_t finished;

	row->job = e->job;
	row->id = e->id;
	row->kind = record_kind(rec) ? record_kind(rec) : "?";
	row->type = record_type(rec) ? record_type(rec) : "-";
	row->result = record_result(rec) ? record_result(rec) : "?";
	row->finished = record_finished(rec);
	row->age = -1;
	if (row->finished && timefmt_parse_rfc3339(row->finished, &finished) == 0)
		row->age = (int64_t)(now - finished);
	row->size = 0;
	/* An entry record.h refuses counts nothing: verify names it. */
	for (size_t i = 0; i < record_artifact_count(rec); i++)
		if (record_artifact_at(rec, i, &a) == 0)
			row->size += a.size;
	row->pinned = e->pin != NULL;
	row->pin_reason = json_string_value(json_object_get(e->pin, "reason"));
}

static void print_table(const struct store_list *l, time_t now)
{
	static const char fmt[] = "%-16s %-24s %-6s %-12s %9s %10s  %s\n";
	char age[32], size[32];

	printf(fmt, "JOB", "ID", "KIND", "TYPE", "AGE", "SIZE", "RESULT");
	printf("%.*s\n", 92, "--------------------------------------------------------------------------------------------");
	for (size_t i = 0; i < l->n; i++) {
		struct row r;
		char result[64];

		row_from_entry(&l->v[i], now, &r);
		if (r.age >= 0)
			units_format_age(r.age, age, sizeof(age));
		else
			snprintf(age, sizeof(age), "?");
		units_format_size_human(r.size, size, sizeof(size));
		snprintf(result, sizeof(result), "%s%s", r.result, r.pinned ? " (pinned)" : "");
		printf(fmt, r.job, r.id, r.kind, r.type, age, size, result);
	}
	printf("%zu backup%s\n", l->n, l->n == 1 ? "" : "s");
}

static int print_json(const struct store_list *l, time_t now)
{
	json_t *arr = json_array();
	int r = 0;

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < l->n && r == 0; i++) {
		struct row row;
		json_t *o;

		row_from_entry(&l->v[i], now, &row);
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:o, s:I, s:b, s:s?}",
			      "job", row.job, "id", row.id, "kind", row.kind, "type", row.type,
			      "result", row.result, "finished", row.finished,
			      "age_seconds", row.age >= 0 ? json_integer(row.age) : json_null(),
			      "size", (json_int_t)row.size, "pinned", row.pinned,
			      "pin_reason", row.pin_reason);
		if (!o || json_array_append_new(arr, o) < 0)
			r = -ENOMEM;
	}
	if (r == 0 && (json_dumpf(arr, stdout, JSON_INDENT(2)) < 0 || putchar('\n') == EOF))
		r = -EIO;
	json_decref(arr);
	return r;
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "offsite", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *offsite = NULL;
	struct store_list list = { 0 };
	struct store *st = NULL;
	struct config *cfg;
	const char *job = NULL;
	bool json = false;
	struct stat sb;
	int c, r;

	optind = 0;	/* 0: glibc re-initialises, permutation included */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'o') {
			offsite = optarg;
			continue;
		}
		if (c != 'j') {
			fprintf(stderr, "usage: lifeboat [-c FILE] list [JOB] [--json] [--offsite NAME]\n");
			return EXIT_USAGE;
		}
		json = true;
	}
	if (argc - optind > 1) {
		fprintf(stderr, "usage: lifeboat [-c FILE] list [JOB] [--json]\n");
		return EXIT_USAGE;
	}
	if (optind < argc) {
		job = argv[optind];
		if (!config_job_name_valid(job)) {
			fprintf(stderr, "lifeboat: '%s' is not a job name\n", job);
			return EXIT_USAGE;
		}
	}
	r = cli_load_config(cli, &cfg);
	if (r)
		return r;
	if (offsite) {
		r = cli_offsite_list(cfg, offsite, job, json);
		config_free(cfg);
		return r;
	}

	/* Listing must not create the store as a side effect. */
	if (stat(cfg->store, &sb) < 0) {
		if (errno != ENOENT) {
			fprintf(stderr, "lifeboat: %s: %s\n", cfg->store, strerror(errno));
			config_free(cfg);
			return EXIT_FAILED;
		}
	} else if (store_open(cfg->store, &st) < 0 || store_list(st, job, &list) < 0) {
		store_close(st);
		config_free(cfg);
		return EXIT_FAILED;
	}
	/* A job gone from the config may still have backups worth seeing. */
	if (job && list.n == 0 && !config_job(cfg, job)) {
		fprintf(stderr, "lifeboat: no job named '%s' in %s and no backups of it in %s\n",
			job, cfg->path, cfg->store);
		store_close(st);
		config_free(cfg);
		return EXIT_USAGE;
	}

	r = 0;
	if (json)
		r = print_json(&list, time(NULL));
	else
		print_table(&list, time(NULL));
	store_list_free(&list);
	store_close(st);
	config_free(cfg);
	if (r < 0) {
		fprintf(stderr, "lifeboat: list: cannot write output: %s\n", strerror(-r));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

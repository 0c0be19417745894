/*
 * lifeboat facts — what the server is and runs, now (lib/facts): for people
 * a page to read top to bottom, --json for the incident evidence and for
 * scripts.  --diff [JOB [ID]] says what changed on the server since a files
 * backup (the newest good one holding facts, unless named): OS, kernel,
 * versions, panels and packages.  Needs no daemon; it never writes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "facts.h"
#include "facts_keep.h"
#include "store.h"
#include "units.h"

#define USAGE "usage: lifeboat [-c FILE] facts [--json] [--diff [JOB [ID]]]\n"

static const char *s(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

static void print_software(const json_t *f)
{
	const json_t *e;
	size_t i;

	printf("\nSoftware\n");
	json_array_foreach(json_object_get(f, "software"), i, e) {
		printf("  %-16s %-28s %s", s(e, "name"), s(e, "path"),
		       json_object_get(e, "version") ? s(e, "version") : "");
		if (json_object_get(e, "error"))
			printf("%s(%s)", json_object_get(e, "version") ? " " : "", s(e, "error"));
		if (json_object_get(e, "modules"))
			printf(" [%zu modules]", json_array_size(json_object_get(e, "modules")));
		printf("\n");
	}
	if (json_array_size(json_object_get(f, "software")) == 0)
		printf("  (none of the known web, PHP, database, SSH or FTP servers found)\n");
	json_array_foreach(json_object_get(f, "database_servers"), i, e)
		printf("  %-16s job %-24s %s\n", "database", s(e, "job"),
		       json_object_get(e, "error") ? s(e, "error") : s(e, "server_version"));
	printf("\nControl panels\n");
	json_array_foreach(json_object_get(f, "panels"), i, e)
		printf("  %-16s %s%s\n", s(e, "name"), s(e, "version"), s(e, "error"));
	if (json_array_size(json_object_get(f, "panels")) == 0)
		printf("  none found (cPanel, Plesk, ISPConfig, Webmin, DirectAdmin)\n");
}

static void print_lists(const json_t *f)
{
	const json_t *pk = json_object_get(f, "packages"), *e, *k;
	const json_t *hist = json_object_get(f, "package_history");
	size_t i, j, n;

	printf("\nPackages\n");
	if (json_object_get(pk, "error"))
		printf("  %s\n", s(pk, "error"));
	else
		printf("  %lld installed (list sha256 %s)\n",
		       (long long)json_integer_value(json_object_get(pk, "count")), s(pk, "sha256"));
	n = json_array_size(hist);
	if (n) {
		printf("  recent changes (dpkg.log, newest last):\n");
		for (i = n > 15 ? n - 15 : 0; i < n; i++)
			printf("    %s\n", json_string_value(json_array_get(hist, i)));
	}
	printf("\nCrontabs\n");
	json_array_foreach(json_object_get(f, "crontabs"), i, e) {
		printf("  %s%s%s\n", s(e, "path"), json_object_get(e, "error") ? ": " : "", s(e, "error"));
		json_array_foreach(json_object_get(e, "lines"), j, k)
			printf("    %s\n", json_string_value(k));
	}
	printf("\nAccounts with a login shell\n");
	json_array_foreach(json_object_get(f, "accounts"), i, e) {
		printf("  %-16s uid %-6lld %-24s %s\n", s(e, "user"),
		       (long long)json_integer_value(json_object_get(e, "uid")), s(e, "home"), s(e, "shell"));
		json_array_foreach(json_object_get(e, "authorized_keys"), j, k)
			printf("    %s: %s %s %s%s\n", s(k, "file"), s(k, "type"), s(k, "fingerprint"),
			       s(k, "comment"), s(k, "error"));
	}
	printf("\nListening sockets\n");
	json_array_foreach(json_object_get(f, "listening"), i, e) {
		const json_t *p = json_object_get(e, "processes");

		printf("  %-5s %s:%lld", s(e, "proto"), s(e, "address"),
		       (long long)json_integer_value(json_object_get(e, "port")));
		json_array_foreach(p, j, k)
			printf("%s%s", j ? ", " : "  ", json_string_value(k));
		printf("\n");
	}
	printf("\nMounts\n");
	json_array_foreach(json_object_get(f, "mounts"), i, e)
		printf("  %s on %s type %s (%s)\n", s(e, "source"), s(e, "target"), s(e, "type"), s(e, "options"));
}

static void print_facts(const json_t *f)
{
	const json_t *os = json_object_get(f, "os"), *k = json_object_get(f, "kernel");
	const json_t *h = json_object_get(f, "host"), *v = json_object_get(h, "virtualisation");
	char up[32] = "?";

	if (json_is_integer(json_object_get(h, "uptime_seconds")))
		units_format_age(json_integer_value(json_object_get(h, "uptime_seconds")), up, sizeof(up));
	printf("Server facts, collected %s\n\n", s(f, "collected"));
	printf("  OS               %s\n", os && json_object_get(os, "pretty_name") ? s(os, "pretty_name") : s(os, "error"));
	printf("  Kernel           %s %s %s (%s)\n", s(k, "name"), s(k, "release"), s(k, "machine"), s(k, "version"));
	printf("  Host             %s, up %s\n", s(h, "hostname"), up);
	printf("  Virtualisation   %s%s%s%s %s\n",
	       json_object_get(v, "container") ? "container " : "", s(v, "container"),
	       json_is_true(json_object_get(v, "hypervisor_flag")) ? " hypervisor: " : " ",
	       s(v, "vendor"), s(v, "product"));
	print_software(f);
	print_lists(f);
}

/* The newest good backup of JOB (any job when NULL) whose record holds
 * facts, or backup ID of JOB. */
static int find_backup(const struct config *cfg, const char *job, const char *id, json_t **facts,
		       char *what, size_t whatlen)
{
	struct store_list l = { 0 };
	struct store *st = NULL;
	const struct store_entry *best = NULL;
	struct stat sb;
	bool have_store;
	int r;

	have_store = stat(cfg->store, &sb) == 0;
	if (!have_store && errno != ENOENT) {
		fprintf(stderr, "lifeboat: facts --diff: %s: %s\n", cfg->store, strerror(errno));
		return -errno;
	}
	/* No store yet is no backup yet: said below. */
	if (have_store && ((r = store_open(cfg->store, &st)) < 0 || (r = store_list(st, job, &l)) < 0)) {
		store_close(st);
		return r;
	}
	for (size_t i = 0; i < l.n; i++) {
		const struct store_entry *e = &l.v[i];

		if (!json_is_object(json_object_get(e->record, FACTS_RECORD_KEY)))
			continue;
		if (id ? strcmp(e->id, id) == 0 : store_record_is_good(e->record) &&
		    (!best || strcmp(json_string_value(json_object_get(e->record, "finished")) ?: "",
				     json_string_value(json_object_get(best->record, "finished")) ?: "") > 0))
			best = e;
	}
	if (best) {
		*facts = json_deep_copy(json_object_get(best->record, FACTS_RECORD_KEY));
		snprintf(what, whatlen, "%s %s", best->job, best->id);
		r = 0;
	} else {
		fprintf(stderr, "lifeboat: facts --diff: %s%s%s%s%s\n",
			id ? "no backup " : "no good files backup with server facts",
			id ? id : "", job ? (id ? " of job " : " of job ") : "", job ? job : "",
			id ? " holding server facts" : " (facts are kept with files backups)");
		r = -ENOENT;
	}
	store_list_free(&l);
	store_close(st);
	return r;
}

static int do_diff(const struct config *cfg, const char *job, const char *id, bool json)
{
	json_t *old = NULL, *now = NULL, *lines = NULL;
	char what[256];
	const json_t *v;
	size_t i;
	int r, have_list;

	if (find_backup(cfg, job, id, &old, what, sizeof(what)) < 0)
		return EXIT_FAILED;
	have_list = facts_keep_load_list(cfg, old) == 0;
	if ((r = facts_collect(NULL, FACTS_FULL, &now)) < 0 || (r = facts_diff(old, now, &lines)) < 0) {
		fprintf(stderr, "lifeboat: facts --diff: %s\n", strerror(-r));
		json_decref(old);
		json_decref(now);
		return EXIT_FAILED;
	}
	if (json) {
		json_t *o = json_pack("{s:s, s:s?, s:s?, s:b, s:O}", "since", what,
				      "since_collected", json_string_value(json_object_get(old, "collected")),
				      "now_collected", json_string_value(json_object_get(now, "collected")),
				      "package_list_kept", have_list, "changes", lines);

		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		printf("Changes on the server since backup %s (facts of %s):\n", what,
		       s(old, "collected"));
		json_array_foreach(lines, i, v)
			printf("  %s\n", json_string_value(v));
		if (json_array_size(lines) == 0)
			printf("  none\n");
	}
	json_decref(old);
	json_decref(now);
	json_decref(lines);
	return EXIT_OK;
}

int cmd_facts(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "diff", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, diff = false;
	struct config *cfg = NULL;
	json_t *f = NULL;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'd')
			diff = true;
		else {
			fputs(USAGE, stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > (diff ? 2 : 0)) {
		fputs(USAGE, stderr);
		return EXIT_USAGE;
	}
	if (diff && optind < argc && !config_job_name_valid(argv[optind])) {
		fprintf(stderr, "lifeboat: '%s' is not a job name\n", argv[optind]);
		return EXIT_USAGE;
	}
	if ((r = cli_load_config(cli, &cfg)))
		return r;
	if (diff) {
		r = do_diff(cfg, optind < argc ? argv[optind] : NULL,
			    optind + 1 < argc ? argv[optind + 1] : NULL, json);
		config_free(cfg);
		return r;
	}
	r = facts_collect(cfg, FACTS_FULL, &f);
	config_free(cfg);
	if (r < 0) {
		fprintf(stderr, "lifeboat: facts: %s\n", strerror(-r));
		return EXIT_FAILED;
	}
	if (json) {
		json_dumpf(f, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		print_facts(f);
	}
	json_decref(f);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
}

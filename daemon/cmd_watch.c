/*
 * lifeboat watch report JOB [--json] — the last check's findings.
 * lifeboat baseline JOB [ID | --accept] — show or set a watch job's baseline.
 *
 * Both read and write only the store and the state dir (watch_baseline.h,
 * watch_report.h): no daemon needed.  --accept takes a new full snapshot
 * of the files job, in this process, and makes it the baseline.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "jobrun.h"
#include "log.h"
#include "watch_baseline.h"
#include "watch_report.h"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int load_watch_job(struct cli *cli, const char *name, struct config **cfg, const struct job **job)
{
	int r = cli_load_job(cli, name, "a watch job", cfg, job);

	if (r)
		return r;
	if ((*job)->kind != JOB_WATCH) {
		fprintf(stderr, "lifeboat: %s is a %s job, not a watch job\n", name, job_kind_name((*job)->kind));
		config_free(*cfg);
		return EXIT_USAGE;
	}
	return 0;
}

static void print_report(const json_t *rep)
{
	const json_t *b = json_object_get(rep, "baseline"), *c = json_object_get(rep, "counts"), *it;
	size_t i;

	printf("%s: checked %s, %lld entries of %s against %s %s (%s)%s\n", str(rep, "job"), str(rep, "checked"),
	       (long long)json_integer_value(json_object_get(rep, "entries")), str(rep, "root"),
	       str(rep, "files_job"), str(b, "id"), str(b, "how"),
	       json_is_true(json_object_get(rep, "paranoid")) ? ", paranoid" : "");
	printf("%lld added, %lld removed, %lld changed, %lld critical; %lld files hashed\n",
	       (long long)json_integer_value(json_object_get(c, "added")),
	       (long long)json_integer_value(json_object_get(c, "removed")),
	       (long long)json_integer_value(json_object_get(c, "changed")),
	       (long long)json_integer_value(json_object_get(c, "critical")),
	       (long long)json_integer_value(json_object_get(rep, "hashed")));
	json_array_foreach(json_object_get(rep, "items"), i, it) {
		const char *what = str(it, "what"), *flags = str(it, "flags");

		printf("%-8s %-8s %s", str(it, "severity"), str(it, "change"), str(it, "path"));
		if (what && *what)
			printf("  (%s)", what);
		if (flags && *flags)
			printf("  [%s]", flags);
		if (str(it, "signature"))
			printf("  marker %s", str(it, "signature"));
		if (str(it, "target"))
			printf("  -> %s", str(it, "target"));
		printf("\n");
	}
	json_array_foreach(json_object_get(rep, "error_list"), i, it)
		printf("unreadable %s: %s\n", str(it, "path"), str(it, "error"));
}

static int watch_report_cmd(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
	bool as_json = false;
	struct config *cfg;
	const struct job *job;
	json_t *rep;
	int c, r;

	optind = 0;	/* 0: glibc re-initialises, permutation included */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			goto usage;
		as_json = true;
	}
	if (argc - optind != 1)
		goto usage;
	r = load_watch_job(cli, argv[optind], &cfg, &job);
	if (r)
		return r;
	r = watch_report_read(cfg->state_dir, job->name, &rep);
	if (r == -ENOENT) {
		fprintf(stderr, "lifeboat: %s has not been checked yet (lifeboat run %s)\n", job->name, job->name);
		config_free(cfg);
		return EXIT_FAILED;
	}
	if (r == 0 && as_json) {
		json_dumpf(rep, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("\n");
	} else if (r == 0) {
		print_report(rep);
	}
	json_decref(rep);
	config_free(cfg);
	return r == 0 ? EXIT_OK : EXIT_FAILED;
usage:
	fprintf(stderr, "usage: lifeboat [-c FILE] watch report JOB [--json]\n");
	return EXIT_USAGE;
}

int cmd_watch(struct cli *cli, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "report") == 0)
		return watch_report_cmd(cli, argc - 1, argv + 1);
	fprintf(stderr, "usage: lifeboat [-c FILE] watch report JOB [--json]\n");
	return EXIT_USAGE;
}

int cmd_baseline(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "accept", no_argument, NULL, 'a' }, { NULL, 0, NULL, 0 } };
	bool accept = false;
	struct config *cfg;
	const struct job *job, *fj;
	struct watch_baseline b;
	struct store *st = NULL;
	int c, r;

	optind = 0;	/* 0: glibc re-initialises, permutation included */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'a')
			goto usage;
		accept = true;
	}
	if (argc - optind < 1 || argc - optind > 2 || (accept && argc - optind != 1))
		goto usage;
	r = load_watch_job(cli, argv[optind], &cfg, &job);
	if (r)
		return r;
	if (job->watch.originals) {
		fprintf(stderr, "lifeboat: %s compares with the originals in %s: that tree is its baseline\n", job->name,
			job->watch.originals);
		config_free(cfg);
		return EXIT_USAGE;
	}
	fj = config_job(cfg, job->watch.files);
	if (accept) {
		struct jobrun_opts ro = { .full = true };
		struct jobrun_result res;

		r = jobrun(cfg, fj, &ro, &res);
		if (r < 0) {
			fprintf(stderr, "lifeboat: %s: the snapshot of %s failed; the baseline is unchanged\n",
				job->name, fj->name);
			config_free(cfg);
			return EXIT_FAILED;
		}
		printf("%s: new full snapshot %s %s of %s\n", job->name, fj->name, res.id, fj->files.path);
		r = store_open(cfg->store, &st);
		if (r == 0)
			r = watch_baseline_set(cfg, st, job, res.id, "accepted", &b);
	} else {
		r = store_open(cfg->store, &st);
		if (r == 0 && argc - optind == 2)
			r = watch_baseline_set(cfg, st, job, argv[optind + 1], "marked", &b);
		else if (r == 0)
			r = watch_baseline_get(cfg, st, job, false, &b);
	}
	if (r == -ENOENT && argc - optind == 1 && !accept)
		printf("%s: no baseline yet (the first check chooses %s's newest good backup)\n", job->name, fj->name);
	else if (r == 0)
		printf("%s: baseline %s %s, %s %s (pinned: %s)\n", job->name, fj->name, b.id, b.how, b.set,
		       WATCH_PIN_REASON);
	store_close(st);
	config_free(cfg);
	return r == 0 || (r == -ENOENT && !accept && argc - optind == 1) ? EXIT_OK : EXIT_FAILED;
usage:
	fprintf(stderr, "usage: lifeboat [-c FILE] baseline WATCHJOB [ID | --accept]\n");
	return EXIT_USAGE;
}

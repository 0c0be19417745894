/*
 * lifeboat when — the time window of a change and what happened inside it
 * (lib/when).  For a files job: each path's changes over its snapshots,
 * narrowed by ctime, timestomping flagged, and the archived requests and
 * logins inside each window; --bodyfile FILE writes the versions for
 * `mactime -b`.  With no PATH, the paths are what a watch check of the job
 * finds now against its baseline (watch_compare.h, no alert raised), or,
 * with no watch job, what differs between the live tree and the newest
 * snapshot.  For a db job: when each table's rows changed, from the
 * dump records.  Reads the store only; needs no daemon; writes nothing but
 * the body file asked for.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "jobkind.h"
#include "watch_baseline.h"
#include "watch_compare.h"
#include "when.h"

#define USAGE "usage: lifeboat [-c FILE] when [PATH...] [--job FILESJOB] [--json] [--bodyfile FILE]\n" \
	      "       lifeboat [-c FILE] when --job DBJOB [TABLE...] [--json]\n"

/* The files job to use: --job, else the only one. */
static const struct job *pick_job(const struct config *cfg, const char *name)
{
	const struct job *found = NULL;
	size_t n = 0;

	if (name) {
		found = config_job(cfg, name);
		if (!found)
			fprintf(stderr, "lifeboat: when: no job named '%s' in %s\n", name, cfg->path);
		return found;
	}
	for (size_t i = 0; i < cfg->njobs; i++)
		if (strcmp(jobkind_of(&cfg->jobs[i])->name, "files") == 0) {
			found = &cfg->jobs[i];
			n++;
		}
	if (n == 1)
		return found;
	fprintf(stderr, "lifeboat: when: %s: name the job with --job\n",
		n ? "there are several files jobs" : "there is no files job");
	return NULL;
}

/* Paths relative to the job's tree: "/var/www/site/x" and "./x" become "x". */
static char *relative(const struct job *job, const char *p)
{
	size_t jl = strlen(job->files.path);

	if (strncmp(p, job->files.path, jl) == 0 && (p[jl] == '/' || p[jl] == '\0'))
		p += jl;
	while (*p == '/' || (p[0] == '.' && p[1] == '/'))
		p += *p == '/' ? 1 : 2;
	return strdup(*p ? p : ".");
}

/* The paths to answer for when none are given: the findings of a watch
 * check of JOB against its baseline, or the live tree against the newest
 * good snapshot.  Says which on stdout (not in --json). */
static int findings(const struct config *cfg, struct store *st, const struct job *job, bool json,
		    char ***out, size_t *n)
{
	const struct job *w;
	struct watch_baseline b = { 0 };
	struct wc_tree_opts o = { 0 };
	struct store_list l = { 0 };
	struct fileindex fi;
	struct wc_list items;
	char **paths = NULL;
	int r = 0;

	*out = NULL;
	*n = 0;
	w = watch_job_of(cfg, job->name);
	if (w && watch_baseline_get(cfg, NULL, w, false, &b) < 0)
		b.id[0] = '\0';
	if (!b.id[0]) {
		r = store_list(st, job->name, &l);
		for (size_t i = l.n; r == 0 && i-- > 0;)
			if (store_record_is_good(l.v[i].record)) {
				snprintf(b.id, sizeof(b.id), "%s", l.v[i].id);
				break;
			}
		store_list_free(&l);
		if (r == 0 && !b.id[0]) {
			fprintf(stderr, "lifeboat: when: job %s has no good snapshot to compare the live tree with\n",
				job->name);
			return -ENOENT;
		}
	}
	if (r == 0 && w)
		r = watch_tree_of(cfg, w, &o);
	else if (r == 0)
		o = (struct wc_tree_opts){ .root = job->files.path, .exclude = &job->files.exclude,
					   .one_file_system = job->files.one_file_system };
	fileindex_init(&fi);
	wc_list_init(&items);
	if (r == 0)
		r = watch_index_load(st, job->name, b.id, &fi);
	if (r == 0)
		r = watch_compare_tree(&o, &fi, &items);
	if (r == 0 && items.n && !(paths = calloc(items.n, sizeof(*paths))))
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < items.n; i++)
		if (!(paths[(*n)++] = strdup(items.v[i].path)))
			r = -ENOMEM;
	if (r == 0 && !json)
		printf("the paths: what %s finds in the live tree against %s %s (%zu)\n\n",
		       w ? "a watch check" : "a diff", w ? "its baseline" : "the newest snapshot", b.id, *n);
	wc_list_free(&items);
	fileindex_free(&fi);
	if (r < 0) {
		for (size_t i = 0; i < *n; i++)
			free(paths[i]);
		free(paths);
		*n = 0;
		return r;
	}
	*out = paths;
	return 0;
}

static int output(struct when_timeline *tl, bool json)
{
	when_timeline_sort(tl);
	if (json) {
		json_t *o = when_timeline_json(tl);

		if (!o || json_dumpf(o, stdout, JSON_INDENT(2)) < 0) {
			json_decref(o);
			return -EIO;
		}
		putchar('\n');
		json_decref(o);
	} else {
		when_print_text(tl, stdout);
		if (tl->n == 0)
			printf("no change found\n");
	}
	return fflush(stdout) == 0 ? 0 : -EIO;
}

static int files_when(const struct config *cfg, struct store *st, const struct job *job, char **paths,
		      size_t npaths, bool json, const char *bodyfile)
{
	struct when_history h = { 0 };
	struct when_timeline tl = { 0 };
	struct when_window *w = NULL;
	struct when_logs_stats ls;
	char why[4352] = "";
	int r;

	r = when_files_history(st, job, (const char *const *)paths, npaths, &h, why, sizeof(why));
	if (r < 0) {
		fprintf(stderr, "lifeboat: when: %s\n", why[0] ? why : strerror(-r));
		return EXIT_FAILED;
	}
	r = when_files_events(&h, (const char *const *)paths, &tl);
	w = calloc(h.nchanges ? h.nchanges : 1, sizeof(*w));
	if (!w)
		r = -ENOMEM;
	for (size_t i = 0; i < h.nchanges && r == 0; i++) {
		w[i].from = h.changes[i].from;
		w[i].to = h.changes[i].to;
		w[i].appeared = h.changes[i].what & WH_APPEARED;
		r = when_url_of(job, h.changes[i].path, w[i].url, sizeof(w[i].url));
	}
	if (r == 0)
		r = when_logs_scan(cfg, st, w, h.nchanges, time(NULL), &tl, &ls, why, sizeof(why));
	if (r == 0) {
		for (size_t p = 0; p < npaths; p++) {
			bool any = false;

			for (size_t i = 0; i < h.nchanges; i++)
				any = any || strcmp(h.changes[i].path, paths[p]) == 0;
			if (!any)
				when_note(&tl, "%s: no change over the %zu snapshots of %s (%s .. %s)", paths[p], h.nsnaps,
					  job->name, h.snaps[0].id, h.snaps[h.nsnaps - 1].id);
		}
		r = output(&tl, json);
	}
	if (r == 0 && bodyfile) {
		FILE *f = strcmp(bodyfile, "-") == 0 ? stdout : fopen(bodyfile, "wxe");

		if (!f) {
			fprintf(stderr, "lifeboat: when: %s: %s (it must not exist)\n", bodyfile, strerror(errno));
			r = -errno;
		} else {
			if (when_write_bodyfile(&h, (const char *const *)paths, f) < 0)
				r = -EIO;
			if (f != stdout && fclose(f) != 0 && r == 0)
				r = -errno;
			if (r < 0)
				fprintf(stderr, "lifeboat: when: writing %s failed\n", bodyfile);
		}
	}
	if (r < 0 && why[0])
		fprintf(stderr, "lifeboat: when: %s\n", why);
	else if (r < 0 && r != -EIO)
		fprintf(stderr, "lifeboat: when: %s\n", strerror(-r));
	free(w);
	when_timeline_free(&tl);
	when_history_free(&h);
	return r < 0 ? EXIT_FAILED : EXIT_OK;
}

static int db_when(struct store *st, const struct job *job, char **tables, size_t n, bool json)
{
	struct when_timeline tl = { 0 };
	char why[1024] = "";
	int r;

	r = when_db_history(st, job, (const char *const *)tables, n, &tl, why, sizeof(why));
	if (r == 0)
		r = output(&tl, json);
	else
		fprintf(stderr, "lifeboat: when: %s\n", why[0] ? why : strerror(-r));
	when_timeline_free(&tl);
	return r < 0 ? EXIT_FAILED : EXIT_OK;
}

int cmd_when(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "job", required_argument, NULL, 'J' },
		{ "json", no_argument, NULL, 'j' },
		{ "bodyfile", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	const char *jobname = NULL, *bodyfile = NULL;
	struct config *cfg = NULL;
	const struct job *job;
	struct store *st = NULL;
	struct stat sb;
	char **paths = NULL;
	size_t npaths = 0;
	bool json = false;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'J': jobname = optarg; break;
		case 'j': json = true; break;
		case 'b': bodyfile = optarg; break;
		default: fputs(USAGE, stderr); return EXIT_USAGE;
		}
	}
	if ((r = cli_load_config(cli, &cfg)))
		return r;
	job = pick_job(cfg, jobname);
	if (!job) {
		config_free(cfg);
		return EXIT_USAGE;
	}
	if (stat(cfg->store, &sb) < 0 || store_open(cfg->store, &st) < 0) {
		fprintf(stderr, "lifeboat: when: cannot open the store %s: %s\n", cfg->store, strerror(errno));
		config_free(cfg);
		return EXIT_FAILED;
	}
	if (jobkind_of(job)->target == JOBKIND_TO_DATABASE) {
		if (bodyfile) {
			fputs("lifeboat: when: --bodyfile is for files jobs\n", stderr);
			r = EXIT_USAGE;
		} else {
			r = db_when(st, job, argv + optind, (size_t)(argc - optind), json);
		}
	} else if (strcmp(jobkind_of(job)->name, "files") != 0) {
		fprintf(stderr, "lifeboat: when: %s is a %s job: name a files or a db job\n", job->name,
			jobkind_of(job)->name);
		r = EXIT_USAGE;
	} else if (optind == argc) {
		r = findings(cfg, st, job, json, &paths, &npaths);
		if (r == 0 && npaths == 0)
			printf("nothing differs from %s: name the paths to look at\n", "the baseline");
		else if (r == 0)
			r = files_when(cfg, st, job, paths, npaths, json, bodyfile);
		else
			r = EXIT_FAILED;
	} else {
		npaths = (size_t)(argc - optind);
		paths = calloc(npaths, sizeof(*paths));
		r = paths ? 0 : -ENOMEM;
		for (size_t i = 0; i < npaths && r == 0; i++)
			if (!(paths[i] = relative(job, argv[optind + (int)i])))
				r = -ENOMEM;
		r = r ? EXIT_FAILED : files_when(cfg, st, job, paths, npaths, json, bodyfile);
	}
	for (size_t i = 0; paths && i < npaths; i++)
		free(paths[i]);
	free(paths);
	store_close(st);
	config_free(cfg);
	return r;
}

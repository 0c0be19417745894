/*
 * lifeboat diff JOB ID1 [ID2 | live] [--json] [--path P] — what differs
 * between two snapshots of a files job, or a snapshot and the live tree
 * (the default), from their indexes only (watch_compare.h: the same compare
 * as a watch check).  JOB may be a files job or a watch job (its files job).
 *
 * For a db job, ID1 and ID2 are two dumps and the answer is the tables whose
 * row count or checksum differ, from the records (cmd_diff_db.c).
 *
 * --path P prints a unified diff of one file: its content is restored from
 * the chain (snaprestore.h, through the hashed reader) into a private
 * temporary directory (0700, removed after), and Debian's diff -u runs on
 * the two files as a child process, without a shell.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "fileindex.h"
#include "jobkind.h"
#include "log.h"
#include "snaprestore.h"
#include "watch_baseline.h"
#include "watch_compare.h"
#include "watch_flags.h"

extern char **environ;

static void print_list(const struct wc_list *l, bool as_json)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < l->n; i++) {
		json_t *j = watch_item_json(&l->v[i]);

		if (as_json) {
			json_array_append_new(arr, j);
			continue;
		}
		{
			const char *what = json_string_value(json_object_get(j, "what"));
			const char *flags = json_string_value(json_object_get(j, "flags"));

			printf("%-8s %s", json_string_value(json_object_get(j, "change")),
			       json_string_value(json_object_get(j, "path")));
			if (what && *what)
				printf("  (%s)", what);
			if (flags && *flags)
				printf("  [%s]", flags);
			printf("\n");
		}
		json_decref(j);
	}
	if (as_json) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		printf("\n");
	} else {
		printf("%zu difference(s)\n", l->n);
	}
	json_decref(arr);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Restores P of backup ID into a new private dir under TMP; *OUT the file. */
static int extract(struct store *st, const char *job, const char *id, const char *p, const char *tmp, int n,
		   char *out, size_t len)
{
	struct snaprestore_opts o = { .st = st, .job = job, .id = id, .subpath = p };
	struct snaprestore_stats stats;
	char dir[PATH_MAX];
	int r;

	snprintf(dir, sizeof(dir), "%s/%d", tmp, n);
	o.to = dir;
	r = snaprestore_run(&o, &stats);
	snaprestore_stats_free(&stats);
	if (r < 0)
		return r;
	if ((size_t)snprintf(out, len, "%s/%s", dir, p) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Opens ROOT/P without following a symlink in any component (the live tree
 * is hostile: uploads -> /etc must not show /etc's files).  A descriptor a
 * child inherits, or a negative errno. */
static int open_live(const char *root, const char *p)
{
	char *copy = strdup(p), *save = NULL, *part, *next;
	int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd = -1;

	if (!copy || dfd < 0) {
		free(copy);
		if (dfd >= 0)
			close(dfd);
		return -ENOMEM;
	}
	for (part = strtok_r(copy, "/", &save); part; part = next) {
		next = strtok_r(NULL, "/", &save);
		fd = openat(dfd, part, (next ? O_DIRECTORY | O_CLOEXEC : 0) | O_RDONLY | O_NOFOLLOW);
		close(dfd);
		if (fd < 0) {
			fd = -errno;
			break;
		}
		dfd = fd;
	}
	free(copy);
	return fd;
}

static int diff_path(struct store *st, const struct job *fj, const char *id1, const char *id2, const char *p)
{
	char tmpl[] = "/tmp/lifeboat-diff-XXXXXX", a[PATH_MAX], b[PATH_MAX], la[PATH_MAX + 64], lb[PATH_MAX + 64];
	char *args[] = { "diff", "-u", "--label", la, "--label", lb, a, b, NULL };
	struct stat sa, sb;
	pid_t pid;
	int r, status = 0, lfd = -1;

	if (!snaprestore_path_safe(p)) {
		fprintf(stderr, "lifeboat: --path %s: must be relative, without '..'\n", p);
		return EXIT_USAGE;
	}
	if (!mkdtemp(tmpl)) {
		log_err(LOG_LVL_ERROR, errno, "cannot create a temporary directory");
		return EXIT_FAILED;
	}
	r = extract(st, fj->name, id1, p, tmpl, 1, a, sizeof(a));
	if (r == 0 && strcmp(id2, "live") == 0) {
		lfd = open_live(fj->files.path, p);
		if (lfd < 0 || fstat(lfd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
			fprintf(stderr, "lifeboat: %s/%s: not a regular file reached without a symlink%s%s\n",
				fj->files.path, p, lfd < 0 ? ": " : "", lfd < 0 ? strerror(-lfd) : "");
			r = -EINVAL;
		} else {
			snprintf(b, sizeof(b), "/dev/fd/%d", lfd);	/* inherited by diff */
		}
	} else if (r == 0)
		r = extract(st, fj->name, id2, p, tmpl, 2, b, sizeof(b));
	if (r == 0 && (lstat(a, &sa) < 0 || !S_ISREG(sa.st_mode))) {
		fprintf(stderr, "lifeboat: %s is not a regular file in %s %s\n", p, fj->name, id1);
		r = -EINVAL;
	}
	snprintf(la, sizeof(la), "%s %s", id1, p);
	snprintf(lb, sizeof(lb), "%s %s", id2, p);
	if (r == 0) {
		fflush(stdout);
		r = posix_spawn(&pid, "/usr/bin/diff", NULL, NULL, args, environ);
		if (r) {
			log_err(LOG_LVL_ERROR, r, "cannot run /usr/bin/diff");
			r = -r;
		} else if (waitpid(pid, &status, 0) < 0) {
			r = -errno;
		}
	}
	if (lfd >= 0)
		close(lfd);
	nftw(tmpl, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (r < 0)
		return EXIT_FAILED;
	/* diff: 0 same, 1 different, 2 trouble. */
	return WIFEXITED(status) && WEXITSTATUS(status) <= 1 ? EXIT_OK : EXIT_FAILED;
}

int cmd_diff(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "path", required_argument, NULL, 'p' }, { NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *id1, *id2;
	bool as_json = false;
	struct config *cfg;
	const struct job *job, *fj;
	struct store *st = NULL;
	struct fileindex a, b;
	struct wc_list l;
	int c, r;

	optind = 0;	/* 0: glibc re-initialises, permutation included */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j')
			as_json = true;
		else if (c == 'p')
			path = optarg;
		else
			goto usage;
	}
	if (argc - optind < 2 || argc - optind > 3)
		goto usage;
	r = cli_load_job(cli, argv[optind], "a files or db job", &cfg, &job);
	if (r)
		return r;
	if (jobkind_of(job)->target == JOBKIND_TO_DATABASE) {
		if (argc - optind != 3 || path) {
			fprintf(stderr, "usage: lifeboat [-c FILE] diff DBJOB ID1 ID2 [--json]\n");
			config_free(cfg);
			return EXIT_USAGE;
		}
		r = store_open(cfg->store, &st);
		if (r == 0)
			r = cmd_diff_db(st, job, argv[optind + 1], argv[optind + 2], as_json);
		else
			r = EXIT_FAILED;
		store_close(st);
		config_free(cfg);
		return r;
	}
	fj = job->kind == JOB_WATCH ? (job->watch.files ? config_job(cfg, job->watch.files) : NULL) : job;
	if (!fj || fj->kind != JOB_FILES) {
		fprintf(stderr, "lifeboat: diff: %s is a %s job; diff compares files snapshots\n", job->name,
			job_kind_name(job->kind));
		config_free(cfg);
		return EXIT_USAGE;
	}
	id1 = argv[optind + 1];
	id2 = argc - optind == 3 ? argv[optind + 2] : "live";
	r = store_open(cfg->store, &st);
	if (r < 0) {
		config_free(cfg);
		return EXIT_FAILED;
	}
	if (path) {
		r = diff_path(st, fj, id1, id2, path);
		store_close(st);
		config_free(cfg);
		return r;
	}
	fileindex_init(&a);
	fileindex_init(&b);
	wc_list_init(&l);
	r = watch_index_load(st, fj->name, id1, &a);
	if (r == 0 && strcmp(id2, "live") == 0) {
		struct wc_tree_opts o = {
			.root = fj->files.path, .exclude = &fj->files.exclude,
			.exclude2 = job->kind == JOB_WATCH ? &job->watch.exclude : NULL,
			.one_file_system = fj->files.one_file_system,
		};

		r = watch_compare_tree(&o, &a, &l);
	} else if (r == 0) {
		r = watch_index_load(st, fj->name, id2, &b);
		if (r == 0)
			r = watch_compare_index(&a, &b, &l);
	}
	if (r == 0)
		print_list(&l, as_json);
	wc_list_free(&l);
	fileindex_free(&a);
	fileindex_free(&b);
	store_close(st);
	config_free(cfg);
	return r == 0 ? EXIT_OK : EXIT_FAILED;
usage:
	fprintf(stderr, "usage: lifeboat [-c FILE] diff JOB ID1 [ID2 | live] [--json] [--path P]\n"
			"       lifeboat [-c FILE] diff DBJOB ID1 ID2 [--json]\n");
	return EXIT_USAGE;
}

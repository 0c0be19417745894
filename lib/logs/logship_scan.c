/*
 * logship_scan — the files a logs run looks at: every regular file matched
 * by the job's globs, and the rotated siblings of each log in its directory
 * ("access.log.1", "access.log.2.gz", "access.log-20261125", ...), plus the
 * last known path of every generation in the state.  Each directory is read
 * once, however many logs it holds.
 *
 * Only regular files are archived: a symbolic link is reported and skipped.
 * A log (a "base") is a glob match that is not itself a rotated form of
 * another log, or a log the state already knows.  A rotated form is the
 * base's name followed by ".N" or "-DIGITS" and/or ".gz".
 */
#include "logship_int.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"

struct names {
	char **v;
	size_t n, cap;
};

static void names_free(struct names *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int names_add(struct names *s, const char *name)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = strdup(name);
	if (!s->v[s->n])
		return -ENOMEM;
	s->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_sort_unique(struct names *s)
{
	size_t w = 0;

	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_str);
	for (size_t i = 0; i < s->n; i++) {
		if (w && strcmp(s->v[w - 1], s->v[i]) == 0)
			free(s->v[i]);
		else
			s->v[w++] = s->v[i];
	}
	s->n = w;
}

static bool names_has(const struct names *s, const char *name)
{
	return s->n && bsearch(&name, s->v, s->n, sizeof(*s->v), cmp_str);
}

/* The base of a rotated name into BUF, or false when NAME is no rotated form. */
static bool rotated_base(const char *name, char *buf, size_t buflen)
{
	size_t n = strlen(name), d;
	bool stripped = false;

	if (n >= buflen)
		return false;
	memcpy(buf, name, n + 1);
	if (n > 3 && strcmp(buf + n - 3, ".gz") == 0) {
		n -= 3;
		buf[n] = '\0';
		stripped = true;
	}
	for (d = n; d > 0 && buf[d - 1] >= '0' && buf[d - 1] <= '9'; d--)
		;
	if (d < n && d > 1 && (buf[d - 1] == '.' || buf[d - 1] == '-')) {
		buf[d - 1] = '\0';
		stripped = true;
	}
	return stripped && buf[0];
}

static bool ends_gz(const char *path)
{
	size_t n = strlen(path);

	return n > 3 && strcmp(path + n - 3, ".gz") == 0;
}

static int cand_add(struct lcands *c, const char *path, const char *name, const struct stat *sb)
{
	struct lcand *x;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		struct lcand *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	x = &c->v[c->n];
	memset(x, 0, sizeof(*x));
	x->path = strdup(path);
	x->name = strdup(name);
	if (!x->path || !x->name) {
		free(x->path);
		free(x->name);
		return -ENOMEM;
	}
	x->live = strcmp(path, name) == 0;
	x->gz = ends_gz(path);
	x->dev = (uint64_t)sb->st_dev;
	x->ino = (uint64_t)sb->st_ino;
	x->size = (uint64_t)sb->st_size;
	x->mtime_ns = (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
	x->owner = -1;
	c->n++;
	return 0;
}

void lcands_free(struct lcands *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].path);
		free(c->v[i].name);
		free(c->v[i].head);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* Regular files matched by the globs. */
static int glob_all(const struct strlist *globs, struct names *out)
{
	int r = 0;

	for (size_t i = 0; i < globs->n && r == 0; i++) {
		glob_t g;
		int gr = glob(globs->v[i], GLOB_NOSORT, NULL, &g);

		if (gr == GLOB_NOMATCH)
			continue;
		if (gr != 0) {
			log_error("%s: cannot expand the glob", globs->v[i]);
			return -EIO;
		}
		for (size_t j = 0; j < g.gl_pathc && r == 0; j++) {
			struct stat sb;

			if (lstat(g.gl_pathv[j], &sb) < 0)
				continue;
			if (S_ISREG(sb.st_mode))
				r = names_add(out, g.gl_pathv[j]);
			else if (S_ISLNK(sb.st_mode))
				/* Followed, a link could make the job read any file. */
				log_warn("%s: a symbolic link; logs jobs archive regular files only (name its target)",
					 g.gl_pathv[j]);
		}
		globfree(&g);
	}
	return r;
}

static bool cand_known(const struct lcands *c, const char *path)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].path, path) == 0)
			return true;
	return false;
}

/* Reads DIR once: each base in it and each rotated sibling of one. */
static int scan_dir(const char *dir, const struct names *bases, struct lcands *out)
{
	char path[PATH_MAX], base[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);
	int r = 0;

	if (!d) {
		if (errno == ENOENT)
			return 0;
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot read the log directory", dir);
		return r;
	}
	while (r == 0 && (de = readdir(d))) {
		struct stat sb;
		const char *name;

		if (snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") ? dir : "", de->d_name) >= (int)sizeof(path))
			continue;
		if (names_has(bases, path))
			name = path;
		else if (rotated_base(path, base, sizeof(base)) && names_has(bases, base))
			name = base;
		else
			continue;
		if (lstat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		r = cand_add(out, path, name, &sb);
	}
	closedir(d);
	return r;
}

int lscan(const struct strlist *globs, const struct lstate *s, struct lcands *out)
{
	struct names matches = { 0 }, bases = { 0 }, dirs = { 0 };
	char buf[PATH_MAX];
	int r;

	memset(out, 0, sizeof(*out));
	r = glob_all(globs, &matches);
	/* Known logs count as bases even when their file is gone right now. */
	for (size_t i = 0; i < s->n && r == 0; i++)
		r = names_add(&matches, s->v[i].name);
	if (r == 0)
		names_sort_unique(&matches);
	for (size_t i = 0; i < matches.n && r == 0; i++) {
		if (rotated_base(matches.v[i], buf, sizeof(buf)) && names_has(&matches, buf))
			continue;
		r = names_add(&bases, matches.v[i]);
	}
	if (r == 0)
		names_sort_unique(&bases);
	for (size_t i = 0; i < bases.n && r == 0; i++)
		if ((r = fs_dirname(bases.v[i], buf, sizeof(buf))) == 0)
			r = names_add(&dirs, buf);
	if (r == 0)
		names_sort_unique(&dirs);
	for (size_t i = 0; i < dirs.n && r == 0; i++)
		r = scan_dir(dirs.v[i], &bases, out);
	/* A generation renamed to a name no scan covers is still found where
	 * the state last saw it. */
	for (size_t i = 0; i < s->n && r == 0; i++) {
		struct stat sb;

		if (cand_known(out, s->v[i].path) || lstat(s->v[i].path, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		r = cand_add(out, s->v[i].path, s->v[i].name, &sb);
	}
	names_free(&matches);
	names_free(&bases);
	names_free(&dirs);
	if (r < 0) {
		if (r == -ENOMEM)
			log_error("out of memory while listing the logs");
		lcands_free(out);
	}
	return r;
}

int lcand_head(struct lcand *c)
{
	struct lsrc src;
	ssize_t n = 0;
	int r;

	if (c->head)
		return 0;
	c->head = malloc(LS_FP_MAX);
	if (!c->head)
		return -ENOMEM;
	c->head_len = 0;
	r = lsrc_open(&src, c->path, c->gz, c->dev, c->ino);
	if (r < 0)
		return r;
	while (c->head_len < LS_FP_MAX && (n = lsrc_read(&src, c->head + c->head_len, LS_FP_MAX - c->head_len)) > 0)
		c->head_len += (size_t)n;
	lsrc_close(&src);
	return n < 0 ? (int)n : 0;
}

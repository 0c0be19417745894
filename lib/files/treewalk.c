/*
 * treewalk — see treewalk.h.  The walk keeps one open directory per level
 * and a growing relative path ("" for the root, shown as ".").
 */
#include "treewalk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

struct walk {
	const struct treewalk_opts *o;
	struct treewalk_stats *stats;
	dev_t root_dev;
	char *path;
	size_t pathlen, pathcap;
	struct timespec last_between;
};

bool treewalk_excluded(const struct strlist *exclude, const char *path, bool is_dir)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; exclude && i < exclude->n; i++) {
		const char *g = exclude->v[i];
		size_t len = strlen(g);
		char pat[4096];

		if (len == 0 || len >= sizeof(pat))
			continue;
		memcpy(pat, g, len + 1);
		if (pat[len - 1] == '/') {
			if (!is_dir)
				continue;
			pat[--len] = 0;
			if (len == 0)
				continue;
		}
		if (strchr(pat, '/')) {
			if (fnmatch(pat, path, FNM_PATHNAME) == 0)
				return true;
		} else if (fnmatch(pat, base, 0) == 0) {
			return true;
		}
	}
	return false;
}

static const char *cur_path(const struct walk *w)
{
	return w->pathlen ? w->path : ".";
}

static int path_push(struct walk *w, const char *name, size_t *saved)
{
	size_t need = w->pathlen + 1 + strlen(name) + 1;

	*saved = w->pathlen;
	if (need > w->pathcap) {
		size_t cap = w->pathcap * 2 > need ? w->pathcap * 2 : need + 256;
		char *p = realloc(w->path, cap);

		if (!p)
			return -ENOMEM;
		w->path = p;
		w->pathcap = cap;
	}
	if (w->pathlen)
		w->path[w->pathlen++] = '/';
	strcpy(w->path + w->pathlen, name);
	w->pathlen += strlen(name);
	return 0;
}

static void path_pop(struct walk *w, size_t saved)
{
	w->pathlen = saved;
	w->path[w->pathlen] = 0;
}

static int between(struct walk *w)
{
	struct timespec now;

	if (!w->o->between)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - w->last_between.tv_sec) * 1000000000L + now.tv_nsec - w->last_between.tv_nsec <
	    20000000L)
		return 0;
	w->last_between = now;
	return w->o->between(w->o->ctx);
}

static int walk_dir(struct walk *w, int fd);

/* The current path, a directory: the callback, then (same filesystem) its
 * contents.  FD is the open directory (owned: closed here), or -1. */
static int visit_dir(struct walk *w, int fd, const struct stat *st)
{
	int r = w->o->dir(w->o->ctx, fd, cur_path(w), st);

	if (r < 0 || fd < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	if (w->o->one_file_system && st->st_dev != w->root_dev) {
		w->stats->other_fs++;
		close(fd);
		return 0;
	}
	return walk_dir(w, fd);
}

static int visit(struct walk *w, int dirfd, const char *name)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			w->o->error(w->o->ctx, cur_path(w), errno, "cannot stat");
		return 0;
	}
	if (treewalk_excluded(w->o->exclude, cur_path(w), S_ISDIR(st.st_mode))) {
		w->stats->excluded++;
		return 0;
	}
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)
				return 0;
			w->o->error(w->o->ctx, cur_path(w), errno, "cannot open the directory");
		}
		return visit_dir(w, fd, &st);
	case S_IFSOCK:
		w->stats->sockets++;
		return 0;
	default:
		return w->o->entry(w->o->ctx, dirfd, name, cur_path(w), &st);
	}
}

/* Every entry of the open directory FD (owned: closed here). */
static int walk_dir(struct walk *w, int fd)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int r = 0;

	if (!d) {
		w->o->error(w->o->ctx, cur_path(w), errno, "cannot read the directory");
		close(fd);
		return 0;
	}
	for (;;) {
		size_t saved;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				w->o->error(w->o->ctx, cur_path(w), errno, "cannot read the directory");
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = between(w);
		if (r < 0)
			break;
		r = path_push(w, de->d_name, &saved);
		if (r == 0)
			r = visit(w, dirfd(d), de->d_name);
		path_pop(w, saved);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

int treewalk_run(const struct treewalk_opts *o, struct treewalk_stats *stats)
{
	struct walk w = { .o = o, .stats = stats };
	struct stat st;
	int fd, r;

	memset(stats, 0, sizeof(*stats));
	w.pathcap = 4096;
	w.path = malloc(w.pathcap);
	if (!w.path)
		return -ENOMEM;
	w.path[0] = 0;
	fd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot open the tree", o->root);
		if (fd >= 0)
			close(fd);
		free(w.path);
		return r;
	}
	w.root_dev = st.st_dev;
	r = visit_dir(&w, fd, &st);	/* closes fd */
	free(w.path);
	return r;
}

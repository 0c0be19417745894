/*
 * treewalk — the walk of a files job's tree, shared by the snapshot
 * (snapshot.c) and the watch check (lib/watch/): the same rules for both, so
 * a check sees exactly the tree a backup stores.
 *
 * The walk is openat()-based, one open directory per level and a growing
 * relative path, so no path is ever resolved from the root again: a path
 * deeper than PATH_MAX works and a symlink is never followed.  Every entry is
 * looked at with fstatat(AT_SYMLINK_NOFOLLOW) relative to its directory.
 * Hidden files are files.  Paths matching an exclude glob are skipped (and
 * counted); sockets are skipped (and counted); a directory on another
 * filesystem is visited but not entered when one_file_system is set.  An
 * entry that vanished between readdir and stat is not part of the tree.
 *
 * This module only walks: what is done with an entry (read, hash, store,
 * compare) is the caller's, through the callbacks.
 */
#ifndef LIFEBOAT_TREEWALK_H
#define LIFEBOAT_TREEWALK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "units.h"

struct treewalk_opts {
	const char *root;		/* absolute path of the tree */
	const struct strlist *exclude;	/* globs relative to root; NULL = none */
	bool one_file_system;

	/* A directory (the root is PATH "."): FD is it, open (O_DIRECTORY,
	 * O_NOFOLLOW), or -1 when it could not be opened (error() was called).
	 * FD stays the walker's.  Returns 0 or a negative errno to stop. */
	int (*dir)(void *ctx, int fd, const char *path, const struct stat *st);
	/* Anything else but a socket: NAME in the open directory DIRFD, at the
	 * relative PATH.  0 or a negative errno to stop. */
	int (*entry)(void *ctx, int dirfd, const char *name, const char *path, const struct stat *st);
	/* A path that could not be looked at (ERR is an errno); the walk goes on. */
	void (*error)(void *ctx, const char *path, int err, const char *what);
	/* Optional: called between entries at most every 20 ms (a throttle, a
	 * cancel): 0, or a negative errno to stop. */
	int (*between)(void *ctx);
	void *ctx;
};

struct treewalk_stats {
	uint64_t excluded;		/* paths matched by an exclude glob */
	uint64_t sockets;		/* sockets skipped */
	uint64_t other_fs;		/* mount points not entered */
};

/* Walks O->root.  Returns 0 when the walk reached its end (unreadable paths
 * went to error()), or a negative errno: the root cannot be opened (logged),
 * memory ran out, or a callback asked to stop (its value). */
int treewalk_run(const struct treewalk_opts *o, struct treewalk_stats *stats);

/* True when the relative PATH (a directory when IS_DIR) matches one of
 * EXCLUDE: a glob with a '/' matches the whole relative path, one without
 * matches the last component; a trailing '/' matches directories only. */
bool treewalk_excluded(const struct strlist *exclude, const char *path, bool is_dir);

#endif

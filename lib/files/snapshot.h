/*
 * snapshot — one files backup: walks a directory tree and writes a pax tar
 * of it and its index (fileindex.h), both as byte streams the caller sinks
 * (jobkind_files compresses them into the store).
 *
 * The walk is our own, openat()-based, so no path is ever resolved from the
 * root again: a path deeper than PATH_MAX works, a symlink is never followed,
 * and a directory on another filesystem is stored but not entered when
 * one_file_system is set.  Hidden files are files.  Sockets are skipped;
 * FIFOs and device nodes are entries without content.  libarchive fills each
 * entry from the open descriptor (owner names, xattrs, ACLs, sparse map) and
 * resolves hard links, so a file with several names is stored once.
 *
 * Incremental: given the parent's index, a regular file whose size, mtime,
 * ctime, inode and mode all match its parent line is not opened; its line is
 * copied, naming the backup that holds the content.  Everything else that is
 * not a regular file (directories, symlinks, FIFOs, devices) is a header
 * only and is written to every snapshot, so the newest tar alone carries the
 * tree's shape.  Paths of the parent not seen in this walk are written to
 * the index as removed.
 *
 * A file is read and hashed, and the tar gets one entry per path, holding
 * the read that is kept.  If a file's size or mtime differ after a read, it
 * is read again, up to three more times; then the last read is kept and
 * flagged.  So that a read can be dropped, it goes first to memory (a file
 * of at most SNAPSHOT_SPOOL_MEM) or to a spool file: opened with O_TMPFILE
 * (never linked into a directory; mode 0600) in spool_dir, written with the
 * attempt and copied into the tar once it is kept.  A bigger file that has
 * not changed for SNAPSHOT_HOT_SECONDS is streamed straight into the tar
 * instead, read once: should it change during that read, it is kept as
 * read and flagged, not read again — spooling every big file would write
 * the whole tree twice to catch a rare case.  An unreadable file or
 * directory is an error with its path and errno in the stats; the walk
 * goes on.
 *
 * Memory: the parent index (fileindex.h), one read buffer and the
 * SNAPSHOT_SPOOL_MEM buffer; the index being written streams out.  This module does not compress, write to the
 * store, or decide full versus incremental (jobkind_files.c).
 */
#ifndef LIFEBOAT_SNAPSHOT_H
#define LIFEBOAT_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "fileindex.h"
#include "units.h"

#define SNAPSHOT_RETRIES 3		/* re-reads of a file that changed while read */
#define SNAPSHOT_LIST_MAX 100		/* errors and flagged paths kept in the stats */
#define SNAPSHOT_SPOOL_MEM (1024 * 1024)	/* bytes: a file up to this size is read into memory */
#define SNAPSHOT_HOT_SECONDS 60		/* a big file changed this recently is spooled, not streamed */

struct snapshot_opts {
	const char *root;		/* absolute path of the tree */
	const struct strlist *exclude;	/* globs relative to root; NULL = none */
	bool one_file_system;
	const char *id;			/* this backup's id, for FROM */
	const char *parent_id;		/* the parent's id, or NULL (full) */
	struct fileindex *parent;	/* the parent's index, or NULL; its seen marks are set */
	const char *spool_dir;		/* where a big file's read is spooled (O_TMPFILE, 0600);
					 * NULL: $TMPDIR, else /var/tmp */

	/* Sinks for the uncompressed tar and index text: 0 or a negative errno. */
	int (*tar_write)(void *ctx, const void *buf, size_t len);
	int (*index_write)(void *ctx, const void *buf, size_t len);
	/* Optional hooks: between files, and after each read of file content
	 * (0, or a negative errno to stop: a cancel), and progress. */
	int (*between_files)(void *ctx);
	int (*read_bytes)(void *ctx, uint64_t n);
	void (*progress)(void *ctx, const char *path);
	void *ctx;
};

struct snapshot_stats {
	uint64_t entries;		/* index lines written (removed ones excluded) */
	uint64_t files;			/* regular files in the tree */
	uint64_t stored;		/* files whose content went into this tar */
	uint64_t added, changed, removed, unchanged;	/* against the parent */
	uint64_t bytes_read;		/* content bytes read from disk */
	uint64_t bytes_tree;		/* size of every regular file in the tree */
	uint64_t excluded;		/* paths matched by an exclude glob */
	uint64_t sockets;		/* sockets skipped */
	uint64_t other_fs;		/* mount points not entered */
	uint64_t errors;		/* unreadable paths */
	uint64_t changed_while_read;	/* files flagged */
	json_t *error_list;		/* [{"path","errno","error"}], first SNAPSHOT_LIST_MAX; owned */
	json_t *changed_list;		/* ["path"], first SNAPSHOT_LIST_MAX; owned */
};

/* Runs the snapshot.  STATS is filled (and must be released with
 * snapshot_stats_free() whatever the result).  Returns 0 when the tar and
 * the index are complete (unreadable paths are counted, not fatal), or a
 * negative errno after logging one line: the root is unreadable, a sink
 * failed, memory ran out, or between_files asked to stop. */
int snapshot_run(const struct snapshot_opts *o, struct snapshot_stats *stats);
void snapshot_stats_free(struct snapshot_stats *stats);

/* True when the relative PATH (a directory when IS_DIR) matches one of
 * EXCLUDE: a glob with a '/' matches the whole relative path, one without
 * matches the last component; a trailing '/' matches directories only. */
bool snapshot_excluded(const struct strlist *exclude, const char *path, bool is_dir);

#endif

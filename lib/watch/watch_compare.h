/*
 * watch_compare — what differs between a trusted index (a files snapshot's,
 * fileindex.h) and either the live tree or another index: the change list
 * that a watch check, `lifeboat diff`, and later the incident and `when`
 * commands read.  A library function, not daemon code: no alerts, no
 * reports, no store access here.
 *
 * Tree against index: the tree is walked with the files job's rules
 * (treewalk.h).  A regular file whose size, mtime, ctime, inode, mode and
 * owner match its baseline line (and whose line has a hash) is not read;
 * any other file is read and hashed (every file when paranoid).  A
 * directory is reported only when added, removed, or its type, mode or
 * owner changed: its times change with every file in it.  A file whose only
 * difference is its ctime or inode with the same content, mode, owner and
 * mtime (a new hard link, say) is counted, not listed.  A symlink cannot be
 * changed in place: one with another length, inode or mtime got a new
 * target.  The index does not hold symlink targets or xattrs, so "target" is
 * inferred that way and xattrs are not compared.
 *
 * Against a copy (originals = DIR: the baseline index is made from another
 * tree, watch_index_tree()), times, inodes and owners differ by nature: only
 * type, size, mode, content and link length are compared, every file read.
 *
 * Index against index: the same rules on the two indexes' lines, with the
 * hashes the snapshots recorded.
 *
 * The live side of an item keeps the live symlink target and, for a new or
 * changed regular file, its first WATCH_SCAN_MAX bytes are offered to the
 * risk flags (watch_flags.h), which this module calls.
 */
#ifndef LIFEBOAT_WATCH_COMPARE_H
#define LIFEBOAT_WATCH_COMPARE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "fileindex.h"
#include "units.h"

enum wc_change { WC_ADDED, WC_REMOVED, WC_CHANGED };

/* What changed (a bit set). */
enum {
	WC_CONTENT = 1 << 0,
	WC_SIZE = 1 << 1,
	WC_MODE = 1 << 2,
	WC_OWNER = 1 << 3,
	WC_TYPE = 1 << 4,
	WC_TARGET = 1 << 5,
	WC_MTIME = 1 << 6,
	WC_CTIME = 1 << 7,
	WC_INODE = 1 << 8,
	WC_WHAT_COUNT = 9,
};

struct wc_item {
	enum wc_change change;
	unsigned what;			/* WC_* (changed items) */
	unsigned flags;			/* WF_* risk flags (watch_flags.h) */
	char signature[64];		/* the web-shell marker found, or "" */
	char *path;			/* relative, raw bytes (escape it to print); owned */
	bool has_old, has_new;
	struct fi_entry old, cur;	/* their path members are NULL */
	char *target;			/* live symlink target, or NULL; owned */
};

struct wc_list {
	struct wc_item *v;
	size_t n, cap;
	/* Counts of the run. */
	uint64_t entries;		/* live (or second index) entries looked at */
	uint64_t hashed;		/* files read and hashed */
	uint64_t bytes_hashed;
	uint64_t meta_only;		/* ctime/inode-only differences, not listed */
	uint64_t excluded, errors;
	json_t *error_list;		/* [{"path","error"}], first 100; owned */
};

struct wc_tree_opts {
	const char *root;
	const struct strlist *exclude;	/* the files job's */
	const struct strlist *exclude2;	/* the watch job's own, or NULL */
	bool one_file_system;
	bool paranoid;			/* read every regular file */
	bool copy;			/* the baseline is another tree (originals): mtime,
					 * ctime, inode and owner are not compared, every
					 * file is read */
	/* Optional: between entries (0 or a negative errno to stop), and
	 * after each read of content. */
	int (*between)(void *ctx);
	void (*read_bytes)(void *ctx, uint64_t n);
	void *ctx;
};

#define WATCH_SCAN_MAX (256 * 1024)	/* bytes of a file the signatures look at */

void wc_list_init(struct wc_list *l);
void wc_list_free(struct wc_list *l);

/* The live tree against BASE (its seen marks are used).  0 or a negative
 * errno (logged); unreadable paths are counted in L and listed as errors. */
int watch_compare_tree(const struct wc_tree_opts *o, struct fileindex *base, struct wc_list *l);

/* The index of the tree of O (every regular file read and hashed) into FI
 * (initialised), its entries naming FROM_ID.  0 or a negative errno. */
int watch_index_tree(const struct wc_tree_opts *o, struct fileindex *fi, const char *from_id);

/* Index B against index A (A the older); A's seen marks are used. */
int watch_compare_index(struct fileindex *a, const struct fileindex *b, struct wc_list *l);

/* "content,size,mtime": the names of WHAT's bits, into BUF. */
void watch_what_text(unsigned what, char *buf, size_t len);

/* One item as JSON: path (escaped), change, what, flags, severity,
 * signature, old/new {type, mode, uid, gid, size, mtime, ctime, sha256}, target. */
json_t *watch_item_json(const struct wc_item *it);

#endif

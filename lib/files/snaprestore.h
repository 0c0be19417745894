/*
 * snaprestore — rebuilds the tree of a files backup into a new directory,
 * pulling each file's content from the chain member its index names.
 *
 * The chain is read oldest first, each tar once.  An entry is extracted only
 * when the backup's index says this member holds it (its FROM), so a file
 * changed later, or deleted since, is never written; the newest tar carries
 * every directory, symlink and special file, and comes last, so directory
 * times and modes are set after their contents (and set again, relative,
 * for directories deeper than PATH_MAX).  A file with several names is in a
 * tar once, under its first name: when only a later name is wanted, the
 * first is extracted too, as the link's anchor, and removed at the end.
 * Every artifact (tar, index) is read once, through reader.h, and must
 * match its record at its close.  The tree is extracted into a staging
 * directory beside the target (restore_target.h) and moved into the target
 * only when every artifact checked: a corrupt or tampered tar never sets a
 * mode, owner or byte in the target, which stays as it was.
 *
 * Extraction is libarchive's archive_write_disk with the SECURE_* flags: no
 * absolute path, no "..", no writing through a symlink.  An entry that tries
 * any of these stops the restore with an error naming the backup and the
 * entry: a crafted archive in the store is refused, not obeyed.  Modes,
 * times, symlinks, hard links, xattrs and ACLs are restored; owners too when
 * OWNERS is set (the caller passes it for root).
 *
 * What a user cannot create is skipped and reported, and the restore goes
 * on: a device node (or a FIFO) that mknod(2) refuses with EPERM, and, when
 * OWNERS is not set, an owner other than the user's own (with the setuid or
 * setgid bit that would then belong to the wrong user or group), and
 * extended attributes in the trusted.* and security.* namespaces.  The stats count each kind and list the first
 * SNAPRESTORE_LIST_MAX paths of each; the caller calls the result partial.
 *
 * Nothing is left half-done: a file with content is written under a
 * temporary name beside it (".lifeboat-restore.N", a name no index of the
 * chain holds) and renamed into place once complete, and one a stopped
 * restore was writing is removed; directories get their final modes and
 * times at the end, after their contents, even when the restore stops.
 *
 * The working directory is changed to the staging directory for the extraction (so
 * paths deeper than PATH_MAX work) and restored before returning.  What this
 * module does not do: restore over existing files, or restore db backups.
 */
#ifndef LIFEBOAT_SNAPRESTORE_H
#define LIFEBOAT_SNAPRESTORE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

#define SNAPRESTORE_LIST_MAX 20		/* paths listed per kind of skip */

/* What a restore could not restore exactly. */
enum snaprestore_skip {
	SR_SKIP_NODE,			/* a device node or FIFO not created */
	SR_SKIP_OWNER,			/* an owner not set */
	SR_SKIP_MODE,			/* a setuid or setgid bit dropped */
	SR_SKIP_XATTR,			/* an extended attribute not set */
	SR_SKIP_KINDS
};

struct snaprestore_opts {
	struct store *st;
	const char *job;
	const char *id;			/* an exact backup id */
	const char *to;			/* target: must not exist or be empty (restore_target.h) */
	const char *subpath;		/* restore only this path of the tree (relative), or NULL */
	bool owners;			/* set owners (needs root) */
};

struct snaprestore_stats {
	uint64_t entries;		/* entries written */
	uint64_t files;			/* regular files with content */
	uint64_t bytes;			/* content bytes written */
	uint64_t unreadable;		/* index entries with no content (unreadable at backup time) */
	unsigned chain;			/* tars read */
	uint64_t read;			/* bytes read from the store: each artifact once */
	uint64_t skipped[SR_SKIP_KINDS];	/* entries not restored exactly, by kind */
	json_t *skipped_list;		/* [{"path","kind","what"}], the first SNAPRESTORE_LIST_MAX
					 * of each kind, or NULL; owned: snaprestore_stats_free() */
};

/* Returns 0 (with STATS->skipped counting what was not restored exactly),
 * or a negative errno after logging one line naming the backup (and the
 * entry or file at fault): -EEXIST for a non-empty target, -ENOENT for a
 * missing chain member or subpath, -EINVAL for a corrupted or crafted
 * archive.  STATS must be released with snaprestore_stats_free() whatever
 * the result. */
int snaprestore_run(const struct snaprestore_opts *o, struct snaprestore_stats *stats);
void snaprestore_stats_free(struct snaprestore_stats *stats);

/* True when the tar entry name PATH is safe to extract: relative, and no
 * ".." component. */
bool snaprestore_path_safe(const char *path);

#endif

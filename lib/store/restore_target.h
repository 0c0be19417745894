/*
 * restore_target — where a restore into a directory writes, and how its
 * result gets there only when it is whole.
 *
 * A directory restore (files, logs) writes only into a new directory or an
 * empty one: restore_target_check() says whether TO is such a place without
 * touching it (a symlink, a file, a non-empty or unwritable directory, or a
 * missing parent is refused with one log line).  The restore then writes into
 * a staging directory beside TO (same filesystem, mode 0700, a dot name
 * ".lifeboat-staging-XXXXXX" that no plain listing shows), and only when every
 * artifact it read checked at close does restore_target_commit() move the
 * result into place: the staging directory renamed onto a new TO, or its
 * entries moved into an empty existing TO.  On failure
 * restore_target_discard() removes the staging directory and TO is as it was.
 *
 * What it does not do: read artifacts (reader.h) or set the restored root's
 * metadata (the kind does, after the commit).
 */
#ifndef LIFEBOAT_RESTORE_TARGET_H
#define LIFEBOAT_RESTORE_TARGET_H

#include <stdbool.h>
#include <stddef.h>

struct restore_target {
	const char *to;			/* the target directory, as given; borrowed */
	bool exists;			/* TO is an existing empty directory */
	char staging[4096];		/* the staging directory, "" when none */
};

/* Checks TO: it must not exist (and its parent must be a writable
 * directory), or be an empty writable directory (not a symlink to one).
 * Returns 0, -EEXIST (not empty), -ENOTDIR (a file, a symlink), -EACCES or
 * another negative errno, logged naming TO. */
int restore_target_check(struct restore_target *t, const char *to);

/* Makes the staging directory beside T->to (after a successful check).
 * Returns 0 or a negative errno, logged. */
int restore_target_stage(struct restore_target *t);

/* Moves the staging directory's content into T->to (see above) and removes
 * the staging directory.  Returns 0 or a negative errno, logged. */
int restore_target_commit(struct restore_target *t);

/* Removes the staging directory and all in it, if any. */
void restore_target_discard(struct restore_target *t);

#endif

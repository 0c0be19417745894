/*
 * fsowner — when a command runs as root on the daemon's files, create them
 * as the daemon's user.
 *
 * The store and the state dir belong to the daemon's user (lifeboat).  A
 * `sudo lifeboat prune` or `run --here` would otherwise leave root-owned
 * files there that lifeboatd then cannot change.  fsowner_adopt() sets the
 * calling thread's filesystem uid and gid (setfsuid(2), setfsgid(2)) to the
 * owner of a directory: every file and directory created from then on, by
 * this thread and by every thread it starts later, belongs to that user
 * and group.  The process stays root otherwise: it keeps the capabilities
 * that the change of filesystem uid takes from the effective set
 * (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_CHOWN, ...) by
 * raising them again, so it still reads any web root or log and can open the
 * files an earlier root run left.
 *
 * Call it before any thread is started (filesystem ids and capabilities are
 * per thread, and a new thread copies its creator's).  It does nothing when
 * not root, or when the directory is root's or does not exist.  It does not
 * change the owner of files that exist already, and it is not for commands
 * that must create files of other owners (a restore sets each file's owner
 * itself).
 */
#ifndef LIFEBOAT_FSOWNER_H
#define LIFEBOAT_FSOWNER_H

#include <stdbool.h>
#include <sys/types.h>

/* Adopts the owner of DIR as described above.  Returns 1 when it did (the
 * owner in *UID and *GID when not NULL), 0 when there was nothing to do,
 * or a negative errno (logged, naming DIR). */
int fsowner_adopt(const char *dir, uid_t *uid, gid_t *gid);

/* The owner of DIR into UID and GID: 0, -ENOENT when it does not exist, or a
 * negative errno.  Symlinks are followed (a store may be one). */
int fsowner_of(const char *dir, uid_t *uid, gid_t *gid);

#endif

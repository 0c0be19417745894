/*
 * fsutil — the small file-system primitives every durable write needs:
 * directories created 0700 all the way down, fsync of a file and of the
 * directory that names it, full writes that survive EINTR and short writes,
 * and whole-file atomic replacement (temp + fsync + rename + dir fsync).
 *
 * All functions return 0 or a negative errno and log nothing: the caller
 * knows which backup or file the path belongs to and says so.
 */
#ifndef LIFEBOAT_FSUTIL_H
#define LIFEBOAT_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p with MODE for every directory it creates (existing ones untouched). */
int fs_mkdirs(const char *path, mode_t mode);

/* write(2) until all LEN bytes are out. */
int fs_write_all(int fd, const void *buf, size_t len);

/* Opens the directory DIR and fsyncs it. */
int fs_fsync_dir(const char *dir);

/* Atomically replaces PATH with DATA: writes "PATH.tmp-PID", fsyncs it, renames
 * over PATH and fsyncs the parent directory.  The file gets MODE. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Reads the whole file into a malloc'd NUL-terminated buffer the caller frees.
 * Refuses files over MAX bytes with -EFBIG. */
int fs_read_all(const char *path, size_t max, char **out, size_t *len);

/* Directory part of PATH copied into BUF (BUFLEN bytes); "." when there is none. */
int fs_dirname(const char *path, char *buf, size_t buflen);

/* Removes NAME (relative to the directory PARENT, or AT_FDCWD) and, when it
 * is a directory, everything below it, never following a symlink; read-only
 * directories are made writable first (a restored tree may have them).
 * Returns 0, or -1 with errno set when something stayed. */
int fs_remove_tree(int parent, const char *name);

#endif

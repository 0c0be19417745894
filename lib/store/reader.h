/*
 * reader — the one way to read an artifact back: open it by its record's
 * role, read it while hashing, and learn at close whether it is what the
 * record says.
 *
 * An artifact is opened through record.h (its name checked: a plain
 * "backup-DD-NN.EXT" of the backup, so the path stays inside the job's
 * directory), never through a symlink, and must be a regular file.  Every
 * byte handed out is hashed (SHA-256 over the stored, compressed bytes) and
 * counted.  reader_close() reads what the caller left (a tar's end padding,
 * a zstd epilogue, or all of it after an early stop), then compares the
 * count and the hash with the record: a mismatch is -EBADMSG with one log
 * line naming the artifact's path and both values.
 *
 * On top of the plain read: reader_archive() hands libarchive a tar.zst
 * through a read callback, and reader_zstd() decompresses a .zst (a dump, an
 * index) into a callback.  Restores and verify read through these and have
 * no reader of their own.
 *
 * What it does not do: decide what a mismatch means for a restore (the
 * caller throws its output away), check a tar's entries, or read anything
 * outside a store except through reader_open_path() (an index being
 * written, a test's file).  One reader is one thread's.
 */
#ifndef LIFEBOAT_READER_H
#define LIFEBOAT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "record.h"
#include "sha256.h"
#include "store.h"

struct archive;

#define READER_QUIET 1u			/* failures go to reader_why() only, not the log */

struct reader {
	int fd;
	unsigned flags;			/* READER_* */
	char path[4096];		/* the artifact's path */
	char want[SHA256_HEX_LEN + 1];	/* the record's SHA-256, "" when not checked */
	uint64_t want_size;		/* the record's size, UINT64_MAX when not checked */
	uint64_t bytes;			/* bytes read from the file so far */
	char hex[SHA256_HEX_LEN + 1];	/* the hash of what was read, after reader_close() */
	char why[4352];			/* the last failure, one line (what was logged) */
	struct sha256 h;
	bool hashing;			/* H holds a running hash */
	bool closed;			/* reader_close() ran; its result is in RESULT */
	int result;
	int err;			/* a read error (positive errno), kept for close */
	unsigned char *buf;		/* for reader_archive()'s callback; owned */
};

/* Opens the artifact of committed backup E with ROLE for reading.  Returns
 * 0 and *OUT (free with reader_free()), or -ENOENT (missing), -EINVAL (the
 * record names no such artifact or a bad one, a symlink, not a regular
 * file), -ENOMEM or another negative errno; the reason is logged (unless
 * READER_QUIET) and, when *OUT could be made, nowhere else. */
int reader_open(struct store *st, const struct store_entry *e, enum record_role role, unsigned flags,
		struct reader **out, char *why, size_t whylen);

/* The same for a file outside the record's care: PATH, checked against
 * SHA256 (NULL: not checked) and SIZE (UINT64_MAX: not checked). */
int reader_open_path(const char *path, const char *sha256, uint64_t size, unsigned flags,
		     struct reader **out, char *why, size_t whylen);

/* Reads up to LEN bytes into BUF, hashing them: their number, 0 at the end,
 * or a negative errno (logged; reader_close() then fails with it too). */
ssize_t reader_read(struct reader *r, void *buf, size_t len);

/* Reads the rest, finishes the hash and compares size and hash with the
 * record.  Returns 0, -EBADMSG (a mismatch: logged with the path and both
 * values, unless READER_QUIET), or the read error.  A second call returns
 * the first one's result. */
int reader_close(struct reader *r);

/* Back to the start of the same open file (what was checked is what is read
 * again, even if the name is removed meanwhile), hashing and counting anew.
 * Returns 0 or a negative errno. */
int reader_rewind(struct reader *r);

/* Frees R (closed or not: an unclosed reader is not checked). */
void reader_free(struct reader *r);

/* Streams R as a tar.zst: *OUT is a libarchive reader on it (zstd, tar,
 * binary names), freed by the caller with archive_read_free() before
 * reader_free().  Returns 0, -ENOMEM, or -EBADMSG when libarchive does not
 * take the start of it (the reason in reader's why; not logged: a hash
 * mismatch found by reader_close() is the likelier news). */
int reader_archive(struct reader *r, struct archive **out);

/* Decompresses R (a .zst) to its end, handing each piece to FN.  Returns 0,
 * FN's first non-zero return, -EBADMSG (not zstd, or truncated: in why, not
 * logged, as above), -ENOMEM or a read error. */
typedef int (*reader_fn)(void *ctx, const void *buf, size_t len);
int reader_zstd(struct reader *r, reader_fn fn, void *ctx);

#endif

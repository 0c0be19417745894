/*
 * fileindex — the index of a files backup: one line per path of the tree at
 * the time of the backup, saying what it was and which backup holds its
 * content.  It is what makes a snapshot incremental (a file whose size,
 * mtime, ctime, inode and mode match its parent's line is not read again),
 * what restore follows to pull content from a chain, and what verify checks.
 *
 * On disk it is the artifact "index.zst": zstd-compressed text, readable with
 * zstdcat.  The first line is a header, then one line per entry, fields
 * separated by tabs (README.md, "The index"):
 *
 *   lifeboat-index 1 <TAB> BACKUP-ID <TAB> PARENT-ID or -
 *   TYPE MODE UID GID SIZE MTIME CTIME INODE SHA256 FROM FLAGS PATH
 *
 * TYPE is f d l p c b, or "-" for a path removed since the parent (the other
 * fields then "-").  MODE is the octal permission bits, MTIME and CTIME are
 * SECONDS.NANOSECONDS, SHA256 is the content's hash (files only, else "-"),
 * FROM the backup whose tar holds the content ("-" when none does: an
 * unreadable file), FLAGS "-" or a comma list of "changed" (changed while
 * read, stored as read) and "error" (could not be read).  PATH is relative
 * to the job's path ("." is the root) and escaped so a line stays a line:
 * backslash, control bytes and bytes that are not UTF-8 are written \\ \t \n
 * or \xHH, which `printf '%b'` turns back into the name.
 *
 * In memory a parsed index is a hash table of compact entries (about 100
 * bytes plus the path per file), so a parent index of a large tree fits in a
 * few MiB.  This module does not walk trees or write tars (snapshot.*).
 */
#ifndef LIFEBOAT_FILEINDEX_H
#define LIFEBOAT_FILEINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FILEINDEX_MAGIC "lifeboat-index 1"
#define FILEINDEX_MAX_FROM 255		/* distinct FROM ids one index may name */

enum {
	FI_CHANGED = 1,			/* changed while read; stored as read */
	FI_ERROR = 2,			/* could not be read; no content */
};

/* One line of an index. */
struct fi_entry {
	char type;			/* 'f' 'd' 'l' 'p' 'c' 'b', or '-' removed */
	uint8_t flags;			/* FI_* */
	uint8_t from;			/* index into the from table, 0 = none */
	bool seen;			/* set by the snapshot that compares with it */
	bool has_sha;
	uint32_t mode;			/* permission bits (07777) */
	uint32_t uid, gid;
	uint64_t size;			/* bytes (a symlink: its target's length) */
	int64_t mtime_s, ctime_s;
	int32_t mtime_ns, ctime_ns;
	uint64_t ino;
	uint8_t sha[32];		/* content SHA-256, when has_sha */
	const char *path;		/* relative path, unescaped; in the index's arena */
};

/* A parsed index: the entries, a hash table on their paths, and the backup
 * ids they name. */
struct fileindex {
	char id[32];			/* the backup this index belongs to */
	char parent[32];		/* its parent, or "" */
	struct fi_entry *v;		/* entries in file order */
	size_t n, cap;
	uint32_t *slots;		/* open addressing: entry index + 1, 0 = empty */
	size_t nslots;
	char *from[FILEINDEX_MAX_FROM + 1];	/* [0] unused; owned */
	size_t nfrom;
	struct fi_arena *arena;		/* path storage, owned */
};

void fileindex_init(struct fileindex *fi);
void fileindex_free(struct fileindex *fi);

/* Reads the zstd-compressed index at PATH into FI (initialised).  Returns 0
 * or a negative errno, logged with PATH and line.  When SHA256_HEX is not
 * NULL it receives the hash of the compressed file as read. */
int fileindex_load(struct fileindex *fi, const char *path, char sha256_hex[65]);

/* Reads the index from RD (reader.h) to its end, not closing it: the caller
 * calls reader_close() to learn whether it was what the record says.
 * Returns 0 or a negative errno (-EINVAL: not an index), logged. */
struct reader;
int fileindex_read(struct fileindex *fi, struct reader *rd);

/* Adds an entry (copying E and its path); the from id is given as text.
 * Returns 0 or -ENOMEM / -E2BIG (too many from ids). */
int fileindex_add(struct fileindex *fi, const struct fi_entry *e, const char *from_id);

/* The entry for PATH, or NULL. */
struct fi_entry *fileindex_find(const struct fileindex *fi, const char *path);

/* The id text of an entry's FROM, or NULL when none. */
const char *fileindex_from(const struct fileindex *fi, const struct fi_entry *e);

/* Formats the header line / one entry line (with '\n') into a malloc'd
 * string the caller frees.  FROM_ID may be NULL.  NULL on ENOMEM. */
char *fileindex_header_line(const char *id, const char *parent);
char *fileindex_entry_line(const struct fi_entry *e, const char *from_id);

/* Parses one line (without '\n') into E, setting *PATH_OUT to a malloc'd
 * unescaped path and *FROM_OUT to a malloc'd from id or NULL.  Returns 0 or
 * -EINVAL. */
int fileindex_parse_line(const char *line, struct fi_entry *e, char **path_out, char **from_out);

/* Path escaping: ESC/UNESC return malloc'd strings (NULL on ENOMEM, or on a
 * bad escape for unescape). */
char *fileindex_escape(const char *path);
char *fileindex_unescape(const char *text);

/* The index type letter of an st_mode, or 0 for a socket or unknown type. */
char fileindex_type_of(mode_t mode);

/* E (zeroed first) from ST, as the index records it, with path PATH (not
 * copied; may be NULL).  No hash. */
struct stat;
void fileindex_entry_from_stat(struct fi_entry *e, const struct stat *st, const char *path);

#endif

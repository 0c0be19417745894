/*
 * verify — checks that a backup in the store is everything its restore will
 * rely on, for every kind:
 *
 *   - the record: a known kind, an "artifacts" array naming exactly the
 *     artifacts that kind needs (one table, verify_kind_artifacts()), each
 *     as "backup-DD-NN.EXT" beside the record, with a 64-digit SHA-256 and a
 *     size.  A record that names anything else (a "/", "..", another
 *     backup's file) is reported and nothing it names is opened;
 *   - the .sha256 file beside the record: it exists, every line is a
 *     `sha256sum -c` line naming one artifact of the record with the
 *     record's hash, and every artifact has its line (so `sha256sum -c`
 *     from the backup's directory checks exactly what verify checks);
 *   - every artifact re-hashed against the record, read once: a files
 *     backup's tar.zst is compared with its index.zst entry by entry while
 *     it is hashed (every path the index says this backup holds is in the
 *     tar with the index's type, size and content hash; the tar holds no
 *     path the index does not give to this backup, none outside the tree;
 *     every path's parent is a directory of the index), and a logs backup's
 *     tar.zst with the segments its record lists (each once, with its
 *     length, nothing else);
 *   - for a files backup, that its chain is whole and every index entry's
 *     content is held by the member the index names (verify_files_content).
 *
 * Each problem is one line naming the artifact and what disagrees.  This
 * module does not repair or delete anything, and does not check a logs
 * segment's prefix hash (that spans the chain: the logs job re-checks it).
 */
#ifndef LIFEBOAT_VERIFY_H
#define LIFEBOAT_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define VERIFY_MAX_LINES 8		/* problems kept per backup; the rest counted */
#define VERIFY_LINE_MAX 1200

/* What is wrong with one backup: up to VERIFY_MAX_LINES lines, in the order
 * found, each without a newline; DROPPED counts those past the limit. */
struct verify_report {
	char lines[VERIFY_MAX_LINES][VERIFY_LINE_MAX];
	size_t n;			/* lines held */
	size_t dropped;			/* problems found past the limit */
};

/* The artifact extensions a backup of KIND must have ("sql.zst", ...),
 * NULL-terminated; NULL for an unknown kind.  The one place that knows. */
const char *const *verify_kind_artifacts(const char *kind);

/* Checks backup E of the store whole: record, .sha256 file, every artifact
 * hashed and (files, logs) compared with its index or segments as it is
 * read.  Not the chain (verify_files_content).  Problems go to REP (which
 * this initialises); *BYTES gets the bytes read.  Returns 0 when good,
 * -EINVAL when REP holds problems, or -ENOMEM (also in REP). */
int verify_backup(struct store *st, const struct store_entry *e, struct verify_report *rep,
		  uint64_t *bytes);

/* For a files backup E: its chain loads (members and artifacts present),
 * and every index entry's content is held by the member its FROM names.
 * Does not re-hash (verify_backup does, per member).  Returns 0 or a
 * negative errno with WHY filled. */
int verify_files_content(struct store *st, const struct store_entry *e, char *why, size_t whylen);

#endif

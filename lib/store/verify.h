/*
 * verify — checks that a backup in the store is everything its restore will
 * rely on, for every kind:
 *
 *   - the record: a known kind, an "artifacts" array naming exactly the
 *     artifacts that kind needs (its layout, kind_layout.h), each
 *     as "backup-DD-NN.EXT" beside the record, with a 64-digit SHA-256 and a
 *     size.  A record that names anything else (a "/", "..", another
 *     backup's file) is reported and nothing it names is opened;
 *   - the .sha256 file beside the record: it exists, every line is a
 *     `sha256sum -c` line naming one artifact of the record with the
 *     record's hash, and every artifact has its line (so `sha256sum -c`
 *     from the backup's directory checks exactly what verify checks);
 *   - every artifact re-hashed against the record, read once, and checked
 *     by its kind's content check while it is read when the kind's layout
 *     has one (the files kind compares its tar.zst with its index.zst entry
 *     by entry, lib/files/files_verify.c; the logs kind its tar.zst with the
 *     record's segments, lib/logs/logs_verify.c; verify_kind.h is what they
 *     get from here).
 *
 * A kind's check across its chain (the files kind's: every index entry's
 * content is held by the member the index names) is its ops.verify
 * (jobkind.h), which the verify command calls after verify_backup().
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

/* Checks backup E of the store whole: record, .sha256 file, every artifact
 * hashed and (files, logs) compared with its index or segments as it is
 * read.  Not the chain (the kind's ops.verify).  Problems go to REP (which
 * this initialises); *BYTES gets the bytes read.  Returns 0 when good,
 * -EINVAL when REP holds problems, or -ENOMEM (also in REP). */
int verify_backup(struct store *st, const struct store_entry *e, struct verify_report *rep,
		  uint64_t *bytes);

#endif

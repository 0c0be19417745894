/*
 * drill_int — what the drill_*.c files share and nothing else: one backup
 * job's drill (struct drill_one), the per-kind comparisons, the scratch
 * names and the record's per-job entry.
 */
#ifndef LIFEBOAT_DRILL_INT_H
#define LIFEBOAT_DRILL_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "config.h"
#include "jobkind.h"
#include "store.h"

#define DRILL_PREFIX "lifeboat_drill_"	/* every scratch name starts so, and nothing else of ours */
#define DRILL_DIFF_MAX 1024

/* One backup job's drill. */
struct drill_one {
	struct jobkind *k;		/* the drill's run: throttle, cancel, progress */
	const struct job *job;		/* the backup job drilled (a copy with restore_host set) */
	struct store_entry e;		/* its newest good backup */
	char scratch[PATH_MAX];		/* DIR kinds: <scratch_dir>/lifeboat_drill_<job> */
	char tree[PATH_MAX];		/* DIR kinds: the restore's target, <scratch>/restored */
	char database[65];		/* db: the scratch database */
	json_t *compared;		/* what was compared, filled by the kind's check */
	char diff[DRILL_DIFF_MAX];	/* the first difference found; "" when none */
};

/* Sets D->diff (printf-style) unless a difference was already found, and
 * logs it.  Returns -EBADMSG, for "return drill_differs(...)". */
int drill_differs(struct drill_one *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The per-kind comparison of a restored copy with the record of D->e: 0
 * (D->diff says whether they differ) or a negative errno when it could not
 * compare (logged; D->diff says why). */
int drill_db_compare(struct drill_one *d);
int drill_files_compare(struct drill_one *d);
int drill_logs_compare(struct drill_one *d);

/* The scratch database's name for JOB: lifeboat_drill_<job>, shortened with
 * a hash when too long for a database name.  OUT has 65 bytes. */
void drill_db_name(const char *job, char out[65]);
/* Drops D->database on D->job's restore server when it exists (only ever a
 * lifeboat_drill_ name).  0, or a negative errno (logged). */
int drill_db_drop(const struct drill_one *d);

/* Removes every leftover lifeboat_drill_* entry of SCRATCH_DIR (creating it
 * 0700 when missing).  0, or a negative errno (logged). */
int drill_scratch_clean(const char *scratch_dir, const char *drill);

/* The state file of backup job JOB updated with ENTRY (its drill result). */
int drill_state_update(const char *state_dir, const char *job, const json_t *entry);

#endif

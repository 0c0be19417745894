/*
 * watch_baseline — which files backup a watch job trusts, and its index.
 *
 * The baseline is a backup of the watch job's files job, pinned there with
 * the reason "baseline" (so retention keeps it).  The watch job's state file
 * <state_dir>/watch/<job>/baseline.json says which one and how it was set:
 * "marked" (`lifeboat baseline JOB ID`), "accepted" (`--accept`: a new full
 * snapshot of the current tree) or "chosen automatically" (no baseline yet:
 * the first check takes the files job's newest good backup, pins it and
 * keeps it — a newer backup could already hold an intruder's change, so the
 * baseline never moves by itself).  Setting a new baseline unpins the old
 * one (when its pin is still the "baseline" pin).
 *
 * This module does not compare (watch_compare.h) nor take snapshots; it
 * does make the originals' index a baseline (watch_baseline_index).
 */
#ifndef LIFEBOAT_WATCH_BASELINE_H
#define LIFEBOAT_WATCH_BASELINE_H

#include <stdbool.h>

#include "config.h"
#include "fileindex.h"
#include "store.h"
#include "timefmt.h"

#define WATCH_PIN_REASON "baseline"

struct watch_baseline {
	char id[STORE_ID_MAX];
	char how[32];			/* "marked", "accepted", "chosen automatically" */
	char set[TIMEFMT_RFC3339_LEN];	/* when */
};

/* The baseline of watch job W.  With none set and CHOOSE, the files job's
 * newest good backup becomes it (pinned, recorded).  Returns 0, -ENOENT
 * (none, and none to choose: the files job has no good backup; logged when
 * CHOOSE), or a negative errno (logged).  With ST NULL only the state
 * file is read. */
int watch_baseline_get(const struct config *cfg, struct store *st, const struct job *w, bool choose,
		       struct watch_baseline *out);

/* Makes backup ID (an id or "latest") of W's files job the baseline, HOW
 * saying how; pins it and unpins the previous one.  0 or a negative errno
 * (logged).  OUT (may be NULL) gets the baseline. */
int watch_baseline_set(const struct config *cfg, struct store *st, const struct job *w, const char *id,
		       const char *how, struct watch_baseline *out);

/* Loads the index of backup ID of files job JOB, checked against its
 * record.  0 or a negative errno (logged). */
int watch_index_load(struct store *st, const char *job, const char *id, struct fileindex *fi);

/* The tree watch job W watches, with its walk rules (the files job's, or
 * PATH's with W's excludes in originals mode), into O (zeroed first).
 * -ENOENT when the files job is not in CFG (logged). */
struct wc_tree_opts;
int watch_tree_of(const struct config *cfg, const struct job *w, struct wc_tree_opts *o);

/* The baseline of watch job W and its index into FI (initialised): a
 * files backup's (watch_baseline_get(), CHOOSE as there, but with CHOOSE
 * false nothing is written: only the state file is read), or, for a job
 * with originals, an index made now of the originals tree, with LIVE's walk
 * rules.  0, -ENOENT (no baseline) or a negative errno (logged). */
int watch_baseline_index(const struct config *cfg, struct store *st, const struct job *w, bool choose,
			 const struct wc_tree_opts *live, struct watch_baseline *b, struct fileindex *fi);

/* The first watch job of CFG that watches files job FILES_JOB, or NULL. */
const struct job *watch_job_of(const struct config *cfg, const char *files_job);

/* <state_dir>/watch/<job>, created (0750) when MAKE. */
int watch_state_dir(const char *state_dir, const char *job, bool make, char *buf, size_t len);

#endif

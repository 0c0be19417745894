/*
 * retention — which backups of a job to keep, which to remove, and why.
 *
 * A pure function from (the job's backups, the policy, now) to a plan: for
 * every backup, keep or remove, with every reason.  `lifeboat prune` prints
 * the plan and applies it; this module only decides.
 *
 * The rules are restic's `forget` policy (DESIGN.md "Retention"), counting
 * only good backups (result "ok"):
 *   keep_last N      the N newest good backups              "keep: last K/N"
 *   keep_hourly N    for each of the N most recent local hours, days, ISO
 *   keep_daily N     weeks, months or years that HAVE a good backup, the
 *   keep_weekly N    newest good backup in it               "keep: daily 2026-11-24"
 *   keep_monthly N   (labels "2026-11-24 13h", "2026-11-24", "2026-W48",
 *   keep_yearly N     "2026-11", "2026"; weeks are ISO 8601 week-years)
 *   keep_within D    every good backup taken less than D seconds before the
 *                    newest good backup (not before now: restic's meaning,
 *                    so a job that stopped working keeps its history)
 *                                                            "keep: within 30d"
 * Each rule is applied on its own; a backup kept by several gets every reason.
 *
 * Whatever the policy, these are never removed:
 *   - the newest good backup                       "keep: newest good backup"
 *   - a pinned backup                              "keep: pinned"
 *   - any backup that a kept backup depends on through its parent chain
 *     (transitively), naming the nearest kept dependent: its oldest kept
 *     direct child        "keep: needed by 2026/11/backup-25-02 (incremental)"
 *   - a backup that is not good but is newer than the newest good one (the
 *     failed runs since things went wrong) "keep: newer than the last good backup";
 *     when there is no good backup at all, every backup is kept
 *                                                 "keep: no good backup yet"
 * Anything else is removed: "remove: not a good backup" for failed or partial
 * runs, "remove: outside policy" for good ones.
 *
 * Failed or partial backups never count toward a rule and never occupy a
 * bucket, so a string of failures never pushes a good backup out.
 *
 * Periods are taken in local time (TZ; retention_plan calls tzset()).  Across
 * DST changes: a bucket is a wall-clock label, so on a fall-back night the two
 * 02:30s (CEST, then CET) are in the same hour bucket "02h" and only the later
 * one is kept by keep_hourly (as restic does); the spring-forward day simply
 * has no "02h" bucket and, having none, it does not count.  Days, weeks,
 * months and years are unaffected.  keep_within counts real seconds.
 *
 * Ties (same time) are ordered by id (store_id_compare), so that plans are
 * deterministic whatever the order of the input.
 *
 * What this module does not do: read the store, check that a parent chain is
 * complete (an item whose parent is not in the list is decided like any other:
 * the store layer checks chains), delete anything, or refuse a policy (config
 * does, with retention_keeps_nothing()).
 */
#ifndef LIFEBOAT_RETENTION_H
#define LIFEBOAT_RETENTION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"		/* struct retention */

struct retention_item {
	const char *id;		/* backup id, "YYYY/MM/backup-DD-NN" */
	time_t time;		/* when the backup was taken (its start) */
	bool good;		/* result "ok": only good backups count toward a rule */
	bool pinned;		/* kept forever (evidence) */
	const char *parent;	/* id of the backup this one needs (incremental), or NULL */
};

enum retention_action { RETENTION_KEEP, RETENTION_REMOVE };

#define RETENTION_REASONS_MAX 512
struct retention_decision {
	enum retention_action action;		/* what prune does with the backup */
	char reasons[RETENTION_REASONS_MAX];	/* "; "-separated, e.g. "keep: last 2/3; keep: daily 2026-11-24" or "remove: outside policy" */
};

/*
 * Decides, for each of the N items (in any order), keep or remove, with its
 * reasons, in OUT[i] for ITEMS[i].  Periods are in local time (TZ).  NOW is
 * accepted for the callers' sake but changes nothing: backups in the future
 * are treated like any other.
 *
 * Returns 0; -EINVAL when POLICY is NULL or has a negative value, when ITEMS or
 * OUT is NULL with N > 0, when an id is missing, malformed or repeated, or when
 * a time has no local-time representation (OUT is then not written); -ENOMEM.
 * A parent that is not in the list (or is not an id) is not an error.
 */
int retention_plan(const struct retention_item *items, size_t n, const struct retention *policy,
		   time_t now, struct retention_decision *out);

/* True when the policy keeps nothing (no rule above 0; also for NULL): config
 * refuses such a policy. */
bool retention_keeps_nothing(const struct retention *policy);

#endif

/*
 * when — "WHEN did this occur?": the time window of each change, from what
 * the store already holds, and the requests and logins inside it.
 *
 *   when_files.c   a path's history over a files job's snapshots (indexes
 *                  only): one change per pair of consecutive snapshots in
 *                  which it differs, its window, narrowed by the new
 *                  version's ctime, and timestomping (an mtime set back
 *                  before the window)
 *   when_logs.c    the archived logs of the logs jobs (never the live ones):
 *                  requests for the changed files' URLs, POSTs to scripts and
 *                  logins inside the windows, the later fetches of a new file
 *                  and what those clients did inside the window; tamper
 *                  alerts covering a window
 *   when_db.c      per table of a db job, the first dump in which its row
 *                  count or checksum differs from the dump before (records
 *                  only), and the tables that differ between two dumps
 *   when_out.c     the timeline: text for people, JSON, and the Sleuth Kit
 *                  body file of the changed files' versions
 *
 * Every string from the site (paths, request lines, user names) is kept as
 * data: the timeline escapes control bytes before a terminal sees them.
 */
#ifndef LIFEBOAT_WHEN_H
#define LIFEBOAT_WHEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "fileindex.h"
#include "store.h"

/* ---- the timeline -------------------------------------------------------- */

struct when_event {
	time_t t;
	char *kind;		/* "snapshot", "change", "ctime", "request", "login", "note", ... */
	char *source;		/* where it comes from: a backup id, "FILE line N" */
	char *text;		/* one line for a person */
	size_t seq;		/* insertion order, to keep ties stable */
};

struct when_timeline {
	struct when_event *v;
	size_t n, cap;
	json_t *notes;		/* array of strings: what a reader must know (no time) */
};

int when_event_add(struct when_timeline *tl, time_t t, const char *kind, const char *source,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int when_note(struct when_timeline *tl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void when_timeline_sort(struct when_timeline *tl);
void when_timeline_free(struct when_timeline *tl);

/* ---- files --------------------------------------------------------------- */

/* One snapshot's view of one path. */
struct when_version {
	size_t snap;		/* index into when_history.snaps */
	bool present;
	struct fi_entry e;	/* e.path not set */
};

enum {
	WH_APPEARED = 1, WH_VANISHED = 2, WH_CONTENT = 4, WH_SIZE = 8, WH_MODE = 16,
	WH_OWNER = 32, WH_TYPE = 64, WH_MTIME = 128, WH_CTIME = 256,
};

struct when_change {
	const char *path;	/* borrowed from the request */
	size_t before, after;	/* snapshot indexes: as before in BEFORE, changed in AFTER */
	unsigned what;		/* WH_* */
	struct fi_entry old, new;	/* old only when present before, new only when present after */
	time_t from, to;	/* the window: BEFORE finished, AFTER started */
	bool narrowed;		/* the new ctime falls inside the window */
	time_t at;		/* then: the ctime, the latest moment of the change */
	bool timestomped;	/* the new mtime lies before the window (content changed or new) */
};

struct when_snap {
	char id[STORE_ID_MAX];
	time_t started, finished;
};

struct when_history {
	struct when_snap *snaps;	/* chronological: good and partial snapshots */
	size_t nsnaps;
	struct when_change *changes;
	size_t nchanges;
	/* Per path (as requested), its version in each snapshot: versions[p * nsnaps + s]. */
	struct when_version *versions;
	size_t npaths;
	uint64_t index_bytes;		/* compressed index bytes read */
};

/* Reads JOB's snapshots' indexes once each and finds, for each of the NPATHS
 * PATHS (relative to the job's tree), every change between consecutive
 * snapshots.  Returns 0, or a negative errno with WHY set. */
int when_files_history(struct store *st, const struct job *job, const char *const *paths,
		       size_t npaths, struct when_history *h, char *why, size_t whylen);
void when_history_free(struct when_history *h);

/* Adds the snapshots around each change, the changes and their narrowing
 * to TL. */
int when_files_events(const struct when_history *h, const char *const *paths, struct when_timeline *tl);

/* The URL path of PATH under the files job JOB: url_path (default "/") + PATH. */
int when_url_of(const struct job *job, const char *path, char *buf, size_t len);

/* ---- logs ---------------------------------------------------------------- */

struct when_window {
	time_t from, to;
	char url[4096];		/* the changed file's URL path */
	bool appeared;		/* a new file: whoever fetched it later is of interest */
};

struct when_logs_stats {
	uint64_t lines, unknown, files;
};

/* Reads the archived logs of every logs job of CFG (each job's newest good
 * backup, rebuilt in a private temporary directory and removed after) once,
 * adding to TL what falls in the NW windows.  NOW is for syslog stamps
 * without a year. */
int when_logs_scan(const struct config *cfg, struct store *st, const struct when_window *w, size_t nw,
		   time_t now, struct when_timeline *tl, struct when_logs_stats *stats,
		   char *why, size_t whylen);

/* ---- db ------------------------------------------------------------------ */

/* For JOB's dumps (records only), each change of a table's row count or
 * checksum between consecutive good dumps, as events and with JSON detail
 * in TL; only TABLES ("db.table" or "table") when NTABLES > 0. */
int when_db_history(struct store *st, const struct job *job, const char *const *tables, size_t ntables,
		    struct when_timeline *tl, char *why, size_t whylen);

/* The tables whose row count or checksum differ between dumps ID1 and ID2
 * of JOB, as a JSON array of {table, what, before, after} in *OUT. */
int when_db_diff(struct store *st, const struct job *job, const char *id1, const char *id2, json_t **out,
		 char *why, size_t whylen);

/* ---- output -------------------------------------------------------------- */

void when_print_text(const struct when_timeline *tl, FILE *out);
json_t *when_timeline_json(const struct when_timeline *tl);
/* Writes the body file of every version of the history's paths that differs
 * from the one before it (and the first), named "PATH (BACKUP-ID)". */
int when_write_bodyfile(const struct when_history *h, const char *const *paths, FILE *out);

/* Copies TEXT with control bytes, backslash and '|' (when BAR) escaped. */
char *when_escape(const char *text, bool bar);

#endif

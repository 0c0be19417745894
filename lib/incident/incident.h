/*
 * incident — `lifeboat incident`: evidence first, a journal of every step,
 * a clean site second (the two guides in the project's seeds).
 *
 * An incident is a directory <store>/incidents/<UTC-stamp>/ (0700) holding:
 *
 *   journal.txt            append-only, one fsynced line per step (journal.c)
 *   incident.json          what the incident is: stamp, opened, capture state,
 *                          closed (rewritten atomically; dir.c)
 *   hook-on_incident.txt   the on_incident hook's output (hook.c)
 *   files-JOB.tar.zst      per files job: a FULL snapshot, hidden files
 *   files-JOB.index.zst    included, its index (files.c)
 *   db-JOB.sql.zst         per db job: a dump (db.c)
 *   logs-JOB.tar.zst       per logs job: every matched log and its rotated,
 *   logs-JOB.archived.json compressed siblings, whole; the archived log
 *                          backups of earlier periods (logs.c)
 *   changes.json           each watch job's findings against its baseline,
 *                          else the files snapshot against the newest good
 *                          backup, with watch's risk flags (changes.c)
 *   status.json            every job's last good backup as it stood
 *   facts.json             the server's facts (lib/facts)
 *   MANIFEST.sha256        `sha256sum -c` lines over all of the above
 *                          (manifest.c); its presence marks the evidence whole
 *   replaced/JOB/          a live tree moved aside by `restore --replace`
 *
 * Every evidence file is written under ".NAME.part" and renamed when whole
 * (evfile.c), so a kill -9 never leaves a half-written file under its final
 * name; the next `incident open` / `incident resume` removes the parts and
 * captures what is missing.  The open incident is named by the marker file
 * <state_dir>/incident-open (its stamp), which the daemon reads before a
 * scheduled run and `status` shows.
 *
 * This header is the family's: the CLI (daemon/cmd_incident.c,
 * daemon/cmd_restore.c) and the incident_*.c files use it.
 */
#ifndef LIFEBOAT_INCIDENT_H
#define LIFEBOAT_INCIDENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "sha256.h"
#include "store.h"

#define INCIDENT_DIR "incidents"		/* under the store root; never a job */
#define INCIDENT_MARKER "incident-open"		/* in the state dir: the open incident's stamp */
#define INCIDENT_STAMP_MAX 32
#define INCIDENT_PATH_MAX 4096
#define INCIDENT_FILE_MAX (INCIDENT_PATH_MAX + 300)	/* a file of an incident dir */
#define INCIDENT_MANIFEST "MANIFEST.sha256"
#define INCIDENT_JOURNAL "journal.txt"
#define INCIDENT_STATE "incident.json"

struct incident {
	char stamp[INCIDENT_STAMP_MAX];	/* "20261204T032447Z" */
	char dir[INCIDENT_PATH_MAX];	/* <store>/incidents/<stamp> */
	int dirfd;			/* the directory, O_DIRECTORY; -1 closed */
	int journal_fd;			/* journal.txt, O_APPEND; -1 closed */
	json_t *state;			/* incident.json, owned */
};

/* ---- dir.c: the directory, its state file, the open marker ---------------- */

/* Creates a new incident under CFG's store (the incidents dir 0700 too),
 * its journal and state file, and makes it the open one.  Returns 0 or a
 * negative errno (logged). */
int incident_create(const struct config *cfg, time_t now, struct incident *inc);
/* Opens the incident STAMP (NULL: the open one, -ENOENT when none is open;
 * not logged).  Returns 0 or a negative errno (logged). */
int incident_load(const struct config *cfg, const char *stamp, struct incident *inc);
void incident_free(struct incident *inc);
/* Rewrites incident.json from inc->state.  0 or a negative errno (logged). */
int incident_save(struct incident *inc);
/* The open incident's stamp into BUF, or -ENOENT. */
int incident_open_stamp(const struct config *cfg, char buf[INCIDENT_STAMP_MAX]);
/* Sets (STAMP) or clears (NULL) the open marker.  0 or a negative errno (logged). */
int incident_mark_open(const struct config *cfg, const char *stamp);
/* <store>/incidents into BUF. */
int incident_root(const struct config *cfg, char *buf, size_t len);
/* True when STAMP looks like one of ours (digits, 'T', 'Z', '-'). */
bool incident_stamp_valid(const char *stamp);
/* Takes the incident's capture lock (flock on its directory): -EWOULDBLOCK
 * when another process holds it. */
int incident_lock(struct incident *inc);
/* True when the evidence is complete (MANIFEST.sha256 exists). */
bool incident_evidence_complete(const struct incident *inc);

/* ---- journal.c --------------------------------------------------------------- */

/* Appends one line: UTC, local time with zone, the acting user, WHAT and
 * RESULT (control bytes escaped), and fsyncs it.  0 or a negative errno
 * (logged). */
int incident_journal(struct incident *inc, const char *what, const char *result);
int incident_journalf(struct incident *inc, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* TEXT with control bytes and backslashes escaped (\n, \t, \xHH), malloc'd. */
char *incident_escape(const char *text);

/* ---- evfile.c: one evidence file, written whole or not at all ------------- */

struct evfile {
	struct incident *inc;
	int fd;
	char name[256];			/* final name in the incident dir */
	char part[272];			/* ".NAME.part" */
	struct sha256 h;
	uint64_t bytes;
};

int evfile_open(struct incident *inc, const char *name, struct evfile *ev);
int evfile_write(struct evfile *ev, const void *buf, size_t len);
/* fsyncs, renames to its final name, fsyncs the directory; HEX (may be
 * NULL) gets its SHA-256.  Closes EV whatever happens. */
int evfile_finish(struct evfile *ev, char hex[SHA256_HEX_LEN + 1]);
/* Removes the part file. */
void evfile_abort(struct evfile *ev);
/* A JSON document as one evidence file. */
int evfile_json(struct incident *inc, const char *name, const json_t *j, char hex[SHA256_HEX_LEN + 1]);
/* True when NAME exists (whole) in the incident dir. */
bool evfile_exists(const struct incident *inc, const char *name);
/* Removes every ".*.part" left in the incident dir; the number removed. */
int evfile_clean(struct incident *inc);

/* ---- hook.c ------------------------------------------------------------------- */

/* Runs CMD (a shell command; NULL/empty: nothing) with `sh -c`, for at most
 * CFG's hook_timeout, its output kept as evidence file OUT_NAME, its exit
 * status written to the journal under WHICH.  Returns the exit status, or
 * 0 when there is no hook, or a negative errno (logged). */
int incident_hook(const struct config *cfg, struct incident *inc, const char *which,
		  const char *cmd, const char *out_name);

/* ---- evidence steps (files.c, db.c, logs.c, changes.c, capture.c) --------- */

/* Each writes its evidence file(s), whole, and returns 0 or a negative
 * errno (logged); SUMMARY gets a one-line result for the journal. */
int incident_files(const struct config *cfg, const struct job *job, struct incident *inc,
		   char *summary, size_t len);
int incident_db(const struct config *cfg, const struct job *job, struct incident *inc,
		char *summary, size_t len);
int incident_logs(const struct config *cfg, const struct job *job, struct store *st,
		  struct incident *inc, char *summary, size_t len);
int incident_changes(const struct config *cfg, struct store *st, struct incident *inc,
		     char *summary, size_t len);

/* Captures whatever evidence is missing, journal line per step, then the
 * manifest and the pins.  Returns 0 when the evidence is complete, else a
 * negative errno (the journal says which step failed). */
int incident_capture(const struct config *cfg, struct incident *inc);

/* ---- manifest.c ----------------------------------------------------------------- */

/* True when NAME (a file of the incident dir) is evidence. */
bool incident_is_evidence(const char *name);
/* Writes MANIFEST.sha256 over every evidence file; HEX gets its own hash. */
int incident_manifest_write(struct incident *inc, char hex[SHA256_HEX_LEN + 1]);
/* Re-hashes every file the manifest lists.  0 when all match; -EBADMSG
 * with the first mismatch in WHY; other negative errno. */
int incident_manifest_verify(struct incident *inc, char *why, size_t len);

/* ---- pins.c --------------------------------------------------------------------- */

/* Pins the newest good backup of every job, and every archived backup of
 * the logs jobs, with reason "incident STAMP" (a backup already pinned
 * keeps its pin).  *PINNED counts the new pins.  0 or a negative errno. */
int incident_pin(const struct config *cfg, struct store *st, struct incident *inc, unsigned *pinned);

/* ---- checklist.c ---------------------------------------------------------------- */

struct incident_step {
	const char *key;		/* for `incident done KEY` */
	const char *text;		/* what the guides say */
	bool by_lifeboat;		/* Lifeboat does it; else the user ticks it */
};
extern const struct incident_step incident_steps[];
extern const size_t incident_nsteps;
/* The step KEY, or NULL. */
const struct incident_step *incident_step_find(const char *key);
/* Whether step S is done, from the incident's state and journal. */
bool incident_step_done(const struct incident *inc, const struct incident_step *s);

/* ---- bundle.c ------------------------------------------------------------------- */

/* Writes one tar.zst of the journal, manifest, facts and evidence (no db
 * dump when NO_DB) to OUT (NULL: <incident>/bundle-STAMP.tar.zst) and
 * OUT.sha256 beside it.  PATH_OUT gets the bundle's path. */
int incident_bundle(struct incident *inc, bool no_db, const char *out, char *path_out, size_t len);

/* ---- replace.c: restore --replace ---------------------------------------------- */

/* Puts backup E of JOB in place of the live site (files) or database (db),
 * guarded by the open incident's evidence (or WITHOUT_EVIDENCE, journaled).
 * Prints what it did to OUT.  0 or a negative errno (said). */
int incident_replace(const struct config *cfg, const struct job *job, struct store *st,
		     const struct store_entry *e, bool without_evidence, FILE *out);
/* The backup of JOB to suggest for a clean restore: the newest good backup
 * older than the earliest change in the open incident's changes.json, or
 * the newest good one.  WHY says which.  0 or -ENOENT. */
int incident_suggest(const struct config *cfg, struct store *st, const struct job *job,
		     char id[STORE_ID_MAX], char *why, size_t len);

#endif

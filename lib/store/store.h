/*
 * store — where backups live, and the guarantee that a backup the user can
 * see is a whole backup.
 *
 * Layout (DESIGN.md "The store"):
 *   <root>/<job>/<YYYY>/<MM>/backup-<DD>-<NN>.<ext>    artifact(s)
 *   <root>/<job>/<YYYY>/<MM>/backup-<DD>-<NN>.sha256   `sha256sum -c` lines
 *   <root>/<job>/<YYYY>/<MM>/backup-<DD>-<NN>.json     the record: the commit mark
 * A backup exists if and only if its record exists.  Dates are local time.
 *
 * Writing a backup is a transaction:
 *   store_begin()       reserves the next id for the job: it creates
 *                       ".backup-DD-NN.reserve" with O_EXCL (so two racing runs
 *                       never get the same NN) and holds an flock on it for the
 *                       life of the transaction (so a cleaner can tell a live
 *                       run from a crashed one);
 *   store_artifact_*()  writes each artifact as ".backup-DD-NN.EXT.tmp",
 *                       hashing and counting as it goes, then fsyncs it and
 *                       renames it to its final name;
 *   store_commit()      writes the .sha256 file, then the record (temp, fsync,
 *                       rename, directory fsync) and drops the reservation;
 *   store_abort()       removes everything the transaction wrote.
 * A crash anywhere before the record's rename leaves only files that
 * store_clean() removes and that no listing ever shows.
 *
 * Directories are created 0700 and files 0600: a dump holds password hashes
 * and customer data.  Artifacts are written with direct I/O where the
 * filesystem allows it (outfile.h), else with paced write-back, so a big
 * backup neither stalls the server at flush time nor pushes the site's pages
 * out of memory.
 *
 * What this module does not do: decide what goes into an artifact (the job
 * kinds do), compress (compress.*), or decide what to delete (retention.*).
 */
#ifndef LIFEBOAT_STORE_H
#define LIFEBOAT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "sha256.h"

#define STORE_ID_MAX 32		/* "YYYY/MM/backup-DD-NNN" and NUL, with room */
#define STORE_RECORD_FORMAT 1

struct store;			/* an open store root */
struct store_txn;		/* one backup being written */
struct store_artifact;		/* one artifact file being written */

/* Opens (creating it 0700 if missing) the store at ROOT.  *OUT is owned by the
 * caller and freed with store_close().  Returns 0 or a negative errno (logged). */
int store_open(const char *root, struct store **out);
void store_close(struct store *st);
const char *store_root(const struct store *st);

/* --- ids ------------------------------------------------------------------ */

/* The parts of an id "YYYY/MM/backup-DD-NN". */
struct store_id {
	int year, month, day;	/* local date of the run */
	int seq;		/* NN, from 1 */
};

/* Formats ID into BUF as "YYYY/MM/backup-DD-NN" (NN two digits, three past 99). */
void store_id_format(const struct store_id *id, char buf[STORE_ID_MAX]);
/* Parses "YYYY/MM/backup-DD-NN".  Returns 0 or -EINVAL. */
int store_id_parse(const char *text, struct store_id *id);
/* <0, 0, >0 in chronological order (date, then sequence). */
int store_id_compare(const struct store_id *a, const struct store_id *b);

/* --- writing a backup ------------------------------------------------------ */

/* Reserves the next id of JOB for a run starting at NOW (local date), after
 * removing the job's stale temporary files.  KIND ("db", "files", "logs") is
 * put in the record.  *OUT is owned by the caller until store_commit() or
 * store_abort(), each of which frees it.  Returns 0 or a negative errno (logged). */
int store_begin(struct store *st, const char *job, const char *kind, time_t now,
		struct store_txn **out);
const char *store_txn_id(const struct store_txn *txn);
const struct store_id *store_txn_id_parts(const struct store_txn *txn);
/* The final path of the artifact with extension EXT (for messages). */
int store_txn_artifact_path(const struct store_txn *txn, const char *ext,
			    char *buf, size_t buflen);

/* Creates ".backup-DD-NN.EXT.tmp" (0600, O_EXCL).  The artifact belongs to TXN:
 * it is freed by store_artifact_finish() or by the transaction's end. */
int store_artifact_open(struct store_txn *txn, const char *ext,
			struct store_artifact **out);
/* Writes all of BUF, updating the artifact's SHA-256 and size.  Bytes may be
 * held in a buffer until store_artifact_finish(). */
int store_artifact_write(struct store_artifact *a, const void *buf, size_t len);
/* fsyncs, closes and renames the artifact to its final name.  Its name, size and
 * SHA-256 go into the .sha256 file and the record's "artifacts" array. */
int store_artifact_finish(struct store_artifact *a);
/* The artifact's descriptor, to look at (tests swap it to make writes fail).
 * Never write through it: the artifact holds up to a MiB of its bytes back,
 * to write them with direct I/O (see outfile.h). */
int store_artifact_fd(const struct store_artifact *a);

/* Commits: every open artifact must be finished.  RECORD is the kind-specific
 * record (started, finished, result, sizes, ...); the store adds "format",
 * "job", "kind", "id" and "artifacts" and writes it last.  The transaction is
 * freed whatever the outcome; on failure everything it wrote is removed.
 * RECORD stays the caller's.  Returns 0 or a negative errno (logged). */
int store_commit(struct store_txn *txn, json_t *record);
/* Removes everything the transaction wrote, and frees it. */
void store_abort(struct store_txn *txn);

/* --- reading --------------------------------------------------------------- */

struct store_entry {
	char job[128];
	char id[STORE_ID_MAX];
	struct store_id parts;
	json_t *record;		/* the parsed record, owned by the entry */
	json_t *pin;		/* the .pin file ({"reason", "pinned_at"}), or NULL; owned */
};

struct store_list {
	struct store_entry *v;	/* sorted by job, then chronologically */
	size_t n;
};

/* Lists the committed backups of JOB, or of every job when JOB is NULL.
 * Temporary files and artifacts without a record are never listed.  A record
 * that cannot be read or parsed is reported (logged) and skipped, so one bad
 * file does not hide the rest.  Returns 0 or a negative errno (logged). */
int store_list(struct store *st, const char *job, struct store_list *out);
void store_list_free(struct store_list *l);

/* True when the record's result counts as a good backup ("ok"). */
bool store_record_is_good(const json_t *record);

/* Reads the record of JOB's backup ID ("latest" = newest good backup) into *OUT,
 * which the caller frees with store_entry_free().  Returns 0, -ENOENT when there
 * is no such committed backup (not logged: the caller words it), or a negative
 * errno (logged). */
int store_get(struct store *st, const char *job, const char *id, struct store_entry *out);
void store_entry_free(struct store_entry *e);

/* Removes stale temporary files of JOB (every job when NULL): temp artifacts,
 * temp records and reservations whose run is gone, and artifacts left without a
 * record.  Never touches a live transaction's files.  Returns the number of
 * files removed, or a negative errno. */
int store_clean(struct store *st, const char *job);

/* --- pins and removal -------------------------------------------------------- */

/* Pins JOB's backup ID ("latest" allowed): it is then kept by every retention
 * policy.  The pin is a file beside the record, "backup-DD-NN.pin", holding
 * REASON (may be NULL) and the time; the record itself is never rewritten.
 * Returns 0, -ENOENT (no such backup; not logged) or a negative errno (logged).
 * The id pinned is written to ID_OUT when not NULL. */
int store_pin(struct store *st, const char *job, const char *id, const char *reason,
	      time_t now, char id_out[STORE_ID_MAX]);
/* Removes the pin.  Returns 0, -ENOENT when the backup is not pinned or does
 * not exist (not logged), or a negative errno (logged). */
int store_unpin(struct store *st, const char *job, const char *id, char id_out[STORE_ID_MAX]);

/* Deletes a committed backup: the record first (from then on the backup no
 * longer exists), then its other files, each step made durable with a
 * directory fsync.  Interrupted, it leaves only record-less files, which
 * store_clean() removes.  A pinned backup is refused with -EPERM.  The caller
 * holds the job's run lock, so no run of the job writes meanwhile. */
int store_remove(struct store *st, const char *job, const char *id);

/* Full path of a file of a committed backup: DIR/backup-DD-NN.SUFFIX. */
int store_path(const struct store *st, const char *job, const struct store_id *id,
	       const char *suffix, char *buf, size_t buflen);

#endif

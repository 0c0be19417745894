/*
 * offsite — what the commands and the daemon use of an [offsite:NAME]
 * target: a connection (credentials, key, S3 client), the object names,
 * encrypted upload and download of one file, sync (every committed backup
 * of the target's jobs that is not offsite yet), the remote listing, and
 * fetching a backup's chain back into a private store for the kinds'
 * restores.
 *
 * Object names keep the store's: <prefix>/<job>/YYYY/MM/backup-DD-NN.EXT,
 * .sha256 and .json, so a person can find them.  A backup is offsite when
 * its record object is there: sync uploads the artifacts, then the
 * .sha256, then the record, as the store commits.  Every object is
 * encrypted (secstream.h); its size is secstream_size() of the file's.
 *
 * The family shares offsite_int.h; the files are offsite_conn.c (connect,
 * names, state), offsite_upload.c, offsite_download.c, offsite_sync.c,
 * offsite_fetch.c.  What this does not do: schedule (the daemon queues, see
 * daemon/children.c), or restore (the kinds do, from the fetched store).
 */
#ifndef LIFEBOAT_OFFSITE_H
#define LIFEBOAT_OFFSITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "credentials.h"
#include "offsite_config.h"
#include "offsite_key.h"
#include "s3.h"

#define OFFSITE_PART_CHUNKS 128		/* plaintext chunks per multipart part: 8 MiB */

struct offsite_conn {
	const struct config *cfg;
	const struct offsite *o;
	struct credentials cred;	/* the secret; wiped at disconnect */
	struct offsite_key key;		/* the secret; wiped at disconnect */
	struct s3 *s3;
	char state_dir[1024];		/* <state_dir>/offsite/<name>, 0700 */
	uint64_t parts_sent;		/* multipart parts sent by this connection */
	uint64_t parts_skipped;		/* parts a resumed upload did not send again */
	char err[1200];			/* the last error, one line naming the object */
};

/* Reads the credentials and the key and opens the client; with NEED_KEY
 * false the key file is not read (list needs none).  Returns 0, or a
 * negative errno with c->err set. */
int offsite_connect(const struct config *cfg, const struct offsite *o, bool need_key, struct offsite_conn *c);
void offsite_disconnect(struct offsite_conn *c);

/* "<prefix>/<job>/YYYY/MM/backup-DD-NN.SUFFIX" (SUFFIX NULL: without ".SUFFIX"). */
int offsite_object_key(const struct offsite *o, const char *job, const char *id, const char *suffix,
		       char *buf, size_t len);
/* "<prefix>/<job>/" or "<prefix>/" (JOB NULL). */
int offsite_job_prefix(const struct offsite *o, const char *job, char *buf, size_t len);

/* Encrypts the file PATH into object KEY (multipart and resumable past one
 * part).  Returns 0 or a negative errno with c->err set. */
int offsite_put_file(struct offsite_conn *c, const char *path, const char *key);
/* Downloads and decrypts KEY into FD.  *PLAIN gets the bytes written. */
int offsite_get_file(struct offsite_conn *c, const char *key, int fd, uint64_t *plain);
/* Downloads and decrypts KEY into memory (at most MAX bytes), malloc'd. */
int offsite_get_mem(struct offsite_conn *c, const char *key, size_t max, char **out, size_t *len);

/* One backup as the remote listing shows it. */
struct offsite_backup {
	char job[128];
	char id[32];
	bool has_record;		/* the commit mark is there */
	uint64_t stored;		/* bytes of its objects */
	int objects;
	time_t uploaded;		/* the newest LastModified of its objects; 0 = unknown */
};
struct offsite_list {
	struct offsite_backup *v;	/* sorted by job, then id */
	size_t n;
};
/* The backups under the target's prefix (of JOB, or all jobs when NULL). */
int offsite_list(struct offsite_conn *c, const char *job, struct offsite_list *out);
void offsite_list_free(struct offsite_list *l);

struct offsite_sync_stats {
	int backups;			/* backups uploaded */
	int objects;			/* objects uploaded */
	uint64_t bytes;			/* encrypted bytes sent */
	int pending;			/* backups not offsite after the sync (failures) */
	int removed;			/* remote backups removed by retention */
};
/* Uploads every committed backup of the target's jobs (JOB only, when not
 * NULL) that is not offsite yet, oldest first, then applies the target's
 * retention to the remote copies.  Logs each backup.  Records the outcome
 * in the state dir for status.  Returns 0 or the first error. */
int offsite_sync(struct offsite_conn *c, const char *job, struct offsite_sync_stats *st);

/* The upload is background work: the target's nice, the idle I/O class. */
void offsite_priority(const struct offsite *o);
/* Records a failure that happened before a sync could start (credentials,
 * key) in the target's status.json, for status. */
void offsite_record_failure(const struct config *cfg, const struct offsite *o, const char *err);

/* Downloads the chain a restore of JOB's backup ID ("latest" allowed) needs
 * into a new private store under the local store's root; *ROOT gets its
 * path (malloc'd), which the caller removes with offsite_fetch_cleanup.
 * ID_OUT gets the exact id.  Nothing outside that directory is touched. */
int offsite_fetch(struct offsite_conn *c, const char *job, const char *id, char **root, char id_out[32]);
void offsite_fetch_cleanup(char *root);

#endif

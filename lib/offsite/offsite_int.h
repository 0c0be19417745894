/*
 * offsite_int — what the offsite_*.c files share and nobody else needs.
 */
#ifndef LIFEBOAT_OFFSITE_INT_H
#define LIFEBOAT_OFFSITE_INT_H

#include <time.h>

#include <jansson.h>

#include "offsite.h"
#include "retention.h"

/* Sets c->err to one line. */
void offsite_seterr(struct offsite_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* c->err from the S3 client's last error. */
void offsite_s3err(struct offsite_conn *c);

/* FD (the file PATH, SIZE bytes) encrypted into KEY as one streamed PUT
 * (offsite_single.c).  Errors in c->err. */
int offsite_put_single(struct offsite_conn *c, const char *path, const char *key, int fd, uint64_t size);

struct secstream_dec;
/* GETs KEY through the started decryptor DEC into SINK, and finishes it.
 * Errors (S3's or the decryptor's, naming the object) in c->err. */
int offsite_get_stream(struct offsite_conn *c, const char *key, struct secstream_dec *dec,
		       int (*sink)(void *arg, const uint8_t *p, size_t n), void *arg);

struct store;
struct store_list;
/* The target's retention over JOB's local-not-yet-offsite and remote
 * backups (offsite_prune.c). */
struct offsite_plan {
	bool *upload;			/* per local entry: copy it (kept by the policy) */
	bool *remove;			/* per remote backup: delete it */
	json_t **facts;			/* per remote backup: its cached record facts (borrowed from cache) */
	json_t *cache;			/* <state>/records/<job>.json */
	bool changed;			/* cache to be written back */
	char cache_path[1200];
	char why[RETENTION_REASONS_MAX];
};
/* ST (may be NULL) tells which backups are pinned locally. */
int offsite_plan(struct offsite_conn *c, struct store *st, const struct job *job, const struct store_list *local,
		 const struct offsite_list *remote, time_t now, struct offsite_plan *plan);
int offsite_apply_removals(struct offsite_conn *c, const struct job *job, const struct offsite_list *remote,
			   struct offsite_plan *plan, int *removed);
void offsite_plan_free(struct offsite_plan *plan);

/* Parses an object key below the target's prefix into JOB, ID and the
 * suffix after "backup-DD-NN." (malloc'd in *SUFFIX).  -EINVAL for a key
 * that is not a backup's object. */
int offsite_parse_key(const struct offsite *o, const char *key, char job[128], char id[32], char **suffix);

#endif

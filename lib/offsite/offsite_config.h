/*
 * offsite_config — the [offsite:NAME] sections of the config file.
 *
 * An offsite target is not a job: it has no schedule and no kind, it says
 * where committed backups are copied (an S3 bucket and prefix, reached at
 * `endpoint` with the keys in `credentials_file`), with which encryption key
 * (`key_file`), for which jobs, how fast, and how long the copies live there
 * (its own keep_* keys, and `object_lock_days` below which nothing is
 * deleted).  config.c reads these sections with the same key machinery as
 * jobs; this file holds the key table (place KP_OFFSITE: offsets into
 * struct offsite) and the checks across keys.  It reads no credential and
 * no key: only their paths are in the config.
 */
#ifndef LIFEBOAT_OFFSITE_CONFIG_H
#define LIFEBOAT_OFFSITE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "config_keys.h"

struct offsite {
	char *name;			/* NAME of [offsite:NAME], a job-name-like word */
	int line;			/* line of the section header */
	char *url;			/* s3://bucket/prefix as written */
	char *bucket;			/* from url (set by the check) */
	char *prefix;			/* from url, without slashes at either end; may be "" */
	char *endpoint;			/* http(s)://host[:port] of the S3 API */
	char *region;			/* for SigV4 */
	char *credentials_file;		/* AWS shared-credentials file, mode 0600 */
	char *profile;			/* section of the credentials file; default "default" */
	char *key_file;			/* the encryption key, mode 0600 */
	struct strlist jobs;		/* jobs copied; empty = all */
	uint64_t upload_limit;		/* bytes/s sent; 0 = unlimited */
	uint64_t single_put_max;	/* files up to this size go as one streamed PUT, larger ones multipart */
	long nice;			/* niceness of the upload child */
	long object_lock_days;		/* S3 Object Lock retention per object; 0 = none */
	bool prune;			/* apply retention offsite (no: an upload-only key) */
	bool own_keep;			/* a keep_* key is set here: `keep` rules, else each job's */
	struct retention keep;		/* this target's retention when own_keep */
	int *key_line;			/* per key (config_keys then offsite_keys): line set on */
};

extern const struct config_key offsite_keys[];
extern const size_t offsite_nkeys;

/* Checks SEC's keys as a whole (url, endpoint, jobs named) and fills the
 * derived fields (bucket, prefix, own_keep).  Errors go through C. */
void offsite_config_check(struct config_check *c, struct offsite *o, const struct config *cfg);

/* The offsite target NAME of CFG, or NULL. */
const struct offsite *config_offsite(const struct config *cfg, const char *name);

/* Target O copies job JOB. */
bool offsite_has_job(const struct offsite *o, const char *job);

/* The retention that applies to JOB's copies on O. */
const struct retention *offsite_keep(const struct offsite *o, const struct job *job);

#endif

/*
 * offsite_int — what the offsite_*.c files share and nobody else needs.
 */
#ifndef LIFEBOAT_OFFSITE_INT_H
#define LIFEBOAT_OFFSITE_INT_H

#include "offsite.h"

/* Sets c->err to one line. */
void offsite_seterr(struct offsite_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* c->err from the S3 client's last error. */
void offsite_s3err(struct offsite_conn *c);

struct secstream_dec;
/* GETs KEY through the started decryptor DEC into SINK, and finishes it.
 * Errors (S3's or the decryptor's, naming the object) in c->err. */
int offsite_get_stream(struct offsite_conn *c, const char *key, struct secstream_dec *dec,
		       int (*sink)(void *arg, const uint8_t *p, size_t n), void *arg);

/* Parses an object key below the target's prefix into JOB, ID and the
 * suffix after "backup-DD-NN." (malloc'd in *SUFFIX).  -EINVAL for a key
 * that is not a backup's object. */
int offsite_parse_key(const struct offsite *o, const char *key, char job[128], char id[32], char **suffix);

#endif

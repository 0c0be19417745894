/*
 * offsite_verify — checks one offsite backup (see offsite_verify.h): its
 * record decrypts and names it, every artifact object and the .sha256 object
 * exist with the size the record implies (secstream_size of the artifact's),
 * and with DOWNLOAD each artifact decrypts whole to the record's size and
 * SHA-256 (hashed as it streams: nothing is written to disk).
 */
#include "offsite_verify.h"
#include "offsite_int.h"
#include "secstream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "record.h"
#include "sha256.h"

struct hashsink {
	struct sha256 h;
	uint64_t n;
};

static int to_hash(void *arg, const uint8_t *p, size_t n)
{
	struct hashsink *s = arg;

	sha256_update(&s->h, p, n);
	s->n += n;
	return 0;
}

/* GET KEY, decrypted into a hash. */
static int hash_object(struct offsite_conn *c, const char *key, char hex[SHA256_HEX_LEN + 1], uint64_t *n)
{
	struct secstream_dec dec;
	struct hashsink hs = { 0 };
	char what[1100];
	int r;

	snprintf(what, sizeof(what), "s3://%s/%s", c->o->bucket, key);
	if (sha256_init(&hs.h) < 0)
		return -ENOMEM;
	if ((r = secstream_dec_init(&dec, &c->key, what)) < 0) {
		offsite_seterr(c, "%s", dec.err);
		sha256_discard(&hs.h);
		secstream_dec_clear(&dec);
		return r;
	}
	r = offsite_get_stream(c, key, &dec, to_hash, &hs);
	if (r == 0)
		sha256_final_hex(&hs.h, hex);
	else
		sha256_discard(&hs.h);
	secstream_dec_clear(&dec);
	*n = hs.n;
	return r;
}

int offsite_verify_backup(struct offsite_conn *c, const char *job, const char *id, bool download,
			  struct offsite_verify_result *res)
{
	char key[1024], *text = NULL;
	struct record_artifact a;
	json_t *rec = NULL;
	uint64_t size;
	size_t len;
	int r;

	memset(res, 0, sizeof(*res));
	offsite_object_key(c->o, job, id, "json", key, sizeof(key));
	if ((r = offsite_get_mem(c, key, 64 << 20, &text, &len)) < 0)
		return r;
	rec = json_loadb(text, len, 0, NULL);
	free(text);
	if (!rec || !record_id(rec) || strcmp(record_id(rec), id) != 0 || !record_job(rec) ||
	    strcmp(record_job(rec), job) != 0) {
		offsite_seterr(c, "s3://%s/%s: not the record of %s %s", c->o->bucket, key, job, id);
		json_decref(rec);
		return -EINVAL;
	}
	offsite_object_key(c->o, job, id, "sha256", key, sizeof(key));
	if ((r = s3_head(c->s3, key, &size)) < 0) {
		offsite_s3err(c);
		goto out;
	}
	res->objects = 2;
	for (size_t i = 0; i < record_artifact_count(rec); i++) {
		if ((r = record_artifact_at(rec, i, &a)) < 0) {
			offsite_seterr(c, "%s %s: the record's artifact %zu is malformed", job, id, i);
			goto out;
		}
		offsite_object_key(c->o, job, id, a.ext, key, sizeof(key));
		if ((r = s3_head(c->s3, key, &size)) < 0) {
			offsite_s3err(c);
			goto out;
		}
		res->objects++;
		if (size != secstream_size(a.size)) {
			offsite_seterr(c, "s3://%s/%s: %llu bytes, but its record's %llu-byte artifact makes %llu",
				       c->o->bucket, key, (unsigned long long)size, (unsigned long long)a.size,
				       (unsigned long long)secstream_size(a.size));
			r = -EBADMSG;
			goto out;
		}
		if (download) {
			char hex[SHA256_HEX_LEN + 1];
			uint64_t n = 0;

			if ((r = hash_object(c, key, hex, &n)) < 0)
				goto out;
			if (n != a.size || strcmp(hex, a.sha256) != 0) {
				offsite_seterr(c, "s3://%s/%s: decrypts to %llu bytes with SHA-256 %s; the record says %llu bytes, %s",
					       c->o->bucket, key, (unsigned long long)n, hex, (unsigned long long)a.size,
					       a.sha256);
				r = -EBADMSG;
				goto out;
			}
			res->downloaded += n;
		}
	}
out:
	json_decref(rec);
	return r;
}

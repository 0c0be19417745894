/*
 * s3 — a small S3 client over libcurl: PUT, GET, HEAD, DELETE,
 * ListObjectsV2 and multipart uploads (initiate, upload part, complete,
 * abort), path-style (ENDPOINT/BUCKET/KEY), which every S3-compatible server
 * takes.
 *
 * Signing is libcurl's own SigV4 (CURLOPT_AWS_SIGV4, "aws:amz:REGION:s3"),
 * with two things Debian 12's curl 7.88 does not do done here: every query
 * string is built canonical (sigv4_query: encoded, sorted, `uploads=`), and
 * x-amz-content-sha256 is computed over the body and sent (curl 7.88 signs
 * the body it is given as POSTFIELDS, so the two agree).  Bodies are
 * therefore always in memory (a part at most: the uploader cuts objects
 * into parts).  Nothing here removes a header curl adds (curl 7.88 would
 * sign an empty `Expect:` it never sends).
 *
 * The access key is given to curl as its user name and password in memory:
 * never in argv, the environment or a log line.  Errors are one line in
 * s3_error(), naming the request and the object ("PUT s3://b/k: HTTP 403
 * AccessDenied: ...").  Requests that fail with a 5xx, a 429, a timeout or
 * a broken connection are tried again (conf.attempts in all) after a backoff
 * that doubles from conf.backoff_ms, with jitter.  A GET whose body has
 * started to reach the sink is not retried (the sink cannot take it back).
 * This module does not encrypt, read files or keep state across processes.
 */
#ifndef LIFEBOAT_S3_H
#define LIFEBOAT_S3_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "credentials.h"

struct s3_conf {
	const char *endpoint;		/* http(s)://host[:port] */
	const char *region;
	const char *bucket;
	const struct credentials *cred;	/* kept by pointer; outlives the client */
	uint64_t send_limit;		/* bytes/s per request (CURLOPT_MAX_SEND_SPEED_LARGE); 0 = none */
	int attempts;			/* tries per request; 0 = 5 */
	long backoff_ms;		/* first wait before a retry; 0 = 1000 */
	long low_speed_time;		/* seconds under 1 KiB/s before a transfer is given up; 0 = 60 */
	int content_md5;		/* send Content-MD5 with every body (Object Lock requires it) */
	const char *amz_date;		/* tests: a fixed X-Amz-Date; NULL = now */
	const char *connect_to;		/* tests: a CURLOPT_CONNECT_TO entry; NULL = none */
};

struct s3;

/* Where a GET's body goes; a negative return stops the transfer. */
typedef int (*s3_sink)(void *arg, const uint8_t *p, size_t n);
/* One listed object (MTIME: its LastModified, 0 when absent or unreadable);
 * a negative return stops the listing. */
typedef int (*s3_list_cb)(void *arg, const char *key, uint64_t size, time_t mtime);

/* Returns 0 and *OUT (s3_close), or a negative errno with ERR set. */
int s3_open(struct s3 **out, const struct s3_conf *conf, char *err, size_t errlen);
void s3_close(struct s3 *s);
/* The last error, one line. */
const char *s3_error(const struct s3 *s);
/* Bytes sent in request bodies, requests made, and retries, since open. */
void s3_counters(const struct s3 *s, uint64_t *body_bytes, uint64_t *requests, uint64_t *retries);

/* Every call returns 0, -ENOENT (404), or another negative errno with
 * s3_error() set.  LOCK_DAYS > 0 writes an Object Lock retention
 * (COMPLIANCE, now + LOCK_DAYS); the target then sets conf.content_md5,
 * which the API requires with it. */
int s3_put(struct s3 *s, const char *key, const void *body, size_t len, long lock_days);

/* A body too large to hold in memory, sent as it is produced: READ fills P
 * with up to N bytes and returns how many (0 at the end) or a negative
 * errno; REWIND starts the body over (it is called before every try).
 * SHA256 (hex) is the whole body's, computed beforehand by the caller, who
 * also gives MD5 (base64) when s3_wants_md5(). */
struct s3_stream {
	uint64_t len;
	char sha256[65];
	char md5[32];
	long (*read)(void *arg, uint8_t *p, size_t n);
	int (*rewind)(void *arg);
	void *arg;
};
/* One PUT of the streamed body B (Content-Length B->len). */
int s3_put_stream(struct s3 *s, const char *key, const struct s3_stream *b, long lock_days);
/* The client sends Content-MD5 with every body (conf.content_md5). */
int s3_wants_md5(const struct s3 *s);
int s3_get(struct s3 *s, const char *key, s3_sink sink, void *arg);
int s3_head(struct s3 *s, const char *key, uint64_t *size);
int s3_delete(struct s3 *s, const char *key);
/* Every object under PREFIX (all pages). */
int s3_list(struct s3 *s, const char *prefix, s3_list_cb cb, void *arg);

/* *UPLOAD_ID malloc'd. */
int s3_mpu_init(struct s3 *s, const char *key, long lock_days, char **upload_id);
/* PART from 1; *ETAG malloc'd (as the server quoted it). */
int s3_mpu_part(struct s3 *s, const char *key, const char *upload_id, int part, const void *body,
		size_t len, char **etag);
int s3_mpu_complete(struct s3 *s, const char *key, const char *upload_id, char *const *etags, int nparts);
int s3_mpu_abort(struct s3 *s, const char *key, const char *upload_id);

#endif

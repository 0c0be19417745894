/*
 * sigv4 — AWS Signature Version 4, computed here with OpenSSL's HMAC.
 *
 * The S3 client lets libcurl sign its requests (CURLOPT_AWS_SIGV4), but
 * Debian 12's curl 7.88 signs the query string as written (unsorted, and
 * `?uploads` without '=' is mis-signed) and does not add
 * x-amz-content-sha256.  So the client builds every query string with
 * sigv4_query() (encoded and sorted, `key=` for an empty value), which makes
 * the URL's query its own canonical form, and adds x-amz-content-sha256
 * itself.  This module is also the independent signer the tests check
 * curl's Authorization header against, and what the AWS SigV4 test-suite
 * vectors are checked on.  It does not send anything.
 */
#ifndef LIFEBOAT_SIGV4_H
#define LIFEBOAT_SIGV4_H

#include <stddef.h>

#define SIGV4_HEX 65

struct sigv4_header {
	const char *name;	/* any case; lowercased for signing */
	const char *value;	/* trimmed, inner runs of spaces folded, for signing */
};

struct sigv4_request {
	const char *method;		/* "GET", "PUT", ... */
	const char *path;		/* canonical URI, already URI-encoded ("/bucket/a%20b") */
	const char *query;		/* canonical query (sigv4_query's output), or "" */
	const struct sigv4_header *headers;	/* the headers to sign, any order */
	size_t nheaders;
	const char *payload_hash;	/* hex SHA-256 of the body (x-amz-content-sha256) */
	const char *amz_date;		/* "20150830T123600Z" */
	const char *region;
	const char *service;
};

/* Appends the canonical request of R to *OUT (malloc'd; caller frees).
 * Returns 0 or -ENOMEM. */
int sigv4_canonical_request(const struct sigv4_request *r, char **out);
/* The string to sign and the signature (64 hex digits) with SECRET.
 * STS may be NULL.  Returns 0 or -ENOMEM. */
int sigv4_sign(const struct sigv4_request *r, const char *secret, char **sts, char sig[SIGV4_HEX]);
/* The signed headers list ("host;x-amz-date") of R, malloc'd. */
char *sigv4_signed_headers(const struct sigv4_request *r);

/* URI-encodes S as SigV4 wants (unreserved A-Z a-z 0-9 - _ . ~ kept; '/'
 * kept when KEEP_SLASH), malloc'd. */
char *sigv4_uri_encode(const char *s, int keep_slash);
/* The canonical query of the NPAIRS (key, value) pairs in KV (value NULL or
 * "" is "key="): each encoded, sorted by key then value, '&'-joined; malloc'd. */
char *sigv4_query(const char *const *kv, size_t npairs);

/* Lowercase hex SHA-256 of LEN bytes. */
void sigv4_sha256_hex(const void *data, size_t len, char hex[SIGV4_HEX]);

#endif

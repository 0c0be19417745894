/*
 * s3 — S3 requests over one reused libcurl easy handle (see s3.h).
 *
 * request() is the one place a request is made: it builds the URL (path
 * from the key, query from sigv4_query), the headers (x-amz-content-sha256
 * of the body, optional Content-MD5 and Object Lock), lets curl sign, runs
 * it, and retries what may be retried.  Response bodies other than a GET's
 * go to a buffer capped at S3_XML_MAX, parsed by s3xml.
 */
#include "s3.h"
#include "s3xml.h"
#include "sigv4.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#define S3_XML_MAX (4 * 1024 * 1024)	/* a longer answer than this is refused */
#define S3_ERR_MAX 1024

struct s3 {
	CURL *curl;
	struct s3_conf conf;
	char *endpoint;		/* without trailing '/' */
	char *sigv4;		/* "aws:amz:REGION:s3" */
	uint64_t body_bytes, requests, retries;
	char err[S3_ERR_MAX];
};

/* One request's answer. */
struct resp {
	long status;
	char *body;		/* non-GET (or failed GET) body, NUL-terminated */
	size_t len;
	bool too_long;
	char *etag;		/* ETag header, malloc'd */
	uint64_t length;	/* Content-Length header */
	bool has_length;
	s3_sink sink;		/* a GET's body goes here when the status is 2xx */
	void *sink_arg;
	int sink_err;		/* the sink's error */
	uint64_t sunk;		/* bytes given to the sink */
	const struct s3_stream *src;	/* a streamed body comes from here */
	int src_err;		/* its error */
	struct s3 *s;
};

static void set_err(struct s3 *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(struct s3 *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

int s3_open(struct s3 **out, const struct s3_conf *conf, char *err, size_t errlen)
{
	struct s3 *s;
	size_t n;

	*out = NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || sodium_init() < 0) {
		snprintf(err, errlen, "libcurl or libsodium cannot start");
		return -EIO;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->conf = *conf;
	if (s->conf.attempts <= 0)
		s->conf.attempts = 5;
	if (s->conf.backoff_ms <= 0)
		s->conf.backoff_ms = 1000;
	if (s->conf.low_speed_time <= 0)
		s->conf.low_speed_time = 60;
	s->endpoint = strdup(conf->endpoint);
	if (s->endpoint) {
		n = strlen(s->endpoint);
		while (n && s->endpoint[n - 1] == '/')
			s->endpoint[--n] = '\0';
	}
	if (asprintf(&s->sigv4, "aws:amz:%s:s3", conf->region) < 0)
		s->sigv4 = NULL;
	s->curl = curl_easy_init();
	if (!s->endpoint || !s->sigv4 || !s->curl) {
		snprintf(err, errlen, "out of memory");
		s3_close(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void s3_close(struct s3 *s)
{
	if (!s)
		return;
	if (s->curl)
		curl_easy_cleanup(s->curl);
	free(s->endpoint);
	free(s->sigv4);
	free(s);
}

const char *s3_error(const struct s3 *s)
{
	return s->err;
}

void s3_counters(const struct s3 *s, uint64_t *body_bytes, uint64_t *requests, uint64_t *retries)
{
	*body_bytes = s->body_bytes;
	*requests = s->requests;
	*retries = s->retries;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct resp *r = arg;
	size_t n = size * nmemb;

	if (r->status == 0)
		curl_easy_getinfo(r->s->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->sink && r->status >= 200 && r->status < 300) {
		int rc = r->sink(r->sink_arg, (const uint8_t *)p, n);

		if (rc < 0) {
			r->sink_err = rc;
			return 0;	/* stops the transfer */
		}
		r->sunk += n;
		return n;
	}
	if (r->len + n > S3_XML_MAX) {
		r->too_long = true;
		return 0;
	}
	{
		char *b = realloc(r->body, r->len + n + 1);

		if (!b)
			return 0;
		r->body = b;
	}
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct resp *r = arg;
	size_t n = size * nmemb, vlen;
	const char *v;

	if (n > 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response (after 100 Continue or a retry): forget the last */
		free(r->etag);
		r->etag = NULL;
		r->has_length = false;
		return n;
	}
	if (n > 5 && !strncasecmp(p, "ETag:", 5)) {
		v = p + 5;
		vlen = n - 5;
	} else if (n > 15 && !strncasecmp(p, "Content-Length:", 15)) {
		char buf[32];

		vlen = n - 15 < sizeof(buf) - 1 ? n - 15 : sizeof(buf) - 1;
		memcpy(buf, p + 15, vlen);
		buf[vlen] = '\0';
		r->length = strtoull(buf, NULL, 10);
		r->has_length = true;
		return n;
	} else {
		return n;
	}
	while (vlen && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
	if (vlen < 256) {
		free(r->etag);
		r->etag = strndup(v, vlen);
	}
	return n;
}

/* A request's description. */
struct req {
	const char *method;	/* GET, PUT, POST, DELETE, HEAD */
	const char *key;	/* object key, or NULL for the bucket */
	const char *query;	/* canonical query, or NULL */
	const void *body;	/* PUT/POST body, or NULL */
	size_t len;
	const char *content_type;
	long lock_days;		/* > 0: Object Lock headers */
	const struct s3_stream *stream;	/* instead of BODY: a streamed PUT */
};

static bool retryable(CURLcode c, long status)
{
	if (c == CURLE_OK)
		return status >= 500 || status == 429;
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static int add_header(struct curl_slist **h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int add_header(struct curl_slist **h, const char *fmt, ...)
{
	char line[CRED_TOKEN_MAX + 64];
	struct curl_slist *n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = curl_slist_append(*h, line);
	sodium_memzero(line, sizeof(line));
	if (!n)
		return -ENOMEM;
	*h = n;
	return 0;
}

static void content_md5(const void *body, size_t len, char out[32])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(body, len, md, &mdlen, EVP_md5(), NULL);
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
}

static struct curl_slist *build_headers(struct s3 *s, const struct req *q)
{
	struct curl_slist *h = NULL;
	char hash[SIGV4_HEX];
	int rc = 0;

	if (q->stream)
		snprintf(hash, sizeof(hash), "%s", q->stream->sha256);
	else
		sigv4_sha256_hex(q->body ? q->body : "", q->body ? q->len : 0, hash);
	rc |= add_header(&h, "x-amz-content-sha256: %s", hash);
	if (s->conf.amz_date)
		rc |= add_header(&h, "X-Amz-Date: %s", s->conf.amz_date);
	if (s->conf.cred->session_token[0])
		rc |= add_header(&h, "x-amz-security-token: %s", s->conf.cred->session_token);
	if (q->body || q->stream)
		rc |= add_header(&h, "Content-Type: %s", q->content_type ? q->content_type : "application/octet-stream");
	if (q->stream && s->conf.content_md5)
		rc |= add_header(&h, "Content-MD5: %s", q->stream->md5);
	if (q->body && s->conf.content_md5) {
		char md5[32];

		content_md5(q->body, q->len, md5);
		rc |= add_header(&h, "Content-MD5: %s", md5);
	}
	if (q->lock_days > 0) {
		time_t until = time(NULL) + (time_t)q->lock_days * 86400;
		struct tm tm;
		char date[32];

		gmtime_r(&until, &tm);
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
		rc |= add_header(&h, "x-amz-object-lock-mode: COMPLIANCE");
		rc |= add_header(&h, "x-amz-object-lock-retain-until-date: %s", date);
	}
	if (rc) {
		curl_slist_free_all(h);
		return NULL;
	}
	return h;
}

/* "s3://bucket/key" for messages. */
static void object_name(const struct s3 *s, const char *key, char *buf, size_t len)
{
	snprintf(buf, len, "s3://%s/%s", s->conf.bucket, key ? key : "");
}

/* The error of a non-2xx answer: its status, <Code> and <Message>. */
static void http_error(struct s3 *s, const struct req *q, const struct resp *r, const char *what)
{
	char *code = NULL, *msg = NULL;

	if (r->body) {
		s3xml_text(r->body, 0, r->len, "Code", &code);
		s3xml_text(r->body, 0, r->len, "Message", &msg);
	}
	/* the server's words are hostile input: printable ASCII only, cut short */
	for (char *p = code; p && *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	for (char *p = msg; p && *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	set_err(s, "%s %s: HTTP %ld%s%.64s%s%.200s", q->method, what, r->status, code ? " " : "",
		code ? code : "", msg ? ": " : "", msg ? msg : "");
	free(code);
	free(msg);
}

/* curl asks for the next bytes of a streamed body. */
static size_t on_read(char *p, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	long got = r->src->read(r->src->arg, (uint8_t *)p, size * n);

	if (got < 0) {
		r->src_err = (int)got;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)got;
}

static int request(struct s3 *s, const struct req *q, struct resp *r)
{
	char what[1200], *path = NULL, *url = NULL;
	struct curl_slist *headers;
	long wait_ms = s->conf.backoff_ms;
	int rc = -EIO;

	object_name(s, q->key, what, sizeof(what));
	path = q->key ? sigv4_uri_encode(q->key, 1) : strdup("");
	headers = build_headers(s, q);
	if (!path || !headers ||
	    asprintf(&url, "%s/%s%s%s%s%s", s->endpoint, s->conf.bucket, q->key ? "/" : "", path,
		     q->query && *q->query ? "?" : "", q->query ? q->query : "") < 0) {
		url = NULL;
		set_err(s, "%s %s: out of memory", q->method, what);
		rc = -ENOMEM;
		goto out;
	}
	for (int attempt = 1;; attempt++) {
		CURLcode c;
		CURL *h = s->curl;

		free(r->body);
		free(r->etag);
		r->body = r->etag = NULL;
		r->len = 0;
		r->status = 0;
		r->too_long = false;
		r->has_length = false;
		r->s = s;
		r->src = q->stream;
		r->src_err = 0;
		if (q->stream && (rc = q->stream->rewind(q->stream->arg)) < 0) {
			set_err(s, "%s %s: cannot start the body over: %s", q->method, what, strerror(-rc));
			break;
		}
		curl_easy_reset(h);
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s->sigv4);
		curl_easy_setopt(h, CURLOPT_USERNAME, s->conf.cred->access_key);
		curl_easy_setopt(h, CURLOPT_PASSWORD, s->conf.cred->secret_key);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(h, CURLOPT_USERAGENT, "lifeboat/" LIFEBOAT_VERSION);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, s->conf.low_speed_time);
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
		if (s->conf.send_limit)
			curl_easy_setopt(h, CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t)s->conf.send_limit);
		if (!strcmp(q->method, "HEAD")) {
			curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		} else if (q->stream) {
			curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->stream->len);
			curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(h, CURLOPT_READDATA, r);
			curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
		} else if (q->body) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->len);
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body);
			if (strcmp(q->method, "POST") != 0)
				curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
		} else if (strcmp(q->method, "GET") != 0) {
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
		}
		s->requests++;
		if (s->conf.connect_to) {
			/* curl keeps the list by pointer until the transfer ends */
			struct curl_slist ct = { (char *)s->conf.connect_to, NULL };

			curl_easy_setopt(h, CURLOPT_CONNECT_TO, &ct);
			c = curl_easy_perform(h);
		} else {
			c = curl_easy_perform(h);
		}
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
		if (c == CURLE_OK && r->status >= 200 && r->status < 300) {
			if (q->body)
				s->body_bytes += q->len;
			if (q->stream)
				s->body_bytes += q->stream->len;
			rc = 0;
			break;
		}
		if (r->src_err) {
			set_err(s, "%s %s: %s", q->method, what, strerror(-r->src_err));
			rc = r->src_err;
			break;
		}
		if (r->sink_err) {
			set_err(s, "%s %s: %s", q->method, what, strerror(-r->sink_err));
			rc = r->sink_err;
			break;
		}
		if (c == CURLE_OK && r->status == 404) {
			http_error(s, q, r, what);
			rc = -ENOENT;
			break;
		}
		if (c == CURLE_OK)
			http_error(s, q, r, what);
		else if (r->too_long)
			set_err(s, "%s %s: the answer is longer than %d bytes", q->method, what, S3_XML_MAX);
		else
			set_err(s, "%s %s: %s", q->method, what, curl_easy_strerror(c));
		rc = c == CURLE_OK && (r->status == 401 || r->status == 403) ? -EACCES : -EIO;
		if (!retryable(c, r->status) || attempt >= s->conf.attempts || r->sunk) {
			if (attempt > 1) {
				size_t n = strlen(s->err);

				snprintf(s->err + n, sizeof(s->err) - n, " (after %d tries)", attempt);
			}
			break;
		}
		s->retries++;
		/* backoff with jitter: wait_ms * [0.5, 1.5) */
		usleep((useconds_t)((wait_ms / 2 + (long)randombytes_uniform((uint32_t)wait_ms)) * 1000));
		if (wait_ms < 30000)
			wait_ms *= 2;
	}
out:
	curl_slist_free_all(headers);
	free(path);
	free(url);
	return rc;
}

static void resp_free(struct resp *r)
{
	free(r->body);
	free(r->etag);
}

int s3_put(struct s3 *s, const char *key, const void *body, size_t len, long lock_days)
{
	struct req q = { "PUT", key, NULL, body ? body : "", len, NULL, lock_days, NULL };
	struct resp r = { 0 };
	int rc = request(s, &q, &r);

	resp_free(&r);
	return rc;
}

int s3_put_stream(struct s3 *s, const char *key, const struct s3_stream *b, long lock_days)
{
	struct req q = { "PUT", key, NULL, NULL, 0, NULL, lock_days, b };
	struct resp r = { 0 };
	int rc = request(s, &q, &r);

	resp_free(&r);
	return rc;
}

int s3_wants_md5(const struct s3 *s)
{
	return s->conf.content_md5;
}

int s3_get(struct s3 *s, const char *key, s3_sink sink, void *arg)
{
	struct req q = { "GET", key, NULL, NULL, 0, NULL, 0, NULL };
	struct resp r = { .sink = sink, .sink_arg = arg };
	int rc = request(s, &q, &r);

	resp_free(&r);
	return rc;
}

int s3_head(struct s3 *s, const char *key, uint64_t *size)
{
	struct req q = { "HEAD", key, NULL, NULL, 0, NULL, 0, NULL };
	struct resp r = { 0 };
	int rc = request(s, &q, &r);

	if (rc == 0 && size) {
		curl_off_t cl = -1;

		curl_easy_getinfo(s->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		*size = cl >= 0 ? (uint64_t)cl : r.length;
	}
	resp_free(&r);
	return rc;
}

int s3_delete(struct s3 *s, const char *key)
{
	struct req q = { "DELETE", key, NULL, NULL, 0, NULL, 0, NULL };
	struct resp r = { 0 };
	int rc = request(s, &q, &r);

	resp_free(&r);
	return rc;
}

/* <LastModified>2026-12-04T03:31:00.000Z</LastModified> of one <Contents>, or 0. */
static time_t list_mtime(const char *xml, size_t a, size_t b)
{
	char *t = NULL;
	struct tm tm = { 0 };
	time_t out = 0;
	const char *end;

	if (s3xml_text(xml, a, b, "LastModified", &t) == 1 && (end = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm)) &&
	    (*end == '.' || *end == 'Z'))
		out = timegm(&tm);
	free(t);
	return out;
}

/* Parses one page of ListObjectsV2; *TOKEN gets the next page's token or NULL. */
static int list_page(struct s3 *s, const struct resp *r, s3_list_cb cb, void *arg, char **token)
{
	size_t at = 0, a, b;
	char *trunc = NULL;
	int rc;

	*token = NULL;
	while ((rc = s3xml_element(r->body, at, r->len, "Contents", &a, &b)) == 1) {
		char *key = NULL, *size = NULL, *end = NULL;
		unsigned long long sz = 0;

		if (s3xml_text(r->body, a, b, "Key", &key) != 1 || s3xml_text(r->body, a, b, "Size", &size) != 1 ||
		    !*size || strspn(size, "0123456789") != strlen(size) || strlen(size) > 19 ||
		    (errno = 0, sz = strtoull(size, &end, 10), errno || *end)) {
			free(key);
			free(size);
			set_err(s, "GET s3://%s/: a listed object without a valid Key or Size", s->conf.bucket);
			return -EBADMSG;
		}
		rc = cb(arg, key, (uint64_t)sz, list_mtime(r->body, a, b));
		free(key);
		free(size);
		if (rc < 0)
			return rc;
		at = b;
	}
	if (rc < 0) {
		set_err(s, "GET s3://%s/: a malformed listing", s->conf.bucket);
		return rc;
	}
	if (s3xml_text(r->body, 0, r->len, "IsTruncated", &trunc) == 1 && !strcmp(trunc, "true")) {
		if (s3xml_text(r->body, 0, r->len, "NextContinuationToken", token) != 1 || !**token) {
			free(trunc);
			free(*token);
			*token = NULL;
			set_err(s, "GET s3://%s/: a truncated listing without a continuation token", s->conf.bucket);
			return -EBADMSG;
		}
	}
	free(trunc);
	return 0;
}

int s3_list(struct s3 *s, const char *prefix, s3_list_cb cb, void *arg)
{
	char *token = NULL;
	int rc, pages = 0;

	do {
		const char *kv[] = { "list-type", "2", "prefix", prefix, "continuation-token", token };
		char *query = sigv4_query(kv, token ? 3 : 2);
		struct req q = { "GET", NULL, query, NULL, 0, NULL, 0, NULL };
		struct resp r = { 0 };
		char *next = NULL;

		if (!query) {
			free(token);
			return -ENOMEM;
		}
		rc = request(s, &q, &r);
		if (rc == 0)
			rc = r.body ? list_page(s, &r, cb, arg, &next) : 0;
		resp_free(&r);
		free(query);
		free(token);
		token = next;
		if (rc == 0 && token && ++pages > 1000000) {
			set_err(s, "GET s3://%s/%s: the listing does not end", s->conf.bucket, prefix);
			rc = -EBADMSG;
		}
	} while (rc == 0 && token);
	free(token);
	return rc;
}

int s3_mpu_init(struct s3 *s, const char *key, long lock_days, char **upload_id)
{
	const char *kv[] = { "uploads", "" };
	char *query = sigv4_query(kv, 1);
	struct req q = { "POST", key, query, "", 0, "application/octet-stream", lock_days, NULL };
	struct resp r = { 0 };
	int rc;

	*upload_id = NULL;
	if (!query)
		return -ENOMEM;
	rc = request(s, &q, &r);
	if (rc == 0 && (!r.body || s3xml_text(r.body, 0, r.len, "UploadId", upload_id) != 1 || !**upload_id)) {
		free(*upload_id);
		*upload_id = NULL;
		set_err(s, "POST s3://%s/%s?uploads: no UploadId in the answer", s->conf.bucket, key);
		rc = -EBADMSG;
	}
	resp_free(&r);
	free(query);
	return rc;
}

int s3_mpu_part(struct s3 *s, const char *key, const char *upload_id, int part, const void *body,
		size_t len, char **etag)
{
	char num[16];
	const char *kv[] = { "partNumber", num, "uploadId", upload_id };
	char *query;
	struct req q = { "PUT", key, NULL, body, len, NULL, 0, NULL };
	struct resp r = { 0 };
	int rc;

	*etag = NULL;
	snprintf(num, sizeof(num), "%d", part);
	query = sigv4_query(kv, 2);
	if (!query)
		return -ENOMEM;
	q.query = query;
	rc = request(s, &q, &r);
	if (rc == 0) {
		if (!r.etag || !*r.etag) {
			set_err(s, "PUT s3://%s/%s part %d: no ETag in the answer", s->conf.bucket, key, part);
			rc = -EBADMSG;
		} else {
			*etag = r.etag;
			r.etag = NULL;
		}
	}
	resp_free(&r);
	free(query);
	return rc;
}

/* ETAG as XML text: the server's own bytes, escaped. */
static void put_xml_text(FILE *m, const char *t)
{
	for (; *t; t++) {
		if (*t == '&')
			fputs("&amp;", m);
		else if (*t == '<')
			fputs("&lt;", m);
		else if (*t == '>')
			fputs("&gt;", m);
		else if (*t == '"')
			fputs("&quot;", m);
		else
			fputc(*t, m);
	}
}

int s3_mpu_complete(struct s3 *s, const char *key, const char *upload_id, char *const *etags, int nparts)
{
	const char *kv[] = { "uploadId", upload_id };
	char *query = sigv4_query(kv, 1), *xml = NULL, *code = NULL;
	struct req q = { "POST", key, query, NULL, 0, "application/xml", 0, NULL };
	struct resp r = { 0 };
	size_t len = 0;
	FILE *m;
	int rc;

	m = open_memstream(&xml, &len);
	if (!query || !m) {
		if (m)
			fclose(m);
		free(query);
		return -ENOMEM;
	}
	fputs("<CompleteMultipartUpload>", m);
	for (int i = 0; i < nparts; i++) {
		fprintf(m, "<Part><PartNumber>%d</PartNumber><ETag>", i + 1);
		put_xml_text(m, etags[i]);
		fputs("</ETag></Part>", m);
	}
	fputs("</CompleteMultipartUpload>", m);
	fclose(m);
	q.body = xml;
	q.len = len;
	rc = request(s, &q, &r);
	/* S3 may answer 200 with an <Error> body when completing fails late. */
	if (rc == 0 && r.body && s3xml_text(r.body, 0, r.len, "Code", &code) == 1) {
		http_error(s, &q, &r, key);
		rc = -EIO;
	}
	free(code);
	resp_free(&r);
	free(query);
	free(xml);
	return rc;
}

int s3_mpu_abort(struct s3 *s, const char *key, const char *upload_id)
{
	const char *kv[] = { "uploadId", upload_id };
	char *query = sigv4_query(kv, 1);
	struct req q = { "DELETE", key, query, NULL, 0, NULL, 0, NULL };
	struct resp r = { 0 };
	int rc;

	if (!query)
		return -ENOMEM;
	rc = request(s, &q, &r);
	resp_free(&r);
	free(query);
	return rc;
}

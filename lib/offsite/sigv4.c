/*
 * sigv4 — the canonical request, string to sign and signature of AWS SigV4
 * (see sigv4.h), following AWS's "Create a signed AWS API request" steps:
 * canonical request = method, URI, query, "name:value\n" per signed header
 * (lowercase names, sorted), blank line, signed-header list, payload hash;
 * key = HMAC chain over date, region, service, "aws4_request".
 */
#include "sigv4.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

static void hex(const unsigned char *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	hex(md, sizeof(md), out);
}

char *sigv4_uri_encode(const char *s, int keep_slash)
{
	size_t n = strlen(s);
	char *out = malloc(3 * n + 1), *o = out;

	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' || (keep_slash && *p == '/'))
			*o++ = (char)*p;
		else
			o += sprintf(o, "%%%02X", *p);
	}
	*o = '\0';
	return out;
}

struct qpair {
	char *k, *v;
};

static int qcmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	return c ? c : strcmp(x->v, y->v);
}

char *sigv4_query(const char *const *kv, size_t npairs)
{
	struct qpair *p = calloc(npairs ? npairs : 1, sizeof(*p));
	size_t len = 1;
	char *out = NULL;
	bool ok = p != NULL;

	for (size_t i = 0; ok && i < npairs; i++) {
		p[i].k = sigv4_uri_encode(kv[2 * i], 0);
		p[i].v = sigv4_uri_encode(kv[2 * i + 1] ? kv[2 * i + 1] : "", 0);
		ok = p[i].k && p[i].v;
		if (ok)
			len += strlen(p[i].k) + strlen(p[i].v) + 2;
	}
	if (ok) {
		qsort(p, npairs, sizeof(*p), qcmp);
		out = malloc(len);
	}
	if (out) {
		char *o = out;

		*o = '\0';
		for (size_t i = 0; i < npairs; i++)
			o += sprintf(o, "%s%s=%s", i ? "&" : "", p[i].k, p[i].v);
	}
	for (size_t i = 0; p && i < npairs; i++) {
		free(p[i].k);
		free(p[i].v);
	}
	free(p);
	return out;
}

struct hdr {
	char *name;	/* lowercased */
	char *value;	/* trimmed, spaces folded */
};

static int hcmp(const void *a, const void *b)
{
	return strcmp(((const struct hdr *)a)->name, ((const struct hdr *)b)->name);
}

static char *fold(const char *v)
{
	char *out = malloc(strlen(v) + 1), *o = out;
	bool space = false;

	if (!out)
		return NULL;
	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v; v++) {
		if (*v == ' ' || *v == '\t') {
			space = true;
			continue;
		}
		if (space && o != out)
			*o++ = ' ';
		space = false;
		*o++ = *v;
	}
	*o = '\0';
	return out;
}

static void free_hdrs(struct hdr *h, size_t n)
{
	for (size_t i = 0; h && i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
}

/* The headers of R, canonical: lowercase names, folded values, sorted. */
static struct hdr *canon_headers(const struct sigv4_request *r)
{
	struct hdr *h = calloc(r->nheaders ? r->nheaders : 1, sizeof(*h));

	for (size_t i = 0; h && i < r->nheaders; i++) {
		h[i].name = strdup(r->headers[i].name);
		h[i].value = fold(r->headers[i].value);
		if (!h[i].name || !h[i].value) {
			free_hdrs(h, r->nheaders);
			return NULL;
		}
		for (char *c = h[i].name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	}
	if (h)
		qsort(h, r->nheaders, sizeof(*h), hcmp);
	return h;
}

char *sigv4_signed_headers(const struct sigv4_request *r)
{
	struct hdr *h = canon_headers(r);
	char *out = NULL;
	size_t len;
	FILE *m;

	if (!h)
		return NULL;
	m = open_memstream(&out, &len);
	for (size_t i = 0; m && i < r->nheaders; i++)
		fprintf(m, "%s%s", i ? ";" : "", h[i].name);
	if (m)
		fclose(m);
	free_hdrs(h, r->nheaders);
	return out;
}

int sigv4_canonical_request(const struct sigv4_request *r, char **out)
{
	struct hdr *h = canon_headers(r);
	size_t len;
	FILE *m;

	*out = NULL;
	if (!h)
		return -ENOMEM;
	m = open_memstream(out, &len);
	if (!m) {
		free_hdrs(h, r->nheaders);
		return -ENOMEM;
	}
	fprintf(m, "%s\n%s\n%s\n", r->method, r->path, r->query ? r->query : "");
	for (size_t i = 0; i < r->nheaders; i++)
		fprintf(m, "%s:%s\n", h[i].name, h[i].value);
	fputc('\n', m);
	for (size_t i = 0; i < r->nheaders; i++)
		fprintf(m, "%s%s", i ? ";" : "", h[i].name);
	fprintf(m, "\n%s", r->payload_hash);
	free_hdrs(h, r->nheaders);
	return fclose(m) == 0 && *out ? 0 : -ENOMEM;
}

static void hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned int olen = 32;

	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &olen);
}

int sigv4_sign(const struct sigv4_request *r, const char *secret, char **sts, char sig[SIGV4_HEX])
{
	char *creq = NULL, *s = NULL, scope[256], date[9], creq_hash[SIGV4_HEX], ksecret[300];
	unsigned char k1[32], k2[32], k3[32], k4[32], mac[32];
	size_t len;
	FILE *m;
	int rc;

	if ((rc = sigv4_canonical_request(r, &creq)) < 0)
		return rc;
	sigv4_sha256_hex(creq, strlen(creq), creq_hash);
	free(creq);
	snprintf(date, sizeof(date), "%.8s", r->amz_date);
	snprintf(scope, sizeof(scope), "%s/%s/%s/aws4_request", date, r->region, r->service);
	m = open_memstream(&s, &len);
	if (!m)
		return -ENOMEM;
	fprintf(m, "AWS4-HMAC-SHA256\n%s\n%s\n%s", r->amz_date, scope, creq_hash);
	if (fclose(m) != 0 || !s)
		return -ENOMEM;
	snprintf(ksecret, sizeof(ksecret), "AWS4%s", secret);
	hmac(ksecret, strlen(ksecret), date, k1);
	hmac(k1, 32, r->region, k2);
	hmac(k2, 32, r->service, k3);
	hmac(k3, 32, "aws4_request", k4);
	hmac(k4, 32, s, mac);
	hex(mac, 32, sig);
	OPENSSL_cleanse(ksecret, sizeof(ksecret));
	OPENSSL_cleanse(k4, sizeof(k4));
	if (sts)
		*sts = s;
	else
		free(s);
	return 0;
}

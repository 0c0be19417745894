/*
 * hashrun — see hashrun.h for why this uses OpenSSL's low-level SHA256_CTX.
 */
#define OPENSSL_SUPPRESS_DEPRECATED	/* SHA256_Init & co: see hashrun.h */
#include "hashrun.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

_Static_assert(sizeof(SHA256_CTX) <= sizeof(((struct hashrun *)0)->ctx),
	       "struct hashrun too small for SHA256_CTX");

static SHA256_CTX *ctx_of(struct hashrun *h)
{
	return (SHA256_CTX *)(void *)h->ctx;
}

static const SHA256_CTX *cctx_of(const struct hashrun *h)
{
	return (const SHA256_CTX *)(const void *)h->ctx;
}

void hashrun_init(struct hashrun *h)
{
	memset(h, 0, sizeof(*h));
	SHA256_Init(ctx_of(h));
}

void hashrun_update(struct hashrun *h, const void *data, size_t len)
{
	if (len)
		SHA256_Update(ctx_of(h), data, len);
}

uint64_t hashrun_bytes(const struct hashrun *h)
{
	const SHA256_CTX *c = cctx_of(h);

	return (((uint64_t)c->Nh << 32) | c->Nl) / 8;
}

void hashrun_hex(const struct hashrun *h, char hex[SHA256_HEX_LEN + 1])
{
	SHA256_CTX copy = *cctx_of(h);
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256_Final(md, &copy);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

void hashrun_save(const struct hashrun *h, char text[HASHRUN_TEXT_MAX])
{
	const SHA256_CTX *c = cctx_of(h);
	const unsigned char *pending = (const unsigned char *)c->data;
	char *p = text;

	for (int i = 0; i < 8; i++)
		p += sprintf(p, "%08x", (unsigned)c->h[i]);
	p += sprintf(p, ":%016llx:", (unsigned long long)hashrun_bytes(h));
	/* OpenSSL keeps the pending block as bytes in c->data (md32_common.h). */
	for (unsigned i = 0; i < c->num && i < SHA256_CBLOCK; i++)
		p += sprintf(p, "%02x", pending[i]);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parses LEN hex digits at S into *OUT. */
static int parse_hex(const char *s, int len, uint64_t *out)
{
	uint64_t v = 0;

	for (int i = 0; i < len; i++) {
		int d = hexval(s[i]);

		if (d < 0)
			return -EINVAL;
		v = (v << 4) | (uint64_t)d;
	}
	*out = v;
	return 0;
}

int hashrun_load(struct hashrun *h, const char *text)
{
	SHA256_CTX *c;
	unsigned char *pending;
	uint64_t v, bytes;
	size_t len, npend;

	if (!text)
		return -EINVAL;
	len = strlen(text);
	if (len < 64 + 1 + 16 + 1 || text[64] != ':' || text[81] != ':')
		return -EINVAL;
	npend = (len - 82) / 2;
	if ((len - 82) % 2 || npend >= SHA256_CBLOCK)
		return -EINVAL;
	hashrun_init(h);
	c = ctx_of(h);
	pending = (unsigned char *)c->data;
	for (int i = 0; i < 8; i++) {
		if (parse_hex(text + 8 * i, 8, &v) < 0)
			return -EINVAL;
		c->h[i] = (SHA_LONG)v;
	}
	if (parse_hex(text + 65, 16, &bytes) < 0 || bytes % SHA256_CBLOCK != npend)
		return -EINVAL;
	c->Nl = (SHA_LONG)(bytes << 3);
	c->Nh = (SHA_LONG)(bytes >> 29);
	for (size_t i = 0; i < npend; i++) {
		if (parse_hex(text + 82 + 2 * i, 2, &v) < 0)
			return -EINVAL;
		pending[i] = (unsigned char)v;
	}
	c->num = (unsigned)npend;
	return 0;
}

/*
 * secstream — encrypting and decrypting offsite objects (format in
 * secstream.h).  No I/O here: the uploader and the downloader move bytes.
 */
#include "secstream.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_ad(uint8_t *ad, uint32_t chunk, const uint8_t *id)
{
	memcpy(ad, SECSTREAM_MAGIC, 8);
	ad[8] = (uint8_t)(chunk >> 24);
	ad[9] = (uint8_t)(chunk >> 16);
	ad[10] = (uint8_t)(chunk >> 8);
	ad[11] = (uint8_t)chunk;
	memcpy(ad + 12, id, OFFSITE_KEY_ID_BYTES);
}

int secstream_enc_init(struct secstream_enc *e, const struct offsite_key *k)
{
	memset(e, 0, sizeof(*e));
	if (sodium_init() < 0)
		return -EIO;
	put_ad(e->header, SECSTREAM_CHUNK, k->id);
	crypto_secretstream_xchacha20poly1305_init_push(&e->st, e->header + SECSTREAM_AD_BYTES, k->key);
	return 0;
}

int secstream_enc_resume(struct secstream_enc *e, const struct offsite_key *k,
			 const uint8_t header[SECSTREAM_HEADER_BYTES])
{
	uint8_t ad[SECSTREAM_AD_BYTES];

	memset(e, 0, sizeof(*e));
	if (sodium_init() < 0)
		return -EIO;
	put_ad(ad, SECSTREAM_CHUNK, k->id);
	if (memcmp(ad, header, sizeof(ad)) != 0)
		return -EINVAL;	/* another key or chunk size: cannot continue that stream */
	memcpy(e->header, header, SECSTREAM_HEADER_BYTES);
	/* The push and pull states are the same function of key and header. */
	if (crypto_secretstream_xchacha20poly1305_init_pull(&e->st, header + SECSTREAM_AD_BYTES, k->key) != 0)
		return -EINVAL;
	return 0;
}

int secstream_enc_chunk(struct secstream_enc *e, const uint8_t *in, size_t len, bool final, uint8_t *out)
{
	unsigned long long outlen;

	if (e->done || len > SECSTREAM_CHUNK || (len < SECSTREAM_CHUNK && !final) ||
	    (final && len == SECSTREAM_CHUNK))
		return -EINVAL;
	crypto_secretstream_xchacha20poly1305_push(&e->st, out, &outlen, in, len, e->header, SECSTREAM_AD_BYTES,
						   final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
	e->chunks++;
	e->done = final;
	return 0;
}

void secstream_enc_clear(struct secstream_enc *e)
{
	sodium_memzero(e, sizeof(*e));
}

uint64_t secstream_size(uint64_t plain)
{
	return SECSTREAM_HEADER_BYTES + (plain / SECSTREAM_CHUNK + 1) * SECSTREAM_ABYTES + plain;
}

static int fail(struct secstream_dec *d, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct secstream_dec *d, int code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!d->err[0])
		snprintf(d->err, sizeof(d->err), "%s: %s", d->what, msg);
	return code;
}

int secstream_dec_init(struct secstream_dec *d, const struct offsite_key *k, const char *what)
{
	memset(d, 0, sizeof(*d));
	d->key = k;
	snprintf(d->what, sizeof(d->what), "%s", what);
	if (sodium_init() < 0)
		return fail(d, -EIO, "libsodium cannot start");
	d->buf = malloc(SECSTREAM_HEADER_BYTES);
	if (!d->buf)
		return fail(d, -ENOMEM, "out of memory");
	return 0;
}

/* The header is complete in d->buf: check it and start the stream. */
static int start(struct secstream_dec *d)
{
	uint32_t chunk;
	uint8_t *nbuf;

	if (memcmp(d->buf, SECSTREAM_MAGIC, 8) != 0)
		return fail(d, -EPROTO, "not an encrypted Lifeboat object (no %s header)", SECSTREAM_MAGIC);
	chunk = (uint32_t)d->buf[8] << 24 | (uint32_t)d->buf[9] << 16 | (uint32_t)d->buf[10] << 8 | d->buf[11];
	if (chunk < 1024 || chunk > SECSTREAM_CHUNK_MAX)
		return fail(d, -EPROTO, "the header's chunk size %u is out of range", chunk);
	if (memcmp(d->buf + 12, d->key->id, OFFSITE_KEY_ID_BYTES) != 0) {
		char want[24], have[24];

		offsite_key_id_hex(d->buf + 12, want, sizeof(want));
		offsite_key_id_hex(d->key->id, have, sizeof(have));
		return fail(d, -EBADMSG, "encrypted with another key (key id %s; the key file's is %s)", want, have);
	}
	memcpy(d->ad, d->buf, SECSTREAM_AD_BYTES);
	if (crypto_secretstream_xchacha20poly1305_init_pull(&d->st, d->buf + SECSTREAM_AD_BYTES, d->key->key) != 0)
		return fail(d, -EBADMSG, "bad stream header");
	d->chunk = chunk;
	nbuf = realloc(d->buf, chunk + SECSTREAM_ABYTES);
	if (!nbuf)
		return fail(d, -ENOMEM, "out of memory");
	d->buf = nbuf;
	d->out = malloc(chunk);
	if (!d->out)
		return fail(d, -ENOMEM, "out of memory");
	d->have = 0;
	d->started = true;
	return 0;
}

/* d->buf holds LEN bytes of one encrypted chunk: open it. */
static int open_chunk(struct secstream_dec *d, size_t len, secstream_sink sink, void *arg)
{
	unsigned long long plen;
	unsigned char tag;
	int r;

	if (crypto_secretstream_xchacha20poly1305_pull(&d->st, d->out, &plen, &tag, d->buf, len,
						       d->ad, SECSTREAM_AD_BYTES) != 0)
		return fail(d, -EBADMSG,
			    "chunk %llu (at byte %llu) does not decrypt: the object was altered, reordered or damaged",
			    (unsigned long long)d->chunks + 1,
			    (unsigned long long)(SECSTREAM_HEADER_BYTES + d->chunks * (d->chunk + SECSTREAM_ABYTES)));
	d->chunks++;
	if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL)
		d->done = true;
	else if (plen != d->chunk)
		return fail(d, -EBADMSG, "chunk %llu is short but not the final one", (unsigned long long)d->chunks);
	d->plain += plen;
	if (plen && (r = sink(arg, d->out, (size_t)plen)) < 0)
		return fail(d, r, "cannot write the decrypted data: %s", strerror(-r));
	return 0;
}

int secstream_dec_feed(struct secstream_dec *d, const uint8_t *in, size_t len, secstream_sink sink, void *arg)
{
	int r;

	if (d->err[0])
		return -EBADMSG;
	while (len) {
		size_t want, take;

		if (d->done)
			return fail(d, -EBADMSG, "%zu bytes after the final chunk", len);
		want = d->started ? d->chunk + SECSTREAM_ABYTES : SECSTREAM_HEADER_BYTES;
		take = want - d->have < len ? want - d->have : len;
		memcpy(d->buf + d->have, in, take);
		d->have += take;
		in += take;
		len -= take;
		if (d->have < want)
			break;
		if (!d->started)
			r = start(d);
		else {
			r = open_chunk(d, d->have, sink, arg);
			d->have = 0;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int secstream_dec_finish(struct secstream_dec *d, secstream_sink sink, void *arg)
{
	int r;

	if (d->err[0])
		return -EBADMSG;
	if (!d->started)
		return fail(d, -EBADMSG, "truncated: %zu bytes, shorter than the header", d->have);
	/* A final chunk shorter than a whole one is still in the buffer. */
	if (!d->done && d->have >= SECSTREAM_ABYTES) {
		r = open_chunk(d, d->have, sink, arg);
		d->have = 0;
		if (r < 0)
			return r;
	}
	if (!d->done || d->have)
		return fail(d, -EBADMSG, "truncated: it ends after %llu chunks (%llu bytes decrypted) without its final chunk",
			    (unsigned long long)d->chunks, (unsigned long long)d->plain);
	return 0;
}

void secstream_dec_clear(struct secstream_dec *d)
{
	if (d->buf) {
		sodium_memzero(d->buf, d->chunk ? d->chunk + SECSTREAM_ABYTES : SECSTREAM_HEADER_BYTES);
		free(d->buf);
	}
	if (d->out) {
		sodium_memzero(d->out, d->chunk);
		free(d->out);
	}
	d->out = NULL;
	sodium_memzero(&d->st, sizeof(d->st));
	d->buf = NULL;
}

/*
 * offsite_single — one file, encrypted, as one streamed PUT (see
 * offsite_put_file, which picks this for files up to the target's
 * single_put_max and multipart above it).
 *
 * The body is produced as curl sends it: the stream header, then each
 * 64 KiB chunk read from the file and encrypted, so memory is one chunk
 * whatever the size.  Its length is known before a byte is read
 * (secstream_size).  SigV4 wants x-amz-content-sha256 before the body, so
 * the body is made twice: once to hash it (and MD5 it, for Object Lock),
 * once to send it.  The second pass gives the same bytes because the stream
 * derives from the key and the header alone (secstream_enc_resume); a retry
 * starts the body over the same way.  What this buys over multipart: one
 * request, and nothing the server has to join afterwards (s3rver rereads
 * and rewrites every part on completion).  What it costs: a killed upload
 * starts over (no upload id to resume), so the threshold bounds what may
 * be sent twice.  It reads the file; it keeps no state.
 */
#include "offsite_int.h"
#include "secstream.h"
#include "sigv4.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

struct single {
	struct offsite_conn *c;
	const char *path;
	const char *key;
	int fd;
	uint64_t size;		/* plaintext */
	struct secstream_enc enc;
	uint8_t header[SECSTREAM_HEADER_BYTES];
	uint64_t at;		/* plaintext offset of the next chunk */
	bool header_out;	/* the header is in out[] or sent */
	bool done;		/* the final chunk is in out[] or sent */
	uint8_t in[SECSTREAM_CHUNK];
	uint8_t out[SECSTREAM_CHUNK + SECSTREAM_ABYTES];
	size_t olen, opos;	/* bytes in out[], bytes of them handed on */
	bool failed;		/* reading or encrypting failed: c->err says why */
};

static int single_rewind(void *arg)
{
	struct single *s = arg;

	secstream_enc_clear(&s->enc);
	if (secstream_enc_resume(&s->enc, &s->c->key, s->header) < 0)
		return -EINVAL;
	s->at = 0;
	s->header_out = s->done = false;
	s->olen = s->opos = 0;
	return 0;
}

/* Fills out[] with the next piece of the body; olen 0 at its end. */
static int next_piece(struct single *s)
{
	size_t want, got = 0;
	bool final;

	s->olen = s->opos = 0;
	if (!s->header_out) {
		memcpy(s->out, s->header, SECSTREAM_HEADER_BYTES);
		s->olen = SECSTREAM_HEADER_BYTES;
		s->header_out = true;
		return 0;
	}
	if (s->done)
		return 0;
	want = s->size - s->at < SECSTREAM_CHUNK ? (size_t)(s->size - s->at) : SECSTREAM_CHUNK;
	final = want < SECSTREAM_CHUNK;
	while (got < want) {
		ssize_t n = pread(s->fd, s->in + got, want - got, (off_t)(s->at + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? -errno : -EIO;

			offsite_seterr(s->c, "%s: %s while reading for s3://%s/%s", s->path,
				       n < 0 ? strerror(errno) : "the file got shorter", s->c->o->bucket, s->key);
			s->failed = true;
			return e;
		}
		got += (size_t)n;
	}
	if (secstream_enc_chunk(&s->enc, s->in, want, final, s->out) < 0) {
		offsite_seterr(s->c, "s3://%s/%s: encryption out of step", s->c->o->bucket, s->key);
		s->failed = true;
		return -EINVAL;
	}
	s->olen = want + SECSTREAM_ABYTES;
	s->at += want;
	s->done = final;
	return 0;
}

/* curl's read: as many pieces as fit N (curl sends what one call gives). */
static long single_read(void *arg, uint8_t *p, size_t n)
{
	struct single *s = arg;
	size_t done = 0;
	int r;

	while (done < n) {
		size_t k;

		if (s->opos == s->olen && (r = next_piece(s)) < 0)
			return r;
		if (s->olen == 0)
			break;
		k = s->olen - s->opos < n - done ? s->olen - s->opos : n - done;
		memcpy(p + done, s->out + s->opos, k);
		s->opos += k;
		done += k;
	}
	return (long)done;
}

/* The first pass: the body's SHA-256 (hex) and, when asked, MD5 (base64). */
static int hash_body(struct single *s, struct s3_stream *b, bool md5)
{
	EVP_MD_CTX *sha = EVP_MD_CTX_new(), *m5 = md5 ? EVP_MD_CTX_new() : NULL;
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	uint64_t total = 0;
	int r = 0;

	if (!sha || (md5 && !m5) || !EVP_DigestInit_ex(sha, EVP_sha256(), NULL) ||
	    (m5 && !EVP_DigestInit_ex(m5, EVP_md5(), NULL))) {
		offsite_seterr(s->c, "s3://%s/%s: cannot start a digest", s->c->o->bucket, s->key);
		r = -ENOMEM;
		goto out;
	}
	if ((r = single_rewind(s)) < 0) {
		offsite_seterr(s->c, "s3://%s/%s: encryption out of step", s->c->o->bucket, s->key);
		goto out;
	}
	for (;;) {
		if ((r = next_piece(s)) < 0)
			goto out;
		if (!s->olen)
			break;
		EVP_DigestUpdate(sha, s->out, s->olen);
		if (m5)
			EVP_DigestUpdate(m5, s->out, s->olen);
		total += s->olen;
	}
	if (total != b->len) {
		offsite_seterr(s->c, "s3://%s/%s: %llu bytes encrypted, %llu expected", s->c->o->bucket, s->key,
			       (unsigned long long)total, (unsigned long long)b->len);
		r = -EIO;
		goto out;
	}
	EVP_DigestFinal_ex(sha, d, &dlen);
	sodium_bin2hex(b->sha256, sizeof(b->sha256), d, dlen);
	if (m5) {
		EVP_DigestFinal_ex(m5, d, &dlen);
		EVP_EncodeBlock((unsigned char *)b->md5, d, (int)dlen);
	}
out:
	EVP_MD_CTX_free(sha);
	EVP_MD_CTX_free(m5);
	return r;
}

int offsite_put_single(struct offsite_conn *c, const char *path, const char *key, int fd, uint64_t size)
{
	struct single *s = calloc(1, sizeof(*s));
	struct s3_stream b = { 0 };
	int r;

	if (!s) {
		offsite_seterr(c, "s3://%s/%s: out of memory", c->o->bucket, key);
		return -ENOMEM;
	}
	*s = (struct single){ .c = c, .path = path, .key = key, .fd = fd, .size = size };
	if ((r = secstream_enc_init(&s->enc, &c->key)) < 0) {
		offsite_seterr(c, "s3://%s/%s: cannot start the encryption", c->o->bucket, key);
		goto out;
	}
	memcpy(s->header, s->enc.header, SECSTREAM_HEADER_BYTES);
	b.len = secstream_size(size);
	b.read = single_read;
	b.rewind = single_rewind;
	b.arg = s;
	if ((r = hash_body(s, &b, s3_wants_md5(c->s3))) < 0)
		goto out;
	r = s3_put_stream(c->s3, key, &b, c->o->object_lock_days);
	if (r < 0 && !s->failed)
		offsite_s3err(c);
out:
	secstream_enc_clear(&s->enc);
	free(s);
	return r;
}

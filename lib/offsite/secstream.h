/*
 * secstream — the encrypted format of every offsite object.
 *
 * An object is a 44-byte header and then chunks:
 *
 *     "LBOFFSC1"  chunk size (u32, big-endian)  key id (8)  secretstream header (24)
 *     chunk 1 .. chunk N: libsodium crypto_secretstream_xchacha20poly1305
 *
 * Each chunk holds exactly `chunk size` plaintext bytes (SECSTREAM_CHUNK,
 * 64 KiB) plus 17 bytes of tag and MAC, except the last, which holds what is
 * left (0 .. chunk size - 1 bytes) and carries the FINAL tag.  The first 20
 * header bytes are the additional data of every chunk, so the header cannot
 * be altered either.  What this buys (as WAL-G's libsodium crypter does,
 * with one final tag so truncation is caught): a flipped byte, a chunk
 * dropped, repeated or swapped, or a stream cut at any point fails to
 * decrypt, and the object's size follows from the plaintext's
 * (secstream_size), so a listing can check sizes without downloading.
 *
 * The encryptor is a chunk at a time, for the uploader that cuts parts on
 * chunk boundaries; secstream_enc_resume() takes the header of an object
 * begun earlier (kept in the upload state: it is public) and, since the
 * stream's state derives from key and header alone, re-creates the exact
 * same stream, so a resumed multipart upload continues the same bytes.
 * The decryptor takes bytes in any pieces and hands plaintext to a callback.
 * Errors name the object (the `what` given at init).
 */
#ifndef LIFEBOAT_SECSTREAM_H
#define LIFEBOAT_SECSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "offsite_key.h"

#define SECSTREAM_MAGIC "LBOFFSC1"
#define SECSTREAM_AD_BYTES 20		/* magic, chunk size, key id */
#define SECSTREAM_HEADER_BYTES (SECSTREAM_AD_BYTES + crypto_secretstream_xchacha20poly1305_HEADERBYTES)
#define SECSTREAM_CHUNK (64 * 1024)
#define SECSTREAM_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define SECSTREAM_CHUNK_MAX (16 * 1024 * 1024)	/* a header claiming more is refused */

struct secstream_enc {
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t header[SECSTREAM_HEADER_BYTES];	/* the object's first bytes */
	uint64_t chunks;			/* chunks produced so far */
	bool done;				/* the final chunk was produced */
};

/* Starts a new stream with a random header (copied into e->header). */
int secstream_enc_init(struct secstream_enc *e, const struct offsite_key *k);
/* Continues the stream whose header is HEADER, from its first chunk. */
int secstream_enc_resume(struct secstream_enc *e, const struct offsite_key *k,
			 const uint8_t header[SECSTREAM_HEADER_BYTES]);
/* Encrypts one chunk: LEN == SECSTREAM_CHUNK, or LEN < SECSTREAM_CHUNK with
 * FINAL.  OUT gets LEN + SECSTREAM_ABYTES bytes.  Returns 0 or -EINVAL. */
int secstream_enc_chunk(struct secstream_enc *e, const uint8_t *in, size_t len, bool final, uint8_t *out);
void secstream_enc_clear(struct secstream_enc *e);

/* The encrypted size of PLAIN bytes. */
uint64_t secstream_size(uint64_t plain);

/* Where the decryptor sends plaintext; a negative return stops it. */
typedef int (*secstream_sink)(void *arg, const uint8_t *p, size_t n);

struct secstream_dec {
	crypto_secretstream_xchacha20poly1305_state st;
	const struct offsite_key *key;
	char what[512];			/* the object's name, for errors */
	uint8_t *buf;			/* one encrypted chunk being gathered */
	uint8_t *out;			/* its plaintext (libsodium does not decrypt in place) */
	size_t have;			/* bytes in buf */
	size_t chunk;			/* plaintext chunk size from the header */
	uint8_t ad[SECSTREAM_AD_BYTES];
	uint64_t chunks;		/* chunks decrypted */
	uint64_t plain;			/* plaintext bytes out */
	bool started;			/* header read */
	bool done;			/* final chunk seen */
	char err[800];			/* the first error, naming the object */
};

/* Starts decrypting the object WHAT with K (kept by pointer until clear). */
int secstream_dec_init(struct secstream_dec *d, const struct offsite_key *k, const char *what);
/* Feeds LEN encrypted bytes.  Returns 0, or a negative code with d->err set
 * (-EBADMSG: damaged, reordered or wrong key; -EPROTO: not our format). */
int secstream_dec_feed(struct secstream_dec *d, const uint8_t *in, size_t len, secstream_sink sink, void *arg);
/* The stream ended: -EBADMSG unless its final chunk was seen. */
int secstream_dec_finish(struct secstream_dec *d, secstream_sink sink, void *arg);
void secstream_dec_clear(struct secstream_dec *d);

#endif

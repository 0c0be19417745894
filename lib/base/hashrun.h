/*
 * hashrun — a SHA-256 whose state can be saved as text and resumed later.
 *
 * A logs job keeps, for every log file, the SHA-256 of the prefix it has
 * already archived.  When more lines are archived the prefix hash must be
 * extended without reading the whole file again ("each file read once"),
 * so the hash state itself — not only the digest — has to survive from one
 * run to the next, in the state dir and in the backup record.
 *
 * OpenSSL's EVP interface cannot export a digest's internal state.  The
 * low-level SHA256_CTX can: it is a plain public struct (eight chaining
 * words, the bit count and the pending partial block), and its functions use
 * the same assembly (SHA-NI, AVX2) as EVP.  They are deprecated in OpenSSL 3
 * but present throughout 3.x; this file is the only user, so a move away from
 * them (e.g. to a portable SHA-256 block function) would touch only here.
 *
 * The text form is "h0h1...h7:NNNNNNNNNNNNNNNN:PENDING": the eight chaining
 * words as 8 hex digits each, the byte count as 16 hex digits, and the
 * pending bytes (fewer than 64) in hex.  It is portable across hosts and
 * independent of OpenSSL's struct layout.
 *
 * What it does not do: anything but SHA-256, or allocate.
 */
#ifndef LIFEBOAT_HASHRUN_H
#define LIFEBOAT_HASHRUN_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

/* 64 + 1 + 16 + 1 + 128 + NUL, rounded up. */
#define HASHRUN_TEXT_MAX 224

struct hashrun {
	alignas(8) unsigned char ctx[128];	/* an OpenSSL SHA256_CTX */
};

/* Starts a hash over zero bytes. */
void hashrun_init(struct hashrun *h);
void hashrun_update(struct hashrun *h, const void *data, size_t len);
/* Bytes hashed so far. */
uint64_t hashrun_bytes(const struct hashrun *h);
/* The digest of what was hashed so far, as sha256sum prints it; H is left
 * as it was, so hashing can go on. */
void hashrun_hex(const struct hashrun *h, char hex[SHA256_HEX_LEN + 1]);
/* The state as text (see above). */
void hashrun_save(const struct hashrun *h, char text[HASHRUN_TEXT_MAX]);
/* Resumes from TEXT.  Returns 0 or -EINVAL when TEXT is not a saved state. */
int hashrun_load(struct hashrun *h, const char *text);

#endif

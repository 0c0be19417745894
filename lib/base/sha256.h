/*
 * sha256 — streaming SHA-256 over OpenSSL's EVP interface, and the lowercase
 * hex form that sha256sum prints.  Nothing here allocates beyond the EVP context.
 */
#ifndef LIFEBOAT_SHA256_H
#define LIFEBOAT_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 64

struct sha256 {
	void *ctx;		/* EVP_MD_CTX *, owned */
};

/* Returns 0 or -ENOMEM. */
int sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *data, size_t len);
/* Writes 64 hex digits and a NUL to HEX and frees the context. */
void sha256_final_hex(struct sha256 *h, char hex[SHA256_HEX_LEN + 1]);
/* The 64 hex digits of a binary digest MD (32 bytes), and a NUL, to HEX. */
void sha256_hex(const unsigned char md[32], char hex[SHA256_HEX_LEN + 1]);
/* Frees the context without a result (error paths). */
void sha256_discard(struct sha256 *h);

/* Hashes the whole file at PATH.  Returns 0 or a negative errno (logged). */
int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1]);

/* Hashes what is left of FD to its end, adding the bytes read to *BYTES,
 * and drops them from the page cache afterwards (a hash check must not push
 * the site's own files out).  Returns 0 or a negative errno, not logged: the
 * caller names the file. */
int sha256_fd(int fd, char hex[SHA256_HEX_LEN + 1], uint64_t *bytes);

#endif

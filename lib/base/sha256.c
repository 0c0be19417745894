/*
 * sha256 — streaming SHA-256 through OpenSSL's EVP interface (see sha256.h).
 *
 * Design: the state is an EVP_MD_CTX owned by struct sha256 and freed by
 * sha256_final_hex() or sha256_discard(), so callers that stream an artifact
 * never juggle OpenSSL types.  The output is lowercase hex, exactly what
 * sha256sum prints and what `sha256sum -c` compares against.
 *
 * What it deliberately does not do: offer other digests, keep binary digests,
 * or read files through mmap (a 64 KiB read loop is as fast on the sizes we
 * hash and behaves on pipes and files that shrink underneath us).
 */
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "log.h"

#define SHA256_FILE_BUF (64 * 1024)	/* read size of sha256_file, bytes */

int sha256_init(struct sha256 *h)
{
	EVP_MD_CTX *ctx;

	h->ctx = NULL;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	/* With the default provider this only fails when out of memory. */
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return -ENOMEM;
	}
	h->ctx = ctx;
	return 0;
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
	/* EVP_DigestUpdate on an initialised SHA-256 context cannot fail; the
	 * void signature keeps every streaming caller free of dead branches. */
	if (h->ctx && len > 0)
		EVP_DigestUpdate(h->ctx, data, len);
}

void sha256_final_hex(struct sha256 *h, char hex[SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned int i;

	hex[0] = '\0';
	if (!h->ctx)
		return;
	if (EVP_DigestFinal_ex(h->ctx, md, &mdlen) == 1 && mdlen * 2 == SHA256_HEX_LEN) {
		for (i = 0; i < mdlen; i++) {
			hex[2 * i] = digits[md[i] >> 4];
			hex[2 * i + 1] = digits[md[i] & 0x0f];
		}
		hex[2 * mdlen] = '\0';
	}
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

void sha256_discard(struct sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int sha256_fd(int fd, char hex[SHA256_HEX_LEN + 1], uint64_t *bytes)
{
	struct sha256 h;
	unsigned char *buf;
	int rc;

	hex[0] = '\0';
	/* On the heap: library code should not put 64 KiB on a caller's stack. */
	buf = malloc(SHA256_FILE_BUF);
	if (!buf)
		return -ENOMEM;
	rc = sha256_init(&h);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (;;) {
		ssize_t n = read(fd, buf, SHA256_FILE_BUF);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			sha256_discard(&h);
			break;
		}
		if (n == 0) {
			sha256_final_hex(&h, hex);
			break;
		}
		sha256_update(&h, buf, (size_t)n);
		*bytes += (uint64_t)n;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	free(buf);
	return rc;
}

int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1])
{
	uint64_t bytes = 0;
	int fd, rc;

	hex[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot open", path);
		return rc;
	}
	rc = sha256_fd(fd, hex, &bytes);
	if (rc < 0)
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot hash", path);
	close(fd);
	return rc;
}

void sha256_hex(const unsigned char md[32], char hex[SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

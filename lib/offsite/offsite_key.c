/*
 * offsite_key — creating and reading the offsite encryption key file (see
 * offsite_key.h).  The key comes from libsodium's randombytes; the file is
 * written with O_EXCL|O_NOFOLLOW at mode 0600 and fsynced before init says
 * it exists.
 */
#include "offsite_key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

static void derive_id(struct offsite_key *k)
{
	static const uint8_t ctx[] = "lifeboat offsite key id";

	crypto_generichash(k->id, sizeof(k->id), ctx, sizeof(ctx) - 1, k->key, sizeof(k->key));
}

void offsite_key_line(const struct offsite_key *k, char *buf, size_t len)
{
	char hex[OFFSITE_KEY_BYTES * 2 + 1];

	sodium_bin2hex(hex, sizeof(hex), k->key, sizeof(k->key));
	snprintf(buf, len, "%s %s", OFFSITE_KEY_TAG, hex);
	sodium_memzero(hex, sizeof(hex));
}

void offsite_key_id_hex(const uint8_t id[OFFSITE_KEY_ID_BYTES], char *buf, size_t len)
{
	char hex[OFFSITE_KEY_ID_BYTES * 2 + 1];

	sodium_bin2hex(hex, sizeof(hex), id, OFFSITE_KEY_ID_BYTES);
	snprintf(buf, len, "%s", hex);
}

int offsite_key_create(const char *path, struct offsite_key *k, char *err, size_t errlen)
{
	char line[128], text[512];
	size_t n;
	int fd, r = 0;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium cannot start");
		return -EIO;
	}
	randombytes_buf(k->key, sizeof(k->key));
	derive_id(k);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot create the key file: %s%s", path, strerror(errno),
			 errno == EEXIST ? " (a key file is never replaced: remove it first if you really mean to)" : "");
		offsite_key_clear(k);
		return r;
	}
	offsite_key_line(k, line, sizeof(line));
	n = (size_t)snprintf(text, sizeof(text),
			     "# Lifeboat offsite encryption key.  Without it no offsite copy can be read:\n"
			     "# keep a copy of this file away from this server.\n%s\n", line);
	if (fchmod(fd, 0600) < 0 || write(fd, text, n) != (ssize_t)n || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	sodium_memzero(text, sizeof(text));
	sodium_memzero(line, sizeof(line));
	if (close(fd) < 0 && !r)
		r = -errno;
	if (r) {
		snprintf(err, errlen, "%s: cannot write the key file: %s", path, strerror(-r));
		unlink(path);
		offsite_key_clear(k);
	}
	return r;
}

int offsite_key_load(const char *path, struct offsite_key *k, char *err, size_t errlen)
{
	char buf[4096], *line, *save = NULL;
	struct stat st;
	ssize_t n;
	bool found = false;
	int fd, r = 0;

	memset(k, 0, sizeof(*k));
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium cannot start");
		return -EIO;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot open the key file: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: the key file is not a regular file", path);
		return -EINVAL;
	}
	if (st.st_mode & 077) {
		close(fd);
		snprintf(err, errlen, "%s: the key file is readable by others (mode %04o); chmod 0600 it",
			 path, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: cannot read the key file: %s", path, strerror(errno));
		return -EIO;
	}
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t taglen = strlen(OFFSITE_KEY_TAG), binlen = 0;
		const char *end = NULL;

		if (line[0] == '#' || !line[0])
			continue;
		if (strncmp(line, OFFSITE_KEY_TAG " ", taglen + 1) != 0)
			break;
		if (sodium_hex2bin(k->key, sizeof(k->key), line + taglen + 1, strlen(line + taglen + 1),
				   NULL, &binlen, &end) == 0 && binlen == sizeof(k->key) &&
		    (*end == '\0' || *end == '\r'))
			found = true;
		break;
	}
	sodium_memzero(buf, sizeof(buf));
	if (!found) {
		offsite_key_clear(k);
		snprintf(err, errlen, "%s: no '%s <64 hex digits>' line in the key file", path, OFFSITE_KEY_TAG);
		return -EINVAL;
	}
	derive_id(k);
	return 0;
}

void offsite_key_clear(struct offsite_key *k)
{
	sodium_memzero(k, sizeof(*k));
}

/*
 * reader — see reader.h.
 */
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <zstd.h>

#include "log.h"

#define READ_BUF (256 * 1024)

static void __attribute__((format(printf, 4, 5)))
fail(unsigned flags, char *why, size_t whylen, const char *fmt, ...)
{
	char line[4352];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (why && whylen)
		snprintf(why, whylen, "%s", line);
	if (!(flags & READER_QUIET))
		log_error("%s", line);
}

int reader_open_path(const char *path, const char *sha256, uint64_t size, unsigned flags,
		     struct reader **out, char *why, size_t whylen)
{
	struct reader *r;
	struct stat sb;
	int e;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r || sha256_init(&r->h) < 0) {
		free(r);
		fail(flags, why, whylen, "%s: out of memory", path);
		return -ENOMEM;
	}
	r->fd = -1;
	r->hashing = true;
	r->flags = flags;
	r->want_size = size;
	snprintf(r->path, sizeof(r->path), "%s", path);
	if (sha256)
		snprintf(r->want, sizeof(r->want), "%s", sha256);
	r->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (r->fd < 0) {
		e = errno;
		fail(flags, why, whylen, "%s: %s", path, e == ENOENT ? "missing" :
		     e == ELOOP ? "a symlink, not an artifact" : strerror(e));
		reader_free(r);
		return e == ELOOP ? -EINVAL : -e;
	}
	if (fstat(r->fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		fail(flags, why, whylen, "%s: not a regular file", path);
		reader_free(r);
		return -EINVAL;
	}
	*out = r;
	return 0;
}

int reader_open(struct store *st, const struct store_entry *e, enum record_role role, unsigned flags,
		struct reader **out, char *why, size_t whylen)
{
	struct record_artifact a;
	char path[4096];
	int r;

	*out = NULL;
	r = record_artifact(e->record, role, &a);
	if (r < 0) {
		fail(flags, why, whylen, "job %s: backup %s: its record names no %s artifact", e->job, e->id,
		     record_role_ext(record_kind(e->record), role) ?: "such");
		return r == -ENOENT ? -EINVAL : r;
	}
	if (record_artifact_path(st, e, &a, path, sizeof(path)) < 0) {
		fail(flags, why, whylen, "job %s: backup %s: the path of %s is too long", e->job, e->id, a.file);
		return -ENAMETOOLONG;
	}
	return reader_open_path(path, a.sha256, a.size, flags, out, why, whylen);
}

ssize_t reader_read(struct reader *r, void *buf, size_t len)
{
	ssize_t n;

	if (r->err)
		return -r->err;
	do
		n = read(r->fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r->err = errno;
		fail(r->flags, r->why, sizeof(r->why), "%s: cannot read: %s", r->path, strerror(r->err));
		return -r->err;
	}
	sha256_update(&r->h, buf, (size_t)n);
	r->bytes += (uint64_t)n;
	return n;
}

int reader_close(struct reader *r)
{
	unsigned char drain[64 * 1024];
	ssize_t n;

	if (r->closed)
		return r->result;
	r->closed = true;
	while ((n = reader_read(r, drain, sizeof(drain))) > 0)
		;
	sha256_final_hex(&r->h, r->hex);
	r->hashing = false;
	posix_fadvise(r->fd, 0, 0, POSIX_FADV_DONTNEED);
	if (n < 0) {
		r->result = (int)n;
	} else if (r->want_size != UINT64_MAX && r->bytes != r->want_size) {
		fail(r->flags, r->why, sizeof(r->why), "%s: %llu bytes, its record says %llu", r->path,
		     (unsigned long long)r->bytes, (unsigned long long)r->want_size);
		r->result = -EBADMSG;
	} else if (r->want[0] && strcmp(r->hex, r->want) != 0) {
		fail(r->flags, r->why, sizeof(r->why),
		     "%s: SHA-256 %s, its record says %s: the artifact is corrupted", r->path, r->hex, r->want);
		r->result = -EBADMSG;
	}
	return r->result;
}

int reader_rewind(struct reader *r)
{
	if (r->hashing)
		sha256_discard(&r->h);
	r->hashing = false;
	if (lseek(r->fd, 0, SEEK_SET) < 0 || sha256_init(&r->h) < 0) {
		int e = errno ? errno : ENOMEM;

		fail(r->flags, r->why, sizeof(r->why), "%s: cannot read it again: %s", r->path, strerror(e));
		return -e;
	}
	r->hashing = true;
	r->bytes = 0;
	r->closed = false;
	r->result = 0;
	r->err = 0;
	r->hex[0] = 0;
	return 0;
}

void reader_free(struct reader *r)
{
	if (!r)
		return;
	if (r->hashing)
		sha256_discard(&r->h);
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r);
}

/* ---- libarchive ------------------------------------------------------------- */

static la_ssize_t archive_cb(struct archive *a, void *ctx, const void **out)
{
	struct reader *r = ctx;
	ssize_t n = reader_read(r, r->buf, READ_BUF);

	if (n < 0) {
		archive_set_error(a, (int)-n, "%s: cannot read", r->path);
		return -1;
	}
	*out = r->buf;
	return n;
}

int reader_archive(struct reader *r, struct archive **out)
{
	struct archive *a;

	*out = NULL;
	if (!r->buf)
		r->buf = malloc(READ_BUF);
	a = r->buf ? archive_read_new() : NULL;
	if (!a) {
		fail(r->flags, r->why, sizeof(r->why), "%s: out of memory", r->path);
		return -ENOMEM;
	}
	/* Only what we write: zstd around a tar. */
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	archive_read_set_options(a, "hdrcharset=BINARY");
	if (archive_read_open(a, r, NULL, archive_cb, NULL) != ARCHIVE_OK) {
		snprintf(r->why, sizeof(r->why), "%s: not a readable tar.zst: %s", r->path,
			 archive_error_string(a) ?: "unknown format");
		archive_read_free(a);
		return r->err ? -r->err : -EBADMSG;
	}
	*out = a;
	return 0;
}

/* ---- zstd ----------------------------------------------------------------- */

int reader_zstd(struct reader *r, reader_fn fn, void *ctx)
{
	size_t inlen = ZSTD_DStreamInSize(), outlen = ZSTD_DStreamOutSize(), last = 0;
	char *in = malloc(inlen), *out = malloc(outlen);
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	ssize_t n = 0;
	int rc = 0;

	if (!in || !out || !dctx) {
		fail(r->flags, r->why, sizeof(r->why), "%s: out of memory", r->path);
		rc = -ENOMEM;
	}
	while (rc == 0 && (n = reader_read(r, in, inlen)) > 0) {
		ZSTD_inBuffer ib = { in, (size_t)n, 0 };

		/* Until the input is used and zstd has nothing more to give. */
		for (bool full = true; rc == 0 && (ib.pos < ib.size || full);) {
			ZSTD_outBuffer ob = { out, outlen, 0 };

			last = ZSTD_decompressStream(dctx, &ob, &ib);
			if (ZSTD_isError(last)) {
				snprintf(r->why, sizeof(r->why), "%s: not a valid zstd file: %s", r->path,
					 ZSTD_getErrorName(last));
				rc = -EBADMSG;
				break;
			}
			full = ob.pos == ob.size;
			if (ob.pos)
				rc = fn(ctx, out, ob.pos);
		}
	}
	if (rc == 0 && n < 0)
		rc = (int)n;
	if (rc == 0 && last != 0) {
		snprintf(r->why, sizeof(r->why), "%s: the zstd stream is truncated", r->path);
		rc = -EBADMSG;
	}
	ZSTD_freeDCtx(dctx);
	free(in);
	free(out);
	return rc;
}

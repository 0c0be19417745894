/*
 * logship_tar — a logs run's artifact: a tar (pax, restricted to ustar
 * headers when the names allow) with one regular-file entry per segment,
 * compressed by compress.h's zwriter into the store's "tar.zst" artifact.
 * libarchive only formats the tar; compression and hashing stay with our own
 * modules, so the artifact is written and accounted like a db dump.
 * `tar --zstd -tvf` lists it.
 */
#include "logship_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive_entry.h>

#include "compress.h"
#include "log.h"

struct ltar {
	struct store_artifact *artifact;	/* owned by the transaction */
	struct zwriter *zw;			/* owned */
	struct archive *a;			/* owned */
	int err;				/* first error of a callback */
	uint64_t stored;			/* compressed bytes written */
};

static int sink(void *ctx, const void *buf, size_t len)
{
	struct ltar *t = ctx;

	t->stored += len;
	return store_artifact_write(t->artifact, buf, len);
}

static la_ssize_t tar_write_cb(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct ltar *t = ctx;
	int r = zwriter_write(t->zw, buf, len);

	if (r < 0) {
		t->err = r;
		archive_set_error(a, -r, "cannot write the artifact");
		return -1;
	}
	return (la_ssize_t)len;
}

int ltar_open(struct store_txn *txn, int level, int threads, size_t paced_block, struct ltar **out)
{
	struct ltar *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	r = store_artifact_open(txn, "tar.zst", &t->artifact);
	if (r == 0)
		r = paced_block ? zwriter_open_paced(level, paced_block, sink, t, &t->zw)
				: zwriter_open(level, threads, sink, t, &t->zw);
	if (r == 0) {
		t->a = archive_write_new();
		if (!t->a || archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK ||
		    archive_write_add_filter_none(t->a) != ARCHIVE_OK ||
		    /* No blocking: each header and data chunk goes straight to
		     * zstd, without a copy into 10 KiB records and a zstd call
		     * (and its worker-queue locking) per record. */
		    archive_write_set_bytes_per_block(t->a, 0) != ARCHIVE_OK ||
		    archive_write_set_bytes_in_last_block(t->a, 1) != ARCHIVE_OK ||
		    archive_write_open2(t->a, t, NULL, tar_write_cb, NULL, NULL) != ARCHIVE_OK) {
			log_error("cannot start the tar of the logs: %s",
				  t->a ? archive_error_string(t->a) : "out of memory");
			r = -EIO;
		}
	}
	if (r < 0) {
		ltar_free(t);
		return r;
	}
	*out = t;
	return 0;
}

int ltar_begin(struct ltar *t, const char *entry, uint64_t size, time_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	int r = 0;

	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, entry);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, mtime, 0);
	/* WARN: a name not in the locale's charset (UTF-8 under LC_ALL=C), stored
	 * as its bytes (hdrcharset=BINARY), which the reader hands back the same. */
	if (archive_write_header(t->a, e) < ARCHIVE_WARN) {
		log_error("%s: cannot add to the tar: %s", entry, archive_error_string(t->a));
		r = t->err ? t->err : -EIO;
	}
	archive_entry_free(e);
	return r;
}

int ltar_write(struct ltar *t, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		la_ssize_t n = archive_write_data(t->a, p, len);

		if (n <= 0) {
			log_error("cannot write the tar of the logs: %s", archive_error_string(t->a));
			return t->err ? t->err : -EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ltar_finish(struct ltar *t, uint64_t *stored)
{
	int r = 0;

	if (archive_write_close(t->a) != ARCHIVE_OK) {
		log_error("cannot finish the tar of the logs: %s", archive_error_string(t->a));
		r = t->err ? t->err : -EIO;
	}
	if (r == 0) {
		r = zwriter_close(t->zw);
		t->zw = NULL;
		*stored = t->stored;
	}
	if (r == 0)
		r = store_artifact_finish(t->artifact);
	ltar_free(t);
	return r;
}

void ltar_free(struct ltar *t)
{
	if (!t)
		return;
	if (t->a)
		archive_write_free(t->a);
	zwriter_free(t->zw);
	free(t);
}

int ltar_entry_name(char *buf, size_t len, const char *path, uint64_t dev, uint64_t ino,
		    uint64_t start, uint64_t end)
{
	int n;

	while (*path == '/')
		path++;
	n = snprintf(buf, len, "%s@%" PRIu64 ":%" PRIu64 "@%" PRIu64 "-%" PRIu64, path, dev, ino, start, end);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

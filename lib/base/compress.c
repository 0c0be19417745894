/*
 * compress — see compress.h.  A thin, careful wrapper over ZSTD_compressStream2:
 * the only subtle part is that with worker threads zstd may hold input back,
 * so the end of a frame is flushed in a loop until zstd says it is done.
 */
#include "compress.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include <zstd.h>

#include "log.h"

#define JOB_SIZE (2 << 20)	/* bytes of input per zstd worker job */

struct zwriter {
	ZSTD_CCtx *cctx;	/* owned */
	void *out;		/* output buffer of ZSTD_CStreamOutSize() bytes, owned */
	size_t outsize;
	zsink_fn sink;		/* borrowed */
	void *ctx;		/* borrowed */
	uint64_t in_bytes;	/* uncompressed bytes accepted */
	uint64_t out_bytes;	/* compressed bytes passed to the sink */
	size_t block;		/* paced: input bytes between flushes; 0 = not paced */
	size_t pending;		/* paced: input taken since the last flush */
};

int zwriter_open(int level, int threads, zsink_fn sink, void *ctx, struct zwriter **out)
{
	struct zwriter *zw;
	size_t r;

	*out = NULL;
	zw = calloc(1, sizeof(*zw));
	if (!zw)
		return -ENOMEM;
	zw->cctx = ZSTD_createCCtx();
	zw->outsize = ZSTD_CStreamOutSize();
	zw->out = malloc(zw->outsize);
	if (!zw->cctx || !zw->out) {
		zwriter_free(zw);
		return -ENOMEM;
	}
	zw->sink = sink;
	zw->ctx = ctx;
	r = ZSTD_CCtx_setParameter(zw->cctx, ZSTD_c_compressionLevel, level);
	if (!ZSTD_isError(r))
		r = ZSTD_CCtx_setParameter(zw->cctx, ZSTD_c_checksumFlag, 1);
	if (!ZSTD_isError(r) && threads > 0) {
		r = ZSTD_CCtx_setParameter(zw->cctx, ZSTD_c_nbWorkers, threads);
		/* zstd's default job size at low levels buffers tens of MiB per
		 * worker; 2 MiB jobs keep a job process small at the same speed. */
		if (!ZSTD_isError(r))
			r = ZSTD_CCtx_setParameter(zw->cctx, ZSTD_c_jobSize, JOB_SIZE);
		if (ZSTD_isError(r)) {
			/* A libzstd built without threads: compress in this thread. */
			log_warn("zstd: worker threads not available (%s); compressing in one thread",
				 ZSTD_getErrorName(r));
			r = 0;
		}
	}
	if (ZSTD_isError(r)) {
		log_error("zstd: cannot set level %d: %s", level, ZSTD_getErrorName(r));
		zwriter_free(zw);
		return -EINVAL;
	}
	*out = zw;
	return 0;
}

/* Runs one compression step over IN with END_OP and sends what came out. */
static int step(struct zwriter *zw, ZSTD_inBuffer *in, ZSTD_EndDirective end_op, size_t *left)
{
	ZSTD_outBuffer ob = { zw->out, zw->outsize, 0 };
	int r;

	*left = ZSTD_compressStream2(zw->cctx, &ob, in, end_op);
	if (ZSTD_isError(*left)) {
		log_error("zstd: compression failed: %s", ZSTD_getErrorName(*left));
		return -EIO;
	}
	if (ob.pos) {
		r = zw->sink(zw->ctx, zw->out, ob.pos);
		if (r < 0)
			return r;
		zw->out_bytes += ob.pos;
	}
	return 0;
}

int zwriter_open_paced(int level, size_t block, zsink_fn sink, void *ctx, struct zwriter **out)
{
	int r = zwriter_open(level, 0, sink, ctx, out);

	if (r == 0)
		(*out)->block = block ? block : 1;
	return r;
}

/* Paced: every BLOCK bytes of input, across writes of any size, are
 * compressed and flushed on their own, so the work between two calls of the
 * sink (where the throttle may sleep) is one short block, not the 128 KiB
 * zstd would otherwise gather first. */
static int write_paced(struct zwriter *zw, const unsigned char *p, size_t len)
{
	size_t left;
	int r;

	while (len > 0) {
		size_t room = zw->block - zw->pending;
		size_t n = len < room ? len : room;
		bool flush = n == room;
		ZSTD_inBuffer in = { p, n, 0 };

		do {
			r = step(zw, &in, flush ? ZSTD_e_flush : ZSTD_e_continue, &left);
			if (r < 0)
				return r;
		} while (in.pos < in.size || (flush && left != 0));
		zw->pending = flush ? 0 : zw->pending + n;
		p += n;
		len -= n;
	}
	return 0;
}

void zwriter_unpace(struct zwriter *zw)
{
	/* What is pending stays in zstd's buffer and goes out with the next
	 * block: nothing to flush here. */
	zw->block = 0;
	zw->pending = 0;
}

int zwriter_write(struct zwriter *zw, const void *buf, size_t len)
{
	ZSTD_inBuffer in = { buf, len, 0 };
	size_t left;
	int r;

	if (zw->block) {
		r = write_paced(zw, buf, len);
		if (r < 0)
			return r;
		zw->in_bytes += len;
		return 0;
	}
	while (in.pos < in.size) {
		r = step(zw, &in, ZSTD_e_continue, &left);
		if (r < 0)
			return r;
	}
	zw->in_bytes += len;
	return 0;
}

int zwriter_close(struct zwriter *zw)
{
	ZSTD_inBuffer in = { NULL, 0, 0 };
	size_t left;
	int r;

	do {
		r = step(zw, &in, ZSTD_e_end, &left);
		if (r < 0) {
			zwriter_free(zw);
			return r;
		}
	} while (left != 0);
	zwriter_free(zw);
	return 0;
}

void zwriter_free(struct zwriter *zw)
{
	if (!zw)
		return;
	ZSTD_freeCCtx(zw->cctx);
	free(zw->out);
	free(zw);
}

uint64_t zwriter_bytes_in(const struct zwriter *zw)
{
	return zw->in_bytes;
}

uint64_t zwriter_bytes_out(const struct zwriter *zw)
{
	return zw->out_bytes;
}

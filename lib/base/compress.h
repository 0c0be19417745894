/*
 * compress — streaming zstd compression into any byte sink.
 *
 * A zwriter takes bytes, compresses them with libzstd's streaming API (one
 * frame, the content size unknown up front, optional worker threads) and
 * hands the compressed output to a sink callback, typically
 * store_artifact_write(), which hashes and writes it.  Memory is bounded by
 * zstd's window and one output buffer, whatever is written.
 *
 * The output is a standard .zst file: `zstd -dc` reads it.
 */
#ifndef LIFEBOAT_COMPRESS_H
#define LIFEBOAT_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

/* Receives compressed bytes; returns 0 or a negative errno. */
typedef int (*zsink_fn)(void *ctx, const void *buf, size_t len);

struct zwriter;

/* LEVEL 1..19; THREADS 0 = compress in the caller's thread.  SINK and CTX are
 * borrowed and must outlive the writer.  *OUT is freed by zwriter_close() or
 * zwriter_free().  Returns 0, -ENOMEM or -EINVAL (logged). */
int zwriter_open(int level, int threads, zsink_fn sink, void *ctx, struct zwriter **out);
/* The same, paced: compresses in the caller's thread and flushes every
 * BLOCK bytes of input (gathered across writes of any size), so each stretch
 * of work is short (a throttled job, see throttle.h).  Measured on a dump:
 * under 1% of ratio at 16 KiB blocks. */
int zwriter_open_paced(int level, size_t block, zsink_fn sink, void *ctx, struct zwriter **out);
/* A paced writer stops flushing every block from now on (it still
 * compresses in the caller's thread: zstd fixes its workers at a frame's
 * start).  No-op on a writer that is not paced. */
void zwriter_unpace(struct zwriter *zw);
/* Compresses LEN bytes.  Returns 0 or the sink's error / -EIO (logged). */
int zwriter_write(struct zwriter *zw, const void *buf, size_t len);
/* Ends the frame, flushes it to the sink and frees the writer. */
int zwriter_close(struct zwriter *zw);
/* Frees without finishing the frame (error paths). */
void zwriter_free(struct zwriter *zw);
/* Bytes given to zwriter_write so far (uncompressed). */
uint64_t zwriter_bytes_in(const struct zwriter *zw);
/* Compressed bytes handed to the sink so far. */
uint64_t zwriter_bytes_out(const struct zwriter *zw);

#endif

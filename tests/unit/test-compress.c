/*
 * test-compress — the zstd writer: whatever is written in whatever pieces
 * comes back byte for byte from a plain ZSTD_decompress(), in one frame that
 * carries a content checksum; the byte counters tell the truth; the level is
 * applied; a sink's error (a full disk) comes back to the caller.
 *
 * The sink here is a growing memory buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "compress.h"

#define BIG (10u << 20)		/* the large input: 10 MiB */

/* A memory sink; with LIMIT set, it fails with -ENOSPC once more than LIMIT
 * bytes would have been taken. */
struct membuf {
	unsigned char *data;
	size_t len, cap;
	size_t calls;		/* successful sink calls */
	size_t limit;		/* 0 = unlimited */
	size_t refused;		/* calls answered with -ENOSPC */
};

static int mem_sink(void *ctx, const void *buf, size_t len)
{
	struct membuf *m = ctx;

	assert_non_null(buf);
	assert_true(len > 0);
	if (m->limit && m->len + len > m->limit) {
		m->refused++;
		return -ENOSPC;
	}
	if (m->len + len > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;

		while (cap < m->len + len)
			cap *= 2;
		m->data = realloc(m->data, cap);
		assert_non_null(m->data);
		m->cap = cap;
	}
	memcpy(m->data + m->len, buf, len);
	m->len += len;
	m->calls++;
	return 0;
}

static void membuf_free(struct membuf *m)
{
	free(m->data);
	memset(m, 0, sizeof(*m));
}

/* Deterministic input: stretches of compressible text (a dump-like INSERT)
 * alternating with stretches of pseudo-random bytes. */
static unsigned char *make_data(size_t len, uint64_t seed)
{
	unsigned char *d = malloc(len ? len : 1);
	uint64_t x = seed | 1;
	size_t pos = 0;
	int text = 1;

	assert_non_null(d);
	while (pos < len) {
		size_t run;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		run = 1000 + (size_t)(x % 300000);
		if (run > len - pos)
			run = len - pos;
		if (text) {
			for (size_t i = 0; i < run;) {
				char row[96];
				int n = snprintf(row, sizeof(row), "(%zu,'customer %zu','shipped',%zu.%02zu),",
						 pos + i, (pos + i) % 977, (pos + i) % 10007, i % 100);
				size_t k = (size_t)n < run - i ? (size_t)n : run - i;

				memcpy(d + pos + i, row, k);
				i += k;
			}
		} else {
			for (size_t i = 0; i < run; i++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				d[pos + i] = (unsigned char)(x >> 32);
			}
		}
		pos += run;
		text = !text;
	}
	return d;
}

/* Pseudo-random bytes only: zstd can only store them (raw blocks). */
static unsigned char *make_random(size_t len, uint64_t seed)
{
	unsigned char *d = malloc(len ? len : 1);
	uint64_t x = seed | 1;

	assert_non_null(d);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		d[i] = (unsigned char)(x >> 24);
	}
	return d;
}

/* Odd piece sizes, including tiny ones and ones larger than zstd's buffers. */
static const size_t pieces[] = { 1, 7, 4093, 131073, 3, 65537, 999983, 2, 12345, 262147, 511 };

/* Compresses IN with the writer, written in PIECES-sized pieces (whole when
 * !PIECED), checking the counters after every write; returns the frame in OUT. */
static void compress_all(int level, int threads, const unsigned char *in, size_t len, int pieced,
			 struct membuf *out)
{
	struct zwriter *zw = NULL;
	size_t pos = 0, k = 0;
	uint64_t out_before_close;

	assert_int_equal(zwriter_open(level, threads, mem_sink, out, &zw), 0);
	assert_non_null(zw);
	assert_int_equal(zwriter_bytes_in(zw), 0);
	assert_int_equal(zwriter_bytes_out(zw), 0);
	while (pos < len) {
		size_t n = pieced ? pieces[k++ % (sizeof(pieces) / sizeof(pieces[0]))] : len;

		if (n > len - pos)
			n = len - pos;
		assert_int_equal(zwriter_write(zw, in + pos, n), 0);
		pos += n;
		assert_int_equal(zwriter_bytes_in(zw), pos);
		assert_int_equal(zwriter_bytes_out(zw), out->len);
	}
	/* A write of nothing changes nothing. */
	assert_int_equal(zwriter_write(zw, in, 0), 0);
	assert_int_equal(zwriter_bytes_in(zw), len);
	out_before_close = zwriter_bytes_out(zw);
	assert_int_equal(out_before_close, out->len);
	assert_int_equal(zwriter_close(zw), 0);
	assert_true(out->len > out_before_close);	/* close wrote at least the frame's end */
}

/* The frame header, read by hand (RFC 8878, 3.1.1): whether the frame has a
 * content checksum, and its window size (0 for a single-segment frame). */
static void frame_header(const struct membuf *out, int *checksum, uint64_t *window)
{
	static const unsigned char magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
	unsigned char fhd;

	assert_true(out->len >= 6);
	assert_memory_equal(out->data, magic, 4);
	fhd = out->data[4];
	assert_int_equal(fhd & 0x08, 0);		/* reserved bit */
	*checksum = (fhd >> 2) & 1;
	*window = 0;
	if (!(fhd & 0x20)) {			/* not single-segment: a window descriptor */
		unsigned wd = out->data[5];
		uint64_t base = 1ull << (10 + (wd >> 3));

		*window = base + base / 8 * (wd & 7);
	}
}

/* OUT is one complete zstd frame with a checksum whose content is IN. */
static void assert_roundtrip(const struct membuf *out, const unsigned char *in, size_t len)
{
	unsigned char *back;
	uint64_t window;
	int checksum;
	size_t r;

	assert_true(out->len > 0);
	/* Exactly one frame, nothing after it. */
	assert_int_equal(ZSTD_findFrameCompressedSize(out->data, out->len), out->len);
	frame_header(out, &checksum, &window);
	assert_int_equal(checksum, 1);

	back = malloc(len + 1);
	assert_non_null(back);
	r = ZSTD_decompress(back, len + 1, out->data, out->len);
	if (ZSTD_isError(r))
		fail_msg("ZSTD_decompress: %s", ZSTD_getErrorName(r));
	assert_int_equal(r, len);
	if (len)
		assert_memory_equal(back, in, len);
	free(back);
}

/* The streaming decompressor agrees, fed the frame in small pieces. */
static void assert_stream_roundtrip(const struct membuf *out, const unsigned char *in, size_t len)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	unsigned char buf[65536];
	size_t pos = 0, got = 0, r = 1;

	assert_non_null(ds);
	while (pos < out->len) {
		ZSTD_inBuffer ib = { out->data + pos, out->len - pos < 1000 ? out->len - pos : 1000, 0 };

		while (ib.pos < ib.size) {
			ZSTD_outBuffer ob = { buf, sizeof(buf), 0 };

			r = ZSTD_decompressStream(ds, &ob, &ib);
			if (ZSTD_isError(r))
				fail_msg("ZSTD_decompressStream: %s", ZSTD_getErrorName(r));
			assert_true(got + ob.pos <= len);
			assert_memory_equal(buf, in + got, ob.pos);
			got += ob.pos;
		}
		pos += ib.size;
	}
	/* Drain what is left. */
	for (;;) {
		ZSTD_inBuffer ib = { NULL, 0, 0 };
		ZSTD_outBuffer ob = { buf, sizeof(buf), 0 };

		if (r == 0)
			break;
		r = ZSTD_decompressStream(ds, &ob, &ib);
		assert_false(ZSTD_isError(r));
		if (ob.pos == 0)
			break;
		assert_memory_equal(buf, in + got, ob.pos);
		got += ob.pos;
	}
	assert_int_equal(r, 0);		/* the frame is complete */
	assert_int_equal(got, len);
	ZSTD_freeDStream(ds);
}

static void test_empty(void **state)
{
	static const int threads[] = { 0, 2 };

	(void)state;
	for (size_t t = 0; t < 2; t++) {
		struct membuf out = { 0 };
		struct zwriter *zw;

		/* Nothing written at all. */
		assert_int_equal(zwriter_open(3, threads[t], mem_sink, &out, &zw), 0);
		assert_int_equal(zwriter_bytes_in(zw), 0);
		assert_int_equal(zwriter_close(zw), 0);
		assert_roundtrip(&out, (const unsigned char *)"", 0);
		assert_stream_roundtrip(&out, (const unsigned char *)"", 0);
		membuf_free(&out);

		/* Only empty writes. */
		assert_int_equal(zwriter_open(1, threads[t], mem_sink, &out, &zw), 0);
		assert_int_equal(zwriter_write(zw, "", 0), 0);
		assert_int_equal(zwriter_bytes_in(zw), 0);
		assert_int_equal(zwriter_close(zw), 0);
		assert_roundtrip(&out, (const unsigned char *)"", 0);
		membuf_free(&out);
	}
}

static void test_small_text(void **state)
{
	static const char text[] = "INSERT INTO `t` VALUES (1,'hello, world'),(2,'hello, world');\n";
	static const int threads[] = { 0, 2 };
	static const int levels[] = { 1, 3, 19 };

	(void)state;
	for (size_t t = 0; t < 2; t++) {
		for (size_t l = 0; l < 3; l++) {
			struct membuf out = { 0 };

			compress_all(levels[l], threads[t], (const unsigned char *)text, sizeof(text) - 1, 0, &out);
			assert_roundtrip(&out, (const unsigned char *)text, sizeof(text) - 1);
			assert_stream_roundtrip(&out, (const unsigned char *)text, sizeof(text) - 1);
			membuf_free(&out);

			/* The same text one byte per write. */
			{
				struct zwriter *zw;

				assert_int_equal(zwriter_open(levels[l], threads[t], mem_sink, &out, &zw), 0);
				for (size_t i = 0; i < sizeof(text) - 1; i++) {
					assert_int_equal(zwriter_write(zw, text + i, 1), 0);
					assert_int_equal(zwriter_bytes_in(zw), i + 1);
				}
				assert_int_equal(zwriter_close(zw), 0);
				assert_roundtrip(&out, (const unsigned char *)text, sizeof(text) - 1);
				membuf_free(&out);
			}
		}
	}
}

/* 10 MiB of mixed data in odd-sized pieces, one thread and two workers. */
static void test_big_level1(void **state)
{
	static const int threads[] = { 0, 2 };
	unsigned char *in = make_data(BIG, 42);

	(void)state;
	for (size_t t = 0; t < 2; t++) {
		struct membuf out = { 0 };

		compress_all(1, threads[t], in, BIG, 1, &out);
		assert_roundtrip(&out, in, BIG);
		/* Mixed data: it did compress, but the random half stays. */
		assert_true(out.len < BIG * 3 / 4);
		assert_true(out.len > BIG / 4);
		if (threads[t] == 0) {
			/* Output streams out while writing, not all at close. */
			assert_true(out.calls > 10);
		}
		membuf_free(&out);
	}
	free(in);
}

/* Paced: every 16 KiB of input is flushed to the sink before the next is
 * compressed (the throttle sleeps in the sink), the frame is one ordinary
 * frame, and the ratio is within 2% of the same level unpaced. */
static void test_paced(void **state)
{
	const size_t block = 16 * 1024;
	unsigned char *in = make_data(BIG, 7);
	struct membuf paced = { 0 }, plain = { 0 };
	struct zwriter *zw = NULL;
	size_t pos = 0, k = 0;

	(void)state;
	assert_int_equal(zwriter_open_paced(3, block, mem_sink, &paced, &zw), 0);
	while (pos < BIG) {
		size_t n = pieces[k++ % (sizeof(pieces) / sizeof(pieces[0]))];
		size_t calls = paced.calls;

		if (n > BIG - pos)
			n = BIG - pos;
		assert_int_equal(zwriter_write(zw, in + pos, n), 0);
		pos += n;
		assert_int_equal(zwriter_bytes_in(zw), pos);
		/* Every whole block written reached the sink. */
		assert_true(paced.calls >= calls + n / block);
	}
	assert_int_equal(zwriter_close(zw), 0);
	assert_roundtrip(&paced, in, BIG);
	assert_true(paced.calls >= BIG / block);
	membuf_free(&paced);

	/* Small writes gather into whole blocks: 100 KB in 100-byte writes is
	 * six flushed blocks, not a thousand. */
	memset(&paced, 0, sizeof(paced));
	assert_int_equal(zwriter_open_paced(3, block, mem_sink, &paced, &zw), 0);
	for (size_t i = 0; i < 1000; i++)
		assert_int_equal(zwriter_write(zw, in + i * 100, 100), 0);
	assert_true(paced.calls >= 100000 / block);
	assert_true(paced.calls <= 100000 / block + 1);
	assert_int_equal(zwriter_close(zw), 0);
	assert_roundtrip(&paced, in, 100000);
	membuf_free(&paced);

	/* Unpaced halfway (a dump past max_dump_time): the second half is not
	 * flushed block by block, and the frame is still whole. */
	memset(&paced, 0, sizeof(paced));
	assert_int_equal(zwriter_open_paced(3, block, mem_sink, &paced, &zw), 0);
	assert_int_equal(zwriter_write(zw, in, 5 * block + 100), 0);
	zwriter_unpace(zw);
	{
		size_t calls = paced.calls;

		for (size_t i = 0; i < 8; i++)
			assert_int_equal(zwriter_write(zw, in + 5 * block + 100 + i * 1000, 1000), 0);
		assert_int_equal(paced.calls, calls);
	}
	assert_int_equal(zwriter_close(zw), 0);
	assert_roundtrip(&paced, in, 5 * block + 100 + 8000);

	compress_all(3, 0, in, BIG, 0, &plain);
	assert_true(paced.len <= plain.len + plain.len / 50);
	membuf_free(&paced);
	membuf_free(&plain);
	free(in);
}

/* Level 19, with and without workers, on a smaller mixed input. */
static void test_level19(void **state)
{
	static const int threads[] = { 0, 2 };
	size_t len = 3u << 20;
	unsigned char *in = make_data(len, 7);

	(void)state;
	for (size_t t = 0; t < 2; t++) {
		struct membuf out = { 0 };

		compress_all(19, threads[t], in, len, 1, &out);
		assert_roundtrip(&out, in, len);
		assert_stream_roundtrip(&out, in, len);
		membuf_free(&out);
	}
	free(in);
}

/* The level is really applied: level 19 compresses text better and uses a
 * larger window than level 1. */
static void test_level_applied(void **state)
{
	size_t len = 2u << 20;
	unsigned char *in = malloc(len);
	struct membuf o1 = { 0 }, o19 = { 0 };
	uint64_t w1, w19;
	int c1, c19;
	uint64_t x = 99;

	(void)state;
	assert_non_null(in);
	/* Text with enough variety that the level matters. */
	for (size_t i = 0; i < len;) {
		char row[80];
		int n;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n = snprintf(row, sizeof(row), "(%u,'%s',%u),", (unsigned)(x % 100000),
			     (x >> 20) % 3 ? "paid" : "refunded", (unsigned)((x >> 40) % 5000));
		memcpy(in + i, row, (size_t)n < len - i ? (size_t)n : len - i);
		i += (size_t)n < len - i ? (size_t)n : len - i;
	}
	compress_all(1, 0, in, len, 1, &o1);
	compress_all(19, 0, in, len, 1, &o19);
	assert_roundtrip(&o1, in, len);
	assert_roundtrip(&o19, in, len);
	assert_true(o19.len < o1.len);
	frame_header(&o1, &c1, &w1);
	frame_header(&o19, &c19, &w19);
	assert_true(w1 > 0);
	assert_true(w19 > w1);
	membuf_free(&o1);
	membuf_free(&o19);
	free(in);
}

/* The frame carries a content checksum: corrupting a stored byte is caught. */
static void test_checksum(void **state)
{
	static const int threads[] = { 0, 2 };
	size_t len = 200000;
	unsigned char *in = make_random(len, 5);

	(void)state;
	for (size_t t = 0; t < 2; t++) {
		struct membuf out = { 0 };
		unsigned char *back = malloc(len + 1);
		size_t r;

		assert_non_null(back);
		compress_all(1, threads[t], in, len, 1, &out);
		assert_roundtrip(&out, in, len);

		/* Random data is stored as is, so a flipped byte in the middle is
		 * a flipped content byte that only the checksum can catch. */
		out.data[out.len / 2] ^= 0x01;
		r = ZSTD_decompress(back, len + 1, out.data, out.len);
		assert_true(ZSTD_isError(r));
		assert_int_equal(ZSTD_getErrorCode(r), ZSTD_error_checksum_wrong);
		out.data[out.len / 2] ^= 0x01;

		/* The checksum itself: the frame's last 4 bytes. */
		out.data[out.len - 1] ^= 0x80;
		r = ZSTD_decompress(back, len + 1, out.data, out.len);
		assert_true(ZSTD_isError(r));
		assert_int_equal(ZSTD_getErrorCode(r), ZSTD_error_checksum_wrong);
		out.data[out.len - 1] ^= 0x80;

		assert_int_equal(ZSTD_decompress(back, len + 1, out.data, out.len), len);
		free(back);
		membuf_free(&out);
	}

	/* And for a small text too: corruption makes decompression fail. */
	{
		static const char text[] = "a small text, a small text, compressed with a checksum\n";
		struct membuf out = { 0 };
		char back[128];
		size_t r;

		compress_all(3, 0, (const unsigned char *)text, sizeof(text) - 1, 0, &out);
		out.data[out.len / 2] ^= 0x10;
		r = ZSTD_decompress(back, sizeof(back), out.data, out.len);
		assert_true(ZSTD_isError(r));
		membuf_free(&out);
	}
	free(in);
}

/* A full disk: the sink's -ENOSPC comes back from write or close, and the
 * writer is freed either way (ASan checks). */
static void test_sink_error(void **state)
{
	static const int threads[] = { 0, 2 };
	unsigned char *in = make_data(BIG, 11);

	(void)state;
	for (size_t t = 0; t < 2; t++) {
		struct membuf out = { 0 };
		struct zwriter *zw;
		size_t pos = 0, k = 0;
		int r = 0;

		/* Small input: nothing leaves before close, which reports the error. */
		out.limit = 1;
		assert_int_equal(zwriter_open(1, threads[t], mem_sink, &out, &zw), 0);
		assert_int_equal(zwriter_write(zw, "hello", 5), 0);
		assert_int_equal(zwriter_close(zw), -ENOSPC);
		assert_true(out.refused > 0);
		assert_int_equal(out.len, 0);
		membuf_free(&out);

		/* Large input: the sink fills up while writing. */
		out.limit = 256 << 10;
		assert_int_equal(zwriter_open(1, threads[t], mem_sink, &out, &zw), 0);
		while (pos < BIG) {
			size_t n = pieces[k++ % (sizeof(pieces) / sizeof(pieces[0]))];

			if (n > BIG - pos)
				n = BIG - pos;
			r = zwriter_write(zw, in + pos, n);
			if (r < 0)
				break;
			pos += n;
		}
		if (r < 0) {
			assert_int_equal(r, -ENOSPC);
			/* What was counted out is what the sink took. */
			assert_int_equal(zwriter_bytes_out(zw), out.len);
			zwriter_free(zw);
		} else {
			/* Only possible with workers holding the data back. */
			assert_int_not_equal(threads[t], 0);
			assert_int_equal(zwriter_close(zw), -ENOSPC);
		}
		if (threads[t] == 0)
			assert_true(pos < BIG);	/* one thread: the write itself failed */
		assert_true(out.refused > 0);
		assert_true(out.len <= out.limit);
		membuf_free(&out);
	}
	free(in);
}

/* Threads of this process. */
static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* THREADS > 0 really starts worker threads (when libzstd has them). */
static void test_threads_applied(void **state)
{
	ZSTD_bounds b = ZSTD_cParam_getBounds(ZSTD_c_nbWorkers);
	unsigned char *in = make_data(4u << 20, 8);
	struct membuf out = { 0 };
	struct zwriter *zw;
	int before;

	(void)state;
	if (ZSTD_isError(b.error) || b.upperBound < 2) {
		free(in);
		skip();			/* a libzstd built without threads */
	}
	before = count_threads();
	assert_int_equal(zwriter_open(1, 2, mem_sink, &out, &zw), 0);
	assert_int_equal(zwriter_write(zw, in, 4u << 20), 0);
	assert_true(count_threads() >= before + 2);
	assert_int_equal(zwriter_close(zw), 0);
	assert_roundtrip(&out, in, 4u << 20);
	membuf_free(&out);

	/* And 0 starts none. */
	before = count_threads();
	assert_int_equal(zwriter_open(1, 0, mem_sink, &out, &zw), 0);
	assert_int_equal(zwriter_write(zw, in, 4u << 20), 0);
	assert_int_equal(count_threads(), before);
	assert_int_equal(zwriter_close(zw), 0);
	assert_roundtrip(&out, in, 4u << 20);
	membuf_free(&out);
	free(in);
}

/* Two writers at once do not share state. */
static void test_two_writers(void **state)
{
	unsigned char *a = make_data(1u << 20, 1), *b = make_random(1u << 20, 2);
	struct membuf oa = { 0 }, ob = { 0 };
	struct zwriter *za, *zb;

	(void)state;
	assert_int_equal(zwriter_open(1, 0, mem_sink, &oa, &za), 0);
	assert_int_equal(zwriter_open(5, 0, mem_sink, &ob, &zb), 0);
	for (size_t pos = 0; pos < (1u << 20); pos += 4096) {
		assert_int_equal(zwriter_write(za, a + pos, 4096), 0);
		assert_int_equal(zwriter_write(zb, b + pos, 4096), 0);
	}
	assert_int_equal(zwriter_bytes_in(za), 1u << 20);
	assert_int_equal(zwriter_bytes_in(zb), 1u << 20);
	assert_int_equal(zwriter_bytes_out(za), oa.len);
	assert_int_equal(zwriter_bytes_out(zb), ob.len);
	assert_int_equal(zwriter_close(za), 0);
	assert_int_equal(zwriter_close(zb), 0);
	assert_roundtrip(&oa, a, 1u << 20);
	assert_roundtrip(&ob, b, 1u << 20);
	membuf_free(&oa);
	membuf_free(&ob);
	free(a);
	free(b);
}

/* zwriter_free of an unfinished writer (an error path) and of NULL. */
static void test_free_unfinished(void **state)
{
	struct membuf out = { 0 };
	struct zwriter *zw;
	unsigned char *in = make_data(1u << 20, 3);

	(void)state;
	zwriter_free(NULL);
	assert_int_equal(zwriter_open(3, 2, mem_sink, &out, &zw), 0);
	assert_int_equal(zwriter_write(zw, in, 1u << 20), 0);
	zwriter_free(zw);
	membuf_free(&out);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_small_text),
		cmocka_unit_test(test_big_level1),
		cmocka_unit_test(test_paced),
		cmocka_unit_test(test_level19),
		cmocka_unit_test(test_level_applied),
		cmocka_unit_test(test_checksum),
		cmocka_unit_test(test_threads_applied),
		cmocka_unit_test(test_sink_error),
		cmocka_unit_test(test_two_writers),
		cmocka_unit_test(test_free_unfinished),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

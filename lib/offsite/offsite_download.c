/*
 * offsite_download — one object, downloaded and decrypted (see offsite.h).
 * The body streams through the decryptor into the destination; nothing is
 * kept whole in memory but what offsite_get_mem is asked for.  An object
 * that does not decrypt whole (wrong key, truncated, altered, reordered) is
 * an error naming it; what was written to the destination by then is the
 * caller's to throw away.
 */
#include "offsite_int.h"
#include "secstream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"

struct get {
	struct secstream_dec dec;
	int fd;			/* destination, or -1 for memory */
	char *mem;
	size_t len, max;
	uint64_t plain;
};

static int to_dest(void *arg, const uint8_t *p, size_t n)
{
	struct get *g = arg;

	g->plain += n;
	if (g->fd >= 0)
		return fs_write_all(g->fd, p, n);
	if (g->len + n > g->max)
		return -EFBIG;
	memcpy(g->mem + g->len, p, n);
	g->len += n;
	g->mem[g->len] = '\0';
	return 0;
}

static int from_s3(void *arg, const uint8_t *p, size_t n)
{
	struct get *g = arg;

	return secstream_dec_feed(&g->dec, p, n, to_dest, g);
}

static int get(struct offsite_conn *c, const char *key, struct get *g)
{
	char what[1100];
	int r;

	snprintf(what, sizeof(what), "s3://%s/%s", c->o->bucket, key);
	if ((r = secstream_dec_init(&g->dec, &c->key, what)) < 0) {
		offsite_seterr(c, "%s", g->dec.err);
		secstream_dec_clear(&g->dec);
		return r;
	}
	r = s3_get(c->s3, key, from_s3, g);
	if (r == 0)
		r = secstream_dec_finish(&g->dec, to_dest, g);
	if (r < 0) {
		if (g->dec.err[0])
			offsite_seterr(c, "%s", g->dec.err);
		else
			offsite_s3err(c);
	}
	secstream_dec_clear(&g->dec);
	return r;
}

int offsite_get_file(struct offsite_conn *c, const char *key, int fd, uint64_t *plain)
{
	struct get g = { .fd = fd };
	int r = get(c, key, &g);

	if (plain)
		*plain = g.plain;
	return r;
}

int offsite_get_mem(struct offsite_conn *c, const char *key, size_t max, char **out, size_t *len)
{
	struct get g = { .fd = -1, .max = max };
	int r;

	*out = NULL;
	g.mem = malloc(max + 1);
	if (!g.mem)
		return -ENOMEM;
	g.mem[0] = '\0';
	r = get(c, key, &g);
	if (r < 0) {
		free(g.mem);
		return r;
	}
	*out = g.mem;
	*len = g.len;
	return 0;
}

/* A decryptor and its sink, for offsite_get_stream. */
struct stream {
	struct secstream_dec *dec;
	secstream_sink sink;
	void *arg;
};

static int stream_feed(void *arg, const uint8_t *p, size_t n)
{
	struct stream *s = arg;

	return secstream_dec_feed(s->dec, p, n, s->sink, s->arg);
}

int offsite_get_stream(struct offsite_conn *c, const char *key, struct secstream_dec *dec,
		       int (*sink)(void *arg, const uint8_t *p, size_t n), void *arg)
{
	struct stream s = { dec, sink, arg };
	int r = s3_get(c->s3, key, stream_feed, &s);

	if (r == 0)
		r = secstream_dec_finish(dec, sink, arg);
	if (r < 0) {
		if (dec->err[0])
			offsite_seterr(c, "%s", dec->err);
		else
			offsite_s3err(c);
	}
	return r;
}

/*
 * offsite_upload — one file, encrypted, into one object (see offsite.h).
 *
 * The file is read a chunk (64 KiB) at a time and encrypted into a part
 * buffer; a file whose encrypted form fits one part goes as one PUT, a
 * larger one up to the target's single_put_max as one streamed PUT
 * (offsite_single.c), a larger one still as a multipart upload whose parts hold OFFSITE_PART_CHUNKS
 * chunks each (more for a file past 9,000 parts), the first also the
 * stream header.  Memory: one part (8 MiB and a little) whatever the size.
 *
 * Resume: before the first part, the upload id, the stream header (public:
 * it is the object's first bytes), the file's size and the part size go to
 * <state>/uploads/<sha256 of key>.json (0600, replaced atomically), and
 * each part's ETag is added once the server has it.  After a crash or a
 * failure the next upload of the same key and size reads that state,
 * re-creates the same stream from the header (secstream_enc_resume),
 * encrypts the parts already sent again without sending them, and goes on
 * with the next.  So at most the part in flight at the crash is sent twice.
 * If the server no longer knows the upload id (404), the upload starts over.
 */
#include "offsite_int.h"
#include "secstream.h"
#include "sigv4.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "fsutil.h"
#include "log.h"

#define MAX_PARTS 9000

struct upload {
	struct offsite_conn *c;
	const char *path;	/* the file, for messages */
	const char *key;
	int fd;
	uint64_t size;		/* the file's */
	uint64_t part_plain;	/* plaintext bytes per part */
	int nparts;
	struct secstream_enc enc;
	uint8_t *in;		/* one plaintext chunk */
	uint8_t *buf;		/* one encrypted part */
	size_t blen;
	char state[1200];	/* the state file's path */
	char *upload_id;
	char **etags;		/* nparts, NULL until sent */
	int done;		/* parts sent (in state) */
};

/* Fills u->buf with part P (1-based): reads and encrypts its chunks. */
static int build_part(struct upload *u, int p)
{
	uint64_t start = (uint64_t)(p - 1) * u->part_plain;
	uint64_t end = start + u->part_plain;

	u->blen = 0;
	if (p == 1) {
		memcpy(u->buf, u->enc.header, SECSTREAM_HEADER_BYTES);
		u->blen = SECSTREAM_HEADER_BYTES;
	}
	if (p == u->nparts)
		end = u->size + 1;	/* through the final (short) chunk */
	for (uint64_t at = start; at < end; at += SECSTREAM_CHUNK) {
		size_t want = u->size - at < SECSTREAM_CHUNK ? (size_t)(u->size - at) : SECSTREAM_CHUNK;
		bool final = want < SECSTREAM_CHUNK;
		size_t got = 0;

		if (at > u->size)
			break;
		while (got < want) {
			ssize_t n = pread(u->fd, u->in + got, want - got, (off_t)(at + got));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				offsite_seterr(u->c, "%s: %s while reading for s3://%s/%s", u->path,
					       n < 0 ? strerror(errno) : "the file got shorter", u->c->o->bucket, u->key);
				return n < 0 ? -errno : -EIO;
			}
			got += (size_t)n;
		}
		if (secstream_enc_chunk(&u->enc, u->in, want, final, u->buf + u->blen) < 0) {
			offsite_seterr(u->c, "s3://%s/%s: encryption out of step", u->c->o->bucket, u->key);
			return -EINVAL;
		}
		u->blen += want + SECSTREAM_ABYTES;
		if (final)
			break;
	}
	return 0;
}

static int save_state(struct upload *u)
{
	char hdr[SECSTREAM_HEADER_BYTES * 2 + 1];
	json_t *j = json_object(), *tags = json_array();
	char *text;
	int r;

	sodium_bin2hex(hdr, sizeof(hdr), u->enc.header, SECSTREAM_HEADER_BYTES);
	for (int i = 0; i < u->done; i++)
		json_array_append_new(tags, json_string(u->etags[i]));
	json_object_set_new(j, "key", json_string(u->key));
	json_object_set_new(j, "upload_id", json_string(u->upload_id));
	json_object_set_new(j, "header", json_string(hdr));
	json_object_set_new(j, "size", json_integer((json_int_t)u->size));
	json_object_set_new(j, "part_plain", json_integer((json_int_t)u->part_plain));
	json_object_set_new(j, "etags", tags);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!text)
		return -ENOMEM;
	r = fs_write_atomic(u->state, text, strlen(text), 0600);
	free(text);
	if (r < 0)
		offsite_seterr(u->c, "%s: cannot write the upload state: %s", u->state, strerror(-r));
	return r;
}

/* Reads a saved state for this key and size; 1 when resumed, 0 when none. */
static int load_state(struct upload *u)
{
	uint8_t hdr[SECSTREAM_HEADER_BYTES];
	json_t *j, *tags;
	const char *key, *id, *hx;
	size_t binlen = 0;
	char *text = NULL;
	size_t len;

	if (fs_read_all(u->state, 1 << 20, &text, &len) < 0)
		return 0;
	j = json_loads(text, 0, NULL);
	free(text);
	if (!j)
		return 0;
	key = json_string_value(json_object_get(j, "key"));
	id = json_string_value(json_object_get(j, "upload_id"));
	hx = json_string_value(json_object_get(j, "header"));
	tags = json_object_get(j, "etags");
	if (!key || !id || !hx || !json_is_array(tags) || strcmp(key, u->key) != 0 ||
	    json_integer_value(json_object_get(j, "size")) != (json_int_t)u->size ||
	    json_integer_value(json_object_get(j, "part_plain")) != (json_int_t)u->part_plain ||
	    json_array_size(tags) > (size_t)u->nparts ||
	    sodium_hex2bin(hdr, sizeof(hdr), hx, strlen(hx), NULL, &binlen, NULL) != 0 || binlen != sizeof(hdr) ||
	    secstream_enc_resume(&u->enc, &u->c->key, hdr) < 0) {
		json_decref(j);
		return 0;
	}
	u->upload_id = strdup(id);
	for (size_t i = 0; i < json_array_size(tags); i++) {
		const char *t = json_string_value(json_array_get(tags, i));

		u->etags[i] = strdup(t ? t : "");
	}
	u->done = (int)json_array_size(tags);
	json_decref(j);
	return u->upload_id ? 1 : 0;
}

static int multipart(struct upload *u)
{
	struct offsite_conn *c = u->c;
	int r, resumed;

	resumed = load_state(u);
	if (resumed) {
		log_info("offsite %s: resuming the upload of %s at part %d of %d", c->o->name, u->key,
			 u->done + 1, u->nparts);
	} else {
		if ((r = secstream_enc_init(&u->enc, &c->key)) < 0)
			return r;
		if ((r = s3_mpu_init(c->s3, u->key, c->o->object_lock_days, &u->upload_id)) < 0) {
			offsite_s3err(c);
			return r;
		}
		if ((r = save_state(u)) < 0)
			return r;
	}
	for (int p = 1; p <= u->nparts; p++) {
		if ((r = build_part(u, p)) < 0)
			return r;
		if (p <= u->done) {
			c->parts_skipped++;
			continue;	/* sent before: the same bytes again, not sent */
		}
		r = s3_mpu_part(c->s3, u->key, u->upload_id, p, u->buf, u->blen, &u->etags[p - 1]);
		if (r == -ENOENT && resumed) {
			/* the server forgot the upload: start over */
			log_warn("offsite %s: the server no longer knows upload %s of %s; starting it over",
				 c->o->name, u->upload_id, u->key);
			unlink(u->state);
			return -EAGAIN;
		}
		if (r < 0) {
			offsite_s3err(c);
			return r;
		}
		c->parts_sent++;
		log_debug("offsite %s: %s part %d of %d sent", c->o->name, u->key, p, u->nparts);
		u->done = p;
		if ((r = save_state(u)) < 0)
			return r;
	}
	r = s3_mpu_complete(c->s3, u->key, u->upload_id, u->etags, u->nparts);
	if (r == -ENOENT && resumed) {
		/* completed before a crash kept us from forgetting it, or expired */
		log_warn("offsite %s: the server no longer knows upload %s of %s; sending it again",
			 c->o->name, u->upload_id, u->key);
		unlink(u->state);
		return -EAGAIN;
	}
	if (r < 0) {
		offsite_s3err(c);
		return r;
	}
	unlink(u->state);
	return 0;
}

static void upload_reset(struct upload *u)
{
	for (int i = 0; u->etags && i < u->nparts; i++) {
		free(u->etags[i]);
		u->etags[i] = NULL;
	}
	free(u->upload_id);
	u->upload_id = NULL;
	u->done = 0;
	secstream_enc_clear(&u->enc);
}

int offsite_put_file(struct offsite_conn *c, const char *path, const char *key)
{
	struct upload u = { .c = c, .path = path, .key = key };
	char kh[SIGV4_HEX], dir[1100];
	struct stat st;
	int r;

	u.fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (u.fd < 0 || fstat(u.fd, &st) < 0) {
		r = -errno;
		offsite_seterr(c, "%s: cannot open for s3://%s/%s: %s", path, c->o->bucket, key, strerror(errno));
		if (u.fd >= 0)
			close(u.fd);
		return r;
	}
	u.size = (uint64_t)st.st_size;
	u.part_plain = (uint64_t)OFFSITE_PART_CHUNKS * SECSTREAM_CHUNK;
	while (u.size / u.part_plain >= MAX_PARTS)
		u.part_plain *= 2;
	u.nparts = (int)(u.size / u.part_plain) + 1;
	u.in = malloc(SECSTREAM_CHUNK);
	u.buf = malloc(SECSTREAM_HEADER_BYTES + (u.part_plain / SECSTREAM_CHUNK + 1) * (SECSTREAM_CHUNK + SECSTREAM_ABYTES));
	u.etags = calloc((size_t)u.nparts, sizeof(char *));
	if (!u.in || !u.buf || !u.etags) {
		offsite_seterr(c, "s3://%s/%s: out of memory", c->o->bucket, key);
		r = -ENOMEM;
		goto out;
	}
	if (u.nparts > 1 && u.size <= c->o->single_put_max) {
		r = offsite_put_single(c, path, key, u.fd, u.size);
		goto out;
	}
	if (u.nparts == 1) {
		if ((r = secstream_enc_init(&u.enc, &c->key)) < 0 || (r = build_part(&u, 1)) < 0)
			goto out;
		r = s3_put(c->s3, key, u.buf, u.blen, c->o->object_lock_days);
		if (r < 0)
			offsite_s3err(c);
		goto out;
	}
	sigv4_sha256_hex(key, strlen(key), kh);
	snprintf(dir, sizeof(dir), "%s/uploads", c->state_dir);
	if ((r = fs_mkdirs(dir, 0700)) < 0) {
		offsite_seterr(c, "cannot create %s: %s", dir, strerror(-r));
		goto out;
	}
	snprintf(u.state, sizeof(u.state), "%s/%.32s.json", dir, kh);
	r = multipart(&u);
	if (r == -EAGAIN) {
		upload_reset(&u);
		r = multipart(&u);
	}
out:
	upload_reset(&u);
	free(u.etags);
	free(u.in);
	free(u.buf);
	close(u.fd);
	return r;
}

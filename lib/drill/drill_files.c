/*
 * drill_files — a drill's check of a restored files snapshot: every path of
 * the backup's index (lib/files/fileindex) must be in the restored tree with
 * its type, permission bits, size and, for a regular file, the SHA-256 of
 * its content re-read from the restored copy; and the tree must hold no path
 * the index does not.  The first difference names the path (escaped as the
 * index escapes it, so a hostile name stays one line).
 *
 * Owners and times are not compared (a restore as a user other than root
 * cannot set owners).  Without root, setuid and setgid bits are not compared
 * either: no unprivileged restore can set them for another owner.  A path
 * the index marks unreadable (no content at backup time) is not expected.
 * Reads are held to the drill's io_limit and its load pauses.
 *
 * What it does not do: restore (the files kind's restore op does, into the
 * directory the drill gives it) or read the snapshot's tar.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drill_int.h"
#include "fileindex.h"
#include "log.h"
#include "reader.h"
#include "record.h"
#include "sha256.h"
#include "throttle.h"

#define READ_BLOCK (256 * 1024)

struct fcmp {
	struct drill_one *d;
	struct fileindex fi;
	uint64_t entries, files, bytes;
	unsigned char *buf;
};

/* The escaped form of PATH, for a message; "?" when out of memory. */
static void say_path(const char *path, char *out, size_t len)
{
	char *esc = fileindex_escape(path);

	snprintf(out, len, "%s", esc ? esc : "?");
	free(esc);
}

/* The SHA-256 of the file at PATH (under the drill's throttle). */
static int hash_file(struct fcmp *c, const char *path, uint8_t sha[32], uint64_t *size)
{
	struct sha256 h;
	char hex[SHA256_HEX_LEN + 1];
	ssize_t n;
	int fd, r;

	*size = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = sha256_init(&h);
	while (r == 0 && (n = read(fd, c->buf, READ_BLOCK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		sha256_update(&h, c->buf, (size_t)n);
		*size += (uint64_t)n;
		c->bytes += (uint64_t)n;
		c->d->k->bytes_in += (uint64_t)n;
		throttle_io(c->d->k->throttle, (uint64_t)n);
		if (throttle_between_chunks(c->d->k->throttle) < 0 || jobkind_cancelled(c->d->k))
			r = -ECANCELED;
		jobkind_progress(c->d->k, false);
	}
	close(fd);
	if (r < 0) {
		sha256_discard(&h);
		return r;
	}
	sha256_final_hex(&h, hex);
	for (int i = 0; i < 32; i++) {
		unsigned v;

		sscanf(hex + 2 * i, "%2x", &v);
		sha[i] = (uint8_t)v;
	}
	return 0;
}

/* One index entry against the restored tree. */
static int check_entry(struct fcmp *c, const struct fi_entry *e)
{
	char path[PATH_MAX], say[512];
	uint32_t mask = geteuid() == 0 ? 07777 : 01777;
	struct stat st;
	uint64_t size;
	uint8_t sha[32];
	int r;

	if (e->flags & FI_ERROR)
		return 0;		/* no content at backup time: not restored */
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", c->d->tree, e->path) >= sizeof(path))
		return -ENAMETOOLONG;
	say_path(e->path, say, sizeof(say));
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			return -errno;
		if (e->type == '-')
			return 0;	/* removed since the parent: rightly absent */
		return drill_differs(c->d, "path %s: missing from the restored tree", say);
	}
	if (e->type == '-')
		return drill_differs(c->d, "path %s: restored, but the backup's index has it removed", say);
	c->entries++;
	if (fileindex_type_of(st.st_mode) != e->type)
		return drill_differs(c->d, "path %s: restored as type '%c', the index says '%c'", say,
				     fileindex_type_of(st.st_mode) ? fileindex_type_of(st.st_mode) : '?', e->type);
	if ((st.st_mode & mask) != (e->mode & mask))
		return drill_differs(c->d, "path %s: restored with mode %04o, the index says %04o", say,
				     (unsigned)(st.st_mode & mask), (unsigned)(e->mode & mask));
	if ((e->type == 'f' || e->type == 'l') && (uint64_t)st.st_size != e->size)
		return drill_differs(c->d, "path %s: restored with %" PRIu64 " bytes, the index says %" PRIu64, say,
				     (uint64_t)st.st_size, e->size);
	if (e->type != 'f' || !e->has_sha)
		return 0;
	r = hash_file(c, path, sha, &size);
	if (r == -ECANCELED)
		return r;
	if (r < 0)
		return drill_differs(c->d, "path %s: cannot read the restored file: %s", say, strerror(-r));
	c->files++;
	if (size != e->size || memcmp(sha, e->sha, 32) != 0)
		return drill_differs(c->d, "path %s: the restored content's SHA-256 is not the index's", say);
	return 0;
}

/* nftw has no context argument: the walk's, for one walk at a time. */
static struct fcmp *walking;

static int walk_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	size_t root = strlen(walking->d->tree);
	const char *rel = path[root] == '/' ? path + root + 1 : ".";
	const struct fi_entry *e = fileindex_find(&walking->fi, rel);
	char say[512];

	(void)st;
	(void)flag;
	(void)ftw;
	if (!e || e->type == '-') {
		say_path(rel, say, sizeof(say));
		drill_differs(walking->d, "path %s: in the restored tree but not in the backup's index", say);
		return 1;
	}
	return 0;
}

int drill_files_compare(struct drill_one *d)
{
	struct fcmp c = { .d = d };
	struct reader *rd = NULL;
	int r;

	fileindex_init(&c.fi);
	c.buf = malloc(READ_BLOCK);
	if (!c.buf)
		return -ENOMEM;
	r = reader_open(d->k->st, &d->e, RECORD_ARTIFACT_INDEX, 0, &rd, NULL, 0);
	if (r == 0)
		r = fileindex_read(&c.fi, rd);
	if (r == 0)
		r = reader_close(rd);
	reader_free(rd);
	if (r < 0) {
		free(c.buf);
		fileindex_free(&c.fi);
		return r;
	}
	for (size_t i = 0; i < c.fi.n && r != -ECANCELED; i++) {
		d->k->what = c.fi.v[i].path;
		r = check_entry(&c, &c.fi.v[i]);
		if (r < 0 && r != -EBADMSG && r != -ECANCELED) {
			char say[512];

			say_path(c.fi.v[i].path, say, sizeof(say));
			drill_differs(d, "path %s: cannot check it: %s", say, strerror(-r));
		}
		d->k->files = c.entries;
	}
	d->k->what = NULL;
	if (r != -ECANCELED) {
		walking = &c;
		if (nftw(d->tree, walk_cb, 32, FTW_PHYS) < 0)
			drill_differs(d, "cannot walk the restored tree: %s", strerror(errno));
		walking = NULL;
	}
	json_object_set_new(d->compared, "index_entries", json_integer((json_int_t)c.fi.n));
	json_object_set_new(d->compared, "paths", json_integer((json_int_t)c.entries));
	json_object_set_new(d->compared, "files_hashed", json_integer((json_int_t)c.files));
	json_object_set_new(d->compared, "bytes_hashed", json_integer((json_int_t)c.bytes));
	json_object_set_new(d->compared, "what", json_string("type, mode, size and SHA-256 of every path of the index"));
	free(c.buf);
	fileindex_free(&c.fi);
	return r == -ECANCELED ? r : 0;
}

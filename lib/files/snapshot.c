/*
 * snapshot — see snapshot.h.  The walk is treewalk.h's (shared with the
 * watch check); this file does what a snapshot does with each entry.
 */
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "log.h"
#include "sha256.h"
#include "treewalk.h"

#define READ_BUF (256 * 1024)

/* The content hash of a file with several names, for the names after the
 * first (which the tar stores as links to it). */
struct link_seen {
	dev_t dev;
	ino_t ino;
	uint8_t sha[32];
	bool used;
};

struct snap {
	const struct snapshot_opts *o;
	struct snapshot_stats *stats;
	struct archive *tar;		/* the pax writer */
	struct archive *disk;		/* archive_read_disk, for entry_from_file */
	struct archive_entry_linkresolver *links;
	struct link_seen *seen;		/* open addressing on (dev, ino) */
	size_t nseen, seencap;
	const char *cur;		/* relative path being visited (the walker's) */
	unsigned char *buf;		/* READ_BUF */
	unsigned char *mem;		/* SNAPSHOT_SPOOL_MEM: a small file's read */
	int spool;			/* the spool file (unlinked, 0600), or -1 */
	int sink_err;			/* the tar sink's error, if it failed */
};

void snapshot_stats_free(struct snapshot_stats *stats)
{
	json_decref(stats->error_list);
	json_decref(stats->changed_list);
	stats->error_list = stats->changed_list = NULL;
}

bool snapshot_excluded(const struct strlist *exclude, const char *path, bool is_dir)
{
	return treewalk_excluded(exclude, path, is_dir);
}

/* ---- small helpers ------------------------------------------------------ */

/* The relative path being visited (the walker's; the root is "."). */
static const char *cur_path(const struct snap *s)
{
	return s->cur;
}

static void note_error(struct snap *s, int err, const char *what)
{
	char *esc = fileindex_escape(cur_path(s));

	s->stats->errors++;
	log_warn("%s/%s: %s: %s", s->o->root, esc ? esc : cur_path(s), what, strerror(err));
	if (esc && json_array_size(s->stats->error_list) < SNAPSHOT_LIST_MAX)
		json_array_append_new(s->stats->error_list,
				      json_pack("{s:s, s:i, s:s}", "path", esc, "errno", err,
						"error", strerror(err)));
	free(esc);
}

static int index_line(struct snap *s, const struct fi_entry *e, const char *from)
{
	char *line = fileindex_entry_line(e, from);
	int r;

	if (!line)
		return -ENOMEM;
	r = s->o->index_write(s->o->ctx, line, strlen(line));
	free(line);
	if (e->type != '-')
		s->stats->entries++;
	return r;
}

/* Compares with the parent's line for the counts; returns that line (marked
 * seen) or NULL. */
static struct fi_entry *compare_parent(struct snap *s, const struct fi_entry *e)
{
	struct fi_entry *p = s->o->parent ? fileindex_find(s->o->parent, e->path) : NULL;

	if (!s->o->parent)
		return NULL;
	if (!p || p->type == '-') {
		s->stats->added++;
		return NULL;
	}
	p->seen = true;
	if (p->type == e->type && p->size == e->size && p->mtime_s == e->mtime_s &&
	    p->mtime_ns == e->mtime_ns && p->ctime_s == e->ctime_s && p->ctime_ns == e->ctime_ns &&
	    p->ino == e->ino && p->mode == e->mode && !(p->flags & (FI_ERROR | FI_CHANGED)) &&
	    (p->type != 'f' || (p->from && p->has_sha))) {
		s->stats->unchanged++;
		return p;
	}
	s->stats->changed++;
	return NULL;
}

/* The hard-link table: finds or adds (dev, ino). */
static struct link_seen *link_slot(struct snap *s, dev_t dev, ino_t ino, bool add)
{
	size_t i;

	if (add && (s->nseen + 1) * 2 > s->seencap) {
		size_t cap = s->seencap ? s->seencap * 2 : 256;
		struct link_seen *v = calloc(cap, sizeof(*v));

		if (!v)
			return NULL;
		for (size_t j = 0; j < s->seencap; j++) {
			if (!s->seen[j].used)
				continue;
			i = (s->seen[j].ino * 31 + s->seen[j].dev) & (cap - 1);
			while (v[i].used)
				i = (i + 1) & (cap - 1);
			v[i] = s->seen[j];
		}
		free(s->seen);
		s->seen = v;
		s->seencap = cap;
	}
	if (!s->seencap)
		return NULL;
	i = (ino * 31 + dev) & (s->seencap - 1);
	while (s->seen[i].used) {
		if (s->seen[i].dev == dev && s->seen[i].ino == ino)
			return &s->seen[i];
		i = (i + 1) & (s->seencap - 1);
	}
	if (!add)
		return NULL;
	s->seen[i].used = true;
	s->seen[i].dev = dev;
	s->seen[i].ino = ino;
	s->nseen++;
	return &s->seen[i];
}

/* ---- tar output ---------------------------------------------------------- */

static la_ssize_t tar_cb(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct snap *s = ctx;
	int r = s->o->tar_write(s->o->ctx, buf, len);

	if (r < 0) {
		s->sink_err = r;
		archive_set_error(a, -r, "cannot write the snapshot");
		return -1;
	}
	return (la_ssize_t)len;
}

static int tar_fail(struct snap *s, const char *what)
{
	if (s->sink_err)
		return s->sink_err;
	log_error("%s/%s: %s: %s", s->o->root, cur_path(s), what, archive_error_string(s->tar));
	return -EIO;
}

static int write_header(struct snap *s, struct archive_entry *entry)
{
	int r = archive_write_header(s->tar, entry);

	/* WARN: e.g. a name not in the locale's charset, stored as bytes. */
	if (r < ARCHIVE_WARN)
		return tar_fail(s, "cannot write the tar header");
	return 0;
}

/* A fresh entry for the current path; from the open FD (xattrs, ACLs,
 * sparse map, owner names) when FD >= 0, else from ST alone. */
static int make_entry(struct snap *s, int fd, const struct stat *st, struct archive_entry **out)
{
	struct archive_entry *entry = archive_entry_new();
	char src[64];

	*out = NULL;
	if (!entry)
		return -ENOMEM;
	archive_entry_copy_pathname(entry, cur_path(s));
	if (fd >= 0) {
		/* The descriptor's /proc name lets libarchive reach the file (for a
		 * directory's default ACL) without the full path. */
		snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
		archive_entry_copy_sourcepath(entry, src);
		if (archive_read_disk_entry_from_file(s->disk, entry, fd, st) < ARCHIVE_WARN) {
			log_warn("%s/%s: extended attributes or ACLs not read: %s", s->o->root, cur_path(s),
				 archive_error_string(s->disk));
			archive_entry_copy_stat(entry, st);
		}
		archive_entry_copy_sourcepath(entry, NULL);
	} else {
		archive_entry_copy_stat(entry, st);
	}
	archive_entry_copy_pathname(entry, cur_path(s));
	archive_entry_copy_uname(entry, archive_read_disk_uname(s->disk, st->st_uid));
	archive_entry_copy_gname(entry, archive_read_disk_gname(s->disk, st->st_gid));
	*out = entry;
	return 0;
}

/* ---- regular files ------------------------------------------------------- */

static bool changed_since(const struct stat *a, const struct stat *b)
{
	return a->st_size != b->st_size || a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
	       a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

/* Where one read of a file goes (see snapshot.h): */
enum sink {
	SINK_TAR,			/* straight into the tar entry, its header written first */
	SINK_MEM,			/* into s->mem (a file of at most SNAPSHOT_SPOOL_MEM) */
	SINK_SPOOL,			/* into s->spool, the unlinked 0600 spool file */
};

/* A file last changed within SNAPSHOT_HOT_SECONDS is being written: it is
 * likely to change while read, so it is spooled rather than streamed. */
static bool is_hot(const struct stat *st)
{
	time_t now = time(NULL);
	time_t last = st->st_mtim.tv_sec > st->st_ctim.tv_sec ? st->st_mtim.tv_sec : st->st_ctim.tv_sec;

	return last > now - SNAPSHOT_HOT_SECONDS;
}

/* The spool file, opened once: unlinked from the start (O_TMPFILE), mode
 * 0600, in the spool directory.  On a filesystem without O_TMPFILE, a
 * mkstemp() name that is unlinked at once. */
static int spool_open(struct snap *s)
{
	const char *dir = s->o->spool_dir;
	char path[4096];

	if (s->spool >= 0)
		return 0;
	if (!dir)
		dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
	s->spool = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (s->spool < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
		if ((size_t)snprintf(path, sizeof(path), "%s/.lifeboat-spool.XXXXXX", dir) >= sizeof(path)) {
			errno = ENAMETOOLONG;
		} else {
			s->spool = mkostemp(path, O_CLOEXEC);
			if (s->spool >= 0)
				unlink(path);
		}
	}
	if (s->spool < 0) {
		int err = errno;

		log_err(LOG_LVL_ERROR, err, "%s: cannot make a spool file for %s/%s", dir, s->o->root,
			cur_path(s));
		return -err;
	}
	return 0;
}

static int spool_put(struct snap *s, const void *buf, size_t len, uint64_t off)
{
	for (size_t done = 0; done < len;) {
		ssize_t w = pwrite(s->spool, (const char *)buf + done, len - done, (off_t)(off + done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int err = errno;

			log_err(LOG_LVL_ERROR, err, "%s/%s: cannot write the spool file", s->o->root, cur_path(s));
			return -err;
		}
		done += (size_t)w;
	}
	return 0;
}

static int tar_put(struct snap *s, const void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		la_ssize_t w = archive_write_data(s->tar, (const char *)buf + done, len - done);

		if (w <= 0)
			return tar_fail(s, "cannot write the content");
		done += (size_t)w;
	}
	return 0;
}

/* Reads ST->st_size bytes of FD (from its start) into SINK, hashing them;
 * *GOT is the number read.  A file that shrank is hashed as padded with
 * zeros (libarchive pads the tar entry so); one that grew is cut at the
 * size in the header — either way the caller sees the change and reads
 * again. */
static int read_content(struct snap *s, int fd, const struct stat *st, enum sink sink, uint8_t sha[32],
			uint64_t *got, int *read_err)
{
	uint64_t left = (uint64_t)st->st_size;
	struct sha256 h;
	char hex[65];
	int r = 0;

	*read_err = 0;
	*got = 0;
	if (sha256_init(&h) < 0)
		return -ENOMEM;
	if (sink == SINK_SPOOL && ftruncate(s->spool, 0) < 0) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s/%s: cannot empty the spool file", s->o->root, cur_path(s));
		goto out;
	}
	while (left > 0) {
		unsigned char *dst = sink == SINK_MEM ? s->mem + *got : s->buf;
		ssize_t n = pread(fd, dst, left < READ_BUF ? (size_t)left : READ_BUF, (off_t)*got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*read_err = errno;
			break;
		}
		if (n == 0)
			break;
		sha256_update(&h, dst, (size_t)n);
		left -= (uint64_t)n;
		s->stats->bytes_read += (uint64_t)n;
		if (s->o->read_bytes) {
			r = s->o->read_bytes(s->o->ctx, (uint64_t)n);
			if (r < 0)
				goto out;
		}
		if (sink == SINK_TAR)
			r = tar_put(s, dst, (size_t)n);
		else if (sink == SINK_SPOOL)
			r = spool_put(s, dst, (size_t)n, *got);
		*got += (uint64_t)n;
		if (r < 0)
			goto out;
	}
	/* The padding libarchive adds is part of what the tar holds. */
	if (left > 0) {
		memset(s->buf, 0, READ_BUF);
		while (left > 0) {
			size_t n = left < READ_BUF ? (size_t)left : READ_BUF;

			sha256_update(&h, s->buf, n);
			left -= n;
		}
	}
out:
	sha256_final_hex(&h, hex);
	for (int i = 0; i < 32; i++) {
		unsigned v;

		sscanf(hex + 2 * i, "%2x", &v);
		sha[i] = (uint8_t)v;
	}
	return r;
}

/* Appends the kept attempt, LEN bytes held in SINK (memory or spool), to
 * the tar entry whose header was just written. */
static int put_kept(struct snap *s, enum sink sink, uint64_t len)
{
	uint64_t off = 0;

	if (sink == SINK_MEM)
		return tar_put(s, s->mem, (size_t)len);
	while (off < len) {
		ssize_t n = pread(s->spool, s->buf, len - off < READ_BUF ? (size_t)(len - off) : READ_BUF,
				  (off_t)off);
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			log_err(LOG_LVL_ERROR, err, "%s/%s: cannot read back the spool file", s->o->root,
				cur_path(s));
			return -err;
		}
		r = tar_put(s, s->buf, (size_t)n);
		if (r < 0)
			return r;
		off += (uint64_t)n;
	}
	return 0;
}

static int open_file(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOATIME);

	/* O_NOATIME is only for the owner (or root). */
	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	return fd;
}

static void note_changed(struct snap *s, int reads)
{
	char *esc = fileindex_escape(cur_path(s));

	s->stats->changed_while_read++;
	if (reads > 1)
		log_warn("%s/%s: changed while read %d times; stored as last read", s->o->root,
			 esc ? esc : cur_path(s), reads);
	else
		log_warn("%s/%s: changed while read; stored as read (it had not changed for %d s before, "
			 "so it was streamed, not spooled for a re-read)", s->o->root, esc ? esc : cur_path(s),
			 SNAPSHOT_HOT_SECONDS);
	if (esc && json_array_size(s->stats->changed_list) < SNAPSHOT_LIST_MAX)
		json_array_append_new(s->stats->changed_list, json_string(esc));
	free(esc);
}

/* The hard-link resolver's verdict on the current path: true when it is a
 * later name of a file already stored (the tar then holds a link to it). */
static int link_verdict(struct snap *s, int fd, const struct stat *st, bool *is_link)
{
	struct archive_entry *entry, *spare = NULL;
	int r = make_entry(s, fd, st, &entry);

	*is_link = false;
	if (r < 0)
		return r;
	archive_entry_linkify(s->links, &entry, &spare);
	if (entry && archive_entry_hardlink(entry)) {
		*is_link = true;
		r = write_header(s, entry);
	}
	archive_entry_free(entry);
	archive_entry_free(spare);
	return r;
}

static int visit_file(struct snap *s, int dirfd, const char *name, const struct stat *lst)
{
	struct fi_entry e, *same;
	struct stat st, after;
	struct archive_entry *entry = NULL;
	int fd, r, read_err = 0;
	bool is_link = false;

	s->stats->files++;
	s->stats->bytes_tree += (uint64_t)lst->st_size;
	fileindex_entry_from_stat(&e, lst, cur_path(s));
	same = compare_parent(s, &e);
	if (same) {
		e.has_sha = true;
		memcpy(e.sha, same->sha, sizeof(e.sha));
		return index_line(s, &e, fileindex_from(s->o->parent, same));
	}
	fd = open_file(dirfd, name);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;	/* gone since readdir: not part of the tree */
		note_error(s, errno, "cannot open");
		e.flags = FI_ERROR;
		return index_line(s, &e, NULL);
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		note_error(s, errno ? errno : EIO, "cannot stat");
		close(fd);
		e.flags = FI_ERROR;
		return index_line(s, &e, NULL);
	}
	fileindex_entry_from_stat(&e, &st, cur_path(s));
	r = st.st_nlink > 1 ? link_verdict(s, fd, &st, &is_link) : 0;
	if (r == 0 && is_link) {
		struct link_seen *ls = link_slot(s, st.st_dev, st.st_ino, false);

		/* No hash: the first name could not be read, so neither is
		 * there content for this one. */
		e.has_sha = ls != NULL;
		if (ls)
			memcpy(e.sha, ls->sha, sizeof(e.sha));
		else
			e.flags = FI_ERROR;
	}
	/* Each read goes to memory or to the spool file, and only the read
	 * that is kept is written to the tar; a big file that has not changed
	 * for a while is streamed straight into the tar instead, read once. */
	for (int attempt = 0; r == 0 && !is_link; attempt++) {
		enum sink sink = (uint64_t)st.st_size <= SNAPSHOT_SPOOL_MEM ? SINK_MEM :
				 attempt > 0 || is_hot(&st) ? SINK_SPOOL : SINK_TAR;
		uint64_t got = 0;
		bool changed;

		fileindex_entry_from_stat(&e, &st, cur_path(s));
		if (sink == SINK_SPOOL)
			r = spool_open(s);
		if (r == 0 && sink == SINK_TAR) {
			r = make_entry(s, fd, &st, &entry);
			if (r == 0)
				r = write_header(s, entry);
			archive_entry_free(entry);
			entry = NULL;
		}
		if (r == 0)
			r = read_content(s, fd, &st, sink, e.sha, &got, &read_err);
		if (r < 0)
			break;
		e.has_sha = true;
		if (read_err) {
			/* Streamed: the entry is in the tar, padded; the content
			 * is not.  Spooled: nothing went into the tar. */
			note_error(s, read_err, "cannot read");
			e.flags = FI_ERROR;
			e.has_sha = false;
			break;
		}
		changed = fstat(fd, &after) == 0 && changed_since(&st, &after);
		if (changed && sink != SINK_TAR && attempt < SNAPSHOT_RETRIES) {
			st = after;
			continue;
		}
		if (changed) {
			e.flags = FI_CHANGED;
			note_changed(s, attempt + 1);
		}
		if (sink != SINK_TAR) {
			r = make_entry(s, fd, &st, &entry);
			if (r == 0)
				r = write_header(s, entry);
			if (r == 0)
				r = put_kept(s, sink, got);
			archive_entry_free(entry);
			entry = NULL;
		}
		break;
	}
	if (r == 0 && !is_link && st.st_nlink > 1 && !(e.flags & FI_ERROR)) {
		struct link_seen *ls = link_slot(s, st.st_dev, st.st_ino, true);

		if (!ls)
			r = -ENOMEM;
		else
			memcpy(ls->sha, e.sha, sizeof(e.sha));
	}
	close(fd);
	if (r < 0)
		return r;
	if (!(e.flags & FI_ERROR))
		s->stats->stored++;
	return index_line(s, &e, e.flags & FI_ERROR ? NULL : s->o->id);
}

/* ---- other entries and directories ---------------------------------------- */

static int visit_special(struct snap *s, int dirfd, const char *name, const struct stat *st)
{
	struct archive_entry *entry;
	struct fi_entry e;
	int r;

	fileindex_entry_from_stat(&e, st, cur_path(s));
	compare_parent(s, &e);
	r = make_entry(s, -1, st, &entry);
	if (r < 0)
		return r;
	if (S_ISLNK(st->st_mode)) {
		size_t cap = (size_t)st->st_size + 2;
		char *target = malloc(cap);
		ssize_t n = target ? readlinkat(dirfd, name, target, cap) : -1;

		if (n < 0 || (size_t)n >= cap) {
			int err = target ? (n < 0 ? errno : EOVERFLOW) : ENOMEM;

			free(target);
			archive_entry_free(entry);
			if (err == ENOENT)
				return 0;
			note_error(s, err, "cannot read the symlink");
			e.flags = FI_ERROR;
			return index_line(s, &e, NULL);
		}
		target[n] = 0;
		archive_entry_copy_symlink(entry, target);
		free(target);
	}
	r = write_header(s, entry);
	archive_entry_free(entry);
	if (r < 0)
		return r;
	return index_line(s, &e, s->o->id);
}

/* A directory: its entry.  FD is the open directory (the walker's), or -1
 * when it could not be opened (the entry is written from ST, flagged). */
static int on_dir(void *ctx, int fd, const char *path, const struct stat *st)
{
	struct snap *s = ctx;
	struct archive_entry *entry;
	struct fi_entry e;
	int r;

	s->cur = path;
	if (s->o->progress)
		s->o->progress(s->o->ctx, path);
	fileindex_entry_from_stat(&e, st, cur_path(s));
	compare_parent(s, &e);
	if (fd < 0)
		e.flags = FI_ERROR;
	r = make_entry(s, fd, st, &entry);
	if (r == 0) {
		r = write_header(s, entry);
		archive_entry_free(entry);
	}
	if (r == 0)
		r = index_line(s, &e, s->o->id);
	return r;
}

static int on_entry(void *ctx, int dirfd, const char *name, const char *path, const struct stat *st)
{
	struct snap *s = ctx;

	s->cur = path;
	if (s->o->progress)
		s->o->progress(s->o->ctx, path);
	if (S_ISREG(st->st_mode))
		return visit_file(s, dirfd, name, st);
	return visit_special(s, dirfd, name, st);
}

static void on_error(void *ctx, const char *path, int err, const char *what)
{
	struct snap *s = ctx;

	s->cur = path;
	note_error(s, err, what);
}

static int on_between(void *ctx)
{
	struct snap *s = ctx;

	return s->o->between_files(s->o->ctx);
}

/* The parent's lines this walk did not see: removed since. */
static int write_removed(struct snap *s)
{
	struct fileindex *p = s->o->parent;

	for (size_t i = 0; p && i < p->n; i++) {
		struct fi_entry e = { .type = '-', .path = p->v[i].path };
		int r;

		if (p->v[i].seen || p->v[i].type == '-')
			continue;
		s->stats->removed++;
		r = index_line(s, &e, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

static int setup(struct snap *s)
{
	s->buf = malloc(READ_BUF);
	s->mem = malloc(SNAPSHOT_SPOOL_MEM);
	s->tar = archive_write_new();
	s->disk = archive_read_disk_new();
	s->links = archive_entry_linkresolver_new();
	s->stats->error_list = json_array();
	s->stats->changed_list = json_array();
	if (!s->buf || !s->mem || !s->tar || !s->disk || !s->links || !s->stats->error_list ||
	    !s->stats->changed_list)
		return -ENOMEM;
	archive_read_disk_set_standard_lookup(s->disk);
	/* File flags (chattr +i and the like) are left out, as tar leaves
	 * them: restoring an immutable flag would make the copy hard to use. */
	archive_read_disk_set_behavior(s->disk, ARCHIVE_READDISK_NO_FFLAGS);
	/* Full pax, not restricted: every entry then carries its mtime
	 * with nanoseconds. */
	archive_write_set_format_pax(s->tar);
	/* Names are bytes: one that is not in the locale's charset is stored
	 * as it is, marked hdrcharset=BINARY (libarchive's own fallback). */
	/* Big blocks: each one is a call into zstd, which takes locks when it
	 * compresses on a worker thread. */
	archive_write_set_bytes_per_block(s->tar, 1 << 20);
	archive_write_set_bytes_in_last_block(s->tar, 1);
	archive_entry_linkresolver_set_strategy(s->links, archive_format(s->tar));
	if (archive_write_open(s->tar, s, NULL, tar_cb, NULL) != ARCHIVE_OK) {
		log_error("cannot start the tar: %s", archive_error_string(s->tar));
		return -EIO;
	}
	return 0;
}

int snapshot_run(const struct snapshot_opts *o, struct snapshot_stats *stats)
{
	struct snap s = { .o = o, .stats = stats, .spool = -1, .cur = "." };
	struct treewalk_opts wo = {
		.root = o->root, .exclude = o->exclude, .one_file_system = o->one_file_system,
		.dir = on_dir, .entry = on_entry, .error = on_error,
		.between = o->between_files ? on_between : NULL, .ctx = &s,
	};
	struct treewalk_stats ws;
	char *header = NULL;
	int r;

	memset(stats, 0, sizeof(*stats));
	r = setup(&s);
	if (r == 0) {
		header = fileindex_header_line(o->id, o->parent_id);
		r = header ? o->index_write(o->ctx, header, strlen(header)) : -ENOMEM;
	}
	if (r == 0) {
		r = treewalk_run(&wo, &ws);
		stats->excluded = ws.excluded;
		stats->sockets = ws.sockets;
		stats->other_fs = ws.other_fs;
	}
	if (r == 0)
		r = write_removed(&s);
	if (r == 0 && archive_write_close(s.tar) != ARCHIVE_OK)
		r = tar_fail(&s, "cannot finish the tar");
	if (r == -ENOMEM)
		log_error("%s: out of memory", o->root);
	free(header);
	if (s.tar)
		archive_write_free(s.tar);
	if (s.disk)
		archive_read_free(s.disk);
	if (s.links)
		archive_entry_linkresolver_free(s.links);
	free(s.seen);
	free(s.buf);
	free(s.mem);
	if (s.spool >= 0)
		close(s.spool);
	return r;
}

/*
 * snaprestore — see snaprestore.h.
 */
#include "snaprestore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "fileindex.h"
#include "log.h"
#include "reader.h"
#include "record.h"
#include "restore_target.h"

struct rs {
	const struct snaprestore_opts *o;
	struct snaprestore_stats *stats;
	struct fileindex index;		/* the backup's own index */
	struct archive *disk;		/* archive_write_disk */
	char *sub;			/* normalised subpath, or NULL */
	char *name;			/* normalised entry name */
	size_t namecap;
	/* A tar stores a file with several names once, under the first name;
	 * the later names are links to it.  When the first name is not to be
	 * restored (deleted since, or outside the subpath) but a later one is,
	 * the first is extracted anyway as an "anchor" for the link, then
	 * removed.  INODES are those of the files the current member is to
	 * restore; MI is the member's own index, where a name's inode is. */
	struct fileindex member;	/* the current member's index (not the last) */
	const struct fileindex *mi;	/* &member, or &index for the last member */
	uint64_t *inodes;		/* sorted */
	size_t ninodes;
	char **anchors;			/* paths extracted only as anchors; owned */
	size_t nanchors;
	int flags;			/* archive_write_disk options of every entry */
	int target;			/* the target directory (also the cwd) */
	uid_t euid;			/* who restores (not root: see snaprestore.h) */
	gid_t *groups;			/* the effective gid and the supplementary ones */
	int ngroups;
	char *tmp;			/* a file being written under its temporary name, or NULL */
	struct restore_target out;	/* the target, and the staging directory written into */
	unsigned tmpseq;		/* for the next temporary name */
};

bool snaprestore_path_safe(const char *path)
{
	const char *p = path;

	if (*path == '/' || *path == 0)
		return false;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return false;
		if (!slash)
			break;
		p = slash + 1;
	}
	return true;
}

/* "a/b/" -> "a/b", "./a" -> "a", "./" -> "."  (into S->name). */
static int normalise(struct rs *s, const char *in)
{
	size_t len;

	while (in[0] == '.' && in[1] == '/' && in[2])
		in += 2;
	len = strlen(in);
	if (len + 1 > s->namecap) {
		char *n = realloc(s->name, len + 1);

		if (!n)
			return -ENOMEM;
		s->name = n;
		s->namecap = len + 1;
	}
	memcpy(s->name, in, len + 1);
	while (len > 1 && s->name[len - 1] == '/')
		s->name[--len] = 0;
	return 0;
}

static bool in_subpath(const struct rs *s, const char *name)
{
	size_t len;

	if (!s->sub)
		return true;
	len = strlen(s->sub);
	return strncmp(name, s->sub, len) == 0 && (name[len] == 0 || name[len] == '/');
}

static int copy_data(struct rs *s, struct archive *in, const struct store_entry *m)
{
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(in, &buf, &len, &off);

		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN) {
			log_error("%s %s: %s: %s", s->o->job, m->id, s->name, archive_error_string(in));
			return -EINVAL;
		}
		if (archive_write_data_block(s->disk, buf, len, off) < ARCHIVE_WARN) {
			log_error("%s %s: cannot restore '%s': %s", s->o->job, m->id, s->name,
				  archive_error_string(s->disk));
			return -EIO;
		}
		s->stats->bytes += len;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool linked_inside(const struct rs *s, uint64_t ino)
{
	return s->inodes && bsearch(&ino, s->inodes, s->ninodes, sizeof(ino), cmp_u64) != NULL;
}

/* The inodes of the files member ID is to restore. */
static int collect_inodes(struct rs *s, const char *id)
{
	free(s->inodes);
	s->ninodes = 0;
	s->inodes = malloc((s->index.n + 1) * sizeof(*s->inodes));
	if (!s->inodes)
		return -ENOMEM;
	for (size_t i = 0; i < s->index.n; i++) {
		const struct fi_entry *e = &s->index.v[i];
		const char *from = fileindex_from(&s->index, e);

		if (e->type == 'f' && from && !strcmp(from, id) && in_subpath(s, e->path))
			s->inodes[s->ninodes++] = e->ino;
	}
	qsort(s->inodes, s->ninodes, sizeof(*s->inodes), cmp_u64);
	return 0;
}

static int open_below(int dirfd, const char *path);

/* ---- what cannot be restored exactly ----------------------------------- */

static const char *const skip_key[SR_SKIP_KINDS] = { "node", "owner", "mode", "xattr" };

/* Notes that PATH was not restored exactly (WHAT says how), for the report. */
static int skip(struct rs *s, enum snaprestore_skip kind, const char *path, const char *what)
{
	char *esc;
	json_t *item;

	s->stats->skipped[kind]++;
	if (s->stats->skipped[kind] > SNAPRESTORE_LIST_MAX)
		return 0;
	if (!s->stats->skipped_list) {
		s->stats->skipped_list = json_array();
		if (!s->stats->skipped_list)
			return -ENOMEM;
	}
	esc = fileindex_escape(path);
	item = esc ? json_pack("{s:s, s:s, s:s}", "path", esc, "kind", skip_key[kind], "what", what) : NULL;
	free(esc);
	if (!item || json_array_append_new(s->stats->skipped_list, item) < 0)
		return -ENOMEM;
	return 0;
}

static bool in_groups(const struct rs *s, gid_t gid)
{
	for (int i = 0; i < s->ngroups; i++)
		if (s->groups[i] == gid)
			return true;
	return false;
}

/* Not root: what of ENTRY this user can restore.  The owner is set (the
 * group, in fact) only when the user is the owner and a member of the
 * group; otherwise it is reported, and a setuid or setgid bit that would
 * then belong to the wrong user or group is dropped and reported too.
 * Extended attributes in the trusted and security namespaces need
 * privileges (CAP_SYS_ADMIN, CAP_SETFCAP, an LSM's consent): they are left
 * out and reported.  Sets *OWNER when the owner is to be set. */
static int unprivileged(struct rs *s, struct archive_entry *entry, const char *path, bool *owner)
{
	uid_t uid = (uid_t)archive_write_disk_uid(s->disk, archive_entry_uname(entry), archive_entry_uid(entry));
	gid_t gid = (gid_t)archive_write_disk_gid(s->disk, archive_entry_gname(entry), archive_entry_gid(entry));
	mode_t mode = archive_entry_mode(entry), drop = 0;
	const char *name;
	const void *value;
	size_t size, n, kept = 0;
	char what[128];
	int r = 0;

	*owner = uid == s->euid && in_groups(s, gid);
	if (!*owner) {
		snprintf(what, sizeof(what), "owner %u:%u not set", (unsigned)uid, (unsigned)gid);
		r = skip(s, SR_SKIP_OWNER, path, what);
		if (uid != s->euid)
			drop |= S_ISUID;
		if (!in_groups(s, gid))
			drop |= S_ISGID;
	}
	if (r == 0 && (mode & AE_IFMT) != AE_IFLNK && (mode & drop)) {
		snprintf(what, sizeof(what), "%s bit not set (its owner is not)",
			 (mode & drop) == (S_ISUID | S_ISGID) ? "setuid and setgid" :
			 (mode & drop) == S_ISUID ? "setuid" : "setgid");
		r = skip(s, SR_SKIP_MODE, path, what);
		archive_entry_set_perm(entry, mode & 07777 & ~drop);
	}
	n = archive_entry_xattr_reset(entry);
	if (r < 0 || n == 0)
		return r;
	{
		struct { char *name; void *value; size_t size; } *keep = calloc(n, sizeof(*keep));
		const char *dropped[16];	/* names reported (pointers into ENTRY) */
		size_t ndropped = 0;

		if (!keep)
			return -ENOMEM;
		while (r == 0 && archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK) {
			if (!strncmp(name, "trusted.", 8) || !strncmp(name, "security.", 9)) {
				bool again = false;

				/* A pax entry may carry an xattr twice (LIBARCHIVE.xattr
				 * and SCHILY.xattr): reported once. */
				for (size_t i = 0; i < ndropped && !again; i++)
					again = strcmp(dropped[i], name) == 0;
				if (again)
					continue;
				if (ndropped < sizeof(dropped) / sizeof(*dropped))
					dropped[ndropped++] = name;
				snprintf(what, sizeof(what), "extended attribute %.80s not set (needs root)", name);
				r = skip(s, SR_SKIP_XATTR, path, what);
				continue;
			}
			keep[kept].name = strdup(name);
			keep[kept].value = malloc(size ? size : 1);
			if (!keep[kept].name || !keep[kept].value) {
				free(keep[kept].name);
				free(keep[kept].value);
				r = -ENOMEM;
				break;
			}
			memcpy(keep[kept].value, value, size);
			keep[kept++].size = size;
		}
		if (r == 0 && kept < n) {
			archive_entry_xattr_clear(entry);
			for (size_t i = 0; i < kept; i++)
				archive_entry_xattr_add_entry(entry, keep[i].name, keep[i].value, keep[i].size);
		}
		for (size_t i = 0; i < kept; i++) {
			free(keep[i].name);
			free(keep[i].value);
		}
		free(keep);
	}
	return r;
}

/* A name beside PATH for writing it: ".lifeboat-restore.N" in the same
 * directory, one no index of the chain names (so no tree entry is ever in
 * its way).  Malloc'd, or NULL. */
static char *temp_name(struct rs *s, const char *path)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path) + 1 : 0;

	for (;;) {
		char *t = NULL;

		if (asprintf(&t, "%.*s.lifeboat-restore.%u", dirlen, path, s->tmpseq++) < 0)
			return NULL;
		if (!fileindex_find(&s->index, t) && !fileindex_find(s->mi, t))
			return t;
		free(t);
	}
}

/* Renames FROM to TO, both relative to the target (the cwd); below
 * PATH_MAX through their directory. */
static int rename_below(struct rs *s, const char *from, const char *to)
{
	const char *slash = strrchr(to, '/');
	char *dir;
	int dfd, r;

	if (renameat(AT_FDCWD, from, AT_FDCWD, to) == 0)
		return 0;
	if (errno != ENAMETOOLONG || !slash)
		return -errno;
	dir = strndup(to, (size_t)(slash - to));
	if (!dir)
		return -ENOMEM;
	dfd = open_below(s->target, dir);
	free(dir);
	if (dfd < 0)
		return -errno;
	r = renameat(dfd, strrchr(from, '/') + 1, dfd, slash + 1) == 0 ? 0 : -errno;
	close(dfd);
	return r;
}

/* Not root: the setuid and setgid bits of index entry E that would belong
 * to the wrong user or group (dropped, as unprivileged() drops them). */
static mode_t dropped_bits(const struct rs *s, const struct fi_entry *e)
{
	mode_t drop = 0;

	if (s->o->owners)
		return 0;
	if (e->uid != s->euid)
		drop |= S_ISUID;
	if (!in_groups(s, e->gid))
		drop |= S_ISGID;
	return drop;
}

/* Removes the file left under a temporary name by a restore that stopped. */
static void remove_temp(struct rs *s)
{
	const char *slash;
	char *dir;
	int dfd;

	if (!s->tmp)
		return;
	if (unlinkat(AT_FDCWD, s->tmp, 0) < 0 && errno == ENAMETOOLONG && (slash = strrchr(s->tmp, '/'))) {
		dir = strndup(s->tmp, (size_t)(slash - s->tmp));
		dfd = dir ? open_below(s->target, dir) : -1;
		if (dfd >= 0) {
			unlinkat(dfd, slash + 1, 0);
			close(dfd);
		}
		free(dir);
	}
	free(s->tmp);
	s->tmp = NULL;
}

/* One entry of member M: extracted when the index names M as its holder. */
static int take_entry(struct rs *s, struct archive *in, struct archive_entry *entry,
		      const struct store_entry *m)
{
	const char *raw = archive_entry_pathname(entry);
	const char *link = archive_entry_hardlink(entry);
	struct fi_entry *ie;
	const char *from;
	int r;

	if (!raw || !snaprestore_path_safe(raw) || (link && !snaprestore_path_safe(link))) {
		char *esc = fileindex_escape(raw ? raw : "");

		log_error("%s %s: the archive holds an entry outside the tree ('%s'%s%s); refused",
			  s->o->job, m->id, esc ? esc : "?", link ? " linked to " : "", link ? link : "");
		free(esc);
		return -EINVAL;
	}
	r = normalise(s, raw);
	if (r < 0)
		return r;
	ie = fileindex_find(&s->index, s->name);
	from = ie ? fileindex_from(&s->index, ie) : NULL;
	if (!ie || ie->type == '-' || !from || strcmp(from, m->id) != 0 || !in_subpath(s, s->name)) {
		const struct fi_entry *me = fileindex_find(s->mi, s->name);
		char **na;

		ie = NULL;
		if (link || archive_entry_filetype(entry) != AE_IFREG || !me || me->type != 'f' ||
		    !linked_inside(s, me->ino))
			return 0;
		na = realloc(s->anchors, (s->nanchors + 1) * sizeof(*na));
		if (!na)
			return -ENOMEM;
		s->anchors = na;
		s->anchors[s->nanchors] = strdup(s->name);
		if (!s->anchors[s->nanchors])
			return -ENOMEM;
		s->nanchors++;
	}
	/* The root is the target directory itself: its metadata is set at the
	 * end (libarchive refuses the empty name "."). */
	if (strcmp(s->name, ".") == 0) {
		if (ie)
			ie->seen = true;
		return 0;
	}
	{
		bool owner = s->o->owners;
		mode_t type = archive_entry_filetype(entry);

		/* An anchor is treated (and reported) as any entry, under its
		 * own name. */
		uint64_t before[SR_SKIP_KINDS];
		size_t listed = json_array_size(s->stats->skipped_list);

		memcpy(before, s->stats->skipped, sizeof(before));
		if (!s->o->owners) {
			r = unprivileged(s, entry, s->name, &owner);
			if (r < 0)
				return r;
		}
		archive_write_disk_set_options(s->disk, s->flags | (owner ? ARCHIVE_EXTRACT_OWNER : 0));
		/* A file with content is written under a temporary name and
		 * renamed once complete: a restore that stops never leaves a
		 * half-written file under a tree name. */
		if (type == AE_IFREG && !link) {
			s->tmp = temp_name(s, s->name);
			if (!s->tmp)
				return -ENOMEM;
			archive_write_disk_set_options(s->disk, s->flags | ARCHIVE_EXTRACT_NO_OVERWRITE |
							     (owner ? ARCHIVE_EXTRACT_OWNER : 0));
			archive_entry_copy_pathname(entry, s->tmp);
		} else {
			archive_entry_copy_pathname(entry, s->name);
		}
		r = archive_write_header(s->disk, entry);
		if (r == ARCHIVE_FAILED && (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO) &&
		    (archive_errno(s->disk) == EPERM || archive_errno(s->disk) == EACCES)) {
			/* mknod(2) of a device needs CAP_MKNOD; a FIFO may be refused
			 * too (some container runtimes).  Nothing was created, so
			 * its owner, mode and xattrs are not reported apart. */
			memcpy(s->stats->skipped, before, sizeof(before));
			while (json_array_size(s->stats->skipped_list) > listed)
				json_array_remove(s->stats->skipped_list, listed);
			r = skip(s, SR_SKIP_NODE, s->name, type == AE_IFIFO ? "FIFO not created (not permitted)" :
				 "device node not created (needs root)");
			if (r == 0 && ie)
				ie->seen = true;
			return r;
		}
	}
	if (r < ARCHIVE_WARN) {
		char *esc = fileindex_escape(s->name);

		log_error("%s %s: cannot restore '%s': %s", s->o->job, m->id, esc ? esc : "?",
			  archive_error_string(s->disk));
		free(esc);
		return -EINVAL;
	}
	/* ARCHIVE_WARN is let through, as before: libarchive warns, for one,
	 * when it cannot chown a path past PATH_MAX, which dir_metadata()
	 * does not redo either. */
	if (archive_entry_size(entry) > 0 && !link)
		r = copy_data(s, in, m);
	else
		r = 0;
	if (r == 0 && archive_write_finish_entry(s->disk) < ARCHIVE_WARN) {
		log_error("%s %s: cannot finish '%s': %s", s->o->job, m->id, s->name,
			  archive_error_string(s->disk));
		r = -EIO;
	}
	if (r == 0 && s->tmp) {
		r = rename_below(s, s->tmp, s->name);
		if (r < 0) {
			log_err(LOG_LVL_ERROR, -r, "%s %s: cannot rename the restored '%s' into place", s->o->job,
				m->id, s->name);
			return r;
		}
		free(s->tmp);
		s->tmp = NULL;
	}
	if (r == 0 && ie) {
		ie->seen = true;
		s->stats->entries++;
		if (ie->type == 'f' && !link)
			s->stats->files++;
	}
	return r;
}

/* Reads member M's tar through the reader, extracting what the index says
 * it holds; its hash is checked at the reader's close, which a failed read
 * reaches too (a tar that fails to read is most often a corrupted one:
 * the hash then says so). */
static int read_member(struct rs *s, const struct store_entry *m)
{
	struct reader *rd = NULL;
	struct archive *in = NULL;
	struct archive_entry *entry;
	int r, c, ar;

	r = reader_open(s->o->st, m, RECORD_ARTIFACT_MAIN, 0, &rd, NULL, 0);
	if (r < 0)
		return r;
	r = reader_archive(rd, &in);
	if (r == -EBADMSG)
		log_error("%s %s: %s", s->o->job, m->id, rd->why);
	while (r == 0 && (ar = archive_read_next_header(in, &entry)) != ARCHIVE_EOF) {
		if (ar < ARCHIVE_WARN) {
			log_error("%s %s: %s: %s", s->o->job, m->id, rd->path, archive_error_string(in));
			r = -EINVAL;
			break;
		}
		r = take_entry(s, in, entry, m);
	}
	if (in)
		archive_read_free(in);
	c = reader_close(rd);
	s->stats->read += rd->bytes;
	if (c < 0 && (r == 0 || r == -EINVAL || r == -EBADMSG))
		r = c;
	if (r == 0)
		s->stats->chain++;
	reader_free(rd);
	return r;
}

/* Opens PATH below DIRFD one component at a time, never following a
 * symlink, so a path longer than PATH_MAX opens too.  -1 with errno. */
static int open_below(int dirfd, const char *path)
{
	char *copy = strdup(path), *save = NULL, *part;
	int fd = dup(dirfd);

	if (!copy || fd < 0) {
		free(copy);
		if (fd >= 0)
			close(fd);
		errno = ENOMEM;
		return -1;
	}
	for (part = strtok_r(copy, "/", &save); part && fd >= 0; part = strtok_r(NULL, "/", &save)) {
		int next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		close(fd);
		fd = next;
	}
	free(copy);
	return fd;
}

/* libarchive sets directory times and modes at close through full paths,
 * which fails past PATH_MAX; setting them again here, relative, covers
 * every depth. */
static void dir_metadata(struct rs *s, int target)
{
	for (size_t i = 0; i < s->index.n; i++) {
		const struct fi_entry *e = &s->index.v[i];
		struct timespec ts[2];
		int fd;

		if (e->type != 'd' || !e->seen || strcmp(e->path, ".") == 0)
			continue;
		fd = open_below(target, e->path);
		if (fd < 0) {
			log_err(LOG_LVL_WARN, errno, "%s/%s: cannot set the times", s->o->to, e->path);
			continue;
		}
		ts[0].tv_sec = ts[1].tv_sec = e->mtime_s;
		ts[0].tv_nsec = ts[1].tv_nsec = e->mtime_ns;
		if (fchmod(fd, e->mode & ~dropped_bits(s, e)) < 0 || futimens(fd, ts) < 0)
			log_err(LOG_LVL_WARN, errno, "%s/%s: cannot set the mode or times", s->o->to, e->path);
		close(fd);
	}
}

/* Removes the hard-link anchors extracted outside the subpath, and the
 * directories made only for them. */
static void remove_anchors(struct rs *s, int target)
{
	for (size_t i = 0; i < s->nanchors; i++) {
		char *p = s->anchors[i], *slash;
		const struct fi_entry *e = fileindex_find(&s->index, p);

		/* A later member restored this name for real. */
		if (e && e->type != '-' && e->seen && in_subpath(s, p)) {
			free(p);
			continue;
		}
		if (unlinkat(target, p, 0) < 0)
			log_err(LOG_LVL_WARN, errno, "%s/%s: cannot remove", s->o->to, p);
		/* Only the directories made for the anchor alone go with it: one the
		 * tree holds stays, empty or not. */
		while ((slash = strrchr(p, '/'))) {
			const struct fi_entry *dir;

			*slash = 0;
			dir = fileindex_find(&s->index, p);
			if (dir && dir->type != '-' && dir->seen && in_subpath(s, p))
				break;
			if (unlinkat(target, p, AT_REMOVEDIR) < 0)
				break;
		}
		free(p);
	}
	free(s->anchors);
	s->anchors = NULL;
	s->nanchors = 0;
}

/* The root's mode, times and owner, from its index line. */
static void root_metadata(struct rs *s, int dirfd)
{
	struct fi_entry *root = fileindex_find(&s->index, ".");
	struct timespec ts[2];

	if (!root || s->sub)
		return;
	if (s->o->owners && fchownat(dirfd, ".", root->uid, root->gid, 0) < 0)
		log_err(LOG_LVL_WARN, errno, "%s: cannot set the owner", s->o->to);
	if (!s->o->owners && (root->uid != s->euid || !in_groups(s, root->gid))) {
		char what[64];

		snprintf(what, sizeof(what), "owner %u:%u not set", (unsigned)root->uid, (unsigned)root->gid);
		skip(s, SR_SKIP_OWNER, ".", what);
		if (root->mode & dropped_bits(s, root))
			skip(s, SR_SKIP_MODE, ".", "setuid or setgid bit not set (its owner is not)");
	} else if (!s->o->owners && fchownat(dirfd, ".", (uid_t)-1, root->gid, 0) < 0) {
		log_err(LOG_LVL_WARN, errno, "%s: cannot set the group", s->o->to);
	}
	if (fchmodat(dirfd, ".", root->mode & ~dropped_bits(s, root), 0) < 0)
		log_err(LOG_LVL_WARN, errno, "%s: cannot set the mode", s->o->to);
	ts[0].tv_sec = ts[1].tv_sec = root->mtime_s;
	ts[0].tv_nsec = ts[1].tv_nsec = root->mtime_ns;
	if (utimensat(dirfd, ".", ts, 0) < 0)
		log_err(LOG_LVL_WARN, errno, "%s: cannot set the times", s->o->to);
}

/* Reads the index of E into FI, checking it against its record. */
static int load_index(struct rs *s, const struct store_entry *e, struct fileindex *fi)
{
	struct reader *rd;
	int r, c;

	r = reader_open(s->o->st, e, RECORD_ARTIFACT_INDEX, 0, &rd, NULL, 0);
	if (r < 0)
		return r;
	r = fileindex_read(fi, rd);
	c = reader_close(rd);
	s->stats->read += rd->bytes;
	reader_free(rd);
	return c < 0 && (r == 0 || r == -EINVAL) ? c : r;
}

/* Every entry of the tree (within the subpath) must have been written. */
static int check_complete(struct rs *s)
{
	uint64_t missing = 0, inside = 0;
	const char *first = NULL;

	for (size_t i = 0; i < s->index.n; i++) {
		const struct fi_entry *e = &s->index.v[i];

		if (e->type == '-' || !in_subpath(s, e->path))
			continue;
		inside++;
		if (e->flags & FI_ERROR) {
			s->stats->unreadable++;
			continue;
		}
		if (!e->seen && !(s->sub && strcmp(e->path, ".") == 0)) {
			missing++;
			if (!first)
				first = e->path;
		}
	}
	if (s->sub && inside == 0) {
		log_error("%s %s: no path '%s' in the backup", s->o->job, s->o->id, s->sub);
		return -ENOENT;
	}
	if (missing) {
		char *esc = fileindex_escape(first);

		log_error("%s %s: %llu path(s) of the index were not found in the chain (first: '%s')",
			  s->o->job, s->o->id, (unsigned long long)missing, esc ? esc : "?");
		free(esc);
		return -ENOENT;
	}
	return 0;
}

/* Who restores: the effective uid and every group it may give a file. */
static int load_groups(struct rs *s)
{
	int n = getgroups(0, NULL);

	if (n < 0)
		return -errno;
	s->euid = geteuid();
	s->groups = malloc(((size_t)n + 1) * sizeof(*s->groups));
	if (!s->groups)
		return -ENOMEM;
	s->groups[0] = getegid();
	n = getgroups(n, s->groups + 1);
	if (n < 0)
		return -errno;
	s->ngroups = n + 1;
	return 0;
}

void snaprestore_stats_free(struct snaprestore_stats *stats)
{
	json_decref(stats->skipped_list);
	stats->skipped_list = NULL;
}

int snaprestore_run(const struct snaprestore_opts *o, struct snaprestore_stats *stats)
{
	struct rs s = { .o = o, .stats = stats, .target = -1 };
	struct record_chain chain = { 0 };
	char why[1024];
	int cwd = -1, target = -1, r, flags;

	memset(stats, 0, sizeof(*stats));
	fileindex_init(&s.index);
	fileindex_init(&s.member);
	r = record_chain_load(o->st, o->job, o->id, "files", 0, &chain, why, sizeof(why));
	if (r < 0) {
		log_error("%s", why);
		return r;
	}
	if (o->subpath) {
		r = normalise(&s, o->subpath);
		if (r == 0 && (!snaprestore_path_safe(s.name) || strcmp(s.name, ".") == 0)) {
			log_error("--path %s: give a path inside the tree, relative to its root", o->subpath);
			r = -EINVAL;
		}
		if (r == 0) {
			s.sub = strdup(s.name);
			if (!s.sub)
				r = -ENOMEM;
		}
	}
	if (r == 0)
		r = restore_target_check(&s.out, o->to);
	/* Everything is written into a staging directory beside the target,
	 * and moved into it only when every artifact checked at its close: a
	 * tampered or corrupt tar never sets a mode, owner or byte in the
	 * target, and each artifact is read once. */
	if (r == 0)
		r = restore_target_stage(&s.out);
	if (r == 0)
		r = load_index(&s, &chain.v[chain.n - 1], &s.index);
	if (r == 0) {
		cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		target = open(s.out.staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cwd < 0 || target < 0 || fchdir(target) < 0) {
			r = -errno;
			log_err(LOG_LVL_ERROR, errno, "%s: cannot enter", s.out.staging);
		}
		s.target = target;
	}
	if (r == 0 && !o->owners)
		r = load_groups(&s);
	if (r == 0) {
		s.disk = archive_write_disk_new();
		if (!s.disk)
			r = -ENOMEM;
	}
	if (r == 0) {
		flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
			ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_SPARSE | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
			ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
		s.flags = flags;
		archive_write_disk_set_options(s.disk, flags);
		archive_write_disk_set_standard_lookup(s.disk);
	}
	for (size_t i = 0; r == 0 && i < chain.n; i++) {
		bool last = i + 1 == chain.n;

		fileindex_free(&s.member);
		s.mi = last ? &s.index : &s.member;
		if (!last)
			r = load_index(&s, &chain.v[i], &s.member);
		if (r == 0)
			r = collect_inodes(&s, chain.v[i].id);
		if (r == 0)
			r = read_member(&s, &chain.v[i]);
	}
	if (s.disk) {
		/* Directory times and modes are set here, after their contents. */
		if (archive_write_close(s.disk) < ARCHIVE_WARN && r == 0) {
			log_error("%s %s: %s", o->job, o->id, archive_error_string(s.disk));
			r = -EIO;
		}
		archive_write_free(s.disk);
	}
	remove_temp(&s);
	if (target >= 0)
		remove_anchors(&s, target);
	if (r == 0)
		r = check_complete(&s);
	if (cwd >= 0) {
		if (fchdir(cwd) < 0)
			log_err(LOG_LVL_WARN, errno, "cannot return to the working directory");
		close(cwd);
	}
	if (target >= 0)
		close(target);
	if (r == 0)
		r = restore_target_commit(&s.out);
	if (r == 0) {
		target = open(o->to, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (target < 0) {
			log_err(LOG_LVL_WARN, errno, "%s: cannot set the directories' modes and times", o->to);
		} else {
			dir_metadata(&s, target);
			root_metadata(&s, target);
			close(target);
		}
	}
	if (r == -ENOMEM)
		log_error("%s %s: out of memory", o->job, o->id);
	if (r < 0 && s.out.staging[0]) {
		restore_target_discard(&s.out);
		log_error("%s %s: nothing was restored; %s is as it was", o->job, o->id, o->to);
	}
	record_chain_free(&chain);
	fileindex_free(&s.index);
	fileindex_free(&s.member);
	for (size_t i = 0; i < s.nanchors; i++)
		free(s.anchors[i]);
	free(s.anchors);
	free(s.inodes);
	free(s.sub);
	free(s.name);
	free(s.groups);
	free(s.tmp);
	return r;
}

/*
 * watch_compare — see watch_compare.h.
 */
#include "watch_compare.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hashrun.h"
#include "log.h"
#include "sha256.h"
#include "treewalk.h"
#include "watch_flags.h"

#define READ_BUF (256 * 1024)
#define ERROR_LIST_MAX 100

struct tree {
	const struct wc_tree_opts *o;
	struct fileindex *base;
	struct wc_list *l;
	struct strlist exclude;		/* both lists, borrowed strings */
	unsigned char *buf;		/* READ_BUF */
	unsigned char *head;		/* WATCH_SCAN_MAX: the start of the file read */
	int err;			/* ENOMEM while adding */
};

void wc_list_init(struct wc_list *l)
{
	memset(l, 0, sizeof(*l));
}

void wc_list_free(struct wc_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].target);
	}
	free(l->v);
	json_decref(l->error_list);
	memset(l, 0, sizeof(*l));
}

static const char *const what_names[WC_WHAT_COUNT] = {
	"content", "size", "mode", "owner", "type", "target", "mtime", "ctime", "inode",
};

void watch_what_text(unsigned what, char *buf, size_t len)
{
	watch_bits_text(what, what_names, WC_WHAT_COUNT, buf, len);
}

static struct wc_item *add_item(struct wc_list *l, enum wc_change change, const char *path)
{
	struct wc_item *it;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct wc_item *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	it = &l->v[l->n];
	memset(it, 0, sizeof(*it));
	it->path = strdup(path);
	if (!it->path)
		return NULL;
	it->change = change;
	l->n++;
	return it;
}

/* What differs between two lines of the same path (content only when both
 * have a hash). */
static unsigned differ_all(const struct fi_entry *a, const struct fi_entry *b)
{
	unsigned w = 0;

	if (a->type != b->type)
		return WC_TYPE;
	if (a->size != b->size)
		w |= WC_SIZE;
	if (a->mode != b->mode)
		w |= WC_MODE;
	if (a->uid != b->uid || a->gid != b->gid)
		w |= WC_OWNER;
	if (a->mtime_s != b->mtime_s || a->mtime_ns != b->mtime_ns)
		w |= WC_MTIME;
	if (a->ctime_s != b->ctime_s || a->ctime_ns != b->ctime_ns)
		w |= WC_CTIME;
	if (a->ino != b->ino)
		w |= WC_INODE;
	if (a->type == 'f' && (a->has_sha != b->has_sha || (a->has_sha && memcmp(a->sha, b->sha, 32) != 0)))
		w |= WC_CONTENT;
	if (a->type == 'l' && (w & (WC_SIZE | WC_INODE | WC_MTIME)))
		w |= WC_TARGET;
	return w;
}

/* What differs, without what a copy cannot keep when COPY. */
static unsigned differ(const struct fi_entry *a, const struct fi_entry *b, bool copy)
{
	unsigned w = differ_all(a, b);

	if (copy) {
		w &= ~(unsigned)(WC_MTIME | WC_CTIME | WC_INODE | WC_OWNER);
		if (a->type == 'l' && !(w & WC_SIZE))
			w &= ~(unsigned)WC_TARGET;
	}
	return w;
}

/* Whether a difference W of an entry of TYPE is worth listing. */
static bool worth_listing(char type, unsigned w)
{
	if (w & (WC_TYPE | WC_MODE | WC_OWNER))
		return true;
	if (type == 'd')
		return false;	/* its times and size follow its contents */
	if (type == 'l')
		return w & WC_TARGET;
	return w & (WC_CONTENT | WC_SIZE | WC_MTIME);
}

static void note_error(struct tree *t, const char *path, int err, const char *what)
{
	char *esc = fileindex_escape(path);

	t->l->errors++;
	log_warn("%s/%s: %s: %s", t->o->root, esc ? esc : "?", what, strerror(err));
	if (!t->l->error_list)
		t->l->error_list = json_array();
	if (esc && t->l->error_list && json_array_size(t->l->error_list) < ERROR_LIST_MAX)
		json_array_append_new(t->l->error_list, json_pack("{s:s, s:s}", "path", esc, "error", strerror(err)));
	free(esc);
}

static void on_error(void *ctx, const char *path, int err, const char *what)
{
	note_error(ctx, path, err, what);
}

static int open_file(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOATIME);

	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	return fd;
}

/* Reads the file NAME, hashing it into E and keeping its start in t->head
 * (*HEADLEN bytes).  0, or an errno (not negative) when it cannot be read. */
static int hash_file(struct tree *t, int dirfd, const char *name, struct fi_entry *e, size_t *headlen)
{
	struct hashrun h;
	char hex[SHA256_HEX_LEN + 1];
	int fd = open_file(dirfd, name), err = 0;
	ssize_t n;

	*headlen = 0;
	if (fd < 0)
		return errno;
	hashrun_init(&h);
	while ((n = read(fd, t->buf, READ_BUF)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			break;
		}
		hashrun_update(&h, t->buf, (size_t)n);
		if (*headlen < WATCH_SCAN_MAX) {
			size_t k = (size_t)n < WATCH_SCAN_MAX - *headlen ? (size_t)n : WATCH_SCAN_MAX - *headlen;

			memcpy(t->head + *headlen, t->buf, k);
			*headlen += k;
		}
		t->l->bytes_hashed += (uint64_t)n;
		if (t->o->read_bytes)
			t->o->read_bytes(t->o->ctx, (uint64_t)n);
	}
	close(fd);
	if (err)
		return err;
	t->l->hashed++;
	hashrun_hex(&h, hex);
	for (int i = 0; i < 32; i++) {
		unsigned v;

		sscanf(hex + 2 * i, "%2x", &v);
		e->sha[i] = (uint8_t)v;
	}
	e->has_sha = true;
	return 0;
}

/* One live entry E at PATH against the baseline; HEAD/HEADLEN its content's
 * start when it was read.  TARGET is a live symlink's (taken). */
static int judge(struct tree *t, const char *path, struct fi_entry *e, struct fi_entry *b, char *target,
		 const unsigned char *head, size_t headlen)
{
	struct wc_item *it;
	unsigned w = 0;

	if (b && b->type != '-') {
		b->seen = true;
		w = differ(b, e, t->o->copy);
		if (!worth_listing(e->type, w)) {
			if (w & (WC_CTIME | WC_INODE))
				t->l->meta_only++;
			free(target);
			return 0;
		}
	}
	it = add_item(t->l, b && b->type != '-' ? WC_CHANGED : WC_ADDED, path);
	if (!it) {
		free(target);
		return -ENOMEM;
	}
	it->what = w;
	it->has_new = true;
	it->cur = *e;
	it->cur.path = NULL;
	if (b && b->type != '-') {
		it->has_old = true;
		it->old = *b;
		it->old.path = NULL;
	}
	it->target = target;
	watch_flags_item(it, t->o->root, head, headlen);
	return 0;
}

static int on_dir(void *ctx, int fd, const char *path, const struct stat *st)
{
	struct tree *t = ctx;
	struct fi_entry e;

	(void)fd;
	t->l->entries++;
	fileindex_entry_from_stat(&e, st, NULL);
	return judge(t, path, &e, fileindex_find(t->base, path), NULL, NULL, 0);
}

static int on_entry(void *ctx, int dirfd, const char *name, const char *path, const struct stat *st)
{
	struct tree *t = ctx;
	struct fi_entry e, *b = fileindex_find(t->base, path);
	char *target = NULL;
	size_t headlen = 0;
	int err;

	t->l->entries++;
	fileindex_entry_from_stat(&e, st, NULL);
	if (S_ISREG(st->st_mode)) {
		bool trusted = b && b->type == 'f' && b->has_sha && !(b->flags & (FI_ERROR | FI_CHANGED)) &&
			       !(differ(b, &e, false) & ~(unsigned)WC_CONTENT);

		if (trusted && !t->o->paranoid && !t->o->copy) {
			e.has_sha = true;
			memcpy(e.sha, b->sha, 32);
			b->seen = true;
			return 0;
		}
		err = hash_file(t, dirfd, name, &e, &headlen);
		if (err == ENOENT) {
			return 0;	/* gone since readdir: the baseline line stays unseen */
		} else if (err) {
			note_error(t, path, err, "cannot read");
			if (b)
				b->seen = true;	/* not "removed": it is there, unreadable */
			return 0;
		}
	} else if (S_ISLNK(st->st_mode)) {
		size_t cap = (size_t)st->st_size + 2;
		ssize_t n;

		target = malloc(cap);
		if (!target)
			return -ENOMEM;
		n = readlinkat(dirfd, name, target, cap);
		if (n < 0 || (size_t)n >= cap) {
			free(target);
			target = NULL;
		} else {
			target[n] = 0;
		}
	}
	return judge(t, path, &e, b, target, headlen ? t->head : NULL, headlen);
}

static int on_between(void *ctx)
{
	struct tree *t = ctx;

	return t->o->between(t->o->ctx);
}

static int add_removed(struct wc_list *l, struct fileindex *base)
{
	for (size_t i = 0; i < base->n; i++) {
		struct fi_entry *b = &base->v[i];
		struct wc_item *it;

		if (b->seen || b->type == '-')
			continue;
		it = add_item(l, WC_REMOVED, b->path);
		if (!it)
			return -ENOMEM;
		it->has_old = true;
		it->old = *b;
		it->old.path = NULL;
	}
	return 0;
}

static int join_excludes(struct strlist *out, const struct strlist *a, const struct strlist *b)
{
	size_t n = (a ? a->n : 0) + (b ? b->n : 0);

	out->n = 0;
	out->v = calloc(n + 1, sizeof(char *));
	if (!out->v)
		return -ENOMEM;
	for (size_t i = 0; a && i < a->n; i++)
		out->v[out->n++] = a->v[i];
	for (size_t i = 0; b && i < b->n; i++)
		out->v[out->n++] = b->v[i];
	return 0;
}

int watch_compare_tree(const struct wc_tree_opts *o, struct fileindex *base, struct wc_list *l)
{
	struct tree t = { .o = o, .base = base, .l = l };
	struct treewalk_opts wo = {
		.root = o->root, .exclude = &t.exclude, .one_file_system = o->one_file_system,
		.dir = on_dir, .entry = on_entry, .error = on_error,
		.between = o->between ? on_between : NULL, .ctx = &t,
	};
	struct treewalk_stats ws;
	int r;

	for (size_t i = 0; i < base->n; i++)
		base->v[i].seen = false;
	t.buf = malloc(READ_BUF);
	t.head = malloc(WATCH_SCAN_MAX);
	r = t.buf && t.head ? join_excludes(&t.exclude, o->exclude, o->exclude2) : -ENOMEM;
	if (r == 0)
		r = treewalk_run(&wo, &ws);
	if (r == 0) {
		l->excluded = ws.excluded;
		r = add_removed(l, base);
	}
	if (r == -ENOMEM)
		log_error("%s: out of memory comparing with the baseline", o->root);
	free(t.exclude.v);
	free(t.buf);
	free(t.head);
	return r;
}

int watch_index_tree(const struct wc_tree_opts *o, struct fileindex *fi, const char *from_id)
{
	struct wc_tree_opts all = *o;
	struct fileindex empty;
	struct wc_list l;
	int r;

	all.paranoid = true;
	all.copy = false;
	fileindex_init(&empty);
	wc_list_init(&l);
	r = watch_compare_tree(&all, &empty, &l);
	for (size_t i = 0; r == 0 && i < l.n; i++) {
		struct fi_entry e = l.v[i].cur;

		e.path = l.v[i].path;
		r = fileindex_add(fi, &e, from_id);
	}
	if (r == 0 && l.errors) {
		log_error("%s: %llu path(s) of the originals could not be read", o->root, (unsigned long long)l.errors);
		r = -EIO;
	}
	wc_list_free(&l);
	fileindex_free(&empty);
	return r;
}

int watch_compare_index(struct fileindex *a, const struct fileindex *b, struct wc_list *l)
{
	for (size_t i = 0; i < a->n; i++)
		a->v[i].seen = false;
	for (size_t i = 0; i < b->n; i++) {
		const struct fi_entry *e = &b->v[i];
		struct fi_entry *old = fileindex_find(a, e->path), cur = *e;
		struct wc_item *it;
		unsigned w = 0;

		if (e->type == '-')
			continue;
		l->entries++;
		if (old && old->type != '-') {
			old->seen = true;
			w = differ(old, e, false);
			if (!worth_listing(e->type, w)) {
				if (w & (WC_CTIME | WC_INODE))
					l->meta_only++;
				continue;
			}
		}
		it = add_item(l, old && old->type != '-' ? WC_CHANGED : WC_ADDED, e->path);
		if (!it)
			return -ENOMEM;
		it->what = w;
		it->has_new = true;
		it->cur = cur;
		it->cur.path = NULL;
		if (old && old->type != '-') {
			it->has_old = true;
			it->old = *old;
			it->old.path = NULL;
		}
		/* No content and no target in an index: flags from names and modes. */
		watch_flags_item(it, "/", NULL, 0);
	}
	return add_removed(l, a);
}

static json_t *side_json(const struct fi_entry *e)
{
	char sha[65] = "", mt[48], ct[48], mode[8], type[2] = { e->type, 0 };

	if (e->has_sha)
		sha256_hex(e->sha, sha);
	snprintf(mt, sizeof(mt), "%lld.%09d", (long long)e->mtime_s, (int)e->mtime_ns);
	snprintf(ct, sizeof(ct), "%lld.%09d", (long long)e->ctime_s, (int)e->ctime_ns);
	snprintf(mode, sizeof(mode), "%04o", (unsigned)e->mode);
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:I, s:s*}", "type", type, "mode", mode,
			 "uid", (json_int_t)e->uid, "gid", (json_int_t)e->gid, "size", (json_int_t)e->size,
			 "mtime", mt, "ctime", ct, "inode", (json_int_t)e->ino, "sha256", e->has_sha ? sha : NULL);
}

json_t *watch_item_json(const struct wc_item *it)
{
	static const char *const change[] = { "added", "removed", "changed" };
	char what[128], flags[256];
	char *esc = fileindex_escape(it->path), *tesc = it->target ? fileindex_escape(it->target) : NULL;
	json_t *j;

	watch_what_text(it->what, what, sizeof(what));
	watch_flags_text(it->flags, flags, sizeof(flags));
	j = json_pack("{s:s?, s:s, s:s, s:s, s:s, s:s*, s:s*}", "path", esc, "change", change[it->change],
		      "what", what, "flags", flags,
		      "severity", watch_flags_critical(it->flags) ? "critical" : "warning",
		      "signature", it->signature[0] ? it->signature : NULL, "target", tesc);
	if (j && it->has_old)
		json_object_set_new(j, "old", side_json(&it->old));
	if (j && it->has_new)
		json_object_set_new(j, "new", side_json(&it->cur));
	free(esc);
	free(tesc);
	return j;
}

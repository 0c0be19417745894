/*
 * files_verify — the files kind's part of verify: while verify (verify.c)
 * reads a files backup's tar.zst once, each entry is compared with the
 * backup's index.zst (every path the index says this backup holds is in the
 * tar with the index's type, size and content hash; the tar holds no path
 * the index does not give to this backup, none outside the tree; every
 * path's parent is a directory of the index).  Also the chain check of a
 * files backup (files_verify_content, the kind's ops.verify).  Entry
 * problems found in a tar whose hash turns out wrong are dropped by
 * verify_walk_tar(): "corrupted" says it all.  Nothing here repairs or
 * deletes anything.
 */
#include "files_verify.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileindex.h"
#include "record.h"
#include "sha256.h"
#include "snaprestore.h"
#include "verify_kind.h"

enum { E_UNSEEN, E_OK, E_SIZE, E_CONTENT, E_REPORTED };

struct fcheck {
	const struct verify_art *tar;
	const char *id;			/* this backup */
	struct fileindex *fi;		/* its index */
	uint8_t *state;			/* E_*, per index entry */
	char *name, *link;		/* normalised entry name and link target */
	size_t namecap, linkcap;
};

/* "./a/b/" -> "a/b", "./" -> "." into *BUF. */
static int normalise(const char *in, char **buf, size_t *cap)
{
	size_t len;

	while (in[0] == '.' && in[1] == '/' && in[2])
		in += 2;
	len = strlen(in);
	if (len + 2 > *cap) {
		char *n = realloc(*buf, len + 2);

		if (!n)
			return -ENOMEM;
		*buf = n;
		*cap = len + 2;
	}
	memcpy(*buf, in, len + 1);
	while (len > 1 && (*buf)[len - 1] == '/')
		(*buf)[--len] = 0;
	return 0;
}

static char type_letter(mode_t t)
{
	switch (t) {
	case AE_IFREG: return 'f';
	case AE_IFDIR: return 'd';
	case AE_IFLNK: return 'l';
	case AE_IFIFO: return 'p';
	case AE_IFCHR: return 'c';
	case AE_IFBLK: return 'b';
	default: return '?';
	}
}

/* Hashes the current entry's content (holes as zeros, up to WANT bytes, its
 * size in the header).  *SIZE gets its length.  Returns 0, -ENOMEM or -EIO. */
static int entry_sha(struct archive *a, uint64_t want, uint8_t sha[32], uint64_t *size)
{
	static const unsigned char zeros[64 * 1024];
	char hex[SHA256_HEX_LEN + 1];
	struct sha256 h;
	uint64_t pos = 0;
	const void *buf;
	size_t len;
	la_int64_t off;
	int x;

	if (sha256_init(&h) < 0)
		return -ENOMEM;
	while ((x = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		while (off >= 0 && (uint64_t)off > pos) {
			size_t n = (uint64_t)off - pos < sizeof(zeros) ? (size_t)((uint64_t)off - pos) : sizeof(zeros);

			sha256_update(&h, zeros, n);
			pos += n;
		}
		sha256_update(&h, buf, len);
		pos += len;
	}
	/* A hole at the end: the entry's size says how long the file is. */
	while (x == ARCHIVE_EOF && want > pos) {
		size_t n = want - pos < sizeof(zeros) ? (size_t)(want - pos) : sizeof(zeros);

		sha256_update(&h, zeros, n);
		pos += n;
	}
	sha256_final_hex(&h, hex);
	for (int i = 0; i < 32; i++) {
		unsigned v;

		sscanf(hex + 2 * i, "%2x", &v);
		sha[i] = (uint8_t)v;
	}
	*size = pos;
	return x == ARCHIVE_EOF ? 0 : -EIO;
}

static int files_entry(void *ctx, struct archive *a, struct archive_entry *ae, struct verify_report *pend)
{
	struct fcheck *fc = ctx;
	const char *raw = archive_entry_pathname(ae), *link = archive_entry_hardlink(ae), *from;
	struct fi_entry *ie;
	char b1[256], b2[256], type;
	size_t k;

	if (!raw || !snaprestore_path_safe(raw) || (link && !snaprestore_path_safe(link))) {
		verify_problem(pend, "%s holds '%s'%s%s, outside the tree: restore refuses it", fc->tar->path,
			verify_show(raw ? raw : "", b1, sizeof(b1)), link ? " linked to " : "",
			link ? verify_show(link, b2, sizeof(b2)) : "");
		return 0;
	}
	if (normalise(raw, &fc->name, &fc->namecap) < 0)
		return -ENOMEM;
	ie = fileindex_find(fc->fi, fc->name);
	if (!ie || ie->type == '-') {
		verify_problem(pend, "%s holds '%s', which its index does not name", fc->tar->path,
			verify_show(fc->name, b1, sizeof(b1)));
		return 0;
	}
	k = (size_t)(ie - fc->fi->v);
	from = fileindex_from(fc->fi, ie);
	if (!from && (ie->flags & FI_ERROR)) {
		/* Unreadable at backup time: its entry is there, padded. */
		fc->state[k] = E_OK;
		return 0;
	}
	if (!from || strcmp(from, fc->id) != 0) {
		verify_problem(pend, "%s holds '%s', whose content its index says is in %s", fc->tar->path,
			verify_show(fc->name, b1, sizeof(b1)), from ? from : "no backup");
		return 0;
	}
	type = link ? 'f' : type_letter(archive_entry_filetype(ae));
	if (type != ie->type) {
		verify_problem(pend, "%s holds '%s' as type %c, its index says %c", fc->tar->path,
			verify_show(fc->name, b1, sizeof(b1)), type, ie->type);
		fc->state[k] = E_REPORTED;
		return 0;
	}
	if (link) {
		const struct fi_entry *t;

		if (normalise(link, &fc->link, &fc->linkcap) < 0)
			return -ENOMEM;
		t = fileindex_find(fc->fi, fc->link);
		if (!t || t->type != 'f' || t->ino != ie->ino || fc->state[t - fc->fi->v] == E_UNSEEN) {
			verify_problem(pend, "%s holds '%s' as a link to '%s', which its index does not give as the same file before it",
				fc->tar->path, verify_show(fc->name, b1, sizeof(b1)), verify_show(fc->link, b2, sizeof(b2)));
			fc->state[k] = E_REPORTED;
		} else {
			fc->state[k] = E_OK;
		}
		return 0;
	}
	if (type == 'f') {
		uint8_t sha[32];
		uint64_t size;
		int r = entry_sha(a, (uint64_t)archive_entry_size(ae), sha, &size);

		if (r == -ENOMEM)
			return r;
		/* A file re-read because it changed is in the tar once per
		 * reading: the last one is what restore keeps. */
		if (r < 0 || size != ie->size || (uint64_t)archive_entry_size(ae) != ie->size)
			fc->state[k] = E_SIZE;
		else if (ie->has_sha && memcmp(sha, ie->sha, 32) != 0)
			fc->state[k] = E_CONTENT;
		else
			fc->state[k] = E_OK;
	} else if (type == 'l') {
		const char *target = archive_entry_symlink(ae);

		fc->state[k] = target && strlen(target) == ie->size ? E_OK : E_SIZE;
	} else {
		fc->state[k] = E_OK;
	}
	return 0;
}

/* Every index path's parent is a directory of the index. */
static int check_parents(const struct fileindex *fi, const struct verify_art *idx, struct verify_report *rep)
{
	char *dir = NULL, b1[256], b2[256];
	size_t cap = 0;

	for (size_t i = 0; i < fi->n; i++) {
		const struct fi_entry *e = &fi->v[i], *p;
		const char *slash = strrchr(e->path, '/');
		size_t len = slash ? (size_t)(slash - e->path) : 1;

		if (e->type == '-' || strcmp(e->path, ".") == 0)
			continue;
		if (len + 1 > cap) {
			char *n = realloc(dir, len + 1);

			if (!n) {
				free(dir);
				verify_problem(rep, "out of memory");
				return -ENOMEM;
			}
			dir = n;
			cap = len + 1;
		}
		memcpy(dir, slash ? e->path : ".", len);
		dir[len] = 0;
		p = fileindex_find(fi, dir);
		if (!p || p->type != 'd')
			verify_problem(rep, "%s names '%s' under '%s', which it %s", idx->path, verify_show(e->path, b1, sizeof(b1)),
				verify_show(dir, b2, sizeof(b2)), !p || p->type == '-' ? "does not name" :
				"does not give as a directory (restore would write through it)");
	}
	free(dir);
	return 0;
}

int files_verify_check(const struct store_entry *e, const struct verify_art *arts, size_t n,
		       struct verify_report *rep, uint64_t *bytes)
{
	const struct verify_art *tar = &arts[RECORD_ARTIFACT_MAIN], *idx = &arts[RECORD_ARTIFACT_INDEX];
	struct fcheck fc = { .tar = tar, .id = e->id };
	struct fileindex fi;
	struct reader *rd;
	char b1[256];
	bool index_ok = false;
	int rc = 0;

	(void)n;	/* the layout's two roles */
	fileindex_init(&fi);
	rd = verify_open(idx, rep);
	if (rd) {
		rc = fileindex_read(&fi, rd);
		if (verify_close(rd, rep, bytes) < 0)
			;	/* corrupted: said */
		else if (rc == -EINVAL)
			verify_problem(rep, "%s: its record's hash holds, but it is not a readable index (the log above says where)",
				idx->path);
		else if (rc == 0 && strcmp(fi.id, e->id) != 0)
			verify_problem(rep, "%s: its header names backup '%s', not this one", idx->path,
				verify_show(fi.id, b1, sizeof(b1)));
		else if (rc == 0)
			index_ok = true;
	}
	if (rc == -ENOMEM) {
		verify_problem(rep, "out of memory");
	} else if (!index_ok) {
		/* Nothing to compare the tar with; its hash is still news. */
		rc = verify_walk_tar(tar, NULL, NULL, rep, bytes);
	} else {
		fc.fi = &fi;
		fc.state = calloc(fi.n ? fi.n : 1, 1);
		rc = fc.state ? check_parents(&fi, idx, rep) : -ENOMEM;
		if (rc == 0)
			rc = verify_walk_tar(tar, files_entry, &fc, rep, bytes);
		else if (!fc.state)
			verify_problem(rep, "out of memory");
		for (size_t k = 0; rc == 0 && k < fi.n; k++) {
			const struct fi_entry *ie = &fi.v[k];
			const char *from = fileindex_from(&fi, ie);

			if (ie->type == '-' || !from || strcmp(from, e->id) != 0)
				continue;
			if (fc.state[k] == E_UNSEEN)
				verify_problem(rep, "%s does not hold '%s', which its index says it holds", tar->path,
					verify_show(ie->path, b1, sizeof(b1)));
			else if (fc.state[k] == E_SIZE)
				verify_problem(rep, "%s holds '%s' with another length than its index's %llu bytes", tar->path,
					verify_show(ie->path, b1, sizeof(b1)), (unsigned long long)ie->size);
			else if (fc.state[k] == E_CONTENT)
				verify_problem(rep, "%s holds '%s' with another content than its index's SHA-256", tar->path,
					verify_show(ie->path, b1, sizeof(b1)));
		}
	}
	free(fc.state);
	free(fc.name);
	free(fc.link);
	fileindex_free(&fi);
	return rc == -ENOMEM ? rc : 0;
}

/* ---- a files backup's chain ----------------------------------------------------------- */

int files_verify_content(struct store *st, const struct store_entry *e, char *why, size_t whylen)
{
	struct record_chain chain;
	struct fileindex target;
	char path[4096], cwhy[1024];
	int r;

	r = record_chain_load(st, e->job, e->id, "files", 0, &chain, cwhy, sizeof(cwhy));
	if (r < 0) {
		snprintf(why, whylen, "its chain is broken: %s", cwhy);
		return r;
	}
	fileindex_init(&target);
	r = store_path(st, e->job, &e->parts, "index.zst", path, sizeof(path));
	if (r == 0)
		r = fileindex_load(&target, path, NULL);
	if (r < 0) {
		snprintf(why, whylen, "%s cannot be read", path);
		goto out;
	}
	/* Each member's own index says what its tar stored: a line whose FROM
	 * is the member itself. */
	for (size_t m = 0; m < chain.n && r == 0; m++) {
		struct fileindex mi;

		fileindex_init(&mi);
		r = store_path(st, chain.v[m].job, &chain.v[m].parts, "index.zst", path, sizeof(path));
		if (r == 0)
			r = m + 1 == chain.n ? 0 : fileindex_load(&mi, path, NULL);
		if (r < 0) {
			snprintf(why, whylen, "the index of %s in its chain cannot be read", chain.v[m].id);
			fileindex_free(&mi);
			break;
		}
		for (size_t i = 0; i < target.n; i++) {
			struct fi_entry *t = &target.v[i], *held;
			const char *from = fileindex_from(&target, t);

			if (t->type == '-' || !from || strcmp(from, chain.v[m].id) != 0)
				continue;
			if (m + 1 == chain.n) {
				t->seen = true;
				continue;
			}
			held = fileindex_find(&mi, t->path);
			if (held && held->type == t->type && fileindex_from(&mi, held) &&
			    !strcmp(fileindex_from(&mi, held), chain.v[m].id) &&
			    (t->type != 'f' || (held->has_sha && !memcmp(held->sha, t->sha, 32))))
				t->seen = true;
		}
		fileindex_free(&mi);
	}
	for (size_t i = 0; r == 0 && i < target.n; i++) {
		const struct fi_entry *t = &target.v[i];
		const char *from = fileindex_from(&target, t);
		char *esc;

		if (t->type == '-' || t->seen || (t->flags & FI_ERROR))
			continue;
		esc = fileindex_escape(t->path);
		snprintf(why, whylen, "the content of '%s' should be in %s, which %s", esc ? esc : "?",
			 from ? from : "(none)", from ? "does not hold it (or is not in its chain)" :
			 "is not named");
		free(esc);
		r = -ENOENT;
	}
out:
	fileindex_free(&target);
	record_chain_free(&chain);
	return r;
}

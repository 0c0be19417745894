/*
 * verify — see verify.h.
 *
 * One backup is checked in three steps.  The record first: until it names
 * exactly the artifacts its kind needs, each as "backup-DD-NN.EXT" of this
 * backup, nothing it names is opened (a hostile record cannot make verify
 * read outside the job's directory).  Then the .sha256 file, a few hundred
 * bytes.  Then each artifact, read once through reader.h (the reader a
 * restore uses; quiet, its mismatches go to the report): a plain one (a db
 * dump) is hashed; a tar.zst is streamed through reader_archive(), and each entry is compared with the index (files) or the
 * record's segments (logs) as it passes.  Entry problems found in a tar
 * whose hash turns out wrong are dropped: "corrupted" says it all.
 */
#include "verify.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileindex.h"
#include "fsutil.h"
#include "logship.h"
#include "reader.h"
#include "record.h"
#include "sha256.h"
#include "snaprestore.h"

#define SUMFILE_MAX (64 * 1024)		/* a .sha256 file holds a line per artifact */
#define ARTS_MAX 4			/* artifacts of one kind, at most */

/* ---- the kinds ------------------------------------------------------------ */

/* Which artifacts a backup of each kind needs.  When the kinds get one
 * table of their own, this moves there. */
static const struct {
	const char *kind;
	const char *const arts[ARTS_MAX];
} kinds[] = {
	{ "db", { "sql.zst", NULL } },
	{ "files", { "tar.zst", "index.zst", NULL } },
	{ "logs", { "tar.zst", NULL } },
};

const char *const *verify_kind_artifacts(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return kinds[i].arts;
	return NULL;
}

/* ---- the report ------------------------------------------------------------ */

static void __attribute__((format(printf, 2, 3))) problem(struct verify_report *rep, const char *fmt, ...)
{
	va_list ap;

	if (rep->n == VERIFY_MAX_LINES) {
		rep->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(rep->lines[rep->n++], VERIFY_LINE_MAX, fmt, ap);
	va_end(ap);
}

static void merge(struct verify_report *to, const struct verify_report *from)
{
	for (size_t i = 0; i < from->n; i++)
		problem(to, "%s", from->lines[i]);
	to->dropped += from->dropped;
}

/* TEXT (from a record or an archive) made printable on one line, cut to
 * fit BUF: control bytes and bytes past ASCII as \xHH. */
static const char *show(const char *text, char *buf, size_t len)
{
	size_t o = 0;

	if (!text)
		text = "(null)";
	for (const unsigned char *p = (const unsigned char *)text; *p && o + 5 < len; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\')
			buf[o++] = (char)*p;
		else
			o += (size_t)snprintf(buf + o, len - o, *p == '\\' ? "\\\\" : "\\x%02x", *p);
	}
	buf[o] = 0;
	return buf;
}

/* ---- the record ------------------------------------------------------------- */

/* One artifact the record names, checked. */
struct art {
	const char *ext;		/* from the kind table */
	const char *file;		/* "backup-DD-NN.EXT", borrowed from the record */
	const char *sha;		/* the record's SHA-256, 64 lowercase hex digits */
	uint64_t size;			/* the record's size, bytes */
	char path[4096];		/* where it is */
};

struct rec {
	const char *kind;		/* borrowed from the record */
	struct art v[ARTS_MAX];		/* in the kind table's order */
	size_t n;
};

static bool is_hex64(const char *s)
{
	for (int i = 0; i < SHA256_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[SHA256_HEX_LEN] == 0;
}

/* Checks E's record and fills R.  Returns 0, or -EINVAL with the problems in REP. */
static int check_record(struct store *st, const struct store_entry *e, struct rec *r,
			struct verify_report *rep)
{
	const json_t *rec = e->record, *arts, *a;
	const char *const *need;
	const char *s;
	size_t before = rep->n + rep->dropped, i, k;
	char stem[64], b1[256], b2[256];

	memset(r, 0, sizeof(*r));
	if (!json_is_object(rec)) {
		problem(rep, "its record is not a JSON object");
		return -EINVAL;
	}
	r->kind = json_string_value(json_object_get(rec, "kind"));
	need = verify_kind_artifacts(r->kind);
	if (!r->kind)
		problem(rep, "its record has no \"kind\" string");
	else if (!need)
		problem(rep, "its record's \"kind\" '%s' is not db, files or logs", show(r->kind, b1, sizeof(b1)));
	s = json_string_value(json_object_get(rec, "job"));
	if (!s || strcmp(s, e->job) != 0)
		problem(rep, "its record's \"job\" (%s) is not %s", s ? show(s, b1, sizeof(b1)) : "missing", e->job);
	s = json_string_value(json_object_get(rec, "id"));
	if (!s || strcmp(s, e->id) != 0)
		problem(rep, "its record's \"id\" (%s) is not %s", s ? show(s, b1, sizeof(b1)) : "missing", e->id);
	arts = json_object_get(rec, "artifacts");
	if (!json_is_array(arts)) {
		problem(rep, "its record has no \"artifacts\" array");
		return -EINVAL;
	}
	if (!need)
		return -EINVAL;
	snprintf(stem, sizeof(stem), "backup-%02d-%02d.", e->parts.day, e->parts.seq);
	for (k = 0; need[k]; k++)
		r->v[k].ext = need[k];
	r->n = k;
	json_array_foreach(arts, i, a) {
		const char *file = json_string_value(json_object_get(a, "file"));
		const char *sha = json_string_value(json_object_get(a, "sha256"));
		const json_t *size = json_object_get(a, "size");
		struct art *hit = NULL;

		if (!json_is_object(a)) {
			problem(rep, "its record's \"artifacts\"[%zu] is not an object", i);
			continue;
		}
		if (!file) {
			problem(rep, "its record's \"artifacts\"[%zu] has no \"file\" string", i);
			continue;
		}
		for (k = 0; k < r->n && !hit; k++)
			if (strncmp(file, stem, strlen(stem)) == 0 && strcmp(file + strlen(stem), r->v[k].ext) == 0)
				hit = &r->v[k];
		if (!hit) {
			char names[256] = "";

			for (k = 0; k < r->n; k++)
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s%s",
					 k ? ", " : "", stem, r->v[k].ext);
			problem(rep, "its record's \"artifacts\"[%zu].\"file\" '%s' is not a file a %s backup has (%s)",
				i, show(file, b1, sizeof(b1)), r->kind, names);
			continue;
		}
		if (hit->file) {
			problem(rep, "its record's \"artifacts\" names %s twice", file);
			continue;
		}
		hit->file = file;
		if (!sha || !is_hex64(sha))
			problem(rep, "%s: its record's \"artifacts\"[%zu].\"sha256\" (%s) is not 64 lowercase hex digits",
				file, i, sha ? show(sha, b2, sizeof(b2)) : "missing");
		else
			hit->sha = sha;
		if (!json_is_integer(size) || json_integer_value(size) < 0)
			problem(rep, "%s: its record's \"artifacts\"[%zu].\"size\" is not a byte count", file, i);
		else
			hit->size = (uint64_t)json_integer_value(size);
	}
	for (k = 0; k < r->n; k++) {
		if (!r->v[k].file)
			problem(rep, "%s%s: not in its record's \"artifacts\", and a %s backup needs it", stem,
				r->v[k].ext, r->kind);
		else if (store_path(st, e->job, &e->parts, r->v[k].ext, r->v[k].path, sizeof(r->v[k].path)) < 0)
			problem(rep, "%s: its path is too long", r->v[k].file);
	}
	return rep->n + rep->dropped > before ? -EINVAL : 0;
}

static const struct art *art_of(const struct rec *r, const char *ext)
{
	for (size_t k = 0; k < r->n; k++)
		if (strcmp(r->v[k].ext, ext) == 0)
			return &r->v[k];
	return NULL;
}

/* ---- the .sha256 file --------------------------------------------------------- */

static void check_sumfile(struct store *st, const struct store_entry *e, const struct rec *r,
			  struct verify_report *rep)
{
	char path[4096], b1[256];
	unsigned seen[ARTS_MAX] = { 0 };
	char *text = NULL, *line, *next;
	size_t len, no = 0;
	int rc;

	rc = store_path(st, e->job, &e->parts, "sha256", path, sizeof(path));
	if (rc == 0)
		rc = fs_read_all(path, SUMFILE_MAX, &text, &len);
	if (rc < 0) {
		problem(rep, "%s: %s%s", path, rc == -ENOENT ? "missing" : "cannot read: ",
			rc == -ENOENT ? " (`sha256sum -c` needs it)" : strerror(-rc));
		return;
	}
	if (strlen(text) != len) {
		problem(rep, "%s: holds a NUL byte: not a sha256sum file", path);
		free(text);
		return;
	}
	for (line = text; *line; line = next) {
		const struct art *a = NULL;
		size_t k;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		else
			next = line + strlen(line);
		no++;
		/* "HEX  NAME" (text mode) or "HEX *NAME" (binary mode). */
		if (strlen(line) < SHA256_HEX_LEN + 3 || line[SHA256_HEX_LEN] != ' ' ||
		    (line[SHA256_HEX_LEN + 1] != ' ' && line[SHA256_HEX_LEN + 1] != '*')) {
			problem(rep, "%s: line %zu is not a `sha256sum` line: '%s'", path, no, show(line, b1, 80));
			continue;
		}
		for (k = 0; k < r->n && !a; k++)
			if (strcmp(line + SHA256_HEX_LEN + 2, r->v[k].file) == 0)
				a = &r->v[k];
		if (!a) {
			problem(rep, "%s: line %zu names '%s', which is not an artifact of its record", path, no,
				show(line + SHA256_HEX_LEN + 2, b1, sizeof(b1)));
			continue;
		}
		if (seen[a - r->v]++) {
			problem(rep, "%s: names %s twice", path, a->file);
			continue;
		}
		if (strncasecmp(line, a->sha, SHA256_HEX_LEN) != 0)
			problem(rep, "%s: says SHA-256 %.12s... for %s, its record says %.12s...", path, line, a->file,
				a->sha);
	}
	for (size_t k = 0; k < r->n; k++)
		if (!seen[k])
			problem(rep, "%s: has no line for %s", path, r->v[k].file);
	free(text);
}

/* ---- plain artifacts ---------------------------------------------------------- */

/* Opens A through the reader; a failure goes to REP. */
static struct reader *open_art(const struct art *a, struct verify_report *rep)
{
	struct reader *rd;
	char why[VERIFY_LINE_MAX];

	if (reader_open_path(a->path, a->sha, a->size, READER_QUIET, &rd, why, sizeof(why)) < 0) {
		problem(rep, "%s", why);
		return NULL;
	}
	return rd;
}

/* Closes RD, the reader of A: 0, or -EINVAL with its mismatch in REP. */
static int close_art(struct reader *rd, struct verify_report *rep, uint64_t *bytes)
{
	int r = reader_close(rd);

	*bytes += rd->bytes;
	if (r < 0)
		problem(rep, "%s", rd->why);
	reader_free(rd);
	return r < 0 ? -EINVAL : 0;
}

/* Hashes A whole and compares with the record.  Returns 0 or -EINVAL. */
static int hash_plain(const struct art *a, struct verify_report *rep, uint64_t *bytes)
{
	struct reader *rd = open_art(a, rep);

	return rd ? close_art(rd, rep, bytes) : -EINVAL;
}

/* ---- tars ----------------------------------------------------------------------- */

/* Called for each entry of a tar; problems go to PEND (kept only when the
 * tar's hash is right).  Returns 0 or -ENOMEM. */
typedef int (*entry_fn)(void *ctx, struct archive *a, struct archive_entry *ae, struct verify_report *pend);

/* Streams A's tar.zst, hashing it and calling FN on each entry.  Returns 0
 * when the tar is whole and hashes right (entry problems are then in REP
 * too), -EINVAL (reported) or -ENOMEM. */
static int walk_tar(const struct art *a, entry_fn fn, void *ctx, struct verify_report *rep, uint64_t *bytes)
{
	struct verify_report *pend = calloc(1, sizeof(*pend));
	struct reader *rd = NULL;
	struct archive *ar = NULL;
	struct archive_entry *ae;
	char terr[sizeof(rd->why)] = "";
	int r = 0, x;

	if (!pend) {
		problem(rep, "out of memory");
		return -ENOMEM;
	}
	rd = open_art(a, rep);
	if (!rd) {
		free(pend);
		return -EINVAL;
	}
	r = reader_archive(rd, &ar);
	if (r == -EBADMSG) {
		snprintf(terr, sizeof(terr), "%s", rd->why);
		r = 0;
	}
	while (r == 0 && ar && (x = archive_read_next_header(ar, &ae)) != ARCHIVE_EOF) {
		if (x < ARCHIVE_WARN) {
			snprintf(terr, sizeof(terr), "%s: not a readable tar.zst: %s", a->path,
				 archive_error_string(ar) ?: "bad header");
			break;
		}
		r = fn(ctx, ar, ae, pend);
	}
	if (ar)
		archive_read_free(ar);
	if (r < 0) {
		problem(rep, "out of memory");
		reader_free(rd);
	} else if (close_art(rd, rep, bytes) < 0) {
		r = -EINVAL;
	} else if (*terr) {
		problem(rep, "%s", terr);
		r = -EINVAL;
	} else {
		merge(rep, pend);
	}
	free(pend);
	return r;
}

/* ---- files: the tar against the index ------------------------------------------ */

enum { E_UNSEEN, E_OK, E_SIZE, E_CONTENT, E_REPORTED };

struct fcheck {
	const struct art *tar;
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
		problem(pend, "%s holds '%s'%s%s, outside the tree: restore refuses it", fc->tar->path,
			show(raw ? raw : "", b1, sizeof(b1)), link ? " linked to " : "",
			link ? show(link, b2, sizeof(b2)) : "");
		return 0;
	}
	if (normalise(raw, &fc->name, &fc->namecap) < 0)
		return -ENOMEM;
	ie = fileindex_find(fc->fi, fc->name);
	if (!ie || ie->type == '-') {
		problem(pend, "%s holds '%s', which its index does not name", fc->tar->path,
			show(fc->name, b1, sizeof(b1)));
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
		problem(pend, "%s holds '%s', whose content its index says is in %s", fc->tar->path,
			show(fc->name, b1, sizeof(b1)), from ? from : "no backup");
		return 0;
	}
	type = link ? 'f' : type_letter(archive_entry_filetype(ae));
	if (type != ie->type) {
		problem(pend, "%s holds '%s' as type %c, its index says %c", fc->tar->path,
			show(fc->name, b1, sizeof(b1)), type, ie->type);
		fc->state[k] = E_REPORTED;
		return 0;
	}
	if (link) {
		const struct fi_entry *t;

		if (normalise(link, &fc->link, &fc->linkcap) < 0)
			return -ENOMEM;
		t = fileindex_find(fc->fi, fc->link);
		if (!t || t->type != 'f' || t->ino != ie->ino || fc->state[t - fc->fi->v] == E_UNSEEN) {
			problem(pend, "%s holds '%s' as a link to '%s', which its index does not give as the same file before it",
				fc->tar->path, show(fc->name, b1, sizeof(b1)), show(fc->link, b2, sizeof(b2)));
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
static int check_parents(const struct fileindex *fi, const struct art *idx, struct verify_report *rep)
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
				problem(rep, "out of memory");
				return -ENOMEM;
			}
			dir = n;
			cap = len + 1;
		}
		memcpy(dir, slash ? e->path : ".", len);
		dir[len] = 0;
		p = fileindex_find(fi, dir);
		if (!p || p->type != 'd')
			problem(rep, "%s names '%s' under '%s', which it %s", idx->path, show(e->path, b1, sizeof(b1)),
				show(dir, b2, sizeof(b2)), !p || p->type == '-' ? "does not name" :
				"does not give as a directory (restore would write through it)");
	}
	free(dir);
	return 0;
}

static int no_entry(void *ctx, struct archive *a, struct archive_entry *ae, struct verify_report *pend)
{
	(void)ctx;
	(void)a;
	(void)ae;
	(void)pend;
	return 0;
}

static int check_files(const struct store_entry *e, const struct rec *r, struct verify_report *rep,
		       uint64_t *bytes)
{
	const struct art *idx = art_of(r, "index.zst"), *tar = art_of(r, "tar.zst");
	struct fcheck fc = { .tar = tar, .id = e->id };
	struct fileindex fi;
	struct reader *rd;
	char b1[256];
	bool index_ok = false;
	int rc = 0;

	fileindex_init(&fi);
	rd = open_art(idx, rep);
	if (rd) {
		rc = fileindex_read(&fi, rd);
		if (close_art(rd, rep, bytes) < 0)
			;	/* corrupted: said */
		else if (rc == -EINVAL)
			problem(rep, "%s: its record's hash holds, but it is not a readable index (the log above says where)",
				idx->path);
		else if (rc == 0 && strcmp(fi.id, e->id) != 0)
			problem(rep, "%s: its header names backup '%s', not this one", idx->path,
				show(fi.id, b1, sizeof(b1)));
		else if (rc == 0)
			index_ok = true;
	}
	if (rc == -ENOMEM) {
		problem(rep, "out of memory");
	} else if (!index_ok) {
		/* Nothing to compare the tar with; its hash is still news. */
		rc = walk_tar(tar, no_entry, NULL, rep, bytes);
	} else {
		fc.fi = &fi;
		fc.state = calloc(fi.n ? fi.n : 1, 1);
		rc = fc.state ? check_parents(&fi, idx, rep) : -ENOMEM;
		if (rc == 0)
			rc = walk_tar(tar, files_entry, &fc, rep, bytes);
		else if (!fc.state)
			problem(rep, "out of memory");
		for (size_t k = 0; rc == 0 && k < fi.n; k++) {
			const struct fi_entry *ie = &fi.v[k];
			const char *from = fileindex_from(&fi, ie);

			if (ie->type == '-' || !from || strcmp(from, e->id) != 0)
				continue;
			if (fc.state[k] == E_UNSEEN)
				problem(rep, "%s does not hold '%s', which its index says it holds", tar->path,
					show(ie->path, b1, sizeof(b1)));
			else if (fc.state[k] == E_SIZE)
				problem(rep, "%s holds '%s' with another length than its index's %llu bytes", tar->path,
					show(ie->path, b1, sizeof(b1)), (unsigned long long)ie->size);
			else if (fc.state[k] == E_CONTENT)
				problem(rep, "%s holds '%s' with another content than its index's SHA-256", tar->path,
					show(ie->path, b1, sizeof(b1)));
		}
	}
	free(fc.state);
	free(fc.name);
	free(fc.link);
	fileindex_free(&fi);
	return rc == -ENOMEM ? rc : 0;
}

/* ---- logs: the tar against the record's segments -------------------------------- */

struct seg {
	const char *entry;		/* the tar entry's name, borrowed from the record */
	uint64_t len;			/* end - start, bytes */
	unsigned seen;			/* times met in the tar */
};

struct lcheck {
	const struct art *tar;
	struct seg *v;			/* sorted by entry */
	size_t n;
};

static int cmp_seg(const void *a, const void *b)
{
	return strcmp(((const struct seg *)a)->entry, ((const struct seg *)b)->entry);
}

static int logs_entry(void *ctx, struct archive *a, struct archive_entry *ae, struct verify_report *pend)
{
	struct lcheck *lc = ctx;
	struct seg key = { .entry = archive_entry_pathname(ae) }, *s;
	char b1[256];

	(void)a;
	s = key.entry && lc->n ? bsearch(&key, lc->v, lc->n, sizeof(*lc->v), cmp_seg) : NULL;
	if (!s) {
		problem(pend, "%s holds '%s', which its record's segments do not list", lc->tar->path,
			show(key.entry ? key.entry : "", b1, sizeof(b1)));
	} else if (s->seen++) {
		problem(pend, "%s holds '%s' twice", lc->tar->path, show(s->entry, b1, sizeof(b1)));
	} else if (archive_entry_filetype(ae) != AE_IFREG) {
		problem(pend, "%s holds '%s' as something else than a file", lc->tar->path,
			show(s->entry, b1, sizeof(b1)));
	} else if (archive_entry_size(ae) < 0 || (uint64_t)archive_entry_size(ae) != s->len) {
		problem(pend, "%s holds '%s' with %lld bytes, its record's segment says %llu", lc->tar->path,
			show(s->entry, b1, sizeof(b1)), (long long)archive_entry_size(ae), (unsigned long long)s->len);
	}
	return 0;
}

static int check_logs(const struct store_entry *e, const struct rec *r, struct verify_report *rep,
		      uint64_t *bytes)
{
	const json_t *segs = json_object_get(json_object_get(e->record, "logs"), "segments"), *s;
	struct lcheck lc = { .tar = art_of(r, "tar.zst") };
	size_t i, before = rep->n + rep->dropped;
	char b1[256];
	int rc;

	if (!json_is_array(segs)) {
		problem(rep, "its record has no \"logs\".\"segments\" array");
		return 0;
	}
	lc.v = calloc(json_array_size(segs) + 1, sizeof(*lc.v));
	if (!lc.v) {
		problem(rep, "out of memory");
		return -ENOMEM;
	}
	json_array_foreach(segs, i, s) {
		const char *entry = json_string_value(json_object_get(s, "entry"));
		const char *name = json_string_value(json_object_get(s, "name"));
		const json_t *gen = json_object_get(s, "gen"), *start = json_object_get(s, "start");
		const json_t *end = json_object_get(s, "end");

		if (!entry || !name || !json_is_integer(gen) || !json_is_integer(start) || !json_is_integer(end)) {
			problem(rep, "its record's \"logs\".\"segments\"[%zu] lacks \"entry\", \"name\", \"gen\", \"start\" or \"end\"",
				i);
		} else if (!lstate_path_safe(name)) {
			problem(rep, "its record's \"logs\".\"segments\"[%zu].\"name\" '%s' is not an absolute path without \"..\": restore refuses it",
				i, show(name, b1, sizeof(b1)));
		} else if (json_integer_value(start) < 0 || json_integer_value(end) < json_integer_value(start)) {
			problem(rep, "its record's \"logs\".\"segments\"[%zu] ends before it starts", i);
		} else {
			lc.v[lc.n].entry = entry;
			lc.v[lc.n++].len = (uint64_t)(json_integer_value(end) - json_integer_value(start));
		}
	}
	if (lc.n)
		qsort(lc.v, lc.n, sizeof(*lc.v), cmp_seg);
	for (i = 1; i < lc.n; i++)
		if (strcmp(lc.v[i - 1].entry, lc.v[i].entry) == 0)
			problem(rep, "its record's \"logs\".\"segments\" name '%s' twice", show(lc.v[i].entry, b1, sizeof(b1)));
	if (rep->n + rep->dropped > before) {
		free(lc.v);
		return 0;
	}
	rc = walk_tar(lc.tar, logs_entry, &lc, rep, bytes);
	for (i = 0; rc == 0 && i < lc.n; i++)
		if (!lc.v[i].seen)
			problem(rep, "%s does not hold '%s', which its record's segments list", lc.tar->path,
				show(lc.v[i].entry, b1, sizeof(b1)));
	free(lc.v);
	return rc == -ENOMEM ? rc : 0;
}

/* ---- one backup --------------------------------------------------------------------- */

int verify_backup(struct store *st, const struct store_entry *e, struct verify_report *rep, uint64_t *bytes)
{
	struct rec r;
	int rc = 0;

	memset(rep, 0, sizeof(*rep));
	*bytes = 0;
	if (check_record(st, e, &r, rep) < 0)
		return -EINVAL;
	check_sumfile(st, e, &r, rep);
	if (strcmp(r.kind, "files") == 0)
		rc = check_files(e, &r, rep, bytes);
	else if (strcmp(r.kind, "logs") == 0)
		rc = check_logs(e, &r, rep, bytes);
	else
		for (size_t k = 0; k < r.n; k++)
			hash_plain(&r.v[k], rep, bytes);
	if (rc == -ENOMEM)
		return rc;
	return rep->n || rep->dropped ? -EINVAL : 0;
}

/* ---- a files backup's chain ----------------------------------------------------------- */

int verify_files_content(struct store *st, const struct store_entry *e, char *why, size_t whylen)
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

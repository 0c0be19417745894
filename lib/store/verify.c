/*
 * verify — see verify.h.
 *
 * One backup is checked in three steps.  The record first: until it names
 * exactly the artifacts its kind needs, each as "backup-DD-NN.EXT" of this
 * backup, nothing it names is opened (a hostile record cannot make verify
 * read outside the job's directory).  Then the .sha256 file, a few hundred
 * bytes.  Then each artifact, read once through reader.h (the reader a
 * restore uses; quiet, its mismatches go to the report): by the kind's own
 * content check when its layout has one (kind_layout.h; the files and logs
 * kinds compare each tar entry with the index or the record's segments as
 * it passes, through verify_walk_tar()), else each artifact is hashed whole.
 * Entry problems found in a tar whose hash turns out wrong are dropped:
 * "corrupted" says it all.  This file names no kind: which artifacts a kind
 * needs and how its content is checked come from kind_layout_find().
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

#include "fsutil.h"
#include "kind_layout.h"
#include "reader.h"
#include "record.h"
#include "sha256.h"
#include "verify_kind.h"

#define SUMFILE_MAX (64 * 1024)		/* a .sha256 file holds a line per artifact */
#define ARTS_MAX KIND_LAYOUT_ROLES	/* artifacts of one kind, at most */

/* ---- the report ------------------------------------------------------------ */

void verify_problem(struct verify_report *rep, const char *fmt, ...)
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
		verify_problem(to, "%s", from->lines[i]);
	to->dropped += from->dropped;
}

const char *verify_show(const char *text, char *buf, size_t len)
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

struct rec {
	const char *kind;		/* borrowed from the record */
	const struct kind_layout *layout; /* the kind's */
	struct verify_art v[ARTS_MAX];	/* in the layout's role order */
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
	const char *need[ARTS_MAX + 1] = { NULL };
	const char *s;
	size_t before = rep->n + rep->dropped, i, k;
	char stem[64], b1[256], b2[256];

	memset(r, 0, sizeof(*r));
	if (!json_is_object(rec)) {
		verify_problem(rep, "its record is not a JSON object");
		return -EINVAL;
	}
	r->kind = json_string_value(json_object_get(rec, "kind"));
	r->layout = r->kind ? kind_layout_find(r->kind) : NULL;
	for (i = 0, k = 0; r->layout && i < KIND_LAYOUT_ROLES; i++)
		if (r->layout->ext[i])
			need[k++] = r->layout->ext[i];
	if (!r->kind)
		verify_problem(rep, "its record has no \"kind\" string");
	else if (!r->layout)
		verify_problem(rep, "its record's \"kind\" '%s' is not %s", verify_show(r->kind, b1, sizeof(b1)),
			       kind_layout_names());
	s = json_string_value(json_object_get(rec, "job"));
	if (!s || strcmp(s, e->job) != 0)
		verify_problem(rep, "its record's \"job\" (%s) is not %s", s ? verify_show(s, b1, sizeof(b1)) : "missing",
			       e->job);
	s = json_string_value(json_object_get(rec, "id"));
	if (!s || strcmp(s, e->id) != 0)
		verify_problem(rep, "its record's \"id\" (%s) is not %s", s ? verify_show(s, b1, sizeof(b1)) : "missing", e->id);
	arts = json_object_get(rec, "artifacts");
	if (!json_is_array(arts)) {
		verify_problem(rep, "its record has no \"artifacts\" array");
		return -EINVAL;
	}
	if (!r->layout)
		return -EINVAL;
	snprintf(stem, sizeof(stem), "backup-%02d-%02d.", e->parts.day, e->parts.seq);
	for (k = 0; need[k]; k++)
		r->v[k].ext = need[k];
	r->n = k;
	json_array_foreach(arts, i, a) {
		const char *file = json_string_value(json_object_get(a, "file"));
		const char *sha = json_string_value(json_object_get(a, "sha256"));
		const json_t *size = json_object_get(a, "size");
		struct verify_art *hit = NULL;

		if (!json_is_object(a)) {
			verify_problem(rep, "its record's \"artifacts\"[%zu] is not an object", i);
			continue;
		}
		if (!file) {
			verify_problem(rep, "its record's \"artifacts\"[%zu] has no \"file\" string", i);
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
			verify_problem(rep, "its record's \"artifacts\"[%zu].\"file\" '%s' is not a file a %s backup has (%s)",
				i, verify_show(file, b1, sizeof(b1)), r->kind, names);
			continue;
		}
		if (hit->file) {
			verify_problem(rep, "its record's \"artifacts\" names %s twice", file);
			continue;
		}
		hit->file = file;
		if (!sha || !is_hex64(sha))
			verify_problem(rep, "%s: its record's \"artifacts\"[%zu].\"sha256\" (%s) is not 64 lowercase hex digits",
				file, i, sha ? verify_show(sha, b2, sizeof(b2)) : "missing");
		else
			hit->sha = sha;
		if (!json_is_integer(size) || json_integer_value(size) < 0)
			verify_problem(rep, "%s: its record's \"artifacts\"[%zu].\"size\" is not a byte count", file, i);
		else
			hit->size = (uint64_t)json_integer_value(size);
	}
	for (k = 0; k < r->n; k++) {
		if (!r->v[k].file)
			verify_problem(rep, "%s%s: not in its record's \"artifacts\", and a %s backup needs it", stem,
				r->v[k].ext, r->kind);
		else if (store_path(st, e->job, &e->parts, r->v[k].ext, r->v[k].path, sizeof(r->v[k].path)) < 0)
			verify_problem(rep, "%s: its path is too long", r->v[k].file);
	}
	return rep->n + rep->dropped > before ? -EINVAL : 0;
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
		verify_problem(rep, "%s: %s%s", path, rc == -ENOENT ? "missing" : "cannot read: ",
			rc == -ENOENT ? " (`sha256sum -c` needs it)" : strerror(-rc));
		return;
	}
	if (strlen(text) != len) {
		verify_problem(rep, "%s: holds a NUL byte: not a sha256sum file", path);
		free(text);
		return;
	}
	for (line = text; *line; line = next) {
		const struct verify_art *a = NULL;
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
			verify_problem(rep, "%s: line %zu is not a `sha256sum` line: '%s'", path, no, verify_show(line, b1, 80));
			continue;
		}
		for (k = 0; k < r->n && !a; k++)
			if (strcmp(line + SHA256_HEX_LEN + 2, r->v[k].file) == 0)
				a = &r->v[k];
		if (!a) {
			verify_problem(rep, "%s: line %zu names '%s', which is not an artifact of its record", path, no,
				verify_show(line + SHA256_HEX_LEN + 2, b1, sizeof(b1)));
			continue;
		}
		if (seen[a - r->v]++) {
			verify_problem(rep, "%s: names %s twice", path, a->file);
			continue;
		}
		if (strncasecmp(line, a->sha, SHA256_HEX_LEN) != 0)
			verify_problem(rep, "%s: says SHA-256 %.12s... for %s, its record says %.12s...", path, line, a->file,
				a->sha);
	}
	for (size_t k = 0; k < r->n; k++)
		if (!seen[k])
			verify_problem(rep, "%s: has no line for %s", path, r->v[k].file);
	free(text);
}

/* ---- plain artifacts ---------------------------------------------------------- */

struct reader *verify_open(const struct verify_art *a, struct verify_report *rep)
{
	struct reader *rd;
	char why[VERIFY_LINE_MAX];

	if (reader_open_path(a->path, a->sha, a->size, READER_QUIET, &rd, why, sizeof(why)) < 0) {
		verify_problem(rep, "%s", why);
		return NULL;
	}
	return rd;
}

int verify_close(struct reader *rd, struct verify_report *rep, uint64_t *bytes)
{
	int r = reader_close(rd);

	*bytes += rd->bytes;
	if (r < 0)
		verify_problem(rep, "%s", rd->why);
	reader_free(rd);
	return r < 0 ? -EINVAL : 0;
}

/* Hashes A whole and compares with the record.  Returns 0 or -EINVAL. */
static int hash_plain(const struct verify_art *a, struct verify_report *rep, uint64_t *bytes)
{
	struct reader *rd = verify_open(a, rep);

	return rd ? verify_close(rd, rep, bytes) : -EINVAL;
}

/* ---- tars ----------------------------------------------------------------------- */

int verify_walk_tar(const struct verify_art *a, verify_entry_fn fn, void *ctx, struct verify_report *rep,
		    uint64_t *bytes)
{
	struct verify_report *pend = calloc(1, sizeof(*pend));
	struct reader *rd = NULL;
	struct archive *ar = NULL;
	struct archive_entry *ae;
	char terr[sizeof(rd->why)] = "";
	int r = 0, x;

	if (!pend) {
		verify_problem(rep, "out of memory");
		return -ENOMEM;
	}
	rd = verify_open(a, rep);
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
		r = fn ? fn(ctx, ar, ae, pend) : 0;
	}
	if (ar)
		archive_read_free(ar);
	if (r < 0) {
		verify_problem(rep, "out of memory");
		reader_free(rd);
	} else if (verify_close(rd, rep, bytes) < 0) {
		r = -EINVAL;
	} else if (*terr) {
		verify_problem(rep, "%s", terr);
		r = -EINVAL;
	} else {
		merge(rep, pend);
	}
	free(pend);
	return r;
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
	if (r.layout->check)
		rc = r.layout->check(e, r.v, r.n, rep, bytes);
	else
		for (size_t k = 0; k < r.n; k++)
			hash_plain(&r.v[k], rep, bytes);
	if (rc == -ENOMEM)
		return rc;
	return rep->n || rep->dropped ? -EINVAL : 0;
}


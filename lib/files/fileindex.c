/*
 * fileindex — see fileindex.h for the format.  Parsing streams the
 * compressed file through libzstd one line at a time; the only thing that
 * grows with the tree is the table of compact entries and their paths.
 */
#include "fileindex.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "log.h"
#include "reader.h"
#include "sha256.h"

/* Paths live in big chunks: one allocation per 256 KiB, not per file. */
struct fi_arena {
	struct fi_arena *next;
	size_t used, cap;
	char data[];
};

#define ARENA_CHUNK (256 * 1024)

static char *arena_strdup(struct fileindex *fi, const char *s)
{
	size_t len = strlen(s) + 1;
	struct fi_arena *a = fi->arena;

	if (!a || a->cap - a->used < len) {
		size_t cap = len > ARENA_CHUNK ? len : ARENA_CHUNK;

		a = malloc(sizeof(*a) + cap);
		if (!a)
			return NULL;
		a->next = fi->arena;
		a->used = 0;
		a->cap = cap;
		fi->arena = a;
	}
	memcpy(a->data + a->used, s, len);
	a->used += len;
	return a->data + a->used - len;
}

void fileindex_init(struct fileindex *fi)
{
	memset(fi, 0, sizeof(*fi));
}

void fileindex_free(struct fileindex *fi)
{
	struct fi_arena *a = fi->arena, *next;

	for (; a; a = next) {
		next = a->next;
		free(a);
	}
	for (size_t i = 1; i <= fi->nfrom; i++)
		free(fi->from[i]);
	free(fi->v);
	free(fi->slots);
	fileindex_init(fi);
}

/* FNV-1a: quick, and good enough for paths. */
static uint64_t path_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return h;
}

static int rehash(struct fileindex *fi, size_t nslots)
{
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < fi->n; i++) {
		size_t s = path_hash(fi->v[i].path) & (nslots - 1);

		while (slots[s])
			s = (s + 1) & (nslots - 1);
		slots[s] = (uint32_t)(i + 1);
	}
	free(fi->slots);
	fi->slots = slots;
	fi->nslots = nslots;
	return 0;
}

struct fi_entry *fileindex_find(const struct fileindex *fi, const char *path)
{
	size_t s;

	if (!fi->nslots)
		return NULL;
	s = path_hash(path) & (fi->nslots - 1);
	while (fi->slots[s]) {
		struct fi_entry *e = &fi->v[fi->slots[s] - 1];

		if (strcmp(e->path, path) == 0)
			return e;
		s = (s + 1) & (fi->nslots - 1);
	}
	return NULL;
}

const char *fileindex_from(const struct fileindex *fi, const struct fi_entry *e)
{
	return e->from ? fi->from[e->from] : NULL;
}

static int from_slot(struct fileindex *fi, const char *id, uint8_t *out)
{
	*out = 0;
	if (!id)
		return 0;
	for (size_t i = 1; i <= fi->nfrom; i++) {
		if (strcmp(fi->from[i], id) == 0) {
			*out = (uint8_t)i;
			return 0;
		}
	}
	if (fi->nfrom == FILEINDEX_MAX_FROM)
		return -E2BIG;
	fi->from[fi->nfrom + 1] = strdup(id);
	if (!fi->from[fi->nfrom + 1])
		return -ENOMEM;
	fi->nfrom++;
	*out = (uint8_t)fi->nfrom;
	return 0;
}

int fileindex_add(struct fileindex *fi, const struct fi_entry *e, const char *from_id)
{
	struct fi_entry *slot;
	int r;

	if (fi->n == UINT32_MAX - 1)
		return -E2BIG;
	if (fi->n == fi->cap) {
		size_t cap = fi->cap ? fi->cap * 2 : 1024;
		struct fi_entry *v = realloc(fi->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		fi->v = v;
		fi->cap = cap;
	}
	/* Load factor at most 1/2. */
	if ((fi->n + 1) * 2 > fi->nslots) {
		r = rehash(fi, fi->nslots ? fi->nslots * 2 : 2048);
		if (r < 0)
			return r;
	}
	slot = &fi->v[fi->n];
	*slot = *e;
	slot->path = arena_strdup(fi, e->path);
	if (!slot->path)
		return -ENOMEM;
	r = from_slot(fi, from_id, &slot->from);
	if (r < 0)
		return r;
	fi->n++;
	{
		size_t s = path_hash(slot->path) & (fi->nslots - 1);

		while (fi->slots[s])
			s = (s + 1) & (fi->nslots - 1);
		fi->slots[s] = (uint32_t)fi->n;
	}
	return 0;
}

/* ---- escaping ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at S (1..4), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong three-byte forms and surrogates are not UTF-8. */
	if (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
		return 0;
	if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
		return 0;
	return n;
}

char *fileindex_escape(const char *path)
{
	const unsigned char *s = (const unsigned char *)path;
	char *out = malloc(strlen(path) * 4 + 1), *o = out;

	if (!out)
		return NULL;
	while (*s) {
		size_t n = utf8_len(s);

		if (*s == '\\') {
			*o++ = '\\';
			*o++ = '\\';
			s++;
		} else if (*s == '\n') {
			*o++ = '\\';
			*o++ = 'n';
			s++;
		} else if (*s == '\t') {
			*o++ = '\\';
			*o++ = 't';
			s++;
		} else if (*s < 0x20 || *s == 0x7f || n == 0) {
			o += sprintf(o, "\\x%02x", *s);
			s++;
		} else {
			memcpy(o, s, n);
			o += n;
			s += n;
		}
	}
	*o = 0;
	return out;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *fileindex_unescape(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;
	const char *s = text;

	if (!out)
		return NULL;
	while (*s) {
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		switch (s[1]) {
		case '\\': *o++ = '\\'; s += 2; break;
		case 'n': *o++ = '\n'; s += 2; break;
		case 't': *o++ = '\t'; s += 2; break;
		case 'x':
			if (hexval(s[2]) < 0 || hexval(s[3]) < 0 || (hexval(s[2]) == 0 && hexval(s[3]) == 0))
				goto bad;
			*o++ = (char)(hexval(s[2]) * 16 + hexval(s[3]));
			s += 4;
			break;
		default:
			goto bad;
		}
	}
	*o = 0;
	return out;
bad:
	free(out);
	return NULL;
}

void fileindex_entry_from_stat(struct fi_entry *e, const struct stat *st, const char *path)
{
	memset(e, 0, sizeof(*e));
	e->type = fileindex_type_of(st->st_mode);
	e->mode = st->st_mode & 07777;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	e->size = (uint64_t)st->st_size;
	e->mtime_s = st->st_mtim.tv_sec;
	e->mtime_ns = (int32_t)st->st_mtim.tv_nsec;
	e->ctime_s = st->st_ctim.tv_sec;
	e->ctime_ns = (int32_t)st->st_ctim.tv_nsec;
	e->ino = st->st_ino;
	e->path = path;
}

char fileindex_type_of(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return 'f';
	case S_IFDIR: return 'd';
	case S_IFLNK: return 'l';
	case S_IFIFO: return 'p';
	case S_IFCHR: return 'c';
	case S_IFBLK: return 'b';
	default: return 0;
	}
}

/* ---- lines --------------------------------------------------------------- */

char *fileindex_header_line(const char *id, const char *parent)
{
	char *line;

	if (asprintf(&line, "%s\t%s\t%s\n", FILEINDEX_MAGIC, id, parent && *parent ? parent : "-") < 0)
		return NULL;
	return line;
}

char *fileindex_entry_line(const struct fi_entry *e, const char *from_id)
{
	char sha[65] = "-", flags[32] = "-";
	char *path = fileindex_escape(e->path), *line;
	int r;

	if (!path)
		return NULL;
	if (e->type == '-') {
		r = asprintf(&line, "-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t%s\n", path);
		free(path);
		return r < 0 ? NULL : line;
	}
	if (e->has_sha)
		for (int i = 0; i < 32; i++)
			sprintf(sha + 2 * i, "%02x", e->sha[i]);
	if (e->flags)
		snprintf(flags, sizeof(flags), "%s%s%s", e->flags & FI_CHANGED ? "changed" : "",
			 (e->flags & FI_CHANGED) && (e->flags & FI_ERROR) ? "," : "",
			 e->flags & FI_ERROR ? "error" : "");
	r = asprintf(&line, "%c\t%04" PRIo32 "\t%" PRIu32 "\t%" PRIu32 "\t%" PRIu64 "\t%" PRId64 ".%09" PRId32
		     "\t%" PRId64 ".%09" PRId32 "\t%" PRIu64 "\t%s\t%s\t%s\t%s\n",
		     e->type, e->mode, e->uid, e->gid, e->size, e->mtime_s, e->mtime_ns,
		     e->ctime_s, e->ctime_ns, e->ino, sha, from_id ? from_id : "-", flags, path);
	free(path);
	return r < 0 ? NULL : line;
}

static int parse_u64(const char *s, int base, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, base);
	return errno || *end ? -EINVAL : 0;
}

static int parse_time(const char *s, int64_t *sec, int32_t *nsec)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end != '.' || strlen(end + 1) != 9)
		return -EINVAL;
	*sec = v;
	s = end + 1;
	v = strtoll(s, &end, 10);
	if (*end || v < 0)
		return -EINVAL;
	*nsec = (int32_t)v;
	return 0;
}

int fileindex_parse_line(const char *line, struct fi_entry *e, char **path_out, char **from_out)
{
	const char *f[12];
	char *copy = strdup(line), *p;
	uint64_t v;
	int n = 0, r = -EINVAL;

	*path_out = *from_out = NULL;
	if (!copy)
		return -ENOMEM;
	memset(e, 0, sizeof(*e));
	/* Eleven tab-separated fields, then the path (escaped: no tab in it). */
	for (p = copy; n < 11; n++) {
		char *tab = strchr(p, '\t');

		if (!tab)
			goto out;
		*tab = 0;
		f[n] = p;
		p = tab + 1;
	}
	f[11] = p;
	if (strlen(f[0]) != 1 || !strchr("fdlpcb-", f[0][0]))
		goto out;
	e->type = f[0][0];
	if (e->type != '-') {
		if (parse_u64(f[1], 8, &v) < 0 || v > 07777)
			goto out;
		e->mode = (uint32_t)v;
		if (parse_u64(f[2], 10, &v) < 0 || v > UINT32_MAX)
			goto out;
		e->uid = (uint32_t)v;
		if (parse_u64(f[3], 10, &v) < 0 || v > UINT32_MAX)
			goto out;
		e->gid = (uint32_t)v;
		if (parse_u64(f[4], 10, &e->size) < 0 || parse_time(f[5], &e->mtime_s, &e->mtime_ns) < 0 ||
		    parse_time(f[6], &e->ctime_s, &e->ctime_ns) < 0 || parse_u64(f[7], 10, &e->ino) < 0)
			goto out;
		if (strcmp(f[8], "-") != 0) {
			if (strlen(f[8]) != 64)
				goto out;
			for (int i = 0; i < 32; i++) {
				int hi = hexval(f[8][2 * i]), lo = hexval(f[8][2 * i + 1]);

				if (hi < 0 || lo < 0)
					goto out;
				e->sha[i] = (uint8_t)(hi * 16 + lo);
			}
			e->has_sha = true;
		}
		if (strstr(f[10], "changed"))
			e->flags |= FI_CHANGED;
		if (strstr(f[10], "error"))
			e->flags |= FI_ERROR;
		if (strcmp(f[9], "-") != 0) {
			*from_out = strdup(f[9]);
			if (!*from_out) {
				r = -ENOMEM;
				goto out;
			}
		}
	}
	*path_out = fileindex_unescape(f[11]);
	if (!*path_out || !**path_out)
		goto out;
	r = 0;
out:
	if (r < 0) {
		free(*path_out);
		free(*from_out);
		*path_out = *from_out = NULL;
	}
	free(copy);
	return r;
}

/* ---- loading ------------------------------------------------------------- */

struct loader {
	struct fileindex *fi;
	const char *path;
	char *line;			/* the line being assembled */
	size_t len, cap;
	unsigned long lineno;
};

static int take_line(struct loader *ld)
{
	struct fi_entry e;
	char *path, *from;
	int r;

	ld->lineno++;
	if (ld->lineno == 1) {
		char *tab1 = strchr(ld->line, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;

		if (!tab2 || (size_t)(tab1 - ld->line) != strlen(FILEINDEX_MAGIC) ||
		    strncmp(ld->line, FILEINDEX_MAGIC, strlen(FILEINDEX_MAGIC)) != 0) {
			log_error("%s: not a lifeboat index (bad header)", ld->path);
			return -EINVAL;
		}
		*tab2 = 0;
		snprintf(ld->fi->id, sizeof(ld->fi->id), "%s", tab1 + 1);
		snprintf(ld->fi->parent, sizeof(ld->fi->parent), "%s", strcmp(tab2 + 1, "-") ? tab2 + 1 : "");
		return 0;
	}
	r = fileindex_parse_line(ld->line, &e, &path, &from);
	if (r < 0) {
		log_error("%s: line %lu: malformed index line", ld->path, ld->lineno);
		return r;
	}
	e.path = path;
	r = fileindex_add(ld->fi, &e, from);
	free(path);
	free(from);
	if (r < 0)
		log_err(LOG_LVL_ERROR, -r, "%s: line %lu", ld->path, ld->lineno);
	return r;
}

static int feed(struct loader *ld, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int r;

		if (buf[i] != '\n') {
			if (ld->len + 1 >= ld->cap) {
				size_t cap = ld->cap ? ld->cap * 2 : 4096;
				char *nl = realloc(ld->line, cap);

				if (!nl)
					return -ENOMEM;
				ld->line = nl;
				ld->cap = cap;
			}
			ld->line[ld->len++] = buf[i];
			continue;
		}
		ld->line[ld->len] = 0;
		ld->len = 0;
		r = take_line(ld);
		if (r < 0)
			return r;
	}
	return 0;
}

static int feed_cb(void *ctx, const void *buf, size_t len)
{
	return feed(ctx, buf, len);
}

int fileindex_read(struct fileindex *fi, struct reader *rd)
{
	struct loader ld = { .fi = fi, .path = rd->path };
	int r = reader_zstd(rd, feed_cb, &ld);

	if (r == -EBADMSG) {
		log_error("%s", rd->why);
		r = -EINVAL;
	} else if (r == 0 && (ld.len != 0 || ld.lineno == 0)) {
		log_error("%s: the index is truncated", rd->path);
		r = -EINVAL;
	} else if (r == -ENOMEM) {
		log_err(LOG_LVL_ERROR, ENOMEM, "%s", rd->path);
	}
	free(ld.line);
	return r;
}

int fileindex_load(struct fileindex *fi, const char *path, char sha256_hex[65])
{
	struct reader *rd;
	int r = reader_open_path(path, NULL, UINT64_MAX, 0, &rd, NULL, 0);

	if (r < 0)
		return r;
	r = fileindex_read(fi, rd);
	if (r == 0)
		r = reader_close(rd);
	if (r == 0 && sha256_hex)
		memcpy(sha256_hex, rd->hex, SHA256_HEX_LEN + 1);
	reader_free(rd);
	return r;
}

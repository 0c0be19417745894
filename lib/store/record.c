/*
 * record — see record.h.
 *
 * What each kind means to a record (the extension of each artifact role,
 * where its chain ends, its chain's bound) is the kind's layout, asked of
 * kind_layout_find() (kind_layout.h): this file names no kind.
 */
#include "record.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kind_layout.h"
#include "timefmt.h"

/* KIND's layout, or NULL (also for a NULL KIND). */
static const struct kind_layout *kind_of(const char *kind)
{
	return kind ? kind_layout_find(kind) : NULL;
}

static const char *str_key(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

const char *record_id(const json_t *rec) { return str_key(rec, "id"); }
const char *record_job(const json_t *rec) { return str_key(rec, "job"); }
const char *record_kind(const json_t *rec) { return str_key(rec, "kind"); }
const char *record_result(const json_t *rec) { return str_key(rec, "result"); }
const char *record_started(const json_t *rec) { return str_key(rec, "started"); }
const char *record_finished(const json_t *rec) { return str_key(rec, "finished"); }
const char *record_type(const json_t *rec) { return str_key(rec, "type"); }

int record_started_time(const json_t *rec, time_t *out)
{
	const char *s = record_started(rec);

	if (!s)
		return -ENOENT;
	return timefmt_parse_rfc3339(s, out) == 0 ? 0 : -EINVAL;
}

const json_t *record_facts(const json_t *rec)
{
	const char *kind = record_kind(rec);
	const json_t *f = kind ? json_object_get(rec, kind) : NULL;

	return json_is_object(f) ? f : NULL;
}

/* A "parent" value: absent (0, NULL), a backup id (0), or -EINVAL. */
static int parent_value(const json_t *v, const char **out)
{
	struct store_id id;

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v) || store_id_parse(json_string_value(v), &id) < 0)
		return -EINVAL;
	*out = json_string_value(v);
	return 0;
}

int record_parent(const json_t *rec, const char **out)
{
	const json_t *facts = json_object_get(rec, record_kind(rec) ? record_kind(rec) : "");
	const char *top, *inner;

	*out = NULL;
	if (parent_value(json_object_get(rec, "parent"), &top) < 0)
		return -EINVAL;
	if (parent_value(json_is_object(facts) ? json_object_get(facts, "parent") : NULL, &inner) < 0)
		return -EINVAL;
	if (top && inner && strcmp(top, inner) != 0)
		return -EINVAL;
	*out = top ? top : inner;
	return 0;
}

int record_set_parent(json_t *rec, const char *facts_key, const char *parent)
{
	struct store_id id;
	json_t *facts = facts_key ? json_object_get(rec, facts_key) : NULL;

	if (!json_is_object(rec) || store_id_parse(parent, &id) < 0)
		return -EINVAL;
	if (json_object_set_new(rec, "parent", json_string(parent)) < 0)
		return -ENOMEM;
	if (json_is_object(facts) && json_object_set_new(facts, "parent", json_string(parent)) < 0)
		return -ENOMEM;
	return 0;
}

/* --- artifacts ------------------------------------------------------------------ */

const char *record_role_ext(const char *kind, enum record_role role)
{
	const struct kind_layout *k = kind_of(kind);

	if (!k || (unsigned)role >= sizeof(k->ext) / sizeof(k->ext[0]))
		return NULL;
	return k->ext[role];
}

static bool is_hex64(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

/* The backup's own stem ("backup-DD-NN") from its "id", or NULL. */
static const char *own_stem(const json_t *rec)
{
	const char *id = record_id(rec);
	struct store_id parts;

	if (!id || store_id_parse(id, &parts) < 0)
		return NULL;
	return strrchr(id, '/') + 1;
}

/* FILE is "STEM.EXT": a plain name in the backup's directory. */
static const char *plain_ext(const char *file, const char *stem)
{
	size_t n = strlen(stem);
	const char *ext;

	if (strlen(file) > 255 || strchr(file, '/') || strstr(file, ".."))
		return NULL;
	if (strncmp(file, stem, n) != 0 || file[n] != '.')
		return NULL;
	ext = file + n + 1;
	if (!*ext || ext[strlen(ext) - 1] == '.')
		return NULL;
	for (const char *p = ext; *p; p++)
		if (!(*p == '.' || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return NULL;
	return ext;
}

size_t record_artifact_count(const json_t *rec)
{
	const json_t *arts = json_object_get(rec, "artifacts");

	return json_is_array(arts) ? json_array_size(arts) : 0;
}

int record_artifact_at(const json_t *rec, size_t i, struct record_artifact *out)
{
	const json_t *arts = json_object_get(rec, "artifacts");
	const json_t *a, *size;
	const char *stem = own_stem(rec);

	memset(out, 0, sizeof(*out));
	if (!json_is_array(arts) || !stem)
		return -EINVAL;
	if (i >= json_array_size(arts))
		return -ENOENT;
	a = json_array_get(arts, i);
	size = json_object_get(a, "size");
	out->file = str_key(a, "file");
	out->sha256 = str_key(a, "sha256");
	if (!json_is_object(a) || !out->file || !out->sha256 || !is_hex64(out->sha256) ||
	    !json_is_integer(size) || json_integer_value(size) < 0 ||
	    (uint64_t)json_integer_value(size) >= RECORD_ARTIFACT_SIZE_MAX ||
	    !(out->ext = plain_ext(out->file, stem))) {
		memset(out, 0, sizeof(*out));
		return -EINVAL;
	}
	out->size = (uint64_t)json_integer_value(size);
	return 0;
}

int record_artifact_by_ext(const json_t *rec, const char *ext, struct record_artifact *out)
{
	struct record_artifact a;
	size_t n = record_artifact_count(rec);
	bool found = false;
	int r;

	memset(out, 0, sizeof(*out));
	if (!json_is_array(json_object_get(rec, "artifacts")))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		r = record_artifact_at(rec, i, &a);
		if (r < 0)
			return r;
		if (strcmp(a.ext, ext) != 0)
			continue;
		if (found)
			return -EINVAL;		/* two files would claim one role */
		*out = a;
		found = true;
	}
	return found ? 0 : -ENOENT;
}

int record_artifact(const json_t *rec, enum record_role role, struct record_artifact *out)
{
	const char *kind = record_kind(rec);
	const char *ext = record_role_ext(kind, role);

	memset(out, 0, sizeof(*out));
	if (!kind_of(kind))
		return -EINVAL;
	if (!ext)
		return -ENOENT;
	return record_artifact_by_ext(rec, ext, out);
}

const char *record_artifact_sha256(const json_t *rec, enum record_role role)
{
	struct record_artifact a;

	return record_artifact(rec, role, &a) == 0 ? a.sha256 : NULL;
}

int record_artifact_path(const struct store *st, const struct store_entry *e,
			 const struct record_artifact *a, char *buf, size_t buflen)
{
	return store_path(st, e->job, &e->parts, a->ext, buf, buflen);
}

int record_check_artifacts(const struct store *st, const struct store_entry *e,
			   char *why, size_t whylen)
{
	size_t n = record_artifact_count(e->record);

	if (n == 0) {
		snprintf(why, whylen, "backup %s of %s: its record lists no artifact", e->id, e->job);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		struct record_artifact a;
		char path[4096];
		struct stat sb;

		if (record_artifact_at(e->record, i, &a) < 0 ||
		    record_artifact_path(st, e, &a, path, sizeof(path)) < 0) {
			snprintf(why, whylen, "backup %s of %s: its record names a bad artifact", e->id, e->job);
			return -EINVAL;
		}
		if (stat(path, &sb) < 0) {
			snprintf(why, whylen, "backup %s of %s: %s: %s", e->id, e->job, path, strerror(errno));
			return -ENOENT;
		}
		if ((uint64_t)sb.st_size != a.size) {
			snprintf(why, whylen, "backup %s of %s: %s is %lld bytes, its record says %llu",
				 e->id, e->job, path, (long long)sb.st_size, (unsigned long long)a.size);
			return -EINVAL;
		}
	}
	return 0;
}

/* --- the chain -------------------------------------------------------------------- */

void record_chain_free(struct record_chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		store_entry_free(&c->v[i]);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

/* Checks member E (found as NEXT, asked for by CHILD or NULL) against the
 * chain's KIND and JOB; sets *PARENT to the member it needs, or NULL when the
 * chain ends at E. */
static int check_member(const struct store_entry *e, const char *job, const struct kind_layout *k,
			const char *want_kind, const char **parent, char *why, size_t whylen)
{
	const char *kind = record_kind(e->record);
	const char *type;

	*parent = NULL;
	if (!record_job(e->record) || strcmp(record_job(e->record), job) != 0 ||
	    !record_id(e->record) || strcmp(record_id(e->record), e->id) != 0) {
		snprintf(why, whylen, "backup %s of %s: its record names job %s, backup %s", e->id, job,
			 record_job(e->record) ? record_job(e->record) : "(none)",
			 record_id(e->record) ? record_id(e->record) : "(none)");
		return -EINVAL;
	}
	if (!kind || !kind_of(kind) || (k && k != kind_of(kind)) ||
	    (want_kind && strcmp(want_kind, kind) != 0)) {
		if (want_kind && kind_of(want_kind) && kind_of(want_kind)->noun)
			snprintf(why, whylen, "backup %s of %s is not a %s", e->id, job, kind_of(want_kind)->noun);
		else
			snprintf(why, whylen, "backup %s of %s is a %s backup, not %s", e->id, job,
				 kind ? kind : "(kindless)", k ? k->name : want_kind ? want_kind : "a known kind");
		return -EINVAL;
	}
	k = kind_of(kind);
	if (record_parent(e->record, parent) < 0) {
		snprintf(why, whylen, "backup %s of %s: its record names a bad parent", e->id, job);
		return -EINVAL;
	}
	switch (k->chain) {
	case KIND_CHAIN_SELF:
		if (*parent) {
			snprintf(why, whylen, "backup %s of %s: a %s backup names a parent", e->id, job, k->name);
			return -EINVAL;
		}
		break;
	case KIND_CHAIN_FULL:
		type = json_string_value(json_object_get(record_facts(e->record), "type"));
		if (!type) {
			if (k->noun)
				snprintf(why, whylen, "backup %s of %s is not a %s", e->id, job, k->noun);
			else
				snprintf(why, whylen, "backup %s of %s: its facts have no \"type\"", e->id, job);
			return -EINVAL;
		}
		if (strcmp(type, "full") == 0)
			*parent = NULL;
		else if (!*parent) {
			snprintf(why, whylen, "backup %s of %s: an incremental without a parent", e->id, job);
			return -EINVAL;
		}
		break;
	case KIND_CHAIN_FIRST:
		if (!record_facts(e->record)) {
			snprintf(why, whylen, "backup %s of %s is not a %s backup of a sound chain", e->id,
				 job, k->name);
			return -EINVAL;
		}
		break;
	}
	return 0;
}

/* True when PARENT is already one of the N members of V (a loop). */
static bool seen(const struct store_entry *v, size_t n, const char *parent)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].id, parent) == 0)
			return true;
	return false;
}

/* True when backup id PARENT comes before CHILD. */
static bool older(const char *parent, const struct store_id *child)
{
	struct store_id p;

	return store_id_parse(parent, &p) == 0 && store_id_compare(&p, child) < 0;
}

int record_chain_load(struct store *st, const char *job, const char *id, const char *kind,
		      size_t max, struct record_chain *out, char *why, size_t whylen)
{
	const struct kind_layout *k = NULL;
	struct store_entry *v = NULL;
	char next[STORE_ID_MAX + 8];
	size_t n = 0, cap = 0;
	int r = 0;

	memset(out, 0, sizeof(*out));
	snprintf(next, sizeof(next), "%s", id ? id : "");
	for (;;) {
		struct store_entry e;
		const char *parent;

		r = store_get(st, job, next, &e);
		if (r < 0) {
			snprintf(why, whylen, "backup %s of %s is missing%s%s", next, job,
				 n ? ", needed by " : "", n ? v[n - 1].id : "");
			break;
		}
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 8;
			struct store_entry *nv = realloc(v, ncap * sizeof(*v));

			if (!nv) {
				store_entry_free(&e);
				r = -ENOMEM;
				snprintf(why, whylen, "out of memory");
				break;
			}
			v = nv;
			cap = ncap;
		}
		v[n++] = e;
		r = check_member(&v[n - 1], job, k, n == 1 ? kind : NULL, &parent, why, whylen);
		if (r < 0)
			break;
		if (!k) {
			k = kind_of(record_kind(e.record));
			if (!max)
				max = k->max_chain;
		}
		r = record_check_artifacts(st, &v[n - 1], why, whylen);
		if (r < 0)
			break;
		if (!parent)
			break;
		/* A parent is older than its child; one that is not may be a
		 * loop, and only then is the whole chain searched. */
		if (!older(parent, &v[n - 1].parts) && seen(v, n, parent)) {
			snprintf(why, whylen, "backup %s of %s: its chain loops back to %s", v[n - 1].id,
				 job, parent);
			r = -EINVAL;
			break;
		}
		if (max && n >= max) {
			snprintf(why, whylen, "backup %s of %s: its chain is longer than %zu (a loop?)",
				 v[0].id, job, max);
			r = -EINVAL;
			break;
		}
		snprintf(next, sizeof(next), "%s", parent);
	}
	if (r < 0) {
		out->v = v;
		out->n = n;
		record_chain_free(out);
		return r;
	}
	/* Found newest first; the chain is used oldest first. */
	for (size_t i = 0; i < n / 2; i++) {
		struct store_entry t = v[i];

		v[i] = v[n - 1 - i];
		v[n - 1 - i] = t;
	}
	out->v = v;
	out->n = n;
	return 0;
}

/*
 * filechain — see filechain.h.
 */
#include "filechain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int filechain_artifact(struct store *st, const struct store_entry *e, const char *ext,
		       char *buf, size_t buflen)
{
	return store_path(st, e->job, &e->parts, ext, buf, buflen);
}

const char *filechain_artifact_sha(const struct store_entry *e, const char *ext)
{
	const json_t *a;
	size_t i;

	json_array_foreach(json_object_get(e->record, "artifacts"), i, a) {
		const char *file = json_string_value(json_object_get(a, "file"));
		const char *dot = file ? strchr(file, '.') : NULL;

		if (dot && strcmp(dot + 1, ext) == 0)
			return json_string_value(json_object_get(a, "sha256"));
	}
	return NULL;
}

int filechain_check_artifacts(struct store *st, const struct store_entry *e, char *why, size_t whylen)
{
	json_t *arts = json_object_get(e->record, "artifacts"), *a;
	size_t i;

	if (!json_is_array(arts) || json_array_size(arts) == 0) {
		snprintf(why, whylen, "backup %s of %s: its record lists no artifact", e->id, e->job);
		return -EINVAL;
	}
	json_array_foreach(arts, i, a) {
		const char *file = json_string_value(json_object_get(a, "file"));
		const char *ext = file ? strchr(file, '.') : NULL;
		json_int_t size = json_integer_value(json_object_get(a, "size"));
		char path[4096];
		struct stat sb;

		if (!ext || filechain_artifact(st, e, ext + 1, path, sizeof(path)) < 0) {
			snprintf(why, whylen, "backup %s of %s: its record names a bad artifact", e->id, e->job);
			return -EINVAL;
		}
		if (stat(path, &sb) < 0) {
			snprintf(why, whylen, "backup %s of %s: %s: %s", e->id, e->job, path, strerror(errno));
			return -ENOENT;
		}
		if ((json_int_t)sb.st_size != size) {
			snprintf(why, whylen, "backup %s of %s: %s is %lld bytes, its record says %lld",
				 e->id, e->job, path, (long long)sb.st_size, (long long)size);
			return -EINVAL;
		}
	}
	return 0;
}

void filechain_free(struct filechain *c)
{
	for (size_t i = 0; i < c->n; i++)
		store_entry_free(&c->v[i]);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

int filechain_load(struct store *st, const char *job, const char *id, struct filechain *out,
		   char *why, size_t whylen)
{
	struct store_entry *v = NULL;
	char next[STORE_ID_MAX + 8];
	size_t n = 0;
	int r = 0;

	memset(out, 0, sizeof(*out));
	snprintf(next, sizeof(next), "%s", id);
	for (;;) {
		struct store_entry e, *nv;
		const json_t *facts;
		const char *type, *parent;

		if (n == FILECHAIN_MAX) {
			snprintf(why, whylen, "backup %s of %s: its chain is longer than %d (a loop?)",
				 id, job, FILECHAIN_MAX);
			r = -EINVAL;
			break;
		}
		r = store_get(st, job, next, &e);
		if (r < 0) {
			snprintf(why, whylen, "backup %s of %s is missing%s%s", next, job,
				 n ? ", needed by " : "", n ? v[n - 1].id : "");
			break;
		}
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			store_entry_free(&e);
			r = -ENOMEM;
			snprintf(why, whylen, "out of memory");
			break;
		}
		v = nv;
		v[n++] = e;
		facts = json_object_get(e.record, "files");
		type = json_string_value(json_object_get(facts, "type"));
		if (!type) {
			snprintf(why, whylen, "backup %s of %s is not a files snapshot", e.id, job);
			r = -EINVAL;
			break;
		}
		r = filechain_check_artifacts(st, &v[n - 1], why, whylen);
		if (r < 0)
			break;
		if (strcmp(type, "full") == 0)
			break;
		parent = json_string_value(json_object_get(facts, "parent"));
		if (!parent) {
			snprintf(why, whylen, "backup %s of %s: an incremental without a parent", e.id, job);
			r = -EINVAL;
			break;
		}
		snprintf(next, sizeof(next), "%s", parent);
	}
	if (r < 0) {
		out->v = v;
		out->n = n;
		filechain_free(out);
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

/*
 * offsite_list — the backups a target holds, from one ListObjectsV2 walk
 * of its prefix (see offsite.h).  Objects whose names are not a backup's
 * (another tool's, or hostile ones) are skipped: they are never taken for
 * a backup, and never deleted by retention.
 */
#include "offsite_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

struct walk {
	struct offsite_conn *c;
	struct offsite_list *l;
	size_t cap;
};

static int on_object(void *arg, const char *key, uint64_t size, time_t mtime)
{
	struct walk *w = arg;
	struct offsite_list *l = w->l;
	struct offsite_backup *b = NULL;
	char job[128], id[32], *suffix;

	if (offsite_parse_key(w->c->o, key, job, id, &suffix) < 0)
		return 0;
	/* ListObjectsV2 gives keys in order, so a backup's objects are together */
	if (l->n && !strcmp(l->v[l->n - 1].job, job) && !strcmp(l->v[l->n - 1].id, id)) {
		b = &l->v[l->n - 1];
	} else {
		if (l->n == w->cap) {
			size_t cap = w->cap ? 2 * w->cap : 64;
			struct offsite_backup *v = realloc(l->v, cap * sizeof(*v));

			if (!v) {
				free(suffix);
				return -ENOMEM;
			}
			l->v = v;
			w->cap = cap;
		}
		b = &l->v[l->n++];
		memset(b, 0, sizeof(*b));
		snprintf(b->job, sizeof(b->job), "%s", job);
		snprintf(b->id, sizeof(b->id), "%s", id);
	}
	if (!strcmp(suffix, "json"))
		b->has_record = true;
	b->stored += size;
	if (mtime > b->uploaded)
		b->uploaded = mtime;
	b->objects++;
	free(suffix);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	const struct offsite_backup *x = a, *y = b;
	struct store_id i, j;
	int c = strcmp(x->job, y->job);

	if (c)
		return c;
	/* parsed when listed: "backup-25-100" comes after "backup-25-99" */
	store_id_parse(x->id, &i);
	store_id_parse(y->id, &j);
	return store_id_compare(&i, &j);
}

int offsite_list(struct offsite_conn *c, const char *job, struct offsite_list *out)
{
	struct walk w = { c, out, 0 };
	char prefix[1024];
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = offsite_job_prefix(c->o, job, prefix, sizeof(prefix))) < 0)
		return r;
	r = s3_list(c->s3, prefix, on_object, &w);
	if (r < 0) {
		offsite_s3err(c);
		offsite_list_free(out);
		return r;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp);
	/* one entry per backup, even if a server listed its objects apart */
	{
		size_t o = 0;

		for (size_t i = 0; i < out->n; i++) {
			if (o && !cmp(&out->v[o - 1], &out->v[i])) {
				out->v[o - 1].has_record |= out->v[i].has_record;
				out->v[o - 1].stored += out->v[i].stored;
				out->v[o - 1].objects += out->v[i].objects;
				if (out->v[i].uploaded > out->v[o - 1].uploaded)
					out->v[o - 1].uploaded = out->v[i].uploaded;
			} else {
				out->v[o++] = out->v[i];
			}
		}
		out->n = o;
	}
	return 0;
}

void offsite_list_free(struct offsite_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

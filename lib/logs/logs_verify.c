/*
 * logs_verify — the logs kind's part of verify: while verify (verify.c)
 * reads a logs backup's tar.zst once, each entry is compared with the
 * segments its record lists (each once, a plain file with the segment's
 * length, nothing else), and every segment's name is checked to be one a
 * restore accepts.  It does not check a segment's prefix hash (that spans
 * the chain: the logs job re-checks it), and repairs nothing.
 */
#include "logs_verify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logship.h"
#include "verify_kind.h"


struct seg {
	const char *entry;		/* the tar entry's name, borrowed from the record */
	uint64_t len;			/* end - start, bytes */
	unsigned seen;			/* times met in the tar */
};

struct lcheck {
	const struct verify_art *tar;
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
		verify_problem(pend, "%s holds '%s', which its record's segments do not list", lc->tar->path,
			verify_show(key.entry ? key.entry : "", b1, sizeof(b1)));
	} else if (s->seen++) {
		verify_problem(pend, "%s holds '%s' twice", lc->tar->path, verify_show(s->entry, b1, sizeof(b1)));
	} else if (archive_entry_filetype(ae) != AE_IFREG) {
		verify_problem(pend, "%s holds '%s' as something else than a file", lc->tar->path,
			verify_show(s->entry, b1, sizeof(b1)));
	} else if (archive_entry_size(ae) < 0 || (uint64_t)archive_entry_size(ae) != s->len) {
		verify_problem(pend, "%s holds '%s' with %lld bytes, its record's segment says %llu", lc->tar->path,
			verify_show(s->entry, b1, sizeof(b1)), (long long)archive_entry_size(ae), (unsigned long long)s->len);
	}
	return 0;
}

int logs_verify_check(const struct store_entry *e, const struct verify_art *arts, size_t n,
		      struct verify_report *rep, uint64_t *bytes)
{
	const json_t *segs = json_object_get(json_object_get(e->record, "logs"), "segments"), *s;
	struct lcheck lc = { .tar = &arts[RECORD_ARTIFACT_MAIN] };
	size_t i, before = rep->n + rep->dropped;
	char b1[256];
	int rc;

	(void)n;	/* the layout's one role */
	if (!json_is_array(segs)) {
		verify_problem(rep, "its record has no \"logs\".\"segments\" array");
		return 0;
	}
	lc.v = calloc(json_array_size(segs) + 1, sizeof(*lc.v));
	if (!lc.v) {
		verify_problem(rep, "out of memory");
		return -ENOMEM;
	}
	json_array_foreach(segs, i, s) {
		const char *entry = json_string_value(json_object_get(s, "entry"));
		const char *name = json_string_value(json_object_get(s, "name"));
		const json_t *gen = json_object_get(s, "gen"), *start = json_object_get(s, "start");
		const json_t *end = json_object_get(s, "end");

		if (!entry || !name || !json_is_integer(gen) || !json_is_integer(start) || !json_is_integer(end)) {
			verify_problem(rep, "its record's \"logs\".\"segments\"[%zu] lacks \"entry\", \"name\", \"gen\", \"start\" or \"end\"",
				i);
		} else if (!lstate_path_safe(name)) {
			verify_problem(rep, "its record's \"logs\".\"segments\"[%zu].\"name\" '%s' is not an absolute path without \"..\": restore refuses it",
				i, verify_show(name, b1, sizeof(b1)));
		} else if (json_integer_value(start) < 0 || json_integer_value(end) < json_integer_value(start)) {
			verify_problem(rep, "its record's \"logs\".\"segments\"[%zu] ends before it starts", i);
		} else {
			lc.v[lc.n].entry = entry;
			lc.v[lc.n++].len = (uint64_t)(json_integer_value(end) - json_integer_value(start));
		}
	}
	if (lc.n)
		qsort(lc.v, lc.n, sizeof(*lc.v), cmp_seg);
	for (i = 1; i < lc.n; i++)
		if (strcmp(lc.v[i - 1].entry, lc.v[i].entry) == 0)
			verify_problem(rep, "its record's \"logs\".\"segments\" name '%s' twice", verify_show(lc.v[i].entry, b1, sizeof(b1)));
	if (rep->n + rep->dropped > before) {
		free(lc.v);
		return 0;
	}
	rc = verify_walk_tar(lc.tar, logs_entry, &lc, rep, bytes);
	for (i = 0; rc == 0 && i < lc.n; i++)
		if (!lc.v[i].seen)
			verify_problem(rep, "%s does not hold '%s', which its record's segments list", lc.tar->path,
				verify_show(lc.v[i].entry, b1, sizeof(b1)));
	free(lc.v);
	return rc == -ENOMEM ? rc : 0;
}


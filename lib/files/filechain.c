/*
 * filechain — see filechain.h: the files-only face of record.h.
 */
#include "filechain.h"

#include <string.h>

int filechain_artifact(struct store *st, const struct store_entry *e, const char *ext,
		       char *buf, size_t buflen)
{
	return store_path(st, e->job, &e->parts, ext, buf, buflen);
}

const char *filechain_artifact_sha(const struct store_entry *e, const char *ext)
{
	struct record_artifact a;

	return record_artifact_by_ext(e->record, ext, &a) == 0 ? a.sha256 : NULL;
}

int filechain_check_artifacts(struct store *st, const struct store_entry *e, char *why, size_t whylen)
{
	return record_check_artifacts(st, e, why, whylen);
}

void filechain_free(struct filechain *c)
{
	struct record_chain rc = { .v = c->v, .n = c->n };

	record_chain_free(&rc);
	c->v = NULL;
	c->n = 0;
}

int filechain_load(struct store *st, const char *job, const char *id, struct filechain *out,
		   char *why, size_t whylen)
{
	struct record_chain rc;
	int r;

	memset(out, 0, sizeof(*out));
	r = record_chain_load(st, job, id, "files", 0, &rc, why, whylen);
	if (r < 0)
		return r;
	out->v = rc.v;
	out->n = rc.n;
	return 0;
}

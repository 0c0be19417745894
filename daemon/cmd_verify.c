/*
 * lifeboat verify [JOB [ID]] — checks every backup for what its restore
 * relies on (verify.h: the record, the .sha256 file, every artifact
 * re-hashed, a tar against its index or segments) and, for files backups,
 * that the chain each one needs is whole and holds the content its index
 * names.  One "ok" line per good backup, one "BAD" line per problem of a bad
 * one; exit 1 when any is bad.  Reads only the store: no daemon needed.
 * --json prints the same as one object: {"backups": [{job, id, kind, type,
 * ok, problems, artifacts, size_stored}], verified, ok, bad, bytes_read}.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jobkind.h"
#include "record.h"
#include "store.h"
#include "units.h"
#include "verify.h"

static const char usage_text[] = "usage: lifeboat [-c FILE] verify [JOB [ID]] [--json]\n"
	"       lifeboat [-c FILE] verify --offsite NAME [JOB [ID]] [--download]\n";

/* Results of the checks of one backup, so a chain member shared by many
 * backups is read once. */
struct checked {
	char job[128];
	char id[STORE_ID_MAX];
	int r;				/* 0 or the negative errno */
	char why[VERIFY_LINE_MAX];	/* its first problem */
};

struct verify_run {
	struct store *st;
	struct checked *v;
	size_t n;
	uint64_t bytes;
	json_t *json;			/* --json: the backups' objects, else NULL */
};

/* A bad backup's problem: a BAD line, or one more of its "problems". */
static void report_bad(struct verify_run *vr, const struct store_entry *e, const char *why)
{
	json_t *last = json_array_get(vr->json, json_array_size(vr->json) - 1);

	if (!vr->json) {
		printf("BAD  %s %s: %s\n", e->job, e->id, why);
		return;
	}
	if (!last || strcmp(json_string_value(json_object_get(last, "job")), e->job) ||
	    strcmp(json_string_value(json_object_get(last, "id")), e->id)) {
		last = json_pack("{s:s, s:s, s:b, s:[]}", "job", e->job, "id", e->id, "ok", 0, "problems");
		json_array_append_new(vr->json, last);
	}
	json_array_append_new(json_object_get(last, "problems"), json_string(why));
}

/* The checks of E, run now (REP, when not NULL, gets every problem) or
 * remembered from before (REP gets the first). */
static const struct checked *check(struct verify_run *vr, const struct store_entry *e,
				   struct verify_report *rep)
{
	struct verify_report *own = NULL;
	struct checked *c, *nv;
	uint64_t bytes = 0;

	for (size_t i = 0; i < vr->n; i++) {
		c = &vr->v[i];
		if (!strcmp(c->job, e->job) && !strcmp(c->id, e->id)) {
			if (rep && c->r < 0) {
				snprintf(rep->lines[0], sizeof(rep->lines[0]), "%s", c->why);
				rep->n = 1;
			}
			return c;
		}
	}
	if (!rep)
		rep = own = malloc(sizeof(*own));
	nv = rep ? realloc(vr->v, (vr->n + 1) * sizeof(*nv)) : NULL;
	if (!nv) {
		free(own);
		return NULL;
	}
	vr->v = nv;
	c = &vr->v[vr->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->job, sizeof(c->job), "%s", e->job);
	snprintf(c->id, sizeof(c->id), "%s", e->id);
	c->r = verify_backup(vr->st, e, rep, &bytes);
	if (c->r < 0)
		snprintf(c->why, sizeof(c->why), "%s", rep->n ? rep->lines[0] : "out of memory");
	vr->bytes += bytes;
	free(own);
	return c;
}

/* Checks one backup; prints its lines; returns true when good. */
static bool verify_one(struct verify_run *vr, const struct store_entry *e)
{
	const char *kind = json_string_value(json_object_get(e->record, "kind"));
	const char *type = json_string_value(json_object_get(record_facts(e->record), "type"));
	struct verify_report *rep = calloc(1, sizeof(*rep));
	const struct checked *c = rep ? check(vr, e, rep) : NULL;
	char why[VERIFY_LINE_MAX + 200] = "", size[32];

	if (!c) {
		snprintf(why, sizeof(why), "out of memory");
	} else if (c->r < 0) {
		for (size_t i = 0; i < rep->n; i++)
			report_bad(vr, e, rep->lines[i]);
		if (rep->dropped) {
			snprintf(why, sizeof(why), "and %zu more problem(s)", rep->dropped);
			report_bad(vr, e, why);
		}
		free(rep);
		return false;
	} else if (kind && jobkind_find(kind) && jobkind_find(kind)->verify) {
		/* The kind's own check (files: its content along its chain),
		 * once every member of the chain is whole. */
		struct record_chain chain;
		char cwhy[1024];

		if (record_chain_load(vr->st, e->job, e->id, kind, 0, &chain, cwhy, sizeof(cwhy)) < 0) {
			snprintf(why, sizeof(why), "its chain is broken: %s", cwhy);
		} else {
			for (size_t i = 0; i + 1 < chain.n && !*why; i++) {
				const struct checked *m = check(vr, &chain.v[i], NULL);

				if (!m || m->r < 0)
					snprintf(why, sizeof(why), "its chain member %s is bad: %s", chain.v[i].id,
						 m ? m->why : "out of memory");
			}
			record_chain_free(&chain);
			if (!*why)
				jobkind_find(kind)->verify(vr->st, e, why, sizeof(why));
		}
	}
	free(rep);
	units_format_size_human((uint64_t)json_integer_value(json_object_get(e->record, "size_stored")),
				size, sizeof(size));
	if (*why) {
		report_bad(vr, e, why);
		return false;
	}
	if (vr->json) {
		json_array_append_new(vr->json, json_pack("{s:s, s:s, s:s?, s:s?, s:b, s:[], s:I, s:O?}",
			"job", e->job, "id", e->id, "kind", kind, "type", type, "ok", 1, "problems",
			"artifacts", (json_int_t)json_array_size(json_object_get(e->record, "artifacts")),
			"size_stored", json_object_get(e->record, "size_stored")));
		return true;
	}
	printf("ok   %s %s (%s%s%s, %zu artifact(s), %s)\n", e->job, e->id, kind ? kind : "?",
	       type ? " " : "", type ? type : "", json_array_size(json_object_get(e->record, "artifacts")), size);
	return true;
}

int cmd_verify(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "offsite", required_argument, NULL, 'o' },
		{ "download", no_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *offsite = NULL;
	bool download = false;
	struct verify_run vr = { 0 };
	struct store_list l = { 0 };
	struct store_entry one;
	const struct job *job = NULL;
	struct config *cfg;
	size_t total = 0, bad = 0;
	char size[32];
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'o') {
			offsite = optarg;
			continue;
		}
		if (c == 'd') {
			download = true;
			continue;
		}
		if (c == 'j' && !vr.json) {
			vr.json = json_array();
			if (vr.json)
				continue;
		}
		json_decref(vr.json);
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (argc - optind > 2 || (download && !offsite) || (offsite && vr.json)) {
		json_decref(vr.json);
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (offsite) {
		/* the offsite copies: the job need not be in the config any more */
		if ((r = cli_load_config(cli, &cfg)))
			return r;
		r = cli_offsite_verify(cfg, offsite, argc - optind >= 1 ? argv[optind] : NULL,
				       argc - optind == 2 ? argv[optind + 1] : NULL, download);
		config_free(cfg);
		return r;
	}
	if (argc - optind >= 1)
		r = cli_load_job(cli, argv[optind], NULL, &cfg, &job);
	else
		r = cli_load_config(cli, &cfg);
	if (r) {
		json_decref(vr.json);
		return r;
	}
	if (store_open(cfg->store, &vr.st) < 0) {
		json_decref(vr.json);
		config_free(cfg);
		return EXIT_FAILED;
	}
	if (argc - optind == 2) {
		r = store_get(vr.st, job->name, argv[optind + 1], &one);
		if (r == 0) {
			total = 1;
			bad = !verify_one(&vr, &one);
			store_entry_free(&one);
		} else if (r == -ENOENT) {
			fprintf(stderr, "lifeboat: job %s has no backup '%s' in %s\n", job->name,
				argv[optind + 1], cfg->store);
		}
	} else {
		r = store_list(vr.st, job ? job->name : NULL, &l);
		for (size_t i = 0; r == 0 && i < l.n; i++) {
			total++;
			bad += !verify_one(&vr, &l.v[i]);
		}
		store_list_free(&l);
	}
	if (r == 0 && vr.json) {
		json_t *o = json_pack("{s:O, s:I, s:I, s:I, s:I}", "backups", vr.json, "verified", (json_int_t)total,
				      "ok", (json_int_t)(total - bad), "bad", (json_int_t)bad,
				      "bytes_read", (json_int_t)vr.bytes);

		if (o)
			json_dumpf(o, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(o);
	} else if (r == 0) {
		units_format_size_human(vr.bytes, size, sizeof(size));
		printf("%zu backup(s) verified, %s read: %zu ok, %zu bad\n", total, size, total - bad, bad);
	}
	json_decref(vr.json);
	free(vr.v);
	store_close(vr.st);
	config_free(cfg);
	return r < 0 || bad ? EXIT_FAILED : EXIT_OK;
}

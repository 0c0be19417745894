/*
 * incident replace — `lifeboat restore JOB ID --replace`: a clean backup in
 * place of the live site, only after the evidence.
 *
 * The guard: an open incident whose evidence is complete (its manifest
 * exists), or --without-evidence, which is written into the journal (an
 * incident is opened for it when none is, to hold the journal and the tree
 * moved aside).  Refusals are journaled too.
 *
 * files: the backup is restored by the kind's own restore (snaprestore,
 * through its staging directory) into a new sibling of the live tree,
 * ".lifeboat-replace-JOB-PID", then swapped with the live tree in one
 * renameat2(RENAME_EXCHANGE) — the site is never half-restored, not even
 * for an instant — and the old tree renamed into the incident,
 * replaced/JOB (renamed, never deleted).  rename(2) needs one filesystem:
 * when the live tree is on another filesystem than the store, the old tree
 * is kept beside the live one instead, ".lifeboat-incident-STAMP-JOB", and
 * the journal and the output say so.  A filesystem without RENAME_EXCHANGE
 * gets two renames (old tree aside, new one in).
 *
 * db: the dump is checked whole first (reader: size and hash against its
 * record), then the live database is dropped and created again with its
 * character set and collation (grants by name stay), and the dump is
 * imported (dbrestore, which checks every table's row count).  The live
 * content is in the incident's evidence dump.  Only a dump of one database
 * (dbrestore's rule).
 *
 * incident_suggest: the newest good backup older than the earliest change
 * in the incident's changes.json — the job's own, else any job's (a db job
 * has no change list, but a web shell dates the intrusion) — by mtime,
 * which an attacker can forge, so it is a suggestion; with no change found,
 * the newest good backup older than the incident; else the newest good
 * backup.  The watch module's
 * baseline will replace this.  It does not choose for the user: the ID
 * given is the one restored.
 */
#include "incident.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbconn.h"
#include "dbrestore.h"
#include "jobkind.h"
#include "log.h"
#include "reader.h"
#include "record.h"
#include "sqltext.h"
#include "timefmt.h"

/* ---- suggestion ------------------------------------------------------------ */

static int64_t earliest_change(const struct incident *inc, const char *job)
{
	char path[INCIDENT_FILE_MAX];
	json_t *doc, *j, *c;
	size_t i, k;
	int64_t best = 0;

	snprintf(path, sizeof(path), "%s/changes.json", inc->dir);
	doc = json_load_file(path, 0, NULL);
	json_array_foreach(json_object_get(doc, "jobs"), i, j) {
		if (job && strcmp(json_string_value(json_object_get(j, "job")) ?: "", job) != 0)
			continue;
		json_array_foreach(json_object_get(j, "changes"), k, c) {
			int64_t m = json_integer_value(json_object_get(c, "mtime"));

			if (strcmp(json_string_value(json_object_get(c, "change")) ?: "", "removed") != 0 && m > 0 &&
			    (!best || m < best))
				best = m;
		}
	}
	json_decref(doc);
	return best;
}

int incident_suggest(const struct config *cfg, struct store *st, const struct job *job,
		     char id[STORE_ID_MAX], char *why, size_t len)
{
	struct incident inc;
	struct store_list l;
	int64_t first = 0;
	const struct store_entry *newest = NULL, *before = NULL;

	const char *cut_what = "the earliest change the incident found (mtime";
	time_t opened = 0;

	/* This job's earliest change; else any job's (a db has no change
	 * list, but the web shell dates the intrusion); else the incident's
	 * opening. */
	if (incident_load(cfg, NULL, &inc) == 0) {
		first = earliest_change(&inc, job->name);
		if (!first)
			first = earliest_change(&inc, NULL);
		if (!first && json_string_value(json_object_get(inc.state, "opened")) &&
		    timefmt_parse_rfc3339(json_string_value(json_object_get(inc.state, "opened")), &opened) == 0) {
			first = opened;
			cut_what = "the incident's opening (";
		}
	}
	incident_free(&inc);
	if (store_list(st, job->name, &l) < 0)
		return -EIO;
	for (size_t i = 0; i < l.n; i++) {
		time_t started = 0;
		const char *s = json_string_value(json_object_get(l.v[i].record, "started"));

		if (!store_record_is_good(l.v[i].record))
			continue;
		newest = &l.v[i];
		if (first && s && timefmt_parse_rfc3339(s, &started) == 0 && started < first)
			before = &l.v[i];
	}
	if (!newest) {
		store_list_free(&l);
		return -ENOENT;
	}
	if (before) {
		char t[TIMEFMT_RFC3339_LEN];

		timefmt_rfc3339((time_t)first, t);
		snprintf(id, STORE_ID_MAX, "%s", before->id);
		snprintf(why, len, "the newest good backup taken before %s %s)", cut_what, t);
	} else {
		snprintf(id, STORE_ID_MAX, "%s", newest->id);
		snprintf(why, len, first ? "the newest good backup (every good backup is newer than the earliest change found: mtimes can be forged)"
				       : "the newest good backup (the incident found no change to date it)");
	}
	store_list_free(&l);
	return 0;
}

/* ---- files ------------------------------------------------------------------ */

static int aside_path(struct incident *inc, const char *job, const char *parent, dev_t live_dev,
		      char *buf, size_t len, bool *in_incident)
{
	struct stat sb;
	char dir[INCIDENT_FILE_MAX];

	*in_incident = fstat(inc->dirfd, &sb) == 0 && sb.st_dev == live_dev;
	if (*in_incident) {
		snprintf(dir, sizeof(dir), "%s/replaced", inc->dir);
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
	} else {
		snprintf(dir, sizeof(dir), "%s", parent);
	}
	for (int n = 1; n < 100; n++) {
		int w;

		if (*in_incident)
			w = n == 1 ? snprintf(buf, len, "%s/%s", dir, job) : snprintf(buf, len, "%s/%s-%d", dir, job, n);
		else
			w = n == 1 ? snprintf(buf, len, "%s/.lifeboat-incident-%s-%s", dir, inc->stamp, job)
				   : snprintf(buf, len, "%s/.lifeboat-incident-%s-%s-%d", dir, inc->stamp, job, n);
		if ((size_t)w >= len)
			return -ENAMETOOLONG;
		if (lstat(buf, &sb) < 0 && errno == ENOENT)
			return 0;
	}
	return -EEXIST;
}

static int replace_files(const struct config *cfg, const struct job *job, struct store *st,
			 const struct store_entry *e, struct incident *inc, FILE *out)
{
	char live[PATH_MAX], parent[PATH_MAX], staged[PATH_MAX], aside[PATH_MAX], tmp[PATH_MAX];
	struct jobkind_target to = { 0 };
	struct stat sb = { 0 };
	bool in_incident;
	int r;

	snprintf(live, sizeof(live), "%s", job->files.path);
	for (size_t n = strlen(live); n > 1 && live[n - 1] == '/'; n--)
		live[n - 1] = '\0';
	snprintf(tmp, sizeof(tmp), "%s", live);
	snprintf(parent, sizeof(parent), "%s", dirname(tmp));
	if (lstat(live, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "lifeboat: restore --replace: %s (path of job %s) is not a directory%s\n", live,
			job->name, S_ISLNK(sb.st_mode) ? " (a symlink: not followed)" : "");
		return -ENOTDIR;
	}
	r = aside_path(inc, job->name, parent, sb.st_dev, aside, sizeof(aside), &in_incident);
	if (r < 0) {
		fprintf(stderr, "lifeboat: restore --replace: no place to move the live tree aside: %s\n", strerror(-r));
		return r;
	}
	if ((size_t)snprintf(staged, sizeof(staged), "%s/.lifeboat-replace-%s-%d", parent, job->name,
			     (int)getpid()) >= sizeof(staged))
		return -ENAMETOOLONG;
	to.dir = staged;
	r = jobkind_of(job)->restore(cfg, job, st, e, &to, out);
	if (r < 0) {
		rmdir(staged);
		incident_journalf(inc, "restore --replace failed", "files %s %s: the restore beside the live tree failed; the live tree is untouched",
				  job->name, e->id);
		return r;
	}
	if (renameat2(AT_FDCWD, staged, AT_FDCWD, live, RENAME_EXCHANGE) == 0) {
		if (rename(staged, aside) < 0) {
			r = -errno;
			fprintf(stderr, "lifeboat: restore --replace: the clean tree is in place at %s, but the old tree stays at %s: %s\n",
				live, staged, strerror(errno));
			incident_journalf(inc, "restore --replace files", "%s %s in place at %s; the old tree stayed at %s (%s)",
					  job->name, e->id, live, staged, strerror(-r));
			return 0;
		}
	} else if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
		if (rename(live, aside) < 0 || rename(staged, live) < 0) {
			r = -errno;
			fprintf(stderr, "lifeboat: restore --replace: cannot swap %s and %s: %s\n", live, staged, strerror(errno));
			incident_journalf(inc, "restore --replace failed", "files %s: swap failed: %s; old tree at %s or %s, clean tree at %s",
					  job->name, strerror(-r), live, aside, staged);
			return r;
		}
	} else {
		r = -errno;
		fprintf(stderr, "lifeboat: restore --replace: cannot swap %s and %s: %s (the clean copy stays at %s)\n",
			live, staged, strerror(errno), staged);
		incident_journalf(inc, "restore --replace failed", "files %s: swap failed: %s", job->name, strerror(-r));
		return r;
	}
	fprintf(out, "the live tree %s is now backup %s %s; the tree that was live is kept at %s%s\n", live,
		job->name, e->id, aside,
		in_incident ? "" : " (the store is on another filesystem than the site, and rename(2) cannot move it there)");
	incident_journalf(inc, "restore --replace files", "%s %s in place at %s (one rename); the tree that was live moved to %s%s",
			  job->name, e->id, live, aside, in_incident ? "" : " (beside it: the store is on another filesystem)");
	return 0;
}

/* ---- db ---------------------------------------------------------------------- */

static int sink_none(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return 0;
}

static int query(MYSQL *my, struct sbuf *q, const char *job)
{
	if (q->err)
		return -ENOMEM;
	if (mysql_real_query(my, q->data, q->len) != 0) {
		log_error("job %s: %s: %s", job, sbuf_str(q), mysql_error(my));
		return -EIO;
	}
	return 0;
}

static int replace_db(const struct job *job, struct store *st, const struct store_entry *e,
		      struct incident *inc, FILE *out)
{
	const json_t *facts = json_object_get(e->record, "db");
	const json_t *dbs = json_object_get(facts, "databases");
	struct dbrestore_opts o = { .job = job->name, .id = e->id, .st = st, .e = e, .facts = facts };
	struct dbrestore_stats stats;
	struct sbuf q = { 0 };
	struct reader *rd = NULL;
	char cs[128] = "", coll[128] = "";
	const char *db;
	MYSQL *my = NULL;
	MYSQL_RES *res;
	MYSQL_ROW row;
	int r;

	if (json_array_size(dbs) != 1) {
		fprintf(stderr, "lifeboat: restore --replace: backup %s %s holds %zu databases; --replace takes a dump of one\n",
			job->name, e->id, json_array_size(dbs));
		return -EINVAL;
	}
	db = json_string_value(json_array_get(dbs, 0));
	/* Whole before anything is dropped. */
	r = reader_open(st, e, RECORD_ARTIFACT_MAIN, 0, &rd, NULL, 0);
	if (r == 0)
		r = reader_zstd(rd, sink_none, NULL);
	if (r == 0)
		r = reader_close(rd);
	else if (rd)
		log_error("%s", rd->why);
	reader_free(rd);
	if (r < 0) {
		fprintf(stderr, "lifeboat: restore --replace: backup %s %s is not whole; the live database is untouched\n",
			job->name, e->id);
		return r;
	}
	r = dbconn_open(job, NULL, &my);
	if (r < 0)
		return r;
	sbuf_adds(&q, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ");
	sql_add_string(&q, db, strlen(db));
	r = query(my, &q, job->name);
	if (r == 0 && (res = mysql_store_result(my))) {
		if ((row = mysql_fetch_row(res)) && row[0] && row[1]) {
			snprintf(cs, sizeof(cs), "%s", row[0]);
			snprintf(coll, sizeof(coll), "%s", row[1]);
		}
		mysql_free_result(res);
	}
	if (r == 0) {
		sbuf_reset(&q);
		sbuf_adds(&q, "DROP DATABASE IF EXISTS ");
		sql_add_ident(&q, db);
		r = query(my, &q, job->name);
	}
	if (r == 0) {
		sbuf_reset(&q);
		sbuf_adds(&q, "CREATE DATABASE ");
		sql_add_ident(&q, db);
		if (*cs && *coll) {
			sbuf_adds(&q, " CHARACTER SET ");
			sql_add_ident(&q, cs);
			sbuf_adds(&q, " COLLATE ");
			sql_add_ident(&q, coll);
		}
		r = query(my, &q, job->name);
	}
	if (r == 0) {
		incident_journalf(inc, "restore --replace db emptied", "%s: database %s dropped and created empty (%s/%s)",
				  job->name, db, cs, coll);
		o.to_db = db;
		r = dbrestore_run(my, &o, &stats);
	}
	mysql_close(my);
	sbuf_free(&q);
	if (r < 0) {
		incident_journalf(inc, "restore --replace failed", "db %s %s into %s: %s (see the log); the live content is in the evidence dump",
				  job->name, e->id, db, strerror(-r));
		return r;
	}
	fprintf(out, "database %s is now backup %s %s: %llu tables, %llu rows; what it held is in the incident's evidence dump\n",
		db, job->name, e->id, (unsigned long long)stats.tables, (unsigned long long)stats.rows);
	incident_journalf(inc, "restore --replace db", "%s %s imported into the emptied database %s: %llu tables, %llu rows checked",
			  job->name, e->id, db, (unsigned long long)stats.tables, (unsigned long long)stats.rows);
	return 0;
}

/* ---- the guard ------------------------------------------------------------------- */

int incident_replace(const struct config *cfg, const struct job *job, struct store *st,
		     const struct store_entry *e, bool without_evidence, FILE *out)
{
	struct incident inc;
	char sid[STORE_ID_MAX], why[300];
	int r;

	if (job->kind != JOB_FILES && job->kind != JOB_DB) {
		fprintf(stderr, "lifeboat: restore --replace is for files and db jobs; %s is a %s job\n", job->name,
			job_kind_name(job->kind));
		return -EINVAL;
	}
	r = incident_load(cfg, NULL, &inc);
	if (r == -ENOENT) {
		if (!without_evidence) {
			fprintf(stderr, "lifeboat: restore --replace: no incident is open. Run `lifeboat incident open` first: it captures the evidence this restore would erase (or add --without-evidence)\n");
			return -EPERM;
		}
		incident_free(&inc);
		r = incident_create(cfg, time(NULL), &inc);
		if (r == 0)
			incident_journal(&inc, "incident opened", "by restore --replace --without-evidence: no evidence captured");
	}
	if (r < 0) {
		incident_free(&inc);
		return r;
	}
	if (!incident_evidence_complete(&inc)) {
		if (!without_evidence) {
			fprintf(stderr, "lifeboat: restore --replace: the evidence of incident %s is not complete; run `lifeboat incident resume` first (or add --without-evidence)\n",
				inc.stamp);
			incident_journalf(&inc, "restore --replace refused", "%s %s: the evidence is not complete", job->name, e->id);
			incident_free(&inc);
			return -EPERM;
		}
		incident_journalf(&inc, "restore --replace WITHOUT EVIDENCE",
				  "%s %s: the user chose --without-evidence; what is live now is replaced without a complete capture",
				  job->name, e->id);
	}
	if (incident_suggest(cfg, st, job, sid, why, sizeof(why)) == 0)
		fprintf(out, "suggested clean backup of %s: %s — %s%s\n", job->name, sid, why,
			strcmp(sid, e->id) ? "; restoring the one you named" : "");
	if (job->kind == JOB_FILES)
		r = replace_files(cfg, job, st, e, &inc, out);
	else
		r = replace_db(job, st, e, &inc, out);
	incident_free(&inc);
	return r;
}

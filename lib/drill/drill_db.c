/*
 * drill_db — a drill's check of a restored db dump: the scratch database's
 * tables are read back by the dump's own code (dbdump_recompute), and each
 * table's row count and row checksum, the set of tables, and the counts of
 * views, triggers, routines and events must be what the dump's record says.
 * The first difference names the table.  Also the scratch database's name
 * and its removal: only a database whose name starts "lifeboat_drill_" is
 * ever dropped.
 *
 * What it does not do: restore (the db kind's restore op does, into the
 * database this file names) or compare anything the record does not hold
 * (the data of a table whose row checksum matches is the data dumped).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <mysql.h>

#include "dbconn.h"
#include "dbdump.h"
#include "drill_int.h"
#include "log.h"
#include "sha256.h"
#include "sqltext.h"

void drill_db_name(const char *job, char out[65])
{
	struct sha256 h;
	char hex[SHA256_HEX_LEN + 1];

	if (strlen(DRILL_PREFIX) + strlen(job) <= 64) {
		snprintf(out, 65, DRILL_PREFIX "%s", job);
		return;
	}
	/* Too long for a database name: a prefix of the job's name and a hash of it all. */
	if (sha256_init(&h) == 0) {
		sha256_update(&h, job, strlen(job));
		sha256_final_hex(&h, hex);
	} else {
		snprintf(hex, sizeof(hex), "00000000");
	}
	snprintf(out, 65, DRILL_PREFIX "%.40s_%.8s", job, hex);
}

int drill_db_drop(const struct drill_one *d)
{
	struct sbuf q = { 0 };
	MYSQL *my;
	int r;

	if (strncmp(d->database, DRILL_PREFIX, strlen(DRILL_PREFIX)) != 0) {
		log_error("drill %s: refusing to drop database '%s': not a drill's scratch database", d->k->job->name,
			  d->database);
		return -EINVAL;
	}
	r = dbconn_open(d->job, d->job->db.restore_host, &my);
	if (r < 0)
		return r;
	sbuf_adds(&q, "DROP DATABASE IF EXISTS ");
	sql_add_ident(&q, d->database);
	if (q.err) {
		r = q.err;
	} else if (mysql_real_query(my, q.data, q.len) != 0) {
		log_error("drill %s: cannot drop the scratch database %s: %s (the next drill drops it)",
			  d->k->job->name, d->database, mysql_error(my));
		r = -EIO;
	}
	sbuf_free(&q);
	mysql_close(my);
	return r;
}

static const json_t *table_named(const json_t *tables, const char *name)
{
	const json_t *t;
	size_t i;

	json_array_foreach(tables, i, t)
		if (strcmp(json_string_value(json_object_get(t, "table")) ?: "", name) == 0)
			return t;
	return NULL;
}

/* RECORD's facts against GOT's (recomputed): the first difference into D. */
static void compare_facts(struct drill_one *d, const json_t *want, const json_t *got)
{
	static const char *const counts[] = { "views", "triggers", "routines", "events" };
	const json_t *wt = json_object_get(want, "tables"), *gt = json_object_get(got, "tables"), *t;
	uint64_t rows = 0, sums = 0;
	size_t i;

	json_array_foreach(wt, i, t) {
		const char *db = json_string_value(json_object_get(t, "database")) ?: "?";
		const char *name = json_string_value(json_object_get(t, "table")) ?: "";
		const char *sum = json_string_value(json_object_get(t, "checksum"));
		json_int_t nrows = json_integer_value(json_object_get(t, "rows"));
		const json_t *g = table_named(gt, name);

		if (!g) {
			drill_differs(d, "table %s.%s: missing from the restored copy", db, name);
			continue;
		}
		if (json_integer_value(json_object_get(g, "rows")) != nrows)
			drill_differs(d, "table %s.%s: %" JSON_INTEGER_FORMAT " rows restored, the record says %" JSON_INTEGER_FORMAT,
				      db, name, json_integer_value(json_object_get(g, "rows")), nrows);
		else if (!sum || strcmp(sum, json_string_value(json_object_get(g, "checksum")) ?: "") != 0)
			drill_differs(d, "table %s.%s: the restored rows' checksum %.16s... is not the record's %.16s...",
				      db, name, json_string_value(json_object_get(g, "checksum")) ?: "-", sum ? sum : "-");
		rows += (uint64_t)nrows;
		sums++;
	}
	json_array_foreach(gt, i, t) {
		const char *name = json_string_value(json_object_get(t, "table")) ?: "";

		if (!table_named(wt, name))
			drill_differs(d, "table %s: in the restored copy but not in the record", name);
	}
	json_object_set_new(d->compared, "tables", json_integer((json_int_t)json_array_size(wt)));
	json_object_set_new(d->compared, "rows", json_integer((json_int_t)rows));
	json_object_set_new(d->compared, "checksums", json_integer((json_int_t)sums));
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		json_int_t w = json_integer_value(json_object_get(want, counts[i]));
		json_int_t g = json_integer_value(json_object_get(got, counts[i]));

		if (w != g)
			drill_differs(d, "%s: %" JSON_INTEGER_FORMAT " restored, the record says %" JSON_INTEGER_FORMAT,
				      counts[i], g, w);
		json_object_set_new(d->compared, counts[i], json_integer(w));
	}
}

int drill_db_compare(struct drill_one *d)
{
	const json_t *facts = json_object_get(d->e.record, "db");
	json_t *got = NULL;
	MYSQL *my;
	int r;

	if (!json_is_object(facts))
		return drill_differs(d, "the record does not describe a db dump");
	r = dbconn_open(d->job, d->job->db.restore_host, &my);
	if (r < 0)
		return r;
	r = dbdump_recompute(my, d->job, d->database, &got);
	mysql_close(my);
	if (r < 0)
		return r;
	compare_facts(d, facts, got);
	json_decref(got);
	return 0;
}

/*
 * dbcanary — the db kind's canary for the adaptive throttle (adapt.h): a
 * primary-key lookup of a random row, timed, on a connection of its own.
 *
 * A random row, not the one the dump just read: the dump's pages are hot in
 * the buffer pool, a site's rows are wherever they are, so a random lookup
 * sees what a site query sees, the buffer-pool misses and the disk's queue
 * included.  The table is the largest of the job's tables whose primary key
 * starts with an integer column, chosen when the canary opens, before the
 * dump starts, and kept for the whole run: the baseline measured before the
 * dump is of the same lookups as every window after it (a canary that
 * followed the dump from table to table would compare a small table's hits
 * with a big table's misses).  The canary asks the server for the least and
 * greatest key (two index dives), then each lookup reads the first row at or
 * after a random value between them.  A job with no such table has no
 * canary signal (the record shows no canary queries).  Names come from the
 * site's schema: they are quoted as identifiers, and the value is a number
 * we made.
 *
 * The data path for the device latency signal is the server's datadir, when
 * the server is on this host.
 *
 * What it does not do: judge the latency (adapt.c), or read any row's data
 * beyond the key.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>

#include "dbcanary.h"
#include "dbconn.h"
#include "log.h"
#include "monoclock.h"
#include "sqltext.h"

struct dbcanary {
	const struct job *job;
	MYSQL *my;
	struct sbuf query;		/* the lookup, up to the random value */
	struct sbuf order;		/* what follows the value */
	bool have;			/* a table to look in */
	int64_t lo, hi;
	unsigned seed;
};

static bool parse_int(const char *s, int64_t *v)
{
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0';
}

static void add_table(struct sbuf *b, const char *db, const char *table)
{
	sql_add_ident(b, db);
	sbuf_adds(b, ".");
	sql_add_ident(b, table);
}

/* The job's largest table with an integer-led primary key: DB, TABLE, KEY
 * (the caller frees them).  false: none, or the question failed. */
static bool choose_table(struct dbcanary *c, char **db, char **table, char **key)
{
	const struct strlist *dbs = &c->job->db.databases;
	struct sbuf q = { 0 };
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	bool ok = false;

	sbuf_adds(&q, "SELECT t.TABLE_SCHEMA, t.TABLE_NAME, k.COLUMN_NAME FROM information_schema.TABLES t "
		  "JOIN information_schema.STATISTICS k ON k.TABLE_SCHEMA = t.TABLE_SCHEMA "
		  "AND k.TABLE_NAME = t.TABLE_NAME AND k.INDEX_NAME = 'PRIMARY' AND k.SEQ_IN_INDEX = 1 "
		  "JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = k.TABLE_SCHEMA "
		  "AND c.TABLE_NAME = k.TABLE_NAME AND c.COLUMN_NAME = k.COLUMN_NAME "
		  "WHERE t.TABLE_TYPE = 'BASE TABLE' "
		  "AND c.DATA_TYPE IN ('tinyint', 'smallint', 'mediumint', 'int', 'bigint') AND t.TABLE_SCHEMA ");
	if (dbs->n == 1 && strcmp(dbs->v[0], "*") == 0) {
		sbuf_adds(&q, "NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')");
	} else {
		sbuf_adds(&q, "IN (");
		for (size_t i = 0; i < dbs->n; i++) {
			if (i)
				sbuf_adds(&q, ", ");
			sql_add_string(&q, dbs->v[i], strlen(dbs->v[i]));
		}
		sbuf_adds(&q, ")");
	}
	sbuf_adds(&q, " ORDER BY t.DATA_LENGTH DESC LIMIT 1");
	if (!q.err && mysql_real_query(c->my, q.data, q.len) == 0 && (res = mysql_store_result(c->my))) {
		row = mysql_fetch_row(res);
		if (row && row[0] && row[1] && row[2]) {
			*db = strdup(row[0]);
			*table = strdup(row[1]);
			*key = strdup(row[2]);
			ok = *db && *table && *key;
		}
		mysql_free_result(res);
	}
	sbuf_free(&q);
	return ok;
}

/* The lookup's text and the key's range, for DB.TABLE by KEY. */
static bool aim(struct dbcanary *c, const char *db, const char *table, const char *key)
{
	struct sbuf q = { 0 };
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool ok = false;

	sbuf_adds(&q, "SELECT MIN(");
	sql_add_ident(&q, key);
	sbuf_adds(&q, "), MAX(");
	sql_add_ident(&q, key);
	sbuf_adds(&q, ") FROM ");
	add_table(&q, db, table);
	if (!q.err && mysql_real_query(c->my, q.data, q.len) == 0 && (res = mysql_store_result(c->my))) {
		row = mysql_fetch_row(res);
		ok = row && parse_int(row[0], &c->lo) && parse_int(row[1], &c->hi) && c->lo <= c->hi;
		mysql_free_result(res);
	}
	sbuf_free(&q);
	if (!ok)
		return false;
	sbuf_adds(&c->query, "SELECT ");
	sql_add_ident(&c->query, key);
	sbuf_adds(&c->query, " FROM ");
	add_table(&c->query, db, table);
	sbuf_adds(&c->query, " WHERE ");
	sql_add_ident(&c->query, key);
	sbuf_adds(&c->query, " >= ");
	sbuf_adds(&c->order, " ORDER BY ");
	sql_add_ident(&c->order, key);
	sbuf_adds(&c->order, " LIMIT 1");
	return !c->query.err && !c->order.err;
}

static int canary_open(const struct job *job, void **state)
{
	struct dbcanary *c = calloc(1, sizeof(*c));
	char *db = NULL, *table = NULL, *key = NULL;
	int r;

	if (!c) {
		log_error("job %s: out of memory", job->name);
		return -ENOMEM;
	}
	c->job = job;
	c->seed = (unsigned)(monoclock_now() * 1e6);
	r = dbconn_open(job, NULL, &c->my);
	if (r < 0) {
		free(c);
		return r;
	}
	/* A canary stuck behind a lock must not hold the measuring thread, nor
	 * the job, which waits for its baseline: a table someone holds a
	 * LOCK TABLES ... WRITE on makes a statement wait for its metadata lock
	 * (a year by default), so the wait ends after a second; MariaDB ends a
	 * slow query after a second too (an older server refuses that, so
	 * apart: a refusal leaves the first in place). */
	mysql_query(c->my, "SET SESSION lock_wait_timeout = 1");
	mysql_query(c->my, "SET SESSION max_statement_time = 1");
	if (choose_table(c, &db, &table, &key)) {
		c->have = aim(c, db, table, key);
		if (c->have)
			log_debug("job %s: the throttle's canary looks up random rows of %s.%s", job->name, db,
				  table);
		else
			log_warn("job %s: the throttle's canary cannot read the key range of %s.%s (%s); "
				 "the throttle goes on without it", job->name, db, table, mysql_error(c->my));
	}
	free(db);
	free(table);
	free(key);
	*state = c;
	return 0;
}

static int canary_sample(void *state, double *seconds)
{
	struct dbcanary *c = state;
	struct sbuf q = { 0 };
	uint64_t span, pick;
	MYSQL_RES *res;
	double t0;
	int r = 0;

	if (!c->have)
		return 1;
	span = (uint64_t)c->hi - (uint64_t)c->lo;
	pick = ((uint64_t)rand_r(&c->seed) << 31 | (uint64_t)rand_r(&c->seed)) % (span == UINT64_MAX ? span : span + 1);
	sbuf_add(&q, c->query.data, c->query.len);
	sbuf_addf(&q, "%" PRId64, (int64_t)((uint64_t)c->lo + pick));
	sbuf_add(&q, c->order.data, c->order.len);
	if (q.err) {
		sbuf_free(&q);
		return -ENOMEM;
	}
	t0 = monoclock_now();
	if (mysql_real_query(c->my, q.data, q.len) != 0 || !(res = mysql_store_result(c->my)))
		r = -EIO;
	else
		mysql_free_result(res);
	*seconds = monoclock_now() - t0;
	sbuf_free(&q);
	return r;
}

static int canary_activity(void *state, double *statements)
{
	struct dbcanary *c = state;
	MYSQL_RES *res;
	MYSQL_ROW row;
	int r = -EIO;

	if (mysql_query(c->my, "SHOW GLOBAL STATUS LIKE 'Questions'") != 0 || !(res = mysql_store_result(c->my)))
		return -EIO;
	row = mysql_fetch_row(res);
	if (row && row[1]) {
		*statements = strtod(row[1], NULL);
		r = 0;
	}
	mysql_free_result(res);
	return r;
}

static void canary_close(void *state)
{
	struct dbcanary *c = state;

	if (!c)
		return;
	mysql_close(c->my);
	sbuf_free(&c->query);
	sbuf_free(&c->order);
	free(c);
}

const struct throttle_canary_def dbcanary_def = {
	.name = "primary-key lookup of a random row",
	.open = canary_open,
	.sample = canary_sample,
	.activity = canary_activity,
	.close = canary_close,
};

bool dbcanary_data_path(const struct job *job, void *canary_state, char *buf, size_t len)
{
	struct dbcanary *c = canary_state;
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool ok = false;

	if (!c || !dbconn_is_local(job))
		return false;
	if (mysql_query(c->my, "SELECT @@datadir") != 0 || !(res = mysql_store_result(c->my)))
		return false;
	row = mysql_fetch_row(res);
	if (row && row[0] && *row[0])
		ok = (size_t)snprintf(buf, len, "%s", row[0]) < len;
	mysql_free_result(res);
	return ok;
}

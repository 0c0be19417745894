/*
 * dbdump — a consistent SQL dump of chosen databases, over libmysqlclient.
 *
 * Why not mysqldump: we need to pause between chunks of rows (throttling),
 * to hash each table's rows as they are written (the record's checksums that
 * a drill can recompute), and to know exactly which object failed.
 *
 * Consistency.  One connection, REPEATABLE READ, START TRANSACTION WITH
 * CONSISTENT SNAPSHOT: every InnoDB table is read as of one instant, with no
 * lock, and MariaDB reports the binlog position of that instant
 * (binlog_snapshot_file/position).  Non-transactional tables (MyISAM, Aria,
 * ...) are not covered by a snapshot, so with `lock = auto` a dump that has
 * some takes FLUSH TABLES WITH READ LOCK, starts the snapshot, dumps those
 * tables first and unlocks: the lock lasts as long as the MyISAM data takes,
 * never the InnoDB data.  `lock = all` holds it for the whole dump,
 * `lock = none` never takes it (the record says the MyISAM tables may be
 * inconsistent).
 *
 * Order of the output, so that the plain mysql client restores it:
 *   header (utf8mb4, time zone +00:00, the data sql_mode, no FK or unique checks)
 *   per database: CREATE DATABASE IF NOT EXISTS + USE, each table's
 *     DROP/CREATE and data (multi-row INSERTs of at most ~1 MiB) and its
 *     triggers, a placeholder view per view (right column names, so views
 *     on views can be created in any order), events, routines
 *   per database: the real views, replacing the placeholders
 *   footer, and the trailer line DBDUMP_TRAILER (a truncated dump lacks it).
 * Triggers, routines and events carry their own sql_mode, character set
 * context and definer, as SHOW CREATE gives them.
 *
 * Format 2 (sqlsplit.h): the sandbox line first; every statement one line
 * ending in ";", or, when a name in it holds a newline, a DELIMITER block
 * whose delimiter occurs nowhere in it; no text from the server where a
 * client or the server could read it as SQL: definitions are escaped
 * literals run by EXECUTE IMMEDIATE (emit_object), names in comment lines
 * are sanitised, no name is inside an executable comment.  So the restore
 * cuts statements without lexing them, and the plain client cannot be led
 * to a client command or a statement of the attacker's.
 *
 * Rows are read in ranges of chunk_rows along the primary key (or a unique
 * key on NOT NULL columns) with keyset pagination, so the dump can pause
 * between chunks (with opts->chunk_bytes, ranges of about that many bytes of
 * SQL instead, at most chunk_rows rows); a table with no such key is
 * streamed in one pass.  Each result is read with mysql_use_result, so
 * memory holds one row, one pending statement and one output buffer: never a
 * table.
 *
 * Exactness.  Tables and rows are restored under DBDUMP_DATA_SQL_MODE,
 * which takes every value a permissive mode let the server store (invalid
 * and zero dates).  A sequence is written as SHOW CREATE SEQUENCE gives it
 * (start, bounds, increment, cache, cycle), then SETVAL to its next uncached
 * value and cycle count.  A system-versioned table is read FOR SYSTEM_TIME
 * ALL with its row start and end (implicit ones are ROW_START and ROW_END),
 * in key ranges along its key plus the row end, and inserted under
 * system_versioning_insert_history = 1 (MariaDB 10.11+; an older server stops
 * the restore there).  One versioned by transaction id cannot be: its current
 * rows are dumped, and the record counts the history rows left out.
 *
 * Values: numbers as the server prints them, except FLOAT, read as a DOUBLE
 * (x * 1e0) because the server prints FLOAT with 6 digits, which does not
 * read back to the same float; BIT as b'...'; binary strings, BLOBs and
 * geometry as hex; everything else as an escaped string.  Generated columns
 * are left out of INSERTs.
 *
 * The checksum of a table is the SHA-256 of its rows as written, "(v1,v2,...)"
 * one after another in dump order; dumping a restored table gives the same.
 * dbdump_recompute() is that: a drill reads a restored database through the
 * very code that wrote the dump (rows, triggers, routines, events), with the
 * SQL thrown away, and compares the facts with the dump's record.
 *
 * What it does not do: compress, throttle (it calls between_chunks), write
 * files, or dump the system schemas (mysql, sys, information_schema,
 * performance_schema), users or grants.
 */
#include "dbdump.h"

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "sha256.h"
#include "sqlsplit.h"
#include "sqltext.h"
#include "timefmt.h"

/* Output buffered before it is handed on.  Small, so that a paced job's
 * throttle (called from the write) comes round every few tens of
 * microseconds of work; a larger buffer saved no measurable CPU. */
#define FLUSH_AT	(16 * 1024)
#define ROW_GUESS	256		/* bytes a row, before a table's first chunk says */
#define STMT_MAX	(1024 * 1024)	/* an INSERT is closed past this size */
#define STREAM_PROGRESS	10000		/* rows between progress calls when streaming */

static const char *const system_schemas[] = {
	"mysql", "information_schema", "performance_schema", "sys",
};

static const char *const nontx_engines[] = {
	"MyISAM", "Aria", "MEMORY", "CSV", "ARCHIVE", "MRG_MyISAM", "MRG_MYISAM", "BLACKHOLE",
};

enum obj_type { OBJ_TABLE, OBJ_VIEW, OBJ_SEQUENCE };

struct table {
	char *db;			/* schema name */
	char *name;			/* table name */
	char *engine;			/* storage engine, "" for views */
	enum obj_type type;
	bool nontx;			/* engine without MVCC snapshots */
	bool versioned;			/* WITH SYSTEM VERSIONING */
	uint64_t est_bytes;		/* data + index length from information_schema */
};

/* How a column's values are written. */
enum vkind { VK_NUMBER, VK_BITS, VK_HEX, VK_STRING };

struct column {
	char *name;
	bool is_float;			/* FLOAT: read as DOUBLE */
	bool is_enum_set;		/* ENUM or SET: sorts by index, compares as text */
	bool generated;			/* not inserted */
	int period;			/* 1: ROW START, 2: ROW END of system versioning, else 0 */
};

struct dump {
	MYSQL *my;
	const struct dbdump_opts *o;
	const char *job;		/* job name, for messages */
	struct sbuf out;		/* SQL not yet handed to o->write */
	struct sbuf q;			/* query being built */
	struct sbuf row;		/* the row being formatted */
	uint64_t produced;		/* SQL bytes produced (handed on or buffered) */
	struct dbdump_progress prog;
	struct table *tables;		/* every chosen table and view, by db then name */
	size_t ntables;
	struct strlist dbs;		/* chosen databases, sorted */
	json_t *facts;			/* the record's "db" object, being filled */
	json_t *jtables;		/* its "tables" array (borrowed from facts) */
	unsigned nviews, ntriggers, nroutines, nevents;
	bool all_tables;		/* every table of dbs (dbdump_recompute): no excludes */
};

/* ---- output ---------------------------------------------------------------- */

static int flush_out(struct dump *d)
{
	int r;

	if (d->out.err) {
		log_error("job %s: out of memory while dumping", d->job);
		return d->out.err;
	}
	if (d->out.len == 0)
		return 0;
	r = d->o->write(d->o->write_ctx, d->out.data, d->out.len);
	sbuf_reset(&d->out);
	return r;
}

static int emit(struct dump *d, const char *s, size_t len)
{
	sbuf_add(&d->out, s, len);
	d->produced += len;
	if (d->out.len >= FLUSH_AT)
		return flush_out(d);
	return d->out.err;
}

static int emits(struct dump *d, const char *s)
{
	return emit(d, s, strlen(s));
}

static void progress(struct dump *d)
{
	d->prog.bytes = d->produced;
	if (d->o->progress)
		d->o->progress(d->o->progress_ctx, &d->prog);
}

/* A name as it may appear in a "-- " comment line: a newline in a table name
 * must not end the comment and turn the rest of the name into SQL, and a
 * backslash must not look like a client command ("\g", "\u") to a client
 * that reads comments differently; both become '?'. */
static void add_comment_name(struct sbuf *b, const char *name)
{
	for (const char *p = name ? name : "?"; *p; p++) {
		char c = (unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\' ? '?' : *p;

		sbuf_add(b, &c, 1);
	}
}

/* A delimiter for a DELIMITER block around TEXT that occurs nowhere in it:
 * ";;", else ";;1", ";;2", ... (one of the first LEN + 1 is absent). */
static void pick_delimiter(const char *text, size_t len, char out[32])
{
	strcpy(out, ";;");
	for (unsigned n = 1; memmem(text, len, out, strlen(out)); n++)
		snprintf(out, 32, ";;%u", n);
}

/* Emits the statement in B (built by this file, without its ";"): one line,
 * or, when a name in it holds a newline, a DELIMITER block whose closing
 * line occurs nowhere in it (see sqlsplit.h for the format). */
static int emit_stmt(struct dump *d, struct sbuf *b)
{
	char delim[32];
	int r;

	if (b->err)
		return b->err;
	if (!memchr(b->data, '\n', b->len)) {
		r = emit(d, b->data, b->len);
		return r ? r : emit(d, ";\n", 2);
	}
	pick_delimiter(b->data, b->len, delim);
	r = emits(d, "DELIMITER ");
	if (r == 0)
		r = emits(d, delim);
	if (r == 0)
		r = emit(d, "\n", 1);
	if (r == 0)
		r = emit(d, b->data, b->len);
	if (r == 0)
		r = emit(d, "\n", 1);
	if (r == 0)
		r = emits(d, delim);
	return r ? r : emits(d, "\nDELIMITER ;\n");
}

/* A character set or collation name as the server reports it: plain. */
static bool plain_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	}
	return true;
}

/* An integer as the server prints it. */
static bool plain_number(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
	}
	return true;
}

/* ---- queries ---------------------------------------------------------------- */

/* Runs the query in d->q; WHAT names the object for the error message. */
static int run_query(struct dump *d, const char *what)
{
	if (d->q.err) {
		log_error("job %s: out of memory", d->job);
		return d->q.err;
	}
	if (mysql_real_query(d->my, d->q.data, d->q.len) == 0)
		return 0;
	log_error("job %s: %s: %s", d->job, what, mysql_error(d->my));
	return -EIO;
}

/* Runs d->q and stores its (small) result. */
static int query_store(struct dump *d, const char *what, MYSQL_RES **res)
{
	int r = run_query(d, what);

	if (r < 0)
		return r;
	*res = mysql_store_result(d->my);
	if (!*res) {
		log_error("job %s: %s: %s", d->job, what,
			  mysql_errno(d->my) ? mysql_error(d->my) : "no result");
		return -EIO;
	}
	return 0;
}

static int exec(struct dump *d, const char *sql)
{
	sbuf_reset(&d->q);
	sbuf_adds(&d->q, sql);
	return run_query(d, sql);
}

/* Index of the column called NAME in a result, or -1. */
static int field_index(MYSQL_RES *res, const char *name)
{
	MYSQL_FIELD *f = mysql_fetch_fields(res);
	unsigned n = mysql_num_fields(res);

	for (unsigned i = 0; i < n; i++) {
		if (strcasecmp(f[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

/* ---- choosing what to dump ---------------------------------------------------- */

static bool is_system_schema(const char *db)
{
	for (size_t i = 0; i < sizeof(system_schemas) / sizeof(system_schemas[0]); i++) {
		if (strcmp(db, system_schemas[i]) == 0)
			return true;
	}
	return false;
}

static bool engine_is_nontx(const char *engine)
{
	for (size_t i = 0; i < sizeof(nontx_engines) / sizeof(nontx_engines[0]); i++) {
		if (strcasecmp(engine, nontx_engines[i]) == 0)
			return true;
	}
	return false;
}

static bool excluded(const struct dump *d, const char *db, const char *table)
{
	const struct strlist *ex = &d->o->job->db.exclude_tables;
	char full[1024];

	if (d->all_tables)
		return false;
	snprintf(full, sizeof(full), "%s.%s", db, table);
	for (size_t i = 0; i < ex->n; i++) {
		if (fnmatch(ex->v[i], full, 0) == 0)
			return true;
	}
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int choose_databases(struct dump *d)
{
	const struct strlist *want = &d->o->job->db.databases;
	struct strlist present = { 0 };
	MYSQL_RES *res;
	MYSQL_ROW row;
	int r = 0;

	if (exec(d, "SHOW DATABASES") < 0)
		return -EIO;
	res = mysql_store_result(d->my);
	if (!res)
		return -EIO;
	while ((row = mysql_fetch_row(res)))
		strlist_append(&present, row[0]);
	mysql_free_result(res);

	if (want->n == 1 && strcmp(want->v[0], "*") == 0) {
		for (size_t i = 0; i < present.n; i++) {
			if (!is_system_schema(present.v[i]))
				strlist_append(&d->dbs, present.v[i]);
		}
	} else {
		for (size_t i = 0; i < want->n; i++) {
			bool found = false;

			for (size_t j = 0; j < present.n && !found; j++)
				found = strcmp(want->v[i], present.v[j]) == 0;
			if (!found) {
				log_error("job %s: database '%s' does not exist on the server (or the account cannot see it)",
					  d->job, want->v[i]);
				r = -ENOENT;
			}
			strlist_append(&d->dbs, want->v[i]);
		}
	}
	strlist_free(&present);
	if (r == 0 && d->dbs.n == 0) {
		log_error("job %s: no database to dump (databases = *, and the server has only system schemas)",
			  d->job);
		r = -ENOENT;
	}
	if (d->dbs.n > 1)
		qsort(d->dbs.v, d->dbs.n, sizeof(char *), cmp_str);
	return r;
}

static int add_table(struct dump *d, char **row)
{
	struct table *v, *t;

	v = realloc(d->tables, (d->ntables + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	d->tables = v;
	t = &v[d->ntables];
	memset(t, 0, sizeof(*t));
	t->db = strdup(row[0]);
	t->name = strdup(row[1]);
	t->engine = strdup(row[3] ? row[3] : "");
	if (!t->db || !t->name || !t->engine) {
		free(t->db);
		free(t->name);
		free(t->engine);
		return -ENOMEM;
	}
	d->ntables++;
	if (strcmp(row[2], "VIEW") == 0)
		t->type = OBJ_VIEW;
	else if (strcmp(row[2], "SEQUENCE") == 0)
		t->type = OBJ_SEQUENCE;
	else
		t->type = OBJ_TABLE;
	t->versioned = strcmp(row[2], "SYSTEM VERSIONED") == 0;
	t->nontx = t->type == OBJ_TABLE && engine_is_nontx(t->engine);
	t->est_bytes = row[4] ? strtoull(row[4], NULL, 10) : 0;
	return 0;
}

static int choose_tables(struct dump *d)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	int r = 0;

	sbuf_reset(&d->q);
	sbuf_adds(&d->q, "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE, "
		  "COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0) "
		  "FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (");
	for (size_t i = 0; i < d->dbs.n; i++) {
		if (i)
			sbuf_adds(&d->q, ",");
		sql_add_string(&d->q, d->dbs.v[i], strlen(d->dbs.v[i]));
	}
	sbuf_adds(&d->q, ") ORDER BY TABLE_SCHEMA, TABLE_NAME");
	if (query_store(d, "listing tables", &res) < 0)
		return -EIO;
	while ((row = mysql_fetch_row(res)) && r == 0) {
		if (strcmp(row[2], "SYSTEM VIEW") == 0 || excluded(d, row[0], row[1]))
			continue;
		r = add_table(d, row);
		if (r == 0)
			d->prog.estimated_bytes += d->tables[d->ntables - 1].est_bytes;
	}
	mysql_free_result(res);
	if (r < 0)
		log_error("job %s: out of memory listing tables", d->job);
	return r;
}

/* ---- the session and the snapshot ------------------------------------------- */

static int setup_session(struct dump *d)
{
	static const char *const stmts[] = {
		"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
		"SET NAMES utf8mb4",
		"SET SESSION time_zone = '+00:00'",
		/* SHOW CREATE must quote with backticks, whatever the server's default mode. */
		"SET SESSION sql_mode = ''",
		"SET SESSION sql_quote_show_create = 1",
		/* A throttled dump is idle between chunks for a while. */
		"SET SESSION net_read_timeout = 3600",
		"SET SESSION net_write_timeout = 3600",
		"SET SESSION wait_timeout = 86400",
		"/*M!100100 SET SESSION max_statement_time = 0 */",
	};

	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
		if (exec(d, stmts[i]) < 0)
			return -EIO;
	}
	return 0;
}

/* The binlog coordinates of the snapshot just started. */
static int record_binlog(struct dump *d)
{
	char *file = NULL, *pos = NULL;
	MYSQL_RES *res;
	MYSQL_ROW row;
	json_t *b;

	if (exec(d, "SHOW GLOBAL VARIABLES LIKE 'log_bin'") < 0)
		return -EIO;
	res = mysql_store_result(d->my);
	row = res ? mysql_fetch_row(res) : NULL;
	if (!row || strcasecmp(row[1], "ON") != 0) {
		mysql_free_result(res);
		json_object_set_new(d->facts, "binlog", json_string("none"));
		return 0;
	}
	mysql_free_result(res);

	/* MariaDB: the position of the consistent snapshot, no lock needed. */
	if (exec(d, "SHOW STATUS LIKE 'binlog_snapshot_%'") < 0)
		return -EIO;
	res = mysql_store_result(d->my);
	while (res && (row = mysql_fetch_row(res))) {
		if (strcmp(row[0], "Binlog_snapshot_file") == 0 && row[1] && *row[1])
			file = strdup(row[1]);
		else if (strcmp(row[0], "Binlog_snapshot_position") == 0 && row[1])
			pos = strdup(row[1]);
	}
	mysql_free_result(res);
	if (file && pos) {
		b = json_pack("{s:s, s:I}", "file", file, "position", (json_int_t)strtoll(pos, NULL, 10));
		json_object_set_new(d->facts, "binlog", b);
	} else {
		/* MySQL has no snapshot position: what SHOW MASTER STATUS says is
		 * exact only under the global read lock. */
		json_object_set_new(d->facts, "binlog", json_string("unknown"));
	}
	free(file);
	free(pos);
	return 0;
}

/* Appends "SCHEMA_COL = 'db' AND TABLE_COL = 'name'" for T to an information_schema query. */
static void add_table_filter(struct sbuf *q, const char *schema_col, const char *table_col,
			     const struct table *t)
{
	sbuf_addf(q, "%s = ", schema_col);
	sql_add_string(q, t->db, strlen(t->db));
	sbuf_addf(q, " AND %s = ", table_col);
	sql_add_string(q, t->name, strlen(t->name));
}

/* ---- values ------------------------------------------------------------------ */

static enum vkind value_kind(const MYSQL_FIELD *f)
{
	switch (f->type) {
	case MYSQL_TYPE_BIT:
		return VK_BITS;
	case MYSQL_TYPE_GEOMETRY:
		return VK_HEX;
	case MYSQL_TYPE_STRING:
	case MYSQL_TYPE_VAR_STRING:
	case MYSQL_TYPE_VARCHAR:
	case MYSQL_TYPE_TINY_BLOB:
	case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB:
	case MYSQL_TYPE_BLOB:
		return f->charsetnr == 63 ? VK_HEX : VK_STRING;
	default:
		return IS_NUM(f->type) ? VK_NUMBER : VK_STRING;
	}
}

static void add_value(struct sbuf *b, enum vkind kind, const char *v, unsigned long len)
{
	if (!v) {
		sbuf_add(b, "NULL", 4);
		return;
	}
	switch (kind) {
	case VK_NUMBER:
		sbuf_add(b, v, len);
		break;
	case VK_BITS:
		sql_add_bits(b, (const unsigned char *)v, len);
		break;
	case VK_HEX:
		sql_add_hex(b, (const unsigned char *)v, len);
		break;
	case VK_STRING:
		sql_add_string(b, v, len);
		break;
	}
}

/* ---- table data ----------------------------------------------------------------- */

struct tabledump {
	struct column *cols;		/* every column, in table order */
	size_t ncols;
	size_t *dumped;			/* indexes of the columns that are inserted */
	size_t ndumped;
	char **key;			/* names of the key columns, or none */
	size_t nkey;
	size_t *key_pos;		/* position of each key column in the SELECT list */
	struct sbuf select;		/* "SELECT ... FROM `db`.`t`" */
	struct sbuf insert;		/* "INSERT INTO `t` (...) VALUES " */
	struct sbuf lastkey;		/* literals of the last row's key, NUL-separated */
	size_t *lastkey_off;		/* offset of each literal in lastkey */
	char delim[32];			/* "" or, when a name has a newline, the DELIMITER of each INSERT */
	bool history;			/* system-versioned by timestamp: every row version is dumped */
	bool trxid;			/* system-versioned by transaction id: history cannot be inserted */
};

static void tabledump_free(struct tabledump *td)
{
	for (size_t i = 0; i < td->ncols; i++)
		free(td->cols[i].name);
	free(td->cols);
	free(td->dumped);
	for (size_t i = 0; i < td->nkey; i++)
		free(td->key[i]);
	free(td->key);
	free(td->key_pos);
	free(td->lastkey_off);
	sbuf_free(&td->select);
	sbuf_free(&td->insert);
	sbuf_free(&td->lastkey);
}

/* A system-versioned table: its row start and end columns are dumped with
 * every row version (FOR SYSTEM_TIME ALL), as the history rows they are.
 * Implicit ones (WITH SYSTEM VERSIONING alone) are not in
 * information_schema.COLUMNS: they are ROW_START and ROW_END.  A table
 * versioned by transaction id is dumped with its current rows only: no
 * server can insert its history (the ids belong to the original server). */
static int load_period(const struct table *t, struct tabledump *td)
{
	static const char *const implicit[] = { "ROW_START", "ROW_END" };
	bool found = false;

	for (size_t i = 0; i < td->ncols; i++)
		found = found || td->cols[i].period;
	if (t->versioned && !found) {
		for (int p = 0; p < 2; p++) {
			td->cols[td->ncols].name = strdup(implicit[p]);
			if (!td->cols[td->ncols].name)
				return -ENOMEM;
			td->cols[td->ncols++].period = p + 1;
		}
	}
	td->history = t->versioned && !td->trxid;
	for (size_t i = 0; i < td->ncols; i++) {
		if (td->history && td->cols[i].period)
			td->cols[i].generated = false;
		if (!td->cols[i].generated)
			td->dumped[td->ndumped++] = i;
	}
	return 0;
}

static int load_columns(struct dump *d, const struct table *t, struct tabledump *td)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	char what[600];

	snprintf(what, sizeof(what), "table %s.%s: reading its columns", t->db, t->name);
	sbuf_reset(&d->q);
	sbuf_adds(&d->q, "SELECT COLUMN_NAME, DATA_TYPE, EXTRA, GENERATION_EXPRESSION "
		  "FROM information_schema.COLUMNS WHERE ");
	add_table_filter(&d->q, "TABLE_SCHEMA", "TABLE_NAME", t);
	sbuf_adds(&d->q, " ORDER BY ORDINAL_POSITION");
	if (query_store(d, what, &res) < 0)
		return -EIO;
	td->ncols = mysql_num_rows(res);
	/* Two more for the implicit ROW_START and ROW_END of a versioned table. */
	td->cols = calloc(td->ncols + 2, sizeof(*td->cols));
	td->dumped = calloc(td->ncols + 2, sizeof(size_t));
	if (!td->cols || !td->dumped) {
		mysql_free_result(res);
		return -ENOMEM;
	}
	for (size_t i = 0; (row = mysql_fetch_row(res)); i++) {
		td->cols[i].name = strdup(row[0]);
		if (!td->cols[i].name) {
			mysql_free_result(res);
			return -ENOMEM;
		}
		td->cols[i].is_float = strcasecmp(row[1], "float") == 0;
		td->cols[i].is_enum_set = strcasecmp(row[1], "enum") == 0 || strcasecmp(row[1], "set") == 0;
		td->cols[i].generated = row[2] && strstr(row[2], "GENERATED") != NULL;
		if (t->versioned && td->cols[i].generated && row[3]) {
			td->cols[i].period = strcmp(row[3], "ROW START") == 0 ? 1 :
					     strcmp(row[3], "ROW END") == 0 ? 2 : 0;
			if (td->cols[i].period && strcasecmp(row[1], "bigint") == 0)
				td->trxid = true;
		}
	}
	mysql_free_result(res);
	if (td->ncols == 0) {
		log_error("job %s: table %s.%s: no columns visible (missing privileges?)",
			  d->job, t->db, t->name);
		return -EACCES;
	}
	return load_period(t, td);
}

/* The primary key, else the first unique key over NOT NULL columns and without
 * prefix parts; none leaves the table to be streamed. */
static int load_key(struct dump *d, const struct table *t, struct tabledump *td)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	char what[600], *current = NULL;
	bool usable = false, chosen = false;
	struct strlist cols = { 0 };

	snprintf(what, sizeof(what), "table %s.%s: reading its keys", t->db, t->name);
	sbuf_reset(&d->q);
	sbuf_adds(&d->q, "SELECT INDEX_NAME, COLUMN_NAME, NULLABLE, SUB_PART FROM information_schema.STATISTICS "
		  "WHERE NON_UNIQUE = 0 AND ");
	add_table_filter(&d->q, "TABLE_SCHEMA", "TABLE_NAME", t);
	sbuf_adds(&d->q, " ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX");
	if (query_store(d, what, &res) < 0)
		return -EIO;
	while (!chosen && (row = mysql_fetch_row(res))) {
		if (!current || strcmp(current, row[0]) != 0) {
			if (current && usable && cols.n) {
				chosen = true;
				break;
			}
			free(current);
			current = strdup(row[0]);
			strlist_free(&cols);
			usable = true;
		}
		if ((row[2] && *row[2]) || row[3])
			usable = false;
		strlist_append(&cols, row[1]);
	}
	if (!chosen && current && usable && cols.n)
		chosen = true;
	mysql_free_result(res);
	free(current);
	/* Keyset paging needs ORDER BY and ">" to agree; on an ENUM or SET
	 * column they do not (index order versus text order), so such a table
	 * is streamed rather than chunked wrongly. */
	for (size_t k = 0; chosen && k < cols.n; k++) {
		for (size_t i = 0; i < td->ncols; i++) {
			if (td->cols[i].is_enum_set && strcmp(td->cols[i].name, cols.v[k]) == 0)
				chosen = false;
		}
	}
	/* With its history, a versioned table's key is unique only with the
	 * row end (implicit columns are not listed in its keys). */
	for (size_t i = 0; chosen && td->history && i < td->ncols; i++) {
		bool in = false;

		if (td->cols[i].period != 2)
			continue;
		for (size_t k = 0; k < cols.n; k++)
			in = in || strcmp(cols.v[k], td->cols[i].name) == 0;
		if (!in)
			strlist_append(&cols, td->cols[i].name);
	}
	if (chosen) {
		td->key = cols.v;
		td->nkey = cols.n;
	} else {
		strlist_free(&cols);
	}
	return 0;
}

static void add_column_expr(struct sbuf *b, const struct column *c)
{
	if (c->is_float) {
		sbuf_adds(b, "(");
		sql_add_ident(b, c->name);
		sbuf_adds(b, " * 1e0)");
	} else {
		sql_add_ident(b, c->name);
	}
}

/* Builds the SELECT list: inserted columns, then any key column that is not
 * inserted (a generated key column), so keyset paging can read it. */
static int build_statements(const struct table *t, struct tabledump *td)
{
	size_t nsel = td->ndumped;

	td->key_pos = calloc(td->nkey ? td->nkey : 1, sizeof(size_t));
	td->lastkey_off = calloc(td->nkey + 1, sizeof(size_t));
	if (!td->key_pos || !td->lastkey_off)
		return -ENOMEM;
	sbuf_adds(&td->select, "SELECT ");
	sbuf_adds(&td->insert, "INSERT INTO ");
	sql_add_ident(&td->insert, t->name);
	sbuf_adds(&td->insert, " (");
	for (size_t i = 0; i < td->ndumped; i++) {
		const struct column *c = &td->cols[td->dumped[i]];

		if (i) {
			sbuf_adds(&td->select, ", ");
			sbuf_adds(&td->insert, ",");
		}
		add_column_expr(&td->select, c);
		sql_add_ident(&td->insert, c->name);
	}
	sbuf_adds(&td->insert, ") VALUES ");
	for (size_t k = 0; k < td->nkey; k++) {
		size_t pos = SIZE_MAX;

		for (size_t i = 0; i < td->ndumped && pos == SIZE_MAX; i++) {
			if (strcmp(td->cols[td->dumped[i]].name, td->key[k]) == 0)
				pos = i;
		}
		if (pos == SIZE_MAX) {
			sbuf_adds(&td->select, ", ");
			sql_add_ident(&td->select, td->key[k]);
			pos = nsel++;
		}
		td->key_pos[k] = pos;
	}
	/* Rows never hold a raw newline (values are escaped), so only a name
	 * can put one in an INSERT; then each INSERT is a DELIMITER block. */
	if (memchr(td->insert.data, '\n', td->insert.len))
		pick_delimiter(td->insert.data, td->insert.len, td->delim);
	sbuf_adds(&td->select, " FROM ");
	sql_add_ident(&td->select, t->db);
	sbuf_adds(&td->select, ".");
	sql_add_ident(&td->select, t->name);
	if (td->history)
		sbuf_adds(&td->select, " FOR SYSTEM_TIME ALL");
	return td->select.err ? td->select.err : td->insert.err;
}

/* d->q = the SELECT of the next chunk after the key in td->lastkey. */
static void build_chunk_query(struct dump *d, struct tabledump *td, bool first, uint64_t limit)
{
	sbuf_reset(&d->q);
	sbuf_add(&d->q, td->select.data, td->select.len);
	if (td->nkey == 0)
		return;
	if (!first) {
		/* (k1, k2) > (v1, v2), spelled out so that every server uses the key's range. */
		sbuf_adds(&d->q, " WHERE ");
		for (size_t k = 0; k < td->nkey; k++) {
			sbuf_adds(&d->q, k ? " OR (" : "(");
			for (size_t j = 0; j <= k; j++) {
				if (j)
					sbuf_adds(&d->q, " AND ");
				sql_add_ident(&d->q, td->key[j]);
				sbuf_adds(&d->q, j == k ? " > " : " = ");
				sbuf_adds(&d->q, td->lastkey.data + td->lastkey_off[j]);
			}
			sbuf_adds(&d->q, ")");
		}
	}
	sbuf_adds(&d->q, " ORDER BY ");
	for (size_t k = 0; k < td->nkey; k++) {
		if (k)
			sbuf_adds(&d->q, ", ");
		sql_add_ident(&d->q, td->key[k]);
	}
	sbuf_addf(&d->q, " LIMIT %" PRIu64, limit);
}

static void remember_key(struct tabledump *td, MYSQL_ROW row, unsigned long *lens, const enum vkind *kinds)
{
	sbuf_reset(&td->lastkey);
	for (size_t k = 0; k < td->nkey; k++) {
		size_t p = td->key_pos[k];

		td->lastkey_off[k] = td->lastkey.len;
		add_value(&td->lastkey, kinds[p], row[p], lens[p]);
		sbuf_add(&td->lastkey, "", 1);	/* NUL separator */
	}
}

struct tablestats {
	uint64_t rows;
	struct sha256 hash;
	uint64_t queries;	/* SELECTs of its rows (chunks) */
	bool stmt_open;		/* an INSERT is open in the output */
	size_t stmt_len;	/* bytes of the open INSERT */
};

/* Ends the open INSERT: ";" at the end of its line, or its block's closing line. */
static int close_insert(struct dump *d, const struct tabledump *td)
{
	int r;

	if (!*td->delim)
		return emit(d, ";\n", 2);
	r = emit(d, "\n", 1);
	if (r == 0)
		r = emits(d, td->delim);
	return r ? r : emits(d, "\nDELIMITER ;\n");
}

static int write_row(struct dump *d, struct tabledump *td, struct tablestats *ts,
		     MYSQL_ROW row, unsigned long *lens, const enum vkind *kinds)
{
	int r;

	sbuf_reset(&d->row);
	sbuf_add(&d->row, "(", 1);
	for (size_t i = 0; i < td->ndumped; i++) {
		if (i)
			sbuf_add(&d->row, ",", 1);
		add_value(&d->row, kinds[i], row[i], lens[i]);
	}
	sbuf_add(&d->row, ")", 1);
	if (d->row.err)
		return d->row.err;
	sha256_update(&ts->hash, d->row.data, d->row.len);

	if (ts->stmt_open && ts->stmt_len + d->row.len > STMT_MAX) {
		r = close_insert(d, td);
		if (r < 0)
			return r;
		ts->stmt_open = false;
	}
	if (!ts->stmt_open) {
		r = 0;
		if (*td->delim) {
			r = emits(d, "DELIMITER ");
			if (r == 0)
				r = emits(d, td->delim);
			if (r == 0)
				r = emit(d, "\n", 1);
		}
		if (r == 0)
			r = emit(d, td->insert.data, td->insert.len);
		ts->stmt_open = true;
		ts->stmt_len = td->insert.len;
	} else {
		r = emit(d, ",", 1);
		ts->stmt_len++;
	}
	if (r == 0)
		r = emit(d, d->row.data, d->row.len);
	ts->stmt_len += d->row.len;
	ts->rows++;
	d->prog.rows++;
	d->prog.table_rows = ts->rows;
	return r;
}

/* Reads one result (a chunk, or the whole streamed table) and writes its rows. */
static int dump_result(struct dump *d, const struct table *t, struct tabledump *td,
		       struct tablestats *ts, uint64_t *nrows)
{
	enum vkind *kinds;
	MYSQL_FIELD *fields;
	MYSQL_RES *res;
	MYSQL_ROW row;
	unsigned nf;
	int r = 0;

	*nrows = 0;
	res = mysql_use_result(d->my);
	if (!res) {
		log_error("job %s: table %s.%s: %s", d->job, t->db, t->name, mysql_error(d->my));
		return -EIO;
	}
	nf = mysql_num_fields(res);
	fields = mysql_fetch_fields(res);
	kinds = calloc(nf, sizeof(*kinds));
	if (!kinds) {
		mysql_free_result(res);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < nf; i++)
		kinds[i] = value_kind(&fields[i]);
	while ((row = mysql_fetch_row(res))) {
		unsigned long *lens = mysql_fetch_lengths(res);

		r = write_row(d, td, ts, row, lens, kinds);
		if (r < 0)
			break;
		if (td->nkey)
			remember_key(td, row, lens, kinds);
		else if (ts->rows % STREAM_PROGRESS == 0)
			progress(d);
		(*nrows)++;
	}
	if (r == 0 && mysql_errno(d->my)) {
		log_error("job %s: table %s.%s: reading rows failed after %" PRIu64 " rows: %s",
			  d->job, t->db, t->name, ts->rows, mysql_error(d->my));
		r = -EIO;
	}
	/* Freeing an unfinished mysql_use_result() reads the rest of it first:
	 * for a streamed table, the whole table.  A run that stops here (cancel,
	 * disk full) must stop now, so the connection is cut instead. */
	if (r < 0 && row)
		shutdown(mysql_get_socket(d->my), SHUT_RDWR);
	free(kinds);
	mysql_free_result(res);
	return r;
}

/* Rows to ask for next: chunk_rows, or with chunk_bytes set, about that many
 * bytes of SQL at the table's mean row so far (within 1..chunk_rows). */
static uint64_t next_chunk(const struct dump *d, const struct tablestats *ts, uint64_t table_bytes)
{
	uint64_t most = d->o->job->db.chunk_rows, mean, n;

	if (!d->o->chunk_bytes)
		return most;
	mean = ts->rows ? table_bytes / ts->rows : ROW_GUESS;
	n = d->o->chunk_bytes / (mean ? mean : 1);
	return n < 1 ? 1 : n > most ? most : n;
}

static int dump_rows(struct dump *d, const struct table *t, struct tabledump *td, struct tablestats *ts)
{
	uint64_t chunk, n, start = d->produced;
	char what[600];
	bool first = true;
	int r;

	snprintf(what, sizeof(what), "table %s.%s: reading rows", t->db, t->name);
	for (;;) {
		chunk = next_chunk(d, ts, d->produced - start);
		build_chunk_query(d, td, first, chunk);
		ts->queries++;
		r = run_query(d, what);
		if (r < 0)
			return r;
		r = dump_result(d, t, td, ts, &n);
		if (r < 0)
			return r;
		if (td->nkey == 0 || n < chunk)
			return 0;
		first = false;
		progress(d);
		if (d->o->between_chunks) {
			r = d->o->between_chunks(d->o->between_ctx);
			if (r < 0)
				return r;
		}
	}
}

/* A table versioned by transaction id: its history rows, which the dump
 * cannot carry, are counted for the record and the log. */
static int count_lost_history(struct dump *d, const struct table *t, const struct tablestats *ts,
			      uint64_t *lost)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	char what[600];
	uint64_t all;

	snprintf(what, sizeof(what), "table %s.%s: counting its history rows", t->db, t->name);
	sbuf_reset(&d->q);
	sbuf_adds(&d->q, "SELECT COUNT(*) FROM ");
	sql_add_ident(&d->q, t->db);
	sbuf_adds(&d->q, ".");
	sql_add_ident(&d->q, t->name);
	sbuf_adds(&d->q, " FOR SYSTEM_TIME ALL");
	if (query_store(d, what, &res) < 0)
		return -EIO;
	row = mysql_fetch_row(res);
	all = row && row[0] ? strtoull(row[0], NULL, 10) : 0;
	mysql_free_result(res);
	*lost = all > ts->rows ? all - ts->rows : 0;
	if (*lost)
		log_warn("job %s: table %s.%s is system-versioned by transaction id: its %" PRIu64
			 " history rows are not in the dump (no server can insert them); its current rows are",
			 d->job, t->db, t->name, *lost);
	return 0;
}

static int dump_table_data(struct dump *d, const struct table *t)
{
	struct tabledump td = { 0 };
	struct tablestats ts = { 0 };
	uint64_t start = d->produced, lost = 0;
	char hex[SHA256_HEX_LEN + 1];
	int r;

	r = sha256_init(&ts.hash);
	if (r < 0)
		return r;
	r = load_columns(d, t, &td);
	if (r == 0)
		r = load_key(d, t, &td);
	if (r == 0)
		r = build_statements(t, &td);
	if (r == 0) {
		sbuf_reset(&d->row);
		sbuf_adds(&d->row, "ALTER TABLE ");
		sql_add_ident(&d->row, t->name);
		sbuf_adds(&d->row, " DISABLE KEYS");
		r = emit_stmt(d, &d->row);
	}
	/* History rows go in with their own row start and end, which only a
	 * server that has this variable (MariaDB 10.11+) accepts: an older one
	 * stops the restore at this line with "Unknown system variable". */
	if (r == 0 && td.history)
		r = emits(d, "-- This table's history needs MariaDB 10.11 or later to restore.\n"
			  "SET system_versioning_insert_history = 1;\n");
	if (r == 0)
		r = dump_rows(d, t, &td, &ts);
	if (r == 0 && ts.stmt_open)
		r = close_insert(d, &td);
	if (r == 0 && td.history)
		r = emits(d, "SET system_versioning_insert_history = 0;\n");
	if (r == 0) {
		sbuf_reset(&d->row);
		sbuf_adds(&d->row, "ALTER TABLE ");
		sql_add_ident(&d->row, t->name);
		sbuf_adds(&d->row, " ENABLE KEYS");
		r = emit_stmt(d, &d->row);
	}
	if (r == 0 && td.trxid)
		r = count_lost_history(d, t, &ts, &lost);
	if (r < 0) {
		if (r == -ENOMEM)
			log_error("job %s: table %s.%s: out of memory", d->job, t->db, t->name);
		sha256_discard(&ts.hash);
		tabledump_free(&td);
		return r;
	}
	sha256_final_hex(&ts.hash, hex);
	json_array_append_new(d->jtables,
		json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:b, s:I}",
			  "database", t->db, "table", t->name, "engine", t->engine,
			  "rows", (json_int_t)ts.rows, "bytes", (json_int_t)(d->produced - start),
			  "checksum", hex, "chunked", td.nkey > 0, "queries", (json_int_t)ts.queries));
	if (t->versioned) {
		json_t *jt = json_array_get(d->jtables, json_array_size(d->jtables) - 1);

		/* "history": rows counts every row version (restore counts FOR
		 * SYSTEM_TIME ALL); "current": only the current rows are in the dump. */
		json_object_set_new(jt, "system_versioning", json_string(td.history ? "history" : "current"));
		if (td.trxid)
			json_object_set_new(jt, "history_rows_not_dumped", json_integer((json_int_t)lost));
	}
	tabledump_free(&td);
	return 0;
}

/* ---- schema objects ------------------------------------------------------------- */

/* Runs SHOW CREATE ... for one object and returns its result with the row. */
static int show_create(struct dump *d, const char *kind, const char *db, const char *name,
		       MYSQL_RES **res, MYSQL_ROW *row)
{
	char what[600];

	snprintf(what, sizeof(what), "%s %s.%s: SHOW CREATE", kind, db, name);
	sbuf_reset(&d->q);
	sbuf_addf(&d->q, "SHOW CREATE %s ", kind);
	sql_add_ident(&d->q, db);
	sbuf_adds(&d->q, ".");
	sql_add_ident(&d->q, name);
	if (query_store(d, what, res) < 0)
		return -EIO;
	*row = mysql_fetch_row(*res);
	if (!*row) {
		log_error("job %s: %s %s.%s: SHOW CREATE returned nothing", d->job, kind, db, name);
		mysql_free_result(*res);
		return -EIO;
	}
	return 0;
}

/* The text of column COL of ROW, or NULL; refuses a hidden definition. */
static const char *column_text(struct dump *d, MYSQL_RES *res, MYSQL_ROW row, const char *col,
			       const char *kind, const char *db, const char *name)
{
	int i = field_index(res, col);

	if (i < 0 || !row[i]) {
		log_error("job %s: %s %s.%s: the server did not show its definition (the account needs more privileges, e.g. SHOW_ROUTINE or SELECT on mysql.proc)",
			  d->job, kind, db, name);
		return NULL;
	}
	return row[i];
}

static int emit_drop_create(struct dump *d, const char *drop_kind, const char *name)
{
	sbuf_reset(&d->row);
	sbuf_addf(&d->row, "DROP %s IF EXISTS ", drop_kind);
	sql_add_ident(&d->row, name);
	return emit_stmt(d, &d->row);
}

/*
 * An object's definition as the server gave it (SHOW CREATE), in the context
 * it was created in.  The text goes into a user variable as an escaped
 * string literal on one line and the server runs it with EXECUTE IMMEDIATE:
 * the mariadb client and the server read an escaped literal alike, so
 * nothing in the text (a "--" before a control character, which only the
 * server takes for a comment; a quote under ANSI_QUOTES or
 * NO_BACKSLASH_ESCAPES; "\g", "\u", "\!", "DELIMITER") can end a comment,
 * a string or a statement early for either, or reach the client as a
 * command.  The literal is read before the object's sql_mode is set, in the
 * dump's own mode (no NO_BACKSLASH_ESCAPES).  VAR names the kind
 * (@lifeboat_view, ...), which lifeboat restore renames by.
 */
static int emit_object(struct dump *d, const char *var, MYSQL_RES *res, MYSQL_ROW row, const char *create)
{
	int imode = res ? field_index(res, "sql_mode") : -1;
	int ics = res ? field_index(res, "character_set_client") : -1;
	int icoll = res ? field_index(res, "collation_connection") : -1;
	int itz = res ? field_index(res, "time_zone") : -1;
	const char *cs = ics >= 0 && row[ics] ? row[ics] : NULL;
	const char *coll = icoll >= 0 && row[icoll] ? row[icoll] : NULL;

	if ((cs && !plain_name(cs)) || (coll && !plain_name(coll))) {
		log_error("job %s: the server reported a character set or collation that is not a plain name", d->job);
		return -EPROTO;
	}
	sbuf_reset(&d->row);
	sbuf_addf(&d->row, "SET @lifeboat_%s = ", var);
	sql_add_string(&d->row, create, strlen(create));
	sbuf_adds(&d->row, ";\n");
	if (imode >= 0 && row[imode]) {
		sbuf_adds(&d->row, "SET @lifeboat_saved_sql_mode = @@sql_mode;\nSET sql_mode = ");
		sql_add_string(&d->row, row[imode], strlen(row[imode]));
		sbuf_adds(&d->row, ";\n");
	}
	if (cs)
		sbuf_addf(&d->row, "SET character_set_client = %s;\n", cs);
	if (coll) {
		sbuf_addf(&d->row, "SET character_set_results = %s;\n", cs ? cs : "utf8mb4");
		sbuf_addf(&d->row, "SET collation_connection = %s;\n", coll);
	}
	if (itz >= 0 && row[itz]) {
		sbuf_adds(&d->row, "SET time_zone = ");
		sql_add_string(&d->row, row[itz], strlen(row[itz]));
		sbuf_adds(&d->row, ";\n");
	}
	sbuf_addf(&d->row, "EXECUTE IMMEDIATE @lifeboat_%s;\n", var);
	if (imode >= 0 && row[imode])
		sbuf_adds(&d->row, "SET sql_mode = @lifeboat_saved_sql_mode;\n");
	if (cs || coll)
		sbuf_adds(&d->row, "SET NAMES utf8mb4;\n");
	if (itz >= 0 && row[itz])
		sbuf_adds(&d->row, "SET time_zone = '+00:00';\n");
	sbuf_addf(&d->row, "SET @lifeboat_%s = NULL;\n", var);
	if (d->row.err)
		return d->row.err;
	return emit(d, d->row.data, d->row.len);
}

static int dump_triggers(struct dump *d, const struct table *t)
{
	MYSQL_RES *list, *res;
	MYSQL_ROW lrow, row;
	char what[600];
	int r = 0;

	snprintf(what, sizeof(what), "table %s.%s: listing triggers", t->db, t->name);
	sbuf_reset(&d->q);
	sbuf_adds(&d->q, "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE ");
	add_table_filter(&d->q, "EVENT_OBJECT_SCHEMA", "EVENT_OBJECT_TABLE", t);
	sbuf_adds(&d->q, " ORDER BY ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER");
	if (query_store(d, what, &list) < 0)
		return -EIO;
	while (r == 0 && (lrow = mysql_fetch_row(list))) {
		const char *create;

		r = show_create(d, "TRIGGER", t->db, lrow[0], &res, &row);
		if (r < 0)
			break;
		create = column_text(d, res, row, "SQL Original Statement", "trigger", t->db, lrow[0]);
		if (!create)
			r = -EACCES;
		if (r == 0)
			r = emit_drop_create(d, "TRIGGER", lrow[0]);
		if (r == 0)
			r = emit_object(d, "trigger", res, row, create);
		mysql_free_result(res);
		d->ntriggers++;
	}
	mysql_free_result(list);
	return r;
}

static int dump_table(struct dump *d, const struct table *t)
{
	const char *kind = t->type == OBJ_SEQUENCE ? "SEQUENCE" : "TABLE";
	MYSQL_RES *res;
	MYSQL_ROW row;
	int r;

	d->prog.table = t->name;
	d->prog.table_rows = 0;
	progress(d);
	sbuf_reset(&d->row);
	sbuf_adds(&d->row, "\n--\n-- Table ");
	add_comment_name(&d->row, t->name);
	sbuf_adds(&d->row, " (");
	add_comment_name(&d->row, *t->engine ? t->engine : "?");
	sbuf_adds(&d->row, ")\n--\n");
	r = emit(d, d->row.data, d->row.len);
	if (r == 0)
		r = emit_drop_create(d, kind, t->name);
	if (r < 0)
		return r;
	/* SHOW CREATE SEQUENCE: start, bounds, increment, cache and cycle
	 * (SHOW CREATE TABLE gives a table that restores as start 1 by 1). */
	r = show_create(d, kind, t->db, t->name, &res, &row);
	if (r < 0)
		return r;
	if (!row[1]) {
		log_error("job %s: table %s.%s: no definition returned", d->job, t->db, t->name);
		mysql_free_result(res);
		return -EIO;
	}
	r = emit_object(d, "table", NULL, NULL, row[1]);
	mysql_free_result(res);
	if (r < 0)
		return r;
	if (t->type == OBJ_SEQUENCE) {
		/* A sequence's state is its next value, not rows. */
		sbuf_reset(&d->q);
		sbuf_adds(&d->q, "SELECT next_not_cached_value, cycle_count FROM ");
		sql_add_ident(&d->q, t->db);
		sbuf_adds(&d->q, ".");
		sql_add_ident(&d->q, t->name);
		if (query_store(d, "reading a sequence", &res) < 0)
			return -EIO;
		row = mysql_fetch_row(res);
		sbuf_reset(&d->row);
		sbuf_adds(&d->row, "DO SETVAL(");
		sql_add_ident(&d->row, t->name);
		if (!row || !row[0] || !row[1] || !plain_number(row[0]) || !plain_number(row[1])) {
			log_error("job %s: sequence %s.%s: its state could not be read", d->job, t->db, t->name);
			mysql_free_result(res);
			return -EIO;
		}
		/* Not yet used, in its cycle: the next NEXTVAL gives it. */
		sbuf_addf(&d->row, ", %s, 0, %s)", row[0], row[1]);
		mysql_free_result(res);
		return emit_stmt(d, &d->row);
	}
	r = dump_table_data(d, t);
	if (r == 0)
		r = dump_triggers(d, t);
	return r;
}

/* A view whose SELECT gives the right column names and nothing else, so that
 * views using it can be created before its real definition is. */
static int dump_view_placeholder(struct dump *d, const struct table *t)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	char what[600];
	bool any = false;
	int r;

	snprintf(what, sizeof(what), "view %s.%s: reading its columns", t->db, t->name);
	sbuf_reset(&d->q);
	sbuf_adds(&d->q, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE ");
	add_table_filter(&d->q, "TABLE_SCHEMA", "TABLE_NAME", t);
	sbuf_adds(&d->q, " ORDER BY ORDINAL_POSITION");
	if (query_store(d, what, &res) < 0)
		return -EIO;
	sbuf_reset(&d->row);
	sbuf_adds(&d->row, "\n--\n-- Placeholder for view ");
	add_comment_name(&d->row, t->name);
	sbuf_adds(&d->row, "\n--\n");
	r = emit(d, d->row.data, d->row.len);
	if (r == 0)
		r = emit_drop_create(d, "TABLE", t->name);
	if (r == 0)
		r = emit_drop_create(d, "VIEW", t->name);
	if (r < 0) {
		mysql_free_result(res);
		return r;
	}
	sbuf_reset(&d->row);
	sbuf_adds(&d->row, "CREATE VIEW ");
	sql_add_ident(&d->row, t->name);
	sbuf_adds(&d->row, " AS SELECT ");
	while ((row = mysql_fetch_row(res))) {
		if (any)
			sbuf_adds(&d->row, ", ");
		sbuf_adds(&d->row, "1 AS ");
		sql_add_ident(&d->row, row[0]);
		any = true;
	}
	mysql_free_result(res);
	if (!any)
		sbuf_adds(&d->row, "1 AS `placeholder`");
	r = emit_stmt(d, &d->row);
	d->nviews++;
	return r;
}

static int dump_view(struct dump *d, const struct table *t)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	const char *create;
	int r;

	r = show_create(d, "VIEW", t->db, t->name, &res, &row);
	if (r < 0)
		return r;
	create = column_text(d, res, row, "Create View", "view", t->db, t->name);
	if (!create) {
		mysql_free_result(res);
		return -EACCES;
	}
	r = emit_drop_create(d, "VIEW", t->name);
	if (r == 0)
		r = emit_object(d, "view", res, row, create);
	mysql_free_result(res);
	return r;
}

/* Events and routines of DB: KIND is "EVENT", "PROCEDURE" or "FUNCTION". */
static int dump_programs(struct dump *d, const char *db, const char *kind)
{
	MYSQL_RES *list, *res;
	MYSQL_ROW lrow, row;
	char what[300], col[64];
	bool event = strcmp(kind, "EVENT") == 0;
	int r = 0;

	snprintf(what, sizeof(what), "database %s: listing %s", db, kind);
	sbuf_reset(&d->q);
	if (event) {
		sbuf_adds(&d->q, "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ");
		sql_add_string(&d->q, db, strlen(db));
		sbuf_adds(&d->q, " ORDER BY EVENT_NAME");
	} else {
		sbuf_adds(&d->q, "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ");
		sql_add_string(&d->q, db, strlen(db));
		sbuf_addf(&d->q, " AND ROUTINE_TYPE = '%s' ORDER BY ROUTINE_NAME", kind);
	}
	if (query_store(d, what, &list) < 0)
		return -EIO;
	snprintf(col, sizeof(col), "Create %c%s", kind[0], kind + 1);
	for (char *p = col + 8; *p; p++)
		*p = (char)(*p - 'A' + 'a');
	while (r == 0 && (lrow = mysql_fetch_row(list))) {
		const char *create;

		r = show_create(d, kind, db, lrow[0], &res, &row);
		if (r < 0)
			break;
		create = column_text(d, res, row, col, kind, db, lrow[0]);
		if (!create)
			r = -EACCES;
		if (r == 0)
			r = emit_drop_create(d, kind, lrow[0]);
		if (r == 0)
			r = emit_object(d, event ? "event" : "routine", res, row, create);
		mysql_free_result(res);
		if (event)
			d->nevents++;
		else
			d->nroutines++;
	}
	mysql_free_result(list);
	return r;
}

/* ---- databases ---------------------------------------------------------------------- */

/* CREATE DATABASE (built from information_schema, not from SHOW CREATE
 * DATABASE, so no server text lands in it) and USE. */
static int emit_use(struct dump *d, const char *db, bool create)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	int r;

	if (create) {
		int ics, icoll, icomment;

		sbuf_reset(&d->q);
		sbuf_adds(&d->q, "SELECT * FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ");
		sql_add_string(&d->q, db, strlen(db));
		if (query_store(d, "reading the database's character set", &res) < 0)
			return -EIO;
		row = mysql_fetch_row(res);
		ics = field_index(res, "DEFAULT_CHARACTER_SET_NAME");
		icoll = field_index(res, "DEFAULT_COLLATION_NAME");
		icomment = field_index(res, "SCHEMA_COMMENT");
		sbuf_reset(&d->row);
		sbuf_adds(&d->row, "\n--\n-- Database ");
		add_comment_name(&d->row, db);
		sbuf_adds(&d->row, "\n--\n");
		r = emit(d, d->row.data, d->row.len);
		sbuf_reset(&d->row);
		sbuf_adds(&d->row, "CREATE DATABASE IF NOT EXISTS ");
		sql_add_ident(&d->row, db);
		if (row && ics >= 0 && row[ics] && plain_name(row[ics]))
			sbuf_addf(&d->row, " CHARACTER SET %s", row[ics]);
		if (row && icoll >= 0 && row[icoll] && plain_name(row[icoll]))
			sbuf_addf(&d->row, " COLLATE %s", row[icoll]);
		if (row && icomment >= 0 && row[icomment] && *row[icomment]) {
			sbuf_adds(&d->row, " COMMENT ");
			sql_add_string(&d->row, row[icomment], strlen(row[icomment]));
		}
		mysql_free_result(res);
		if (r == 0)
			r = emit_stmt(d, &d->row);
		if (r < 0)
			return r;
	}
	sbuf_reset(&d->row);
	sbuf_adds(&d->row, "USE ");
	sql_add_ident(&d->row, db);
	return emit_stmt(d, &d->row);
}

static bool db_has(const struct dump *d, const char *db, bool (*pred)(const struct table *))
{
	for (size_t i = 0; i < d->ntables; i++) {
		if (strcmp(d->tables[i].db, db) == 0 && pred(&d->tables[i]))
			return true;
	}
	return false;
}

static bool is_nontx(const struct table *t)
{
	return t->nontx;
}

static bool is_view(const struct table *t)
{
	return t->type == OBJ_VIEW;
}

/* Phase 1: the non-transactional tables, first, while the lock (if any) holds. */
static int dump_nontx(struct dump *d)
{
	int r = 0;

	for (size_t i = 0; i < d->dbs.n && r == 0; i++) {
		const char *db = d->dbs.v[i];

		if (!db_has(d, db, is_nontx))
			continue;
		d->prog.database = db;
		r = emit_use(d, db, true);
		for (size_t j = 0; j < d->ntables && r == 0; j++) {
			if (strcmp(d->tables[j].db, db) == 0 && d->tables[j].nontx)
				r = dump_table(d, &d->tables[j]);
		}
	}
	return r;
}

/* Phase 2: every other table, the view placeholders, events and routines. */
static int dump_database(struct dump *d, const char *db)
{
	int r;

	d->prog.database = db;
	d->prog.table = NULL;
	r = emit_use(d, db, true);
	for (size_t j = 0; j < d->ntables && r == 0; j++) {
		const struct table *t = &d->tables[j];

		if (strcmp(t->db, db) != 0 || t->nontx)
			continue;
		if (t->type == OBJ_VIEW)
			continue;
		r = dump_table(d, t);
	}
	for (size_t j = 0; j < d->ntables && r == 0; j++) {
		if (strcmp(d->tables[j].db, db) == 0 && d->tables[j].type == OBJ_VIEW)
			r = dump_view_placeholder(d, &d->tables[j]);
	}
	if (r == 0)
		r = dump_programs(d, db, "EVENT");
	if (r == 0)
		r = dump_programs(d, db, "PROCEDURE");
	if (r == 0)
		r = dump_programs(d, db, "FUNCTION");
	return r;
}

/* Phase 3: the real views, now that every table and placeholder exists. */
static int dump_views(struct dump *d)
{
	int r = 0;

	for (size_t i = 0; i < d->dbs.n && r == 0; i++) {
		const char *db = d->dbs.v[i];

		if (!db_has(d, db, is_view))
			continue;
		r = emit_use(d, db, false);
		for (size_t j = 0; j < d->ntables && r == 0; j++) {
			if (strcmp(d->tables[j].db, db) == 0 && d->tables[j].type == OBJ_VIEW)
				r = dump_view(d, &d->tables[j]);
		}
	}
	return r;
}

static int emit_header(struct dump *d)
{
	char now[TIMEFMT_RFC3339_LEN];
	json_t *b = json_object_get(d->facts, "binlog");

	timefmt_rfc3339(time(NULL), now);
	sbuf_reset(&d->row);
	sbuf_addf(&d->row, "%s\n%s\n-- Lifeboat dump of job %s\n-- Server: ",
		  SQLSPLIT_SANDBOX_LINE, DBDUMP_FORMAT_LINE, d->job);
	add_comment_name(&d->row, mysql_get_server_info(d->my));
	sbuf_addf(&d->row, "\n-- Started: %s\n", now);
	if (json_is_object(b)) {
		sbuf_adds(&d->row, "-- Binlog position of the snapshot: ");
		add_comment_name(&d->row, json_string_value(json_object_get(b, "file")));
		sbuf_addf(&d->row, ":%" JSON_INTEGER_FORMAT "\n", json_integer_value(json_object_get(b, "position")));
	}
	sbuf_adds(&d->row,
		  "-- Restore: lifeboat restore JOB ID --database NAME   (or: zstd -dc FILE | mariadb --sandbox)\n"
		  "-- The last line of a complete dump starts with \"" DBDUMP_TRAILER "\".\n\n"
		  "SET NAMES utf8mb4;\n"
		  "SET @OLD_TIME_ZONE = @@TIME_ZONE, TIME_ZONE = '+00:00';\n"
		  "SET @OLD_UNIQUE_CHECKS = @@UNIQUE_CHECKS, UNIQUE_CHECKS = 0;\n"
		  "SET @OLD_FOREIGN_KEY_CHECKS = @@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS = 0;\n"
		  "SET @OLD_SQL_MODE = @@SQL_MODE, SQL_MODE = '" DBDUMP_DATA_SQL_MODE "';\n"
		  "SET @OLD_SQL_NOTES = @@SQL_NOTES, SQL_NOTES = 0;\n");
	return emit(d, d->row.data, d->row.len);
}

static int emit_footer(struct dump *d)
{
	char now[TIMEFMT_RFC3339_LEN];

	timefmt_rfc3339(time(NULL), now);
	sbuf_reset(&d->row);
	sbuf_addf(&d->row,
		  "\nSET TIME_ZONE = @OLD_TIME_ZONE;\n"
		  "SET UNIQUE_CHECKS = @OLD_UNIQUE_CHECKS;\n"
		  "SET FOREIGN_KEY_CHECKS = @OLD_FOREIGN_KEY_CHECKS;\n"
		  "SET SQL_MODE = @OLD_SQL_MODE;\n"
		  "SET SQL_NOTES = @OLD_SQL_NOTES;\n"
		  "%s %s\n", DBDUMP_TRAILER, now);
	return emit(d, d->row.data, d->row.len);
}

/* Decides on the global read lock and takes it; *HELD says whether it did. */
static int take_lock(struct dump *d, bool *held, json_t *lockinfo)
{
	enum db_lock mode = d->o->job->db.lock;
	json_t *names = json_array();
	bool any = false;

	*held = false;
	for (size_t i = 0; i < d->ntables; i++) {
		if (d->tables[i].nontx) {
			char full[512];

			snprintf(full, sizeof(full), "%s.%s", d->tables[i].db, d->tables[i].name);
			json_array_append_new(names, json_string(full));
			any = true;
		}
	}
	json_object_set_new(lockinfo, "nontransactional_tables", names);
	json_object_set_new(lockinfo, "mode", json_string(mode == DB_LOCK_AUTO ? "auto" :
								  mode == DB_LOCK_NONE ? "none" : "all"));
	if (mode == DB_LOCK_NONE && any)
		log_warn("job %s: lock = none: %zu non-transactional table(s) are dumped without a lock and may be inconsistent",
			 d->job, json_array_size(names));
	if (mode == DB_LOCK_ALL || (mode == DB_LOCK_AUTO && any)) {
		if (exec(d, "FLUSH TABLES WITH READ LOCK") < 0)
			return -EIO;
		*held = true;
	}
	json_object_set_new(lockinfo, "global_read_lock", json_boolean(*held));
	return 0;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int dump_all(struct dump *d)
{
	struct timespec lock_t0;
	json_t *lockinfo = json_object();
	bool locked;
	int r;

	json_object_set_new(d->facts, "lock", lockinfo);
	r = take_lock(d, &locked, lockinfo);
	if (r < 0)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &lock_t0);
	r = exec(d, "START TRANSACTION WITH CONSISTENT SNAPSHOT");
	if (r == 0)
		r = record_binlog(d);
	if (r == 0)
		r = emit_header(d);
	if (r == 0)
		r = dump_nontx(d);
	if (r == 0 && locked && d->o->job->db.lock == DB_LOCK_AUTO) {
		r = exec(d, "UNLOCK TABLES");
		locked = false;
		json_object_set_new(lockinfo, "held_seconds", json_real(seconds_since(&lock_t0)));
	}
	for (size_t i = 0; i < d->dbs.n && r == 0; i++)
		r = dump_database(d, d->dbs.v[i]);
	if (r == 0)
		r = dump_views(d);
	if (r == 0 && locked) {
		r = exec(d, "UNLOCK TABLES");
		json_object_set_new(lockinfo, "held_seconds", json_real(seconds_since(&lock_t0)));
	}
	if (r == 0)
		r = exec(d, "COMMIT");
	if (r == 0)
		r = emit_footer(d);
	if (r == 0)
		r = flush_out(d);
	return r;
}

static void dump_free(struct dump *d)
{
	json_decref(d->facts);
	json_decref(d->jtables);
	for (size_t i = 0; i < d->ntables; i++) {
		free(d->tables[i].db);
		free(d->tables[i].name);
		free(d->tables[i].engine);
	}
	free(d->tables);
	strlist_free(&d->dbs);
	sbuf_free(&d->out);
	sbuf_free(&d->q);
	sbuf_free(&d->row);
}

int dbdump_run(MYSQL *my, const struct dbdump_opts *opts, json_t **facts)
{
	struct dump d = { .my = my, .o = opts, .job = opts->job->name };
	json_t *dbs;
	int r;

	*facts = NULL;
	d.facts = json_object();
	d.jtables = json_array();
	if (!d.facts || !d.jtables) {
		json_decref(d.facts);
		json_decref(d.jtables);
		return -ENOMEM;
	}
	json_object_set_new(d.facts, "server_version", json_string(mysql_get_server_info(my)));
	json_object_set(d.facts, "tables", d.jtables);

	r = setup_session(&d);
	if (r == 0)
		r = choose_databases(&d);
	if (r == 0)
		r = choose_tables(&d);
	if (r == 0)
		r = dump_all(&d);

	if (r == 0) {
		dbs = json_array();
		for (size_t i = 0; i < d.dbs.n; i++)
			json_array_append_new(dbs, json_string(d.dbs.v[i]));
		json_object_set_new(d.facts, "databases", dbs);
		json_object_set_new(d.facts, "views", json_integer(d.nviews));
		json_object_set_new(d.facts, "triggers", json_integer(d.ntriggers));
		json_object_set_new(d.facts, "routines", json_integer(d.nroutines));
		json_object_set_new(d.facts, "events", json_integer(d.nevents));
		json_object_set_new(d.facts, "rows", json_integer((json_int_t)d.prog.rows));
		/* Table space on disk, so the next run can estimate its size. */
		json_object_set_new(d.facts, "estimated_bytes", json_integer((json_int_t)d.prog.estimated_bytes));
		*facts = d.facts;
		d.facts = NULL;
	}
	dump_free(&d);
	return r;
}

int dbdump_estimate(MYSQL *my, const struct job *job, uint64_t *bytes)
{
	struct dbdump_opts o = { .job = job };
	struct dump d = { .my = my, .o = &o, .job = job->name };
	int r;

	*bytes = 0;
	r = choose_databases(&d);
	if (r == 0)
		r = choose_tables(&d);
	if (r == 0)
		*bytes = d.prog.estimated_bytes;
	dump_free(&d);
	return r;
}

/* ---- recomputing a dump's facts from a restored copy ----------------------------- */

static int discard_sql(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return 0;
}

int dbdump_recompute(MYSQL *my, const struct job *job, const char *db, json_t **facts)
{
	struct dbdump_opts o = { .job = job, .write = discard_sql };
	struct dump d = { .my = my, .o = &o, .job = job->name, .all_tables = true };
	int r;

	*facts = NULL;
	d.facts = json_object();
	d.jtables = json_array();
	if (!d.facts || !d.jtables || strlist_append(&d.dbs, db) < 0) {
		dump_free(&d);
		return -ENOMEM;
	}
	json_object_set(d.facts, "tables", d.jtables);
	r = setup_session(&d);
	if (r == 0)
		r = choose_tables(&d);
	if (r == 0)
		r = exec(&d, "START TRANSACTION WITH CONSISTENT SNAPSHOT");
	/* What dump_table() and dump_database() count and hash, in their order. */
	for (size_t i = 0; i < d.ntables && r == 0; i++) {
		const struct table *t = &d.tables[i];

		if (t->type == OBJ_VIEW) {
			d.nviews++;
			continue;
		}
		if (t->type == OBJ_SEQUENCE)
			continue;
		d.prog.database = t->db;
		d.prog.table = t->name;
		r = dump_table_data(&d, t);
		if (r == 0)
			r = dump_triggers(&d, t);
	}
	if (r == 0)
		r = dump_programs(&d, db, "EVENT");
	if (r == 0)
		r = dump_programs(&d, db, "PROCEDURE");
	if (r == 0)
		r = dump_programs(&d, db, "FUNCTION");
	if (r == 0)
		r = exec(&d, "COMMIT");
	if (r == 0) {
		json_object_set_new(d.facts, "views", json_integer(d.nviews));
		json_object_set_new(d.facts, "triggers", json_integer(d.ntriggers));
		json_object_set_new(d.facts, "routines", json_integer(d.nroutines));
		json_object_set_new(d.facts, "events", json_integer(d.nevents));
		json_object_set_new(d.facts, "rows", json_integer((json_int_t)d.prog.rows));
		*facts = d.facts;
		d.facts = NULL;
	}
	dump_free(&d);
	return r;
}

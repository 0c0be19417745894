/*
 * dbrestore — see dbrestore.h.
 */
#include "dbrestore.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "dbdump.h"
#include "log.h"
#include "reader.h"
#include "sqlsplit.h"
#include "sqltext.h"

#define TAIL_KEEP 512		/* decompressed bytes kept to find the last line */

struct restore {
	MYSQL *my;
	const struct dbrestore_opts *o;
	const char *from_db;	/* the one database of the dump */
	struct sbuf rewrite;	/* a statement being renamed */
	struct sbuf q;
	struct dbrestore_stats *stats;
	struct sqlsplit split;	/* cuts the decompressed dump into statements */
};

struct tail {
	char buf[TAIL_KEEP];
	size_t len;
	char head[TAIL_KEEP];	/* the first decompressed bytes */
	size_t hlen;
};

static int keep_tail(void *ctx, const void *buf, size_t len)
{
	struct tail *t = ctx;
	const char *data = buf;

	if (t->hlen < TAIL_KEEP) {
		size_t n = len < TAIL_KEEP - t->hlen ? len : TAIL_KEEP - t->hlen;

		memcpy(t->head + t->hlen, data, n);
		t->hlen += n;
	}

	if (len >= TAIL_KEEP) {
		memcpy(t->buf, data + len - TAIL_KEEP, TAIL_KEEP);
		t->len = TAIL_KEEP;
		return 0;
	}
	if (t->len + len > TAIL_KEEP) {
		size_t drop = t->len + len - TAIL_KEEP;

		memmove(t->buf, t->buf + drop, t->len - drop);
		t->len -= drop;
	}
	memcpy(t->buf + t->len, data, len);
	t->len += len;
	return 0;
}

/* The dump starts with the sandbox line and the format-2 line (sqlsplit.h). */
static bool has_format_head(const char *head, size_t len)
{
	static const char want[] = SQLSPLIT_SANDBOX_LINE "\n" DBDUMP_FORMAT_LINE "\n";

	return len >= sizeof(want) - 1 && memcmp(head, want, sizeof(want) - 1) == 0;
}

/* The artifact is whole (right size and hash, a trailer as its last line)
 * and of the format that sqlsplit reads: one read through RD, closed. */
static int check_artifact(const struct dbrestore_opts *o, struct reader *rd)
{
	struct tail t = { .len = 0 };
	char *line;
	int r, c;

	r = reader_zstd(rd, keep_tail, &t);
	c = reader_close(rd);
	if (c < 0 || r < 0) {
		if (c == 0 && r == -EBADMSG)
			log_error("%s", rd->why);
		log_error("job %s: backup %s: the dump is damaged; nothing was restored", o->job, o->id);
		return c < 0 ? c : r;
	}
	if (!has_format_head(t.head, t.hlen)) {
		log_error("job %s: backup %s was written by an older Lifeboat, in a format whose statements cannot be told apart safely "
			  "(a stored routine or view can make such a dump run statements of its own); nothing was restored. "
			  "Restore it on a scratch server, or with `zstd -dc %s | mariadb --sandbox` as an account that can reach only the target database, "
			  "after reading it (see README, \"Restoring dumps safely\")",
			  o->job, o->id, rd->path);
		return -EPROTO;
	}
	if (t.len == 0 || t.buf[t.len - 1] != '\n') {
		log_error("%s: the dump is truncated (no trailer line); nothing was restored", rd->path);
		return -EBADMSG;
	}
	t.buf[t.len - 1] = '\0';
	line = strrchr(t.buf, '\n');
	line = line ? line + 1 : t.buf;
	if (strncmp(line, DBDUMP_TRAILER, strlen(DBDUMP_TRAILER)) != 0) {
		log_error("%s: the dump is truncated (its last line is not \"%s ...\"); nothing was restored",
			  rd->path, DBDUMP_TRAILER);
		return -EBADMSG;
	}
	return 0;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* "PREFIX`name`REST" with `name` the old database: into rs->rewrite with the
 * new one.  Returns 1 when rewritten, 0 when not this statement. */
static int rename_leading(struct restore *rs, const char *s, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);
	struct sbuf id = { 0 };
	long n;

	if (!starts_with(s, prefix))
		return 0;
	n = sql_read_ident(&id, s + plen, len - plen);
	if (n < 0 || strcmp(sbuf_str(&id), rs->from_db) != 0 || id.len != strlen(rs->from_db)) {
		sbuf_free(&id);
		return 0;
	}
	sbuf_free(&id);
	sbuf_reset(&rs->rewrite);
	sbuf_add(&rs->rewrite, s, plen);
	sql_add_ident(&rs->rewrite, rs->o->to_db);
	sbuf_add(&rs->rewrite, s + plen + n, len - plen - (size_t)n);
	return 1;
}

/* Skips a `quoted` identifier at *P (within END); false if none. */
static bool skip_ident(const char **p, const char *end)
{
	struct sbuf id = { 0 };
	long n = sql_read_ident(&id, *p, (size_t)(end - *p));

	sbuf_free(&id);
	if (n < 0)
		return false;
	*p += n;
	return true;
}

/* An event definition (SHOW CREATE EVENT) made DISABLE: after
 * "CREATE [DEFINER=`u`@`h`] EVENT `name` ON SCHEDULE <schedule>" (numbers,
 * units and quoted times only) comes "ON COMPLETION [NOT] PRESERVE ENABLE".
 * Returns 1 when changed, 0 when it has no ENABLE there, -EBADMSG when the
 * text is not shaped so. */
static int disable_event(struct sbuf *out, const char *s, size_t len)
{
	const char *p = s, *end = s + len, *c;

	if (len < 7 || memcmp(p, "CREATE ", 7) != 0)
		return -EBADMSG;
	p += 7;
	if ((size_t)(end - p) > 8 && memcmp(p, "DEFINER=", 8) == 0) {
		p += 8;
		if (!skip_ident(&p, end))
			return -EBADMSG;
		if (p < end && *p == '@') {
			p++;
			if (!skip_ident(&p, end))
				return -EBADMSG;
		}
		if (p < end && *p == ' ')
			p++;
	}
	if (end - p < 6 || memcmp(p, "EVENT ", 6) != 0)
		return -EBADMSG;
	p += 6;
	if (!skip_ident(&p, end))
		return -EBADMSG;
	c = memmem(p, (size_t)(end - p), " ON COMPLETION ", 15);
	if (!c)
		return -EBADMSG;
	c += 15;
	if (end - c >= 4 && memcmp(c, "NOT ", 4) == 0)
		c += 4;
	if (end - c < 9 || memcmp(c, "PRESERVE ", 9) != 0)
		return -EBADMSG;
	c += 9;
	if (end - c < 6 || memcmp(c, "ENABLE", 6) != 0 || (end - c > 6 && c[6] != ' '))
		return 0;
	sbuf_add(out, s, (size_t)(c - s));
	sbuf_adds(out, "DISABLE");
	sbuf_add(out, c + 6, (size_t)(end - c - 6));
	return 1;
}

/* "SET @lifeboat_view = '...'" or "@lifeboat_event": the definition read
 * back from the literal (ours: sqltext's escapes), changed for the new
 * database, written again.  Returns 1 when rewritten, 0 when not such a
 * statement, or a negative errno. */
static int rename_definition(struct restore *rs, const char *s, size_t len)
{
	static const char view[] = "SET @lifeboat_view = ", event[] = "SET @lifeboat_event = ";
	bool is_view = starts_with(s, view);
	size_t plen = is_view ? sizeof(view) - 1 : sizeof(event) - 1;
	struct sbuf def = { 0 }, changed = { 0 };
	long n;
	int r;

	if ((!is_view && !starts_with(s, event)) || s[plen] != '\'')
		return 0;	/* not a definition (or "= NULL", which frees it) */
	n = sql_read_string(&def, s + plen, len - plen);
	if (n < 0 || plen + (size_t)n != len) {
		sbuf_free(&def);
		return -EBADMSG;
	}
	if (is_view) {
		r = sql_rename_qualifier(&changed, def.data ? def.data : "", def.len, rs->from_db, rs->o->to_db);
	} else {
		r = disable_event(&changed, def.data ? def.data : "", def.len);
		if (r == 1)
			rs->stats->events_disabled++;
		else if (r == 0)
			sbuf_add(&changed, def.data ? def.data : "", def.len);
		r = r < 0 ? r : 0;
	}
	if (r == 0) {
		sbuf_reset(&rs->rewrite);
		sbuf_add(&rs->rewrite, s, plen);
		sql_add_string(&rs->rewrite, sbuf_str(&changed), changed.len);
		r = changed.err ? changed.err : 1;
	}
	sbuf_free(&def);
	sbuf_free(&changed);
	return r;
}

/* The statement as it must run in the new database.  Only statements this
 * format's writer builds are looked at: USE and CREATE DATABASE name the
 * database first; a view's definition names it as a qualifier; an event's
 * definition is disabled (a check copy must not start doing the original's
 * scheduled work, and ALTER EVENT afterwards would make us its definer).
 * Routine and trigger bodies are left byte for byte. */
static int rename_statement(struct restore *rs, const char **stmt, size_t *len)
{
	int r = rename_leading(rs, *stmt, *len, "USE ");

	if (r == 0)
		r = rename_leading(rs, *stmt, *len, "CREATE DATABASE IF NOT EXISTS ");
	if (r == 0)
		r = rename_definition(rs, *stmt, *len);
	if (r == -EBADMSG)
		log_error("job %s: restore of %s: a definition in the dump is not shaped as its writer makes it (it begins: %.80s)",
			  rs->o->job, rs->o->id, *stmt);
	if (r <= 0)
		return r;
	if (rs->rewrite.err)
		return rs->rewrite.err;
	*stmt = sbuf_str(&rs->rewrite);
	*len = rs->rewrite.len;
	return 0;
}

static int run_statement(void *ctx, const char *stmt, size_t len)
{
	struct restore *rs = ctx;
	MYSQL_RES *res;
	int r;

	if (rs->from_db && strcmp(rs->from_db, rs->o->to_db) != 0) {
		r = rename_statement(rs, &stmt, &len);
		if (r < 0)
			return r;
	}
	if (mysql_real_query(rs->my, stmt, len) != 0) {
		if (starts_with(stmt, "SET system_versioning_insert_history"))
			log_error("job %s: restore of %s: the dump holds the history rows of a system-versioned table, "
				  "which this server (%s) cannot insert: restoring them needs MariaDB 10.11 or later",
				  rs->o->job, rs->o->id, mysql_get_server_info(rs->my));
		log_error("job %s: restore of %s into database %s: statement %" PRIu64 " failed: %s (it begins: %.80s)",
			  rs->o->job, rs->o->id, rs->o->to_db, rs->stats->statements + 1,
			  mysql_error(rs->my), stmt);
		return -EIO;
	}
	do {
		res = mysql_store_result(rs->my);
		mysql_free_result(res);
	} while (mysql_next_result(rs->my) == 0);
	rs->stats->statements++;
	rs->stats->bytes += len;
	return 0;
}

static int split_chunk(void *ctx, const void *data, size_t len)
{
	struct restore *rs = ctx;

	return sqlsplit_feed(&rs->split, data, len, run_statement, rs);
}

/* Number of tables the database holds; -1 when it does not exist. */
static int count_tables(struct restore *rs, long *n)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	sbuf_reset(&rs->q);
	sbuf_adds(&rs->q, "SELECT (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ");
	sql_add_string(&rs->q, rs->o->to_db, strlen(rs->o->to_db));
	sbuf_adds(&rs->q, "), (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ");
	sql_add_string(&rs->q, rs->o->to_db, strlen(rs->o->to_db));
	sbuf_adds(&rs->q, ")");
	if (mysql_real_query(rs->my, rs->q.data, rs->q.len) != 0 || !(res = mysql_store_result(rs->my))) {
		log_error("job %s: database %s: cannot look it up: %s", rs->o->job, rs->o->to_db,
			  mysql_error(rs->my));
		return -EIO;
	}
	row = mysql_fetch_row(res);
	*n = row && strcmp(row[0], "0") != 0 ? strtol(row[1], NULL, 10) : -1;
	mysql_free_result(res);
	return 0;
}

/* Every table of the record has its row count in the restored database. */
static int verify_counts(struct restore *rs)
{
	const json_t *t;
	size_t i;

	json_array_foreach(json_object_get(rs->o->facts, "tables"), i, t) {
		const char *name = json_string_value(json_object_get(t, "table"));
		json_int_t want = json_integer_value(json_object_get(t, "rows"));
		MYSQL_RES *res;
		MYSQL_ROW row;
		long long got;

		sbuf_reset(&rs->q);
		sbuf_adds(&rs->q, "SELECT COUNT(*) FROM ");
		sql_add_ident(&rs->q, rs->o->to_db);
		sbuf_adds(&rs->q, ".");
		sql_add_ident(&rs->q, name);
		/* A system-versioned table's dump holds every row version. */
		if (json_is_string(json_object_get(t, "system_versioning")) &&
		    strcmp(json_string_value(json_object_get(t, "system_versioning")), "history") == 0)
			sbuf_adds(&rs->q, " FOR SYSTEM_TIME ALL");
		if (mysql_real_query(rs->my, rs->q.data, rs->q.len) != 0 || !(res = mysql_store_result(rs->my))) {
			log_error("job %s: restored table %s.%s: cannot count its rows: %s", rs->o->job,
				  rs->o->to_db, name, mysql_error(rs->my));
			return -EIO;
		}
		row = mysql_fetch_row(res);
		got = row && row[0] ? strtoll(row[0], NULL, 10) : -1;
		mysql_free_result(res);
		if (got != want) {
			log_error("job %s: restored table %s.%s has %lld rows, the backup %s recorded %" JSON_INTEGER_FORMAT,
				  rs->o->job, rs->o->to_db, name, got, rs->o->id, want);
			return -EBADMSG;
		}
		rs->stats->tables++;
		rs->stats->rows += (uint64_t)got;
	}
	return 0;
}

/* After a failed restore into a database that did not exist before, the
 * half-restored database goes: it holds nothing anyone had. */
static void drop_partial(struct restore *rs)
{
	sbuf_reset(&rs->q);
	sbuf_adds(&rs->q, "DROP DATABASE IF EXISTS ");
	sql_add_ident(&rs->q, rs->o->to_db);
	if (mysql_real_query(rs->my, rs->q.data, rs->q.len) != 0)
		log_warn("job %s: the half-restored database %s could not be dropped: %s",
			 rs->o->job, rs->o->to_db, mysql_error(rs->my));
	else
		log_info("job %s: dropped the half-restored database %s", rs->o->job, rs->o->to_db);
}

int dbrestore_run(MYSQL *my, const struct dbrestore_opts *o, struct dbrestore_stats *stats)
{
	struct restore rs = { .my = my, .o = o, .stats = stats };
	const json_t *dbs = json_object_get(o->facts, "databases");
	struct reader *rd;
	long ntables;
	int r;

	memset(stats, 0, sizeof(*stats));
	if (json_array_size(dbs) != 1) {
		log_error("job %s: backup %s holds %zu databases; --database restores a dump of one. Restore it whole with: zstd -dc FILE | mariadb",
			  o->job, o->id, json_array_size(dbs));
		return -EINVAL;
	}
	rs.from_db = json_string_value(json_array_get(dbs, 0));

	/* The dump is checked whole before the server is touched: its
	 * statements run as they come, and one of a tampered dump could reach
	 * past the new database, which dropping it would not undo.  Then the
	 * same descriptor is read again for the restore: what was checked is
	 * what is restored (and checked again at its close), even if a prune
	 * removes the file meanwhile. */
	r = reader_open(o->st, o->e, RECORD_ARTIFACT_MAIN, 0, &rd, NULL, 0);
	if (r < 0)
		return r;
	r = check_artifact(o, rd);
	if (r == 0)
		r = count_tables(&rs, &ntables);
	if (r == 0 && ntables > 0 && !o->force) {
		log_error("job %s: database %s already exists and holds %ld table(s); restore into a new database, or add --force",
			  o->job, o->to_db, ntables);
		r = -EEXIST;
	} else if (r == 0) {
		sqlsplit_init(&rs.split);
		r = reader_rewind(rd);
		if (r == 0)
			r = reader_zstd(rd, split_chunk, &rs);
		if (r == 0)
			r = reader_close(rd);
		else if (r == -EBADMSG && !rs.split.error)
			log_error("%s", rd->why);
		if (r == 0)
			r = sqlsplit_finish(&rs.split);
		if (r == -EBADMSG && rs.split.error)
			log_error("job %s: backup %s: line %" PRIu64 " of the dump: %s; restore stopped",
				  o->job, o->id, rs.split.lineno, rs.split.error);
		sqlsplit_free(&rs.split);
		stats->read = rd->bytes;
		if (r == 0)
			r = verify_counts(&rs);
		if (r < 0 && ntables < 0)
			drop_partial(&rs);
	}
	reader_free(rd);
	sbuf_free(&rs.rewrite);
	sbuf_free(&rs.q);
	return r;
}

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
#include "sha256.h"
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

/* Calls FN on the decompressed content of PATH, and hashes the compressed bytes. */
/* Reads the artifact open at FD from its start. */
static int read_artifact(const struct dbrestore_opts *o, int fd, int (*fn)(void *, const char *, size_t),
			 void *ctx, char hex[SHA256_HEX_LEN + 1])
{
	size_t inlen = ZSTD_DStreamInSize(), outlen = ZSTD_DStreamOutSize(), last = 0;
	char *in = malloc(inlen), *out = malloc(outlen);
	ZSTD_DStream *ds = ZSTD_createDStream();
	struct sha256 h;
	ssize_t n;
	int r = 0;

	if (!in || !out || !ds || sha256_init(&h) < 0) {
		free(in);
		free(out);
		ZSTD_freeDStream(ds);
		return -ENOMEM;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s", o->artifact);
	}
	while (r == 0 && (n = read(fd, in, inlen)) != 0) {
		ZSTD_inBuffer ib = { in, 0, 0 };

		if (n < 0) {
			r = -errno;
			log_err(LOG_LVL_ERROR, errno, "%s: read", o->artifact);
			break;
		}
		ib.size = (size_t)n;
		sha256_update(&h, in, (size_t)n);
		while (r == 0 && ib.pos < ib.size) {
			ZSTD_outBuffer ob = { out, outlen, 0 };

			last = ZSTD_decompressStream(ds, &ob, &ib);
			if (ZSTD_isError(last)) {
				log_error("%s: not a valid zstd file: %s", o->artifact, ZSTD_getErrorName(last));
				r = -EBADMSG;
			} else if (ob.pos) {
				r = fn(ctx, out, ob.pos);
			}
		}
	}
	if (r == 0 && last != 0) {
		log_error("%s: the zstd stream is truncated", o->artifact);
		r = -EBADMSG;
	}
	if (r == 0)
		sha256_final_hex(&h, hex);
	else
		sha256_discard(&h);
	ZSTD_freeDStream(ds);
	free(in);
	free(out);
	return r;
}

struct tail {
	char buf[TAIL_KEEP];
	size_t len;
};

static int keep_tail(void *ctx, const char *data, size_t len)
{
	struct tail *t = ctx;

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

/* The artifact is whole: right hash, and a trailer as its last line. */
static int check_artifact(const struct dbrestore_opts *o, int fd)
{
	char hex[SHA256_HEX_LEN + 1];
	struct tail t = { .len = 0 };
	char *line;
	int r;

	r = read_artifact(o, fd, keep_tail, &t, hex);
	if (r < 0)
		return r;
	if (strcmp(hex, o->sha256) != 0) {
		log_error("%s: SHA-256 %s does not match the record's %s: the backup is damaged; nothing was restored",
			  o->artifact, hex, o->sha256);
		return -EBADMSG;
	}
	if (t.len == 0 || t.buf[t.len - 1] != '\n') {
		log_error("%s: the dump is truncated (no trailer line); nothing was restored", o->artifact);
		return -EBADMSG;
	}
	t.buf[t.len - 1] = '\0';
	line = strrchr(t.buf, '\n');
	line = line ? line + 1 : t.buf;
	if (strncmp(line, DBDUMP_TRAILER, strlen(DBDUMP_TRAILER)) != 0) {
		log_error("%s: the dump is truncated (its last line is not \"%s ...\"); nothing was restored",
			  o->artifact, DBDUMP_TRAILER);
		return -EBADMSG;
	}
	return 0;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Replaces every occurrence of FROM by TO in S into OUT. */
static void replace_all(struct sbuf *out, const char *s, size_t len, const char *from, const char *to)
{
	size_t flen = strlen(from);
	const char *end = s + len, *p;

	sbuf_reset(out);
	while ((p = memmem(s, (size_t)(end - s), from, flen))) {
		sbuf_add(out, s, (size_t)(p - s));
		sbuf_adds(out, to);
		s = p + flen;
	}
	sbuf_add(out, s, (size_t)(end - s));
}

/* The statement as it must run in the new database. */
static void rename_statement(struct restore *rs, const char **stmt, size_t *len)
{
	const char *s = *stmt, *p;
	struct sbuf from = { 0 }, to = { 0 };

	sql_add_ident(&from, rs->from_db);
	sql_add_ident(&to, rs->o->to_db);
	if (starts_with(s, "CREATE DATABASE IF NOT EXISTS ") || starts_with(s, "USE ")) {
		/* The first identifier is the database. */
		replace_all(&rs->rewrite, s, *len < 200 ? *len : 200, sbuf_str(&from), sbuf_str(&to));
		if (*len > 200)
			sbuf_add(&rs->rewrite, s + 200, *len - 200);
	} else if (starts_with(s, "CREATE ") && strstr(s, " EVENT ") && (p = strstr(s, " PRESERVE ENABLE "))) {
		/* A check copy must not start doing the original's scheduled work
		 * (ALTER EVENT afterwards would make us its definer). */
		sbuf_reset(&rs->rewrite);
		sbuf_add(&rs->rewrite, s, (size_t)(p - s));
		sbuf_adds(&rs->rewrite, " PRESERVE DISABLE ");
		sbuf_add(&rs->rewrite, p + 17, *len - (size_t)(p + 17 - s));
		rs->stats->events_disabled++;
	} else if (starts_with(s, "CREATE ") && strstr(s, " VIEW ") && !starts_with(s, "CREATE VIEW ")) {
		/* A real view definition: the server qualified its tables. */
		sbuf_adds(&from, ".");
		sbuf_adds(&to, ".");
		replace_all(&rs->rewrite, s, *len, sbuf_str(&from), sbuf_str(&to));
	} else {
		sbuf_free(&from);
		sbuf_free(&to);
		return;
	}
	sbuf_free(&from);
	sbuf_free(&to);
	*stmt = sbuf_str(&rs->rewrite);
	*len = rs->rewrite.len;
}

static int run_statement(void *ctx, const char *stmt, size_t len)
{
	struct restore *rs = ctx;
	MYSQL_RES *res;

	/* Routines and triggers are created in their own sql_mode, which the
	 * splitter must follow for what a backslash means in their bodies. */
	if (starts_with(stmt, "SET sql_mode = "))
		rs->split.no_backslash_escapes = strstr(stmt, "NO_BACKSLASH_ESCAPES") != NULL;
	if (rs->from_db && strcmp(rs->from_db, rs->o->to_db) != 0)
		rename_statement(rs, &stmt, &len);
	if (rs->rewrite.err)
		return rs->rewrite.err;
	if (mysql_real_query(rs->my, stmt, len) != 0) {
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

static int split_chunk(void *ctx, const char *data, size_t len)
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
	char hex[SHA256_HEX_LEN + 1];
	long ntables;
	int fd, r;

	memset(stats, 0, sizeof(*stats));
	if (json_array_size(dbs) != 1) {
		log_error("job %s: backup %s holds %zu databases; --database restores a dump of one. Restore it whole with: zstd -dc FILE | mariadb",
			  o->job, o->id, json_array_size(dbs));
		return -EINVAL;
	}
	rs.from_db = json_string_value(json_array_get(dbs, 0));

	/* One descriptor for the check and the restore: what was checked is
	 * what is restored, even if a prune removes the file meanwhile. */
	fd = open(o->artifact, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "job %s: backup %s: %s", o->job, o->id, o->artifact);
		return r;
	}
	r = check_artifact(o, fd);
	if (r == 0)
		r = count_tables(&rs, &ntables);
	if (r == 0 && ntables > 0 && !o->force) {
		log_error("job %s: database %s already exists and holds %ld table(s); restore into a new database, or add --force",
			  o->job, o->to_db, ntables);
		r = -EEXIST;
	} else if (r == 0) {
		sqlsplit_init(&rs.split);
		r = read_artifact(o, fd, split_chunk, &rs, hex);
		if (r == 0)
			r = sqlsplit_finish(&rs.split, run_statement, &rs);
		sqlsplit_free(&rs.split);
		if (r == 0)
			r = verify_counts(&rs);
		if (r < 0 && ntables < 0)
			drop_partial(&rs);
	}
	close(fd);
	sbuf_free(&rs.rewrite);
	sbuf_free(&rs.q);
	return r;
}

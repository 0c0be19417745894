/*
 * dbdump — a consistent, restorable SQL dump of a MySQL/MariaDB server,
 * over libmysqlclient (no mysqldump).
 *
 * See dbdump.c for the design.  The caller owns the connection and the
 * output: dbdump only turns the server's state into SQL text, handed to
 * opts->write in pieces of at most a few hundred KiB (one huge row aside).
 */
#ifndef LIFEBOAT_DBDUMP_H
#define LIFEBOAT_DBDUMP_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <mysql.h>

#include "config.h"

/* Where a running dump is, for progress displays. */
struct dbdump_progress {
	const char *database;		/* current database, or NULL between objects */
	const char *table;		/* current table, or NULL */
	uint64_t table_rows;		/* rows of the current table dumped so far */
	uint64_t rows;			/* rows dumped in all */
	uint64_t bytes;			/* SQL bytes produced so far */
	uint64_t estimated_bytes;	/* data+index size of everything chosen (from information_schema) */
};

struct dbdump_opts {
	const struct job *job;		/* the db job: databases, excludes, lock, chunk_rows */
	/* Receives the SQL text; returns 0 or a negative errno (stops the dump). */
	int (*write)(void *ctx, const void *buf, size_t len);
	void *write_ctx;
	/* Optional: called after every chunk of rows and every object. */
	void (*progress)(void *ctx, const struct dbdump_progress *p);
	void *progress_ctx;
	/* Optional: called between chunks, where the dump may pause (throttling);
	 * a negative return stops the dump with that error. */
	int (*between_chunks)(void *ctx);
	void *between_ctx;
	/* 0: every chunk is chunk_rows rows.  Otherwise each chunk asks for about
	 * this many bytes of SQL (from the table's mean row so far), never more
	 * than chunk_rows rows: a paced dump keeps the server thread's work per
	 * query short (see throttle.h).  Read before every chunk, so
	 * between_chunks may change it (through the caller's own pointer). */
	uint64_t chunk_bytes;
};

/*
 * Dumps the job's databases over MY, which must be a fresh connection.
 * On success returns 0 and sets *FACTS to a new JSON object (caller owns it)
 * for the record's "db" member: server_version, binlog, lock, databases,
 * tables (engine, rows, bytes, checksum) and counts of the other objects.
 * On failure returns a negative errno, having logged one line that names the
 * database, table or statement at fault.
 */
int dbdump_run(MYSQL *my, const struct dbdump_opts *opts, json_t **facts);

/*
 * Recomputes, from database DB on MY (a restored copy of one of JOB's
 * dumps), the facts a dump of it would record, by the dump's own code with
 * its SQL thrown away: "tables" (each table's rows and checksum, in the same
 * order and format), and the counts of views, triggers, routines and events.
 * JOB gives chunk_rows and the name in messages; its databases and
 * exclude_tables are not used (every table of DB is read).  Returns 0 and
 * *FACTS (caller owns), or a negative errno after logging one line.
 */
int dbdump_recompute(MYSQL *my, const struct job *job, const char *db, json_t **facts);

/* The space the job's chosen tables take on the server (data + index, from
 * information_schema), for estimating a run's size.  Returns 0 or a negative
 * errno (logged). */
int dbdump_estimate(MYSQL *my, const struct job *job, uint64_t *bytes);

/* The dump's second line (after SQLSPLIT_SANDBOX_LINE): the format that
 * sqlsplit reads.  Dumps written before it cannot be split safely. */
#define DBDUMP_FORMAT_LINE "-- Lifeboat dump format 2: one statement a line, DELIMITER blocks, definitions as literals"

/* The restore session's sql_mode for tables and rows: it accepts every value
 * a server can hold, whatever mode stored it (invalid and zero dates, 0 in an
 * AUTO_INCREMENT column; nothing strict), reads backslash escapes and
 * backticks as the dump writes them, and fails on a missing storage engine
 * instead of changing it.  Routines, triggers, events and views run in their
 * own sql_mode. */
#define DBDUMP_DATA_SQL_MODE "NO_AUTO_VALUE_ON_ZERO,ALLOW_INVALID_DATES,NO_ENGINE_SUBSTITUTION"

/* The first bytes of the dump's last line: a dump without it is truncated. */
#define DBDUMP_TRAILER "-- Lifeboat dump completed"

#endif

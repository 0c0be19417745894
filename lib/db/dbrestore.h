/*
 * dbrestore — streams a db job's dump into a new database.
 *
 * Before the server is touched the artifact is read once through reader.h:
 * its size and SHA-256 must match the record and its last line must be the
 * dump's trailer, so a corrupt or truncated dump is refused rather than
 * half-restored (its statements run as they are read, and one of a
 * tampered dump could reach past the new database: checking first is the
 * one case of two reads).  Then the same descriptor is read again (and
 * checked again at its end), decompressed, cut into statements (sqlsplit) and executed one by one.
 * A single-database dump is renamed on the way: its CREATE DATABASE and USE
 * name the new database, and so do the `old`. qualifiers that the server
 * writes into view definitions.  After the restore, every table's row count
 * is checked against the record.
 *
 * It refuses a target database that already holds tables unless told to
 * force.  A restore that fails into a database that did not exist before
 * drops that half-restored database; an existing one is never dropped.  The
 * events of a renamed copy are disabled, so a check copy does not start doing
 * the original's scheduled work.
 */
#ifndef LIFEBOAT_DBRESTORE_H
#define LIFEBOAT_DBRESTORE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <mysql.h>

#include "store.h"

struct dbrestore_opts {
	const char *job;		/* for messages */
	const char *id;			/* backup id, for messages */
	struct store *st;		/* the store, and the backup in it (its sql.zst is read) */
	const struct store_entry *e;
	const json_t *facts;		/* the record's "db" object */
	const char *to_db;		/* the database to restore into */
	bool force;			/* restore into a database that has tables */
};

struct dbrestore_stats {
	uint64_t statements;
	uint64_t bytes;			/* SQL bytes executed */
	uint64_t tables;		/* tables checked against the record */
	uint64_t rows;			/* their rows */
	uint64_t events_disabled;	/* events of a renamed copy, disabled */
	uint64_t read;			/* bytes of the restore pass read from the store */
};

/* Returns 0, or a negative errno after logging one line naming the backup,
 * the database and, for a failed statement, its beginning. */
int dbrestore_run(MYSQL *my, const struct dbrestore_opts *o, struct dbrestore_stats *stats);

#endif

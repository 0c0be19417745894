/*
 * jobkind_db — the settings of a db job ([db:NAME]), as config loads them
 * into struct job's `db`.  The keys that fill them, their defaults and the
 * checks across keys are in jobkind_db.c's key table; the kind's run,
 * estimate, restore and throttle probe are behind jobkind_db_ops (jobkind.h).
 */
#ifndef LIFEBOAT_JOBKIND_DB_H
#define LIFEBOAT_JOBKIND_DB_H

#include <stdint.h>

#include "units.h"

enum db_lock {
	DB_LOCK_AUTO,		/* FLUSH TABLES WITH READ LOCK only if a chosen db has MyISAM/Aria tables */
	DB_LOCK_NONE,		/* never lock: non-transactional tables may be inconsistent */
	DB_LOCK_ALL,		/* always take the global read lock while the snapshot starts */
};

struct db_job {
	char *host;			/* NULL when `socket` is used */
	long port;			/* 0 = the client library's default (3306) */
	char *socket;			/* Unix socket path, or NULL */
	char *user;			/* account name; NULL = from defaults_file */
	char *password_file;		/* file holding the password, or NULL */
	char *defaults_file;		/* a my.cnf-style file with a [client] group, or NULL */
	struct strlist databases;	/* names, or the single item "*" (all but system schemas) */
	struct strlist exclude_tables;	/* "db.table" globs */
	enum db_lock lock;
	uint64_t chunk_rows;		/* rows per primary-key range read */
	int64_t max_dump_time;		/* seconds after which throttling stops pausing the dump */
	char *restore_host;		/* server `restore --database` writes to; NULL = same */
};

#endif

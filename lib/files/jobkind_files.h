/*
 * jobkind_files — the settings of a files job ([files:NAME]), as config
 * loads them into struct job's `files`.  The keys that fill them are in
 * jobkind_files.c's key table; the kind itself is jobkind_files_ops (jobkind.h).
 */
#ifndef LIFEBOAT_JOBKIND_FILES_H
#define LIFEBOAT_JOBKIND_FILES_H

#include <stdbool.h>
#include <stdint.h>

#include "units.h"

struct files_job {
	char *path;			/* absolute root of the tree */
	struct strlist exclude;		/* globs relative to path */
	bool one_file_system;		/* stay on path's filesystem */
	int64_t full_every;		/* seconds between full snapshots */
	long max_chain;			/* longest chain of incrementals on one full */
	char *url_path;			/* the URL the tree is served at (`lifeboat when`), or NULL = "/" */
	int64_t max_snapshot_time;	/* seconds after which the pace stops backing off */
};

#endif

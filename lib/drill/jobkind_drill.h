/*
 * jobkind_drill — the settings of a drill job ([drill:NAME]), as config
 * loads them into struct job's `drill`.  The keys that fill them are in
 * drill_run.c's key table; the kind itself is jobkind_drill_ops (jobkind.h).
 */
#ifndef LIFEBOAT_JOBKIND_DRILL_H
#define LIFEBOAT_JOBKIND_DRILL_H

#include "units.h"

struct drill_job {
	struct strlist of;		/* backup jobs to drill; empty = every job that restores */
	char *scratch_dir;		/* where files and logs restores go (created 0700) */
	char *restore_host;		/* db restores go to this server; NULL = the job's own choice */
};

#endif

/*
 * jobkind_logs — the settings of a logs job ([logs:NAME]), as config loads
 * them into struct job's `logs`.  The keys that fill them are in
 * jobkind_logs.c's key table; the kind itself is jobkind_logs_ops (jobkind.h).
 */
#ifndef LIFEBOAT_JOBKIND_LOGS_H
#define LIFEBOAT_JOBKIND_LOGS_H

#include <stdint.h>

#include "units.h"

struct logs_job {
	struct strlist paths;		/* absolute globs */
	int64_t verify_every;		/* seconds between full re-hashes of archived prefixes */
};

#endif

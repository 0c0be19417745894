/*
 * jobkind_watch — the settings of a watch job ([watch:NAME]), as config loads
 * them into struct job's `watch`.  The keys that fill them are in
 * jobkind_watch.c's key table; the kind itself is jobkind_watch_ops (jobkind.h).
 */
#ifndef LIFEBOAT_JOBKIND_WATCH_H
#define LIFEBOAT_JOBKIND_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "units.h"

struct watch_job {
	char *files;			/* the files job: its path is watched, its snapshots are baselines */
	char *path;			/* or: this tree is watched ... */
	char *originals;		/* ... against this trusted copy of it ("work from originals") */
	struct strlist exclude;		/* globs relative to the path, on top of the files job's */
	bool paranoid;			/* rehash every file on every check */
	bool on_change;			/* the daemon checks on file events (inotify) */
	uint64_t every_requests;	/* a check per this many new lines of requests_from's logs; 0 = off */
	char *requests_from;		/* the logs job whose access logs count requests */
	long max_watches;		/* directories watched at most (on_change) */
	int64_t debounce_s;		/* quiet time after an event before the check, seconds (0: 300 ms) */
};

#endif

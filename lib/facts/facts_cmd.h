/*
 * facts_cmd — runs one program to ask it its version: no shell, a fixed argv,
 * a clean environment (PATH and LC_ALL=C only: nothing of ours, no
 * credentials), stdin from /dev/null, stdout and stderr captured together up
 * to a cap, and killed when it outlives its timeout.
 *
 * It does not search PATH: the caller names the binary by absolute path, so a
 * site-writable directory in PATH cannot put a program in its place.
 */
#ifndef LIFEBOAT_FACTS_CMD_H
#define LIFEBOAT_FACTS_CMD_H

#include <stddef.h>

/* The most output kept from one program; the rest is read and dropped. */
#define FACTS_CMD_MAX_OUTPUT (256 * 1024)

struct facts_cmd_result {
	char *output;		/* stdout+stderr, NUL-terminated, malloc'd (caller frees) */
	size_t len;
	int status;		/* exit status, or 128+signal */
	int timed_out;		/* 1 when it was killed for taking too long */
};

/* Runs ARGV (ARGV[0] an absolute path) for at most TIMEOUT_MS.  Returns 0
 * with *RES filled (whatever the program's exit status), or a negative errno
 * when it could not be started or read. */
int facts_cmd_run(char *const argv[], int timeout_ms, struct facts_cmd_result *res);
/* The same, keeping at most MAX bytes of output (*TRUNCATED set when more
 * came, if not NULL). */
int facts_cmd_run_max(char *const argv[], int timeout_ms, size_t max, struct facts_cmd_result *res,
		      int *truncated);

void facts_cmd_result_free(struct facts_cmd_result *res);

#endif

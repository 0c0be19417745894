/*
 * timefmt — RFC 3339 timestamps in UTC ("2026-11-25T09:30:00Z"), the only
 * time format Lifeboat writes into records and JSON replies.
 */
#ifndef LIFEBOAT_TIMEFMT_H
#define LIFEBOAT_TIMEFMT_H

#include <stddef.h>
#include <time.h>

#define TIMEFMT_RFC3339_LEN 21	/* "YYYY-MM-DDTHH:MM:SSZ" and NUL */

/* Formats T (UTC, second precision) into BUF. */
void timefmt_rfc3339(time_t t, char buf[TIMEFMT_RFC3339_LEN]);
/* Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)".  Returns 0 or -EINVAL. */
int timefmt_parse_rfc3339(const char *s, time_t *out);

#endif

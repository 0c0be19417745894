/*
 * timefmt — see timefmt.h.  Parsing accepts offsets and fractions so that a
 * record edited or produced by another tool still reads; writing is always
 * the one canonical UTC form.
 */
#include "timefmt.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

void timefmt_rfc3339(time_t t, char buf[TIMEFMT_RFC3339_LEN])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, TIMEFMT_RFC3339_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int timefmt_parse_rfc3339(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	const char *p;
	long offset = 0;
	time_t t;

	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -EINVAL;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
		   isdigit((unsigned char)p[2]) && p[3] == ':' &&
		   isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5])) {
		offset = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600L +
			 ((p[4] - '0') * 10 + (p[5] - '0')) * 60L;
		if (*p == '-')
			offset = -offset;
		p += 6;
	} else {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*out = t - offset;
	return 0;
}

/*
 * units — the config file's value parsers and formatters (see units.h).
 *
 * Strict on purpose: "40 MB", "6 hours" or "0.8x" are refused with a reason
 * rather than half-read, because a throttle that silently parsed as 0 would
 * mean "no limit" on the very server the user is trying to protect.
 */
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s", why);
	return -EINVAL;
}

/* Reads the leading unsigned decimal integer of S; *END points after it. */
static int read_uint(const char *s, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	*end = p;
	return 0;
}

int units_parse_size(const char *s, uint64_t *out, char *err, size_t errlen)
{
	static const char hint[] = "expected a size like 512K, 40M or 2G";
	const char *p;
	uint64_t v, mult = 1;
	int r;

	r = read_uint(s, &v, &p);
	if (r == -ERANGE)
		return fail(err, errlen, "size is too large");
	if (r < 0)
		return fail(err, errlen, hint);
	switch (toupper((unsigned char)*p)) {
	case '\0':
		break;
	case 'K': mult = 1ULL << 10; p++; break;
	case 'M': mult = 1ULL << 20; p++; break;
	case 'G': mult = 1ULL << 30; p++; break;
	case 'T': mult = 1ULL << 40; p++; break;
	default:
		return fail(err, errlen, hint);
	}
	/* "40MB" and "40MiB" mean what the user thinks; nothing else may follow. */
	if (mult > 1 && (strcmp(p, "B") == 0 || strcmp(p, "iB") == 0))
		p += strlen(p);
	if (*p)
		return fail(err, errlen, hint);
	if (v > UINT64_MAX / mult)
		return fail(err, errlen, "size is too large");
	*out = v * mult;
	return 0;
}

int units_parse_duration(const char *s, int64_t *out, char *err, size_t errlen)
{
	static const char hint[] = "expected a duration like 90s, 15m, 6h or 7d";
	const char *p;
	uint64_t v, mult;
	int r;

	r = read_uint(s, &v, &p);
	if (r == -ERANGE)
		return fail(err, errlen, "duration is too long");
	if (r < 0)
		return fail(err, errlen, hint);
	switch (*p) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	case 'w': mult = 7 * 86400; break;
	case '\0':
		/* A bare number is ambiguous ("max_wait = 2": hours?), except 0. */
		if (v == 0) {
			*out = 0;
			return 0;
		}
		return fail(err, errlen, "a duration needs a unit: s, m, h, d or w");
	default:
		return fail(err, errlen, hint);
	}
	if (p[1])
		return fail(err, errlen, hint);
	if (v > (uint64_t)INT64_MAX / mult / 2)
		return fail(err, errlen, "duration is too long");
	*out = (int64_t)(v * mult);
	return 0;
}

/* strtod, but only plain decimals: no hex, inf, nan, exponent or sign. */
static int read_decimal(const char *s, double *out, const char **end)
{
	const char *p = s;
	char *e;

	if (!isdigit((unsigned char)*p) && *p != '.')
		return -EINVAL;
	while (isdigit((unsigned char)*p) || *p == '.')
		p++;
	errno = 0;
	*out = strtod(s, &e);
	if (errno || e != p || !isfinite(*out))
		return -EINVAL;
	*end = p;
	return 0;
}

int units_parse_percent(const char *s, double *out, char *err, size_t errlen)
{
	const char *p;
	double v;

	if (read_decimal(s, &v, &p) < 0 || strcmp(p, "%") != 0)
		return fail(err, errlen, "expected a percentage like 5%");
	if (v > 100.0)
		return fail(err, errlen, "a percentage must be between 0% and 100%");
	*out = v;
	return 0;
}

int units_parse_decimal(const char *s, double *out, char *err, size_t errlen)
{
	const char *p;
	double v;

	if (read_decimal(s, &v, &p) < 0 || *p)
		return fail(err, errlen, "expected a number like 0.8");
	*out = v;
	return 0;
}

int units_parse_int(const char *s, long min, long max, long *out, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || isspace((unsigned char)*s) || *end || errno == ERANGE) {
		snprintf(err, errlen, "expected a whole number from %ld to %ld", min, max);
		return -EINVAL;
	}
	if (v < min || v > max) {
		snprintf(err, errlen, "%ld is out of range %ld to %ld", v, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int units_parse_bool(const char *s, bool *out, char *err, size_t errlen)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return fail(err, errlen, "expected yes or no");
}

int strlist_append(struct strlist *l, const char *s)
{
	char **v;
	char *copy;

	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v) {
		free(copy);
		return -ENOMEM;
	}
	v[l->n++] = copy;
	l->v = v;
	return 0;
}

void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int strlist_copy(struct strlist *dst, const struct strlist *src)
{
	struct strlist tmp = { 0 };

	for (size_t i = 0; i < src->n; i++) {
		if (strlist_append(&tmp, src->v[i]) < 0) {
			strlist_free(&tmp);
			return -ENOMEM;
		}
	}
	*dst = tmp;
	return 0;
}

int units_parse_list(const char *s, struct strlist *out, char *err, size_t errlen)
{
	const char *p = s;

	for (;;) {
		const char *start, *end, *comma;
		char item[4096];
		size_t len;

		comma = strchr(p, ',');
		end = comma ? comma : p + strlen(p);
		start = p;
		while (start < end && isspace((unsigned char)*start))
			start++;
		while (end > start && isspace((unsigned char)end[-1]))
			end--;
		len = (size_t)(end - start);
		if (len == 0)
			return fail(err, errlen, "empty item in comma-separated list");
		if (len >= sizeof(item))
			return fail(err, errlen, "list item is too long");
		memcpy(item, start, len);
		item[len] = '\0';
		if (strlist_append(out, item) < 0)
			return fail(err, errlen, "out of memory");
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

void units_format_size(uint64_t v, char *buf, size_t buflen)
{
	static const char suffix[] = "KMGT";
	int i = -1;

	while (v && i < 3 && v % 1024 == 0) {
		v /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, buflen, "%" PRIu64, v);
	else
		snprintf(buf, buflen, "%" PRIu64 "%c", v, suffix[i]);
}

void units_format_duration(int64_t v, char *buf, size_t buflen)
{
	static const struct { int64_t secs; char unit; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' },
	};

	if (v == 0) {
		snprintf(buf, buflen, "0");
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (v % units[i].secs == 0) {
			snprintf(buf, buflen, "%" PRId64 "%c", v / units[i].secs, units[i].unit);
			return;
		}
	}
	snprintf(buf, buflen, "%" PRId64 "s", v);
}

void units_format_size_human(uint64_t v, char *buf, size_t buflen)
{
	static const char *const names[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double d = (double)v;
	int i = -1;

	if (v < 1024) {
		snprintf(buf, buflen, "%" PRIu64 " B", v);
		return;
	}
	while (d >= 1024 && i < 4) {
		d /= 1024;
		i++;
	}
	snprintf(buf, buflen, d < 10 ? "%.1f %s" : "%.0f %s", d, names[i]);
}

void units_format_age(int64_t s, char *buf, size_t buflen)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, buflen, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, buflen, "%" PRId64 "m", s / 60);
	else if (s < 86400)
		snprintf(buf, buflen, "%" PRId64 "h %" PRId64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, buflen, "%" PRId64 "d %" PRId64 "h", s / 86400, s % 86400 / 3600);
}

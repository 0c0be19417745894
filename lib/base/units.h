/*
 * units — the value parsers of the config file, and their inverse for
 * printing the effective config.
 *
 *   size       "40M", "512K", "2G", "1T", "1048576" (bytes; 1K = 1024)
 *   duration   "90s", "15m", "6h", "7d", "2w"; a bare "0" (no unit) is 0
 *   percent    "5%" (0-100, decimals allowed)
 *   decimal    "0.8" (finite, >= 0)
 *   integer    "-20".."19" and such, range checked by the caller
 *   bool       yes/no, true/false, on/off, 1/0
 *   list       "a, b,c" → {"a","b","c"}; empty items refused
 *
 * Each parser takes the whole value (no trailing junk), returns 0 or -EINVAL,
 * and on failure writes a short reason to ERR ("expected a size like 40M").
 */
#ifndef LIFEBOAT_UNITS_H
#define LIFEBOAT_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strlist {
	char **v;		/* NUL-terminated strings, owned */
	size_t n;		/* number of items */
};

int units_parse_size(const char *s, uint64_t *out, char *err, size_t errlen);
int units_parse_duration(const char *s, int64_t *out, char *err, size_t errlen);
int units_parse_percent(const char *s, double *out, char *err, size_t errlen);
int units_parse_decimal(const char *s, double *out, char *err, size_t errlen);
int units_parse_int(const char *s, long min, long max, long *out, char *err, size_t errlen);
int units_parse_bool(const char *s, bool *out, char *err, size_t errlen);
/* Appends the items of S to *OUT (which may already hold items). */
int units_parse_list(const char *s, struct strlist *out, char *err, size_t errlen);

void strlist_free(struct strlist *l);
int strlist_append(struct strlist *l, const char *s);
int strlist_copy(struct strlist *dst, const struct strlist *src);

/* Canonical text: the largest unit that divides the value exactly. */
void units_format_size(uint64_t v, char *buf, size_t buflen);
void units_format_duration(int64_t v, char *buf, size_t buflen);
/* Human-readable approximations for listings: "1.4 MiB", "3h 12m", "2d 4h". */
void units_format_size_human(uint64_t v, char *buf, size_t buflen);
void units_format_age(int64_t seconds, char *buf, size_t buflen);

#endif

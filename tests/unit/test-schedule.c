/*
 * Unit tests for lib/base/schedule.c: parsing (good and bad input), next-fire
 * times from a table of known answers, DST behaviour in Europe/Berlin and
 * America/New_York, schedule_interval, and a brute-force cross-check of
 * schedule_next against a minute-by-minute reference walk.
 *
 * Times are written "YYYY-MM-DD HH:MM:SS +ZZZZ" in the test's zone; the UTC
 * offset makes the repeated hour at fall back unambiguous, and failures
 * print both the expected and the actual string.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schedule.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct ts {
	char s[64];
};

static void use_tz(const char *tz)
{
	assert_int_equal(setenv("TZ", tz, 1), 0);
	tzset();
}

/* T as local "YYYY-MM-DD HH:MM:SS +ZZZZ", or "(none)" for -1. */
static struct ts fmt(time_t t)
{
	struct ts out;
	struct tm tm;

	if (t == (time_t)-1 || !localtime_r(&t, &tm)) {
		snprintf(out.s, sizeof(out.s), "(none)");
		return out;
	}
	strftime(out.s, sizeof(out.s), "%Y-%m-%d %H:%M:%S %z", &tm);
	return out;
}

/*
 * "YYYY-MM-DD HH:MM:SS" (local, must not be ambiguous) or
 * "YYYY-MM-DD HH:MM:SS +ZZZZ" (exact) to time_t.  Checks that the string
 * names a real local time by formatting the result back.
 */
static time_t at(const char *s)
{
	int y, mo, d, h, mi, sec, oh, om, n;
	char sign;
	struct tm tm;
	time_t t;

	n = sscanf(s, "%d-%d-%d %d:%d:%d %c%2d%2d", &y, &mo, &d, &h, &mi, &sec, &sign, &oh, &om);
	if (n != 6 && n != 9)
		fail_msg("bad time string '%s'", s);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (n == 6) {
		tm.tm_isdst = -1;
		t = mktime(&tm);
		assert_memory_equal(fmt(t).s, s, 19);
	} else {
		t = timegm(&tm) - (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
		assert_string_equal(fmt(t).s, s);
	}
	return t;
}

static void parse_ok(const char *expr, struct schedule *s)
{
	char err[256];

	if (schedule_parse(expr, s, err, sizeof(err)) != 0)
		fail_msg("schedule_parse(\"%s\") failed: %s", expr, err);
	assert_string_equal(err, "");
}

/* ---- parsing ---- */

static void test_parse_fields(void **state)
{
	struct schedule s;

	(void)state;
	parse_ok("* * * * *", &s);
	assert_int_equal(s.kind, SCHEDULE_CRON);
	assert_true(s.minutes == (1ULL << 60) - 1);
	assert_int_equal(s.hours, (1U << 24) - 1);
	assert_int_equal(s.mdays, 0xfffffffeU);
	assert_int_equal(s.months, 0x1ffe);
	assert_int_equal(s.wdays, 0x7f);
	assert_true(s.mday_star && s.wday_star && s.hour_star);

	parse_ok("*/15 */6 */10 */3 */2", &s);
	assert_true(s.minutes == (1ULL << 0 | 1ULL << 15 | 1ULL << 30 | 1ULL << 45));
	assert_int_equal(s.hours, 1U << 0 | 1U << 6 | 1U << 12 | 1U << 18);
	assert_int_equal(s.mdays, 1U << 1 | 1U << 11 | 1U << 21 | 1U << 31);
	assert_int_equal(s.months, 1U << 1 | 1U << 4 | 1U << 7 | 1U << 10);
	assert_int_equal(s.wdays, 1U << 0 | 1U << 2 | 1U << 4 | 1U << 6);
	assert_true(s.mday_star && s.wday_star);
	assert_false(s.hour_star);

	parse_ok("5/20 8-18/2 1,15 jan-mar,Dec MON-fri", &s);
	assert_true(s.minutes == (1ULL << 5 | 1ULL << 25 | 1ULL << 45));
	assert_int_equal(s.hours, 1U << 8 | 1U << 10 | 1U << 12 | 1U << 14 | 1U << 16 | 1U << 18);
	assert_int_equal(s.mdays, 1U << 1 | 1U << 15);
	assert_int_equal(s.months, 1U << 1 | 1U << 2 | 1U << 3 | 1U << 12);
	assert_int_equal(s.wdays, 0x3e);
	assert_false(s.mday_star || s.wday_star || s.hour_star);

	/* 7 is Sunday; "N/STEP" in day-of-week stops at Saturday. */
	parse_ok("0 0 * * 7", &s);
	assert_int_equal(s.wdays, 1);
	parse_ok("0 0 * * 0-7", &s);
	assert_int_equal(s.wdays, 0x7f);
	parse_ok("0 0 * * fri-7", &s);
	assert_int_equal(s.wdays, 1U << 0 | 1U << 5 | 1U << 6);
	parse_ok("0 0 * * 1/2", &s);
	assert_int_equal(s.wdays, 1U << 1 | 1U << 3 | 1U << 5);
	parse_ok("0 0 * * sun,SAT", &s);
	assert_int_equal(s.wdays, 1U << 0 | 1U << 6);

	/* "*" with a step is still a star for the day rule. */
	parse_ok("0 0 */2 * 1", &s);
	assert_true(s.mday_star);
	assert_false(s.wday_star);

	parse_ok("@hourly", &s);
	assert_true(s.minutes == 1);
	assert_true(s.hour_star);
	parse_ok("@weekly", &s);
	assert_int_equal(s.hours, 1);
	assert_int_equal(s.wdays, 1);
	assert_false(s.wday_star);

	parse_ok("every 6h", &s);
	assert_int_equal(s.kind, SCHEDULE_EVERY);
	assert_int_equal(s.every, 21600);
	parse_ok("every 90m", &s);
	assert_int_equal(s.every, 5400);
	parse_ok("every 1d", &s);
	assert_int_equal(s.every, 86400);
	parse_ok("every 60s", &s);
	assert_int_equal(s.every, 60);
	parse_ok("every 2s", &s);
	assert_int_equal(s.every, 2);
	parse_ok("  every   1m  ", &s);
	assert_int_equal(s.every, 60);
}

static const char *const good_exprs[] = {
	"* * * * *",
	"  0 0 * * *  ",
	"\t30\t2 * * *\n",
	"0 0 * * SUN",
	"0 9 * jan-mar mon-fri",
	"0,15,30,45 * * * *",
	"0 0 29 2 *",
	"0 0 31 * *",
	"0 0 30 1,2 *",		/* February never has a 30th, January does */
	"0 0 31 2 fri",		/* restricted DOW: fires on Fridays in February */
	"59 23 31 12 *",
	"0 0 1 1 mon",
	"0 0 * * 1-5/2",
	"@daily",
	"@midnight",
	"@monthly",
	"@yearly",
	"@annually",
	" @hourly ",
	"@DAILY",
	"every 1d",
	"every 3650d",
	"EVERY 2h",
};

static void test_parse_good(void **state)
{
	struct schedule s;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(good_exprs); i++)
		parse_ok(good_exprs[i], &s);
}

struct bad_case {
	const char *expr;
	const char *msg;	/* expected message, or NULL for "any" */
};

static const struct bad_case bad_cases[] = {
	{ "", "empty schedule" },
	{ "   \t ", "empty schedule" },
	{ "* * * *", "expected 5 fields, found 4" },
	{ "* * * * * *", "expected 5 fields, found 6" },
	{ "60 * * * *", "minute field: 60 is out of range 0-59" },
	{ "61 * * * *", "minute field: 61 is out of range 0-59" },
	{ "99999999999999999999 * * * *", NULL },
	{ "* 24 * * *", "hour field: 24 is out of range 0-23" },
	{ "* * 0 * *", "day-of-month field: 0 is out of range 1-31" },
	{ "* * 32 * *", "day-of-month field: 32 is out of range 1-31" },
	{ "* * * 0 *", NULL },
	{ "* * * 13 *", "month field: 13 is out of range 1-12" },
	{ "* * * * 8", "day-of-week field: 8 is out of range 0-7" },
	{ "*/0 * * * *", "minute field: step must be at least 1" },
	{ "1-5/0 * * * *", NULL },
	{ "*/ * * * *", NULL },
	{ "5-1 * * * *", NULL },
	{ "* * * * sat-sun", NULL },
	{ "a * * * *", "minute field: 'a' is not a number" },
	{ "1,,2 * * * *", "minute field: empty list item" },
	{ "1, * * * *", NULL },
	{ ",1 * * * *", NULL },
	{ "5x * * * *", NULL },
	{ "1-2-3 * * * *", NULL },
	{ "-1 * * * *", NULL },
	{ "** * * * *", NULL },
	{ "1- * * * *", NULL },
	{ "* * * foo *", "month field: unknown name 'foo'" },
	{ "* * * january *", NULL },
	{ "* * * * mon-", NULL },
	{ "* jan * * *", NULL },
	{ "every", NULL },
	{ "every 0s", NULL },
	{ "every 5x", NULL },
	{ "every 5", NULL },
	{ "every h", NULL },
	{ "every -5m", NULL },
	{ "every 5mm", NULL },
	{ "every 6h extra", NULL },
	{ "every 3651d", NULL },
	{ "every 99999999999999999999d", NULL },
	{ "@fortnightly", NULL },
	{ "@reboot", "@reboot is not supported" },
	{ "@daily extra", NULL },
	{ "@", NULL },
	{ "0 0 31 2 *", "day-of-month field: no selected day occurs in the selected months" },
	{ "0 0 30 2 *", NULL },
	{ "0 0 31 4,6,9,11 *", NULL },
	/* 1 January on a Sunday: a gap of 11 years is beyond the horizon. */
	{ "0 0 1 1 */7", "schedule fires less than once every 10 years" },
};

static void test_parse_bad(void **state)
{
	struct schedule s, orig;
	char err[256];
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		memset(&s, 0x5a, sizeof(s));
		orig = s;
		memset(err, 0, sizeof(err));
		r = schedule_parse(bad_cases[i].expr, &s, err, sizeof(err));
		if (r != -EINVAL)
			fail_msg("schedule_parse(\"%s\") returned %d, want -EINVAL", bad_cases[i].expr, r);
		if (err[0] == '\0')
			fail_msg("schedule_parse(\"%s\") gave no reason", bad_cases[i].expr);
		if (strchr(err, '\n'))
			fail_msg("schedule_parse(\"%s\") reason has a newline: %s", bad_cases[i].expr, err);
		if (bad_cases[i].msg)
			assert_string_equal(err, bad_cases[i].msg);
		assert_memory_equal(&s, &orig, sizeof(s));
	}
}

static void test_parse_err_buffer(void **state)
{
	struct schedule s;
	char err[8];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(schedule_parse("61 * * * *", &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "minute ");
	assert_int_equal(schedule_parse("61 * * * *", &s, NULL, 0), -EINVAL);
	assert_int_equal(schedule_parse(NULL, &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(schedule_parse("@daily", &s, NULL, 0), 0);
	/* A successful parse clears a stale message. */
	strcpy(err, "stale");
	assert_int_equal(schedule_parse("@daily", &s, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

/* ---- known next-fire times ---- */

struct next_case {
	const char *tz;
	const char *expr;
	const char *from;
	const char *want;
};

static const struct next_case next_cases[] = {
	{ "UTC", "* * * * *", "2026-01-01 00:00:00", "2026-01-01 00:01:00 +0000" },
	{ "UTC", "* * * * *", "2026-01-01 00:00:30", "2026-01-01 00:01:00 +0000" },
	{ "UTC", "* * * * *", "2026-12-31 23:59:59", "2027-01-01 00:00:00 +0000" },
	{ "UTC", "*/15 * * * *", "2026-06-01 10:07:00", "2026-06-01 10:15:00 +0000" },
	{ "UTC", "*/15 * * * *", "2026-06-01 10:15:00", "2026-06-01 10:30:00 +0000" },
	{ "UTC", "*/15 * * * *", "2026-06-01 23:45:00", "2026-06-02 00:00:00 +0000" },
	{ "UTC", "30 2 * * *", "2026-05-10 01:00:00", "2026-05-10 02:30:00 +0000" },
	{ "UTC", "30 2 * * *", "2026-05-10 02:30:00", "2026-05-11 02:30:00 +0000" },
	{ "UTC", "30 2 * * *", "2026-05-10 02:29:59", "2026-05-10 02:30:00 +0000" },
	{ "UTC", "0 0 1 * *", "2026-01-31 12:00:00", "2026-02-01 00:00:00 +0000" },
	{ "UTC", "0 0 1 * *", "2026-12-31 23:59:59", "2027-01-01 00:00:00 +0000" },
	{ "UTC", "0 0 1 * *", "2026-02-01 00:00:00", "2026-03-01 00:00:00 +0000" },
	{ "UTC", "0 0 29 2 *", "2025-03-01 00:00:00", "2028-02-29 00:00:00 +0000" },
	{ "UTC", "0 0 29 2 *", "2096-03-01 00:00:00", "2104-02-29 00:00:00 +0000" },
	{ "UTC", "0 0 29 2 *", "2097-03-01 00:00:00", "2104-02-29 00:00:00 +0000" },
	{ "Europe/Berlin", "0 0 29 2 *", "2097-03-01 00:00:00", "2104-02-29 00:00:00 +0100" },
	{ "UTC", "0 0 31 * *", "2026-04-01 00:00:00", "2026-05-31 00:00:00 +0000" },
	{ "UTC", "0 0 31 * *", "2026-05-31 00:00:00", "2026-07-31 00:00:00 +0000" },
	{ "UTC", "0 0 31 * *", "2026-07-31 00:00:00", "2026-08-31 00:00:00 +0000" },
	{ "UTC", "0 0 31 * *", "2026-08-31 00:00:00", "2026-10-31 00:00:00 +0000" },
	{ "UTC", "0 0 31 * *", "2026-10-31 00:00:00", "2026-12-31 00:00:00 +0000" },
	/* Both day fields restricted: the 13th OR a Friday. */
	{ "UTC", "0 0 13 * 5", "2026-02-01 00:00:00", "2026-02-06 00:00:00 +0000" },
	{ "UTC", "0 0 13 * 5", "2026-02-06 00:00:00", "2026-02-13 00:00:00 +0000" },
	{ "UTC", "0 0 13 * 5", "2026-04-10 00:00:00", "2026-04-13 00:00:00 +0000" },
	{ "UTC", "0 0 13 * 5", "2026-04-13 00:00:00", "2026-04-17 00:00:00 +0000" },
	/* Day-of-month "*" with a step: odd days AND Mondays. */
	{ "UTC", "0 0 */2 * 1", "2026-01-01 00:00:00", "2026-01-05 00:00:00 +0000" },
	{ "UTC", "0 0 */2 * 1", "2026-01-05 00:00:00", "2026-01-19 00:00:00 +0000" },
	/* 2026-01-07 is a Wednesday. */
	{ "UTC", "0 0 * * 7", "2026-01-07 12:00:00", "2026-01-11 00:00:00 +0000" },
	{ "UTC", "0 0 * * 0", "2026-01-07 12:00:00", "2026-01-11 00:00:00 +0000" },
	{ "UTC", "0 0 * * sun", "2026-01-07 12:00:00", "2026-01-11 00:00:00 +0000" },
	{ "UTC", "0 0 * * 1-5", "2026-01-09 00:00:00", "2026-01-12 00:00:00 +0000" },
	{ "UTC", "0 9 * jan-mar mon-fri", "2026-03-30 09:00:00", "2026-03-31 09:00:00 +0000" },
	{ "UTC", "0 9 * jan-mar mon-fri", "2026-03-31 09:00:00", "2027-01-01 09:00:00 +0000" },
	{ "UTC", "0 9 * JAN-Mar MON-FRI", "2026-03-31 09:00:00", "2027-01-01 09:00:00 +0000" },
	{ "UTC", "0 8-18/2 * * *", "2026-06-01 08:30:00", "2026-06-01 10:00:00 +0000" },
	{ "UTC", "0 8-18/2 * * *", "2026-06-01 18:00:00", "2026-06-02 08:00:00 +0000" },
	{ "UTC", "0 8-18/2 * * *", "2026-06-01 17:59:00", "2026-06-01 18:00:00 +0000" },
	{ "UTC", "5/20 * * * *", "2026-06-01 10:45:00", "2026-06-01 11:05:00 +0000" },
	{ "UTC", "0,30 9,17 * * *", "2026-06-01 09:30:00", "2026-06-01 17:00:00 +0000" },
	{ "UTC", "59 23 31 12 *", "2026-06-01 00:00:00", "2026-12-31 23:59:00 +0000" },
	{ "UTC", "@hourly", "2026-06-01 10:00:00", "2026-06-01 11:00:00 +0000" },
	{ "UTC", "@hourly", "2026-06-01 23:59:00", "2026-06-02 00:00:00 +0000" },
	{ "UTC", "@daily", "2026-06-01 00:00:00", "2026-06-02 00:00:00 +0000" },
	{ "UTC", "@midnight", "2026-06-01 13:00:00", "2026-06-02 00:00:00 +0000" },
	{ "UTC", "@weekly", "2026-01-07 12:00:00", "2026-01-11 00:00:00 +0000" },
	{ "UTC", "@weekly", "2026-01-11 00:00:00", "2026-01-18 00:00:00 +0000" },
	{ "UTC", "@monthly", "2026-01-15 00:00:00", "2026-02-01 00:00:00 +0000" },
	{ "UTC", "@yearly", "2026-01-01 00:00:00", "2027-01-01 00:00:00 +0000" },
	{ "UTC", "@annually", "2026-07-01 00:00:00", "2027-01-01 00:00:00 +0000" },
	{ "UTC", "every 6h", "2026-06-01 10:17:23", "2026-06-01 16:17:23 +0000" },
	{ "UTC", "every 90m", "2026-06-01 23:00:00", "2026-06-02 00:30:00 +0000" },
	/* "every" counts seconds: across spring forward it is 6 h of real time. */
	{ "Europe/Berlin", "every 6h", "2026-03-29 00:00:00", "2026-03-29 07:00:00 +0200" },
	/* Local time, not UTC. */
	{ "Europe/Berlin", "0 0 * * *", "2026-06-01 12:00:00", "2026-06-02 00:00:00 +0200" },
	{ "America/New_York", "0 0 * * *", "2026-06-01 22:00:00", "2026-06-02 00:00:00 -0400" },

	/* Berlin spring forward, 2026-03-29 02:00 CET -> 03:00 CEST. */
	{ "Europe/Berlin", "30 2 * * *", "2026-03-28 03:00:00", "2026-03-29 03:00:00 +0200" },
	{ "Europe/Berlin", "30 2 * * *", "2026-03-29 03:00:00", "2026-03-30 02:30:00 +0200" },
	{ "Europe/Berlin", "30 2 * * *", "2026-03-29 01:59:59", "2026-03-29 03:00:00 +0200" },
	{ "Europe/Berlin", "0 2 * * *", "2026-03-28 12:00:00", "2026-03-29 03:00:00 +0200" },
	{ "Europe/Berlin", "30 3 * * *", "2026-03-29 00:00:00", "2026-03-29 03:30:00 +0200" },
	{ "Europe/Berlin", "*/15 * * * *", "2026-03-29 01:50:00", "2026-03-29 03:00:00 +0200" },
	{ "Europe/Berlin", "*/15 * * * *", "2026-03-29 03:00:00", "2026-03-29 03:15:00 +0200" },
	/* Berlin fall back, 2026-10-25 03:00 CEST -> 02:00 CET. */
	{ "Europe/Berlin", "30 2 * * *", "2026-10-25 00:00:00", "2026-10-25 02:30:00 +0200" },
	{ "Europe/Berlin", "30 2 * * *", "2026-10-25 02:30:00 +0200", "2026-10-26 02:30:00 +0100" },
	{ "Europe/Berlin", "30 2 * * *", "2026-10-25 02:10:00 +0100", "2026-10-26 02:30:00 +0100" },
	{ "Europe/Berlin", "30 2 * * *", "2026-10-25 02:40:00 +0200", "2026-10-26 02:30:00 +0100" },
	{ "Europe/Berlin", "*/30 * * * *", "2026-10-25 02:00:00 +0200", "2026-10-25 02:30:00 +0200" },
	{ "Europe/Berlin", "*/30 * * * *", "2026-10-25 02:30:00 +0200", "2026-10-25 02:00:00 +0100" },
	{ "Europe/Berlin", "*/30 * * * *", "2026-10-25 02:10:00 +0100", "2026-10-25 02:30:00 +0100" },

	/* New York spring forward, 2026-03-08 02:00 EST -> 03:00 EDT. */
	{ "America/New_York", "30 2 * * *", "2026-03-07 12:00:00", "2026-03-08 03:00:00 -0400" },
	{ "America/New_York", "30 2 * * *", "2026-03-08 03:00:00", "2026-03-09 02:30:00 -0400" },
	/* New York fall back, 2026-11-01 02:00 EDT -> 01:00 EST. */
	{ "America/New_York", "30 1 * * *", "2026-10-31 12:00:00", "2026-11-01 01:30:00 -0400" },
	{ "America/New_York", "30 1 * * *", "2026-11-01 01:30:00 -0400", "2026-11-02 01:30:00 -0500" },
	{ "America/New_York", "30 * * * *", "2026-11-01 01:30:00 -0400", "2026-11-01 01:30:00 -0500" },
};

static void test_next_table(void **state)
{
	struct schedule s;
	char got[256], want[256];
	const struct next_case *c;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(next_cases); i++) {
		c = &next_cases[i];
		use_tz(c->tz);
		parse_ok(c->expr, &s);
		snprintf(want, sizeof(want), "[%s] \"%s\" after %s: %s", c->tz, c->expr, c->from, c->want);
		snprintf(got, sizeof(got), "[%s] \"%s\" after %s: %s", c->tz, c->expr, c->from,
		    fmt(schedule_next(&s, at(c->from))).s);
		assert_string_equal(got, want);
	}
}

/* ---- sequences through DST changes ---- */

/*
 * A made-up zone whose DST ends at 00:30, turning the clock back to 23:30
 * the day before, so a fire can fall on an earlier date than FROM.
 */
#define MIDNIGHT_TZ "XST3XDT,M3.2.0,M11.1.0/0:30"

struct seq_case {
	const char *tz;
	const char *expr;
	const char *from;
	const char *want[8];
	int step;		/* if non-zero, every gap must be this many seconds */
};

static const struct seq_case seq_cases[] = {
	/* Hour "*": keeps its rhythm through both 02:xx hours. */
	{ "Europe/Berlin", "*/30 * * * *", "2026-10-25 01:45:00", {
		"2026-10-25 02:00:00 +0200", "2026-10-25 02:30:00 +0200",
		"2026-10-25 02:00:00 +0100", "2026-10-25 02:30:00 +0100",
		"2026-10-25 03:00:00 +0100", NULL }, 1800 },
	/* Hour restricted: the repeated time fires once, at its first occurrence. */
	{ "Europe/Berlin", "*/30 2 * * *", "2026-10-25 00:00:00", {
		"2026-10-25 02:00:00 +0200", "2026-10-25 02:30:00 +0200",
		"2026-10-26 02:00:00 +0100", "2026-10-26 02:30:00 +0100", NULL }, 0 },
	{ "Europe/Berlin", "30 2 * * *", "2026-10-24 12:00:00", {
		"2026-10-25 02:30:00 +0200", "2026-10-26 02:30:00 +0100",
		"2026-10-27 02:30:00 +0100", NULL }, 0 },
	{ "Europe/Berlin", "30 2 * * *", "2026-03-28 00:00:00", {
		"2026-03-28 02:30:00 +0100", "2026-03-29 03:00:00 +0200",
		"2026-03-30 02:30:00 +0200", NULL }, 0 },
	/* Every slot in the gap collapses onto 03:00, which fires once. */
	{ "Europe/Berlin", "0 * * * *", "2026-03-29 00:30:00", {
		"2026-03-29 01:00:00 +0100", "2026-03-29 03:00:00 +0200",
		"2026-03-29 04:00:00 +0200", NULL }, 3600 },
	{ "Europe/Berlin", "*/20 * * * *", "2026-03-29 01:30:00", {
		"2026-03-29 01:40:00 +0100", "2026-03-29 03:00:00 +0200",
		"2026-03-29 03:20:00 +0200", NULL }, 1200 },
	{ "Europe/Berlin", "0 * * * *", "2026-10-25 00:30:00", {
		"2026-10-25 01:00:00 +0200", "2026-10-25 02:00:00 +0200",
		"2026-10-25 02:00:00 +0100", "2026-10-25 03:00:00 +0100", NULL }, 3600 },
	{ "America/New_York", "*/30 * * * *", "2026-11-01 00:45:00", {
		"2026-11-01 01:00:00 -0400", "2026-11-01 01:30:00 -0400",
		"2026-11-01 01:00:00 -0500", "2026-11-01 01:30:00 -0500",
		"2026-11-01 02:00:00 -0500", NULL }, 1800 },
	{ "America/New_York", "15 1 * * *", "2026-10-31 00:00:00", {
		"2026-10-31 01:15:00 -0400", "2026-11-01 01:15:00 -0400",
		"2026-11-02 01:15:00 -0500", NULL }, 0 },
	{ "America/New_York", "*/15 2 * * *", "2026-03-07 23:00:00", {
		"2026-03-08 03:00:00 -0400", "2026-03-09 02:00:00 -0400",
		"2026-03-09 02:15:00 -0400", NULL }, 0 },
	{ MIDNIGHT_TZ, "*/15 * * * *", "2026-11-01 00:00:00 -0200", {
		"2026-11-01 00:15:00 -0200", "2026-10-31 23:30:00 -0300",
		"2026-10-31 23:45:00 -0300", "2026-11-01 00:00:00 -0300",
		"2026-11-01 00:15:00 -0300", "2026-11-01 00:30:00 -0300", NULL }, 900 },
	{ MIDNIGHT_TZ, "15 0 * * *", "2026-10-31 12:00:00", {
		"2026-11-01 00:15:00 -0200", "2026-11-02 00:15:00 -0300", NULL }, 0 },
	{ MIDNIGHT_TZ, "45 23 * * *", "2026-10-30 12:00:00", {
		"2026-10-30 23:45:00 -0200", "2026-10-31 23:45:00 -0200",
		"2026-11-01 23:45:00 -0300", NULL }, 0 },
	{ "Australia/Lord_Howe", "*/15 2 * * *", "2026-10-04 00:00:00", {
		"2026-10-04 02:30:00 +1100", "2026-10-04 02:45:00 +1100",
		"2026-10-05 02:00:00 +1100", NULL }, 0 },
	{ "Australia/Lord_Howe", "*/20 * * * *", "2026-04-05 01:10:00 +1100", {
		"2026-04-05 01:20:00 +1100", "2026-04-05 01:40:00 +1100",
		"2026-04-05 01:40:00 +1030", "2026-04-05 02:00:00 +1030", NULL }, 0 },
};

static void test_next_sequences(void **state)
{
	const struct seq_case *c;
	struct schedule s;
	char got[256], want[256];
	time_t t, prev;
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(seq_cases); i++) {
		c = &seq_cases[i];
		use_tz(c->tz);
		parse_ok(c->expr, &s);
		prev = at(c->from);
		for (j = 0; j < ARRAY_SIZE(c->want) && c->want[j]; j++) {
			t = schedule_next(&s, prev);
			snprintf(want, sizeof(want), "[%s] \"%s\" fire %zu after %s: %s",
			    c->tz, c->expr, j + 1, c->from, c->want[j]);
			snprintf(got, sizeof(got), "[%s] \"%s\" fire %zu after %s: %s",
			    c->tz, c->expr, j + 1, c->from, fmt(t).s);
			assert_string_equal(got, want);
			if (c->step && j > 0)
				assert_int_equal(t - prev, c->step);
			prev = t;
		}
	}
}

/* The literal fall-back check: same wall clock, offsets an hour apart. */
static void test_berlin_fall_back_offsets(void **state)
{
	struct schedule s;
	struct tm tm;
	time_t t[4], prev;
	int i;

	(void)state;
	use_tz("Europe/Berlin");
	parse_ok("*/30 * * * *", &s);
	prev = at("2026-10-25 01:59:00");
	for (i = 0; i < 4; i++)
		prev = t[i] = schedule_next(&s, prev);
	for (i = 0; i < 4; i++) {
		assert_non_null(localtime_r(&t[i], &tm));
		assert_int_equal(tm.tm_hour, 2);
		assert_int_equal(tm.tm_min, i % 2 ? 30 : 0);
		assert_int_equal(tm.tm_sec, 0);
		assert_int_equal(tm.tm_gmtoff, i < 2 ? 7200 : 3600);
		if (i > 0)
			assert_int_equal(t[i] - t[i - 1], 1800);
	}
}

/* ---- brute-force cross-check ---- */

static int64_t wall(time_t t)
{
	struct tm tm;

	assert_non_null(localtime_r(&t, &tm));
	return (int64_t)timegm(&tm);
}

static bool wall_matches(const struct schedule *s, int64_t w)
{
	time_t tt = (time_t)w;
	struct tm tm;
	bool dm, wm;

	assert_non_null(gmtime_r(&tt, &tm));
	if (!(s->minutes >> tm.tm_min & 1) || !(s->hours >> tm.tm_hour & 1) ||
	    !(s->months >> (tm.tm_mon + 1) & 1))
		return false;
	dm = s->mdays >> tm.tm_mday & 1;
	wm = s->wdays >> tm.tm_wday & 1;
	return !s->mday_star && !s->wday_star ? dm || wm : dm && wm;
}

/*
 * The reference: walk real time a minute at a time.  A minute fires if a
 * matching wall time first appears in it (after a gap, any of the skipped
 * ones), or if it repeats a matching wall time and the hour field is "*".
 */
static time_t reference_next(const struct schedule *s, time_t from, time_t stop)
{
	int64_t maxwall = wall(from), pw, w, x;
	time_t t;

	for (t = from - from % 60 + 60; t <= stop; t += 60) {
		w = wall(t);
		pw = wall(t - 60);
		if (w <= maxwall) {
			if (s->hour_star && w % 60 == 0 && wall_matches(s, w))
				return t;
			continue;
		}
		/* Each whole wall minute in (max(pw, maxwall), w]. */
		x = pw > maxwall ? pw : maxwall;
		for (x = x - x % 60 + 60; x <= w; x += 60)
			if (wall_matches(s, x))
				return t;
		maxwall = w;
	}
	return (time_t)-1;
}

struct brute_case {
	const char *tz;
	const char *from;
	int days;
};

static const struct brute_case brute_windows[] = {
	{ "UTC", "2026-02-27 00:00:00", 3 },
	{ "Europe/Berlin", "2026-03-28 00:00:00", 2 },
	{ "Europe/Berlin", "2026-10-24 00:00:00", 2 },
	{ "America/New_York", "2026-03-07 00:00:00", 2 },
	{ "America/New_York", "2026-10-31 00:00:00", 2 },
	{ "America/New_York", "2028-02-28 00:00:00", 2 },
	/* Half-hour DST: 02:00 -> 01:30 in April, 02:00 -> 02:30 in October. */
	{ "Australia/Lord_Howe", "2026-04-04 12:00:00", 1 },
	{ "Australia/Lord_Howe", "2026-10-03 12:00:00", 1 },
	{ MIDNIGHT_TZ, "2026-10-31 12:00:00", 1 },
	/* A standard-time change, not DST: 02:00 -> 01:00 on 2014-10-26. */
	{ "Europe/Moscow", "2014-10-25 12:00:00", 1 },
	/* Samoa skipped 2011-12-30 entirely. */
	{ "Pacific/Apia", "2011-12-28 00:00:00", 4 },
};

static const char *const brute_exprs[] = {
	"* * * * *",
	"*/7 * * * *",
	"*/30 * * * *",
	"0 * * * *",
	"59 * * * *",
	"30 2 * * *",
	"0 2 * * *",
	"59 1 * * *",
	"* 2 * * *",
	"15,45 1-3 * * *",
	"*/20 1,2 * * *",
	"0 0 29 2 *",
	"0 3 * * 0",
	"10 0 1 * 6",
};

static void test_next_brute_force(void **state)
{
	const struct brute_case *c;
	struct schedule s;
	time_t t, want, got, stop;
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(brute_windows); i++) {
		c = &brute_windows[i];
		use_tz(c->tz);
		for (j = 0; j < ARRAY_SIZE(brute_exprs); j++) {
			parse_ok(brute_exprs[j], &s);
			stop = at(c->from) + (time_t)c->days * 86400;
			for (t = at(c->from); ; t = want) {
				want = reference_next(&s, t, stop);
				if (want == (time_t)-1)
					break;
				got = schedule_next(&s, t);
				if (got != want)
					fail_msg("[%s] \"%s\" after %s: want %s, got %s", c->tz,
					    brute_exprs[j], fmt(t).s, fmt(want).s, fmt(got).s);
				/* From an arbitrary second too, not just from fires. */
				if (want - t > 90 && schedule_next(&s, want - 61) != want)
					fail_msg("[%s] \"%s\" after %s: want %s", c->tz,
					    brute_exprs[j], fmt(want - 61).s, fmt(want).s);
			}
		}
	}
}

/* Day rules over several years, one fire a day at noon UTC. */
static void test_next_day_rules(void **state)
{
	static const char *const exprs[] = {
		"0 12 13 * 5", "0 12 */2 * 1", "0 12 1-7 * mon", "0 12 * feb-apr sat,sun",
		"0 12 31 * *", "0 12 29 2 *", "0 12 */10 */5 *", "0 12 15 6 */3",
		"0 12 * * 7", "0 12 1,15 * *",
	};
	struct schedule s;
	time_t t, day, got, want, start, stop;
	size_t i;

	(void)state;
	use_tz("UTC");
	start = at("2026-01-01 00:00:00");
	stop = at("2036-01-01 00:00:00");
	for (i = 0; i < ARRAY_SIZE(exprs); i++) {
		parse_ok(exprs[i], &s);
		t = start;
		for (;;) {
			want = (time_t)-1;
			for (day = t - t % 86400 + 12 * 3600; day <= stop; day += 86400) {
				if (day > t && wall_matches(&s, day)) {
					want = day;
					break;
				}
			}
			if (want == (time_t)-1)
				break;
			got = schedule_next(&s, t);
			if (got != want)
				fail_msg("\"%s\" after %s: want %s, got %s", exprs[i], fmt(t).s,
				    fmt(want).s, fmt(got).s);
			t = want;
		}
	}
}

/* A sparse schedule must skip years of days without crawling. */
static void test_next_is_fast(void **state)
{
	struct schedule s;
	struct timespec a, b;
	time_t from, t = 0;
	double secs;
	int i;

	(void)state;
	use_tz("Europe/Berlin");
	parse_ok("0 0 29 2 *", &s);
	from = at("2097-03-01 00:00:00");
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < 200; i++)
		t = schedule_next(&s, from + i);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_string_equal(fmt(t).s, "2104-02-29 00:00:00 +0100");
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	if (secs > 5.0)
		fail_msg("200 leap-day lookups took %.2f s", secs);
}

static void test_next_every(void **state)
{
	struct schedule s;

	(void)state;
	use_tz("UTC");
	parse_ok("every 6h", &s);
	assert_int_equal(schedule_next(&s, 1000), 1000 + 21600);
	parse_ok("every 90m", &s);
	assert_int_equal(schedule_next(&s, 0), 5400);
}

/* ---- schedule_interval ---- */

struct interval_case {
	const char *tz;
	const char *expr;
	const char *from;
	int64_t want;
};

static const struct interval_case interval_cases[] = {
	{ "UTC", "@hourly", "2026-01-01 00:00:00", 3600 },
	{ "UTC", "@daily", "2026-01-01 00:00:00", 86400 },
	{ "UTC", "0 0 1 * *", "2026-01-01 00:00:00", 28 * 86400 },
	{ "UTC", "@monthly", "2026-03-05 00:00:00", 28 * 86400 },
	{ "UTC", "every 6h", "2026-01-01 00:00:00", 21600 },
	{ "UTC", "every 90m", "2026-01-01 00:00:00", 5400 },
	{ "UTC", "* * * * *", "2026-01-01 00:00:00", 60 },
	{ "UTC", "*/15 * * * *", "2026-01-01 00:00:00", 900 },
	{ "UTC", "*/2 * * * *", "2026-01-01 00:00:00", 120 },
	{ "UTC", "0 9,17 * * *", "2026-01-01 00:00:00", 8 * 3600 },
	{ "UTC", "0 0 * * 1-5", "2026-01-01 00:00:00", 86400 },
	{ "UTC", "@weekly", "2026-01-01 00:00:00", 7 * 86400 },
	{ "UTC", "@yearly", "2026-01-02 00:00:00", 365 * 86400 },
	{ "UTC", "0 0 29 2 *", "2025-03-01 00:00:00", 1461 * 86400 },
	/* Real seconds: spring forward makes one day 23 h long. */
	{ "Europe/Berlin", "@daily", "2026-01-01 00:00:00", 23 * 3600 },
	{ "Europe/Berlin", "*/30 * * * *", "2026-10-20 00:00:00", 1800 },
};

static void test_interval(void **state)
{
	const struct interval_case *c;
	struct schedule s;
	char got[256], want[256];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(interval_cases); i++) {
		c = &interval_cases[i];
		use_tz(c->tz);
		parse_ok(c->expr, &s);
		snprintf(want, sizeof(want), "[%s] \"%s\" from %s: %lld", c->tz, c->expr,
		    c->from, (long long)c->want);
		snprintf(got, sizeof(got), "[%s] \"%s\" from %s: %lld", c->tz, c->expr,
		    c->from, (long long)schedule_interval(&s, at(c->from)));
		assert_string_equal(got, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_err_buffer),
		cmocka_unit_test(test_next_table),
		cmocka_unit_test(test_next_sequences),
		cmocka_unit_test(test_berlin_fall_back_offsets),
		cmocka_unit_test(test_next_brute_force),
		cmocka_unit_test(test_next_day_rules),
		cmocka_unit_test(test_next_is_fast),
		cmocka_unit_test(test_next_every),
		cmocka_unit_test(test_interval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

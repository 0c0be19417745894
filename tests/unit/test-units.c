/* Unit tests of lib/units: every config value parser and its formatter. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "units.h"

static void test_size(void **state)
{
	static const struct { const char *in; uint64_t want; } ok[] = {
		{ "0", 0 }, { "1", 1 }, { "1024", 1024 }, { "512K", 512 << 10 },
		{ "40M", 40ull << 20 }, { "40m", 40ull << 20 }, { "2G", 2ull << 30 },
		{ "1T", 1ull << 40 }, { "40MB", 40ull << 20 }, { "40MiB", 40ull << 20 },
	};
	static const char *const bad[] = {
		"", "M", "-1", "40 M", "40X", "1.5G", "40Mb", " 40M", "40M ", "99999999999999999999",
		"20000000T",
	};
	char err[128];
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(units_parse_size(ok[i].in, &v, err, sizeof(err)), 0);
		assert_int_equal(v, ok[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (units_parse_size(bad[i], &v, err, sizeof(err)) == 0)
			fail_msg("size '%s' was accepted as %llu", bad[i], (unsigned long long)v);
		assert_true(err[0] != '\0');
	}
}

static void test_duration(void **state)
{
	static const struct { const char *in; int64_t want; } ok[] = {
		{ "0", 0 }, { "90s", 90 }, { "15m", 900 }, { "6h", 21600 }, { "7d", 604800 },
		{ "2w", 1209600 }, { "0s", 0 },
	};
	static const char *const bad[] = {
		"", "5", "6 h", "6H", "6hours", "h", "-1h", "1.5h", "6hh", "99999999999999999999d",
	};
	char err[128];
	int64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(units_parse_duration(ok[i].in, &v, err, sizeof(err)), 0);
		assert_int_equal(v, ok[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (units_parse_duration(bad[i], &v, err, sizeof(err)) == 0)
			fail_msg("duration '%s' was accepted as %lld", bad[i], (long long)v);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(units_parse_duration("5", &v, err, sizeof(err)), -22);
	assert_non_null(strstr(err, "needs a unit"));
}

static void test_percent_decimal(void **state)
{
	char err[128];
	double d;

	(void)state;
	assert_int_equal(units_parse_percent("5%", &d, err, sizeof(err)), 0);
	assert_float_equal(d, 5.0, 1e-9);
	assert_int_equal(units_parse_percent("12.5%", &d, err, sizeof(err)), 0);
	assert_float_equal(d, 12.5, 1e-9);
	assert_int_equal(units_parse_percent("100%", &d, err, sizeof(err)), 0);
	assert_int_not_equal(units_parse_percent("101%", &d, err, sizeof(err)), 0);
	assert_int_not_equal(units_parse_percent("5", &d, err, sizeof(err)), 0);
	assert_int_not_equal(units_parse_percent("-5%", &d, err, sizeof(err)), 0);
	assert_int_not_equal(units_parse_percent("5 %", &d, err, sizeof(err)), 0);

	assert_int_equal(units_parse_decimal("0.8", &d, err, sizeof(err)), 0);
	assert_float_equal(d, 0.8, 1e-9);
	assert_int_equal(units_parse_decimal("2", &d, err, sizeof(err)), 0);
	assert_float_equal(d, 2.0, 1e-9);
	assert_int_not_equal(units_parse_decimal("nan", &d, err, sizeof(err)), 0);
	assert_int_not_equal(units_parse_decimal("inf", &d, err, sizeof(err)), 0);
	assert_int_not_equal(units_parse_decimal("0x10", &d, err, sizeof(err)), 0);
	assert_int_not_equal(units_parse_decimal("1e3", &d, err, sizeof(err)), 0);
	assert_int_not_equal(units_parse_decimal("-0.5", &d, err, sizeof(err)), 0);
	assert_int_not_equal(units_parse_decimal("1..2", &d, err, sizeof(err)), 0);
	assert_int_not_equal(units_parse_decimal("", &d, err, sizeof(err)), 0);
}

static void test_int_bool(void **state)
{
	char err[128];
	long l;
	bool b;

	(void)state;
	assert_int_equal(units_parse_int("-20", -20, 19, &l, err, sizeof(err)), 0);
	assert_int_equal(l, -20);
	assert_int_not_equal(units_parse_int("20", -20, 19, &l, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "out of range"));
	assert_int_not_equal(units_parse_int("1x", 0, 9, &l, err, sizeof(err)), 0);
	assert_int_not_equal(units_parse_int("", 0, 9, &l, err, sizeof(err)), 0);
	assert_int_not_equal(units_parse_int(" 1", 0, 9, &l, err, sizeof(err)), 0);
	assert_int_not_equal(units_parse_int("99999999999999999999999", 0, 9, &l, err, sizeof(err)), 0);

	for (const char *const *y = (const char *const[]){ "yes", "YES", "true", "on", "1", NULL }; *y; y++) {
		assert_int_equal(units_parse_bool(*y, &b, err, sizeof(err)), 0);
		assert_true(b);
	}
	for (const char *const *n = (const char *const[]){ "no", "false", "Off", "0", NULL }; *n; n++) {
		assert_int_equal(units_parse_bool(*n, &b, err, sizeof(err)), 0);
		assert_false(b);
	}
	assert_int_not_equal(units_parse_bool("maybe", &b, err, sizeof(err)), 0);
}

static void test_list(void **state)
{
	struct strlist l = { 0 };
	char err[128];

	(void)state;
	assert_int_equal(units_parse_list("cache/*, *.tmp,x", &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0], "cache/*");
	assert_string_equal(l.v[1], "*.tmp");
	assert_string_equal(l.v[2], "x");
	assert_int_equal(units_parse_list("  one  ", &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[3], "one");
	strlist_free(&l);
	assert_int_equal(l.n, 0);

	assert_int_not_equal(units_parse_list("a,,b", &l, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "empty item"));
	strlist_free(&l);
	assert_int_not_equal(units_parse_list("a,", &l, err, sizeof(err)), 0);
	strlist_free(&l);
	assert_int_not_equal(units_parse_list("", &l, err, sizeof(err)), 0);
	strlist_free(&l);
}

static void test_format(void **state)
{
	char buf[64];

	(void)state;
	units_format_size(40ull << 20, buf, sizeof(buf));
	assert_string_equal(buf, "40M");
	units_format_size(1536, buf, sizeof(buf));
	assert_string_equal(buf, "1536");
	units_format_size(0, buf, sizeof(buf));
	assert_string_equal(buf, "0");
	units_format_size(3ull << 40, buf, sizeof(buf));
	assert_string_equal(buf, "3T");
	units_format_duration(7200, buf, sizeof(buf));
	assert_string_equal(buf, "2h");
	units_format_duration(90, buf, sizeof(buf));
	assert_string_equal(buf, "90s");
	units_format_duration(604800, buf, sizeof(buf));
	assert_string_equal(buf, "7d");
	units_format_duration(0, buf, sizeof(buf));
	assert_string_equal(buf, "0");
	units_format_size_human(1536, buf, sizeof(buf));
	assert_string_equal(buf, "1.5 KiB");
	units_format_size_human(100, buf, sizeof(buf));
	assert_string_equal(buf, "100 B");
	units_format_size_human(300ull << 20, buf, sizeof(buf));
	assert_string_equal(buf, "300 MiB");
	units_format_age(42, buf, sizeof(buf));
	assert_string_equal(buf, "42s");
	units_format_age(3 * 3600 + 12 * 60, buf, sizeof(buf));
	assert_string_equal(buf, "3h 12m");
	units_format_age(2 * 86400 + 4 * 3600 + 5, buf, sizeof(buf));
	assert_string_equal(buf, "2d 4h");
}

/* Whatever a formatter prints, the parser reads back to the same value. */
static void test_round_trip(void **state)
{
	static const uint64_t sizes[] = { 0, 1, 1023, 1024, 40ull << 20, 5ull << 30, 123456789 };
	static const int64_t durs[] = { 0, 1, 59, 60, 3600, 86400, 90061, 604800 * 3 };
	char buf[64], err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t v;

		units_format_size(sizes[i], buf, sizeof(buf));
		assert_int_equal(units_parse_size(buf, &v, err, sizeof(err)), 0);
		assert_int_equal(v, sizes[i]);
	}
	for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		int64_t v;

		units_format_duration(durs[i], buf, sizeof(buf));
		assert_int_equal(units_parse_duration(buf, &v, err, sizeof(err)), 0);
		assert_int_equal(v, durs[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_percent_decimal),
		cmocka_unit_test(test_int_bool),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

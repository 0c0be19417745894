/* Unit tests of lib/timefmt: RFC 3339 in UTC, both ways. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <time.h>

#include "timefmt.h"

static void test_format(void **state)
{
	char buf[TIMEFMT_RFC3339_LEN];

	(void)state;
	timefmt_rfc3339(0, buf);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	timefmt_rfc3339(1795597800, buf);
	assert_string_equal(buf, "2026-11-25T09:10:00Z");
	/* The local zone never leaks into a record. */
	setenv("TZ", "America/New_York", 1);
	tzset();
	timefmt_rfc3339(1795597800, buf);
	assert_string_equal(buf, "2026-11-25T09:10:00Z");
	setenv("TZ", "UTC", 1);
	tzset();
}

static void test_parse(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(timefmt_parse_rfc3339("2026-11-25T09:10:00Z", &t), 0);
	assert_int_equal(t, 1795597800);
	assert_int_equal(timefmt_parse_rfc3339("2026-11-25T10:10:00+01:00", &t), 0);
	assert_int_equal(t, 1795597800);
	assert_int_equal(timefmt_parse_rfc3339("2026-11-25T04:10:00-05:00", &t), 0);
	assert_int_equal(t, 1795597800);
	assert_int_equal(timefmt_parse_rfc3339("2026-11-25T09:10:00.123456Z", &t), 0);
	assert_int_equal(t, 1795597800);
	assert_int_equal(timefmt_parse_rfc3339("2024-02-29T00:00:00Z", &t), 0);
	assert_int_equal(t, 1709164800);

	assert_int_not_equal(timefmt_parse_rfc3339("2026-11-25T09:10:00", &t), 0);
	assert_int_not_equal(timefmt_parse_rfc3339("2026-11-25 09:10:00Z", &t), 0);
	assert_int_not_equal(timefmt_parse_rfc3339("2026-11-25T09:10:00Zjunk", &t), 0);
	assert_int_not_equal(timefmt_parse_rfc3339("2026-11-25T09:10:00+0100", &t), 0);
	assert_int_not_equal(timefmt_parse_rfc3339("2026-11-25T09:10:00.Z", &t), 0);
	assert_int_not_equal(timefmt_parse_rfc3339("", &t), 0);
}

static void test_round_trip(void **state)
{
	char buf[TIMEFMT_RFC3339_LEN];
	time_t t;

	(void)state;
	for (time_t v = 0; v < 4102444800; v += 86399 * 37) {
		timefmt_rfc3339(v, buf);
		assert_int_equal(timefmt_parse_rfc3339(buf, &t), 0);
		assert_int_equal(t, v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

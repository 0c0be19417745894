/* Unit tests of lib/when's log parser: the access log formats (common,
 * combined, vhost_combined), syslog and vsftpd login lines, hostile and
 * truncated lines (never guessed), URL matching after percent-decoding, and
 * the escaping of site text for the timeline. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "when.h"
#include "when_logparse.h"

static time_t now;

static enum when_line_kind parse(const char *s, struct when_line *l)
{
	return when_parse_line(s, strlen(s), now, l);
}

static void test_access(void **state)
{
	struct when_line l;

	(void)state;
	assert_int_equal(parse("203.0.113.66 - bob [04/Dec/2026:03:38:10 +0100] \"POST /upload.php?a=1 HTTP/1.1\" 200 512 \"-\" \"curl/8\"", &l), WL_ACCESS);
	assert_string_equal(l.client, "203.0.113.66");
	assert_string_equal(l.method, "POST");
	assert_int_equal(l.status, 200);
	assert_int_equal(l.t, 1796355490 - 3600);
	assert_true(when_url_path_equal(l.target, l.target_len, "/upload.php"));
	assert_true(when_url_is_script(l.target, l.target_len));
	/* common, no referer/agent */
	assert_int_equal(parse("::1 - - [04/Dec/2026:03:38:10 +0000] \"GET /a%20b.html HTTP/1.0\" 404 -", &l), WL_ACCESS);
	assert_true(when_url_path_equal(l.target, l.target_len, "/a b.html"));
	assert_false(when_url_is_script(l.target, l.target_len));
	/* vhost_combined */
	assert_int_equal(parse("www.example.org:443 10.0.0.1 - - [04/Dec/2026:03:38:10 +0000] \"GET /x.php/y HTTP/2.0\" 200 1 \"-\" \"-\"", &l), WL_ACCESS);
	assert_string_equal(l.client, "10.0.0.1");
	assert_true(when_url_is_script(l.target, l.target_len));
	/* An escaped quote inside the request line. */
	assert_int_equal(parse("1.2.3.4 - - [04/Dec/2026:03:38:10 +0000] \"GET /\\\"x HTTP/1.1\" 400 0", &l), WL_ACCESS);
	/* Hostile or broken: never guessed. */
	assert_int_equal(parse("1.2.3.4 - - [04/Dec/2026:03:38:10 +0000] \"GET /unterminated", &l), WL_UNKNOWN);
	assert_int_equal(parse("1.2.3.4 - - [99/Dec/2026:03:38:10 +0000] \"GET / HTTP/1.1\" 200 1", &l), WL_UNKNOWN);
	assert_int_equal(parse("1.2.3.4 - - [04/Foo/2026:03:38:10 +0000] \"GET / HTTP/1.1\" 200 1", &l), WL_UNKNOWN);
	assert_int_equal(parse("1.2.3.4 - - [04/Dec/2026:03:38:10 +0000] \"GET / HTTP/1.1\" 2x0 1", &l), WL_UNKNOWN);
	assert_int_equal(parse("", &l), WL_UNKNOWN);
	assert_int_equal(parse("[", &l), WL_UNKNOWN);
	{
		char big[70000];

		memset(big, 'A', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(parse(big, &l), WL_UNKNOWN);
		memcpy(big, "1.2.3.4 - - [04/Dec/2026:03:38:10 +0000] \"", 42);
		assert_int_equal(parse(big, &l), WL_UNKNOWN);
	}
}

static void test_logins(void **state)
{
	struct when_line l;

	(void)state;
	assert_int_equal(parse("Dec  4 03:38:11 vm sshd[4242]: Accepted publickey for deploy from 198.51.100.7 port 50022 ssh2", &l), WL_LOGIN);
	assert_string_equal(l.service, "sshd");
	assert_string_equal(l.user, "deploy");
	assert_string_equal(l.client, "198.51.100.7");
	assert_true(l.accepted);
	{
		struct tm tm;

		gmtime_r(&l.t, &tm);
		assert_int_equal(tm.tm_mon, 11);
		assert_int_equal(tm.tm_mday, 4);
		assert_int_equal(tm.tm_hour, 3);
	}
	assert_int_equal(parse("2026-12-04T03:38:11.123456+01:00 vm sshd[1]: Failed password for invalid user admin from 192.0.2.1 port 2 ssh2", &l), WL_LOGIN);
	assert_false(l.accepted);
	assert_string_equal(l.user, "admin");
	assert_int_equal(l.t, 1796355491 - 3600);
	assert_int_equal(parse("Dec 14 03:38:11 vm sshd[1]: Connection closed by 1.2.3.4", &l), WL_OTHER);
	assert_int_equal(parse("Fri Dec  4 03:00:00 2026 [pid 12] [bob] OK LOGIN: Client \"::ffff:1.2.3.4\"", &l), WL_LOGIN);
	assert_string_equal(l.service, "vsftpd");
	assert_string_equal(l.user, "bob");
	assert_string_equal(l.client, "::ffff:1.2.3.4");
	assert_true(l.accepted);
	assert_int_equal(parse("Fri Dec  4 03:00:00 2026 [pid 12] [bob] FAIL LOGIN: Client \"1.2.3.4\"", &l), WL_LOGIN);
	assert_false(l.accepted);
	assert_int_equal(parse("Dec  4 03:00:00 vm pure-ftpd: (?@10.1.1.1) [INFO] carol is now logged in", &l), WL_LOGIN);
	assert_string_equal(l.user, "carol");
	assert_string_equal(l.client, "10.1.1.1");
	assert_int_equal(parse("Dec  4 03:00:00 vm pure-ftpd: (?@10.1.1.1) [WARNING] Authentication failed for user [carol]", &l), WL_LOGIN);
	assert_false(l.accepted);
	assert_int_equal(parse("Dec  4 03:00:00 vm proftpd[9]: vm (10.2.2.2[10.2.2.2]) - USER dave: Login successful.", &l), WL_LOGIN);
	assert_string_equal(l.user, "dave");
	assert_string_equal(l.client, "10.2.2.2");
	/* A user name far longer than the field is cut, not overflowed. */
	{
		char line[400];

		snprintf(line, sizeof(line), "Dec  4 03:00:00 vm sshd[1]: Accepted password for %0300d from 1.1.1.1 port 1 ssh2", 7);
		assert_int_equal(parse(line, &l), WL_LOGIN);
		assert_int_equal(strlen(l.user), sizeof(l.user) - 1);
	}
}

static void test_url(void **state)
{
	(void)state;
	assert_true(when_url_path_equal("/uploads/shell%2ephp", 20, "/uploads/shell.php"));
	assert_true(when_url_path_equal("/uploads//shell.php?x", 21, "/uploads/shell.php"));
	assert_true(when_url_path_equal("http://h/uploads/a.php", 22, "/uploads/a.php"));
	assert_false(when_url_path_equal("/uploads/shell.php5", 19, "/uploads/shell.php"));
	assert_false(when_url_path_equal("/uploads/", 9, "/uploads/shell.php"));
	assert_false(when_url_path_equal("/%zz", 4, "/%"));
	assert_true(when_url_is_script("/A.PHP", 6));
	assert_true(when_url_is_script("/cgi-bin/x.cgi?y", 16));
	assert_false(when_url_is_script("/x.phpx", 7));
}

static void test_escape(void **state)
{
	char *e;

	(void)state;
	e = when_escape("a\033[2J\nb|c\\d\xc3\xa9", true);
	assert_string_equal(e, "a\\x1b[2J\\x0ab\\x7cc\\x5cd\\xc3\\xa9");
	free(e);
	e = when_escape("a|b", false);
	assert_string_equal(e, "a|b");
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access),
		cmocka_unit_test(test_logins),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_escape),
	};

	setenv("TZ", "UTC", 1);
	now = 1796355490 + 86400 * 3;	/* 2026-12-07 */
	return cmocka_run_group_tests(tests, NULL, NULL);
}

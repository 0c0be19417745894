/* Unit tests of lib/facts: hostile bytes become JSON that always encodes;
 * fact files are read without following a final symlink and up to a cap;
 * a program runs without a shell, with a clean environment and a timeout;
 * the diff names installed, removed and changed packages and versions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "facts.h"
#include "facts_cmd.h"

static void test_text_hostile(void **state)
{
	static const char bytes[] = "ok \xff\xfe caf\xc3\xa9 \xed\xa0\x80 \xc0\xaf end";
	json_t *j;

	(void)state;
	j = facts_text(bytes, sizeof(bytes) - 1);
	assert_non_null(j);
	assert_string_equal(json_string_value(j), "ok \\xff\\xfe caf\xc3\xa9 \\xed\\xa0\\x80 \\xc0\\xaf end");
	json_decref(j);
	/* An embedded NUL does not cut the text short or break JSON. */
	j = facts_text("a\0b", 3);
	assert_non_null(j);
	assert_int_equal(json_string_length(j), 6);
	json_decref(j);
}

static void test_read_file(void **state)
{
	char dir[] = "/tmp/test-facts.XXXXXX", path[256], link[256], *out;
	size_t len;
	int trunc;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/file", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("0123456789", f);
	fclose(f);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(facts_read_file(path, 4, &out, &len, &trunc), 0);
	assert_int_equal(len, 4);
	assert_int_equal(trunc, 1);
	assert_string_equal(out, "0123");
	free(out);
	assert_int_equal(facts_read_file(path, 100, &out, &len, &trunc), 0);
	assert_int_equal(trunc, 0);
	free(out);
	assert_true(facts_read_file(link, 100, &out, &len, NULL) < 0);
	assert_true(facts_read_file(dir, 100, &out, &len, NULL) < 0);
	unlink(link);
	unlink(path);
	rmdir(dir);
}

static void test_cmd(void **state)
{
	char *env[] = { "/usr/bin/env", NULL };
	char *sleep[] = { "/bin/sleep", "10", NULL };
	char *rel[] = { "env", NULL };
	struct facts_cmd_result res;

	(void)state;
	setenv("LIFEBOAT_SECRET_PROBE", "x", 1);
	assert_int_equal(facts_cmd_run(env, 5000, &res), 0);
	assert_int_equal(res.status, 0);
	assert_non_null(strstr(res.output, "LC_ALL=C"));
	assert_null(strstr(res.output, "LIFEBOAT_SECRET_PROBE"));
	facts_cmd_result_free(&res);
	assert_int_equal(facts_cmd_run(sleep, 200, &res), 0);
	assert_int_equal(res.timed_out, 1);
	facts_cmd_result_free(&res);
	assert_int_equal(facts_cmd_run(rel, 200, &res), -EINVAL);
}

static json_t *facts_with(const char *kernel, const char *php, json_t *pkgs)
{
	json_t *f = json_pack("{s:{s:s}, s:{s:s}, s:[{s:s, s:s, s:s}]}", "os", "pretty_name", "Debian 12",
			      "kernel", "release", kernel, "software", "name", "php", "path",
			      "/usr/bin/php", "version", php);
	json_t *pk = json_object();

	json_object_set_new(pk, "sha256", json_string("x"));
	json_object_set_new(pk, "list", pkgs);
	json_object_set_new(f, "packages", pk);
	return f;
}

static bool has(const json_t *lines, const char *text)
{
	const json_t *v;
	size_t i;

	json_array_foreach(lines, i, v)
		if (strcmp(json_string_value(v), text) == 0)
			return true;
	return false;
}

static void test_diff(void **state)
{
	json_t *a, *b, *lines;

	(void)state;
	a = facts_with("6.1.0-1", "PHP 8.2.1", json_pack("[s, s, s]", "a:all 1", "b:amd64 2", "c:all 3"));
	b = facts_with("6.1.0-2", "PHP 8.2.7", json_pack("[s, s, s]", "a:all 1", "b:amd64 2.1", "d:all 4"));
	/* Different lists, different hashes. */
	json_object_set_new(json_object_get(b, "packages"), "sha256", json_string("z"));
	assert_int_equal(facts_diff(a, b, &lines), 0);
	assert_true(has(lines, "kernel: 6.1.0-1 -> 6.1.0-2"));
	assert_true(has(lines, "software php (/usr/bin/php): PHP 8.2.1 -> PHP 8.2.7"));
	assert_true(has(lines, "package changed: b:amd64 2 -> 2.1"));
	assert_true(has(lines, "package removed: c:all 3"));
	assert_true(has(lines, "package installed: d:all 4"));
	assert_int_equal(json_array_size(lines), 5);
	json_decref(lines);
	/* Without the old list only the hash can differ: said, not guessed. */
	json_object_del(json_object_get(a, "packages"), "list");
	assert_int_equal(facts_diff(a, b, &lines), 0);
	assert_non_null(strstr(json_string_value(json_array_get(lines, json_array_size(lines) - 1)),
			       "cannot be named"));
	json_decref(lines);
	/* The same facts: nothing. */
	assert_int_equal(facts_diff(b, b, &lines), 0);
	assert_int_equal(json_array_size(lines), 0);
	json_decref(lines);
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_hostile),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_cmd),
		cmocka_unit_test(test_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

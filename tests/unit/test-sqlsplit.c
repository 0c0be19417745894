/*
 * test-sqlsplit — cutting a format-2 dump into statements at its writer's
 * marks only: one statement a line, DELIMITER blocks, comment lines and the
 * sandbox line; hostile text inside a statement (quotes, comment openers,
 * "--" before a control character, backslashes, DELIMITER words) moves no
 * boundary, and input off the format is refused, not guessed at.
 *
 * Every input is checked fed whole, one byte at a time, split in two at
 * every position, and in pseudo-random chunks of 1..7 bytes (fixed seeds):
 * a restore reads the dump in arbitrary pieces, so the statements must not
 * depend on where the pieces end.
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

#include "sqlsplit.h"

#define RANDOM_SEEDS 25

/* What the callback saw. */
struct collected {
	char **v;		/* copies of the statements */
	size_t *lens;
	size_t n;
	size_t calls;		/* callback invocations */
	size_t fail_at;		/* 1-based call that returns FAIL_ERR; 0 = never */
	int fail_err;
	int result;		/* what feed/finish returned */
};

static int collect(void *ctx, const char *stmt, size_t len)
{
	struct collected *c = ctx;
	char *copy;

	c->calls++;
	if (c->fail_at && c->calls == c->fail_at)
		return c->fail_err;
	/* Promised: data[len] is NUL. */
	assert_int_equal(stmt[len], '\0');
	copy = malloc(len + 1);
	assert_non_null(copy);
	memcpy(copy, stmt, len + 1);
	c->v = realloc(c->v, (c->n + 1) * sizeof(*c->v));
	c->lens = realloc(c->lens, (c->n + 1) * sizeof(*c->lens));
	assert_non_null(c->v);
	assert_non_null(c->lens);
	c->v[c->n] = copy;
	c->lens[c->n] = len;
	c->n++;
	return 0;
}

static void collected_free(struct collected *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
	free(c->lens);
	memset(c, 0, sizeof(*c));
}

/* A deterministic chunk-size sequence of 1..7 bytes. */
static size_t next_chunk(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return 1 + (*seed >> 16) % 7;
}

enum mode {
	MODE_WHOLE,		/* one feed */
	MODE_BYTES,		/* one byte per feed */
	MODE_SPLIT,		/* two feeds, cut at ARG */
	MODE_RANDOM,		/* chunks of 1..7 bytes, seed ARG */
};

/* Feeds IN the MODE way, then finishes; both must return 0. */
static void run(const char *in, size_t len, enum mode mode, uint32_t arg, struct collected *c)
{
	struct sqlsplit s;
	size_t pos = 0;
	int r = 0;

	sqlsplit_init(&s);
	switch (mode) {
	case MODE_WHOLE:
		r = sqlsplit_feed(&s, in, len, collect, c);
		break;
	case MODE_BYTES:
		for (pos = 0; pos < len && r == 0; pos++)
			r = sqlsplit_feed(&s, in + pos, 1, collect, c);
		break;
	case MODE_SPLIT:
		r = sqlsplit_feed(&s, in, arg, collect, c);
		if (r == 0)
			r = sqlsplit_feed(&s, in + arg, len - arg, collect, c);
		break;
	case MODE_RANDOM:
		while (pos < len && r == 0) {
			size_t n = next_chunk(&arg);

			if (n > len - pos)
				n = len - pos;
			r = sqlsplit_feed(&s, in + pos, n, collect, c);
			pos += n;
		}
		break;
	}
	if (r == 0)
		r = sqlsplit_finish(&s);
	c->result = r;
	sqlsplit_free(&s);
}

static const char *mode_name(enum mode mode)
{
	static const char *const names[] = { "whole", "bytes", "split", "random" };

	return names[mode];
}

/* Fails (after freeing C, so that a failure does not also leak) unless C holds WANT. */
static void compare(struct collected *c, const char *const *want, enum mode mode, uint32_t arg)
{
	size_t nwant = 0;
	char msg[1024];

	while (want[nwant])
		nwant++;
	if (c->result != 0) {
		snprintf(msg, sizeof(msg), "fed %s (%u): returned %d", mode_name(mode), (unsigned)arg, c->result);
		collected_free(c);
		fail_msg("%s", msg);
	}
	for (size_t i = 0; i < c->n || i < nwant; i++) {
		const char *got = i < c->n ? c->v[i] : "(nothing)";
		const char *exp = i < nwant ? want[i] : "(nothing)";

		if (i < c->n && i < nwant && c->lens[i] == strlen(want[i]) && strcmp(got, exp) == 0)
			continue;
		snprintf(msg, sizeof(msg), "fed %s (%u): statement %zu of %zu:\n  got  [%.300s] (%zu bytes)\n  want [%.300s]",
			 mode_name(mode), (unsigned)arg, i + 1, c->n, got, i < c->n ? c->lens[i] : 0, exp);
		collected_free(c);
		fail_msg("%s", msg);
	}
}

/* IN must split into WANT (NULL-terminated) however it is fed. */
static void check(const char *in, const char *const *want)
{
	size_t len = strlen(in);
	struct collected c = { 0 };

	run(in, len, MODE_WHOLE, 0, &c);
	compare(&c, want, MODE_WHOLE, 0);
	collected_free(&c);

	run(in, len, MODE_BYTES, 0, &c);
	compare(&c, want, MODE_BYTES, 0);
	collected_free(&c);

	for (size_t cut = 0; cut <= len; cut++) {
		run(in, len, MODE_SPLIT, (uint32_t)cut, &c);
		compare(&c, want, MODE_SPLIT, (uint32_t)cut);
		collected_free(&c);
	}

	for (uint32_t seed = 1; seed <= RANDOM_SEEDS; seed++) {
		run(in, len, MODE_RANDOM, seed, &c);
		compare(&c, want, MODE_RANDOM, seed);
		collected_free(&c);
	}
}

#define CHECK(in, ...) check(in, (const char *const[]){ __VA_ARGS__, NULL })
#define CHECK_NONE(in) check(in, (const char *const[]){ NULL })


/* IN is refused (-EBADMSG) however it is fed, after at most the statements before the fault. */
static void check_refused(const char *in, size_t before)
{
	size_t len = strlen(in);
	struct collected c = { 0 };

	for (size_t cut = 0; cut <= len; cut++) {
		run(in, len, MODE_SPLIT, (uint32_t)cut, &c);
		assert_int_equal(c.result, -EBADMSG);
		assert_int_equal(c.n, before);
		collected_free(&c);
	}
	run(in, len, MODE_BYTES, 0, &c);
	assert_int_equal(c.result, -EBADMSG);
	assert_int_equal(c.n, before);
	collected_free(&c);
}

static void test_simple(void **state)
{
	(void)state;
	CHECK("SELECT 1;\nSELECT 2;\n", "SELECT 1", "SELECT 2");
	CHECK("INSERT INTO `t` VALUES (1,'a;b'),(2,'c');\n", "INSERT INTO `t` VALUES (1,'a;b'),(2,'c')");
	CHECK_NONE("");
}

static void test_comment_lines_and_sandbox(void **state)
{
	(void)state;
	CHECK(SQLSPLIT_SANDBOX_LINE "\n-- Lifeboat dump\n--\n\n-- Table x (InnoDB)\nSELECT 1;\n-- Lifeboat dump completed\n",
	      "SELECT 1");
}

/* Whatever a line holds, it ends at its newline: no quote, comment or
 * backslash inside it is looked at. */
static void test_no_lexing(void **state)
{
	(void)state;
	CHECK("SET @lifeboat_routine = 'CREATE PROCEDURE p() BEGIN --\x01 ;; DROP DATABASE victim ;; END';\n"
	      "EXECUTE IMMEDIATE @lifeboat_routine;\n",
	      "SET @lifeboat_routine = 'CREATE PROCEDURE p() BEGIN --\x01 ;; DROP DATABASE victim ;; END'",
	      "EXECUTE IMMEDIATE @lifeboat_routine");
	CHECK("SELECT '\\'' /* ;\n", "SELECT '\\'' /* ");
	CHECK("SELECT \"a\\\" # \" ;\nSELECT 2;\n", "SELECT \"a\\\" # \" ", "SELECT 2");
	CHECK("CREATE TABLE `a*/b` (x INT);\nALTER TABLE `a*/b` DISABLE KEYS;\n",
	      "CREATE TABLE `a*/b` (x INT)", "ALTER TABLE `a*/b` DISABLE KEYS");
	CHECK("SELECT 1 --\x01 \\g DROP DATABASE victim \\g;\n", "SELECT 1 --\x01 \\g DROP DATABASE victim \\g");
	/* DELIMITER in the middle of a line is text. */
	CHECK("SELECT 'x' AS `DELIMITER ;;`;\n", "SELECT 'x' AS `DELIMITER ;;`");
}

static void test_delimiter_block(void **state)
{
	(void)state;
	CHECK("DELIMITER ;;\nDROP TABLE IF EXISTS `a\nb`\n;;\nDELIMITER ;\nSELECT 2;\n",
	      "DROP TABLE IF EXISTS `a\nb`", "SELECT 2");
	/* Inside a block only the exact closing line ends it: not ";;" within a
	 * line, not "DELIMITER ;", not the closing text with blanks around it. */
	CHECK("DELIMITER ;;1\nINSERT INTO `x;;\n;;` VALUES (';;')\n ;;1\n;;1 \nDELIMITER ;\n;;\n;;1\nDELIMITER ;\n",
	      "INSERT INTO `x;;\n;;` VALUES (';;')\n ;;1\n;;1 \nDELIMITER ;\n;;");
	/* An empty line inside a block is kept. */
	CHECK("DELIMITER ;;\nUSE `a\n\nb`\n;;\nDELIMITER ;\n", "USE `a\n\nb`");
}

static void test_refused(void **state)
{
	(void)state;
	check_refused("SELECT 1\n", 0);				/* no ";" */
	check_refused("SELECT 1;\nSELECT 2", 1);		/* ends inside a line */
	check_refused("SELECT 1;\nDELIMITER ;;\nSELECT 2\n", 1);	/* block never closed */
	check_refused("DELIMITER ;;\nSELECT 2\n;;\nSELECT 3;\n", 1);	/* no DELIMITER ; after */
	check_refused("DELIMITER ;;\n;;\nDELIMITER ;\n", 0);	/* empty block */
	check_refused("DELIMITER ;\nSELECT 1;\n", 0);		/* not a DELIMITER line we write */
	check_refused("DELIMITER a b\nSELECT 1\na b\nDELIMITER ;\n", 0);
	/* An old-format dump: a routine across lines with ;; inside. */
	check_refused("DELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT 1; END --\x01 ;; DROP DATABASE victim ;;\nDELIMITER ;\n", 0);
	check_refused("CREATE TABLE t (\n  a INT\n);\n", 0);
}

static void test_callback_error(void **state)
{
	struct sqlsplit s;
	struct collected c = { .fail_at = 2, .fail_err = -EIO };
	const char *in = "SELECT 1;\nSELECT 2;\nSELECT 3;\n";

	(void)state;
	sqlsplit_init(&s);
	assert_int_equal(sqlsplit_feed(&s, in, strlen(in), collect, &c), -EIO);
	assert_int_equal(c.n, 1);
	sqlsplit_free(&s);
	collected_free(&c);
}

static void test_long_statement(void **state)
{
	size_t n = 3 * 1024 * 1024;
	char *in = malloc(n + 3), *want = malloc(n + 1);

	(void)state;
	assert_non_null(in);
	assert_non_null(want);
	memset(in, 'x', n);
	memcpy(want, in, n);
	want[n] = '\0';
	in[n] = ';';
	in[n + 1] = '\n';
	in[n + 2] = '\0';
	{
		struct collected c = { 0 };

		run(in, n + 2, MODE_RANDOM, 7, &c);
		assert_int_equal(c.result, 0);
		assert_int_equal(c.n, 1);
		assert_int_equal(c.lens[0], n);
		assert_memory_equal(c.v[0], want, n);
		collected_free(&c);
	}
	free(in);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_comment_lines_and_sandbox),
		cmocka_unit_test(test_no_lexing),
		cmocka_unit_test(test_delimiter_block),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_callback_error),
		cmocka_unit_test(test_long_statement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

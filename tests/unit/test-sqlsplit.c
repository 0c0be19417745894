/*
 * test-sqlsplit — cutting SQL text into statements the way the mysql client
 * does: delimiters inside quotes and comments, executable comments, the
 * DELIMITER command, and the last statement without a delimiter.
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
	assert_int_equal(r, 0);
	assert_int_equal(sqlsplit_finish(&s, collect, c), 0);
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

static void test_simple(void **state)
{
	(void)state;
	CHECK("a;b;", "a", "b");
	CHECK("SELECT 1;", "SELECT 1");
	CHECK("SELECT 1;SELECT 2;SELECT 3;", "SELECT 1", "SELECT 2", "SELECT 3");
	CHECK_NONE("");
	CHECK_NONE("   \n\t\n");
}

static void test_blanks_stripped(void **state)
{
	(void)state;
	CHECK("  \n\t SELECT 1;\n\n  SELECT\n  2 ;  \n", "SELECT 1", "SELECT\n  2");
	CHECK("SELECT 1;\r\nSELECT 2;\r\n", "SELECT 1", "SELECT 2");
}

/* Leading comments of every kind are not part of the statement. */
static void test_leading_comments_stripped(void **state)
{
	(void)state;
	CHECK("-- hello\n# hash\n/* block */ SELECT 1;", "SELECT 1");
	CHECK("--\n-- Table structure for table `t`\n--\n\nDROP TABLE IF EXISTS `t`;\n",
	      "DROP TABLE IF EXISTS `t`");
	CHECK("/* a */ /* b */\n-- c\nSELECT 1;\n/* d */SELECT 2;", "SELECT 1", "SELECT 2");
	CHECK("/**/SELECT 3;", "SELECT 3");
	/* A comment inside or after the statement text is kept. */
	CHECK("SELECT /* x */ 1 -- y\n;", "SELECT /* x */ 1 -- y");
}

/* A delimiter inside quotes is text. */
static void test_quotes(void **state)
{
	(void)state;
	CHECK("SELECT 'a;b', \"c;d\", `e;f`;SELECT 2;", "SELECT 'a;b', \"c;d\", `e;f`", "SELECT 2");
	/* Comment openers inside quotes are text too. */
	CHECK("SELECT '-- x;', '# y;', '/* z; */', \"/*!1 w; */\";SELECT 2;",
	      "SELECT '-- x;', '# y;', '/* z; */', \"/*!1 w; */\"", "SELECT 2");
	CHECK("SELECT `a -- b;`, `c # d;`;", "SELECT `a -- b;`, `c # d;`");
	/* Quotes of the other kind inside a string. */
	CHECK("SELECT 'a\"b;c`d';SELECT \"e'f;g\";", "SELECT 'a\"b;c`d'", "SELECT \"e'f;g\"");
	/* A multi-line string. */
	CHECK("INSERT INTO t VALUES ('line1;\nline2;\n');\nSELECT 1;",
	      "INSERT INTO t VALUES ('line1;\nline2;\n')", "SELECT 1");
}

static void test_backslash_escapes(void **state)
{
	(void)state;
	CHECK("SELECT 'it\\'s;';SELECT 2;", "SELECT 'it\\'s;'", "SELECT 2");
	CHECK("SELECT \"x\\\";y\";SELECT 2;", "SELECT \"x\\\";y\"", "SELECT 2");
	/* An escaped backslash does not escape the closing quote. */
	CHECK("SELECT 'a\\\\';SELECT 3;", "SELECT 'a\\\\'", "SELECT 3");
	CHECK("SELECT 'a\\\\\\';b';SELECT 4;", "SELECT 'a\\\\\\';b'", "SELECT 4");
	/* Backslash outside quotes and inside backticks is not an escape. */
	CHECK("SELECT `a\\`;SELECT 5;", "SELECT `a\\`", "SELECT 5");
}

static void test_doubled_quotes(void **state)
{
	(void)state;
	CHECK("SELECT 'a''b;c';SELECT 2;", "SELECT 'a''b;c'", "SELECT 2");
	CHECK("SELECT \"d\"\"e;f\";SELECT 2;", "SELECT \"d\"\"e;f\"", "SELECT 2");
	CHECK("SELECT `g``h;i`;SELECT 2;", "SELECT `g``h;i`", "SELECT 2");
	CHECK("SELECT '';SELECT '''';SELECT 3;", "SELECT ''", "SELECT ''''", "SELECT 3");
}

/* A delimiter inside a comment does not end the statement. */
static void test_comments_with_delimiter(void **state)
{
	(void)state;
	CHECK("SELECT 1 -- comment; with semicolon\n, 2;SELECT 3;",
	      "SELECT 1 -- comment; with semicolon\n, 2", "SELECT 3");
	CHECK("SELECT 3 # comment;\n+ 1;SELECT 4;", "SELECT 3 # comment;\n+ 1", "SELECT 4");
	CHECK("SELECT /* c; */ 4;SELECT 5;", "SELECT /* c; */ 4", "SELECT 5");
	CHECK("SELECT /* multi;\nline; */ 6;", "SELECT /* multi;\nline; */ 6");
	CHECK("-- comment; with semicolon\nSELECT 7;", "SELECT 7");
	CHECK("# comment;\nSELECT 8;", "SELECT 8");
	CHECK("/* c; */ SELECT 9;", "SELECT 9");
	/* "--" followed by a tab is a comment too. */
	CHECK("SELECT 10 --\tx;\n;", "SELECT 10 --\tx;");
}

/* "--" starts a comment only when followed by whitespace, as in MySQL. */
static void test_double_dash_needs_space(void **state)
{
	(void)state;
	CHECK("SELECT 1--1;SELECT 2;", "SELECT 1--1", "SELECT 2");
	CHECK("SELECT 5---1;", "SELECT 5---1");
	/* "--" right before a newline is an (empty) comment. */
	CHECK("--\nSELECT 3;", "SELECT 3");
}

/* A stretch holding only comments (and blanks) is not a statement. */
static void test_comment_only_not_delivered(void **state)
{
	(void)state;
	CHECK_NONE("-- only a comment\n");
	CHECK_NONE("/* only; a comment */");
	CHECK_NONE("# only a comment;\n  \n");
	CHECK("SELECT 1;\n-- trailing comment\n/* and another */\n", "SELECT 1");
	/* Blanks or comments followed by the delimiter: still nothing to run. */
	CHECK("-- only a comment;\n;/* c; */;\n# x;\n;SELECT 5;", "SELECT 5");
	CHECK("SELECT 1; ;SELECT 2;", "SELECT 1", "SELECT 2");
	CHECK("SELECT 1;;", "SELECT 1");
}

/* Executable comments are statement text, and their content is kept. */
static void test_executable_comments(void **state)
{
	(void)state;
	CHECK("/*!40000 ALTER TABLE t DISABLE KEYS */;",
	      "/*!40000 ALTER TABLE t DISABLE KEYS */");
	CHECK("/*!40101 SET NAMES utf8mb4 */;\n/*!40103 SET TIME_ZONE='+00:00' */;\n",
	      "/*!40101 SET NAMES utf8mb4 */", "/*!40103 SET TIME_ZONE='+00:00' */");
	CHECK("/*M!100616 SET NOTE_VERBOSITY=0 */;", "/*M!100616 SET NOTE_VERBOSITY=0 */");
	/* A delimiter inside an executable comment does not split it. */
	CHECK("/*!50003 CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW BEGIN SET @a = 1; END */;\nSELECT 1;",
	      "/*!50003 CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW BEGIN SET @a = 1; END */",
	      "SELECT 1");
	/* Leading ordinary comments are still stripped before one. */
	CHECK("-- x\n/* y */ /*!40000 ALTER TABLE t ENABLE KEYS */;",
	      "/*!40000 ALTER TABLE t ENABLE KEYS */");
	/* And one in the middle of a statement. */
	CHECK("CREATE TABLE t (a int) /*!50100 PARTITION BY HASH (a) */;",
	      "CREATE TABLE t (a int) /*!50100 PARTITION BY HASH (a) */");
}

static void test_delimiter_procedure(void **state)
{
	(void)state;
	CHECK("SELECT 0;\n"
	      "DELIMITER ;;\n"
	      "CREATE PROCEDURE p()\n"
	      "BEGIN\n"
	      "  SELECT 1;\n"
	      "  SELECT 'x;y';\n"
	      "END ;;\n"
	      "DELIMITER ;\n"
	      "SELECT 6;\n"
	      "SELECT 7;\n",
	      "SELECT 0",
	      "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 'x;y';\nEND",
	      "SELECT 6", "SELECT 7");
	/* While ";;" is the delimiter, a single ";" does not split. */
	CHECK("DELIMITER ;;\nSELECT 1; SELECT 2;;\nSELECT 3;;\nDELIMITER ;\nSELECT 4;SELECT 5;",
	      "SELECT 1; SELECT 2", "SELECT 3", "SELECT 4", "SELECT 5");
	/* Other delimiters, lowercase command, CRLF line ends. */
	CHECK("delimiter $$\nCREATE FUNCTION f() RETURNS INT BEGIN RETURN 1; END$$\ndelimiter ;\nSELECT f();",
	      "CREATE FUNCTION f() RETURNS INT BEGIN RETURN 1; END", "SELECT f()");
	CHECK("DELIMITER //\r\nSELECT 1; SELECT 2//\r\nDELIMITER ;\r\nSELECT 3;\r\n",
	      "SELECT 1; SELECT 2", "SELECT 3");
}

/* The shape of mysqldump's routines and triggers. */
static void test_delimiter_mysqldump(void **state)
{
	(void)state;
	CHECK("/*!50003 SET @saved_sql_mode = @@sql_mode */ ;\n"
	      "/*!50003 SET sql_mode = 'STRICT_TRANS_TABLES' */ ;\n"
	      "DELIMITER ;;\n"
	      "CREATE DEFINER=`root`@`localhost` PROCEDURE `p`(IN x INT)\n"
	      "BEGIN\n"
	      "  DECLARE s VARCHAR(10) DEFAULT ';;';\n"
	      "  SELECT x; -- done;;\n"
	      "END ;;\n"
	      "DELIMITER ;\n"
	      "/*!50003 SET sql_mode = @saved_sql_mode */ ;\n"
	      "DELIMITER ;;\n"
	      "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER trg BEFORE INSERT ON t "
	      "FOR EACH ROW BEGIN SET NEW.a = 1; SET NEW.b = 2; END */;;\n"
	      "DELIMITER ;\n",
	      "/*!50003 SET @saved_sql_mode = @@sql_mode */",
	      "/*!50003 SET sql_mode = 'STRICT_TRANS_TABLES' */",
	      "CREATE DEFINER=`root`@`localhost` PROCEDURE `p`(IN x INT)\n"
	      "BEGIN\n"
	      "  DECLARE s VARCHAR(10) DEFAULT ';;';\n"
	      "  SELECT x; -- done;;\n"
	      "END",
	      "/*!50003 SET sql_mode = @saved_sql_mode */",
	      "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER trg BEFORE INSERT ON t "
	      "FOR EACH ROW BEGIN SET NEW.a = 1; SET NEW.b = 2; END */");
}

/* "DELIMITER x" is a client command: never a statement, even at the end of input. */
static void test_delimiter_at_end_of_input(void **state)
{
	(void)state;
	CHECK("DELIMITER ;;\nSELECT 1;;\nDELIMITER ;\n", "SELECT 1");
	CHECK_NONE("DELIMITER ;;\n");
	CHECK("DELIMITER ;;\nSELECT 1;;\nDELIMITER ;", "SELECT 1");
}

/* A whole mysqldump-like file. */
static void test_dump_excerpt(void **state)
{
	(void)state;
	CHECK("-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)\n"
	      "--\n"
	      "-- Host: localhost    Database: shop\n"
	      "-- ------------------------------------------------------\n"
	      "-- Server version\t10.11.6-MariaDB-0+deb12u1\n"
	      "\n"
	      "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n"
	      "/*!40101 SET NAMES utf8mb4 */;\n"
	      "/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */;\n"
	      "\n"
	      "--\n"
	      "-- Table structure for table `orders`\n"
	      "--\n"
	      "\n"
	      "DROP TABLE IF EXISTS `orders`;\n"
	      "CREATE TABLE `orders` (\n"
	      "  `id` int(11) NOT NULL AUTO_INCREMENT,\n"
	      "  `note` varchar(200) DEFAULT ';' COMMENT 'semi;colon',\n"
	      "  PRIMARY KEY (`id`)\n"
	      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"
	      "\n"
	      "LOCK TABLES `orders` WRITE;\n"
	      "/*!40000 ALTER TABLE `orders` DISABLE KEYS */;\n"
	      "INSERT INTO `orders` VALUES (1,'it\\'s; fine'),(2,'a\\\\'),(3,'-- not a comment'),"
	      "(4,'/* nor this; */'),(5,'# nor; this'),(6,'\xf0\x9f\x98\x80;');\n"
	      "/*!40000 ALTER TABLE `orders` ENABLE KEYS */;\n"
	      "UNLOCK TABLES;\n"
	      "\n"
	      "-- Dump completed on 2024-05-01 12:00:00\n",
	      "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */",
	      "/*!40101 SET NAMES utf8mb4 */",
	      "/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */",
	      "DROP TABLE IF EXISTS `orders`",
	      "CREATE TABLE `orders` (\n"
	      "  `id` int(11) NOT NULL AUTO_INCREMENT,\n"
	      "  `note` varchar(200) DEFAULT ';' COMMENT 'semi;colon',\n"
	      "  PRIMARY KEY (`id`)\n"
	      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	      "LOCK TABLES `orders` WRITE",
	      "/*!40000 ALTER TABLE `orders` DISABLE KEYS */",
	      "INSERT INTO `orders` VALUES (1,'it\\'s; fine'),(2,'a\\\\'),(3,'-- not a comment'),"
	      "(4,'/* nor this; */'),(5,'# nor; this'),(6,'\xf0\x9f\x98\x80;')",
	      "/*!40000 ALTER TABLE `orders` ENABLE KEYS */",
	      "UNLOCK TABLES");
}

/* Comment openers cut between two feeds, spelt out explicitly. */
static void test_openers_across_feeds(void **state)
{
	static const struct {
		const char *parts[4];
		const char *want[3];
	} cases[] = {
		{ { "SELECT 1 -", "- c;\n+ 1;", NULL }, { "SELECT 1 -- c;\n+ 1", NULL } },
		{ { "-", "-", " c;\nSELECT 2;", NULL }, { "SELECT 2", NULL } },
		{ { "SELECT 3 --", " c;\n;", NULL }, { "SELECT 3 -- c;", NULL } },
		{ { "/", "*!40000 ALTER TABLE t DISABLE KEYS */;", NULL },
		  { "/*!40000 ALTER TABLE t DISABLE KEYS */", NULL } },
		{ { "/*", "!40000 X; */;", NULL }, { "/*!40000 X; */", NULL } },
		{ { "/*!", "40000 X; */;", NULL }, { "/*!40000 X; */", NULL } },
		{ { "/", "* c; */ SELECT 4;", NULL }, { "SELECT 4", NULL } },
		{ { "SELECT /* c; *", "/ 5;", NULL }, { "SELECT /* c; */ 5", NULL } },
		{ { "SELECT 'a\\", "';b';", NULL }, { "SELECT 'a\\';b'", NULL } },
		{ { "DELIMITER ;", ";\nSELECT 1;", ";\nDELIMITER ;\nSELECT 2;" },
		  { "SELECT 1", "SELECT 2", NULL } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct collected c = { 0 };
		struct sqlsplit s;

		sqlsplit_init(&s);
		for (size_t p = 0; p < 4 && cases[i].parts[p]; p++)
			assert_int_equal(sqlsplit_feed(&s, cases[i].parts[p], strlen(cases[i].parts[p]),
						       collect, &c), 0);
		assert_int_equal(sqlsplit_finish(&s, collect, &c), 0);
		sqlsplit_free(&s);
		compare(&c, cases[i].want, MODE_WHOLE, (uint32_t)i);
		collected_free(&c);
	}
}

/* A last statement without a delimiter is handed over by sqlsplit_finish only. */
static void test_finish(void **state)
{
	static const char in[] = "SELECT 1;\nSELECT 2 \n";
	struct collected c = { 0 };
	struct sqlsplit s;

	(void)state;
	sqlsplit_init(&s);
	assert_int_equal(sqlsplit_feed(&s, in, strlen(in), collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0], "SELECT 1");
	assert_int_equal(sqlsplit_finish(&s, collect, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[1], "SELECT 2");
	assert_int_equal(c.lens[1], 8);
	sqlsplit_free(&s);
	collected_free(&c);

	CHECK("SELECT 1;SELECT 2", "SELECT 1", "SELECT 2");
	CHECK("SELECT 'a;b' -- c", "SELECT 'a;b' -- c");
	CHECK("DELIMITER ;;\nSELECT 1; SELECT 2", "SELECT 1; SELECT 2");
}

/* The callback's error stops the feed at once and is returned. */
static void test_callback_error(void **state)
{
	static const char in[] = "a;b;c;d;";
	struct collected c = { 0 };
	struct sqlsplit s;
	int r = 0;

	(void)state;
	c.fail_at = 2;
	c.fail_err = -ECANCELED;
	sqlsplit_init(&s);
	assert_int_equal(sqlsplit_feed(&s, in, strlen(in), collect, &c), -ECANCELED);
	assert_int_equal(c.calls, 2);		/* c and d were not delivered */
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0], "a");
	sqlsplit_free(&s);
	collected_free(&c);

	/* Fed byte by byte: the error comes back from the feed of b's ';'. */
	c.fail_at = 2;
	c.fail_err = -EIO;
	sqlsplit_init(&s);
	for (size_t i = 0; i < strlen(in); i++) {
		r = sqlsplit_feed(&s, in + i, 1, collect, &c);
		if (r < 0) {
			assert_int_equal(i, 3);
			break;
		}
	}
	assert_int_equal(r, -EIO);
	assert_int_equal(c.calls, 2);
	sqlsplit_free(&s);
	collected_free(&c);

	/* And from sqlsplit_finish. */
	c.fail_at = 1;
	c.fail_err = -ENOSPC;
	sqlsplit_init(&s);
	assert_int_equal(sqlsplit_feed(&s, "SELECT 1", 8, collect, &c), 0);
	assert_int_equal(c.calls, 0);
	assert_int_equal(sqlsplit_finish(&s, collect, &c), -ENOSPC);
	assert_int_equal(c.calls, 1);
	sqlsplit_free(&s);
	collected_free(&c);
}

/* A large statement (an extended INSERT) arrives whole, in any chunking. */
static void test_long_statement(void **state)
{
	enum { ROWS = 40000 };
	struct sbuf in = { 0 }, want = { 0 };
	struct collected c = { 0 };
	const char *exp[3];

	(void)state;
	sbuf_adds(&want, "INSERT INTO t VALUES ");
	for (int i = 0; i < ROWS; i++)
		sbuf_addf(&want, "%s(%d,'r;%d\\'x',\"-- %d;\")", i ? "," : "", i, i, i);
	sbuf_addf(&in, "%s;\nSELECT 1;\n", sbuf_str(&want));
	assert_int_equal(in.err, 0);
	exp[0] = sbuf_str(&want);
	exp[1] = "SELECT 1";
	exp[2] = NULL;

	run(in.data, in.len, MODE_WHOLE, 0, &c);
	compare(&c, exp, MODE_WHOLE, 0);
	collected_free(&c);
	run(in.data, in.len, MODE_RANDOM, 7, &c);
	compare(&c, exp, MODE_RANDOM, 7);
	collected_free(&c);
	run(in.data, in.len, MODE_BYTES, 0, &c);
	compare(&c, exp, MODE_BYTES, 0);
	collected_free(&c);
	sbuf_free(&in);
	sbuf_free(&want);
}

/* Only slash-star-bang and slash-star-M-bang are executable; any other
 * comment, even one whose text starts with "M", is a comment. */
static void test_comment_starting_with_m(void **state)
{
	(void)state;
	CHECK_NONE("/*Mostly harmless*/\n");
	CHECK("/*Mostly harmless*/ SELECT 1;", "SELECT 1");
}

/* After a comment's closing star-slash, a '*' is multiplication, not the
 * start of a new comment (the slash belongs to the closed comment). */
static void test_star_after_comment(void **state)
{
	(void)state;
	CHECK("SELECT 2 /* x */*3;SELECT 4;", "SELECT 2 /* x */*3", "SELECT 4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_blanks_stripped),
		cmocka_unit_test(test_leading_comments_stripped),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_backslash_escapes),
		cmocka_unit_test(test_doubled_quotes),
		cmocka_unit_test(test_comments_with_delimiter),
		cmocka_unit_test(test_double_dash_needs_space),
		cmocka_unit_test(test_comment_only_not_delivered),
		cmocka_unit_test(test_executable_comments),
		cmocka_unit_test(test_delimiter_procedure),
		cmocka_unit_test(test_delimiter_mysqldump),
		cmocka_unit_test(test_delimiter_at_end_of_input),
		cmocka_unit_test(test_dump_excerpt),
		cmocka_unit_test(test_openers_across_feeds),
		cmocka_unit_test(test_finish),
		cmocka_unit_test(test_callback_error),
		cmocka_unit_test(test_long_statement),
		cmocka_unit_test(test_comment_starting_with_m),
		cmocka_unit_test(test_star_after_comment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

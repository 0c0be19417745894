/*
 * test-protocol — the control socket's framing: bytes in, one JSON object per
 * line out.  The socket is the daemon's door, so hostile peers get most of
 * the cases: a line over PROTO_LINE_MAX (with and without its newline), bad
 * JSON, a JSON value that is not an object, duplicate keys, an empty line,
 * a peer that hangs up mid-line.
 *
 * Every stream is also fed split in two at every byte and one byte at a
 * time: a socket read ends wherever it likes, so the lines must not depend on
 * where the pieces end.  proto_read and proto_write are driven over a real
 * socketpair.
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "protocol.h"

#define STREAM "{\"cmd\":\"status\"}\n{\"cmd\":\"run\",\"job\":\"shop\",\"wait\":true}\n\n{\"cmd\":\"ack\",\"what\":\"web-3\"}\n"
#define STREAM_LINES 4

/* Feeds TEXT to a fresh splitter in the pieces given by CUTS (ascending
 * offsets) and collects every complete line into OUT.  Returns the count. */
static size_t feed(const char *text, size_t len, const size_t *cuts, size_t ncuts,
		   char out[][128], size_t max)
{
	struct proto_lines pl;
	size_t n = 0, from = 0;
	char *line;

	proto_lines_init(&pl);
	for (size_t c = 0; c <= ncuts; c++) {
		size_t to = c < ncuts ? cuts[c] : len;

		assert_int_equal(proto_lines_push(&pl, text + from, to - from), 0);
		from = to;
		while ((line = proto_lines_next(&pl))) {
			assert_true(n < max);
			assert_true(strlen(line) < 128);
			strcpy(out[n++], line);
		}
	}
	assert_false(pl.overflow);
	proto_lines_free(&pl);
	return n;
}

static void check_stream_lines(char got[][128], size_t n)
{
	assert_int_equal(n, STREAM_LINES);
	assert_string_equal(got[0], "{\"cmd\":\"status\"}");
	assert_string_equal(got[1], "{\"cmd\":\"run\",\"job\":\"shop\",\"wait\":true}");
	assert_string_equal(got[2], "");
	assert_string_equal(got[3], "{\"cmd\":\"ack\",\"what\":\"web-3\"}");
}

static void test_lines_whole(void **state)
{
	char got[8][128];

	(void)state;
	check_stream_lines(got, feed(STREAM, strlen(STREAM), NULL, 0, got, 8));
}

static void test_lines_split_everywhere(void **state)
{
	size_t len = strlen(STREAM);
	char got[8][128];

	(void)state;
	for (size_t at = 0; at <= len; at++)
		check_stream_lines(got, feed(STREAM, len, &at, 1, got, 8));
}

static void test_lines_byte_by_byte(void **state)
{
	size_t len = strlen(STREAM);
	size_t *cuts = malloc(len * sizeof(*cuts));
	char got[8][128];

	(void)state;
	assert_non_null(cuts);
	for (size_t i = 0; i < len; i++)
		cuts[i] = i;
	check_stream_lines(got, feed(STREAM, len, cuts, len, got, 8));
	free(cuts);
}

/* A partial line is held, not handed out, until its newline comes. */
static void test_partial_line_waits(void **state)
{
	struct proto_lines pl;
	char *line;

	(void)state;
	proto_lines_init(&pl);
	assert_null(proto_lines_next(&pl));
	assert_int_equal(proto_lines_push(&pl, "{\"cmd\":", 7), 0);
	assert_null(proto_lines_next(&pl));
	assert_int_equal(proto_lines_push(&pl, "\"status\"}", 9), 0);
	assert_null(proto_lines_next(&pl));
	assert_int_equal(proto_lines_push(&pl, "\n{\"cm", 5), 0);
	line = proto_lines_next(&pl);
	assert_non_null(line);
	assert_string_equal(line, "{\"cmd\":\"status\"}");
	assert_null(proto_lines_next(&pl));
	proto_lines_free(&pl);
}

/* Exactly PROTO_LINE_MAX bytes is a line; one more without a newline ends
 * the stream, and the splitter stays refused. */
static void test_overlong_unfinished_line(void **state)
{
	char *big = malloc(PROTO_LINE_MAX + 2);
	struct proto_lines pl;
	char *line;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', PROTO_LINE_MAX + 1);
	big[PROTO_LINE_MAX + 1] = '\n';

	proto_lines_init(&pl);
	assert_int_equal(proto_lines_push(&pl, big, PROTO_LINE_MAX), 0);
	assert_int_equal(proto_lines_push(&pl, "\n", 1), 0);
	line = proto_lines_next(&pl);
	assert_non_null(line);
	assert_int_equal(strlen(line), PROTO_LINE_MAX);
	proto_lines_free(&pl);

	proto_lines_init(&pl);
	assert_int_equal(proto_lines_push(&pl, big, PROTO_LINE_MAX), 0);
	assert_int_equal(proto_lines_push(&pl, "x", 1), -EMSGSIZE);
	assert_true(pl.overflow);
	assert_int_equal(proto_lines_push(&pl, "\n", 1), -EMSGSIZE);
	assert_null(proto_lines_next(&pl));
	proto_lines_free(&pl);
	free(big);
}

/* An over-long line that arrives whole with its newline is refused too, and
 * the good line before it still comes out. */
static void test_overlong_complete_line(void **state)
{
	size_t len = 6 + PROTO_LINE_MAX + 2;
	char *buf = malloc(len);
	struct proto_lines pl;
	char *line;

	(void)state;
	assert_non_null(buf);
	memcpy(buf, "{}  \n", 5);
	memset(buf + 5, 'y', len - 5 - 1);
	buf[len - 1] = '\n';
	proto_lines_init(&pl);
	assert_int_equal(proto_lines_push(&pl, buf, len), 0);
	line = proto_lines_next(&pl);
	assert_non_null(line);
	assert_string_equal(line, "{}  ");
	assert_null(proto_lines_next(&pl));
	assert_true(pl.overflow);
	assert_int_equal(proto_lines_push(&pl, "{}\n", 3), -EMSGSIZE);
	proto_lines_free(&pl);
	free(buf);
}

static void test_parse_hostile(void **state)
{
	static const char *bad[] = {
		"", "{", "}", "{\"cmd\":}", "{\"cmd\":\"status\"} trailing",
		"[\"cmd\",\"status\"]", "\"status\"", "42", "null",
		"{\"cmd\":\"run\",\"cmd\":\"cancel\"}",		/* duplicate key */
		"{'cmd':'status'}", "{\"cmd\":\"\\uZZZZ\"}",
	};
	char err[256];
	json_t *j;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		j = proto_parse(bad[i], err, sizeof(err));
		if (j)
			fail_msg("accepted hostile line '%s'", bad[i]);
		assert_true(err[0] != '\0');
	}
	j = proto_parse("[1]", err, sizeof(err));
	assert_null(j);
	assert_string_equal(err, "a request must be a JSON object");

	j = proto_parse(" {\"cmd\":\"status\"} ", err, sizeof(err));
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "cmd")), "status");
	json_decref(j);
}

/* proto_write then proto_read over a socketpair, with the reader's bytes
 * arriving in two writes split inside a message. */
static void test_write_read_roundtrip(void **state)
{
	struct proto_lines pl;
	json_t *msg, *got;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	msg = json_pack("{s:s, s:s, s:b}", "cmd", "run", "job", "sh\nop", "wait", 1);
	assert_non_null(msg);
	assert_int_equal(proto_write(sv[0], msg), 0);
	assert_int_equal(write(sv[0], "{\"cmd\":", 7), 7);
	assert_int_equal(write(sv[0], "\"status\"}\n", 10), 10);
	proto_lines_init(&pl);
	assert_int_equal(proto_read(sv[1], &pl, &got), 0);
	assert_true(json_equal(msg, got));	/* the newline in a value stays escaped */
	json_decref(got);
	assert_int_equal(proto_read(sv[1], &pl, &got), 0);
	assert_string_equal(json_string_value(json_object_get(got, "cmd")), "status");
	json_decref(got);

	/* Bad JSON: -EBADMSG, nothing returned. */
	assert_int_equal(write(sv[0], "{nope}\n", 7), 7);
	assert_int_equal(proto_read(sv[1], &pl, &got), -EBADMSG);
	assert_null(got);

	/* The peer hangs up mid-line: -ECONNRESET, the half line is not a message. */
	assert_int_equal(write(sv[0], "{\"cmd\":\"sta", 11), 11);
	close(sv[0]);
	assert_int_equal(proto_read(sv[1], &pl, &got), -ECONNRESET);
	assert_null(got);
	proto_lines_free(&pl);
	close(sv[1]);
	json_decref(msg);
}

/* A peer streaming a line without end is cut off at the limit: proto_read
 * returns -EMSGSIZE instead of buffering it all. */
static void test_read_overlong(void **state)
{
	struct proto_lines pl;
	char chunk[4096];
	size_t sent = 0;
	json_t *got;
	int sv[2];
	pid_t pid;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[1]);
		memset(chunk, 'z', sizeof(chunk));
		while (sent < 4 * PROTO_LINE_MAX && write(sv[0], chunk, sizeof(chunk)) > 0)
			sent += sizeof(chunk);
		_exit(0);
	}
	close(sv[0]);
	proto_lines_init(&pl);
	assert_int_equal(proto_read(sv[1], &pl, &got), -EMSGSIZE);
	assert_null(got);
	assert_true(pl.len <= PROTO_LINE_MAX + sizeof(chunk));
	proto_lines_free(&pl);
	close(sv[1]);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_whole),
		cmocka_unit_test(test_lines_split_everywhere),
		cmocka_unit_test(test_lines_byte_by_byte),
		cmocka_unit_test(test_partial_line_waits),
		cmocka_unit_test(test_overlong_unfinished_line),
		cmocka_unit_test(test_overlong_complete_line),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_write_read_roundtrip),
		cmocka_unit_test(test_read_overlong),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

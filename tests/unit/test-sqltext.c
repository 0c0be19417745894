/*
 * test-sqltext — the growable buffer and the SQL quoting that a dump's
 * correctness rests on: identifiers with backticks doubled, strings escaped
 * byte for byte (NULs included), binary values as exact uppercase hex and BIT
 * values as b'...'.  Every expected output is spelt out in full.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqltext.h"

/* The buffer is a C string of exactly LEN bytes (NUL right after them). */
static void assert_sbuf(struct sbuf *b, const char *want, size_t len)
{
	assert_int_equal(b->err, 0);
	assert_int_equal(b->len, len);
	assert_non_null(b->data);
	assert_true(b->cap > b->len);
	assert_memory_equal(b->data, want, len);
	assert_int_equal(b->data[len], '\0');
	assert_ptr_equal(sbuf_str(b), b->data);
}

static void test_sbuf_empty(void **state)
{
	struct sbuf b = { 0 };

	(void)state;
	assert_string_equal(sbuf_str(&b), "");
	sbuf_reset(&b);			/* on a never-used buffer: harmless */
	assert_int_equal(b.len, 0);
	assert_string_equal(sbuf_str(&b), "");
	sbuf_add(&b, "", 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(sbuf_str(&b), "");
	sbuf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	sbuf_free(&b);			/* twice: harmless */
}

/* 100,000 appends of varying lengths: the content is exactly what went in. */
static void test_sbuf_growth(void **state)
{
	enum { N = 100000 };
	struct sbuf b = { 0 };
	char *want;
	size_t wlen = 0, cap = 0, grew = 0;

	(void)state;
	want = malloc((size_t)N * 13);
	assert_non_null(want);
	for (unsigned i = 0; i < N; i++) {
		char piece[16];
		size_t n = (size_t)snprintf(piece, sizeof(piece), "%u,", i * 2654435761u % 1000003u);

		if (i % 3 == 0) {
			sbuf_add(&b, piece, n);
		} else if (i % 3 == 1) {
			sbuf_adds(&b, piece);
		} else {
			sbuf_add(&b, piece, n - 1);	/* a prefix only */
			n--;
		}
		memcpy(want + wlen, piece, n);
		wlen += n;
		if (b.cap != cap) {
			grew++;
			cap = b.cap;
		}
		/* The buffer stays a C string after every append. */
		assert_int_equal(b.len, wlen);
		assert_int_equal(b.data[b.len], '\0');
	}
	assert_true(wlen > 500000);
	assert_true(grew >= 5);		/* it really did grow, several times */
	assert_sbuf(&b, want, wlen);
	assert_int_equal(strlen(sbuf_str(&b)), wlen);
	free(want);
	sbuf_free(&b);
}

/* Binary data, NULs included, is kept by length. */
static void test_sbuf_binary(void **state)
{
	struct sbuf b = { 0 };
	unsigned char all[256];

	(void)state;
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	sbuf_add(&b, all, sizeof(all));
	sbuf_add(&b, all, sizeof(all));
	assert_int_equal(b.len, 512);
	assert_memory_equal(b.data, all, 256);
	assert_memory_equal(b.data + 256, all, 256);
	assert_int_equal(b.data[512], '\0');
	sbuf_free(&b);
}

static void test_sbuf_addf(void **state)
{
	struct sbuf b = { 0 };
	char big[10001], *want;

	(void)state;
	sbuf_addf(&b, "%d-%s-%05.1f-%c", 42, "x", 3.5, 'z');
	assert_sbuf(&b, "42-x-003.5-z", 12);
	sbuf_addf(&b, "%s", "");
	assert_sbuf(&b, "42-x-003.5-z", 12);
	sbuf_addf(&b, "|%llu|", 18446744073709551615ull);
	assert_sbuf(&b, "42-x-003.5-z|18446744073709551615|", 34);

	/* A formatted piece larger than the first allocation makes it grow. */
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sbuf_addf(&b, "<%s>", big);
	want = malloc(34 + 10002);
	assert_non_null(want);
	memcpy(want, "42-x-003.5-z|18446744073709551615|<", 35);
	memset(want + 35, 'q', 10000);
	want[10035] = '>';
	assert_sbuf(&b, want, 10036);
	free(want);

	/* Many small formatted appends across growth. */
	sbuf_reset(&b);
	for (int i = 0; i < 20000; i++)
		sbuf_addf(&b, "%04d", i % 10000);
	assert_int_equal(b.len, 80000);
	for (int i = 0; i < 20000; i++) {
		char piece[8];

		snprintf(piece, sizeof(piece), "%04d", i % 10000);
		assert_memory_equal(b.data + i * 4, piece, 4);
	}
	assert_int_equal(b.data[80000], '\0');
	sbuf_free(&b);
}

static void test_sbuf_reset(void **state)
{
	struct sbuf b = { 0 };
	size_t cap;

	(void)state;
	sbuf_adds(&b, "first statement");
	cap = b.cap;
	sbuf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(sbuf_str(&b), "");
	assert_int_equal(b.cap, cap);		/* the memory is kept for reuse */
	sbuf_adds(&b, "second");
	assert_sbuf(&b, "second", 6);
	sbuf_reset(&b);
	sbuf_addf(&b, "%s", "third");
	assert_sbuf(&b, "third", 5);
	sbuf_free(&b);
}

static void test_ident(void **state)
{
	struct sbuf b = { 0 };

	(void)state;
	sql_add_ident(&b, "plain");
	assert_sbuf(&b, "`plain`", 7);
	sbuf_reset(&b);
	sql_add_ident(&b, "we`ird");
	assert_sbuf(&b, "`we``ird`", 9);
	sbuf_reset(&b);
	sql_add_ident(&b, "``");
	assert_sbuf(&b, "``````", 6);
	sbuf_reset(&b);
	sql_add_ident(&b, "");
	assert_sbuf(&b, "``", 2);
	sbuf_reset(&b);
	/* Other special characters are not touched inside backticks. */
	sql_add_ident(&b, "a'b\"c\\d;e");
	assert_sbuf(&b, "`a'b\"c\\d;e`", 11);
	sbuf_reset(&b);

	/* Appends after what is there, e.g. `db`.`table`. */
	sql_add_ident(&b, "db");
	sbuf_adds(&b, ".");
	sql_add_ident(&b, "t`1");
	assert_sbuf(&b, "`db`.`t``1`", 11);
	sbuf_reset(&b);

	/* UTF-8 names are copied byte for byte. */
	sql_add_ident(&b, "caf\xc3\xa9_\xf0\x9f\x98\x80");
	assert_sbuf(&b, "`caf\xc3\xa9_\xf0\x9f\x98\x80`", 12);
	sbuf_free(&b);
}

static void test_string_escapes(void **state)
{
	static const char in[] = "a\0b\nc\rd\\e'f\"g\032h";
	static const char want[] = "'a\\0b\\nc\\rd\\\\e\\'f\\\"g\\Zh'";
	struct sbuf b = { 0 };

	(void)state;
	sql_add_string(&b, in, sizeof(in) - 1);
	assert_sbuf(&b, want, sizeof(want) - 1);
	sbuf_reset(&b);

	/* Each escape on its own. */
	sql_add_string(&b, "\0", 1);
	assert_sbuf(&b, "'\\0'", 4);
	sbuf_reset(&b);
	sql_add_string(&b, "\n", 1);
	assert_sbuf(&b, "'\\n'", 4);
	sbuf_reset(&b);
	sql_add_string(&b, "\r", 1);
	assert_sbuf(&b, "'\\r'", 4);
	sbuf_reset(&b);
	sql_add_string(&b, "\\", 1);
	assert_sbuf(&b, "'\\\\'", 4);
	sbuf_reset(&b);
	sql_add_string(&b, "'", 1);
	assert_sbuf(&b, "'\\''", 4);
	sbuf_reset(&b);
	sql_add_string(&b, "\"", 1);
	assert_sbuf(&b, "'\\\"'", 4);
	sbuf_reset(&b);
	sql_add_string(&b, "\032", 1);
	assert_sbuf(&b, "'\\Z'", 4);
	sbuf_reset(&b);

	/* Empty string. */
	sql_add_string(&b, "", 0);
	assert_sbuf(&b, "''", 2);
	sbuf_reset(&b);

	/* Only LEN bytes are read: the rest (even after a NUL) is ignored. */
	sql_add_string(&b, "ab\0cd", 3);
	assert_sbuf(&b, "'ab\\0'", 6);
	sbuf_reset(&b);
	sql_add_string(&b, "\0\0\0", 3);
	assert_sbuf(&b, "'\\0\\0\\0'", 8);
	sbuf_reset(&b);
	sql_add_string(&b, "xyz", 1);
	assert_sbuf(&b, "'x'", 3);
	sbuf_reset(&b);

	/* Tab, backspace, %, _ are not escaped (the client reads them back as is). */
	sql_add_string(&b, "\t\b%_`;", 6);
	assert_sbuf(&b, "'\t\b%_`;'", 8);
	sbuf_free(&b);
}

/* Multi-byte UTF-8 (and any byte >= 0x80) passes through untouched. */
static void test_string_utf8(void **state)
{
	static const char emoji[] = "smile \xf0\x9f\x98\x80 caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8f\xb3\xef\xb8\x8f\xe2\x80\x8d\xf0\x9f\x8c\x88";
	struct sbuf b = { 0 };
	char want[sizeof(emoji) + 2];

	(void)state;
	sql_add_string(&b, emoji, sizeof(emoji) - 1);
	want[0] = '\'';
	memcpy(want + 1, emoji, sizeof(emoji) - 1);
	want[sizeof(emoji)] = '\'';
	assert_sbuf(&b, want, sizeof(emoji) + 1);
	sbuf_free(&b);
}

/* All 256 byte values: exactly 7 are escaped, the rest copied. */
static void test_string_all_bytes(void **state)
{
	struct sbuf b = { 0 };
	char in[256], want[2 + 256 + 7];
	size_t n = 0;

	(void)state;
	want[n++] = '\'';
	for (int i = 0; i < 256; i++) {
		char c = (char)i, esc = 0;

		in[i] = c;
		switch (i) {
		case 0: esc = '0'; break;
		case '\n': esc = 'n'; break;
		case '\r': esc = 'r'; break;
		case '\\': esc = '\\'; break;
		case '\'': esc = '\''; break;
		case '"': esc = '"'; break;
		case 26: esc = 'Z'; break;
		}
		if (esc) {
			want[n++] = '\\';
			want[n++] = esc;
		} else {
			want[n++] = c;
		}
	}
	want[n++] = '\'';
	assert_int_equal(n, sizeof(want));
	sql_add_string(&b, in, sizeof(in));
	assert_sbuf(&b, want, n);
	sbuf_free(&b);
}

/* A long string of quotes doubles in size and lands after existing text. */
static void test_string_long(void **state)
{
	enum { N = 100000 };
	struct sbuf b = { 0 };
	char *in = malloc(N);

	(void)state;
	assert_non_null(in);
	memset(in, '\'', N);
	sbuf_adds(&b, "INSERT INTO t VALUES (");
	sql_add_string(&b, in, N);
	sbuf_adds(&b, ")");
	assert_int_equal(b.err, 0);
	assert_int_equal(b.len, 22 + 2 + 2 * (size_t)N + 1);
	assert_memory_equal(b.data, "INSERT INTO t VALUES ('", 23);
	for (size_t i = 0; i < N; i++) {
		if (b.data[23 + 2 * i] != '\\' || b.data[23 + 2 * i + 1] != '\'')
			fail_msg("byte %zu not escaped", i);
	}
	assert_string_equal(b.data + 23 + 2 * (size_t)N, "')");
	free(in);
	sbuf_free(&b);
}

static void test_hex(void **state)
{
	static const unsigned char two[] = { 0x00, 0xff };
	static const unsigned char mixed[] = { 0xde, 0xad, 0xbe, 0xef, 0x01, 0xa0 };
	struct sbuf b = { 0 };
	unsigned char all[256];
	char want[2 + 512 + 1];

	(void)state;
	sql_add_hex(&b, two, 0);
	assert_sbuf(&b, "''", 2);
	sbuf_reset(&b);
	sql_add_hex(&b, two, 2);
	assert_sbuf(&b, "0x00FF", 6);
	sbuf_reset(&b);
	sql_add_hex(&b, mixed, sizeof(mixed));
	assert_sbuf(&b, "0xDEADBEEF01A0", 14);
	sbuf_reset(&b);

	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	memcpy(want, "0x", 2);
	for (int i = 0; i < 256; i++)
		snprintf(want + 2 + 2 * i, 3, "%02X", i);
	sql_add_hex(&b, all, sizeof(all));
	assert_sbuf(&b, want, 2 + 512);
	assert_memory_equal(b.data, "0x000102030405060708090A0B0C0D0E0F10", 36);
	assert_string_equal(b.data + 2 + 2 * 250, "FAFBFCFDFEFF");
	sbuf_reset(&b);

	/* After existing text. */
	sbuf_adds(&b, "(");
	sql_add_hex(&b, mixed, 1);
	sbuf_adds(&b, ",");
	sql_add_hex(&b, mixed, 0);
	sbuf_adds(&b, ")");
	assert_sbuf(&b, "(0xDE,'')", 9);
	sbuf_free(&b);
}

static void test_bits(void **state)
{
	static const unsigned char five[] = { 5 };
	static const unsigned char two[] = { 0xff, 0x00 };
	static const unsigned char u64[] = { 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 };
	static const unsigned char ones[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const unsigned char pattern[] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
	struct sbuf b = { 0 };

	(void)state;
	sql_add_bits(&b, five, 1);
	assert_sbuf(&b, "b'00000101'", 11);
	sbuf_reset(&b);
	sql_add_bits(&b, two, 2);
	assert_sbuf(&b, "b'1111111100000000'", 19);
	sbuf_reset(&b);
	sql_add_bits(&b, u64, 8);
	assert_sbuf(&b, "b'1000000000000000000000000000000000000000000000000000000000000001'", 67);
	sbuf_reset(&b);
	sql_add_bits(&b, ones, 8);
	assert_sbuf(&b, "b'1111111111111111111111111111111111111111111111111111111111111111'", 67);
	sbuf_reset(&b);
	sql_add_bits(&b, pattern, 8);
	assert_sbuf(&b, "b'0000000100100011010001010110011110001001101010111100110111101111'", 67);
	sbuf_reset(&b);
	sql_add_bits(&b, five, 0);
	assert_sbuf(&b, "b'0'", 4);
	sbuf_reset(&b);

	sbuf_adds(&b, "x=");
	sql_add_bits(&b, five, 1);
	sbuf_adds(&b, ";");
	assert_sbuf(&b, "x=b'00000101';", 14);
	sbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sbuf_empty),
		cmocka_unit_test(test_sbuf_growth),
		cmocka_unit_test(test_sbuf_binary),
		cmocka_unit_test(test_sbuf_addf),
		cmocka_unit_test(test_sbuf_reset),
		cmocka_unit_test(test_ident),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_string_utf8),
		cmocka_unit_test(test_string_all_bytes),
		cmocka_unit_test(test_string_long),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

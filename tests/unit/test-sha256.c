/*
 * test-sha256 — the streaming SHA-256 wrapper: FIPS 180-2 vectors, streaming
 * in odd-sized pieces against one shot, sha256_file across its 64 KiB read
 * buffer, and errors.  Each test that touches files works in a fresh mkdtemp
 * directory, removed afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "sha256.h"

#define EMPTY_HEX "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_HEX "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void hash_mem(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1])
{
	struct sha256 h;

	assert_int_equal(sha256_init(&h), 0);
	sha256_update(&h, data, len);
	sha256_final_hex(&h, hex);
	assert_null(h.ctx);
}

/* Deterministic, non-repeating-looking bytes. */
static unsigned char *pattern(size_t len)
{
	unsigned char *p = malloc(len);
	uint32_t x = 2463534242u;
	size_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
	return p;
}

static void test_vectors(void **state)
{
	char hex[SHA256_HEX_LEN + 1];
	char *million;

	(void)state;
	hash_mem("", 0, hex);
	assert_string_equal(hex, EMPTY_HEX);
	hash_mem("abc", 3, hex);
	assert_string_equal(hex, ABC_HEX);
	hash_mem("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

	million = malloc(1000000);
	assert_non_null(million);
	memset(million, 'a', 1000000);
	hash_mem(million, 1000000, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

static void test_streaming_equals_one_shot(void **state)
{
	const size_t len = 300001;
	char one[SHA256_HEX_LEN + 1];
	char many[SHA256_HEX_LEN + 1];
	unsigned char *data = pattern(len);
	struct sha256 h;
	size_t off = 0;
	size_t piece = 0;

	(void)state;
	hash_mem(data, len, one);

	/* Pieces of 0, 1, 2, ... bytes, crossing every block boundary shape. */
	assert_int_equal(sha256_init(&h), 0);
	while (off < len) {
		size_t n = piece < len - off ? piece : len - off;

		sha256_update(&h, data + off, n);
		off += n;
		piece = (piece * 7 + 3) % 997;
	}
	sha256_final_hex(&h, many);
	assert_string_equal(one, many);

	/* Byte at a time over a short input. */
	assert_int_equal(sha256_init(&h), 0);
	sha256_update(&h, "a", 1);
	sha256_update(&h, "b", 1);
	sha256_update(&h, "", 0);
	sha256_update(&h, "c", 1);
	sha256_final_hex(&h, many);
	assert_string_equal(many, ABC_HEX);
	free(data);
}

/* A binary digest in hex: every byte value's two digits, lowercase. */
static void test_hex(void **state)
{
	unsigned char md[32];
	char hex[SHA256_HEX_LEN + 1];

	(void)state;
	for (int i = 0; i < 32; i++)
		md[i] = (unsigned char)(i * 8 + (i & 7));
	md[31] = 0xff;
	sha256_hex(md, hex);
	assert_string_equal(hex, "0009121b242d363f4049525b646d767f8089929ba4adb6bfc0c9d2dbe4edf6ff");
}

static void test_discard(void **state)
{
	struct sha256 h;

	(void)state;
	assert_int_equal(sha256_init(&h), 0);
	sha256_update(&h, "abc", 3);
	sha256_discard(&h);
	assert_null(h.ctx);
	/* Discarding twice is harmless (error paths may overlap). */
	sha256_discard(&h);
}

static void test_file(void **state)
{
	const char *dir = *state;
	const size_t len = 3 * 65536 + 12345;	/* spans several read buffers */
	char path[PATH_MAX];
	char want[SHA256_HEX_LEN + 1];
	char got[SHA256_HEX_LEN + 1];
	unsigned char *data = pattern(len);

	snprintf(path, sizeof(path), "%s/data", dir);
	assert_int_equal(fs_write_atomic(path, data, len, 0600), 0);
	hash_mem(data, len, want);
	assert_int_equal(sha256_file(path, got), 0);
	assert_string_equal(got, want);

	snprintf(path, sizeof(path), "%s/empty", dir);
	assert_int_equal(fs_write_atomic(path, "", 0, 0600), 0);
	assert_int_equal(sha256_file(path, got), 0);
	assert_string_equal(got, EMPTY_HEX);
	free(data);
}

static void test_file_errors(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX];
	char hex[SHA256_HEX_LEN + 1];

	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(sha256_file(path, hex), -ENOENT);
	assert_string_equal(hex, "");
	/* A directory opens but does not read. */
	assert_int_equal(sha256_file(dir, hex), -EISDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_streaming_equals_one_shot),
		cmocka_unit_test(test_discard),
		cmocka_unit_test(test_hex),
		cmocka_unit_test_setup_teardown(test_file, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_file_errors, test_tmpdir_setup, test_tmpdir_teardown),
	};

	log_init("test-sha256", LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

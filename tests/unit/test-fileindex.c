/*
 * test-fileindex — the index format: path escaping is reversible for every
 * byte string (newlines, tabs, backslashes, non-UTF-8 bytes) and leaves
 * valid UTF-8 readable; an entry line parses back to the same entry; the
 * hash table finds every one of many paths and nothing else; a compressed
 * index loads with its hash, and a bad header, a bad line or a truncated
 * file is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "fileindex.h"
#include "log.h"
#include "sha256.h"

static void roundtrip(const char *path)
{
	char *esc = fileindex_escape(path), *back;

	assert_non_null(esc);
	assert_null(strchr(esc, '\n'));
	assert_null(strchr(esc, '\t'));
	back = fileindex_unescape(esc);
	assert_non_null(back);
	assert_string_equal(back, path);
	free(esc);
	free(back);
}

static void test_escape(void **state)
{
	char *esc;

	(void)state;
	roundtrip("plain/name.php");
	roundtrip("with space");
	roundtrip("new\nline\tand tab");
	roundtrip("back\\slash\\x41");
	roundtrip("latin1 caf\xe9");
	roundtrip("\x01\x7f\xff\xfe\xc3");
	roundtrip("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	esc = fileindex_escape("caf\xc3\xa9/caf\xe9\n\\");
	assert_string_equal(esc, "caf\xc3\xa9/caf\\xe9\\n\\\\");
	free(esc);
	/* A bad escape, and an escaped NUL, are refused. */
	assert_null(fileindex_unescape("bad\\q"));
	assert_null(fileindex_unescape("nul\\x00"));
	assert_null(fileindex_unescape("short\\x4"));
}

static void test_line(void **state)
{
	struct fi_entry e = {
		.type = 'f', .flags = FI_CHANGED, .has_sha = true, .mode = 04755, .uid = 33, .gid = 34,
		.size = 123456789012ULL, .mtime_s = 1700000000, .mtime_ns = 123456789,
		.ctime_s = -5, .ctime_ns = 1, .ino = 987654321, .path = "dir/new\nline",
	}, back;
	struct fi_entry rm = { .type = '-', .path = "gone" };
	char *line, *path, *from;

	(void)state;
	for (int i = 0; i < 32; i++)
		e.sha[i] = (uint8_t)(i * 7);
	line = fileindex_entry_line(&e, "2026/11/backup-25-01");
	assert_non_null(line);
	assert_int_equal(line[strlen(line) - 1], '\n');
	line[strlen(line) - 1] = 0;
	assert_int_equal(fileindex_parse_line(line, &back, &path, &from), 0);
	assert_int_equal(back.type, 'f');
	assert_int_equal(back.flags, FI_CHANGED);
	assert_int_equal(back.mode, 04755);
	assert_int_equal(back.uid, 33);
	assert_int_equal(back.gid, 34);
	assert_true(back.size == e.size);
	assert_int_equal(back.mtime_s, e.mtime_s);
	assert_int_equal(back.mtime_ns, e.mtime_ns);
	assert_int_equal(back.ctime_s, -5);
	assert_int_equal(back.ctime_ns, 1);
	assert_true(back.ino == e.ino);
	assert_true(back.has_sha);
	assert_memory_equal(back.sha, e.sha, 32);
	assert_string_equal(path, "dir/new\nline");
	assert_string_equal(from, "2026/11/backup-25-01");
	free(line);
	free(path);
	free(from);

	line = fileindex_entry_line(&rm, NULL);
	line[strlen(line) - 1] = 0;
	assert_int_equal(fileindex_parse_line(line, &back, &path, &from), 0);
	assert_int_equal(back.type, '-');
	assert_string_equal(path, "gone");
	assert_null(from);
	free(line);
	free(path);

	assert_int_equal(fileindex_parse_line("f\t0644\tonly four", &back, &path, &from), -EINVAL);
	assert_int_equal(fileindex_parse_line("x\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\tp", &back, &path, &from), -EINVAL);
	assert_int_equal(fileindex_parse_line("f\t0644\t0\t0\t1\t1.5\t1.000000000\t1\t-\t-\t-\tp",
					      &back, &path, &from), -EINVAL);
}

static void test_table(void **state)
{
	struct fileindex fi;
	char path[64];

	(void)state;
	fileindex_init(&fi);
	for (int i = 0; i < 50000; i++) {
		struct fi_entry e = { .type = 'f', .size = (uint64_t)i, .path = path };

		snprintf(path, sizeof(path), "d%d/file-%d.php", i % 97, i);
		assert_int_equal(fileindex_add(&fi, &e, i % 2 ? "2026/11/backup-25-01" : "2026/11/backup-25-02"), 0);
	}
	assert_int_equal(fi.n, 50000);
	assert_int_equal(fi.nfrom, 2);
	for (int i = 0; i < 50000; i++) {
		struct fi_entry *e;

		snprintf(path, sizeof(path), "d%d/file-%d.php", i % 97, i);
		e = fileindex_find(&fi, path);
		assert_non_null(e);
		assert_true(e->size == (uint64_t)i);
		assert_string_equal(fileindex_from(&fi, e), i % 2 ? "2026/11/backup-25-01" : "2026/11/backup-25-02");
	}
	assert_null(fileindex_find(&fi, "d1/file-2.php"));
	assert_null(fileindex_find(&fi, ""));
	fileindex_free(&fi);
}

static void write_zst(const char *path, const char *text, size_t len)
{
	size_t cap = ZSTD_compressBound(len);
	void *out = malloc(cap);
	size_t n = ZSTD_compress(out, cap, text, len, 3);
	FILE *f = fopen(path, "wb");

	assert_false(ZSTD_isError(n));
	assert_non_null(f);
	assert_int_equal(fwrite(out, 1, n, f), n);
	fclose(f);
	free(out);
}

static void test_load(void **state)
{
	char dir[] = "/tmp/test-fileindex.XXXXXX", path[128], hex[65], want[65];
	static const char good[] =
		"lifeboat-index 1\t2026/11/backup-25-02\t2026/11/backup-25-01\n"
		"d\t0755\t0\t0\t4096\t1.000000000\t1.000000000\t2\t-\t2026/11/backup-25-02\t-\t.\n"
		"f\t0644\t0\t0\t5\t1.000000000\t1.000000000\t3\t"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\t2026/11/backup-25-01\t-\ta\\nb\n"
		"-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\tgone\n";
	struct fileindex fi;
	struct fi_entry *e;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/index.zst", dir);
	write_zst(path, good, strlen(good));
	fileindex_init(&fi);
	assert_int_equal(fileindex_load(&fi, path, hex), 0);
	assert_int_equal(sha256_file(path, want), 0);
	assert_string_equal(hex, want);
	assert_string_equal(fi.id, "2026/11/backup-25-02");
	assert_string_equal(fi.parent, "2026/11/backup-25-01");
	assert_int_equal(fi.n, 3);
	e = fileindex_find(&fi, "a\nb");
	assert_non_null(e);
	assert_string_equal(fileindex_from(&fi, e), "2026/11/backup-25-01");
	assert_int_equal(fileindex_find(&fi, "gone")->type, '-');
	fileindex_free(&fi);

	/* Not an index, a bad line, a truncated file. */
	write_zst(path, "something else\t1\t2\n", 19);
	assert_int_equal(fileindex_load(&fi, path, NULL), -EINVAL);
	fileindex_free(&fi);
	write_zst(path, "lifeboat-index 1\tx\t-\nf\tbad\n", 27);
	assert_int_equal(fileindex_load(&fi, path, NULL), -EINVAL);
	fileindex_free(&fi);
	write_zst(path, good, strlen(good) - 3);
	assert_int_equal(fileindex_load(&fi, path, NULL), -EINVAL);
	fileindex_free(&fi);
	assert_int_equal(fileindex_load(&fi, "/nonexistent/index.zst", NULL), -ENOENT);
	fileindex_free(&fi);
	test_rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_load),
	};

	log_init("test-fileindex", LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

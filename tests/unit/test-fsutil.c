/*
 * test-fsutil — the durable-write primitives: mkdir -p with exact modes
 * whatever the umask, full writes, atomic replacement that leaves no
 * temporary, bounded whole-file reads and dirname.  Each test works in a fresh
 * mkdtemp directory, removed afterwards.
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

static mode_t mode_of(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return sb.st_mode & 07777;
}

/* Number of entries in DIR other than "." and "..". */
static int count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_mkdirs_modes(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX];
	char sub[PATH_MAX];
	mode_t old;

	/* A restrictive umask must not narrow, nor a permissive one widen. */
	old = umask(0077);
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(fs_mkdirs(path, 0750), 0);
	assert_int_equal(mode_of(path), 0750);
	snprintf(sub, sizeof(sub), "%s/a", dir);
	assert_int_equal(mode_of(sub), 0750);

	umask(0);
	snprintf(path, sizeof(path), "%s/x//y/z/", dir);
	assert_int_equal(fs_mkdirs(path, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/x", dir);
	assert_int_equal(mode_of(sub), 0700);
	snprintf(sub, sizeof(sub), "%s/x/y/z", dir);
	assert_int_equal(mode_of(sub), 0700);
	umask(old);

	/* Existing directories are left as they are. */
	snprintf(sub, sizeof(sub), "%s/keep", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(chmod(sub, 0755), 0);
	snprintf(path, sizeof(path), "%s/keep/new", dir);
	assert_int_equal(fs_mkdirs(path, 0700), 0);
	assert_int_equal(mode_of(sub), 0755);
	assert_int_equal(mode_of(path), 0700);
	/* Idempotent. */
	assert_int_equal(fs_mkdirs(path, 0700), 0);

	/* A file in the way. */
	snprintf(sub, sizeof(sub), "%s/file", dir);
	assert_int_equal(fs_write_atomic(sub, "x", 1, 0600), 0);
	assert_int_equal(fs_mkdirs(sub, 0700), -ENOTDIR);
	snprintf(path, sizeof(path), "%s/file/below", dir);
	assert_int_equal(fs_mkdirs(path, 0700), -ENOTDIR);

	assert_int_equal(fs_mkdirs("", 0700), -ENOENT);
}

static void test_write_all(void **state)
{
	const char *dir = *state;
	const size_t len = 1 << 20;
	char path[PATH_MAX];
	char *data = malloc(len);
	char *back = NULL;
	size_t got = 0;
	int fd;

	assert_non_null(data);
	for (size_t i = 0; i < len; i++)
		data[i] = (char)(i * 31 + 7);
	snprintf(path, sizeof(path), "%s/out", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fs_write_all(fd, data, len), 0);
	assert_int_equal(fs_write_all(fd, data, 0), 0);
	close(fd);
	assert_int_equal(fs_read_all(path, len, &back, &got), 0);
	assert_int_equal(got, len);
	assert_memory_equal(back, data, len);
	free(back);

	/* A descriptor not open for writing. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fs_write_all(fd, "x", 1), -EBADF);
	close(fd);
	free(data);
}

static void test_write_atomic(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX];
	char *back = NULL;
	size_t len = 0;
	mode_t old;

	snprintf(path, sizeof(path), "%s/f", dir);
	old = umask(0);
	assert_int_equal(fs_write_atomic(path, "first version\n", 14, 0600), 0);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(fs_write_atomic(path, "two\n", 4, 0640), 0);
	umask(old);
	assert_int_equal(mode_of(path), 0640);
	assert_int_equal(fs_read_all(path, 100, &back, &len), 0);
	assert_int_equal(len, 4);
	assert_string_equal(back, "two\n");
	free(back);
	/* Only the file itself: no "f.tmp-PID" left over. */
	assert_int_equal(count_entries(dir), 1);

	/* A missing directory is an error, and leaves nothing behind. */
	snprintf(path, sizeof(path), "%s/no/such/f", dir);
	assert_int_equal(fs_write_atomic(path, "x", 1, 0600), -ENOENT);
	assert_int_equal(count_entries(dir), 1);

	assert_int_equal(fs_fsync_dir(dir), 0);
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(fs_fsync_dir(path), -ENOTDIR);
}

static void test_read_all(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX];
	char *back = NULL;
	size_t len = 99;

	snprintf(path, sizeof(path), "%s/ten", dir);
	assert_int_equal(fs_write_atomic(path, "0123456789", 10, 0600), 0);
	/* Exactly MAX is fine; one byte less is too big. */
	assert_int_equal(fs_read_all(path, 10, &back, &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(back, "0123456789");
	free(back);
	back = (char *)1;
	assert_int_equal(fs_read_all(path, 9, &back, &len), -EFBIG);
	assert_null(back);
	/* LEN is optional. */
	assert_int_equal(fs_read_all(path, 1000, &back, NULL), 0);
	assert_string_equal(back, "0123456789");
	free(back);

	snprintf(path, sizeof(path), "%s/empty", dir);
	assert_int_equal(fs_write_atomic(path, "", 0, 0600), 0);
	assert_int_equal(fs_read_all(path, 0, &back, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(back, "");
	free(back);

	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(fs_read_all(path, 10, &back, &len), -ENOENT);
	assert_null(back);

	/* A file whose size stat() cannot tell still respects MAX. */
	assert_int_equal(fs_read_all("/proc/self/status", 8, &back, &len), -EFBIG);
	assert_null(back);
	assert_int_equal(fs_read_all("/proc/self/status", 1 << 20, &back, &len), 0);
	assert_true(len > 8);
	assert_non_null(strstr(back, "Name:"));
	free(back);
}

static void check_dirname(const char *path, const char *want)
{
	char buf[64];

	assert_int_equal(fs_dirname(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

static void test_dirname(void **state)
{
	char small[4];

	(void)state;
	check_dirname("/var/backups/x.json", "/var/backups");
	check_dirname("a/b", "a");
	check_dirname("a/b/", "a");
	check_dirname("a//b", "a");
	check_dirname("file", ".");
	check_dirname("", ".");
	check_dirname("/file", "/");
	check_dirname("/", "/");
	check_dirname("//", "/");
	check_dirname("./x", ".");
	assert_int_equal(fs_dirname("/long/x", small, sizeof(small)), -ENAMETOOLONG);
	assert_int_equal(fs_dirname("abc/x", small, sizeof(small)), 0);
	assert_string_equal(small, "abc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mkdirs_modes, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_write_all, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_read_all, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test(test_dirname),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

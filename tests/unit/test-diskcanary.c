/*
 * test-diskcanary — lib/throttle/diskcanary on real files in a temp dir.
 *
 * Checked: the files it reads from are regular files of 4 KiB or more (not
 * a smaller one, a symlink to a big file outside the tree, a FIFO, nor a
 * sparse file that reads its holes from nowhere), at most DISKCANARY_FILES
 * of them, found below subdirectories too; a path that is one file is that
 * file; a job path that is a symlink to the tree is followed (nothing
 * below it is); a tree with nothing to read, or a path that is not there, gives a
 * canary whose samples say there is nothing to measure; a sample is a real
 * read with a latency; a second read right after the first is refused for
 * the canary's own duty limit.  Where the temp dir's filesystem refuses
 * O_DIRECT (tmpfs before Linux 6.6), the canary has no file, which is
 * checked instead of the reads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diskcanary.h"

/* DIR/NAME with SIZE bytes of data (not a hole in it). */
static void write_bytes(const char *dir, const char *name, size_t size)
{
	char path[PATH_MAX], buf[4096];
	FILE *f;

	memset(buf, 'x', sizeof(buf));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	for (size_t done = 0; done < size; done += sizeof(buf))
		assert_int_equal(fwrite(buf, 1, size - done < sizeof(buf) ? size - done : sizeof(buf), f) > 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void make_dir(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(mkdir(path, 0700), 0);
}

/* Can DIR's filesystem do direct reads? */
static bool direct_ok(const char *dir)
{
	char path[PATH_MAX];
	int fd;

	write_bytes(dir, "probe-direct", 4096);
	snprintf(path, sizeof(path), "%s/probe-direct", dir);
	fd = open(path, O_RDONLY | O_DIRECT);
	unlink(path);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void test_chooses_files(void **state)
{
	const char *dir = *state;
	char outside[PATH_MAX], path[PATH_MAX];
	bool direct = direct_ok(dir);
	void *c = NULL;
	double s = 0;

	make_dir(dir, "tree");
	make_dir(dir, "tree/wp-content");
	make_dir(dir, "tree/wp-content/uploads");
	write_bytes(dir, "tree/index.php", 900);		/* too small */
	write_bytes(dir, "tree/wp-content/style.css", 4095);	/* too small */
	write_bytes(dir, "tree/wp-content/uploads/a.jpg", 8192);
	write_bytes(dir, "tree/wp-content/uploads/b.zip", 300000);
	write_bytes(dir, "tree/c.png", 65536);
	/* Hostile or useless: a symlink to a big file outside, a FIFO, a
	 * sparse file of 100 MB. */
	write_bytes(dir, "big-outside", 1 << 20);
	snprintf(outside, sizeof(outside), "%s/big-outside", dir);
	snprintf(path, sizeof(path), "%s/tree/link.bin", dir);
	assert_int_equal(symlink(outside, path), 0);
	snprintf(path, sizeof(path), "%s/tree/fifo.bin", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/tree/sparse.bin", dir);
	{
		int fd = open(path, O_WRONLY | O_CREAT, 0600);

		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, 100 << 20), 0);
		close(fd);
	}

	snprintf(path, sizeof(path), "%s/tree", dir);
	assert_int_equal(diskcanary_open("t", path, &c), 0);
	assert_non_null(c);
	if (direct) {
		/* The job's path may itself be a symlink (a `current` release):
		 * followed, the same files. */
		char link[PATH_MAX];
		void *c2 = NULL;

		snprintf(link, sizeof(link), "%s/current", dir);
		assert_int_equal(symlink(path, link), 0);
		assert_int_equal(diskcanary_open("t", link, &c2), 0);
		assert_int_equal(diskcanary_files(c2), 3);
		diskcanary_close(c2);
	}
	if (!direct) {
		assert_int_equal(diskcanary_files(c), 0);
		assert_int_equal(diskcanary_sample(c, &s), 1);
		diskcanary_close(c);
		skip();
	}
	assert_int_equal(diskcanary_files(c), 3);
	/* A real read, then one refused: too soon for the canary's duty. */
	assert_int_equal(diskcanary_sample(c, &s), 0);
	assert_true(s > 0 && s < 10);
	assert_int_equal(diskcanary_sample(c, &s), 1);
	diskcanary_close(c);
}

static void test_at_most_files(void **state)
{
	const char *dir = *state;
	void *c = NULL;
	char name[32];

	if (!direct_ok(dir))
		skip();
	make_dir(dir, "d");
	for (int i = 0; i < DISKCANARY_FILES + 4; i++) {
		snprintf(name, sizeof(name), "d/f%02d", i);
		write_bytes(dir, name, 4096 * (size_t)(i + 1));
	}
	assert_int_equal(diskcanary_open("t", dir, &c), 0);
	assert_int_equal(diskcanary_files(c), DISKCANARY_FILES);
	diskcanary_close(c);
}

static void test_one_file(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX];
	void *c = NULL;
	double s = 0;

	if (!direct_ok(dir))
		skip();
	write_bytes(dir, "access.log", 50000);
	snprintf(path, sizeof(path), "%s/access.log", dir);
	assert_int_equal(diskcanary_open("t", path, &c), 0);
	assert_int_equal(diskcanary_files(c), 1);
	assert_int_equal(diskcanary_sample(c, &s), 0);
	diskcanary_close(c);
}

static void test_nothing_to_read(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX];
	void *c = NULL;
	double s = -1;

	write_bytes(dir, "small.php", 100);
	assert_int_equal(diskcanary_open("t", dir, &c), 0);
	assert_int_equal(diskcanary_files(c), 0);
	assert_int_equal(diskcanary_sample(c, &s), 1);
	assert_true(s == -1);
	diskcanary_close(c);

	snprintf(path, sizeof(path), "%s/not-there", dir);
	assert_int_equal(diskcanary_open("t", path, &c), 0);
	assert_int_equal(diskcanary_files(c), 0);
	assert_int_equal(diskcanary_sample(c, &s), 1);
	diskcanary_close(c);
	assert_int_equal(diskcanary_open("t", "", &c), 0);
	assert_int_equal(diskcanary_files(c), 0);
	diskcanary_close(c);
	diskcanary_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chooses_files, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_at_most_files, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_one_file, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_nothing_to_read, test_tmpdir_setup, test_tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

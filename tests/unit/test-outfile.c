/*
 * test-outfile — the backup writer's path to the disk: every byte given
 * arrives, in order, whatever the sizes of the writes (less than a block, a
 * block, the buffer, across buffers); direct I/O is used where the
 * filesystem allows it and left before the tail; a filesystem without direct
 * I/O still gets every byte; a write error is returned, never swallowed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

/* Deterministic bytes that differ at every offset a misplaced block would show. */
static unsigned char *pattern(size_t len, unsigned seed)
{
	unsigned char *p = malloc(len ? len : 1);
	uint32_t x = seed * 2654435761u + 1;

	assert_non_null(p);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
	return p;
}

static unsigned char *read_all(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* Does DIR's filesystem take O_DIRECT?  Asked the same way the writer asks. */
static bool fs_takes_direct(const char *dir)
{
	char path[512];
	int fd, fl;
	bool ok;

	snprintf(path, sizeof(path), "%s/probe", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	fl = fcntl(fd, F_GETFL);
	ok = fl >= 0 && fcntl(fd, F_SETFL, fl | O_DIRECT) == 0;
	close(fd);
	unlink(path);
	return ok;
}

/* Writes LEN pattern bytes in pieces of STEP through an outfile in DIR and
 * checks the file is exactly those bytes. */
static void round_trip(const char *dir, size_t len, size_t step, unsigned seed)
{
	char path[512];
	struct outfile w;
	unsigned char *want = pattern(len, seed), *got;
	size_t got_len, off;
	int fd;

	snprintf(path, sizeof(path), "%s/out-%zu-%zu", dir, len, step);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(outfile_init(&w, fd), 0);
	assert_int_equal(outfile_is_direct(&w), fs_takes_direct(dir));
	for (off = 0; off < len; off += step) {
		size_t n = len - off < step ? len - off : step;

		assert_int_equal(outfile_write(&w, want + off, n), 0);
	}
	assert_int_equal(outfile_flush(&w), 0);
	/* The tail went through the page cache: the fd is no longer direct,
	 * so the caller's fsync and fadvise see an ordinary file. */
	assert_false(outfile_is_direct(&w));
	assert_int_equal(fcntl(fd, F_GETFL) & O_DIRECT, 0);
	assert_int_equal(fsync(fd), 0);
	outfile_free(&w);
	close(fd);

	got = read_all(path, &got_len);
	assert_int_equal(got_len, len);
	if (len)
		assert_memory_equal(got, want, len);
	free(got);
	free(want);
	unlink(path);
}

static void test_sizes_and_steps(void **state)
{
	const char *dir = *state;
	const size_t sizes[] = {
		0, 1, OUTFILE_ALIGN - 1, OUTFILE_ALIGN, OUTFILE_ALIGN + 1,
		OUTFILE_BUF - 1, OUTFILE_BUF, OUTFILE_BUF + 1,
		3 * OUTFILE_BUF + OUTFILE_BUF / 2 + 7,
	};
	const size_t steps[] = { 1, 4093, OUTFILE_ALIGN, 65536, OUTFILE_BUF + 3 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (size_t j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
			if (steps[j] == 1 && sizes[i] > OUTFILE_BUF + 1)
				continue;	/* a byte at a time proves nothing more there */
			round_trip(dir, sizes[i], steps[j], (unsigned)(i * 31 + j));
		}
}

/* /dev/shm is tmpfs: older kernels refuse it direct I/O, newer ones take it;
 * either way every byte must arrive. */
static void test_tmpfs(void **state)
{
	char dir[] = "/dev/shm/test-outfile-XXXXXX";

	(void)state;
	if (!mkdtemp(dir))
		skip();
	round_trip(dir, 2 * OUTFILE_BUF + 12345, 70000, 7);
	round_trip(dir, 100, 3, 8);
	test_rm_rf(dir);
}

/* A descriptor that cannot be written: the error comes back from the write
 * that reaches it (or from the flush, for bytes held back), never lost. */
static void test_write_error(void **state)
{
	const char *dir = *state;
	char path[512];
	struct outfile w;
	unsigned char *big = pattern(OUTFILE_BUF + 1, 3);
	int fd;

	snprintf(path, sizeof(path), "%s/ro", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(outfile_init(&w, fd), 0);
	assert_int_equal(outfile_write(&w, big, OUTFILE_BUF + 1), -EBADF);
	outfile_free(&w);

	assert_int_equal(outfile_init(&w, fd), 0);
	assert_int_equal(outfile_write(&w, "abc", 3), 0);
	assert_int_equal(outfile_flush(&w), -EBADF);
	outfile_free(&w);
	outfile_free(&w);	/* twice: safe */
	close(fd);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sizes_and_steps, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test(test_tmpfs),
		cmocka_unit_test_setup_teardown(test_write_error, test_tmpdir_setup, test_tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

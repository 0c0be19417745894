/* Unit tests of lib/log: a message leaves errno as it was (callers log and
 * then return -errno), whether it is printed, filtered out, or the write to
 * stderr fails; and what is printed and kept as the last error. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Runs FN with stderr going to a temporary file; returns what it printed. */
static char *capture(void (*fn)(void), int *errno_after)
{
	static char buf[4096];
	char path[] = "/tmp/lifeboat-test-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0);
	unlink(path);
	fflush(stderr);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	fn();
	*errno_after = errno;
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static void log_one_error(void)
{
	errno = EACCES;
	log_error("job %s: %s: cannot open", "shop", "/var/www");
}

static void log_one_err(void)
{
	errno = ENOSPC;
	log_err(LOG_LVL_ERROR, EIO, "job %s: write", "shop");
}

static void log_filtered(void)
{
	errno = EPERM;
	log_debug("not shown at level info");
}

static void test_errno_kept(void **state)
{
	int after;
	char *out;

	(void)state;
	log_init("lifeboat", LOG_LVL_INFO);
	out = capture(log_one_error, &after);
	assert_int_equal(after, EACCES);
	assert_string_equal(out, "lifeboat: error: job shop: /var/www: cannot open\n");
	assert_string_equal(log_last_error(), "job shop: /var/www: cannot open");

	out = capture(log_one_err, &after);
	assert_int_equal(after, ENOSPC);
	assert_string_equal(out, "lifeboat: error: job shop: write: Input/output error\n");

	out = capture(log_filtered, &after);
	assert_int_equal(after, EPERM);
	assert_string_equal(out, "");
}

/* stderr closed: the write fails (EBADF), and errno is still the caller's. */
static void test_errno_kept_when_stderr_fails(void **state)
{
	int saved = dup(STDERR_FILENO);

	(void)state;
	assert_true(saved >= 0);
	fflush(stderr);
	close(STDERR_FILENO);
	errno = ENOENT;
	log_error("job %s: gone", "shop");
	log_err(LOG_LVL_WARN, EIO, "job %s: gone", "shop");
	assert_int_equal(errno, ENOENT);
	clearerr(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno_kept),
		cmocka_unit_test(test_errno_kept_when_stderr_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

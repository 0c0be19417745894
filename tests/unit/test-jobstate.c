/*
 * test-jobstate — the run lock that keeps a job from overlapping itself
 * (checked from a real second process, as `lifeboat run --here` next to the
 * daemon would be), and the per-job state file: last run, last good run,
 * consecutive failures, its mode, and recovery from a corrupt file.
 *
 * Every test runs in a fresh mkdtemp state dir, removed afterwards.
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
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "jobstate.h"
#include "log.h"

static char dir[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test-jobstate-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	log_clear_last_error();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_rm_rf(dir);
	return 0;
}

/* DIR/NAME */
static void path_of(char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < len);
}

static char *read_file(const char *path)
{
	static char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

/* Runs FN in a child process; returns its exit status (FN's return value). */
static int in_child(int (*fn)(const char *job), const char *job)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(job));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Child: the lock is busy, and the message names the holder's (our parent's) pid. */
static int child_expect_busy(const char *job)
{
	char want[64];
	int fd = 12345, r;

	r = jobstate_lock(dir, job, &fd);
	if (r != -EBUSY)
		return 10;
	if (fd != -1)
		return 11;
	snprintf(want, sizeof(want), "(pid %ld)", (long)getppid());
	if (!strstr(log_last_error(), want) || !strstr(log_last_error(), job))
		return 12;
	return 0;
}

/* Child: the lock is free; the lock file now holds the child's pid. */
static int child_expect_free(const char *job)
{
	char path[PATH_MAX + 64], want[32], buf[64];
	ssize_t n;
	int fd = -1, pfd, r;

	r = jobstate_lock(dir, job, &fd);
	if (r != 0)
		return 20;
	if (fd < 0)
		return 21;
	snprintf(path, sizeof(path), "%s/locks/%s.lock", dir, job);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	pfd = open(path, O_RDONLY);
	if (pfd < 0)
		return 22;
	n = read(pfd, buf, sizeof(buf) - 1);
	close(pfd);
	if (n < 0)
		return 23;
	buf[n] = '\0';
	if (strcmp(buf, want) != 0)
		return 24;
	jobstate_unlock(fd);
	return 0;
}

static void test_lock_file(void **state)
{
	char path[PATH_MAX + 64], want[32];
	struct stat sb;
	mode_t old = umask(0);		/* the modes must not depend on the umask */
	int fd = -1;

	(void)state;
	assert_int_equal(jobstate_lock(dir, "shop", &fd), 0);
	umask(old);
	assert_true(fd >= 0);
	path_of(path, sizeof(path), "locks");
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 077, 0);
	path_of(path, sizeof(path), "locks/shop.lock");
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(read_file(path), want);
	jobstate_unlock(fd);
	jobstate_unlock(-1);		/* harmless */
}

/* A stale pid (from a crashed run) is replaced by ours. */
static void test_lock_stale_pid_replaced(void **state)
{
	char path[PATH_MAX + 64], want[32];
	int fd = -1;

	(void)state;
	path_of(path, sizeof(path), "locks");
	assert_int_equal(mkdir(path, 0700), 0);
	path_of(path, sizeof(path), "locks/shop.lock");
	write_file(path, "999999999999\nmore junk after it\n");
	assert_int_equal(jobstate_lock(dir, "shop", &fd), 0);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(read_file(path), want);
	jobstate_unlock(fd);
}

static void test_lock_excludes_other_process(void **state)
{
	int fd = -1, fd2 = -1;

	(void)state;
	assert_int_equal(jobstate_lock(dir, "shop", &fd), 0);
	assert_int_equal(in_child(child_expect_busy, "shop"), 0);
	/* Still busy for a second attempt in our own process, too. */
	assert_int_equal(jobstate_lock(dir, "shop", &fd2), -EBUSY);
	assert_int_equal(fd2, -1);
	assert_non_null(strstr(log_last_error(), "already running"));

	jobstate_unlock(fd);
	assert_int_equal(in_child(child_expect_free, "shop"), 0);
	/* The child's exit left it free again. */
	assert_int_equal(jobstate_lock(dir, "shop", &fd), 0);
	jobstate_unlock(fd);
}

/* A crashed holder (killed without unlocking) does not block the job. */
static int child_lock_and_die(const char *job)
{
	int fd;

	if (jobstate_lock(dir, job, &fd) != 0)
		return 30;
	_exit(0);			/* no unlock: the kernel drops the lock */
}

static void test_lock_released_by_exit(void **state)
{
	int fd = -1;

	(void)state;
	assert_int_equal(in_child(child_lock_and_die, "shop"), 0);
	assert_int_equal(jobstate_lock(dir, "shop", &fd), 0);
	jobstate_unlock(fd);
}

static void test_lock_jobs_independent(void **state)
{
	char path[PATH_MAX + 64];
	int fa = -1, fb = -1;

	(void)state;
	assert_int_equal(jobstate_lock(dir, "a", &fa), 0);
	assert_int_equal(in_child(child_expect_free, "b"), 0);
	assert_int_equal(in_child(child_expect_busy, "a"), 0);
	assert_int_equal(jobstate_lock(dir, "b", &fb), 0);
	assert_int_not_equal(fa, fb);
	assert_int_equal(in_child(child_expect_busy, "b"), 0);
	path_of(path, sizeof(path), "locks/a.lock");
	assert_int_equal(access(path, F_OK), 0);
	path_of(path, sizeof(path), "locks/b.lock");
	assert_int_equal(access(path, F_OK), 0);
	jobstate_unlock(fa);
	assert_int_equal(in_child(child_expect_free, "a"), 0);
	assert_int_equal(in_child(child_expect_busy, "b"), 0);
	jobstate_unlock(fb);
}

/* A state dir that cannot be created is an error, not a crash. */
static void test_lock_bad_state_dir(void **state)
{
	char path[PATH_MAX + 64];
	int fd = 7;

	(void)state;
	path_of(path, sizeof(path), "file");
	write_file(path, "x");
	assert_true(jobstate_lock(path, "shop", &fd) < 0);
	assert_int_equal(fd, -1);
	assert_true(log_last_error()[0] != '\0');
}

static json_t *make_run(const char *result, const char *started, const char *finished,
			const char *id, const char *error)
{
	json_t *run = json_pack("{s:s, s:s, s:s, s:s*, s:s*}", "result", result, "started", started,
				"finished", finished, "id", id, "error", error);

	assert_non_null(run);
	return run;
}

/* Loads the state and checks it against the expectations. */
static void assert_state(const char *job, json_t *last_run, json_t *last_good, json_int_t failures)
{
	json_t *st = NULL;

	assert_int_equal(jobstate_load(dir, job, &st), 0);
	assert_non_null(st);
	assert_true(json_is_object(st));
	assert_true(json_equal(json_object_get(st, "last_run"), last_run));
	if (last_good)
		assert_true(json_equal(json_object_get(st, "last_good"), last_good));
	else
		assert_null(json_object_get(st, "last_good"));
	assert_true(json_is_integer(json_object_get(st, "failures")));
	assert_int_equal(json_integer_value(json_object_get(st, "failures")), failures);
	json_decref(st);
}

/* The state file is mode 0600 and a JSON object. */
static void assert_state_file(const char *job)
{
	char path[PATH_MAX + 64], name[128];
	json_error_t jerr;
	struct stat sb;
	json_t *j;

	snprintf(name, sizeof(name), "jobs/%s.json", job);
	path_of(path, sizeof(path), name);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		fail_msg("%s: not JSON: %s", path, jerr.text);
	assert_true(json_is_object(j));
	json_decref(j);
}

static void test_record_runs(void **state)
{
	json_t *ok1 = make_run("ok", "2024-05-01T02:00:00Z", "2024-05-01T02:03:10Z", "2024-05-01-001", NULL);
	json_t *bad1 = make_run("failed", "2024-05-02T02:00:00Z", "2024-05-02T02:00:05Z", NULL,
				"job shop: cannot connect");
	json_t *bad2 = make_run("failed", "2024-05-03T02:00:00Z", "2024-05-03T02:00:07Z", NULL,
				"job shop: disk full");
	json_t *ok2 = make_run("ok", "2024-05-04T02:00:00Z", "2024-05-04T02:02:00Z", "2024-05-04-001", NULL);
	mode_t old = umask(0);

	(void)state;
	assert_int_equal(jobstate_record_run(dir, "shop", ok1), 0);
	umask(old);
	assert_state("shop", ok1, ok1, 0);
	assert_state_file("shop");

	assert_int_equal(jobstate_record_run(dir, "shop", bad1), 0);
	assert_state("shop", bad1, ok1, 1);
	assert_state_file("shop");

	assert_int_equal(jobstate_record_run(dir, "shop", bad2), 0);
	assert_state("shop", bad2, ok1, 2);
	assert_state_file("shop");

	/* A good run resets the count. */
	assert_int_equal(jobstate_record_run(dir, "shop", ok2), 0);
	assert_state("shop", ok2, ok2, 0);
	assert_state_file("shop");

	/* The caller's run objects are untouched and still only the caller's. */
	assert_int_equal(ok1->refcount, 1);
	assert_int_equal(bad1->refcount, 1);
	assert_string_equal(json_string_value(json_object_get(bad1, "result")), "failed");
	json_decref(ok1);
	json_decref(bad1);
	json_decref(bad2);
	json_decref(ok2);
}

/* Failures before any good run: no last_good at all. */
static void test_record_failures_first(void **state)
{
	json_t *bad = make_run("failed", "2024-05-02T02:00:00Z", "2024-05-02T02:00:05Z", NULL, "boom");

	(void)state;
	assert_int_equal(jobstate_record_run(dir, "new", bad), 0);
	assert_state("new", bad, NULL, 1);
	assert_int_equal(jobstate_record_run(dir, "new", bad), 0);
	assert_state("new", bad, NULL, 2);
	json_decref(bad);
}

/* Each job has its own state. */
static void test_record_jobs_independent(void **state)
{
	json_t *ok = make_run("ok", "2024-05-01T02:00:00Z", "2024-05-01T02:03:10Z", "2024-05-01-001", NULL);
	json_t *bad = make_run("failed", "2024-05-02T02:00:00Z", "2024-05-02T02:00:05Z", NULL, "boom");

	(void)state;
	assert_int_equal(jobstate_record_run(dir, "a", ok), 0);
	assert_int_equal(jobstate_record_run(dir, "b", bad), 0);
	assert_int_equal(jobstate_record_run(dir, "b", bad), 0);
	assert_state("a", ok, ok, 0);
	assert_state("b", bad, NULL, 2);
	assert_state_file("a");
	assert_state_file("b");
	json_decref(ok);
	json_decref(bad);
}

static void test_load_never_run(void **state)
{
	char path[PATH_MAX + 64];
	json_t *st = NULL;

	(void)state;
	assert_int_equal(jobstate_load(dir, "never", &st), 0);
	assert_non_null(st);
	assert_true(json_is_object(st));
	assert_int_equal(json_object_size(st), 0);
	json_decref(st);
	/* Loading creates no state file. */
	path_of(path, sizeof(path), "jobs/never.json");
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_corrupt_state(void **state)
{
	static const char *const corrupt[] = { "{\"last_run\": {\"result\": \"ok\"", "", "[1, 2, 3]",
					       "\"a string\"", "garbage\n" };
	char path[PATH_MAX + 64];
	json_t *st, *bad = make_run("failed", "2024-05-02T02:00:00Z", "2024-05-02T02:00:05Z", NULL, "boom");

	(void)state;
	path_of(path, sizeof(path), "jobs");
	assert_int_equal(mkdir(path, 0700), 0);
	path_of(path, sizeof(path), "jobs/shop.json");
	for (size_t i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
		write_file(path, corrupt[i]);
		log_clear_last_error();
		st = json_true();	/* anything but NULL */
		assert_int_equal(jobstate_load(dir, "shop", &st), -EBADMSG);
		assert_null(st);
		assert_non_null(strstr(log_last_error(), path));

		/* A corrupt state file does not stop the recording: it starts afresh. */
		assert_int_equal(jobstate_record_run(dir, "shop", bad), 0);
		assert_state("shop", bad, NULL, 1);
		assert_state_file("shop");
	}
	json_decref(bad);
}

/* db dumps share the host's dump lock; an exclusive files/logs job waits for
 * every dump, and dumps wait for it (a set cancel flag shows the wait). */
static void test_dbdump_lock_shared_and_exclusive(void **state)
{
	volatile sig_atomic_t cancel = 1;
	int d1, d2, ex, fd;
	double waited;

	(void)state;
	assert_int_equal(jobstate_lock_dbdump(dir, true, NULL, &d1, &waited), 0);
	assert_int_equal(jobstate_lock_dbdump(dir, true, NULL, &d2, &waited), 0);
	assert_int_equal(jobstate_lock_dbdump(dir, false, &cancel, &fd, &waited), -ECANCELED);
	assert_int_equal(fd, -1);
	jobstate_unlock(d1);
	assert_int_equal(jobstate_lock_dbdump(dir, false, &cancel, &fd, &waited), -ECANCELED);
	jobstate_unlock(d2);
	assert_int_equal(jobstate_lock_dbdump(dir, false, &cancel, &ex, &waited), 0);
	assert_int_equal(jobstate_lock_dbdump(dir, true, &cancel, &fd, &waited), -ECANCELED);
	assert_int_equal(jobstate_lock_dbdump(dir, false, &cancel, &fd, &waited), -ECANCELED);
	jobstate_unlock(ex);
	assert_int_equal(jobstate_lock_dbdump(dir, true, &cancel, &d1, &waited), 0);
	jobstate_unlock(d1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lock_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_stale_pid_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_excludes_other_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_released_by_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_jobs_independent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_bad_state_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_failures_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_jobs_independent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_never_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dbdump_lock_shared_and_exclusive, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

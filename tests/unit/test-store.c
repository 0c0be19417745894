/*
 * test-store — the store's guarantee that a listed backup is a whole backup:
 * ids, sequence allocation (also under a fork race), crash leftovers and the
 * cleaner, file modes, the .sha256 file, the record, listing and lookup.
 *
 * Every test runs in a fresh mkdtemp directory, removed afterwards.  Dates
 * come from the "now" handed to store_begin(), never from the real clock.
 * Crashes are real: a forked child _exit()s mid-transaction, so the kernel
 * drops its flock exactly as it would for a killed daemon.
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
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "outfile.h"
#include "sha256.h"
#include "store.h"

#define JOB "shop"
#ifndef RACERS
#define RACERS 8		/* concurrent allocators in the race test */
#endif
#define RACE_ROUNDS 3		/* races run back to back on one day */

struct fixture {
	char dir[PATH_MAX];	/* the mkdtemp directory, also the store root */
	struct store *st;	/* the store opened on DIR */
};

/* snprintf for paths and commands; a test must never run on a cut-off name. */
static void pathf(char *buf, size_t buflen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void pathf(char *buf, size_t buflen, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, buflen, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < buflen);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-store-XXXXXX");
	if (!mkdtemp(f->dir) || store_open(f->dir, &f->st) < 0) {
		test_rm_rf(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	test_rm_rf(f->dir);
	free(f);
	return 0;
}

/* Local time Y-M-D H:00, as the daemon's clock would give it. */
static time_t make_time(int y, int m, int d, int h)
{
	struct tm tm = {
		.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d,
		.tm_hour = h, .tm_isdst = -1,
	};

	return mktime(&tm);
}

static void month_dir(const struct fixture *f, const char *job, int y, int m,
		      char *buf, size_t buflen)
{
	pathf(buf, buflen, "%s/%s/%04d/%02d", f->dir, job, y, m);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in DIR, sorted and joined by spaces ("" when empty), so that a
 * test states the whole directory it expects in one assertion. */
static void listing(const char *dir, char *buf, size_t buflen)
{
	char *names[512];
	struct dirent *de;
	size_t n = 0;
	size_t i;
	DIR *d;

	buf[0] = '\0';
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		assert_true(n < 512);
		names[n] = strdup(de->d_name);
		assert_non_null(names[n]);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (i = 0; i < n; i++) {
		if (i)
			strncat(buf, " ", buflen - strlen(buf) - 1);
		strncat(buf, names[i], buflen - strlen(buf) - 1);
		free(names[i]);
	}
}

static void assert_listing(const char *dir, const char *want)
{
	char got[8192];

	listing(dir, got, sizeof(got));
	assert_string_equal(got, want);
}

static bool exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

static mode_t mode_of(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return sb.st_mode & 07777;
}

/* One small backup: a "sql.zst" artifact holding DATA, record {"result": RESULT}. */
static void commit_one(struct store *st, const char *job, time_t now, const char *result,
		       const char *data, char id[STORE_ID_MAX])
{
	struct store_artifact *a;
	struct store_txn *txn;
	json_t *rec;

	assert_int_equal(store_begin(st, job, "db", now, &txn), 0);
	if (id)
		snprintf(id, STORE_ID_MAX, "%s", store_txn_id(txn));
	assert_int_equal(store_artifact_open(txn, "sql.zst", &a), 0);
	assert_int_equal(store_artifact_write(a, data, strlen(data)), 0);
	assert_int_equal(store_artifact_finish(a), 0);
	rec = json_pack("{s:s}", "result", result);
	assert_non_null(rec);
	assert_int_equal(store_commit(txn, rec), 0);
	json_decref(rec);
}

/* --- ids ------------------------------------------------------------------------ */

static void check_round_trip(int y, int m, int d, int seq, const char *want)
{
	struct store_id id = { .year = y, .month = m, .day = d, .seq = seq };
	struct store_id back;
	char buf[STORE_ID_MAX];

	store_id_format(&id, buf);
	assert_string_equal(buf, want);
	assert_int_equal(store_id_parse(buf, &back), 0);
	assert_int_equal(store_id_compare(&id, &back), 0);
	assert_int_equal(back.year, y);
	assert_int_equal(back.month, m);
	assert_int_equal(back.day, d);
	assert_int_equal(back.seq, seq);
}

static void test_id_format_parse(void **state)
{
	static const char *const bad[] = {
		"", "latest", "2026/11/backup-25", "2026/11/backup-25-",
		"2026/11/backup-25-1", "2026/11/backup-25-001", "2026/11/backup-25-099",
		"2026/11/backup-25-00", "2026/11/backup-25-1000", "2026/11/backup-25-01x",
		"2026/11/backup-25-01.json", "2026/11/backup-25-01/", "/2026/11/backup-25-01",
		"2026/13/backup-25-01", "2026/00/backup-25-01", "2026/1/backup-25-01",
		"2026/11/backup-32-01", "2026/11/backup-00-01", "2026/11/backup-5-01",
		"226/11/backup-25-01", "20266/11/backup-25-01", "+026/11/backup-25-01",
		"2026-11/backup-25-01", "2026/11/Backup-25-01", "2026/11/backup_25_01",
		"2026/11/backup-25-+1", "2026/11/backup-25- 1", " 2026/11/backup-25-01",
	};
	struct store_id id = { 1, 2, 3, 4 };
	size_t i;

	(void)state;
	check_round_trip(2026, 11, 25, 1, "2026/11/backup-25-01");
	check_round_trip(2026, 1, 1, 9, "2026/01/backup-01-09");
	check_round_trip(2026, 12, 31, 10, "2026/12/backup-31-10");
	check_round_trip(2026, 11, 25, 99, "2026/11/backup-25-99");
	check_round_trip(2026, 11, 25, 100, "2026/11/backup-25-100");
	check_round_trip(2026, 11, 25, 999, "2026/11/backup-25-999");
	check_round_trip(999, 11, 25, 1, "0999/11/backup-25-01");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (store_id_parse(bad[i], &id) != -EINVAL)
			fail_msg("accepted bad id \"%s\"", bad[i]);
	}
	/* A rejected id leaves the output alone. */
	assert_int_equal(id.year, 1);
	assert_int_equal(id.seq, 4);
	assert_int_equal(store_id_parse(NULL, &id), -EINVAL);
}

static void test_id_compare(void **state)
{
	static const char *const ordered[] = {
		"2025/12/backup-31-999", "2026/01/backup-01-01", "2026/01/backup-01-02",
		"2026/01/backup-01-99", "2026/01/backup-01-100", "2026/01/backup-02-01",
		"2026/02/backup-01-01", "2027/01/backup-01-01",
	};
	const size_t n = sizeof(ordered) / sizeof(ordered[0]);
	struct store_id a, b;
	size_t i, j;

	(void)state;
	for (i = 0; i < n; i++) {
		assert_int_equal(store_id_parse(ordered[i], &a), 0);
		for (j = 0; j < n; j++) {
			assert_int_equal(store_id_parse(ordered[j], &b), 0);
			if (i < j)
				assert_true(store_id_compare(&a, &b) < 0);
			else if (i > j)
				assert_true(store_id_compare(&a, &b) > 0);
			else
				assert_int_equal(store_id_compare(&a, &b), 0);
		}
	}
}

/* --- allocation ------------------------------------------------------------------ */

static void test_sequence_by_day_and_month(void **state)
{
	struct fixture *f = *state;
	const struct store_id *parts;
	struct store_txn *txn;
	char id[STORE_ID_MAX];

	commit_one(f->st, JOB, make_time(2026, 11, 25, 10), "ok", "a", id);
	assert_string_equal(id, "2026/11/backup-25-01");
	commit_one(f->st, JOB, make_time(2026, 11, 25, 11), "ok", "b", id);
	assert_string_equal(id, "2026/11/backup-25-02");
	commit_one(f->st, JOB, make_time(2026, 11, 25, 23), "failed", "c", id);
	assert_string_equal(id, "2026/11/backup-25-03");
	/* Another job counts on its own. */
	commit_one(f->st, "web", make_time(2026, 11, 25, 12), "ok", "d", id);
	assert_string_equal(id, "2026/11/backup-25-01");
	/* A new day, a new month, a new year start again at 01. */
	commit_one(f->st, JOB, make_time(2026, 11, 26, 0), "ok", "e", id);
	assert_string_equal(id, "2026/11/backup-26-01");
	commit_one(f->st, JOB, make_time(2026, 12, 1, 10), "ok", "f", id);
	assert_string_equal(id, "2026/12/backup-01-01");
	commit_one(f->st, JOB, make_time(2027, 1, 1, 10), "ok", "g", id);
	assert_string_equal(id, "2027/01/backup-01-01");
	/* Back on a day that already has backups: after the highest. */
	commit_one(f->st, JOB, make_time(2026, 11, 25, 12), "ok", "h", id);
	assert_string_equal(id, "2026/11/backup-25-04");

	/* An aborted run's number is free again (nothing of it remains). */
	assert_int_equal(store_begin(f->st, JOB, "db", make_time(2026, 11, 25, 13), &txn), 0);
	parts = store_txn_id_parts(txn);
	assert_int_equal(parts->year, 2026);
	assert_int_equal(parts->month, 11);
	assert_int_equal(parts->day, 25);
	assert_int_equal(parts->seq, 5);
	store_abort(txn);
	commit_one(f->st, JOB, make_time(2026, 11, 25, 14), "ok", "i", id);
	assert_string_equal(id, "2026/11/backup-25-05");
}

static void test_hundred_runs_in_a_day(void **state)
{
	struct fixture *f = *state;
	time_t now = make_time(2026, 11, 25, 10);
	char id[STORE_ID_MAX];
	char want[STORE_ID_MAX];
	struct store_list l;
	int i;

	for (i = 1; i <= 100; i++) {
		commit_one(f->st, JOB, now + i, "ok", "x", id);
		pathf(want, sizeof(want), "2026/11/backup-25-%02d", i);
		assert_string_equal(id, want);
	}
	assert_string_equal(id, "2026/11/backup-25-100");

	/* Chronological, not alphabetical: 100 comes after 99. */
	assert_int_equal(store_list(f->st, JOB, &l), 0);
	assert_int_equal(l.n, 100);
	assert_string_equal(l.v[98].id, "2026/11/backup-25-99");
	assert_string_equal(l.v[99].id, "2026/11/backup-25-100");
	for (i = 1; i < 100; i++)
		assert_true(store_id_compare(&l.v[i - 1].parts, &l.v[i].parts) < 0);
	store_list_free(&l);
}

/* A racer: waits at the barrier, then runs a whole backup.  Reports its id
 * through RES; the exit code says which step failed. */
static void racer(struct store *st, int start_fd, int res_fd, time_t now, int n)
{
	char id[STORE_ID_MAX] = { 0 };
	struct store_artifact *a;
	struct store_txn *txn;
	char data[64];
	json_t *rec;
	char c;

	/* EOF when the parent closes its end: every racer wakes at once. */
	if (read(start_fd, &c, 1) != 0)
		_exit(2);
	if (store_begin(st, JOB, "db", now, &txn) < 0)
		_exit(3);
	snprintf(id, sizeof(id), "%s", store_txn_id(txn));
	snprintf(data, sizeof(data), "racer %d\n", n);
	if (store_artifact_open(txn, "sql.zst", &a) < 0)
		_exit(4);
	if (store_artifact_write(a, data, strlen(data)) < 0 || store_artifact_finish(a) < 0)
		_exit(5);
	rec = json_pack("{s:s, s:i}", "result", "ok", "racer", n);
	if (!rec || store_commit(txn, rec) < 0)
		_exit(6);
	if (write(res_fd, id, sizeof(id)) != (ssize_t)sizeof(id))
		_exit(7);
	_exit(0);
}

static void test_racing_allocators(void **state)
{
	struct fixture *f = *state;
	time_t now = make_time(2026, 11, 25, 10);
	char ids[RACERS * RACE_ROUNDS][STORE_ID_MAX];
	struct store_list l;
	size_t nids = 0;
	int round, i, j;

	for (round = 0; round < RACE_ROUNDS; round++) {
		pid_t pids[RACERS];
		int start[2], res[2];
		ssize_t n;

		assert_int_equal(pipe(start), 0);
		assert_int_equal(pipe(res), 0);
		for (i = 0; i < RACERS; i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0) {
				close(start[1]);
				close(res[0]);
				racer(f->st, start[0], res[1], now, i);
			}
		}
		close(start[0]);
		close(res[1]);
		close(start[1]);	/* go */
		while ((n = read(res[0], ids[nids], STORE_ID_MAX)) > 0) {
			assert_int_equal(n, STORE_ID_MAX);
			assert_true(nids < RACERS * RACE_ROUNDS);
			nids++;
		}
		close(res[0]);
		for (i = 0; i < RACERS; i++) {
			int status;

			assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		}
	}

	assert_int_equal(nids, RACERS * RACE_ROUNDS);
	for (i = 0; i < (int)nids; i++) {
		assert_int_equal(strncmp(ids[i], "2026/11/backup-25-", 18), 0);
		for (j = i + 1; j < (int)nids; j++)
			if (!strcmp(ids[i], ids[j]))
				fail_msg("two racers got %s", ids[i]);
	}
	assert_int_equal(store_list(f->st, JOB, &l), 0);
	assert_int_equal(l.n, RACERS * RACE_ROUNDS);
	for (i = 0; i < (int)l.n; i++)
		assert_true(store_record_is_good(l.v[i].record));
	store_list_free(&l);
	/* Nothing half-done is left behind by the losers of each race. */
	assert_int_equal(store_clean(f->st, JOB), 0);
}

/* --- crashes and the cleaner ------------------------------------------------------ */

/* Runs a child that begins a backup and dies (as a killed daemon would) after
 * STEPS: 1 = artifact written but not finished, 2 = artifact finished. */
static void crash_child(struct store *st, time_t now, int steps)
{
	struct store_artifact *a;
	struct store_txn *txn;
	int status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (store_begin(st, JOB, "db", now, &txn) < 0 ||
		    store_artifact_open(txn, "sql.zst", &a) < 0 ||
		    store_artifact_write(a, "half a dump", 11) < 0)
			_exit(2);
		if (steps >= 2 && store_artifact_finish(a) < 0)
			_exit(3);
		_exit(1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
}

static void test_crash_between_artifact_and_record(void **state)
{
	struct fixture *f = *state;
	time_t now = make_time(2026, 11, 25, 10);
	char id[STORE_ID_MAX];
	char dir[PATH_MAX];
	struct store_list l;
	struct store_entry e;

	crash_child(f->st, now, 2);
	month_dir(f, JOB, 2026, 11, dir, sizeof(dir));
	assert_listing(dir, ".backup-25-01.reserve backup-25-01.sql.zst");

	assert_int_equal(store_list(f->st, JOB, &l), 0);
	assert_int_equal(l.n, 0);
	store_list_free(&l);
	assert_int_equal(store_list(f->st, NULL, &l), 0);
	assert_int_equal(l.n, 0);
	store_list_free(&l);
	assert_int_equal(store_get(f->st, JOB, "latest", &e), -ENOENT);
	assert_int_equal(store_get(f->st, JOB, "2026/11/backup-25-01", &e), -ENOENT);

	assert_int_equal(store_clean(f->st, JOB), 2);
	assert_listing(dir, "");
	assert_int_equal(store_clean(f->st, JOB), 0);

	/* The number is free again. */
	commit_one(f->st, JOB, now, "ok", "whole", id);
	assert_string_equal(id, "2026/11/backup-25-01");
}

static void test_crash_mid_artifact(void **state)
{
	struct fixture *f = *state;
	time_t now = make_time(2026, 11, 25, 10);
	char dir[PATH_MAX];
	struct store_list l;

	crash_child(f->st, now, 1);
	month_dir(f, JOB, 2026, 11, dir, sizeof(dir));
	assert_listing(dir, ".backup-25-01.reserve .backup-25-01.sql.zst.tmp");
	assert_int_equal(store_list(f->st, NULL, &l), 0);
	assert_int_equal(l.n, 0);
	store_list_free(&l);

	/* Cleaning every job finds it too. */
	assert_int_equal(store_clean(f->st, NULL), 2);
	assert_listing(dir, "");
}

static void test_begin_cleans_crashed_run(void **state)
{
	struct fixture *f = *state;
	time_t now = make_time(2026, 11, 25, 10);
	char dir[PATH_MAX];
	char id[STORE_ID_MAX];

	crash_child(f->st, now, 2);
	commit_one(f->st, JOB, now, "ok", "whole", id);
	assert_string_equal(id, "2026/11/backup-25-01");
	month_dir(f, JOB, 2026, 11, dir, sizeof(dir));
	assert_listing(dir, "backup-25-01.json backup-25-01.sha256 backup-25-01.sql.zst");
}

static void test_clean_spares_live_transaction(void **state)
{
	struct fixture *f = *state;
	time_t now = make_time(2026, 11, 25, 10);
	char dir[PATH_MAX];
	char path[PATH_MAX];
	struct store_artifact *a;
	struct store_txn *txn, *txn2;
	struct store_list l;
	json_t *rec;

	month_dir(f, JOB, 2026, 11, dir, sizeof(dir));
	assert_int_equal(store_begin(f->st, JOB, "db", now, &txn), 0);
	assert_int_equal(store_artifact_open(txn, "sql.zst", &a), 0);
	assert_int_equal(store_artifact_write(a, "live", 4), 0);

	pathf(path, sizeof(path), "%s/.backup-25-01.sql.zst.tmp", dir);
	assert_int_equal(store_clean(f->st, JOB), 0);
	assert_int_equal(store_clean(f->st, NULL), 0);
	assert_true(exists(path));

	/* A second run meanwhile (its begin cleans too) takes the next number
	 * and leaves the first alone. */
	assert_int_equal(store_begin(f->st, JOB, "db", now, &txn2), 0);
	assert_string_equal(store_txn_id(txn2), "2026/11/backup-25-02");
	assert_true(exists(path));
	store_abort(txn2);

	assert_int_equal(store_artifact_finish(a), 0);
	/* A finished artifact without a record, but its run is alive. */
	assert_int_equal(store_clean(f->st, JOB), 0);
	assert_listing(dir, ".backup-25-01.reserve backup-25-01.sql.zst");

	rec = json_pack("{s:s}", "result", "ok");
	assert_int_equal(store_commit(txn, rec), 0);
	json_decref(rec);
	assert_listing(dir, "backup-25-01.json backup-25-01.sha256 backup-25-01.sql.zst");
	assert_int_equal(store_list(f->st, JOB, &l), 0);
	assert_int_equal(l.n, 1);
	store_list_free(&l);
	assert_int_equal(store_clean(f->st, NULL), 0);
}

static void touch(const char *dir, const char *name)
{
	char path[PATH_MAX];

	pathf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(fs_write_atomic(path, "junk", 4, 0600), 0);
}

static void test_clean_orphans(void **state)
{
	struct fixture *f = *state;
	time_t now = make_time(2026, 11, 25, 10);
	char dir[PATH_MAX];
	char id[STORE_ID_MAX];

	commit_one(f->st, JOB, now, "ok", "kept", id);
	month_dir(f, JOB, 2026, 11, dir, sizeof(dir));
	/* Temporaries whose reservation is gone. */
	touch(dir, ".backup-25-05.sql.zst.tmp");
	touch(dir, ".backup-25-05.json.tmp");
	touch(dir, "backup-25-05.sha256.tmp-12345");
	/* Artifacts and checksums without a record and without a run. */
	touch(dir, "backup-25-06.sql.zst");
	touch(dir, "backup-25-06.sha256");
	/* A stale reservation of a backup that did commit (crash right after
	 * the record's rename): the backup stays, the reservation goes. */
	touch(dir, ".backup-25-01.reserve");
	/* Not names the store makes: left alone. */
	touch(dir, "notes.txt");
	touch(dir, ".backup-25-07.partial");

	assert_int_equal(store_clean(f->st, JOB), 6);
	assert_listing(dir, ".backup-25-07.partial backup-25-01.json backup-25-01.sha256 "
		       "backup-25-01.sql.zst notes.txt");
}

/* --- what a committed backup looks like ------------------------------------------- */

static void test_modes_with_umask_zero(void **state)
{
	struct fixture *f = *state;
	time_t now = make_time(2026, 11, 25, 10);
	struct store_artifact *a;
	struct store_txn *txn;
	struct store *st;
	char root[PATH_MAX];
	char path[PATH_MAX];
	json_t *rec;
	mode_t old;

	old = umask(0);
	pathf(root, sizeof(root), "%s/root", f->dir);
	assert_int_equal(store_open(root, &st), 0);
	assert_int_equal(store_begin(st, JOB, "db", now, &txn), 0);
	assert_int_equal(store_artifact_open(txn, "sql.zst", &a), 0);
	pathf(path, sizeof(path), "%s/" JOB "/2026/11/.backup-25-01.sql.zst.tmp", root);
	assert_int_equal(mode_of(path), 0600);
	pathf(path, sizeof(path), "%s/" JOB "/2026/11/.backup-25-01.reserve", root);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(store_artifact_write(a, "secret", 6), 0);
	assert_int_equal(store_artifact_finish(a), 0);
	rec = json_pack("{s:s}", "result", "ok");
	assert_int_equal(store_commit(txn, rec), 0);
	json_decref(rec);
	umask(old);

	assert_int_equal(mode_of(root), 0700);
	pathf(path, sizeof(path), "%s/" JOB, root);
	assert_int_equal(mode_of(path), 0700);
	pathf(path, sizeof(path), "%s/" JOB "/2026", root);
	assert_int_equal(mode_of(path), 0700);
	pathf(path, sizeof(path), "%s/" JOB "/2026/11", root);
	assert_int_equal(mode_of(path), 0700);
	pathf(path, sizeof(path), "%s/" JOB "/2026/11/backup-25-01.sql.zst", root);
	assert_int_equal(mode_of(path), 0600);
	pathf(path, sizeof(path), "%s/" JOB "/2026/11/backup-25-01.sha256", root);
	assert_int_equal(mode_of(path), 0600);
	pathf(path, sizeof(path), "%s/" JOB "/2026/11/backup-25-01.json", root);
	assert_int_equal(mode_of(path), 0600);
	store_close(st);
}

static void test_sha256_file(void **state)
{
	struct fixture *f = *state;
	time_t now = make_time(2026, 11, 25, 10);
	struct store_artifact *a, *b;
	struct store_txn *txn;
	char dir[PATH_MAX];
	char path[PATH_MAX];
	char cmd[PATH_MAX + 128];
	char hex_a[SHA256_HEX_LEN + 1];
	char hex_b[SHA256_HEX_LEN + 1];
	char want[512];
	char *text = NULL;
	unsigned char big[100000];
	json_t *rec;
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 131 + i / 7);
	assert_int_equal(store_begin(f->st, JOB, "files", now, &txn), 0);
	assert_int_equal(store_artifact_open(txn, "tar.zst", &a), 0);
	assert_int_equal(store_artifact_open(txn, "index.json", &b), 0);
	for (i = 0; i < sizeof(big); i += 999)
		assert_int_equal(store_artifact_write(a, big + i,
						      sizeof(big) - i < 999 ? sizeof(big) - i : 999), 0);
	assert_int_equal(store_artifact_write(b, "{}\n", 3), 0);
	assert_int_equal(store_artifact_finish(a), 0);
	assert_int_equal(store_artifact_finish(b), 0);
	rec = json_pack("{s:s}", "result", "ok");
	assert_int_equal(store_commit(txn, rec), 0);
	json_decref(rec);

	month_dir(f, JOB, 2026, 11, dir, sizeof(dir));
	pathf(path, sizeof(path), "%s/backup-25-01.tar.zst", dir);
	assert_int_equal(sha256_file(path, hex_a), 0);
	pathf(path, sizeof(path), "%s/backup-25-01.index.json", dir);
	assert_int_equal(sha256_file(path, hex_b), 0);
	pathf(want, sizeof(want), "%s  backup-25-01.tar.zst\n%s  backup-25-01.index.json\n",
		 hex_a, hex_b);
	pathf(path, sizeof(path), "%s/backup-25-01.sha256", dir);
	assert_int_equal(fs_read_all(path, 4096, &text, NULL), 0);
	assert_string_equal(text, want);
	free(text);

	/* The point of the file: checkable with nothing but coreutils. */
	pathf(cmd, sizeof(cmd), "cd '%s' && sha256sum -c --status backup-25-01.sha256", dir);
	assert_int_equal(system(cmd), 0);
	/* ... and it does catch damage. */
	pathf(path, sizeof(path), "%s/backup-25-01.index.json", dir);
	assert_int_equal(fs_write_atomic(path, "{ }\n", 4, 0600), 0);
	assert_int_not_equal(system(cmd), 0);
}

static void test_record_contents(void **state)
{
	struct fixture *f = *state;
	time_t now = make_time(2026, 11, 25, 10);
	char hex[SHA256_HEX_LEN + 1];
	struct store_artifact *a;
	struct store_txn *txn;
	struct store_entry e;
	json_t *rec, *arts, *art;
	char path[PATH_MAX];
	struct sha256 h;

	assert_int_equal(store_begin(f->st, JOB, "db", now, &txn), 0);
	assert_int_equal(store_txn_artifact_path(txn, "sql.zst", path, sizeof(path)), 0);
	assert_non_null(strstr(path, "/" JOB "/2026/11/backup-25-01.sql.zst"));
	assert_int_equal(store_artifact_open(txn, "sql.zst", &a), 0);
	assert_int_equal(store_artifact_write(a, "SELECT 1;\n", 10), 0);
	assert_int_equal(store_artifact_write(a, "SELECT 2;\n", 10), 0);
	assert_int_equal(store_artifact_finish(a), 0);

	rec = json_pack("{s:s, s:s, s:i, s:s}", "result", "ok",
			"started", "2026-11-25T10:00:00Z", "raw_size", 20, "job", "spoofed");
	assert_non_null(rec);
	assert_int_equal(store_commit(txn, rec), 0);
	/* The caller's record is the caller's: untouched. */
	assert_string_equal(json_string_value(json_object_get(rec, "job")), "spoofed");
	assert_null(json_object_get(rec, "artifacts"));
	json_decref(rec);

	assert_int_equal(store_get(f->st, JOB, "2026/11/backup-25-01", &e), 0);
	assert_string_equal(e.job, JOB);
	assert_string_equal(e.id, "2026/11/backup-25-01");
	assert_int_equal(e.parts.seq, 1);
	assert_int_equal(json_integer_value(json_object_get(e.record, "format")), 1);
	assert_string_equal(json_string_value(json_object_get(e.record, "job")), JOB);
	assert_string_equal(json_string_value(json_object_get(e.record, "kind")), "db");
	assert_string_equal(json_string_value(json_object_get(e.record, "id")),
			    "2026/11/backup-25-01");
	assert_string_equal(json_string_value(json_object_get(e.record, "started")),
			    "2026-11-25T10:00:00Z");
	assert_int_equal(json_integer_value(json_object_get(e.record, "raw_size")), 20);
	arts = json_object_get(e.record, "artifacts");
	assert_true(json_is_array(arts));
	assert_int_equal(json_array_size(arts), 1);
	art = json_array_get(arts, 0);
	assert_string_equal(json_string_value(json_object_get(art, "file")),
			    "backup-25-01.sql.zst");
	assert_int_equal(json_integer_value(json_object_get(art, "size")), 20);
	assert_int_equal(sha256_init(&h), 0);
	sha256_update(&h, "SELECT 1;\nSELECT 2;\n", 20);
	sha256_final_hex(&h, hex);
	assert_string_equal(json_string_value(json_object_get(art, "sha256")), hex);
	store_entry_free(&e);
	assert_null(e.record);

	assert_int_equal(store_path(f->st, JOB, &(struct store_id){ 2026, 11, 25, 1 }, "json",
				    path, sizeof(path)), 0);
	assert_true(exists(path));
	assert_int_equal(store_path(f->st, JOB, &(struct store_id){ 2026, 11, 25, 1 }, "json",
				    path, 10), -ENAMETOOLONG);
}

static void test_latest_and_get(void **state)
{
	struct fixture *f = *state;
	time_t now = make_time(2026, 11, 25, 10);
	struct store_entry e;
	json_t *r;

	/* No backups at all, no such job. */
	assert_int_equal(store_get(f->st, JOB, "latest", &e), -ENOENT);
	assert_null(e.record);

	commit_one(f->st, JOB, now - 86400, "ok", "old", NULL);	/* 24-01 */
	commit_one(f->st, JOB, now, "ok", "good", NULL);		/* 25-01 */
	commit_one(f->st, JOB, now + 60, "partial", "bad", NULL);	/* 25-02 */
	commit_one(f->st, JOB, now + 120, "failed", "bad", NULL);	/* 25-03 */
	commit_one(f->st, "web", now + 180, "ok", "other job", NULL);

	assert_int_equal(store_get(f->st, JOB, "latest", &e), 0);
	assert_string_equal(e.id, "2026/11/backup-25-01");
	assert_string_equal(e.job, JOB);
	assert_true(store_record_is_good(e.record));
	store_entry_free(&e);

	assert_int_equal(store_get(f->st, JOB, "2026/11/backup-25-02", &e), 0);
	assert_string_equal(e.id, "2026/11/backup-25-02");
	assert_false(store_record_is_good(e.record));
	assert_string_equal(json_string_value(json_object_get(e.record, "result")), "partial");
	store_entry_free(&e);

	assert_int_equal(store_get(f->st, JOB, "2026/11/backup-25-04", &e), -ENOENT);
	assert_int_equal(store_get(f->st, JOB, "2026/10/backup-25-01", &e), -ENOENT);
	assert_int_equal(store_get(f->st, "nosuchjob", "latest", &e), -ENOENT);
	assert_int_equal(store_get(f->st, JOB, "2026/11/backup-25-4", &e), -EINVAL);
	assert_int_equal(store_get(f->st, "../etc", "latest", &e), -EINVAL);

	assert_false(store_record_is_good(NULL));
	r = json_pack("{s:i}", "result", 1);
	assert_false(store_record_is_good(r));
	json_decref(r);
}

static void test_corrupt_record_skipped(void **state)
{
	struct fixture *f = *state;
	time_t now = make_time(2026, 11, 25, 10);
	char dir[PATH_MAX];
	char path[PATH_MAX];
	struct store_list l;
	struct store_entry e;

	commit_one(f->st, JOB, now, "ok", "1", NULL);
	commit_one(f->st, JOB, now + 1, "ok", "2", NULL);
	commit_one(f->st, JOB, now + 2, "ok", "3", NULL);
	commit_one(f->st, JOB, now + 3, "ok", "4", NULL);
	month_dir(f, JOB, 2026, 11, dir, sizeof(dir));
	pathf(path, sizeof(path), "%s/backup-25-02.json", dir);
	assert_int_equal(fs_write_atomic(path, "{\"result\": \"ok\", trunc", 22, 0600), 0);
	pathf(path, sizeof(path), "%s/backup-25-04.json", dir);
	assert_int_equal(fs_write_atomic(path, "[1, 2]\n", 7, 0600), 0);

	assert_int_equal(store_list(f->st, JOB, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].id, "2026/11/backup-25-01");
	assert_string_equal(l.v[1].id, "2026/11/backup-25-03");
	store_list_free(&l);
	/* latest skips the unreadable newest one too. */
	assert_int_equal(store_get(f->st, JOB, "latest", &e), 0);
	assert_string_equal(e.id, "2026/11/backup-25-03");
	store_entry_free(&e);
	assert_int_equal(store_get(f->st, JOB, "2026/11/backup-25-02", &e), -EBADMSG);
	assert_null(e.record);
	/* The cleaner does not take an unreadable record for a missing one. */
	assert_int_equal(store_clean(f->st, JOB), 0);
}

static void test_list_jobs(void **state)
{
	struct fixture *f = *state;
	time_t now = make_time(2026, 11, 25, 10);
	char path[PATH_MAX];
	struct store_list l;

	commit_one(f->st, "web", now, "ok", "w1", NULL);
	commit_one(f->st, JOB, now + 1, "ok", "s1", NULL);
	commit_one(f->st, "db-2", make_time(2026, 10, 3, 10), "ok", "d1", NULL);
	commit_one(f->st, JOB, make_time(2025, 12, 31, 10), "ok", "s0", NULL);

	/* Things that are not a job's backups, which a listing must skip. */
	pathf(path, sizeof(path), "%s/Bad/2026/11", f->dir);
	assert_int_equal(fs_mkdirs(path, 0700), 0);
	pathf(path, sizeof(path), "%s/Bad/2026/11/backup-25-01.json", f->dir);
	assert_int_equal(fs_write_atomic(path, "{}", 2, 0600), 0);
	pathf(path, sizeof(path), "%s/" JOB "/2026/13", f->dir);
	assert_int_equal(fs_mkdirs(path, 0700), 0);
	pathf(path, sizeof(path), "%s/" JOB "/2026/13/backup-25-01.json", f->dir);
	assert_int_equal(fs_write_atomic(path, "{}", 2, 0600), 0);
	pathf(path, sizeof(path), "%s/" JOB "/2026/11/backup-25-1.json", f->dir);
	assert_int_equal(fs_write_atomic(path, "{}", 2, 0600), 0);
	pathf(path, sizeof(path), "%s/" JOB "/2026/11/.backup-25-09.json.tmp", f->dir);
	assert_int_equal(fs_write_atomic(path, "{}", 2, 0600), 0);
	pathf(path, sizeof(path), "%s/" JOB "/notayear", f->dir);
	assert_int_equal(fs_write_atomic(path, "{}", 2, 0600), 0);
	pathf(path, sizeof(path), "%s/stray-file", f->dir);
	assert_int_equal(fs_write_atomic(path, "{}", 2, 0600), 0);

	assert_int_equal(store_list(f->st, NULL, &l), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0].job, "db-2");
	assert_string_equal(l.v[0].id, "2026/10/backup-03-01");
	assert_string_equal(l.v[1].job, JOB);
	assert_string_equal(l.v[1].id, "2025/12/backup-31-01");
	assert_string_equal(l.v[2].job, JOB);
	assert_string_equal(l.v[2].id, "2026/11/backup-25-01");
	assert_string_equal(l.v[3].job, "web");
	assert_string_equal(l.v[3].id, "2026/11/backup-25-01");
	store_list_free(&l);

	assert_int_equal(store_list(f->st, "web", &l), 0);
	assert_int_equal(l.n, 1);
	store_list_free(&l);
	assert_int_equal(store_list(f->st, "nosuchjob", &l), 0);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	store_list_free(&l);
	assert_int_equal(store_list(f->st, "Bad", &l), -EINVAL);
	assert_int_equal(l.n, 0);
}

/* --- failures and aborts ------------------------------------------------------------ */

static void test_abort_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	time_t now = make_time(2026, 11, 25, 10);
	struct store_artifact *a, *b;
	struct store_txn *txn;
	struct store_list l;
	char dir[PATH_MAX];

	assert_int_equal(store_begin(f->st, JOB, "files", now, &txn), 0);
	assert_int_equal(store_artifact_open(txn, "tar.zst", &a), 0);
	assert_int_equal(store_artifact_write(a, "done", 4), 0);
	assert_int_equal(store_artifact_finish(a), 0);
	assert_int_equal(store_artifact_open(txn, "index.zst", &b), 0);
	assert_int_equal(store_artifact_write(b, "half", 4), 0);
	month_dir(f, JOB, 2026, 11, dir, sizeof(dir));
	assert_listing(dir, ".backup-25-01.index.zst.tmp .backup-25-01.reserve "
		       "backup-25-01.tar.zst");
	store_abort(txn);
	assert_listing(dir, "");
	assert_int_equal(store_list(f->st, JOB, &l), 0);
	assert_int_equal(l.n, 0);
	store_list_free(&l);

	/* Aborting right after begin. */
	assert_int_equal(store_begin(f->st, JOB, "files", now, &txn), 0);
	store_abort(txn);
	assert_listing(dir, "");
	store_abort(NULL);
}

static void test_commit_refuses_unfinished(void **state)
{
	struct fixture *f = *state;
	time_t now = make_time(2026, 11, 25, 10);
	struct store_artifact *a, *b;
	struct store_txn *txn;
	struct store_list l;
	char dir[PATH_MAX];
	json_t *rec = json_pack("{s:s}", "result", "ok");
	json_t *arr = json_array();

	assert_int_equal(store_begin(f->st, JOB, "files", now, &txn), 0);
	assert_int_equal(store_artifact_open(txn, "tar.zst", &a), 0);
	assert_int_equal(store_artifact_finish(a), 0);
	assert_int_equal(store_artifact_open(txn, "index.zst", &b), 0);
	assert_int_equal(store_commit(txn, rec), -EBUSY);
	month_dir(f, JOB, 2026, 11, dir, sizeof(dir));
	assert_listing(dir, "");
	assert_int_equal(store_list(f->st, JOB, &l), 0);
	assert_int_equal(l.n, 0);
	store_list_free(&l);

	/* A record that is not an object is refused the same way. */
	assert_int_equal(store_begin(f->st, JOB, "files", now, &txn), 0);
	assert_int_equal(store_artifact_open(txn, "tar.zst", &a), 0);
	assert_int_equal(store_artifact_finish(a), 0);
	assert_int_equal(store_commit(txn, arr), -EINVAL);
	assert_listing(dir, "");
	json_decref(arr);
	json_decref(rec);
}

static void test_artifact_rules(void **state)
{
	struct fixture *f = *state;
	time_t now = make_time(2026, 11, 25, 10);
	static const char *const bad_ext[] = {
		"", "json", "sha256", "reserve", "tar.tmp", "tmp", ".zst", "zst.",
		"a..b", "../x", "a/b", "SQL", "sql-zst", "0123456789012345678901234567890123",
	};
	struct store_artifact *a, *b;
	struct store_txn *txn;
	size_t i;

	assert_int_equal(store_begin(f->st, JOB, "db", now, &txn), 0);
	for (i = 0; i < sizeof(bad_ext) / sizeof(bad_ext[0]); i++) {
		if (store_artifact_open(txn, bad_ext[i], &a) != -EINVAL)
			fail_msg("accepted extension \"%s\"", bad_ext[i]);
		assert_null(a);
	}
	/* Each extension once: open, or already finished. */
	assert_int_equal(store_artifact_open(txn, "sql.zst", &a), 0);
	assert_int_equal(store_artifact_open(txn, "sql.zst", &b), -EEXIST);
	assert_int_equal(store_artifact_finish(a), 0);
	assert_int_equal(store_artifact_open(txn, "sql.zst", &b), -EEXIST);
	assert_int_equal(store_artifact_open(txn, "sql.zst.1", &b), 0);
	/* The transaction's end frees an artifact left open. */
	store_abort(txn);

	/* Bad jobs and kinds never get a number. */
	assert_int_equal(store_begin(f->st, "Shop", "db", now, &txn), -EINVAL);
	assert_null(txn);
	assert_int_equal(store_begin(f->st, "-shop", "db", now, &txn), -EINVAL);
	assert_int_equal(store_begin(f->st, "a/b", "db", now, &txn), -EINVAL);
	assert_int_equal(store_begin(f->st, "", "db", now, &txn), -EINVAL);
	assert_int_equal(store_begin(f->st, JOB, "", now, &txn), -EINVAL);
	assert_int_equal(store_clean(f->st, ".."), -EINVAL);
}

static void test_failed_write_blocks_commit(void **state)
{
	struct fixture *f = *state;
	time_t now = make_time(2026, 11, 25, 10);
	struct store_artifact *a;
	struct store_txn *txn;
	char dir[PATH_MAX];
	json_t *rec;
	char *big;
	int fd, saved, nul;

	assert_int_equal(store_begin(f->st, JOB, "db", now, &txn), 0);
	assert_int_equal(store_artifact_open(txn, "sql.zst", &a), 0);
	/* Swap a read-only descriptor in under the artifact to make writes fail;
	 * SAVED keeps the real file open so the test controls its lifetime. */
	fd = store_artifact_fd(a);
	saved = dup(fd);
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(saved >= 0);
	assert_true(nul >= 0);
	assert_int_equal(dup2(nul, fd), fd);
	close(nul);
	/* More than the artifact holds back for direct I/O: it reaches the fd. */
	big = calloc(1, OUTFILE_BUF + 1);
	assert_non_null(big);
	assert_int_equal(store_artifact_write(a, big, OUTFILE_BUF + 1), -EBADF);
	free(big);
	assert_int_equal(store_artifact_write(a, "y", 1), -EBADF);
	assert_int_equal(store_artifact_finish(a), -EBADF);
	rec = json_pack("{s:s}", "result", "ok");
	assert_int_equal(store_commit(txn, rec), -EBADF);
	json_decref(rec);
	month_dir(f, JOB, 2026, 11, dir, sizeof(dir));
	assert_listing(dir, "");
	close(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_format_parse),
		cmocka_unit_test(test_id_compare),
		cmocka_unit_test_setup_teardown(test_sequence_by_day_and_month, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hundred_runs_in_a_day, setup, teardown),
		cmocka_unit_test_setup_teardown(test_racing_allocators, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_between_artifact_and_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_mid_artifact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_begin_cleans_crashed_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_spares_live_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_orphans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes_with_umask_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sha256_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_contents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_latest_and_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_record_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_refuses_unfinished, setup, teardown),
		cmocka_unit_test_setup_teardown(test_artifact_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_write_blocks_commit, setup, teardown),
	};

	log_init("test-store", LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

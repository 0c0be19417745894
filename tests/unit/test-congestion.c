/*
 * test-congestion — lib/throttle/congestion on a fake /proc: a temp dir with
 * diskstats and pressure/{cpu,io} files written by the test.  The device is
 * found by the st_dev of a real path (the temp dir itself), so the fake
 * diskstats carries a line with that major:minor, among others.
 *
 * Checked: the mean ms per read of a window and its reads, the stall shares
 * of PSI's "some" lines (not "full"), a share clamped to 1; no disk signal
 * when the device read nothing, is not in diskstats, or the path is missing;
 * no PSI signal when its file is missing or has no "some ... total=" line;
 * counters that go backwards give no signal rather than a negative one; a
 * garbled diskstats is skipped line by line; the CPU share leaves out the
 * run-queue wait of this process's own threads (self/task/TID/schedstat);
 * others' reads are the device's bytes less this process's (self/io).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "congestion.h"

static unsigned dev_major, dev_minor;

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void remove_file(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(unlink(path), 0);
}

/* diskstats with our device (READS reads, MS ms reading) between others:
 * one with the same minor, one with the same major, and a loop device. */
static void write_diskstats(const char *dir, unsigned long long reads, unsigned long long ms)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "   7       0 loop0 50 0 400 9999 0 0 0 0 0 10 10 0 0 0 0 0 0\n"
		 " %4u %7u other 777 1 8000 88888 10 0 80 5 0 100 200 0 0 0 0 0 0\n"
		 " %4u %7u sibling 666 1 8000 77777 10 0 80 5 0 100 200 0 0 0 0 0 0\n"
		 " %4u %7u fakedev %llu 3 16000 %llu 20 0 160 40 0 300 500 0 0 0 0 0 0\n"
		 " %4u %7u fakedev1 1 0 8 1 0 0 0 0 0 1 1 0 0 0 0 0 0\n",
		 dev_major + 1, dev_minor, dev_major, dev_minor + 1, dev_major, dev_minor, reads, ms,
		 dev_major, dev_minor + 2);
	write_file(dir, "diskstats", text);
}

/* pressure/NAME with "some" total SOME_US; its "full" line comes first and
 * is far larger, so reading it instead would show. */
static void write_psi(const char *dir, const char *name, unsigned long long some_us)
{
	char file[64], text[512];

	snprintf(file, sizeof(file), "pressure/%s", name);
	snprintf(text, sizeof(text),
		 "full avg10=90.00 avg60=80.00 avg300=70.00 total=%llu\n"
		 "some avg10=1.00 avg60=2.00 avg300=3.00 total=%llu\n",
		 some_us * 7 + 123456789, some_us);
	write_file(dir, file, text);
}

static int setup(void **state)
{
	struct stat st;
	char pdir[PATH_MAX];

	if (test_tmpdir_setup(state) < 0 || stat(*state, &st) < 0)
		return -1;
	dev_major = major(st.st_dev);
	dev_minor = minor(st.st_dev);
	snprintf(pdir, sizeof(pdir), "%s/pressure", (char *)*state);
	return mkdir(pdir, 0700);
}

/* Two readings half a second apart: ms per read, reads, stall shares. */
static void test_window(void **state)
{
	const char *dir = *state;
	struct congestion c;
	struct congestion_reading a, b;
	struct congestion_window w;

	write_diskstats(dir, 1000, 2000);
	write_psi(dir, "cpu", 1000000);
	write_psi(dir, "io", 0);
	congestion_init(&c, dir, dir);
	assert_true(c.disk);
	assert_string_equal(c.device, "fakedev");
	assert_int_equal(c.major, dev_major);
	assert_int_equal(c.minor, dev_minor);
	congestion_read(&c, 10.0, &a);
	assert_true(a.disk_ok);
	assert_true(a.reads == 1000 && a.read_ms == 2000);
	assert_true(a.psi_ok[CONGESTION_PSI_CPU] && a.psi_ok[CONGESTION_PSI_IO]);
	assert_true(a.psi_us[CONGESTION_PSI_CPU] == 1000000);

	write_diskstats(dir, 1100, 2500);	/* 100 reads, 500 ms */
	write_psi(dir, "cpu", 1250000);		/* 0.25 s stalled of 0.5 */
	write_psi(dir, "io", 100000);		/* 0.1 s of 0.5 */
	congestion_read(&c, 10.5, &b);
	congestion_window(&a, &b, &w);
	assert_true(w.disk_ok);
	assert_true(fabs(w.disk_ms - 5.0) < 1e-9);
	assert_true(w.disk_reads == 100);
	assert_true(w.psi_ok[CONGESTION_PSI_CPU] && w.psi_ok[CONGESTION_PSI_IO]);
	assert_true(fabs(w.psi[CONGESTION_PSI_CPU] - 0.5) < 1e-9);
	assert_true(fabs(w.psi[CONGESTION_PSI_IO] - 0.2) < 1e-9);

	/* A share past 1 (counters and clock read at slightly different
	 * moments) is clamped to the whole window. */
	a = b;
	write_psi(dir, "io", 100000 + 2000000);	/* 2 s in 0.5 s */
	congestion_read(&c, 11.0, &b);
	congestion_window(&a, &b, &w);
	assert_true(w.psi_ok[CONGESTION_PSI_IO]);
	assert_true(w.psi[CONGESTION_PSI_IO] == 1.0);
	assert_true(w.psi_ok[CONGESTION_PSI_CPU]);
	assert_true(w.psi[CONGESTION_PSI_CPU] == 0.0);	/* unchanged: no stall */
	/* The device read nothing this window: no disk signal (not 0 ms). */
	assert_false(w.disk_ok);
}

/* The device is not in diskstats, the path is missing or NULL, diskstats is
 * missing: no disk signal; PSI still read. */
static void test_no_device(void **state)
{
	const char *dir = *state;
	char missing[PATH_MAX];
	struct congestion c;
	struct congestion_reading a, b;
	struct congestion_window w;

	write_psi(dir, "cpu", 0);
	write_psi(dir, "io", 0);
	write_file(dir, "diskstats", "   7       0 loop0 50 0 400 9999 0 0 0 0 0 10 10 0 0 0 0 0 0\n");
	congestion_init(&c, dir, dir);
	assert_false(c.disk);
	congestion_read(&c, 1, &a);
	assert_false(a.disk_ok);
	assert_true(a.psi_ok[CONGESTION_PSI_IO]);

	write_diskstats(dir, 10, 10);
	snprintf(missing, sizeof(missing), "%s/no/such/dir", dir);
	congestion_init(&c, dir, missing);
	assert_false(c.disk);
	congestion_init(&c, dir, NULL);
	assert_false(c.disk);

	/* Found at init, gone later (a device removed): not read. */
	congestion_init(&c, dir, dir);
	assert_true(c.disk);
	congestion_read(&c, 1, &a);
	assert_true(a.disk_ok);
	remove_file(dir, "diskstats");
	congestion_read(&c, 1.5, &b);
	assert_false(b.disk_ok);
	congestion_window(&a, &b, &w);
	assert_false(w.disk_ok);
	assert_true(w.psi_ok[CONGESTION_PSI_CPU]);
	congestion_init(&c, dir, dir);		/* no diskstats at all */
	assert_false(c.disk);
}

/* A kernel without PSI (no files), or a file without a "some" total. */
static void test_no_psi(void **state)
{
	const char *dir = *state;
	struct congestion c;
	struct congestion_reading a, b;
	struct congestion_window w;

	write_diskstats(dir, 1000, 2000);
	congestion_init(&c, dir, dir);
	congestion_read(&c, 1, &a);
	assert_false(a.psi_ok[CONGESTION_PSI_CPU]);
	assert_false(a.psi_ok[CONGESTION_PSI_IO]);
	write_diskstats(dir, 1004, 2010);
	congestion_read(&c, 1.5, &b);
	congestion_window(&a, &b, &w);
	assert_false(w.psi_ok[CONGESTION_PSI_CPU]);
	assert_false(w.psi_ok[CONGESTION_PSI_IO]);
	assert_true(w.disk_ok);
	assert_true(fabs(w.disk_ms - 2.5) < 1e-9);

	/* Appears between the readings: still no window (one side missing). */
	write_psi(dir, "io", 5000);
	congestion_read(&c, 2, &b);
	congestion_window(&a, &b, &w);
	assert_false(w.psi_ok[CONGESTION_PSI_IO]);

	/* Only "full", or a "some" line without total=. */
	write_file(dir, "pressure/io", "full avg10=0.00 avg60=0.00 avg300=0.00 total=5\n");
	congestion_read(&c, 2.5, &a);
	assert_false(a.psi_ok[CONGESTION_PSI_IO]);
	write_file(dir, "pressure/io", "some avg10=0.00 avg60=0.00 avg300=0.00\n");
	congestion_read(&c, 3, &a);
	assert_false(a.psi_ok[CONGESTION_PSI_IO]);
	write_file(dir, "pressure/io", "");
	congestion_read(&c, 3, &a);
	assert_false(a.psi_ok[CONGESTION_PSI_IO]);
}

/* Counters that go backwards (a device replaced, a counter reset) and a
 * clock that stands still give no signal, never a negative one. */
static void test_backwards(void **state)
{
	const char *dir = *state;
	struct congestion c;
	struct congestion_reading a, b;
	struct congestion_window w;

	write_diskstats(dir, 1000, 2000);
	write_psi(dir, "cpu", 900000);
	write_psi(dir, "io", 900000);
	congestion_init(&c, dir, dir);
	congestion_read(&c, 5, &a);
	write_diskstats(dir, 500, 1000);
	write_psi(dir, "cpu", 100);
	write_psi(dir, "io", 800000);
	congestion_read(&c, 5.5, &b);
	congestion_window(&a, &b, &w);
	assert_false(w.disk_ok);
	assert_false(w.psi_ok[CONGESTION_PSI_CPU]);
	assert_false(w.psi_ok[CONGESTION_PSI_IO]);

	/* The time spent reading went back while the reads went on. */
	write_diskstats(dir, 1100, 1000);
	congestion_read(&c, 5.5, &b);
	congestion_window(&a, &b, &w);
	if (w.disk_ok && w.disk_ms < 0)
		fail_msg("a negative read latency: %.3f ms", w.disk_ms);

	/* Same instant: no share (no division by zero). */
	write_diskstats(dir, 1100, 2100);
	write_psi(dir, "io", 1000000);
	congestion_read(&c, 5, &b);
	congestion_window(&a, &b, &w);
	assert_false(w.psi_ok[CONGESTION_PSI_IO]);
	assert_true(w.disk_ok);		/* a count of reads needs no clock */
	assert_true(fabs(w.disk_ms - 1.0) < 1e-9);
	/* The clock went back. */
	congestion_read(&c, 4, &b);
	congestion_window(&a, &b, &w);
	assert_false(w.psi_ok[CONGESTION_PSI_IO]);
}

/* A garbled diskstats: short lines, words for numbers, a name too long for
 * the buffer, a line far longer than a kernel's; the good line is found. */
static void test_garbled(void **state)
{
	const char *dir = *state;
	char text[4096], longname[200], pad[1200];
	struct congestion c;
	struct congestion_reading r;

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memset(pad, '9', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	snprintf(text, sizeof(text),
		 "\n"
		 "%u\n"
		 "%u %u\n"
		 "%u %u fakedev lots 0 0 0\n"
		 "%u %u %s 1 2 3 4\n"
		 "1 2 longline 1 1 1 1 %s\n"
		 "%u %u fakedev 42 0 0 84 0 0 0 0 0 0 0\n",
		 dev_major, dev_major, dev_minor, dev_major, dev_minor, dev_major, dev_minor, longname, pad,
		 dev_major, dev_minor);
	write_file(dir, "diskstats", text);
	congestion_init(&c, dir, dir);
	assert_true(c.disk);
	assert_string_equal(c.device, "fakedev");
	congestion_read(&c, 1, &r);
	assert_true(r.disk_ok);
	assert_true(r.reads == 42 && r.read_ms == 84);
}

/* self/task/TID/schedstat of a fake thread: run and wait, in ns. */
static void write_schedstat(const char *dir, const char *tid, unsigned long long wait_ns)
{
	char path[PATH_MAX], text[128];

	snprintf(path, sizeof(path), "%s/self", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/self/task", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/self/task/%s", dir, tid);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "self/task/%s/schedstat", tid);
	snprintf(text, sizeof(text), "987654321 %llu 4242\n", wait_ns);
	write_file(dir, path, text);
}

/* The CPU stall share without the time our own threads waited for a CPU;
 * a thread that ended takes its wait with it (nothing is added); the share
 * never goes below 0; the I/O share is left alone. */
static void test_own_wait(void **state)
{
	const char *dir = *state;
	struct congestion c;
	struct congestion_reading a, b;
	struct congestion_window w;

	write_psi(dir, "cpu", 1000000);
	write_psi(dir, "io", 1000000);
	write_schedstat(dir, "100", 100000000);	/* 100 ms waited so far */
	write_schedstat(dir, "101", 0);
	congestion_init(&c, dir, NULL);
	congestion_read(&c, 1.0, &a);
	write_psi(dir, "cpu", 1400000);		/* 0.4 s stalled in 0.5 s */
	write_psi(dir, "io", 1400000);
	write_schedstat(dir, "100", 200000000);	/* we waited 0.1 s ... */
	write_schedstat(dir, "101", 100000000);	/* ... and 0.1 s */
	congestion_read(&c, 1.5, &b);
	congestion_window(&a, &b, &w);
	assert_true(w.psi_ok[CONGESTION_PSI_CPU]);
	assert_true(fabs(w.psi[CONGESTION_PSI_CPU] - 0.4) < 1e-9);	/* (0.4 - 0.2) / 0.5 */
	assert_true(fabs(w.psi[CONGESTION_PSI_IO] - 0.8) < 1e-9);

	/* Thread 100 ended: our total went down; the site's share is whole. */
	a = b;
	{
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/self/task/100/schedstat", dir);
		assert_int_equal(unlink(path), 0);
	}
	write_psi(dir, "cpu", 1600000);
	congestion_read(&c, 2.0, &b);
	congestion_window(&a, &b, &w);
	assert_true(fabs(w.psi[CONGESTION_PSI_CPU] - 0.4) < 1e-9);

	/* More of our own wait than the stall counted: 0, not negative. */
	a = b;
	write_psi(dir, "cpu", 1650000);
	write_schedstat(dir, "101", 900000000);
	congestion_read(&c, 2.5, &b);
	congestion_window(&a, &b, &w);
	assert_true(w.psi_ok[CONGESTION_PSI_CPU]);
	assert_true(w.psi[CONGESTION_PSI_CPU] == 0.0);
}

/* diskstats with our device having read SECTORS sectors, and self/io with
 * this process's OWN read_bytes (rchar first, larger, so reading it instead
 * would show). */
static void write_reads(const char *dir, unsigned long long sectors, unsigned long long own)
{
	char text[512];

	snprintf(text, sizeof(text), " %4u %7u fakedev 1000 3 %llu 2000 20 0 160 40 0 300 500 0 0 0 0 0 0\n",
		 dev_major, dev_minor, sectors);
	write_file(dir, "diskstats", text);
	snprintf(text, sizeof(text), "%s/self", dir);
	mkdir(text, 0700);
	snprintf(text, sizeof(text), "rchar: %llu\nwchar: 5\nsyscr: 7\nsyscw: 1\nread_bytes: %llu\n"
		 "write_bytes: 4096\ncancelled_write_bytes: 0\n", own * 3 + 999, own);
	write_file(dir, "self/io", text);
}

/* What others read: the device's bytes less ours; none when ours were more
 * (the counters are read at different moments), unknown without self/io or
 * without the device. */
static void test_others_reads(void **state)
{
	const char *dir = *state;
	struct congestion c;
	struct congestion_reading a, b;
	struct congestion_window w;

	write_reads(dir, 1000, 100000);
	congestion_init(&c, dir, dir);
	assert_true(c.disk);
	congestion_read(&c, 1.0, &a);
	assert_true(a.own_ok);
	assert_true(a.read_bytes == 1000.0 * 512 && a.own_read_bytes == 100000);
	write_reads(dir, 1000 + 4096, 100000 + 2000000);	/* 2 MiB read, 2,000,000 bytes ours */
	congestion_read(&c, 1.5, &b);
	congestion_window(&a, &b, &w);
	assert_true(w.others_ok);
	assert_true(fabs(w.others_read_bytes - (4096.0 * 512 - 2000000)) < 1e-6);

	a = b;
	write_reads(dir, 1000 + 4096 + 100, 100000 + 2000000 + 60000);	/* ours ahead of the device's */
	congestion_read(&c, 2.0, &b);
	congestion_window(&a, &b, &w);
	assert_true(w.others_ok);
	assert_true(w.others_read_bytes == 0.0);

	/* No self/io: not known. */
	{
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/self/io", dir);
		assert_int_equal(unlink(path), 0);
	}
	a = b;
	congestion_read(&c, 2.5, &b);
	assert_false(b.own_ok);
	congestion_window(&a, &b, &w);
	assert_false(w.others_ok);

	/* No device: not known either. */
	write_reads(dir, 1, 1);
	congestion_init(&c, dir, NULL);
	congestion_read(&c, 3.0, &a);
	congestion_read(&c, 3.5, &b);
	assert_false(a.own_ok);
	congestion_window(&a, &b, &w);
	assert_false(w.others_ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_window, setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_no_device, setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_no_psi, setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_backwards, setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_garbled, setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_own_wait, setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_others_reads, setup, test_tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

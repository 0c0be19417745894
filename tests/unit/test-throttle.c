/*
 * test-throttle — lib/throttle in simulated time: the token bucket's rate,
 * burst and debt; the gate (waits while a probe is over its limit, starts
 * anyway after max_wait); pauses between chunks with their hysteresis (paused
 * above the limit, resumed only below 90% of it); the max_dump_time budget;
 * cancel; the record's facts; and, in forked children, nice and the I/O
 * class read back from the kernel.  Also the run slots of parallel_jobs
 * (jobstate_take_slot), across real processes.
 *
 * The clock is a double that the sleep callback advances, so nothing really
 * sleeps (but the slot test, which uses the real clock).  /proc/loadavg and
 * /proc/pressure/io are fake files in a temp dir that the sleep callback can
 * rewrite at given simulated times.  The load probe takes the process's own
 * CPU use (getrusage) out of the load; in simulated time that is tiny but not
 * zero, so the loads used here stay well away from the limits.
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
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "jobstate.h"
#include "log.h"
#include "throttle.h"

#define MiB (1024.0 * 1024.0)
#define KiB 1024.0

/* ---- the simulated clock ---------------------------------------------------- */

/* A file rewritten once the simulated clock reaches AT (seconds after the
 * scenario's start). */
struct step {
	double at;
	char file[32];
	char text[256];
	bool done;
};

struct sim {
	double t;		/* now */
	double slept;		/* sum of all sleeps */
	unsigned nsleeps;
	double origin;		/* steps and cancel_at count from here */
	struct step steps[4];
	int nsteps;
	double cancel_at;	/* set *cancel once t - origin >= this; < 0 = never */
};

static struct sim sim;
static volatile sig_atomic_t cancel_flag;
static char procdir[PATH_MAX];
static char slotdir[PATH_MAX];
static struct job job;

static void write_proc(const char *name, const char *text);

static double sim_now(void *ctx)
{
	return ((struct sim *)ctx)->t;
}

static void sim_sleep(void *ctx, double s)
{
	struct sim *c = ctx;

	assert_true(s >= 0);
	/* A pause or wait that never ends is a failure, not a hung test. */
	if (c->t - c->origin > 10000)
		fail_msg("still sleeping after %.0f simulated seconds", c->t - c->origin);
	c->t += s;
	c->slept += s;
	c->nsleeps++;
	for (int i = 0; i < c->nsteps; i++) {
		struct step *st = &c->steps[i];

		if (!st->done && c->t - c->origin >= st->at) {
			write_proc(st->file, st->text);
			st->done = true;
		}
	}
	if (c->cancel_at >= 0 && c->t - c->origin >= c->cancel_at)
		cancel_flag = 1;
}

static const struct throttle_clock simclock = { sim_now, sim_sleep, &sim };

static void sim_reset(double t)
{
	memset(&sim, 0, sizeof(sim));
	sim.t = t;
	sim.origin = t;
	sim.cancel_at = -1;
}

/* The scenario's clock starts now: steps and cancel_at count from here. */
static void sim_mark(void)
{
	sim.origin = sim.t;
}

/* ---- fake /proc --------------------------------------------------------------- */

static void write_proc(const char *name, const char *text)
{
	char path[PATH_MAX + 64], tmp[PATH_MAX + 80];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", procdir, name);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	/* Atomically, as the kernel's files are. */
	assert_int_equal(rename(tmp, path), 0);
}

/* /proc/loadavg for a load of PER_CPU per CPU on the 2 CPUs the tests set. */
static void loadavg_text(char *buf, size_t len, double per_cpu)
{
	snprintf(buf, len, "%.2f 1.00 1.00 1/100 123\n", per_cpu * 2);
}

static void set_load(double per_cpu)
{
	char buf[128];

	loadavg_text(buf, sizeof(buf), per_cpu);
	write_proc("loadavg", buf);
}

static void pressure_text(char *buf, size_t len, double some_avg10)
{
	/* "full" is higher on purpose: the probe must read the "some" line. */
	snprintf(buf, len,
		 "some avg10=%.2f avg60=12.00 avg300=3.00 total=123456789\n"
		 "full avg10=95.00 avg60=90.00 avg300=80.00 total=99999999\n", some_avg10);
}

static void set_pressure(double some_avg10)
{
	char buf[256];

	pressure_text(buf, sizeof(buf), some_avg10);
	write_proc("pressure/io", buf);
}

/* At AT seconds after the scenario's start, the load becomes PER_CPU. */
static void step_load(double at, double per_cpu)
{
	struct step *st = &sim.steps[sim.nsteps++];

	st->at = at;
	snprintf(st->file, sizeof(st->file), "loadavg");
	loadavg_text(st->text, sizeof(st->text), per_cpu);
}

static void step_pressure(double at, double some_avg10)
{
	struct step *st = &sim.steps[sim.nsteps++];

	st->at = at;
	snprintf(st->file, sizeof(st->file), "pressure/io");
	pressure_text(st->text, sizeof(st->text), some_avg10);
}

/* ---- fixtures ------------------------------------------------------------------ */

/* A job with every throttle off; tests turn on what they test. */
static void make_job(enum job_kind kind)
{
	memset(&job, 0, sizeof(job));
	job.name = (char *)"shop";
	job.kind = kind;
	job.tuning.max_wait = 30;
	job.tuning.nice = 10;
	job.tuning.ionice.cls = IONICE_IDLE;
	job.db.chunk_rows = 1000;
}

static int setup(void **state)
{
	char path[PATH_MAX + 16];

	(void)state;
	snprintf(procdir, sizeof(procdir), "/tmp/test-throttle-XXXXXX");
	if (!mkdtemp(procdir))
		return -1;
	snprintf(path, sizeof(path), "%s/pressure", procdir);
	if (mkdir(path, 0700) < 0)
		return -1;
	cancel_flag = 0;
	sim_reset(1000.0);
	make_job(JOB_FILES);
	set_load(0.25);
	set_pressure(0.0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_rm_rf(procdir);
	return 0;
}

/* throttle_init on the simulated clock and the fake /proc, 2 CPUs. */
static void start(struct throttle *t)
{
	assert_int_equal(throttle_init(t, &job, &simclock, &cancel_flag), 0);
	assert_false(t->probe_open[0]);	/* no probe connection (Threads_running) */
	t->proc = procdir;
	t->ncpu = 2;
}

static double fact_real(const struct throttle *t, const char *key)
{
	json_t *f = throttle_facts(t), *v;
	double d;

	assert_non_null(f);
	v = json_object_get(f, key);
	if (!v)
		fail_msg("no '%s' in the throttle facts", key);
	assert_true(json_is_number(v));
	d = json_number_value(v);
	json_decref(f);
	return d;
}

static bool fact_bool(const struct throttle *t, const char *key)
{
	json_t *f = throttle_facts(t), *v;
	bool b;

	assert_non_null(f);
	v = json_object_get(f, key);
	if (!v)
		fail_msg("no '%s' in the throttle facts", key);
	assert_true(json_is_boolean(v));
	b = json_is_true(v);
	json_decref(f);
	return b;
}

/* paused_by.PROBE, or -1 when absent. */
static double fact_paused_by(const struct throttle *t, const char *probe)
{
	json_t *f = throttle_facts(t), *v;
	double d = -1;

	assert_non_null(f);
	v = json_object_get(json_object_get(f, "paused_by"), probe);
	if (v) {
		assert_true(json_is_number(v));
		d = json_number_value(v);
	}
	json_decref(f);
	return d;
}

/* gate_reason, copied, or "" when absent. */
static const char *fact_reason(const struct throttle *t)
{
	static char buf[256];
	json_t *f = throttle_facts(t), *v;

	assert_non_null(f);
	v = json_object_get(f, "gate_reason");
	snprintf(buf, sizeof(buf), "%s", v && json_is_string(v) ? json_string_value(v) : "");
	json_decref(f);
	return buf;
}

static void assert_near(double got, double want, double tol, const char *what)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("%s: %.6f, expected %.6f +- %.6f", what, got, want, tol);
}

static void assert_between(double got, double lo, double hi, const char *what)
{
	if (!(got >= lo && got <= hi))
		fail_msg("%s: %.6f, expected between %.6f and %.6f", what, got, lo, hi);
}

/* A fixed-seed generator, the same on every libc. */
static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* ---- token bucket ----------------------------------------------------------------- */

/* 10 simulated seconds at 5 MiB/s in random pieces of 1 B to 256 KiB: every
 * 1 s window carries the limit +-10%, and the run as a whole the limit, but
 * for the initial burst, within 1%.  Bytes count when the take returns (the
 * caller writes after it). */
static void test_bucket_rate(void **state)
{
	const double rate = 5 * MiB, secs = 10;
	double win[10] = { 0 }, total = 0, returned = 0, t0;
	struct tbucket b;
	unsigned pieces = 0;

	(void)state;
	rng_state = 0x9E3779B97F4A7C15ull;
	tbucket_init(&b, rate, &simclock);
	/* Half a millisecond of 5 MiB/s is less than the 16 KiB floor. */
	assert_near(b.burst, 16 * 1024, 1e-6, "burst of 5 MiB/s");
	t0 = sim.t;
	for (;;) {
		uint64_t n = 1 + rng() % (256 * 1024);
		double at;

		returned += tbucket_take(&b, n);
		at = sim.t - t0;
		if (at >= secs)
			break;
		win[(int)at] += (double)n;
		total += (double)n;
		pieces++;
	}
	assert_true(pieces > 300);
	assert_true(sim.nsleeps > 100);
	/* What take returns is what it slept. */
	assert_near(returned, sim.slept, 1e-6, "seconds returned by tbucket_take");
	/* The first second may also carry the burst the bucket starts with. */
	assert_between(win[0], rate * 0.9, rate + b.burst, "bytes in second 0");
	for (int i = 1; i < 10; i++) {
		char what[32];

		snprintf(what, sizeof(what), "bytes in second %d", i);
		assert_between(win[i], rate * 0.9, rate * 1.1, what);
	}
	/* The measure: bytes per second over the whole 10 s run. */
	assert_between(total / secs, rate * 0.9, rate * 1.1, "bytes per second over 10 s");
	/* Exact in the long run: the burst and at most one piece aside. */
	assert_between((total - b.burst) / secs, rate * 0.99, rate * 1.01,
		       "bytes per second over 10 s, less the initial burst");
}

/* Pacing: a taker of small pieces sleeps again as soon as it is half a
 * millisecond of budget ahead, so no more than the burst and one piece pass
 * between two sleeps, and each sleep is short. */
static void test_bucket_paces_finely(void **state)
{
	const double rate = 100 * MiB;
	const uint64_t piece = 16 * 1024;
	double since_sleep = 0, most = 0;
	unsigned last_sleeps;
	struct tbucket b;

	(void)state;
	tbucket_init(&b, rate, &simclock);
	assert_near(b.burst, rate / 2000, 1e-6, "burst of 100 MiB/s: 0.5 ms of it");
	last_sleeps = sim.nsleeps;
	for (int i = 0; i < 20000; i++) {
		double s = tbucket_take(&b, piece);

		since_sleep += (double)piece;
		if (sim.nsleeps != last_sleeps) {
			assert_true(s <= (double)piece / rate + 1e-9);
			last_sleeps = sim.nsleeps;
			since_sleep = 0;
		}
		if (since_sleep > most)
			most = since_sleep;
	}
	assert_true(most <= b.burst + (double)piece);
	assert_true(sim.nsleeps > 15000);
}

static void test_bucket_unlimited(void **state)
{
	struct tbucket b;

	(void)state;
	tbucket_init(&b, 0, &simclock);
	for (int i = 0; i < 1000; i++)
		assert_true(tbucket_take(&b, 1ull << 30) == 0);
	assert_int_equal(sim.nsleeps, 0);
	assert_true(sim.t == 1000.0);
}

/* One big take sleeps its size over the rate (less the burst it had); the
 * debt is then paid: the next 5 MiB cost exactly 1 s. */
static void test_bucket_big_take(void **state)
{
	const double rate = 5 * MiB;
	struct tbucket b;
	double s;

	(void)state;
	tbucket_init(&b, rate, &simclock);
	s = tbucket_take(&b, 20 * 1024 * 1024);
	assert_near(s, (20 * MiB - b.burst) / rate, 1e-9, "sleep of a 20 MiB take");
	assert_between(s, 3.5, 4.0, "sleep of a 20 MiB take at 5 MiB/s");
	assert_near(sim.t - 1000.0, s, 1e-9, "simulated time after a 20 MiB take");
	s = tbucket_take(&b, 5 * 1024 * 1024);
	assert_near(s, 1.0, 1e-9, "sleep of the next 5 MiB");
}

/* Idle time earns at most a burst: after 1000 s idle, the first second moves
 * at most limit + burst (and does use the burst). */
static void test_bucket_burst_bounded(void **state)
{
	const double rate = 5 * MiB, piece = 64 * KiB;
	double t0, moved = 0;
	struct tbucket b;

	(void)state;
	tbucket_init(&b, rate, &simclock);
	tbucket_take(&b, (uint64_t)b.burst);	/* empty */
	sim.t += 1000;
	assert_true(tbucket_take(&b, 0) == 0);
	assert_near(b.tokens, b.burst, 1e-6, "tokens after 1000 s idle");
	t0 = sim.t;
	for (;;) {
		tbucket_take(&b, (uint64_t)piece);
		if (sim.t - t0 >= 1.0)
			break;
		moved += piece;
	}
	assert_between(moved, rate + b.burst - 2 * piece, rate + b.burst, "bytes in the first second after idle");

	/* A slow limit still has a 16 KiB burst, so small writes do not sleep one by one. */
	tbucket_init(&b, 1000, &simclock);
	assert_near(b.burst, 16384, 1e-9, "burst at 1000 B/s");
}

/* ---- probes --------------------------------------------------------------------- */

/* Seconds on the monotonic clock, which the shared bucket uses whatever
 * its own clock. */
static double mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Two processes sharing one bucket take the rate between them, not each:
 * io_limit is the daemon's, whatever number of jobs run. */
static void test_bucket_shared_between_processes(void **state)
{
	const double rate = 2.0 * 1024 * 1024, seconds = 1.5;
	char path[PATH_MAX + 16];
	uint64_t total = 0;
	int fds[2];

	(void)state;
	snprintf(path, sizeof(path), "%s/io-bucket", procdir);
	assert_int_equal(pipe(fds), 0);
	for (int i = 0; i < 2; i++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			struct tbucket b;
			uint64_t n = 0;
			double t0;

			tbucket_init(&b, rate, NULL);	/* NULL: the real clock */
			if (tbucket_share(&b, path) < 0)
				_exit(1);
			t0 = mono_seconds();
			while (mono_seconds() - t0 < seconds) {
				tbucket_take(&b, 32768);
				n += 32768;
			}
			tbucket_unshare(&b);
			if (write(fds[1], &n, sizeof(n)) != sizeof(n))
				_exit(1);
			_exit(0);
		}
	}
	close(fds[1]);
	for (int i = 0; i < 2; i++) {
		uint64_t n;
		int st;

		assert_int_equal(read(fds[0], &n, sizeof(n)), sizeof(n));
		total += n;
		assert_true(wait(&st) > 0);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	close(fds[0]);
	/* rate x time, plus at most one burst (rate/4) and a take per process in flight. */
	assert_true((double)total <= rate * seconds * 1.10 + rate / 4 + 2 * 32768);
	assert_true((double)total >= rate * seconds * 0.90);
}

static void test_probes(void **state)
{
	char psi[PATH_MAX + 16];
	struct throttle t;
	double v, limit;

	(void)state;
	job.tuning.max_load = 0.8;
	job.tuning.max_io_pressure = 20;
	job.tuning.max_threads_running = 16;	/* not a db job: off */
	start(&t);
	set_load(1.5);
	set_pressure(42.5);
	v = throttle_probe(&t, PROBE_LOAD, &limit);
	assert_near(limit, 0.8, 1e-9, "load limit");
	assert_near(v, 1.5, 0.02, "load per CPU on 2 CPUs");
	t.ncpu = 4;
	assert_near(throttle_probe(&t, PROBE_LOAD, &limit), 0.75, 0.02, "load per CPU on 4 CPUs");
	t.ncpu = 2;
	v = throttle_probe(&t, PROBE_IO_PRESSURE, &limit);
	assert_near(limit, 20, 1e-9, "io pressure limit");
	assert_near(v, 42.5, 1e-9, "io pressure (some avg10)");
	v = throttle_probe(&t, PROBE_KIND, &limit);
	assert_true(limit == 0 && v == 0);
	/* A kernel without PSI: no pressure, no wait. */
	snprintf(psi, sizeof(psi), "%s/pressure", procdir);
	test_rm_rf(psi);
	assert_true(throttle_probe(&t, PROBE_IO_PRESSURE, &limit) == 0);
	assert_int_equal(throttle_gate(&t), 0);
	/* A limit of 0 is off, whatever the load. */
	job.tuning.max_load = 0;
	assert_true(throttle_probe(&t, PROBE_LOAD, &limit) == 0 && limit == 0);
	throttle_close(&t);
}

/* ---- the gate ------------------------------------------------------------------- */

/* Load 1.5 per CPU over max_load 0.8, for ever: waits max_wait, then starts
 * anyway and says why. */
static void test_gate_load_max_wait(void **state)
{
	struct throttle t;

	(void)state;
	job.tuning.max_load = 0.8;
	job.tuning.max_wait = 30;
	set_load(1.5);
	start(&t);
	sim_mark();
	assert_int_equal(throttle_gate(&t), 0);
	assert_between(sim.t - sim.origin, 30, 31, "simulated time at the gate");
	assert_true(fact_bool(&t, "started_anyway"));
	assert_between(fact_real(&t, "waited_seconds"), 30, 31, "waited_seconds");
	assert_non_null(strstr(fact_reason(&t), "load"));
	assert_non_null(strstr(fact_reason(&t), "0.80"));
	assert_int_equal((int)fact_real(&t, "pauses"), 0);
	throttle_close(&t);
}

static void test_gate_load_below(void **state)
{
	struct throttle t;

	(void)state;
	job.tuning.max_load = 0.8;
	set_load(0.5);
	start(&t);
	assert_int_equal(throttle_gate(&t), 0);
	assert_int_equal(sim.nsleeps, 0);
	assert_true(fact_real(&t, "waited_seconds") == 0);
	assert_false(fact_bool(&t, "started_anyway"));
	assert_string_equal(fact_reason(&t), "");
	/* Above the load but with max_load = 0: no gate. */
	throttle_close(&t);
	job.tuning.max_load = 0;
	set_load(5);
	start(&t);
	assert_int_equal(throttle_gate(&t), 0);
	assert_int_equal(sim.nsleeps, 0);
	throttle_close(&t);
}

/* The load falls after 5 s: the gate opens then, not at max_wait. */
static void test_gate_until_load_falls(void **state)
{
	struct throttle t;

	(void)state;
	job.tuning.max_load = 0.8;
	job.tuning.max_wait = 3600;
	set_load(1.5);
	start(&t);
	sim_mark();
	step_load(5, 0.5);
	assert_int_equal(throttle_gate(&t), 0);
	assert_between(fact_real(&t, "waited_seconds"), 5, 6, "waited_seconds");
	assert_false(fact_bool(&t, "started_anyway"));
	assert_non_null(strstr(fact_reason(&t), "load"));
	throttle_close(&t);
}

static void test_gate_io_pressure(void **state)
{
	struct throttle t;

	(void)state;
	job.tuning.max_io_pressure = 20;
	job.tuning.max_wait = 10;
	set_load(3.0);			/* max_load is off */
	set_pressure(50);
	start(&t);
	sim_mark();
	assert_int_equal(throttle_gate(&t), 0);
	assert_true(fact_bool(&t, "started_anyway"));
	assert_between(fact_real(&t, "waited_seconds"), 10, 11, "waited_seconds");
	assert_non_null(strstr(fact_reason(&t), "io_pressure"));
	assert_non_null(strstr(fact_reason(&t), "50.00"));
	throttle_close(&t);

	set_pressure(10);
	start(&t);
	assert_int_equal(throttle_gate(&t), 0);
	assert_true(fact_real(&t, "waited_seconds") == 0);
	throttle_close(&t);
}

/* ---- pauses ------------------------------------------------------------------------ */

/* Paused above the limit, still paused at 95% of it, resumed at 85%. */
static void test_pause_load_hysteresis(void **state)
{
	struct throttle t;
	double paused;

	(void)state;
	job.tuning.max_load = 0.8;
	set_load(0.5);
	start(&t);
	assert_int_equal(throttle_gate(&t), 0);
	assert_int_equal(throttle_between_chunks(&t), 0);
	/* 95% of the limit does not start a pause either. */
	set_load(0.76);
	assert_int_equal(throttle_between_chunks(&t), 0);
	assert_int_equal(sim.nsleeps, 0);
	assert_int_equal((int)fact_real(&t, "pauses"), 0);

	set_load(1.5);
	sim_mark();
	step_load(10, 0.76);		/* 95%: stays paused */
	step_load(20, 0.68);		/* 85%: resumes */
	assert_int_equal(throttle_between_chunks(&t), 0);
	assert_true(sim.steps[1].done);
	assert_between(sim.t - sim.origin, 20, 20.5, "simulated time of the pause");
	assert_int_equal((int)fact_real(&t, "pauses"), 1);
	paused = fact_real(&t, "paused_seconds");
	assert_between(paused, 20, 20.5, "paused_seconds");
	assert_near(fact_paused_by(&t, "load"), paused, 1e-9, "paused_by.load");
	assert_true(fact_paused_by(&t, "io_pressure") < 0);
	assert_true(fact_paused_by(&t, "threads_running") < 0);
	assert_false(fact_bool(&t, "max_dump_time_reached"));

	/* Below the limit again: no more pauses. */
	sim_mark();
	assert_int_equal(throttle_between_chunks(&t), 0);
	assert_true(sim.t == sim.origin);
	assert_int_equal((int)fact_real(&t, "pauses"), 1);
	throttle_close(&t);
}

static void test_pause_io_pressure(void **state)
{
	struct throttle t;

	(void)state;
	job.tuning.max_io_pressure = 20;
	start(&t);
	assert_int_equal(throttle_gate(&t), 0);
	set_pressure(50);
	sim_mark();
	step_pressure(10, 19);		/* 95%: stays paused */
	step_pressure(20, 17);		/* 85%: resumes */
	assert_int_equal(throttle_between_chunks(&t), 0);
	assert_int_equal((int)fact_real(&t, "pauses"), 1);
	assert_between(fact_real(&t, "paused_seconds"), 20, 20.5, "paused_seconds");
	assert_between(fact_paused_by(&t, "io_pressure"), 20, 20.5, "paused_by.io_pressure");
	assert_true(fact_paused_by(&t, "load") < 0);
	throttle_close(&t);
}

/* Two pauses add up, each under its probe. */
static void test_pauses_add_up(void **state)
{
	struct throttle t;

	(void)state;
	job.tuning.max_load = 0.8;
	job.tuning.max_io_pressure = 20;
	start(&t);
	assert_int_equal(throttle_gate(&t), 0);
	set_load(1.5);
	sim_mark();
	step_load(4, 0.5);
	assert_int_equal(throttle_between_chunks(&t), 0);
	set_pressure(50);
	sim_mark();
	step_pressure(6, 5);
	assert_int_equal(throttle_between_chunks(&t), 0);
	assert_int_equal((int)fact_real(&t, "pauses"), 2);
	assert_between(fact_paused_by(&t, "load"), 4, 4.5, "paused_by.load");
	assert_between(fact_paused_by(&t, "io_pressure"), 6, 6.5, "paused_by.io_pressure");
	assert_between(fact_real(&t, "paused_seconds"), 10, 11, "paused_seconds");
	throttle_close(&t);
}

/* ---- max_dump_time ------------------------------------------------------------------ */

/* A db dump (max_threads_running 0: no connection) with a 10 s budget: the
 * io limit holds before it; a pause that would last for ever ends at it;
 * after it, no pauses and no io sleeps. */
static void test_max_dump_time(void **state)
{
	struct throttle t;
	double paused, t1;

	(void)state;
	make_job(JOB_DB);
	job.tuning.max_load = 0.8;
	job.tuning.io_limit = 1024 * 1024;
	job.db.max_dump_time = 10;
	start(&t);
	sim_mark();
	assert_int_equal(throttle_gate(&t), 0);
	throttle_io(&t, 3 * 1024 * 1024);
	assert_near(sim.t - sim.origin, (3 * MiB - t.io.burst) / MiB, 1e-9, "io sleep before the budget");
	assert_false(fact_bool(&t, "max_dump_time_reached"));

	set_load(1.5);			/* for ever */
	assert_int_equal(throttle_between_chunks(&t), 0);
	assert_between(sim.t - sim.origin, 10, 10.5, "simulated time when the budget ended the pause");
	assert_true(fact_bool(&t, "max_dump_time_reached"));
	paused = fact_real(&t, "paused_seconds");
	assert_between(paused, 10 - 2.75, 10.5 - 2.75, "paused_seconds");
	assert_near(fact_paused_by(&t, "load"), paused, 1e-9, "paused_by.load");

	/* Past the budget: between chunks returns at once, and io does not sleep. */
	t1 = sim.t;
	for (int i = 0; i < 5; i++)
		assert_int_equal(throttle_between_chunks(&t), 0);
	throttle_io(&t, 100 * 1024 * 1024);
	assert_true(sim.t == t1);
	assert_int_equal((int)fact_real(&t, "pauses"), 1);
	assert_near(fact_real(&t, "io_bytes"), 103 * MiB, 0.5, "io_bytes");
	throttle_close(&t);
}

/* A streamed table has no chunks: the io limit alone stops at the budget. */
static void test_max_dump_time_io_only(void **state)
{
	struct throttle t;

	(void)state;
	make_job(JOB_DB);
	job.tuning.io_limit = 1024 * 1024;
	job.db.max_dump_time = 10;
	start(&t);
	sim_mark();
	assert_int_equal(throttle_gate(&t), 0);
	for (int i = 0; i < 320; i++)		/* 20 MiB in 64 KiB writes */
		throttle_io(&t, 64 * 1024);
	assert_between(sim.t - sim.origin, 10, 10.0625, "time for 20 MiB at 1 MiB/s with a 10 s budget");
	assert_true(fact_bool(&t, "max_dump_time_reached"));
	assert_near(fact_real(&t, "io_bytes"), 20 * MiB, 0.5, "io_bytes");
	throttle_close(&t);
}

/* The budget counts from the end of the gate, not from throttle_init. */
static void test_max_dump_time_from_gate(void **state)
{
	struct throttle t;

	(void)state;
	make_job(JOB_DB);
	job.tuning.max_load = 0.8;
	job.tuning.max_wait = 30;
	job.db.max_dump_time = 10;
	set_load(1.5);
	start(&t);
	sim_mark();
	assert_int_equal(throttle_gate(&t), 0);
	assert_true(fact_bool(&t, "started_anyway"));
	assert_false(fact_bool(&t, "max_dump_time_reached"));
	assert_int_equal(throttle_between_chunks(&t), 0);
	assert_between(fact_real(&t, "paused_seconds"), 10, 10.5, "paused_seconds after a 30 s gate");
	assert_true(fact_bool(&t, "max_dump_time_reached"));
	throttle_close(&t);
}

/* max_dump_time is for db dumps: a files job keeps pausing (until cancelled here). */
static void test_max_dump_time_db_only(void **state)
{
	struct throttle t;

	(void)state;
	job.tuning.max_load = 0.8;
	job.db.max_dump_time = 10;
	start(&t);
	set_load(1.5);
	sim_mark();
	sim.cancel_at = 100;
	assert_int_equal(throttle_between_chunks(&t), -ECANCELED);
	assert_between(sim.t - sim.origin, 100, 100.5, "pause of a files job");
	assert_false(fact_bool(&t, "max_dump_time_reached"));
	throttle_close(&t);
}

/* ---- cancel ------------------------------------------------------------------------- */

static void test_cancel(void **state)
{
	struct throttle t;

	(void)state;
	job.tuning.max_load = 0.8;
	job.tuning.max_wait = 3600;
	set_load(1.5);

	/* During the gate. */
	start(&t);
	sim_mark();
	sim.cancel_at = 5;
	assert_int_equal(throttle_gate(&t), -ECANCELED);
	assert_between(sim.t - sim.origin, 5, 6, "time to cancel the gate");
	throttle_close(&t);

	/* During a pause: the pause so far is still counted. */
	cancel_flag = 0;
	set_load(0.5);
	start(&t);
	assert_int_equal(throttle_gate(&t), 0);
	set_load(1.5);
	sim_mark();
	sim.cancel_at = 7;
	assert_int_equal(throttle_between_chunks(&t), -ECANCELED);
	assert_between(sim.t - sim.origin, 7, 7.5, "time to cancel a pause");
	assert_between(fact_paused_by(&t, "load"), 7, 7.5, "paused_by.load of a cancelled pause");
	throttle_close(&t);

	/* Already set: at once, whatever the load. */
	set_load(0.5);
	start(&t);
	sim.cancel_at = -1;
	cancel_flag = 1;
	sim_mark();
	assert_int_equal(throttle_gate(&t), -ECANCELED);
	assert_int_equal(throttle_between_chunks(&t), -ECANCELED);
	assert_true(sim.t == sim.origin);
	throttle_close(&t);
}

/* ---- facts ------------------------------------------------------------------------------- */

static void test_facts_rate(void **state)
{
	static const char *const keys[] = {
		"waited_seconds", "started_anyway", "paused_seconds", "pauses", "paused_by",
		"io_limit_seconds", "io_limit", "io_bytes", "effective_rate", "max_dump_time_reached",
	};
	struct throttle t;
	json_t *f;
	double rate;

	(void)state;
	job.tuning.io_limit = 1024 * 1024;
	start(&t);
	assert_int_equal(throttle_gate(&t), 0);
	for (int i = 0; i < 160; i++)
		throttle_io(&t, 64 * 1024);
	rate = fact_real(&t, "effective_rate");
	/* 10 MiB in 9.75 s: the limit, plus the quarter second of burst. */
	assert_between(rate, MiB * 0.99, MiB * 1.03, "effective_rate");
	assert_near(fact_real(&t, "io_limit"), MiB, 0.5, "io_limit");
	assert_near(fact_real(&t, "io_bytes"), 10 * MiB, 0.5, "io_bytes");
	assert_near(fact_real(&t, "io_limit_seconds"), sim.slept, 1e-6, "io_limit_seconds");
	f = throttle_facts(&t);
	/* Every key the record promises. */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_object_get(f, keys[i]))
			fail_msg("no '%s' in the throttle facts", keys[i]);
	json_decref(f);
	throttle_close(&t);
}

/* ---- priorities, in children ------------------------------------------------------------ */

/* Field 19 of /proc/self/stat (after the parenthesised command name). */
static int read_nice(long *nice)
{
	char buf[1024], *p;
	FILE *f = fopen("/proc/self/stat", "re");
	size_t n;
	int field = 3;		/* p is at the space before this field */

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	p++;
	while (field < 19) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -1;
		field++;
	}
	*nice = strtol(p + 1, NULL, 10);
	return 0;
}

static long ioprio_get_self(void)
{
	return syscall(SYS_ioprio_get, 1, 0);
}

/* Child: applies NICE and IONICE (after setting the I/O priority to
 * BEFORE unless < 0); exits 0 when the kernel then reports WANT_NICE,
 * WANT_CLASS and (for best-effort) WANT_LEVEL. */
static void check_priority(long nice, enum ionice_class cls, long level, long before,
			   long want_nice, long want_class, long want_level)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		long got_nice, prio;

		if (before >= 0 && syscall(SYS_ioprio_set, 1, 0, before) < 0)
			_exit(10);
		job.tuning.nice = nice;
		job.tuning.ionice.cls = cls;
		job.tuning.ionice.level = level;
		if (throttle_apply_priority(&job) != 0)
			_exit(11);
		if (read_nice(&got_nice) < 0)
			_exit(12);
		if (got_nice != want_nice)
			_exit(13);
		prio = ioprio_get_self();
		if (prio < 0)
			_exit(14);
		if ((prio >> 13) != want_class)
			_exit(15);
		if (want_class == 2 && (prio & 7) != want_level)
			_exit(16);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("priority nice %ld class %d level %ld: child exit %d", nice, (int)cls, level,
			 WEXITSTATUS(status));
}

static void test_priority(void **state)
{
	long base;

	(void)state;
	assert_int_equal(read_nice(&base), 0);
	if (base > 5)
		skip();		/* lowering nice needs privileges */
	/* The defaults: nice 10, the idle class. */
	check_priority(10, IONICE_IDLE, 0, -1, 10, 3, 0);
	check_priority(5, IONICE_BEST_EFFORT, 5, -1, 5, 2, 5);
	check_priority(7, IONICE_BEST_EFFORT, 0, -1, 7, 2, 0);
	/* none leaves the I/O priority as it was (best-effort 3 here). */
	check_priority(10, IONICE_NONE, 0, (2 << 13) | 3, 10, 2, 3);
}

/* ---- run slots (parallel_jobs) ------------------------------------------------------------ */

static int slot_setup(void **state)
{
	(void)state;
	snprintf(slotdir, sizeof(slotdir), "/tmp/test-throttle-slots-XXXXXX");
	return mkdtemp(slotdir) ? 0 : -1;
}

static int slot_teardown(void **state)
{
	(void)state;
	test_rm_rf(slotdir);
	return 0;
}

/* Child: takes a slot of PARALLEL (closing the parent's inherited FD first,
 * which would otherwise keep its lock); exit 0 when the outcome is WANT_R
 * after a wait between MIN_WAIT and MAX_WAIT seconds. */
static pid_t slot_child(int inherited, long parallel, bool cancelled, int want_r, double min_wait, double max_wait)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		volatile sig_atomic_t c = cancelled;
		double waited = -1;
		int fd = -1, r;

		close(inherited);
		r = jobstate_take_slot(slotdir, parallel, &c, &fd, &waited);
		if (r != want_r)
			_exit(20);
		if (r == 0 && (fd < 0 || waited < min_wait || waited > max_wait))
			_exit(21);
		if (r < 0 && fd != -1)
			_exit(22);
		jobstate_unlock(fd);
		_exit(0);
	}
	return pid;
}

static int child_status(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_slots(void **state)
{
	struct timespec hold = { 0, 700000000 };
	double waited = -1;
	int fd = -1;
	pid_t pid;

	(void)state;
	assert_int_equal(jobstate_take_slot(slotdir, 1, NULL, &fd, &waited), 0);
	assert_true(fd >= 0);
	assert_true(waited >= 0 && waited < 0.1);
	/* parallel_jobs = 1: the other process cannot have one; cancel stops its wait. */
	assert_int_equal(child_status(slot_child(fd, 1, true, -ECANCELED, 0, 0)), 0);
	/* parallel_jobs = 2: the second slot, at once. */
	assert_int_equal(child_status(slot_child(fd, 2, false, 0, 0, 0.1)), 0);
	/* parallel_jobs = 1: waits until ours is released. */
	pid = slot_child(fd, 1, false, 0, 0.5, 3.0);
	nanosleep(&hold, NULL);
	jobstate_unlock(fd);
	assert_int_equal(child_status(pid), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bucket_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bucket_paces_finely, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bucket_unlimited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bucket_big_take, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bucket_burst_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bucket_shared_between_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gate_load_max_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gate_load_below, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gate_until_load_falls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gate_io_pressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_load_hysteresis, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_io_pressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pauses_add_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_dump_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_dump_time_io_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_dump_time_from_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_dump_time_db_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_facts_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slots, slot_setup, slot_teardown),
	};

	log_init("test-throttle", LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

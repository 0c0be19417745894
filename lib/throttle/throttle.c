/*
 * throttle — see throttle.h for what and why.
 */
#include "throttle.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "adapt.h"
#include "jobkind.h"
#include "log.h"
#include "monoclock.h"

#define GATE_STEP	1.0	/* seconds between gate checks */
#define PAUSE_STEP	0.5	/* seconds between checks while paused */
#define RESUME_BELOW	0.9	/* a pause ends below this fraction of the limit */
#define LOADAVG_TAU	60.0	/* seconds: the 1-minute load average's time constant */
#define BURST_PER_SECOND	2000	/* the bucket's burst is 1/2000 s of its rate ... */
#define TBUCKET_MIN_BURST	(16.0 * 1024)	/* ... and at least this many bytes */

/* The adaptive rate (ratectl.h): it starts at START (doubling from there while
 * the site does not notice), never goes below FLOOR, nor above io_limit or,
 * with io_limit = 0, CEILING (a paced job does not reach it on this hardware:
 * it is "as fast as the job can"); a cut keeps DECREASE of the rate, a
 * second cut waits HOLD seconds (the next window still shows the old rate),
 * and after the first cut the rate grows by INCREASE bytes/s per second. */
#define ADAPT_START	(8.0 * 1024 * 1024)
#define ADAPT_FLOOR	(1.0 * 1024 * 1024)
#define ADAPT_CEILING	(1024.0 * 1024 * 1024)
#define ADAPT_DECREASE	0.7
#define ADAPT_HOLD	1.0
#define ADAPT_INCREASE	(1.0 * 1024 * 1024)

/* I/O priority, from linux/ioprio.h (not in glibc). */
#define IOPRIO_CLASS_SHIFT	13
#define IOPRIO_CLASS_BE		2
#define IOPRIO_CLASS_IDLE	3
#define IOPRIO_WHO_PROCESS	1

static const char *probe_name(const struct throttle *t, int p)
{
	if (p == PROBE_LOAD)
		return "load";
	if (p == PROBE_IO_PRESSURE)
		return "io_pressure";
	return t->kind ? t->kind->probes[p - PROBE_KIND].name : "?";
}

/* ---- the real clock ------------------------------------------------------ */

static double real_now(void *ctx)
{
	(void)ctx;
	return monoclock_now();
}

static void real_sleep(void *ctx, double s)
{
	struct timespec ts;

	(void)ctx;
	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	/* A signal (Ctrl-C) cuts the sleep short; the caller checks cancel. */
	nanosleep(&ts, NULL);
}

static const struct throttle_clock real_clock = { real_now, real_sleep, NULL };

/* ---- token bucket ------------------------------------------------------------ */

/* Half a millisecond of budget (16 KiB at least): the most a job runs ahead
 * before it sleeps, so its CPU comes in short stretches (see throttle.h); the
 * sleeps cost a syscall each, a few thousand a second. */
static double burst_of(double rate)
{
	return rate / BURST_PER_SECOND > TBUCKET_MIN_BURST ? rate / BURST_PER_SECOND : TBUCKET_MIN_BURST;
}

void tbucket_init(struct tbucket *b, double rate, const struct throttle_clock *clock)
{
	b->clock = clock ? clock : &real_clock;
	b->rate = rate;
	b->burst = burst_of(rate);
	b->tokens = b->burst;
	b->last = b->clock->now(b->clock->ctx);
	b->shared_fd = -1;
	b->shared_tat = NULL;
}

/* GCRA over the shared arrival time: each take moves it on by N/RATE, and a
 * taker sleeps while it is more than the burst ahead of now. */
static double tbucket_take_shared(struct tbucket *b, uint64_t n)
{
	double now, tat, tau = b->burst / b->rate, wait;

	if (flock(b->shared_fd, LOCK_EX) < 0)
		return 0;	/* cannot happen on a regular file we opened; never block the job on it */
	now = monoclock_now();
	tat = *b->shared_tat;
	/* Older than now (idle), or from before a reboot (far ahead): start afresh. */
	if (tat < now || tat > now + tau + 3600)
		tat = now;
	tat += (double)n / b->rate;
	*b->shared_tat = tat;
	flock(b->shared_fd, LOCK_UN);
	wait = tat - now - tau;
	if (wait <= 0)
		return 0;
	b->clock->sleep(b->clock->ctx, wait);
	return wait;
}

int tbucket_share(struct tbucket *b, const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	void *map;

	if (fd < 0 || ftruncate(fd, (off_t)sizeof(double)) < 0) {
		int r = -errno;

		log_err(LOG_LVL_ERROR, errno, "%s: cannot open the shared I/O bucket", path);
		if (fd >= 0)
			close(fd);
		return r;
	}
	map = mmap(NULL, sizeof(double), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		int r = -errno;

		log_err(LOG_LVL_ERROR, errno, "%s: cannot map the shared I/O bucket", path);
		close(fd);
		return r;
	}
	b->shared_fd = fd;
	b->shared_tat = map;
	return 0;
}

void tbucket_set_rate(struct tbucket *b, double rate)
{
	b->rate = rate;
	b->burst = burst_of(rate);
	if (b->tokens > b->burst)
		b->tokens = b->burst;
}

void tbucket_unshare(struct tbucket *b)
{
	if (b->shared_tat)
		munmap(b->shared_tat, sizeof(double));
	if (b->shared_fd >= 0)
		close(b->shared_fd);
	b->shared_fd = -1;
	b->shared_tat = NULL;
}

double tbucket_take(struct tbucket *b, uint64_t n)
{
	double now, wait;

	if (b->rate <= 0)
		return 0;
	if (b->shared_tat)
		return tbucket_take_shared(b, n);
	now = b->clock->now(b->clock->ctx);
	b->tokens += (now - b->last) * b->rate;
	if (b->tokens > b->burst)
		b->tokens = b->burst;
	b->last = now;
	b->tokens -= (double)n;
	if (b->tokens >= 0)
		return 0;
	wait = -b->tokens / b->rate;
	b->clock->sleep(b->clock->ctx, wait);
	return wait;
}

/* ---- probes -------------------------------------------------------------------- */

static double now_of(const struct throttle *t)
{
	return t->clock->now(t->clock->ctx);
}

static bool cancelled(const struct throttle *t)
{
	return t->cancel && *t->cancel;
}

static int read_proc(const struct throttle *t, const char *name, char *buf, size_t len)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", t->proc, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

static double own_cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Load average per CPU, less what this process itself contributes. */
static double probe_load(struct throttle *t)
{
	double load, now = now_of(t), cpu = own_cpu_seconds(), dt;
	char buf[256];

	if (read_proc(t, "loadavg", buf, sizeof(buf)) < 0 || sscanf(buf, "%lf", &load) != 1)
		return 0;
	dt = now - t->own_cpu_at;
	if (dt > 0.05) {
		double rate = (cpu - t->own_cpu_last) / dt, k = exp(-dt / LOADAVG_TAU);

		t->own_cpu_ema = t->own_cpu_ema * k + rate * (1 - k);
		t->own_cpu_last = cpu;
		t->own_cpu_at = now;
	}
	load -= t->own_cpu_ema;
	return load > 0 ? load / t->ncpu : 0;
}

/* PSI "some avg10" of I/O, in percent; 0 where the kernel has no PSI. */
static double probe_io_pressure(struct throttle *t)
{
	char buf[512], *p;

	if (read_proc(t, "pressure/io", buf, sizeof(buf)) < 0)
		return 0;
	p = strstr(buf, "some avg10=");
	return p ? strtod(p + 11, NULL) : 0;
}

double throttle_probe(struct throttle *t, enum throttle_probe p, double *limit)
{
	const struct job_tuning *tu = &t->job->tuning;

	switch (p) {
	case PROBE_LOAD:
		*limit = tu->max_load;
		return *limit > 0 ? probe_load(t) : 0;
	case PROBE_IO_PRESSURE:
		*limit = tu->max_io_pressure;
		return *limit > 0 ? probe_io_pressure(t) : 0;
	default: {
		size_t i = (size_t)p - PROBE_KIND;

		if (p < PROBE_KIND || !t->kind || i >= t->kind->nprobes || !t->probe_open[i]) {
			*limit = 0;
			return 0;
		}
		*limit = t->kind->probes[i].limit(t->job);
		return *limit > 0 ? t->kind->probes[i].read(t, t->probe_state[i]) : 0;
	}
	}
}

double throttle_now(const struct throttle *t)
{
	return now_of(t);
}

/* The first probe above FRACTION of its limit, or -1; its value in *VALUE. */
static int probe_over(struct throttle *t, double fraction, double *value, double *limit)
{
	for (int p = 0; p < PROBE_COUNT; p++) {
		double v = throttle_probe(t, (enum throttle_probe)p, limit);

		if (*limit > 0 && v > *limit * fraction) {
			*value = v;
			return p;
		}
	}
	return -1;
}

/* ---- life cycle ------------------------------------------------------------------ */

int throttle_init(struct throttle *t, const struct job *job, const struct throttle_clock *clock,
		  volatile sig_atomic_t *cancel)
{
	long n;
	int r;

	memset(t, 0, sizeof(*t));
	t->job = job;
	t->clock = clock ? clock : &real_clock;
	t->cancel = cancel;
	t->proc = "/proc";
	n = sysconf(_SC_NPROCESSORS_ONLN);
	t->ncpu = n > 0 ? (int)n : 1;
	tbucket_init(&t->io, (double)job->tuning.io_limit, t->clock);
	t->start = now_of(t);
	t->own_cpu_at = t->start;
	t->own_cpu_last = own_cpu_seconds();
	t->kind = jobkind_of(job) ? jobkind_of(job)->throttle : NULL;
	if (t->kind && t->kind->budget)
		t->budget = t->kind->budget(job);
	if (t->budget > 0)
		t->budget_at = t->start + (double)t->budget;
	for (size_t i = 0; t->kind && i < t->kind->nprobes && i < PROBE_COUNT - PROBE_KIND; i++) {
		const struct throttle_probe_def *pd = &t->kind->probes[i];

		if (pd->limit(job) <= 0)
			continue;
		r = pd->open ? pd->open(job, &t->probe_state[i]) : 0;
		if (r < 0)
			return r;
		t->probe_open[i] = true;
	}
	/* The real clock only: the controller's thread measures real time. */
	if (job->tuning.max_latency_increase > 0 && !clock)
		return adapt_start(&t->adapt, job, job->tuning.max_latency_increase / 100, t->kind);
	return 0;
}

int throttle_share_io(struct throttle *t, const char *state_dir)
{
	char path[4200];

	if (t->io.rate <= 0 || config_job_sets(t->job, "io_limit"))
		return 0;
	if (snprintf(path, sizeof(path), "%s/locks/io-bucket", state_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return tbucket_share(&t->io, path);
}

void throttle_close(struct throttle *t)
{
	adapt_free(t->adapt);
	t->adapt = NULL;
	tbucket_unshare(&t->io);
	for (size_t i = 0; t->kind && i < t->kind->nprobes && i < PROBE_COUNT - PROBE_KIND; i++) {
		if (t->probe_open[i] && t->kind->probes[i].close)
			t->kind->probes[i].close(t->probe_state[i]);
		t->probe_open[i] = false;
		t->probe_state[i] = NULL;
	}
}

int throttle_apply_priority(const struct job *job)
{
	const struct ionice *io = &job->tuning.ionice;
	int prio = -1, r = 0;

	if (setpriority(PRIO_PROCESS, 0, (int)job->tuning.nice) < 0) {
		r = -errno;
		log_err(LOG_LVL_WARN, errno, "job %s: cannot set nice %ld", job->name, job->tuning.nice);
	}
	if (io->cls == IONICE_IDLE)
		prio = IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT;
	else if (io->cls == IONICE_BEST_EFFORT)
		prio = (IOPRIO_CLASS_BE << IOPRIO_CLASS_SHIFT) | (int)io->level;
	if (prio >= 0 && syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, prio) < 0) {
		r = -errno;
		log_err(LOG_LVL_WARN, errno, "job %s: cannot set the I/O class", job->name);
	}
	return r;
}

/* ---- gate and pauses ---------------------------------------------------------------- */

int throttle_gate(struct throttle *t)
{
	double t0 = now_of(t), value, limit;
	int p;

	for (;;) {
		if (cancelled(t))
			return -ECANCELED;
		p = probe_over(t, 1.0, &value, &limit);
		if (p < 0)
			break;
		if (!t->gate_reason[0]) {
			snprintf(t->gate_reason, sizeof(t->gate_reason), "%s %.2f above %.2f",
				 probe_name(t, p), value, limit);
			log_info("job %s: waiting to start: %s (at most %lds)", t->job->name,
				 t->gate_reason, (long)t->job->tuning.max_wait);
		}
		if (now_of(t) - t0 >= (double)t->job->tuning.max_wait) {
			t->started_anyway = true;
			log_warn("job %s: starting anyway after waiting %lds: %s %.2f is above %.2f",
				 t->job->name, (long)t->job->tuning.max_wait, probe_name(t, p), value, limit);
			break;
		}
		t->clock->sleep(t->clock->ctx, GATE_STEP);
	}
	t->waited = now_of(t) - t0;
	if (t->gate_reason[0] && !t->started_anyway)
		log_info("job %s: starting after waiting %.0fs", t->job->name, t->waited);
	/* The budget for pauses counts from the real start. */
	if (t->budget_at > 0)
		t->budget_at = now_of(t) + (double)t->budget;
	t->start = now_of(t);
	return 0;
}

static bool budget_spent(struct throttle *t)
{
	if (!t->budget_spent && t->budget_at > 0 && now_of(t) >= t->budget_at) {
		t->budget_spent = true;
		log_warn("job %s: %s (%lds) reached: no more pauses, finishing at full speed",
			 t->job->name, t->kind && t->kind->budget_key ? t->kind->budget_key : "the pause budget",
			 (long)t->budget);
	}
	return t->budget_spent;
}

int throttle_between_chunks(struct throttle *t)
{
	double t0, value, limit;
	int p;

	if (cancelled(t))
		return -ECANCELED;
	if (budget_spent(t))
		return 0;
	p = probe_over(t, 1.0, &value, &limit);
	if (p < 0)
		return 0;
	t->pauses++;
	t0 = now_of(t);
	log_info("job %s: pausing: %s %.2f above %.2f", t->job->name, probe_name(t, p), value, limit);
	/* Paused until every probe is below 90% of its limit. */
	while (probe_over(t, RESUME_BELOW, &value, &limit) >= 0) {
		if (cancelled(t)) {
			t->paused[p] += now_of(t) - t0;
			return -ECANCELED;
		}
		if (budget_spent(t))
			break;
		t->clock->sleep(t->clock->ctx, PAUSE_STEP);
	}
	t->paused[p] += now_of(t) - t0;
	log_info("job %s: resuming after %.1fs", t->job->name, now_of(t) - t0);
	return 0;
}

bool throttle_paced(const struct throttle *t)
{
	return t->io.rate > 0 || t->adapt;
}

void throttle_own_statements(struct throttle *t, unsigned n)
{
	if (t->adapt)
		adapt_own_statements(t->adapt, n);
}

/* The first byte: the baseline is measured by now (adapt_begin waits for it),
 * and the controller starts. */
static void adapt_first(struct throttle *t)
{
	double ceiling = t->job->tuning.io_limit > 0 ? (double)t->job->tuning.io_limit : ADAPT_CEILING;
	struct ratectl_params p = {
		.floor = fmin(ADAPT_FLOOR, ceiling), .ceiling = ceiling, .start = ADAPT_START,
		.decrease = ADAPT_DECREASE, .increase = ADAPT_INCREASE, .hold = ADAPT_HOLD,
	};

	/* The budget, on the controller's clock (the real monotonic one). */
	if (t->budget_at > 0)
		p.budget_at = monoclock_now() + (t->budget_at - now_of(t));
	t->adapt_begun = true;
	tbucket_set_rate(&t->io, adapt_begin(t->adapt, &p));
}

bool throttle_full_speed(struct throttle *t)
{
	return budget_spent(t);
}

void throttle_io(struct throttle *t, uint64_t n)
{
	t->io_bytes += n;
	if (t->adapt) {
		if (!t->adapt_begun)
			adapt_first(t);
		adapt_moved(t->adapt, n);
	}
	/* Past max_dump_time the dump finishes at full speed. */
	if (t->budget_spent || budget_spent(t))
		return;
	if (t->adapt && t->io.rate != adapt_rate(t->adapt))
		tbucket_set_rate(&t->io, adapt_rate(t->adapt));
	t->io_slept += tbucket_take(&t->io, n);
}

json_t *throttle_facts(const struct throttle *t)
{
	double elapsed = now_of(t) - t->start, paused = 0;
	json_t *per = json_object(), *facts;

	for (int p = 0; p < PROBE_COUNT; p++) {
		paused += t->paused[p];
		if (t->paused[p] > 0)
			json_object_set_new(per, probe_name(t, p), json_real(t->paused[p]));
	}
	facts = json_pack("{s:f, s:b, s:s?, s:f, s:i, s:o, s:f, s:I, s:I, s:f, s:b, s:b}",
			 "waited_seconds", t->waited, "started_anyway", t->started_anyway,
			 "gate_reason", t->gate_reason[0] ? t->gate_reason : NULL,
			 "paused_seconds", paused, "pauses", (int)t->pauses, "paused_by", per,
			 "io_limit_seconds", t->io_slept, "io_limit", (json_int_t)t->io.rate,
			 "io_bytes", (json_int_t)t->io_bytes,
			 "effective_rate", elapsed > 0 ? (double)t->io_bytes / elapsed : 0.0,
			 "max_dump_time_reached", t->budget_spent, "paced", throttle_paced(t));
	if (facts && t->adapt)
		json_object_set_new(facts, "controller", adapt_facts(t->adapt));
	return facts;
}

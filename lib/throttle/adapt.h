/*
 * adapt — the adaptive part of a job's throttle: a thread that measures, while
 * the job runs, whether the site is waiting because of it, and sets the rate
 * the job's token bucket lets it move at (max_latency_increase).
 *
 * Every ADAPT_WINDOW seconds it takes a window of its signals:
 *   - a kind's canary, if the kind has one: a db job's is a primary-key
 *     lookup of a random row of the job's largest table (the same one all
 *     run, so windows compare), on its own connection, about every 10 ms
 *     at random times (so it sees the buffer-pool misses and the queueing
 *     a site query would); a files or logs job's a 4 KiB direct read of one
 *     of its files (diskcanary.h);
 *     the window's value is the canaries' geometric mean latency;
 *   - the mean read latency of the device holding the job's data;
 *   - the share of time some task stalled for a CPU, and for I/O (PSI).
 * Before the job moves its first byte, ADAPT_BASELINE seconds of windows give
 * each signal's baseline: the site on its own.  A window is over the target
 * when a latency exceeds its baseline by more than the target (plus a small
 * absolute slack, so noise in microsecond figures is not a signal), or when a
 * stall share exceeds its baseline by more than the target's share of the
 * window, or when the canary's tail grows: a site's p99 is made of its slow
 * queries, which a typical latency hides, so the share of lookups slower
 * than 9 in 10 were before the job may at most double (the bench's own tail
 * target, tests/bench/db-impact.sh).  The verdicts drive ratectl (AIMD),
 * whose rate throttle_io applies.  The tail test is what slows a dump down
 * on a busy mixed-read site (measured in db-impact: read_only p99 1.11x idle
 * with it, 1.57x without; dumps 1.5x gzip's time with it, 0.6x without);
 * on point lookups neither way kept p99 within the target (README).
 *
 * Nobody to notice, nothing to protect: a window in which the canary's server
 * ran hardly any statement but the job's and the canary's own (fewer than
 * ADAPT_SITE_IDLE a second) is not judged on the canary, so on a quiet night
 * the job speeds up to what the host signals allow, where a canary alone
 * (the only client there is) would have held it back for itself.  For a
 * canary with no server (the disk canary of files and logs jobs) the site
 * is what others read from the device: less than ADAPT_DISK_IDLE KiB a
 * second besides this process's own reads (congestion.h), and its small
 * reads are only waiting behind the job's own queue.  The device's read
 * latency follows the same rule for every kind: when nobody else reads from
 * the device, a slower read is the job's own (a db job's reads are the
 * server's, so others', and its device signal is always judged).
 *
 * What it does not do: sleep the job (the token bucket does), pause it on
 * load or Threads_running (throttle.c's probes still do), or stop backing off
 * past the budget by itself (ratectl does, given the time).  A signal that
 * cannot be read (no PSI, no device, a canary query that fails) is left out
 * and the record says which were used; a canary that fails is logged once.
 */
#ifndef LIFEBOAT_ADAPT_H
#define LIFEBOAT_ADAPT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "congestion.h"
#include "ratectl.h"

#define ADAPT_WINDOW	0.5	/* seconds per window */
#define ADAPT_BASELINE	1.0	/* seconds of windows before the job starts */
#define ADAPT_SITE_IDLE	20.0	/* statements a second of others: below, the site is idle */
#define ADAPT_DISK_IDLE	256.0	/* KiB a second others read from the device: below, idle */

struct throttle_kind;
struct job;

enum adapt_signal {
	ADAPT_CANARY,
	ADAPT_DISK,
	ADAPT_PSI_CPU,
	ADAPT_PSI_IO,
	ADAPT_NSIGNALS,
};

/* One signal's figures over the run. */
struct adapt_stat {
	bool base_ok;
	double base;			/* baseline (ms, or share) */
	double sum;			/* of window values, for the mean */
	unsigned windows;		/* windows with a value */
	unsigned over;			/* windows over the target */
	double peak;
	double base_var;		/* variance of the baseline's samples */
	double baseline_n, baseline_sum, baseline_sq; /* samples before the start */
	unsigned baseline_windows;
	double prev_n, prev_sum, prev_sq; /* the window before, for a sampled signal */
};

/* A window's values, as the thread measured them (tests make their own). */
struct adapt_window {
	bool ok[ADAPT_NSIGNALS];
	double value[ADAPT_NSIGNALS];	/* ms for latencies, 0..1 for shares; the
					 * geometric mean of the samples if sampled */
	unsigned n[ADAPT_NSIGNALS];	/* samples (the canary's lookups); 0 = one value */
	double sumsq[ADAPT_NSIGNALS];	/* of the samples' natural logarithms, when n > 0 */
	const double *samples;		/* the canary's lookups, ms (n[ADAPT_CANARY] of them) */
	bool site_known;		/* site_rate was measured */
	double site_rate;		/* others' statements a second on the canary's server,
					 * or KiB a second they read from the device */
	double site_idle_below;		/* site_rate under which the site is idle
					 * (0: ADAPT_SITE_IDLE) */
	bool others_known;		/* others_kib was measured */
	double others_kib;		/* KiB a second others read from the job's device */
};

#define ADAPT_MAX_SAMPLES 256		/* canary lookups kept for a window */

/* The judge: baselines, target and the controller, without threads or I/O,
 * so a test can feed it a simulated signal. */
struct adapt_judge {
	double target;			/* max_latency_increase as a fraction (0.25) */
	/* The canary's tail: lookups slower than SLOW_MS (the 9th decile of
	 * the lookups before the start) may be at most twice as common as
	 * before the job; the counts of the window before. */
	double base_samples[ADAPT_MAX_SAMPLES];
	unsigned nbase_samples;
	double slow_ms;
	unsigned prev_slow, prev_total;
	unsigned slow_over;		/* windows over on the tail */
	unsigned site_idle;		/* windows not judged on the canary: nobody on the site */
	struct adapt_stat stat[ADAPT_NSIGNALS];
	struct ratectl rc;
	bool started;			/* the job has begun: baseline windows done */
};

void adapt_judge_init(struct adapt_judge *j, double target);
/* A window before the job started: it goes into the baselines. */
void adapt_judge_baseline(struct adapt_judge *j, const struct adapt_window *w);
/* The job starts at NOW: baselines are fixed and the controller begins. */
void adapt_judge_start(struct adapt_judge *j, const struct ratectl_params *p, double now);
/* A window of the running job ended at NOW, in which it moved MOVED bytes/s:
 * its verdict, and the controller's new rate. */
enum ratectl_verdict adapt_judge_window(struct adapt_judge *j, const struct adapt_window *w, double now,
					double moved);
/* The record's "controller" object (new reference). */
json_t *adapt_judge_facts(const struct adapt_judge *j, double now);

struct adapt;

/* Starts the measuring thread for JOB with target TARGET (a fraction), with
 * the canary of KIND (NULL or none: no canary; opened here, its errors fail
 * the run) and the device of KIND's data path.  Returns 0 or a negative
 * errno (logged). */
int adapt_start(struct adapt **out, const struct job *job, double target, const struct throttle_kind *kind);
/* The job begins moving bytes now: waits until the baseline is measured,
 * then starts the controller with P.  Returns the first rate. */
double adapt_begin(struct adapt *a, const struct ratectl_params *p);
/* Bytes the job moved (summed for the windows' MOVED). */
void adapt_moved(struct adapt *a, uint64_t n);
/* The job sent N statements of its own to the canary's server. */
void adapt_own_statements(struct adapt *a, unsigned n);
/* The rate to apply now (bytes/s). */
double adapt_rate(struct adapt *a);
/* Stops the thread; the facts stay readable until adapt_free. */
void adapt_stop(struct adapt *a);
json_t *adapt_facts(struct adapt *a);
void adapt_free(struct adapt *a);

#endif

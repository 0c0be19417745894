/*
 * throttle — keeps a backup from spiking the server it protects.
 *
 * Four tools, all driven from the job's own process:
 *   - a gate before the run: wait while the load, the I/O pressure or a
 *     probe of the job's kind (a db job's Threads_running) is above its
 *     limit, up to max_wait, then start anyway and say so;
 *   - pauses between chunks while a probe is above its limit, resumed when
 *     it falls below 90% of it (hysteresis, so it does not flap);
 *   - a token bucket holding the bytes read and written to io_limit per
 *     second;
 *   - CPU nice and the idle I/O class for the job process.
 * A kind may give the pauses a budget (a db dump keeps its snapshot open
 * while paused, which grows InnoDB's history list, so past max_dump_time it
 * stops pausing and finishes at full speed; the record says so).
 *
 * The load probe is the 1-minute load average per CPU with the job's own
 * CPU use taken out (an exponential average with the same one-minute time
 * constant), so a dump does not pause for the load it makes itself.  The
 * kinds' own probes and budget come from the kind table (jobkind.h,
 * struct throttle_kind); this module knows no database.
 *
 * A job with an io_limit is also *paced*: it does its work in short
 * stretches with sleeps between them.  On the machine issue 8 measures on
 * (kernel 6.18, preempt=none, 2 vCPUs), a client that wakes waits for
 * whatever holds its CPU to sleep or for the next tick, whatever that
 * holder's nice or scheduling class: busy stretches of 2 ms raised a
 * workload's p99 four-fold, stretches of 0.2 ms hardly at all
 * (tests/bench/interference.sh).  So the bucket lets a job run only half a
 * millisecond of budget ahead, a paced job compresses in its own thread in
 * THROTTLE_PACED_BLOCK pieces (zstd's worker threads run a 2 MiB job in one
 * go), and a paced db dump asks the server for about THROTTLE_PACED_CHUNK
 * bytes of rows at a time, which bounds the server thread's stretches too.
 *
 * With max_latency_increase set (the default), the bucket's rate is not
 * fixed: adapt.h measures while the job runs whether the site waits because
 * of it (a kind's canary query, the data's device latency, PSI) and moves
 * the rate between a floor and io_limit (no limit when 0) to keep the site's
 * latency within that increase; ratectl.h is the controller.
 *
 * The clock is injectable so the token bucket can be tested in simulated
 * time.  What this module does not do: choose which jobs run together
 * (parallel_jobs is a slot lock in jobrun) or how artifacts reach the disk
 * (outfile.h: direct I/O).
 */
#ifndef LIFEBOAT_THROTTLE_H
#define LIFEBOAT_THROTTLE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "config.h"

/* A clock: seconds (monotonic) and a sleep; tests pass a simulated one. */
struct throttle_clock {
	double (*now)(void *ctx);
	void (*sleep)(void *ctx, double seconds);
	void *ctx;
};

/* Bytes compressed between two flushes of a paced job's zstd stream. */
#define THROTTLE_PACED_BLOCK (16u * 1024)
/* Bytes of SQL a paced dump asks the server for at a time. */
#define THROTTLE_PACED_CHUNK (32u * 1024)

/* Token bucket: RATE bytes/s, BURST bytes; tokens may go negative (debt),
 * which is then slept off, so the long-run rate is exact. */
struct tbucket {
	double rate;			/* bytes per second; 0 = unlimited */
	double burst;			/* most tokens that can accumulate */
	double tokens;			/* available now (negative: owed) */
	double last;			/* clock time of the last refill */
	const struct throttle_clock *clock;
	/* Shared between processes (tbucket_share): the bucket is then the
	 * "theoretical arrival time" of the next byte in a file every sharer
	 * maps, under a flock, instead of TOKENS. */
	int shared_fd;			/* -1 = not shared */
	double *shared_tat;		/* mapped from the file */
};

void tbucket_init(struct tbucket *b, double rate, const struct throttle_clock *clock);
/* Takes N bytes' worth; sleeps while the bucket is in debt.  Returns the
 * seconds slept. */
double tbucket_take(struct tbucket *b, uint64_t n);
/* Makes B one bucket shared by every process that shares PATH (created 0600):
 * together they take RATE bytes per second, each sleeping for its share.
 * Uses CLOCK_MONOTONIC, common to all processes, whatever B's clock.
 * Returns 0 or a negative errno (logged). */
int tbucket_share(struct tbucket *b, const char *path);
void tbucket_unshare(struct tbucket *b);
/* A new RATE (and the burst that goes with it), from now on. */
void tbucket_set_rate(struct tbucket *b, double rate);

enum throttle_probe {
	PROBE_LOAD,
	PROBE_IO_PRESSURE,
	PROBE_KIND,			/* the first probe of the job's kind, then the next ones */
	PROBE_COUNT = PROBE_KIND + 4,	/* room for 4 probes of a kind */
};

struct throttle;
struct adapt;

/* A probe a job kind adds to load and I/O pressure. */
struct throttle_probe_def {
	const char *name;		/* in messages and the record's paused_by */
	/* The limit for JOB; 0 = off (and the probe is not opened). */
	double (*limit)(const struct job *job);
	/* Opens what it reads (a connection) into *STATE.  0, or a negative
	 * errno (logged): the run fails. */
	int (*open)(const struct job *job, void **state);
	/* The current value. */
	double (*read)(struct throttle *t, void *state);
	void (*close)(void *state);
};

/* A kind's canary for the adaptive throttle (adapt.h): a cheap operation on
 * the site's own server whose latency rises when the job is in the site's
 * way.  Called from the throttle's measuring thread only. */
struct throttle_canary_def {
	const char *name;		/* in the record and messages */
	/* Opens what it uses (its own connection) into *STATE.  0, or a
	 * negative errno (logged): the run fails. */
	int (*open)(const struct job *job, void **state);
	/* One canary: its latency in *SECONDS.  0; 1 = nothing to measure
	 * yet; a negative errno when it failed (not logged: adapt counts). */
	int (*sample)(void *state, double *seconds);
	/* The statements the server has run since it started, all clients
	 * together (MariaDB's Questions), so that a site with nobody on it
	 * does not hold a job back for its canary's sake.  0, or a negative
	 * errno.  NULL: not known. */
	int (*activity)(void *state, double *statements);
	void (*close)(void *state);
};

/* What a job kind adds to throttling (jobkind_ops.throttle). */
struct throttle_kind {
	const struct throttle_probe_def *probes;
	size_t nprobes;			/* at most PROBE_COUNT - PROBE_KIND */
	/* The adaptive throttle's canary, or NULL. */
	const struct throttle_canary_def *canary;
	/* The path whose block device holds the job's data (a datadir, a web
	 * root), into BUF; CANARY_STATE is the open canary's, or NULL.  false:
	 * none known (no device latency signal). */
	bool (*data_path)(const struct job *job, void *canary_state, char *buf, size_t len);
	/* Seconds after which the job no longer pauses nor sleeps for
	 * io_limit (0 = never), and the key that sets it, for messages. */
	int64_t (*budget)(const struct job *job);
	const char *budget_key;
};

struct throttle {
	const struct job *job;
	const struct throttle_clock *clock;
	volatile sig_atomic_t *cancel;	/* set: stop waiting, return -ECANCELED */
	const char *proc;		/* root of /proc files (tests point it elsewhere) */
	struct tbucket io;		/* io_limit */
	const struct throttle_kind *kind; /* the job kind's probes and budget, or NULL */
	void *probe_state[PROBE_COUNT - PROBE_KIND]; /* opened kind probes, or NULL */
	bool probe_open[PROBE_COUNT - PROBE_KIND];
	double start;			/* clock time the run started */
	int64_t budget;			/* seconds of pauses allowed from the start; 0 = no limit */
	double budget_at;		/* clock time past which no more pauses; 0 = none */
	bool budget_spent;		/* the budget (max_dump_time) passed */
	double own_cpu_ema;		/* our CPU use, in CPUs, averaged like loadavg */
	double own_cpu_last;		/* our CPU seconds at the last load probe */
	double own_cpu_at;		/* clock time of that probe */
	int ncpu;
	double waited;			/* seconds at the gate */
	bool started_anyway;		/* the gate gave up after max_wait */
	char gate_reason[160];		/* what kept it waiting, or "" */
	double paused[PROBE_COUNT];	/* seconds paused, per probe */
	unsigned pauses;		/* number of pauses */
	double io_slept;		/* seconds the token bucket slept */
	uint64_t io_bytes;		/* bytes through the bucket */
	struct adapt *adapt;		/* the adaptive controller (max_latency_increase), or NULL */
	bool adapt_begun;		/* the first byte went through it */
};

/* Sets up the throttle for JOB.  CLOCK NULL = the real clock.  Opens the
 * probes of JOB's kind that have a limit (a db job's connection for
 * Threads_running; its failure is a failed run, logged).  Returns 0 or a
 * negative errno. */
int throttle_init(struct throttle *t, const struct job *job, const struct throttle_clock *clock,
		  volatile sig_atomic_t *cancel);
void throttle_close(struct throttle *t);
/* Makes the job's io_limit the one shared by every job that inherits it from
 * [lifeboat] (a job that sets its own keeps its own bucket).  The bucket
 * lives in STATE_DIR/locks/io-bucket.  Returns 0 or a negative errno (logged). */
int throttle_share_io(struct throttle *t, const char *state_dir);

/* Applies nice and the I/O class of the job to the calling thread, and so to
 * every thread it starts afterwards.  Returns 0 or a negative errno (logged
 * as a warning: a job runs anyway). */
int throttle_apply_priority(const struct job *job);

/* The gate.  Returns 0 (go), or -ECANCELED. */
int throttle_gate(struct throttle *t);
/* Between chunks: pauses while a probe is above its limit.  0 or -ECANCELED. */
int throttle_between_chunks(struct throttle *t);
/* Accounts N bytes read or written, sleeping to hold io_limit. */
void throttle_io(struct throttle *t, uint64_t n);
/* True when the job has an io_limit or an adaptive rate (max_latency_increase),
 * and so works in short paced stretches (see above). */
bool throttle_paced(const struct throttle *t);
/* The job sent N statements of its own to the server its canary asks (a
 * dump's chunk queries), so that they do not count as the site's. */
void throttle_own_statements(struct throttle *t, unsigned n);
/* The throttle's clock, for the kinds' probes. */
double throttle_now(const struct throttle *t);
/* True once the kind's budget (max_dump_time) has passed: no more pauses or io_limit sleeps,
 * and the dump may drop its paced shape (big chunks, big zstd blocks). */
bool throttle_full_speed(struct throttle *t);

/* The record's "throttle" object (new reference). */
json_t *throttle_facts(const struct throttle *t);

/* The current value of a probe and its limit (0 = off), for messages and tests. */
double throttle_probe(struct throttle *t, enum throttle_probe p, double *limit);

#endif

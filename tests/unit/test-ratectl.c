/*
 * test-ratectl — the adaptive throttle's controller (lib/throttle/ratectl)
 * and its judge (adapt_judge_* in lib/throttle/adapt), in simulated time
 * against a simulated site.
 *
 * The site (the "plant") is a model: its canary latency is
 *   base * (1 + k * max(0, rate - capacity) / capacity)
 * times a deterministic pseudo-noise (a seeded LCG), so a dump faster than
 * what the site can absorb slows the site down in proportion; the capacity
 * can change over time (a busy period, then quiet).  A window's canary is a
 * sample of N lookups, as adapt.c's thread measures it (their geometric mean
 * and the sum of their logarithms' squares).
 *
 * What is checked: back-off (multiplicative, from the lesser of the rate and
 * what was moved, at most once per hold), recovery (slow start before the first
 * cut, additive after it, capped at twice what was moved, up to the ceiling
 * on a quiet site), bounds, max_dump_time (budget_at), NONE verdicts, the
 * judge's baselines and tests (relative target plus slack, stall shares, the
 * significance test of a sampled signal, the least-seen base of a signal
 * measured only after the start), the record's facts (a series of at most 12
 * numbers whose mean is the mean rate, also after the spans merged), and a
 * closed loop: judge + controller + plant hold the site's latency within the
 * target most of the time without collapsing the rate.
 *
 * What it does not check: the measuring thread (adapt_start etc.: it reads
 * the real clock and a real canary; the e2e and bench tests drive it), nor
 * the token bucket (test-throttle).  The slack the judge adds to a latency
 * target is private to adapt.c; the values here are chosen well away from it
 * (latencies of several ms, rises of tens of percent beyond the target).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "adapt.h"
#include "ratectl.h"

#define MiB (1024.0 * 1024.0)
#define WIN ADAPT_WINDOW	/* seconds per simulated window */

#define assert_near(a, b, tol)                                                             \
	do {                                                                               \
		double a_ = (a), b_ = (b), t_ = (tol);                                     \
		if (!(fabs(a_ - b_) <= t_))                                                \
			fail_msg("%s = %.6g, want %s = %.6g (within %.3g)", #a, a_, #b, b_, t_); \
	} while (0)

/* ---- helpers ----------------------------------------------------------------- */

/* Parameters in the spirit of throttle.c's (which the lead tunes; these are
 * the test's own, so the expected figures below can be worked out by hand). */
static struct ratectl_params params(void)
{
	struct ratectl_params p = {
		.floor = 1 * MiB, .ceiling = 1024 * MiB, .start = 16 * MiB,
		.decrease = 0.5, .increase = 2 * MiB, .hold = 1.0, .budget_at = 0,
	};

	return p;
}

static double facts_num(json_t *facts, const char *obj, const char *key)
{
	json_t *o = obj ? json_object_get(facts, obj) : facts;
	json_t *v = o ? json_object_get(o, key) : NULL;

	if (!v || !json_is_number(v))
		fail_msg("facts have no number %s.%s", obj ? obj : "", key);
	return json_number_value(v);
}

static bool facts_bool(json_t *facts, const char *key)
{
	json_t *v = json_object_get(facts, key);

	if (!v || !json_is_boolean(v))
		fail_msg("facts have no boolean %s", key);
	return json_is_true(v);
}

/* The series has at most RATECTL_SERIES integers, and their mean is rate.mean
 * within rounding (each number and the mean are rounded to 1 byte/s).
 * Returns the number of numbers. */
static size_t check_series(json_t *facts)
{
	json_t *series = json_object_get(json_object_get(facts, "rate"), "series");
	double sum = 0, mean = facts_num(facts, "rate", "mean");
	size_t i, n;
	json_t *v;

	assert_non_null(series);
	assert_true(json_is_array(series));
	n = json_array_size(series);
	assert_true(n >= 1);
	assert_true(n <= RATECTL_SERIES);
	json_array_foreach(series, i, v) {
		assert_true(json_is_integer(v));
		sum += (double)json_integer_value(v);
	}
	assert_near(sum / (double)n, mean, 1.0 + 1e-9 * mean);
	return n;
}

/* ---- the simulated site ------------------------------------------------------- */

struct plant {
	double base_ms;		/* the canary's latency on an idle site */
	double k;		/* how much a dump past capacity slows it */
	double noise;		/* standard deviation of a lookup's logarithm */
	uint64_t seed;		/* the LCG's state */
	/* capacity (bytes/s) the site absorbs unnoticed: CAP_BEFORE until
	 * CHANGE_AT seconds (the simulated clock), then CAP_AFTER */
	double cap_before, change_at, cap_after;
	unsigned lookups;	/* canary lookups per window */
	double miss;		/* 0, or the share of lookups that miss the buffer
				 * pool: a hit takes a tenth of the mean, a miss
				 * the rest (a bimodal, heavy-tailed canary) */
	double lag;		/* share of a window's latency due to the rate of
				 * the window before (a queue that drains slowly) */
	double stall_every;	/* 0, or seconds between windows in which the job
				 * moves nothing (a slow query, a full pipe) */
	double samples[ADAPT_MAX_SAMPLES]; /* the last window's lookups, ms (the tail test) */
};

static double lcg_uniform(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(*s >> 11) / 9007199254740992.0;	/* [0, 1) */
}

/* About normal, mean 0, sd 1: a sum of four uniforms. */
static double lcg_normal(uint64_t *s)
{
	double sum = 0;

	for (int i = 0; i < 4; i++)
		sum += lcg_uniform(s);
	return (sum - 2.0) * sqrt(3.0);
}

static double plant_cap(const struct plant *pl, double t)
{
	return t < pl->change_at ? pl->cap_before : pl->cap_after;
}

/* The site's latency (ms, without noise) while a job moves RATE at time T. */
static double plant_latency(const struct plant *pl, double t, double rate)
{
	double cap = plant_cap(pl, t);

	return pl->base_ms * (1 + pl->k * fmax(0, rate - cap) / cap);
}

/* A window of canary lookups at latency LAT, as adapt.c's thread fills it:
 * the geometric mean of the lookups, the sum of their logarithms' squares. */
static void plant_window(struct plant *pl, double lat, struct adapt_window *w)
{
	double sum = 0, sq = 0;

	memset(w, 0, sizeof(*w));
	for (unsigned i = 0; i < pl->lookups; i++) {
		/* log-normal, its mean LAT */
		double ms = lat * exp(pl->noise * lcg_normal(&pl->seed) - pl->noise * pl->noise / 2);

		if (pl->miss > 0)
			ms *= lcg_uniform(&pl->seed) < pl->miss ? (1 - 0.1 * (1 - pl->miss)) / pl->miss : 0.1;
		if (i < ADAPT_MAX_SAMPLES)
			pl->samples[i] = ms;
		ms = log(fmax(ms, 1e-3));
		sum += ms;
		sq += ms * ms;
	}
	w->ok[ADAPT_CANARY] = true;
	w->n[ADAPT_CANARY] = pl->lookups;
	w->value[ADAPT_CANARY] = exp(sum / pl->lookups);
	w->sumsq[ADAPT_CANARY] = sq;
	w->samples = pl->samples;
}

/* The figures of a closed-loop run. */
struct loop_stats {
	unsigned windows, over;		/* after SETTLE: windows, those over target */
	unsigned over_margin;		/* ... over it by more than 10% of the base */
	double rate_sum, rate_min, rate_max;	/* after SETTLE, the rate moved */
	double lat_sum;			/* after SETTLE, latency / base */
	unsigned cuts;
	double final_rate;
	/* after the plant's change: its worst latency / base, and seconds
	 * until the first window back within the target */
	double peak_after, settled_after;
};

/* Runs judge + controller + plant for SECONDS of job (after a 1 s baseline),
 * the job able to move JOB_SPEED bytes/s at most.  A window's latency is the
 * plant's at what the job moved in it; windows after SETTLE seconds count in
 * ST, over when the noise-free latency exceeds base * (1 + target) + slack
 * (the canary's slack in adapt.c, 0.05 ms).  Returns the judge's facts. */
static json_t *closed_loop(struct plant *pl, struct ratectl_params p, double target, double seconds,
			   double job_speed, double settle, struct loop_stats *st, bool verbose)
{
	struct adapt_judge j;
	struct adapt_window w;
	double t = 0, limit_ms = pl->base_ms * (1 + target) + 0.05, prev_moved = 0;

	memset(st, 0, sizeof(*st));
	st->rate_min = INFINITY;
	st->settled_after = -1;
	adapt_judge_init(&j, target);
	for (; t < ADAPT_BASELINE - 1e-9; t += WIN) {
		plant_window(pl, pl->base_ms, &w);
		adapt_judge_baseline(&j, &w);
	}
	adapt_judge_start(&j, &p, t);
	if (verbose)
		print_message("baseline %.3f ms (the site's: %.3f), sd %.3f\n", j.stat[ADAPT_CANARY].base,
			      pl->base_ms, sqrt(j.stat[ADAPT_CANARY].base_var));
	for (double end = t + seconds; t < end - 1e-9;) {
		double moved = fmin(ratectl_rate(&j.rc), job_speed);

		if (pl->stall_every > 0 && fmod(t - ADAPT_BASELINE, pl->stall_every) > pl->stall_every - WIN - 1e-9)
			moved = 0;
		double lat = plant_latency(pl, t, (1 - pl->lag) * moved + pl->lag * prev_moved);
		enum ratectl_verdict v;

		plant_window(pl, lat, &w);
		prev_moved = moved;
		t += WIN;
		v = adapt_judge_window(&j, &w, t, moved);
		if (verbose)
			print_message("t=%6.1f cap=%6.1f moved=%7.1f lat=%.3f %s -> rate %.1f MiB/s\n", t,
				      plant_cap(pl, t - WIN) / MiB, moved / MiB, lat,
				      v == RATECTL_OVER ? "OVER " : v == RATECTL_UNDER ? "under" : "none ",
				      ratectl_rate(&j.rc) / MiB);
		if (t - WIN >= pl->change_at) {
			st->peak_after = fmax(st->peak_after, lat / pl->base_ms);
			if (st->settled_after < 0 && lat <= limit_ms)
				st->settled_after = t - pl->change_at;
		}
		if (t - ADAPT_BASELINE > settle) {
			st->windows++;
			st->over += lat > limit_ms;
			st->over_margin += lat > limit_ms + 0.1 * pl->base_ms;
			st->lat_sum += lat / pl->base_ms;
			st->rate_sum += moved;
			st->rate_min = fmin(st->rate_min, moved);
			st->rate_max = fmax(st->rate_max, moved);
		}
	}
	st->cuts = j.rc.cuts;
	st->final_rate = ratectl_rate(&j.rc);
	return adapt_judge_facts(&j, t);
}

/* ---- the controller alone ---------------------------------------------------- */

/* Over the target every window: the rate halves at most once per hold (1 s),
 * so every other 0.5 s window; the windows in between hold it. */
static void test_backoff(void **state)
{
	struct ratectl_params p = params();
	struct ratectl rc;
	double t = 100, want = 64 * MiB;
	json_t *f;

	(void)state;
	p.start = 64 * MiB;
	ratectl_init(&rc, &p, t);
	assert_near(ratectl_rate(&rc), 64 * MiB, 0);
	for (int i = 1; i <= 10; i++) {
		t += WIN;
		if (i % 2)	/* the first window cuts; then every hold */
			want *= p.decrease;
		assert_near(ratectl_update(&rc, t, RATECTL_OVER, ratectl_rate(&rc)), want, 1e-6);
	}
	assert_int_equal(rc.cuts, 5);
	/* 64 MiB halved 5 times is 2 MiB, halved on down to the floor. */
	for (int i = 0; i < 20; i++)
		ratectl_update(&rc, t += WIN, RATECTL_OVER, ratectl_rate(&rc));
	assert_near(ratectl_rate(&rc), p.floor, 0);

	f = ratectl_facts(&rc, t);
	assert_int_equal((int)facts_num(f, NULL, "cuts"), (int)rc.cuts);
	assert_int_equal(rc.cuts, 15);	/* one per 2 windows of 30 */
	assert_near(facts_num(f, NULL, "over_seconds"), 30 * WIN, 1e-6);
	/* Below the ceiling after the first cut: all but the first window. */
	assert_near(facts_num(f, NULL, "backed_off_seconds"), 29 * WIN, 1e-6);
	assert_near(facts_num(f, "rate", "min"), p.floor, 0.5);
	assert_near(facts_num(f, "rate", "max"), 64 * MiB, 0.5);
	assert_near(facts_num(f, "rate", "start"), 64 * MiB, 0.5);
	assert_false(facts_bool(f, "budget_reached"));
	check_series(f);
	json_decref(f);
}

/* A cut starts from the lesser of the rate and what the job moved: a limit
 * the job did not reach did not bind. */
static void test_backoff_from_moved(void **state)
{
	struct ratectl_params p = params();
	struct ratectl rc;

	(void)state;
	p.start = 100 * MiB;
	ratectl_init(&rc, &p, 0);
	assert_near(ratectl_update(&rc, 0.5, RATECTL_OVER, 30 * MiB), 15 * MiB, 1e-6);
	ratectl_init(&rc, &p, 0);
	assert_near(ratectl_update(&rc, 0.5, RATECTL_OVER, 300 * MiB), 50 * MiB, 1e-6);
	ratectl_init(&rc, &p, 0);	/* not known */
	assert_near(ratectl_update(&rc, 0.5, RATECTL_OVER, -1), 50 * MiB, 1e-6);
	/* Moved nothing (stalled on a slow query): from the rate, not to the
	 * floor (the window's signal may be the window before's, pooled). */
	ratectl_init(&rc, &p, 0);
	assert_near(ratectl_update(&rc, 0.5, RATECTL_OVER, 0), 50 * MiB, 1e-6);
}

/* Slow start's growth per second (ratectl.c's constant: doubling, or less):
 * what one second under the target does to a fresh controller. */
static double slow_start_growth(void)
{
	struct ratectl_params p = params();
	struct ratectl rc;
	double g;

	ratectl_init(&rc, &p, 0);
	g = ratectl_update(&rc, 1.0, RATECTL_UNDER, -1) / p.start;
	/* fast enough that a quiet job reaches 1 GiB/s from 16 MiB/s within
	 * 15 s; not faster than doubling */
	assert_true(g >= 1.3 && g <= 2.0 + 1e-9);
	return g;
}

/* Slow start grows by a factor per second (exponentially: per half second,
 * its square root); after the first cut the rate grows by INCREASE per
 * second; during a hold it does not grow. */
static void test_recovery_shape(void **state)
{
	struct ratectl_params p = params();
	struct ratectl rc;
	double g = slow_start_growth(), r;

	(void)state;
	ratectl_init(&rc, &p, 0);
	assert_near(ratectl_update(&rc, 0.5, RATECTL_UNDER, -1), 16 * MiB * sqrt(g), 1);
	assert_near(ratectl_update(&rc, 1.0, RATECTL_UNDER, -1), 16 * MiB * g, 1);
	assert_near(ratectl_update(&rc, 2.0, RATECTL_UNDER, -1), 16 * MiB * g * g, 1);
	r = 16 * MiB * g * g * p.decrease;
	/* A cut, held until t = 3. */
	assert_near(ratectl_update(&rc, 2.0, RATECTL_OVER, -1), r, 1);
	assert_near(ratectl_update(&rc, 2.5, RATECTL_UNDER, -1), r, 1);
	/* Additive from here: 2 MiB/s, 1 MiB per window, no more slow start. */
	r = ratectl_update(&rc, 3.0, RATECTL_UNDER, -1);
	assert_near(r, 16 * MiB * g * g * p.decrease + 1 * MiB, 1);
	for (int i = 1; i <= 10; i++)
		assert_near(ratectl_update(&rc, 3.0 + i * WIN, RATECTL_UNDER, -1), r + i * MiB, 1);
}

/* Growth is capped at twice what the job moved (but never cuts by itself). */
static void test_growth_capped_by_moved(void **state)
{
	struct ratectl_params p = params();
	struct ratectl rc;
	double t = 0;

	(void)state;
	p.start = 50 * MiB;
	ratectl_init(&rc, &p, 0);
	/* Doubling would give 100 MiB; the job moved 30: 60. */
	assert_near(ratectl_update(&rc, 1.0, RATECTL_UNDER, 30 * MiB), 60 * MiB, 1);
	/* Moved 10: twice that is below the rate, which holds. */
	assert_near(ratectl_update(&rc, 2.0, RATECTL_UNDER, 10 * MiB), 60 * MiB, 1);
	/* A job that can move only 40 MiB/s, for a minute on a quiet site: the
	 * rate settles at 80, never higher, however long it runs. */
	ratectl_init(&rc, &p, t);
	for (int i = 0; i < 120; i++) {
		double moved = fmin(ratectl_rate(&rc), 40 * MiB);

		ratectl_update(&rc, t += WIN, RATECTL_UNDER, moved);
		assert_true(ratectl_rate(&rc) <= 80 * MiB + 1);
	}
	assert_near(ratectl_rate(&rc), 80 * MiB, 1);
}

/* Whatever the verdicts and the moved figures, the rate stays within
 * [floor, ceiling]; the start is clamped into it too. */
static void test_bounds(void **state)
{
	struct ratectl_params p = params();
	struct ratectl rc;
	uint64_t seed = 42;
	double t = 0;
	unsigned at_floor = 0, at_ceiling = 0;

	(void)state;
	p.floor = 2 * MiB;
	p.ceiling = 200 * MiB;
	p.decrease = 0.3;
	p.increase = 50 * MiB;

	p.start = 0.5 * MiB;
	ratectl_init(&rc, &p, 0);
	assert_near(ratectl_rate(&rc), p.floor, 0);
	p.start = 5000 * MiB;
	ratectl_init(&rc, &p, 0);
	assert_near(ratectl_rate(&rc), p.ceiling, 0);
	{
		json_t *f = ratectl_facts(&rc, 0);

		assert_near(facts_num(f, "rate", "start"), p.ceiling, 0.5);
		json_decref(f);
	}
	{	/* a ceiling below the floor: the floor wins */
		struct ratectl_params q = p;

		q.ceiling = 1 * MiB;
		ratectl_init(&rc, &q, 0);
		assert_near(ratectl_rate(&rc), q.floor, 0);
		assert_near(ratectl_update(&rc, 1, RATECTL_UNDER, -1), q.floor, 0);
	}

	p.start = 16 * MiB;
	ratectl_init(&rc, &p, 0);
	for (int i = 0; i < 20000; i++) {
		double u = lcg_uniform(&seed), m = lcg_uniform(&seed), r;
		enum ratectl_verdict v = u < 0.4 ? RATECTL_OVER : u < 0.9 ? RATECTL_UNDER : RATECTL_NONE;
		double moved = m < 0.1 ? -1 : m < 0.2 ? 0 : m * 1000 * MiB;

		/* windows of 0 to 3 s, now and then a clock that stands still */
		t += lcg_uniform(&seed) < 0.05 ? 0 : lcg_uniform(&seed) * 3;
		r = ratectl_update(&rc, t, v, moved);
		if (r < p.floor || r > p.ceiling)
			fail_msg("window %d: rate %.0f outside [%.0f, %.0f]", i, r, p.floor, p.ceiling);
		at_floor += r == p.floor;
		at_ceiling += r == p.ceiling;
	}
	/* The walk reached both bounds, so both were tested. */
	assert_true(at_floor > 0);
	assert_true(at_ceiling > 0);
	/* A clock that goes back adds no time. */
	{
		json_t *f = ratectl_facts(&rc, t), *g;
		double over = facts_num(f, NULL, "over_seconds");

		ratectl_update(&rc, t - 50, RATECTL_OVER, -1);
		g = ratectl_facts(&rc, t - 50);
		assert_near(facts_num(g, NULL, "over_seconds"), over, 1e-9);
		assert_true(ratectl_rate(&rc) >= p.floor);
		json_decref(f);
		json_decref(g);
	}
}

/* No signal: the rate holds, whatever was moved; it is not time over. */
static void test_none_holds(void **state)
{
	struct ratectl_params p = params();
	struct ratectl rc;
	double t = 0;
	json_t *f;

	(void)state;
	ratectl_init(&rc, &p, 0);
	for (int i = 0; i < 20; i++)
		assert_near(ratectl_update(&rc, t += WIN, RATECTL_NONE, i % 3 ? 1 * MiB : -1), 16 * MiB, 0);
	ratectl_update(&rc, t += WIN, RATECTL_OVER, -1);	/* 8 MiB */
	for (int i = 0; i < 20; i++)
		assert_near(ratectl_update(&rc, t += WIN, RATECTL_NONE, 500 * MiB), 8 * MiB, 0);
	f = ratectl_facts(&rc, t);
	assert_near(facts_num(f, NULL, "over_seconds"), WIN, 1e-9);
	assert_int_equal((int)facts_num(f, NULL, "cuts"), 1);
	json_decref(f);
}

/* max_dump_time: before budget_at cuts happen and the facts say the budget
 * is not reached; from it the rate is the ceiling, over or not. */
static void test_budget(void **state)
{
	struct ratectl_params p = params();
	struct ratectl rc;
	double t = 1000, backed;
	json_t *f;

	(void)state;
	p.start = 64 * MiB;
	p.budget_at = t + 10;
	ratectl_init(&rc, &p, t);
	while (t + WIN < p.budget_at - 1e-9)
		ratectl_update(&rc, t += WIN, RATECTL_OVER, -1);
	assert_int_equal(rc.cuts, 10);	/* 19 windows, one cut per second */
	assert_true(ratectl_rate(&rc) < 64 * MiB);
	f = ratectl_facts(&rc, t);
	assert_false(facts_bool(f, "budget_reached"));
	backed = facts_num(f, NULL, "backed_off_seconds");
	assert_near(backed, 18 * WIN, 1e-6);	/* from the first cut */
	json_decref(f);

	ratectl_update(&rc, t += WIN, RATECTL_OVER, 1 * MiB);	/* reaches budget_at */
	assert_near(ratectl_rate(&rc), p.ceiling, 0);
	for (int i = 0; i < 40; i++) {
		enum ratectl_verdict v = i % 3 == 2 ? RATECTL_NONE : RATECTL_OVER;

		assert_near(ratectl_update(&rc, t += WIN, v, 1 * MiB), p.ceiling, 0);
	}
	assert_int_equal(rc.cuts, 10);
	f = ratectl_facts(&rc, t);
	assert_true(facts_bool(f, "budget_reached"));
	assert_int_equal((int)facts_num(f, NULL, "cuts"), 10);
	/* Backed off no longer: counted up to the budget (its last window was
	 * still at the cut rate), not after. */
	assert_near(facts_num(f, NULL, "backed_off_seconds"), backed + WIN, 1e-6);
	assert_near(facts_num(f, "rate", "max"), p.ceiling, 0.5);
	check_series(f);
	json_decref(f);
}

/* ---- the record's facts ------------------------------------------------------- */

/* A short run: a number per 0.5 s it lasted; a run with a cut: the series
 * shows it. */
static void test_facts_short(void **state)
{
	struct ratectl_params p = params();
	struct ratectl rc;
	json_t *f, *series;

	(void)state;
	p.start = 10 * MiB;
	ratectl_init(&rc, &p, 0);
	f = ratectl_facts(&rc, 0);	/* nothing yet */
	assert_int_equal(json_array_size(json_object_get(json_object_get(f, "rate"), "series")), 0);
	assert_near(facts_num(f, "rate", "mean"), 10 * MiB, 0.5);
	json_decref(f);

	ratectl_update(&rc, 1.0, RATECTL_NONE, -1);
	ratectl_update(&rc, 1.5, RATECTL_OVER, -1);	/* 5 MiB from 1.5 */
	ratectl_update(&rc, 2.0, RATECTL_NONE, -1);
	f = ratectl_facts(&rc, 2.0);
	series = json_object_get(json_object_get(f, "rate"), "series");
	assert_int_equal(json_array_size(series), 4);
	assert_near((double)json_integer_value(json_array_get(series, 0)), 10 * MiB, 0.5);
	assert_near((double)json_integer_value(json_array_get(series, 2)), 10 * MiB, 0.5);
	assert_near((double)json_integer_value(json_array_get(series, 3)), 5 * MiB, 0.5);
	assert_near(facts_num(f, "rate", "mean"), (1.5 * 10 + 0.5 * 5) / 2.0 * MiB, 0.5);
	assert_near(facts_num(f, NULL, "over_seconds"), 0.5, 1e-9);
	assert_near(facts_num(f, NULL, "backed_off_seconds"), 0.5, 1e-9);
	check_series(f);
	json_decref(f);
}

/* A run whose end falls inside a span (0.75 s: a full span and half of one),
 * and one at a constant rate: the series' mean is still the mean rate. */
static void test_facts_partial_span(void **state)
{
	struct ratectl_params p = params();
	struct ratectl rc;
	json_t *f;

	(void)state;
	ratectl_init(&rc, &p, 0);
	ratectl_update(&rc, 0.75, RATECTL_NONE, -1);
	f = ratectl_facts(&rc, 0.75);
	assert_near(facts_num(f, "rate", "mean"), 16 * MiB, 0.5);
	check_series(f);
	json_decref(f);

	/* 100.3 s at a constant rate: every number of the series is that rate. */
	ratectl_init(&rc, &p, 0);
	for (double t = 0.1; t < 100.35; t += 0.1)
		ratectl_update(&rc, t, RATECTL_NONE, -1);
	f = ratectl_facts(&rc, 100.3);
	{
		json_t *series = json_object_get(json_object_get(f, "rate"), "series"), *v;
		size_t i;

		assert_int_equal(json_array_size(series), RATECTL_SERIES);
		json_array_foreach(series, i, v)
			if (fabs((double)json_integer_value(v) - 16 * MiB) > 1)
				fail_msg("series[%zu] = %lld at a constant rate of %.0f", i,
					 (long long)json_integer_value(v), 16 * MiB);
	}
	check_series(f);
	json_decref(f);
}

/* A long run (1000 s of 0.5 s windows: 2000 windows, far past the 64 spans
 * kept, so they merged 5 times): still 12 numbers, whose mean is the mean
 * rate; cuts and the time over and backed off are what was driven. */
static void test_facts_long(void **state)
{
	struct ratectl_params p = params();
	struct ratectl rc;
	double t = 0, over = 0, backed = 0;
	unsigned cuts = 0;
	uint64_t seed = 7;
	json_t *f, *series;

	(void)state;
	p.ceiling = 100 * MiB;
	ratectl_init(&rc, &p, 0);
	for (int i = 0; i < 2000; i++) {
		/* a busy site from 300 to 600 s: over one window in four */
		bool busy = t >= 300 && t < 600;
		enum ratectl_verdict v = busy && lcg_uniform(&seed) < 0.25 ? RATECTL_OVER : RATECTL_UNDER;
		double before = ratectl_rate(&rc), hold = rc.hold_until;

		if (before < p.ceiling && cuts > 0)
			backed += WIN;
		if (v == RATECTL_OVER) {
			over += WIN;
			cuts += t + WIN >= hold;
		}
		ratectl_update(&rc, t += WIN, v, -1);
	}
	assert_true(cuts > 10);
	assert_near(ratectl_rate(&rc), p.ceiling, 0);	/* recovered */
	f = ratectl_facts(&rc, t);
	assert_int_equal((int)facts_num(f, NULL, "cuts"), (int)cuts);
	assert_near(facts_num(f, NULL, "over_seconds"), over, 1e-6);
	assert_near(facts_num(f, NULL, "backed_off_seconds"), backed, 1e-6);
	assert_near(facts_num(f, "rate", "series_span_seconds"), 1000.0 / RATECTL_SERIES, 1e-6);
	assert_int_equal(check_series(f), RATECTL_SERIES);
	/* The busy spell shows: the numbers of 300..600 s are below those of
	 * the last 300 s, which are at the ceiling. */
	series = json_object_get(json_object_get(f, "rate"), "series");
	assert_true(json_integer_value(json_array_get(series, 5)) < json_integer_value(json_array_get(series, 11)));
	assert_near((double)json_integer_value(json_array_get(series, 11)), p.ceiling, 1);
	json_decref(f);
}

/* ---- the judge ----------------------------------------------------------------- */

static void one_value(struct adapt_window *w, enum adapt_signal s, double v)
{
	w->ok[s] = true;
	w->value[s] = v;
	w->n[s] = 0;
}

/* N samples (ms) given as values: a sampled signal's window, as adapt.c's
 * thread fills it (the geometric mean; the sum of the logarithms' squares). */
static void sampled(struct adapt_window *w, enum adapt_signal s, const double *v, unsigned n)
{
	double sum = 0, sq = 0;

	for (unsigned i = 0; i < n; i++) {
		double l = log(v[i]);

		sum += l;
		sq += l * l;
	}
	w->ok[s] = true;
	w->n[s] = n;
	w->value[s] = exp(sum / n);
	w->sumsq[s] = sq;
}

static json_t *signal_facts(json_t *facts, const char *name)
{
	json_t *s = json_object_get(json_object_get(facts, "signals"), name);

	if (!s)
		fail_msg("no signal %s in the facts", name);
	return s;
}

/* The baseline is the mean of the windows before the start; a latency is
 * over past base * (1 + target) (+ a small slack), a stall share past
 * base + target. */
static void test_judge_thresholds(void **state)
{
	struct ratectl_params p = params();
	struct adapt_judge j;
	struct adapt_window w;
	double t = 0;
	json_t *f;

	(void)state;
	adapt_judge_init(&j, 0.25);
	for (int i = 0; i < 3; i++) {
		memset(&w, 0, sizeof(w));
		one_value(&w, ADAPT_DISK, 8 + 2 * i);	/* 8, 10, 12: base 10 ms */
		one_value(&w, ADAPT_PSI_IO, 0.05);
		adapt_judge_baseline(&j, &w);
	}
	/* Before the start: the signals seen, no controller yet. */
	f = adapt_judge_facts(&j, t);
	assert_null(json_object_get(f, "rate"));
	assert_non_null(json_object_get(json_object_get(f, "signals"), "disk_read_ms"));
	assert_int_equal((int)facts_num(signal_facts(f, "disk_read_ms"), NULL, "windows"), 0);
	json_decref(f);
	adapt_judge_start(&j, &p, t);

	memset(&w, 0, sizeof(w));
	one_value(&w, ADAPT_DISK, 11.5);	/* +15%: under */
	one_value(&w, ADAPT_PSI_IO, 0.25);	/* +0.20: under */
	assert_int_equal(adapt_judge_window(&j, &w, t += WIN, -1), RATECTL_UNDER);
	one_value(&w, ADAPT_DISK, 14.0);	/* +40%: over */
	assert_int_equal(adapt_judge_window(&j, &w, t += WIN, -1), RATECTL_OVER);
	assert_near(ratectl_rate(&j.rc), 16 * MiB * sqrt(slow_start_growth()) * p.decrease, 1);
	one_value(&w, ADAPT_DISK, 9.0);
	one_value(&w, ADAPT_PSI_IO, 0.40);	/* +0.35: over on its own */
	assert_int_equal(adapt_judge_window(&j, &w, t += WIN, -1), RATECTL_OVER);
	one_value(&w, ADAPT_PSI_IO, 0.05);
	assert_int_equal(adapt_judge_window(&j, &w, t += WIN, -1), RATECTL_UNDER);
	/* A signal not read this window is left out; none read: NONE, and the
	 * rate holds. */
	memset(&w, 0, sizeof(w));
	one_value(&w, ADAPT_PSI_IO, 0.05);
	assert_int_equal(adapt_judge_window(&j, &w, t += WIN, -1), RATECTL_UNDER);
	{
		double r = ratectl_rate(&j.rc);

		memset(&w, 0, sizeof(w));
		assert_int_equal(adapt_judge_window(&j, &w, t += WIN, 5 * MiB), RATECTL_NONE);
		assert_near(ratectl_rate(&j.rc), r, 0);
	}

	f = adapt_judge_facts(&j, t);
	assert_near(facts_num(signal_facts(f, "disk_read_ms"), NULL, "baseline"), 10, 1e-9);
	assert_true(json_is_true(json_object_get(signal_facts(f, "disk_read_ms"), "baseline_measured")));
	assert_int_equal((int)facts_num(signal_facts(f, "disk_read_ms"), NULL, "windows"), 4);
	assert_int_equal((int)facts_num(signal_facts(f, "disk_read_ms"), NULL, "over_windows"), 1);
	assert_near(facts_num(signal_facts(f, "disk_read_ms"), NULL, "peak"), 14, 1e-9);
	assert_near(facts_num(signal_facts(f, "disk_read_ms"), NULL, "mean"), (11.5 + 14 + 9 + 9) / 4, 1e-9);
	assert_near(facts_num(signal_facts(f, "io_stall"), NULL, "baseline"), 0.05, 1e-9);
	assert_int_equal((int)facts_num(signal_facts(f, "io_stall"), NULL, "over_windows"), 1);
	assert_null(json_object_get(json_object_get(f, "signals"), "canary_ms"));
	assert_null(json_object_get(json_object_get(f, "signals"), "cpu_stall"));
	assert_near(facts_num(f, NULL, "max_latency_increase"), 25, 1e-9);
	assert_int_equal((int)facts_num(f, NULL, "cuts"), 1);	/* the second over was in the hold */
	check_series(f);
	json_decref(f);
}

/* A signal with no baseline (the device read nothing before the start):
 * the least value seen since stands for it (LEDBAT's base delay); its first
 * window only sets it. */
static void test_judge_no_baseline(void **state)
{
	struct ratectl_params p = params();
	struct adapt_judge j;
	struct adapt_window w;
	double t = 0;
	json_t *f;

	(void)state;
	adapt_judge_init(&j, 0.25);
	memset(&w, 0, sizeof(w));
	adapt_judge_baseline(&j, &w);		/* nothing read */
	adapt_judge_start(&j, &p, t);
	one_value(&w, ADAPT_DISK, 12.0);
	assert_int_equal(adapt_judge_window(&j, &w, t += WIN, -1), RATECTL_NONE);
	assert_near(ratectl_rate(&j.rc), 16 * MiB, 0);
	one_value(&w, ADAPT_DISK, 8.0);		/* the least: base 8 */
	assert_int_equal(adapt_judge_window(&j, &w, t += WIN, -1), RATECTL_UNDER);
	one_value(&w, ADAPT_DISK, 9.0);		/* +12.5% */
	assert_int_equal(adapt_judge_window(&j, &w, t += WIN, -1), RATECTL_UNDER);
	one_value(&w, ADAPT_DISK, 12.0);	/* +50% of the least seen */
	assert_int_equal(adapt_judge_window(&j, &w, t += WIN, -1), RATECTL_OVER);
	f = adapt_judge_facts(&j, t);
	assert_near(facts_num(signal_facts(f, "disk_read_ms"), NULL, "baseline"), 8, 1e-9);
	assert_false(json_is_true(json_object_get(signal_facts(f, "disk_read_ms"), "baseline_measured")));
	json_decref(f);

	/* A stall share with no baseline is not judged (a share has no least
	 * value to stand for it). */
	adapt_judge_init(&j, 0.25);
	adapt_judge_start(&j, &p, 0);
	memset(&w, 0, sizeof(w));
	one_value(&w, ADAPT_PSI_CPU, 0.9);
	for (int i = 1; i <= 4; i++)
		assert_int_equal(adapt_judge_window(&j, &w, i * WIN, -1), RATECTL_NONE);
	assert_near(ratectl_rate(&j.rc), 16 * MiB, 0);
}

/* A judge whose canary baseline is two windows of the N samples BASE. */
static void judge_with_canary(struct adapt_judge *j, const double *base, unsigned n)
{
	struct ratectl_params p = params();
	struct adapt_window w;

	adapt_judge_init(j, 0.25);
	memset(&w, 0, sizeof(w));
	for (int i = 0; i < 2; i++) {
		sampled(&w, ADAPT_CANARY, base, n);
		adapt_judge_baseline(j, &w);
	}
	adapt_judge_start(j, &p, 0);
}

/* The verdict on a window of the N samples V, after the window before. */
static enum ratectl_verdict canary_window(struct adapt_judge *j, const double *v, unsigned n, double t)
{
	struct adapt_window w;

	memset(&w, 0, sizeof(w));
	sampled(&w, ADAPT_CANARY, v, n);
	return adapt_judge_window(j, &w, t, -1);
}

/* The canary is sampled, and judged in logarithms (its window value is the
 * geometric mean): with few lookups of widely spread latencies (some hit the
 * buffer pool, some go to the disk), a modest rise is noise, not a signal; a
 * large one is.  With tight samples, the same kind of modest rise is over,
 * and a rise within the target is not. */
static void test_judge_significance(void **state)
{
	static const double noisy_base[] = { 0.5, 8, 0.5, 8, 2 };	/* geometric mean 2 */
	double noisy_up[5], noisy_far[5], tight_base[20], tight_up[20], tight_in[20];
	struct adapt_judge j;

	(void)state;
	for (int i = 0; i < 5; i++) {
		noisy_up[i] = noisy_base[i] * 1.35;	/* +35% */
		noisy_far[i] = noisy_base[i] * 8;	/* 8x */
	}
	for (int i = 0; i < 20; i++) {
		double d = i % 2 ? 0.05 : -0.05;

		tight_base[i] = 4.0 + d;
		tight_up[i] = 5.6 + d;		/* +40% */
		tight_in[i] = 4.4 + d;		/* +10% */
	}

	/* noisy, small n: +35% above a 25% target is not over, in one window
	 * or pooled with the one before */
	judge_with_canary(&j, noisy_base, 5);
	assert_near(j.stat[ADAPT_CANARY].base, 2.0, 1e-9);
	assert_int_equal(canary_window(&j, noisy_up, 5, 0.5), RATECTL_UNDER);
	assert_int_equal(canary_window(&j, noisy_up, 5, 1.0), RATECTL_UNDER);
	/* a rise to 8x is over, however noisy */
	judge_with_canary(&j, noisy_base, 5);
	assert_int_equal(canary_window(&j, noisy_far, 5, 0.5), RATECTL_OVER);

	/* tight samples: +40% is over at once, +10% is not */
	judge_with_canary(&j, tight_base, 20);
	assert_int_equal(canary_window(&j, tight_up, 20, 0.5), RATECTL_OVER);
	judge_with_canary(&j, tight_base, 20);
	assert_int_equal(canary_window(&j, tight_in, 20, 0.5), RATECTL_UNDER);
	assert_int_equal(canary_window(&j, tight_in, 20, 1.0), RATECTL_UNDER);
}

/* Nobody on the site (fewer than ADAPT_SITE_IDLE statements a second of
 * others on the canary's server): a canary far over is not judged, and the
 * window is counted as idle; the same window with a busy site is over; a
 * window whose site activity is not known is judged. */
static void test_judge_site_idle(void **state)
{
	double base[20], far[20];
	struct adapt_judge j;
	struct adapt_window w;
	json_t *f;

	(void)state;
	for (int i = 0; i < 20; i++) {
		base[i] = 1.0 + (i % 2 ? 0.05 : -0.05);
		far[i] = 3 * base[i];
	}
	judge_with_canary(&j, base, 20);
	memset(&w, 0, sizeof(w));
	sampled(&w, ADAPT_CANARY, far, 20);
	w.site_known = true;
	w.site_rate = ADAPT_SITE_IDLE / 2;
	assert_int_equal(adapt_judge_window(&j, &w, 0.5, -1), RATECTL_NONE);
	assert_int_equal(j.site_idle, 1);
	w.site_rate = ADAPT_SITE_IDLE * 10;
	assert_int_equal(adapt_judge_window(&j, &w, 1.0, -1), RATECTL_OVER);
	assert_int_equal(j.site_idle, 1);
	w.site_known = false;
	assert_int_equal(adapt_judge_window(&j, &w, 2.5, -1), RATECTL_OVER);
	f = adapt_judge_facts(&j, 2.5);
	assert_int_equal(json_integer_value(json_object_get(f, "site_idle_windows")), 1);
	json_decref(f);

	/* The disk canary's site: KiB others read a second, against its own
	 * threshold; what is idle for statements is busy for KiB. */
	w.site_known = true;
	w.site_idle_below = ADAPT_DISK_IDLE;
	w.site_rate = ADAPT_DISK_IDLE / 2;
	assert_int_equal(adapt_judge_window(&j, &w, 3.0, -1), RATECTL_NONE);
	assert_int_equal(j.site_idle, 2);
	w.site_rate = ADAPT_SITE_IDLE * 2;
	assert_true(w.site_rate < ADAPT_DISK_IDLE);
	assert_int_equal(adapt_judge_window(&j, &w, 3.5, -1), RATECTL_NONE);
	w.site_rate = ADAPT_DISK_IDLE * 2;
	assert_int_equal(adapt_judge_window(&j, &w, 4.0, -1), RATECTL_OVER);
	assert_int_equal(j.site_idle, 3);
}

/* The device's read latency is not judged while others read less than
 * ADAPT_DISK_IDLE KiB a second from it (the job's own reads are all there
 * is); with others reading, or nothing known of them, it is. */
static void test_judge_disk_idle(void **state)
{
	struct adapt_judge j;
	struct adapt_window w;
	struct ratectl_params p = params();

	(void)state;
	adapt_judge_init(&j, 0.25);
	memset(&w, 0, sizeof(w));
	w.ok[ADAPT_DISK] = true;
	w.value[ADAPT_DISK] = 0.2;
	adapt_judge_baseline(&j, &w);
	adapt_judge_baseline(&j, &w);
	adapt_judge_start(&j, &p, 0);
	w.value[ADAPT_DISK] = 2.0;		/* ten times the baseline */
	w.others_known = true;
	w.others_kib = ADAPT_DISK_IDLE / 4;
	assert_int_equal(adapt_judge_window(&j, &w, 0.5, -1), RATECTL_NONE);
	assert_int_equal(j.stat[ADAPT_DISK].over, 0);
	w.others_kib = ADAPT_DISK_IDLE * 4;
	assert_int_equal(adapt_judge_window(&j, &w, 1.0, -1), RATECTL_OVER);
	w.others_known = false;
	assert_int_equal(adapt_judge_window(&j, &w, 2.5, -1), RATECTL_OVER);
	assert_int_equal(j.stat[ADAPT_DISK].over, 2);
}

/* A sampled signal's baseline is its quickest window before the start (the
 * first lookups read cold pages); a single-valued one's is the mean. */
static void test_judge_quickest_baseline(void **state)
{
	static const double geo[] = { 3.0, 2.0, 2.5 };
	struct ratectl_params p = params();
	struct adapt_judge j;
	struct adapt_window w;
	double v[10], t = 0;
	json_t *f;

	(void)state;
	adapt_judge_init(&j, 0.25);
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < 10; i++)
			v[i] = geo[k] * (i % 2 ? 1.01 : 1 / 1.01);
		memset(&w, 0, sizeof(w));
		sampled(&w, ADAPT_CANARY, v, 10);
		one_value(&w, ADAPT_DISK, geo[k]);
		adapt_judge_baseline(&j, &w);
	}
	adapt_judge_start(&j, &p, t);
	assert_near(j.stat[ADAPT_CANARY].base, 2.0, 1e-9);
	assert_near(j.stat[ADAPT_DISK].base, 2.5, 1e-9);
	/* 2.7 ms is over the canary's 2.0 (+35%), under the disk's 2.5 (+8%) */
	for (int i = 0; i < 10; i++)
		v[i] = 2.7 * (i % 2 ? 1.01 : 1 / 1.01);
	memset(&w, 0, sizeof(w));
	sampled(&w, ADAPT_CANARY, v, 10);
	assert_int_equal(adapt_judge_window(&j, &w, t += WIN, -1), RATECTL_OVER);
	memset(&w, 0, sizeof(w));
	one_value(&w, ADAPT_DISK, 2.7);
	assert_int_equal(adapt_judge_window(&j, &w, t += WIN, -1), RATECTL_UNDER);
	f = adapt_judge_facts(&j, t);
	assert_near(facts_num(signal_facts(f, "canary_ms"), NULL, "baseline"), 2.0, 1e-9);
	assert_true(json_is_true(json_object_get(signal_facts(f, "canary_ms"), "baseline_measured")));
	json_decref(f);
}

/* ---- closed loop ------------------------------------------------------------------ */

/* A site that absorbs 40 MiB/s, a job that could move 400, for 300 s, five
 * seeds each, with 50 canary lookups a window (adapt.c's CANARY_EVERY).
 * The bounds depend on how readable the site's signal is:
 *   QUIET (each lookup within 5% of the latency, lagged or not): the rate
 *     does not collapse (its mean is at least half the capacity), the
 *     latency is within the target in >= 80% of the windows after the first
 *     20 s, and its mean is within the target;
 *   NOISY (lookups spread by 30-60% in logarithm, or a bimodal canary whose
 *     lookups hit the buffer pool at a tenth of the mean latency or miss it,
 *     one in two to one in twenty): the judge's significance test lets the
 *     latency wander further before it is sure (measured: 65-87% of the
 *     windows within the target; worst single run 43%), so: mean rate >=
 *     half the capacity, >= 75% of the windows within the target plus 10%
 *     of the base, the mean latency within the target plus 10%, the rate
 *     never near the floor.
 * The figures are printed; RATECTL_VERBOSE=1 prints every window and the
 * baseline of each run. */
#define SEEDS 5

enum loop_bound { NOISY, QUIET };

static void loop_case(double k, double noise, unsigned lookups, double miss, double lag, enum loop_bound bound)
{
	struct ratectl_params p = params();
	struct loop_stats all = { .rate_min = INFINITY };
	double worst_within = 1, within, within_margin, mean, lat;

	p.decrease = 0.7;
	for (unsigned seed = 1; seed <= SEEDS; seed++) {
		struct plant pl = {
			.base_ms = 2.0, .k = k, .noise = noise, .seed = seed,
			.cap_before = 40 * MiB, .change_at = 1e9, .cap_after = 40 * MiB,
			.lookups = lookups, .miss = miss, .lag = lag,
		};
		struct loop_stats st;
		json_t *f = closed_loop(&pl, p, 0.25, 300, 400 * MiB, 20, &st, getenv("RATECTL_VERBOSE") != NULL);

		all.windows += st.windows;
		all.over += st.over;
		all.over_margin += st.over_margin;
		all.lat_sum += st.lat_sum;
		all.rate_sum += st.rate_sum;
		all.rate_min = fmin(all.rate_min, st.rate_min);
		all.rate_max = fmax(all.rate_max, st.rate_max);
		all.cuts += st.cuts;
		worst_within = fmin(worst_within, 1.0 - (double)st.over / st.windows);
		check_series(f);
		json_decref(f);
	}
	within = 1.0 - (double)all.over / all.windows;
	within_margin = 1.0 - (double)all.over_margin / all.windows;
	mean = all.rate_sum / all.windows;
	lat = all.lat_sum / all.windows;
	print_message("closed loop k=%.1f noise=%.2f n=%u miss=%.2f lag=%.1f, %d runs: latency within target in "
		      "%.1f%% of windows (worst run %.1f%%; within target+10%%: %.1f%%), mean %.3fx base; "
		      "rate mean %.1f min %.1f max %.1f MiB/s (capacity 40), %.1f cuts a run\n", k, noise,
		      lookups, miss, lag, SEEDS, within * 100, worst_within * 100, within_margin * 100, lat,
		      mean / MiB, all.rate_min / MiB, all.rate_max / MiB, (double)all.cuts / SEEDS);
	if (mean < 20 * MiB)
		fail_msg("mean rate %.1f MiB/s, less than half the capacity", mean / MiB);
	assert_true(all.cuts > 10 * SEEDS);
	assert_true(all.rate_max < 2 * 40 * MiB);
	assert_true(all.rate_min > 2 * MiB);	/* never near the floor */
	if (within_margin < 0.75)
		fail_msg("within target+10%% only %.1f%% of windows", within_margin * 100);
	if (lat > 1.25 + 0.1)
		fail_msg("mean latency %.3fx base, over target+10%%", lat);
	if (bound == NOISY)
		return;
	if (within < 0.80)
		fail_msg("within target only %.1f%% of windows", within * 100);
	if (lat > 1.25)
		fail_msg("mean latency %.3fx base, over the target", lat);
}

static void test_closed_loop(void **state)
{
	static const struct {
		double k, noise;
		unsigned lookups;
		double miss, lag;
		enum loop_bound bound;
	} cases[] = {
		{ 2.0, 0.05, 50, 0, 0, QUIET },
		{ 1.0, 0.05, 50, 0, 0, QUIET },
		{ 0.5, 0.05, 50, 0, 0, QUIET },		/* gentle: the rate settles above capacity */
		{ 4.0, 0.00, 50, 0, 0, QUIET },		/* steep */
		{ 2.0, 0.05, 50, 0, 0.5, QUIET },	/* lagged */
		{ 2.0, 0.30, 50, 0, 0, NOISY },
		{ 1.0, 0.30, 50, 0, 0, NOISY },
		{ 0.5, 0.30, 50, 0, 0, NOISY },
		{ 4.0, 0.60, 10, 0, 0, NOISY },		/* very noisy, few lookups */
		{ 1.0, 0.30, 50, 0, 0.5, NOISY },	/* lagged */
		{ 2.0, 0.05, 50, 0.5, 0, NOISY },	/* half the lookups miss */
		{ 2.0, 0.05, 50, 0.2, 0, NOISY },	/* a fifth miss */
		{ 1.0, 0.05, 50, 0.2, 0, NOISY },
		{ 2.0, 0.05, 50, 0.05, 0, NOISY },	/* one in twenty misses */
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		loop_case(cases[c].k, cases[c].noise, cases[c].lookups, cases[c].miss, cases[c].lag,
			  cases[c].bound);
}

/* A busy site (20 MiB/s) for 30 s, then a quiet one: the rate backs off
 * while busy, then climbs back additively to the ceiling. */
static void test_busy_then_quiet(void **state)
{
	struct plant pl = {
		.base_ms = 2.0, .k = 2.0, .noise = 0.2, .seed = 99,
		.cap_before = 20 * MiB, .change_at = 31.0, .cap_after = 1e15, .lookups = 20,
	};
	struct ratectl_params p = params();
	struct loop_stats st;
	json_t *f, *series;

	(void)state;
	p.ceiling = 100 * MiB;
	p.decrease = 0.7;
	/* 30 s busy, then 60 s quiet: 80 MiB at 2 MiB/s takes 40 s */
	f = closed_loop(&pl, p, 0.25, 90, 400 * MiB, 0, &st, getenv("RATECTL_VERBOSE") != NULL);
	assert_true(st.cuts >= 2);
	assert_near(st.final_rate, p.ceiling, 0);
	assert_true(facts_num(f, "rate", "min") < 30 * MiB);
	assert_near(facts_num(f, "rate", "max"), p.ceiling, 0.5);
	assert_true(facts_num(f, NULL, "backed_off_seconds") > 30);
	assert_false(facts_bool(f, "budget_reached"));
	series = json_object_get(json_object_get(f, "rate"), "series");
	assert_int_equal(check_series(f), RATECTL_SERIES);
	/* the busy third is slower than the last, which is at the ceiling */
	assert_true(json_integer_value(json_array_get(series, 2)) < 40 * MiB);
	assert_near((double)json_integer_value(json_array_get(series, 11)), p.ceiling, 1);
	json_decref(f);
}

/* A quiet site for 30 s (the rate at the ceiling, or at twice what the job
 * can move), then a busy one (40 MiB/s): the rate backs off within seconds,
 * not tens of them.  Figures printed: the site's worst latency and the
 * seconds until it is back within the target. */
static void test_quiet_then_busy(void **state)
{
	static const double speeds[] = { 2048 * MiB, 200 * MiB };
	struct ratectl_params p = params();

	(void)state;
	p.decrease = 0.7;
	for (size_t i = 0; i < sizeof(speeds) / sizeof(speeds[0]); i++) {
		struct plant pl = {
			.base_ms = 2.0, .k = 2.0, .noise = 0.3, .seed = 11,
			.cap_before = 1e15, .change_at = 31.0, .cap_after = 40 * MiB, .lookups = 50,
		};
		struct loop_stats st;
		json_t *f = closed_loop(&pl, p, 0.25, 90, speeds[i], 45, &st, getenv("RATECTL_VERBOSE") != NULL);

		print_message("quiet then busy, a job that can move %.0f MiB/s: the site's latency peaks at "
			      "%.1fx, back within the target after %.1f s; then within it in %.1f%% of the "
			      "windows, rate mean %.1f MiB/s\n", speeds[i] / MiB, st.peak_after,
			      st.settled_after, 100.0 - 100.0 * st.over / st.windows, st.rate_sum / st.windows / MiB);
		assert_true(st.settled_after >= 0);
		if (st.settled_after > 15)
			fail_msg("still over the target %.1f s after the site got busy", st.settled_after);
		/* and then it holds, as in test_closed_loop */
		assert_true(st.rate_sum / st.windows >= 20 * MiB);
		assert_true(st.over_margin <= st.windows / 4);
		json_decref(f);
	}
}

/* A job that stalls now and then (a window in which it moves nothing: a
 * slow chunk query, a full pipe) on a site whose latency lags its rate by
 * half a window: the stalls cost what they cost, not a cut to the floor
 * (the stalled window's canary, pooled with the window before, can still be
 * over: a cut from what it moved, 0, was the floor). */
static void test_stalls(void **state)
{
	static const double every[] = { 5, 2 };
	struct ratectl_params p = params();

	(void)state;
	p.decrease = 0.7;
	for (size_t i = 0; i < sizeof(every) / sizeof(every[0]); i++) {
		struct plant pl = {
			.base_ms = 2.0, .k = 2.0, .noise = 0.3, .seed = 11, .lag = 0.5,
			.cap_before = 40 * MiB, .change_at = 1e9, .cap_after = 40 * MiB, .lookups = 50,
			.stall_every = every[i],
		};
		struct loop_stats st;
		json_t *f = closed_loop(&pl, p, 0.25, 300, 400 * MiB, 20, &st, getenv("RATECTL_VERBOSE") != NULL);
		double within = 1.0 - (double)st.over / st.windows;

		print_message("a stall every %.0f s: within target in %.1f%% of windows; the limit min %.1f, "
			      "mean %.1f MiB/s, %u cuts\n", every[i], within * 100, facts_num(f, "rate", "min") / MiB,
			      facts_num(f, "rate", "mean") / MiB, st.cuts);
		assert_true(within >= 0.80);
		assert_true(facts_num(f, "rate", "min") >= 8 * MiB);
		assert_true(facts_num(f, "rate", "mean") >= 30 * MiB);
		json_decref(f);
	}
}

/* A quiet site from the start: slow start reaches the ceiling in seconds
 * (16 MiB to 1 GiB is 6 doublings; 10.3 s at 1.5x a second). */
static void test_quiet_full_speed(void **state)
{
	struct plant pl = {
		.base_ms = 2.0, .k = 2.0, .noise = 0.2, .seed = 5,
		.cap_before = 1e15, .change_at = 0, .cap_after = 1e15, .lookups = 20,
	};
	struct ratectl_params p = params();
	struct loop_stats st;
	json_t *f;

	(void)state;
	f = closed_loop(&pl, p, 0.25, ceil(log(64) / log(slow_start_growth())) + 0.5, 1e15, 0, &st, false);
	assert_int_equal(st.cuts, 0);
	assert_near(st.final_rate, p.ceiling, 0);
	assert_near(facts_num(f, NULL, "backed_off_seconds"), 0, 0);
	json_decref(f);
}

/* max_dump_time in the loop: a site that never has room (every window
 * over) holds the rate near the floor until the budget, then the ceiling. */
static void test_budget_closed_loop(void **state)
{
	struct plant pl = {
		.base_ms = 2.0, .k = 2.0, .noise = 0.05, .seed = 3,
		.cap_before = 0.5 * MiB, .change_at = 1e9, .cap_after = 0.5 * MiB, .lookups = 20,
	};
	struct ratectl_params p = params();
	struct loop_stats st;
	json_t *f;

	(void)state;
	p.budget_at = ADAPT_BASELINE + 20;	/* 20 s into the job */
	f = closed_loop(&pl, p, 0.25, 19.5, 400 * MiB, 0, &st, false);
	assert_false(facts_bool(f, "budget_reached"));
	assert_true(st.final_rate < 4 * MiB);
	json_decref(f);
	pl.seed = 3;
	f = closed_loop(&pl, p, 0.25, 40, 400 * MiB, 0, &st, false);
	assert_true(facts_bool(f, "budget_reached"));
	assert_near(st.final_rate, p.ceiling, 0);
	assert_near(facts_num(f, "rate", "max"), p.ceiling, 0.5);
	/* the site was over all the time after the budget, and it did not matter */
	assert_true(facts_num(f, NULL, "over_seconds") > 30);
	json_decref(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_backoff_from_moved),
		cmocka_unit_test(test_recovery_shape),
		cmocka_unit_test(test_growth_capped_by_moved),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_none_holds),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_facts_short),
		cmocka_unit_test(test_facts_partial_span),
		cmocka_unit_test(test_facts_long),
		cmocka_unit_test(test_judge_thresholds),
		cmocka_unit_test(test_judge_no_baseline),
		cmocka_unit_test(test_judge_significance),
		cmocka_unit_test(test_judge_quickest_baseline),
		cmocka_unit_test(test_closed_loop),
		cmocka_unit_test(test_busy_then_quiet),
		cmocka_unit_test(test_quiet_then_busy),
		cmocka_unit_test(test_stalls),
		cmocka_unit_test(test_quiet_full_speed),
		cmocka_unit_test(test_judge_site_idle),
		cmocka_unit_test(test_judge_disk_idle),
		cmocka_unit_test(test_budget_closed_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

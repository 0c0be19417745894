/*
 * ratectl — see ratectl.h for what and why.
 */
#include "ratectl.h"

#include <math.h>
#include <string.h>

/* Seconds per span at first (doubled as the run grows). */
#define FIRST_SPAN 0.5
/* Growth per second before the first cut: doubling overshot by seconds of a
 * rate the site could not bear before the first window over said so. */
#define SLOW_START_GROWTH 1.5

void ratectl_init(struct ratectl *rc, const struct ratectl_params *p, double now)
{
	memset(rc, 0, sizeof(*rc));
	rc->p = *p;
	if (rc->p.ceiling < rc->p.floor)
		rc->p.ceiling = rc->p.floor;
	rc->rate = fmin(fmax(p->start, rc->p.floor), rc->p.ceiling);
	rc->t0 = rc->last = now;
	rc->slow_start = true;
	rc->min_rate = rc->max_rate = rc->rate;
	rc->span_len = FIRST_SPAN;
}

double ratectl_rate(const struct ratectl *rc)
{
	return rc->rate;
}

/* Halves the series' resolution: pairs of spans become one. */
static void merge_spans(struct ratectl *rc)
{
	for (unsigned i = 0; i < RATECTL_SPANS / 2; i++)
		rc->span_sum[i] = rc->span_sum[2 * i] + rc->span_sum[2 * i + 1];
	memset(rc->span_sum + RATECTL_SPANS / 2, 0, sizeof(rc->span_sum) / 2);
	rc->span_len *= 2;
	rc->nspans = (rc->nspans + 1) / 2;
}

/* Adds the rate held over [from, to) to the spans. */
static void account(struct ratectl *rc, double from, double to)
{
	while (to > from) {
		double off = from - rc->t0;
		unsigned i = (unsigned)(off / rc->span_len);
		double end, piece;

		while (i >= RATECTL_SPANS) {
			merge_spans(rc);
			i = (unsigned)(off / rc->span_len);
		}
		end = rc->t0 + (i + 1) * rc->span_len;
		piece = fmin(to, end) - from;
		if (piece <= 0)		/* rounding at a span's edge */
			piece = fmin(to - from, 1e-9);
		rc->span_sum[i] += rc->rate * piece;
		if (i + 1 > rc->nspans)
			rc->nspans = i + 1;
		from += piece;
	}
}

double ratectl_update(struct ratectl *rc, double now, enum ratectl_verdict v, double moved)
{
	double dt = now - rc->last, r = rc->rate;

	if (dt < 0)
		dt = 0;
	account(rc, rc->last, now);
	rc->bytes_allowed += rc->rate * dt;
	/* Backed off: from a cut until the rate is back where it was. */
	if (rc->recover_to > 0 && rc->rate < rc->recover_to && !rc->budget_reached)
		rc->backed_off_s += dt;
	if (v == RATECTL_OVER)
		rc->over_s += dt;
	rc->last = now;

	if (!rc->budget_reached && rc->p.budget_at > 0 && now >= rc->p.budget_at)
		rc->budget_reached = true;
	if (rc->budget_reached) {
		r = rc->p.ceiling;
	} else if (v == RATECTL_OVER) {
		if (now >= rc->hold_until) {
			/* A limit above what the job moved did not bind: cut from
			 * what it moved, or cuts would take many windows to bite.
			 * A job that moved nothing (a slow query, a full pipe)
			 * did not bind it either, but a cut from 0 is the floor:
			 * then the cut is from the rate. */
			double from = moved > 0 && moved < rc->rate ? moved : rc->rate;

			r = from * rc->p.decrease;
			rc->cuts++;
			rc->slow_start = false;
			if (from > rc->recover_to)
				rc->recover_to = from;
			rc->hold_until = now + rc->p.hold;
		}
	} else if (v == RATECTL_UNDER && now >= rc->hold_until) {
		if (rc->slow_start)
			r = rc->rate * pow(SLOW_START_GROWTH, dt);
		else
			r = rc->rate + rc->p.increase * dt;
		/* Growth is earned by use (RFC 7661): a job that moved less
		 * than its limit (the server, the disk or the compressor held
		 * it) gets at most twice what it moved. */
		if (moved >= 0 && r > 2 * moved)
			r = fmax(2 * moved, rc->rate);
	}
	rc->rate = fmin(fmax(r, rc->p.floor), rc->p.ceiling);
	if (rc->recover_to > 0 && rc->rate >= rc->recover_to)
		rc->recover_to = 0;	/* recovered */
	if (rc->rate < rc->min_rate)
		rc->min_rate = rc->rate;
	if (rc->rate > rc->max_rate)
		rc->max_rate = rc->rate;
	return rc->rate;
}

/* The mean rate over [a, b) (offsets from t0), from the spans.  The last
 * span is filled only up to the last update: its sum is spread over that
 * part, not over the whole span (or the series would lose up to half a
 * span of the run and its mean fall below the mean rate). */
static double span_mean(const struct ratectl *rc, double a, double b)
{
	double sum = 0, run = rc->last - rc->t0;

	if (b <= a)
		return 0;
	for (unsigned i = 0; i < rc->nspans; i++) {
		double s = i * rc->span_len, e = fmin(s + rc->span_len, run);
		double lo = fmax(a, s), hi = fmin(b, e);

		if (hi > lo)
			sum += rc->span_sum[i] * (hi - lo) / (e - s);
	}
	return sum / (b - a);
}

json_t *ratectl_facts(const struct ratectl *rc, double now)
{
	double run = rc->last - rc->t0;
	json_t *series = json_array();
	int n = RATECTL_SERIES;

	/* A short run gets a number per span it has, not 12 copies of one. */
	if (run < n * FIRST_SPAN)
		n = (int)ceil(run / FIRST_SPAN);
	for (int i = 0; i < n; i++)
		json_array_append_new(series, json_integer((json_int_t)llround(
			span_mean(rc, run * i / n, run * (i + 1) / n))));
	return json_pack("{s:{s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:o}, s:i, s:f, s:f, s:b}",
			 "rate",
			 "start", (json_int_t)llround(fmin(fmax(rc->p.start, rc->p.floor), rc->p.ceiling)),
			 "min", (json_int_t)llround(rc->min_rate),
			 "mean", (json_int_t)llround(run > 0 ? rc->bytes_allowed / run : rc->rate),
			 "max", (json_int_t)llround(rc->max_rate),
			 "floor", (json_int_t)llround(rc->p.floor),
			 "ceiling", (json_int_t)llround(rc->p.ceiling),
			 "series_span_seconds", run / (n ? n : 1),
			 "series", series,
			 "cuts", (int)rc->cuts,
			 "over_seconds", rc->over_s,
			 "backed_off_seconds", rc->backed_off_s,
			 "budget_reached", rc->budget_reached || (rc->p.budget_at > 0 && now >= rc->p.budget_at));
}

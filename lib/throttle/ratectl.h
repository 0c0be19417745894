/*
 * ratectl — the rate controller of an adaptive throttle: how many bytes per
 * second a job may move, from whether the site is being slowed down.
 *
 * It is a scavenger in the manner of LEDBAT (RFC 6817) and TCP's AIMD: every
 * window the caller says whether the congestion signal (the site's latency
 * against its own from before the job) was over the target, under it, or not
 * measured.  Over: the rate is cut to DECREASE times itself, at most once per
 * HOLD seconds (the next window still shows the old rate's effect).  Under:
 * it grows, by half per second until the first cut (slow start, so a job
 * on a quiet machine reaches full speed within seconds), then by INCREASE
 * bytes/s per second, but never past twice what the job really moved (a
 * limit it does not use is no limit: cuts from it would not bite).  It never
 * leaves [FLOOR, CEILING].
 *
 * A budget (a db dump's max_dump_time) ends the backing off: past BUDGET_AT
 * the rate goes to the ceiling and stays there, and the facts say so.
 *
 * It records what it did for the backup's record: the rate over time in a
 * few numbers (the mean rate of each of at most RATECTL_SERIES equal spans of
 * the run), its mean, least and greatest value, how many cuts, and the time
 * spent over the target and backed off (from a cut until the rate is back to
 * where it was before it).
 *
 * What it does not do: measure anything (adapt.c does, from the signals in
 * congestion.c and a kind's canary), sleep, or apply the rate (the token
 * bucket in throttle.c does).  Time is passed in, so tests drive it with a
 * simulated signal.
 */
#ifndef LIFEBOAT_RATECTL_H
#define LIFEBOAT_RATECTL_H

#include <stdbool.h>

#include <jansson.h>

#define RATECTL_SERIES 12	/* numbers in the record's rate series */
#define RATECTL_SPANS 64	/* spans kept while running (merged pairwise) */

enum ratectl_verdict {
	RATECTL_NONE,		/* no signal this window: the rate holds */
	RATECTL_UNDER,		/* under the target: speed up */
	RATECTL_OVER,		/* over the target: back off */
};

struct ratectl_params {
	double floor;		/* bytes/s the rate never goes below */
	double ceiling;		/* ... nor above */
	double start;		/* the first rate */
	double decrease;	/* factor of a cut, in (0, 1) */
	double increase;	/* bytes/s added per second after the first cut */
	double hold;		/* seconds after a cut before another */
	double budget_at;	/* clock time past which no more cuts; 0 = never */
};

struct ratectl {
	struct ratectl_params p;
	double rate;
	double t0, last;	/* clock times of the start and the last update */
	double hold_until;
	bool slow_start;	/* no cut yet: growing by half a second */
	bool budget_reached;
	/* for the record */
	unsigned cuts;
	double recover_to;	/* the rate before the cuts under way (0: none) */
	double over_s, backed_off_s, bytes_allowed;
	double min_rate, max_rate;
	double span_len;	/* seconds per span of the series */
	double span_sum[RATECTL_SPANS];	/* integral of the rate over each span */
	unsigned nspans;	/* spans begun */
};

void ratectl_init(struct ratectl *rc, const struct ratectl_params *p, double now);
/* One window ended at NOW with verdict V, in which the job moved MOVED
 * bytes/s (< 0: not known): returns the new rate.  A cut starts from the
 * lesser of the rate and MOVED (if MOVED > 0); growth stops at twice MOVED. */
double ratectl_update(struct ratectl *rc, double now, enum ratectl_verdict v, double moved);
/* The rate now. */
double ratectl_rate(const struct ratectl *rc);
/* The record's figures of the controller up to NOW (new reference):
 * rate {start, min, mean, max, floor, ceiling, series}, cuts, over_seconds,
 * backed_off_seconds, budget_reached (by NOW, whether or not a window saw it:
 * a job that goes at full speed past its budget may end before the next). */
json_t *ratectl_facts(const struct ratectl *rc, double now);

#endif

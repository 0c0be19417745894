/*
 * retention — the plan of `lifeboat prune`.  See retention.h for the rules.
 *
 * How it works, in O(n log n):
 *   1. every id is parsed (store_id_parse) and the items are sorted twice: by
 *      id, to find parents and repeated ids, and chronologically (time, then
 *      id), which is the order every rule walks in;
 *   2. the local calendar position of every good backup is taken once
 *      (localtime_r), with its ISO 8601 week-year computed from it;
 *   3. keep_last and keep_within walk the good backups newest first;
 *   4. each period rule sorts the good backups by bucket key (newest first
 *      within a bucket): the first of each bucket is its newest backup, the
 *      bucket's "head".  Walking newest first, the first N heads are kept.
 *      Sorting rather than comparing each backup with the previous one (as
 *      restic does) gives the same result whenever local time only moves
 *      forward, and still counts a bucket once where a zone's clock jumps back
 *      across a period boundary;
 *   5. the backups that are always kept are added (newest good, pinned, failed
 *      runs newer than the newest good one), then the parent chains of
 *      everything kept, transitively (a work stack, so cycles end);
 *   6. each kept parent is said to be needed by its oldest kept direct child,
 *      the nearest link of the chain that holds it;
 *   7. the reasons are written in a fixed order: last, hourly, daily, weekly,
 *      monthly, yearly, within, newest (or the failed-run reasons), pinned,
 *      needed-by.
 *
 * Nothing here does I/O (beyond what tzset() and localtime_r() do to learn
 * the zone), logs, or looks at the clock; `now` is accepted and ignored.
 */
#include "retention.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "units.h"

#define NONE SIZE_MAX

/* The period rules, in the order their reasons are written. */
enum period {
	PERIOD_HOURLY,
	PERIOD_DAILY,
	PERIOD_WEEKLY,
	PERIOD_MONTHLY,
	PERIOD_YEARLY,
	PERIOD_COUNT,
};

/* Where a backup falls on the local calendar. */
struct civil {
	int year;		/* calendar year, e.g. 2026 */
	int month;		/* 1-12 */
	int day;		/* 1-31 */
	int hour;		/* 0-23, wall clock (a repeated hour is one hour) */
	int wyear;		/* ISO 8601 week-year (strftime %G) */
	int week;		/* ISO 8601 week, 1-53 (strftime %V) */
};

/* One item, for sorting chronologically or by id. */
struct slot {
	time_t time;		/* the item's time */
	struct store_id sid;	/* its parsed id */
	size_t item;		/* its index in the caller's array */
};

/* One good backup in a period rule's bucket sort. */
struct bucket_slot {
	int64_t key;		/* the bucket (see bucket_key) */
	size_t pos;		/* chronological position of the backup */
};

/* What is known about one item; indexed like the caller's array. */
struct state {
	size_t pos;			/* position in chronological order */
	struct civil civ;		/* local calendar position (good items only) */
	size_t parent;			/* index of the parent item, or NONE */
	long last;			/* K of "keep: last K/N", or 0 */
	bool period[PERIOD_COUNT];	/* kept by that period rule */
	bool within;			/* kept by keep_within */
	bool kept;			/* the decision, once every rule has run */
	size_t needed_by;		/* index of the nearest kept dependent, or NONE */
};

/* Scratch memory of one plan. */
struct plan {
	const struct retention_item *items;	/* the caller's items */
	size_t n;				/* how many */
	struct slot *chron;			/* items in chronological order */
	struct slot *byid;			/* items in id order */
	struct state *st;			/* per item */
	struct bucket_slot *buckets;		/* period rules' sort space */
	bool *head;				/* by position: newest of its bucket */
	size_t *stack;				/* parent-chain work stack */
	size_t newest_good;			/* position of the newest good backup, or NONE */
};

static int cmp_chron(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return store_id_compare(&x->sid, &y->sid);
}

static int cmp_id(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	return store_id_compare(&x->sid, &y->sid);
}

/* By key, then newest first, so that a bucket's head comes first. */
static int cmp_bucket(const void *a, const void *b)
{
	const struct bucket_slot *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->pos < y->pos) - (x->pos > y->pos);
}

/* Number of ISO weeks (52 or 53) of YEAR: 53 when it starts on a Thursday, or
 * on a Wednesday in a leap year. */
static int iso_weeks_in(int year)
{
	int p = (year + year / 4 - year / 100 + year / 400) % 7;
	int y = year - 1;
	int q = (y + y / 4 - y / 100 + y / 400) % 7;

	return (p == 4 || p == -3 || q == 3 || q == -4) ? 53 : 52;
}

static int to_civil(time_t t, struct civil *c)
{
	struct tm tm;
	int wd;

	if (!localtime_r(&t, &tm))
		return -EINVAL;
	c->year = tm.tm_year + 1900;
	c->month = tm.tm_mon + 1;
	c->day = tm.tm_mday;
	c->hour = tm.tm_hour;
	wd = (tm.tm_wday + 6) % 7;		/* Monday = 0 */
	c->wyear = c->year;
	c->week = (tm.tm_yday - wd + 10) / 7;
	if (c->week < 1) {
		c->wyear--;
		c->week = iso_weeks_in(c->wyear);
	} else if (c->week > iso_weeks_in(c->year)) {
		c->wyear++;
		c->week = 1;
	}
	return 0;
}

/* A number that is equal for two backups exactly when they share the bucket. */
static int64_t bucket_key(const struct civil *c, enum period p)
{
	switch (p) {
	case PERIOD_HOURLY:
		return (int64_t)c->year * 1000000 + c->month * 10000 + c->day * 100 + c->hour;
	case PERIOD_DAILY:
		return (int64_t)c->year * 10000 + c->month * 100 + c->day;
	case PERIOD_WEEKLY:
		return (int64_t)c->wyear * 100 + c->week;
	case PERIOD_MONTHLY:
		return (int64_t)c->year * 100 + c->month;
	case PERIOD_YEARLY:
	default:
		return c->year;
	}
}

/* Appends "; " (unless first) and the formatted reason; truncates, never overflows. */
__attribute__((format(printf, 3, 4)))
static void add_reason(struct retention_decision *d, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*len >= sizeof(d->reasons) - 1)
		return;
	if (*len > 0) {
		r = snprintf(d->reasons + *len, sizeof(d->reasons) - *len, "; ");
		*len += (size_t)r;
		if (*len >= sizeof(d->reasons) - 1) {
			*len = sizeof(d->reasons) - 1;
			return;
		}
	}
	va_start(ap, fmt);
	r = vsnprintf(d->reasons + *len, sizeof(d->reasons) - *len, fmt, ap);
	va_end(ap);
	if (r < 0)
		r = 0;
	*len += (size_t)r;
	if (*len >= sizeof(d->reasons))
		*len = sizeof(d->reasons) - 1;
}

static void add_period_reason(struct retention_decision *d, size_t *len,
			      const struct civil *c, enum period p)
{
	switch (p) {
	case PERIOD_HOURLY:
		add_reason(d, len, "keep: hourly %04d-%02d-%02d %02dh",
			   c->year, c->month, c->day, c->hour);
		break;
	case PERIOD_DAILY:
		add_reason(d, len, "keep: daily %04d-%02d-%02d", c->year, c->month, c->day);
		break;
	case PERIOD_WEEKLY:
		add_reason(d, len, "keep: weekly %04d-W%02d", c->wyear, c->week);
		break;
	case PERIOD_MONTHLY:
		add_reason(d, len, "keep: monthly %04d-%02d", c->year, c->month);
		break;
	case PERIOD_YEARLY:
	default:
		add_reason(d, len, "keep: yearly %04d", c->year);
		break;
	}
}

static long period_count(const struct retention *policy, enum period p)
{
	switch (p) {
	case PERIOD_HOURLY:
		return policy->keep_hourly;
	case PERIOD_DAILY:
		return policy->keep_daily;
	case PERIOD_WEEKLY:
		return policy->keep_weekly;
	case PERIOD_MONTHLY:
		return policy->keep_monthly;
	case PERIOD_YEARLY:
	default:
		return policy->keep_yearly;
	}
}

static bool policy_valid(const struct retention *policy)
{
	return policy->keep_last >= 0 && policy->keep_hourly >= 0 && policy->keep_daily >= 0 &&
	       policy->keep_weekly >= 0 && policy->keep_monthly >= 0 && policy->keep_yearly >= 0 &&
	       policy->keep_within >= 0;
}

bool retention_keeps_nothing(const struct retention *policy)
{
	if (!policy)
		return true;
	return !(policy->keep_last > 0 || policy->keep_hourly > 0 || policy->keep_daily > 0 ||
		 policy->keep_weekly > 0 || policy->keep_monthly > 0 || policy->keep_yearly > 0 ||
		 policy->keep_within > 0);
}

static void plan_free(struct plan *pl)
{
	free(pl->chron);
	free(pl->byid);
	free(pl->st);
	free(pl->buckets);
	free(pl->head);
	free(pl->stack);
}

/* Parses ids, sorts, resolves parents and takes calendar positions. */
static int plan_index(struct plan *pl)
{
	const struct retention_item *items = pl->items;
	size_t n = pl->n;

	for (size_t i = 0; i < n; i++) {
		if (store_id_parse(items[i].id, &pl->chron[i].sid) < 0)
			return -EINVAL;
		pl->chron[i].time = items[i].time;
		pl->chron[i].item = i;
		pl->byid[i] = pl->chron[i];
	}
	qsort(pl->byid, n, sizeof(*pl->byid), cmp_id);
	for (size_t i = 1; i < n; i++)
		if (cmp_id(&pl->byid[i - 1], &pl->byid[i]) == 0)
			return -EINVAL;
	qsort(pl->chron, n, sizeof(*pl->chron), cmp_chron);

	tzset();
	pl->newest_good = NONE;
	for (size_t p = 0; p < n; p++) {
		size_t i = pl->chron[p].item;
		struct state *s = &pl->st[i];

		s->pos = p;
		s->parent = NONE;
		s->needed_by = NONE;
		if (items[i].good) {
			if (to_civil(items[i].time, &s->civ) < 0)
				return -EINVAL;
			pl->newest_good = p;
		}
	}

	for (size_t i = 0; i < n; i++) {
		struct slot key;
		const struct slot *hit;

		if (!items[i].parent || store_id_parse(items[i].parent, &key.sid) < 0)
			continue;
		hit = bsearch(&key, pl->byid, n, sizeof(*pl->byid), cmp_id);
		if (hit && hit->item != i)
			pl->st[i].parent = hit->item;
	}
	return 0;
}

static void apply_last(struct plan *pl, long keep)
{
	long k = 0;

	for (size_t p = pl->n; p-- > 0 && k < keep;) {
		size_t i = pl->chron[p].item;

		if (pl->items[i].good)
			pl->st[i].last = ++k;
	}
}

static void apply_period(struct plan *pl, enum period per, long keep)
{
	size_t m = 0;
	long k = 0;

	for (size_t p = 0; p < pl->n; p++) {
		size_t i = pl->chron[p].item;

		pl->head[p] = false;
		if (pl->items[i].good) {
			pl->buckets[m].key = bucket_key(&pl->st[i].civ, per);
			pl->buckets[m].pos = p;
			m++;
		}
	}
	qsort(pl->buckets, m, sizeof(*pl->buckets), cmp_bucket);
	for (size_t j = 0; j < m; j++)
		if (j == 0 || pl->buckets[j].key != pl->buckets[j - 1].key)
			pl->head[pl->buckets[j].pos] = true;
	for (size_t p = pl->n; p-- > 0 && k < keep;) {
		if (pl->head[p]) {
			pl->st[pl->chron[p].item].period[per] = true;
			k++;
		}
	}
}

static void apply_within(struct plan *pl, int64_t within)
{
	uint64_t newest;

	if (pl->newest_good == NONE)
		return;
	newest = (uint64_t)(int64_t)pl->chron[pl->newest_good].time;
	for (size_t p = pl->newest_good + 1; p-- > 0;) {
		size_t i = pl->chron[p].item;

		if (!pl->items[i].good)
			continue;
		/* chronological order: newest >= this time, so no wrap-around */
		if (newest - (uint64_t)(int64_t)pl->items[i].time >= (uint64_t)within)
			break;
		pl->st[i].within = true;
	}
}

/* The decision of every item before parent chains are followed. */
static bool kept_on_its_own(const struct plan *pl, size_t i)
{
	const struct retention_item *it = &pl->items[i];
	const struct state *s = &pl->st[i];

	if (it->pinned)
		return true;
	if (!it->good)
		return pl->newest_good == NONE || s->pos > pl->newest_good;
	if (s->last || s->within || s->pos == pl->newest_good)
		return true;
	for (int per = 0; per < PERIOD_COUNT; per++)
		if (s->period[per])
			return true;
	return false;
}

static void follow_chains(struct plan *pl)
{
	size_t top = 0;

	for (size_t i = 0; i < pl->n; i++) {
		pl->st[i].kept = kept_on_its_own(pl, i);
		if (pl->st[i].kept)
			pl->stack[top++] = i;
	}
	while (top > 0) {
		size_t parent = pl->st[pl->stack[--top]].parent;

		if (parent != NONE && !pl->st[parent].kept) {
			pl->st[parent].kept = true;
			pl->stack[top++] = parent;
		}
	}
	/* Oldest kept direct child first: the nearest dependent. */
	for (size_t p = 0; p < pl->n; p++) {
		size_t i = pl->chron[p].item;
		size_t parent = pl->st[i].parent;

		if (pl->st[i].kept && parent != NONE && pl->st[parent].needed_by == NONE)
			pl->st[parent].needed_by = i;
	}
}

static void write_decision(const struct plan *pl, const struct retention *policy, size_t i,
			   struct retention_decision *d)
{
	const struct retention_item *it = &pl->items[i];
	const struct state *s = &pl->st[i];
	size_t len = 0;

	memset(d, 0, sizeof(*d));
	if (!s->kept) {
		d->action = RETENTION_REMOVE;
		add_reason(d, &len, "%s", it->good ? "remove: outside policy" : "remove: not a good backup");
		return;
	}
	d->action = RETENTION_KEEP;
	if (s->last)
		add_reason(d, &len, "keep: last %ld/%ld", s->last, policy->keep_last);
	for (int per = 0; per < PERIOD_COUNT; per++)
		if (s->period[per])
			add_period_reason(d, &len, &s->civ, (enum period)per);
	if (s->within) {
		char dur[32];

		units_format_duration(policy->keep_within, dur, sizeof(dur));
		add_reason(d, &len, "keep: within %s", dur);
	}
	if (it->good && s->pos == pl->newest_good)
		add_reason(d, &len, "keep: newest good backup");
	else if (!it->good && pl->newest_good == NONE)
		add_reason(d, &len, "keep: no good backup yet");
	else if (!it->good && s->pos > pl->newest_good)
		add_reason(d, &len, "keep: newer than the last good backup");
	if (it->pinned)
		add_reason(d, &len, "keep: pinned");
	if (s->needed_by != NONE)
		add_reason(d, &len, "keep: needed by %s (incremental)", pl->items[s->needed_by].id);
}

int retention_plan(const struct retention_item *items, size_t n, const struct retention *policy,
		   time_t now, struct retention_decision *out)
{
	struct plan pl = { .items = items, .n = n };
	int r;

	(void)now;
	if (!policy || !policy_valid(policy) || (n > 0 && (!items || !out)))
		return -EINVAL;
	if (n == 0)
		return 0;

	pl.chron = calloc(n, sizeof(*pl.chron));
	pl.byid = calloc(n, sizeof(*pl.byid));
	pl.st = calloc(n, sizeof(*pl.st));
	pl.buckets = calloc(n, sizeof(*pl.buckets));
	pl.head = calloc(n, sizeof(*pl.head));
	pl.stack = calloc(n, sizeof(*pl.stack));
	if (!pl.chron || !pl.byid || !pl.st || !pl.buckets || !pl.head || !pl.stack) {
		r = -ENOMEM;
		goto out;
	}
	r = plan_index(&pl);
	if (r < 0)
		goto out;

	if (policy->keep_last > 0)
		apply_last(&pl, policy->keep_last);
	for (int per = 0; per < PERIOD_COUNT; per++) {
		long keep = period_count(policy, (enum period)per);

		if (keep > 0)
			apply_period(&pl, (enum period)per, keep);
	}
	if (policy->keep_within > 0)
		apply_within(&pl, policy->keep_within);
	follow_chains(&pl);

	for (size_t i = 0; i < n; i++)
		write_decision(&pl, policy, i, &out[i]);
	r = 0;
out:
	plan_free(&pl);
	return r;
}

/*
 * Unit tests of lib/retention: the plan of `lifeboat prune` over synthetic
 * histories, with every expected kept set computed by hand.
 *
 * Histories are built from instants (an hourly history is start + k hours), and
 * their ids from the local date, numbered per day as the store does: in UTC the
 * backup taken at HH:00 is "backup-DD-(HH+1)", so 23:00 is seq 24.  An expected
 * set may name a run of one day's backups as "2026/12/backup-31-01..24".
 *
 * Each test sets TZ explicitly (setenv + tzset); the meson runner's default is UTC.
 * Not tested here: printing or applying the plan (the prune command's tests).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "retention.h"
#include "store.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define HOUR 3600
#define DAY 86400
#define YEAR_HOURS 8760

/* A synthetic history and the plan made for it. */
struct hist {
	size_t n;				/* number of backups */
	struct retention_item *items;		/* the backups, pointing into ids/parents */
	char (*ids)[STORE_ID_MAX];		/* their ids */
	char (*parents)[STORE_ID_MAX];		/* their parents' ids, when they have one */
	struct retention_decision *out;		/* the last plan */
};

/* One backup of a hand-written history. */
struct spec {
	const char *when;		/* local "YYYY-MM-DD HH:MM" */
	bool failed;			/* not a good backup */
	bool pinned;			/* pinned */
	int parent;			/* index of its parent in the spec, or -1 */
	const char *parent_id;		/* or this parent id verbatim (when parent is -1) */
};

/* An expected reason string. */
struct reason {
	const char *id;			/* the backup */
	const char *text;		/* its exact reasons */
};

static void set_tz(const char *tz)
{
	assert_int_equal(setenv("TZ", tz, 1), 0);
	tzset();
}

/* Local wall-clock time to an instant; ISDST -1 unless the time is ambiguous. */
static time_t local_time(int y, int mo, int d, int h, int mi, int isdst)
{
	struct tm tm = {
		.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
		.tm_hour = h, .tm_min = mi, .tm_isdst = isdst,
	};
	time_t t = mktime(&tm);

	assert_true(t != (time_t)-1);
	return t;
}

static void hist_alloc(struct hist *h, size_t n)
{
	memset(h, 0, sizeof(*h));
	h->n = n;
	h->items = calloc(n, sizeof(*h->items));
	h->ids = calloc(n, sizeof(*h->ids));
	h->parents = calloc(n, sizeof(*h->parents));
	h->out = calloc(n, sizeof(*h->out));
	assert_non_null(h->items);
	assert_non_null(h->ids);
	assert_non_null(h->parents);
	assert_non_null(h->out);
}

static void hist_free(struct hist *h)
{
	free(h->items);
	free(h->ids);
	free(h->parents);
	free(h->out);
	memset(h, 0, sizeof(*h));
}

/* Gives items[0..n) ids from their (chronological) local dates. */
static void hist_name(struct hist *h)
{
	struct store_id prev = { 0, 0, 0, 0 };

	for (size_t k = 0; k < h->n; k++) {
		struct store_id id;
		struct tm tm;

		assert_non_null(localtime_r(&h->items[k].time, &tm));
		id.year = tm.tm_year + 1900;
		id.month = tm.tm_mon + 1;
		id.day = tm.tm_mday;
		id.seq = (id.year == prev.year && id.month == prev.month && id.day == prev.day)
			 ? prev.seq + 1 : 1;
		store_id_format(&id, h->ids[k]);
		h->items[k].id = h->ids[k];
		prev = id;
	}
}

/* COUNT good backups, STEP seconds apart, from START. */
static void hist_series(struct hist *h, time_t start, size_t count, int64_t step)
{
	hist_alloc(h, count);
	for (size_t k = 0; k < count; k++) {
		h->items[k].time = start + (time_t)((int64_t)k * step);
		h->items[k].good = true;
	}
	hist_name(h);
}

static void hist_specs(struct hist *h, const struct spec *s, size_t n)
{
	hist_alloc(h, n);
	for (size_t k = 0; k < n; k++) {
		int y, mo, d, hh, mi;

		assert_int_equal(sscanf(s[k].when, "%d-%d-%d %d:%d", &y, &mo, &d, &hh, &mi), 5);
		h->items[k].time = local_time(y, mo, d, hh, mi, -1);
		h->items[k].good = !s[k].failed;
		h->items[k].pinned = s[k].pinned;
	}
	hist_name(h);
	for (size_t k = 0; k < n; k++) {
		if (s[k].parent >= 0) {
			snprintf(h->parents[k], sizeof(h->parents[k]), "%s", h->ids[s[k].parent]);
			h->items[k].parent = h->parents[k];
		} else if (s[k].parent_id) {
			h->items[k].parent = s[k].parent_id;
		}
	}
}

static size_t hist_find(const struct hist *h, const char *id)
{
	for (size_t k = 0; k < h->n; k++)
		if (strcmp(h->ids[k], id) == 0)
			return k;
	fail_msg("no backup %s in the history", id);
	return 0;
}

static void plan(struct hist *h, const struct retention *policy)
{
	assert_int_equal(retention_plan(h->items, h->n, policy, 0, h->out), 0);
}

static size_t count_kept(const struct hist *h)
{
	size_t c = 0;

	for (size_t k = 0; k < h->n; k++)
		c += h->out[k].action == RETENTION_KEEP;
	return c;
}

/* Marks the backups named by SPEC (an id, or "ID-AA..BB"). */
static void mark(const struct hist *h, const char *spec, bool *want)
{
	const char *dots = strstr(spec, "..");
	struct store_id first;
	char id[STORE_ID_MAX];
	int last;

	if (!dots) {
		want[hist_find(h, spec)] = true;
		return;
	}
	assert_true((size_t)(dots - spec) < sizeof(id));
	snprintf(id, sizeof(id), "%.*s", (int)(dots - spec), spec);
	assert_int_equal(store_id_parse(id, &first), 0);
	last = atoi(dots + 2);
	assert_true(last >= first.seq);
	for (int seq = first.seq; seq <= last; seq++) {
		first.seq = seq;
		store_id_format(&first, id);
		want[hist_find(h, id)] = true;
	}
}

/* The kept set is exactly KEPT (NULL-terminated); everything else is removed
 * with the right reason. */
static void check_kept(const struct hist *h, const char *const *kept, const char *what)
{
	bool *want = calloc(h->n, sizeof(*want));

	assert_non_null(want);
	for (size_t j = 0; kept[j]; j++)
		mark(h, kept[j], want);
	for (size_t k = 0; k < h->n; k++) {
		const struct retention_decision *d = &h->out[k];

		if (want[k] && d->action != RETENTION_KEEP)
			fail_msg("%s: %s removed (%s), expected kept", what, h->ids[k], d->reasons);
		if (!want[k] && d->action != RETENTION_REMOVE)
			fail_msg("%s: %s kept (%s), expected removed", what, h->ids[k], d->reasons);
		if (!want[k])
			assert_string_equal(d->reasons, h->items[k].good ? "remove: outside policy"
								   : "remove: not a good backup");
		else
			assert_true(strncmp(d->reasons, "keep: ", 6) == 0);
	}
	free(want);
}

static void check_reasons(const struct hist *h, const struct reason *r, size_t n)
{
	for (size_t j = 0; j < n && r[j].id; j++)
		assert_string_equal(h->out[hist_find(h, r[j].id)].reasons, r[j].text);
}

/* ------------------------------------------------------------------------- */

static void test_keeps_nothing(void **state)
{
	static const struct retention one[] = {
		{ .keep_last = 1 }, { .keep_hourly = 1 }, { .keep_daily = 1 }, { .keep_weekly = 1 },
		{ .keep_monthly = 1 }, { .keep_yearly = 1 }, { .keep_within = 1 },
		{ .keep_last = 3, .keep_daily = 7, .keep_weekly = 4, .keep_monthly = 12 },
	};
	struct retention none = { 0 };

	(void)state;
	assert_true(retention_keeps_nothing(&none));
	assert_true(retention_keeps_nothing(NULL));
	for (size_t i = 0; i < ARRAY_LEN(one); i++)
		assert_false(retention_keeps_nothing(&one[i]));
}

static void test_invalid(void **state)
{
	struct retention ok = { .keep_last = 1 };
	struct retention neg[] = { { .keep_last = -1 }, { .keep_daily = -1 }, { .keep_within = -1 },
				   { .keep_yearly = -5 } };
	struct retention_item items[2] = {
		{ .id = "2026/11/backup-01-01", .time = 1000, .good = true },
		{ .id = "2026/11/backup-02-01", .time = 2000, .good = true },
	};
	struct retention_decision out[2];
	static const char *const bad_ids[] = {
		"2026/13/backup-01-01", "2026/11/backup-01-1", "2026/11/backup-01-001",
		"2026/11/backup-32-01", "2026-11/backup-01-01", "", "2026/11/backup-01-01.json",
	};

	(void)state;
	set_tz("UTC");
	assert_int_equal(retention_plan(items, 2, NULL, 0, out), -EINVAL);
	for (size_t i = 0; i < ARRAY_LEN(neg); i++)
		assert_int_equal(retention_plan(items, 2, &neg[i], 0, out), -EINVAL);
	assert_int_equal(retention_plan(NULL, 2, &ok, 0, out), -EINVAL);
	assert_int_equal(retention_plan(items, 2, &ok, 0, NULL), -EINVAL);
	assert_int_equal(retention_plan(NULL, 0, &ok, 0, NULL), 0);
	for (size_t i = 0; i < ARRAY_LEN(bad_ids); i++) {
		items[1].id = bad_ids[i];
		assert_int_equal(retention_plan(items, 2, &ok, 0, out), -EINVAL);
	}
	items[1].id = NULL;
	assert_int_equal(retention_plan(items, 2, &ok, 0, out), -EINVAL);
	items[1].id = "2026/11/backup-01-01";		/* repeated */
	assert_int_equal(retention_plan(items, 2, &ok, 0, out), -EINVAL);
	items[1].id = "2026/11/backup-02-01";
	assert_int_equal(retention_plan(items, 2, &ok, 0, out), 0);
	assert_int_equal(out[0].action, RETENTION_REMOVE);
	assert_int_equal(out[1].action, RETENTION_KEEP);
}

/* --- a year of hourly backups: 2026-01-01 00:00 .. 2026-12-31 23:00 ---------- */

struct year_case {
	const char *name;
	struct retention policy;
	const char *kept[24];		/* NULL-terminated */
	struct reason reasons[5];	/* up to 5, NULL id ends */
};

#define MONTH_ENDS_JAN_NOV \
	"2026/01/backup-31-24", "2026/02/backup-28-24", "2026/03/backup-31-24", \
	"2026/04/backup-30-24", "2026/05/backup-31-24", "2026/06/backup-30-24", \
	"2026/07/backup-31-24", "2026/08/backup-31-24", "2026/09/backup-30-24", \
	"2026/10/backup-31-24", "2026/11/backup-30-24"

static const struct year_case year_cases[] = {
	{ "nothing: the newest good backup only", { 0 },
	  { "2026/12/backup-31-24", NULL },
	  { { "2026/12/backup-31-24", "keep: newest good backup" },
	    { "2026/12/backup-31-23", "remove: outside policy" } } },
	{ "last 3", { .keep_last = 3 },
	  { "2026/12/backup-31-22..24", NULL },
	  { { "2026/12/backup-31-24", "keep: last 1/3; keep: newest good backup" },
	    { "2026/12/backup-31-23", "keep: last 2/3" },
	    { "2026/12/backup-31-22", "keep: last 3/3" },
	    { "2026/12/backup-31-21", "remove: outside policy" } } },
	{ "hourly 24", { .keep_hourly = 24 },
	  { "2026/12/backup-31-01..24", NULL },
	  { { "2026/12/backup-31-01", "keep: hourly 2026-12-31 00h" },
	    { "2026/12/backup-31-14", "keep: hourly 2026-12-31 13h" },
	    { "2026/12/backup-30-24", "remove: outside policy" } } },
	{ "daily 7", { .keep_daily = 7 },
	  { "2026/12/backup-25-24", "2026/12/backup-26-24", "2026/12/backup-27-24",
	    "2026/12/backup-28-24", "2026/12/backup-29-24", "2026/12/backup-30-24",
	    "2026/12/backup-31-24", NULL },
	  { { "2026/12/backup-25-24", "keep: daily 2026-12-25" },
	    { "2026/12/backup-25-23", "remove: outside policy" },
	    { "2026/12/backup-31-24", "keep: daily 2026-12-31; keep: newest good backup" } } },
	/* ISO weeks start on Monday; 2026 has 53, W53 = Dec 28 .. 2027-01-03 */
	{ "weekly 4", { .keep_weekly = 4 },
	  { "2026/12/backup-31-24", "2026/12/backup-27-24", "2026/12/backup-20-24",
	    "2026/12/backup-13-24", NULL },
	  { { "2026/12/backup-31-24", "keep: weekly 2026-W53; keep: newest good backup" },
	    { "2026/12/backup-27-24", "keep: weekly 2026-W52" },
	    { "2026/12/backup-13-24", "keep: weekly 2026-W50" },
	    { "2026/12/backup-28-01", "remove: outside policy" } } },
	{ "monthly 12", { .keep_monthly = 12 },
	  { MONTH_ENDS_JAN_NOV, "2026/12/backup-31-24", NULL },
	  { { "2026/02/backup-28-24", "keep: monthly 2026-02" },
	    { "2026/03/backup-01-01", "remove: outside policy" } } },
	{ "yearly 3: one year has backups", { .keep_yearly = 3 },
	  { "2026/12/backup-31-24", NULL },
	  { { "2026/12/backup-31-24", "keep: yearly 2026; keep: newest good backup" },
	    { "2026/01/backup-01-01", "remove: outside policy" } } },
	/* newer than 23:00 - 48 h, strictly: Dec 29 23:00 is out */
	{ "within 2d", { .keep_within = 2 * DAY },
	  { "2026/12/backup-30-01..24", "2026/12/backup-31-01..24", NULL },
	  { { "2026/12/backup-30-01", "keep: within 2d" },
	    { "2026/12/backup-29-24", "remove: outside policy" } } },
	{ "within 90m", { .keep_within = 90 * 60 },
	  { "2026/12/backup-31-23..24", NULL },
	  { { "2026/12/backup-31-24", "keep: within 90m; keep: newest good backup" },
	    { "2026/12/backup-31-23", "keep: within 90m" } } },
	{ "the defaults: last 3, daily 7, weekly 4, monthly 12",
	  { .keep_last = 3, .keep_daily = 7, .keep_weekly = 4, .keep_monthly = 12 },
	  { "2026/12/backup-31-22..24", "2026/12/backup-25-24", "2026/12/backup-26-24",
	    "2026/12/backup-27-24", "2026/12/backup-28-24", "2026/12/backup-29-24",
	    "2026/12/backup-30-24", "2026/12/backup-20-24", "2026/12/backup-13-24",
	    MONTH_ENDS_JAN_NOV, NULL },
	  { { "2026/12/backup-31-24", "keep: last 1/3; keep: daily 2026-12-31; "
	      "keep: weekly 2026-W53; keep: monthly 2026-12; keep: newest good backup" },
	    { "2026/12/backup-31-23", "keep: last 2/3" },
	    { "2026/12/backup-27-24", "keep: daily 2026-12-27; keep: weekly 2026-W52" },
	    { "2026/11/backup-30-24", "keep: monthly 2026-11" },
	    { "2026/12/backup-31-01", "remove: outside policy" } } },
	{ "every rule",
	  { .keep_last = 3, .keep_hourly = 24, .keep_daily = 7, .keep_weekly = 4,
	    .keep_monthly = 12, .keep_yearly = 2, .keep_within = 2 * DAY },
	  { "2026/12/backup-30-01..24", "2026/12/backup-31-01..24", "2026/12/backup-25-24",
	    "2026/12/backup-26-24", "2026/12/backup-27-24", "2026/12/backup-28-24",
	    "2026/12/backup-29-24", "2026/12/backup-20-24", "2026/12/backup-13-24",
	    MONTH_ENDS_JAN_NOV, NULL },
	  { { "2026/12/backup-31-24", "keep: last 1/3; keep: hourly 2026-12-31 23h; "
	      "keep: daily 2026-12-31; keep: weekly 2026-W53; keep: monthly 2026-12; "
	      "keep: yearly 2026; keep: within 2d; keep: newest good backup" },
	    { "2026/12/backup-31-22", "keep: last 3/3; keep: hourly 2026-12-31 21h; keep: within 2d" },
	    { "2026/12/backup-30-24", "keep: daily 2026-12-30; keep: within 2d" },
	    { "2026/12/backup-31-01", "keep: hourly 2026-12-31 00h; keep: within 2d" },
	    { "2026/12/backup-30-01", "keep: within 2d" } } },
};

static void run_year(const char *tz)
{
	struct hist h;

	set_tz(tz);
	hist_series(&h, local_time(2026, 1, 1, 0, 0, -1), YEAR_HOURS, HOUR);
	assert_string_equal(h.ids[0], "2026/01/backup-01-01");
	assert_string_equal(h.ids[YEAR_HOURS - 1], "2026/12/backup-31-24");
	for (size_t c = 0; c < ARRAY_LEN(year_cases); c++) {
		const struct year_case *yc = &year_cases[c];

		plan(&h, &yc->policy);
		check_kept(&h, yc->kept, yc->name);
		check_reasons(&h, yc->reasons, ARRAY_LEN(yc->reasons));
	}
	hist_free(&h);
}

static void test_year_utc(void **state)
{
	(void)state;
	run_year("UTC");
}

/* The same instants in Berlin end on the same wall clock (the spring hour lost
 * is given back in the fall), and December has no DST: same ids, same plans. */
static void test_year_berlin(void **state)
{
	(void)state;
	run_year("Europe/Berlin");
}

/* More buckets asked for than the history has: every bucket, no more. */
static void test_year_counts(void **state)
{
	static const struct { struct retention policy; size_t kept; } cases[] = {
		{ { .keep_hourly = 10000 }, YEAR_HOURS },
		{ { .keep_daily = 400 }, 365 },
		{ { .keep_weekly = 60 }, 53 },
		{ { .keep_monthly = 100 }, 12 },
		{ { .keep_last = 100000 }, YEAR_HOURS },
		{ { .keep_within = 365 * DAY }, YEAR_HOURS },
		/* the oldest is exactly 8759 h older than the newest: out */
		{ { .keep_within = (YEAR_HOURS - 1) * HOUR }, YEAR_HOURS - 1 },
		{ { .keep_within = (YEAR_HOURS - 1) * HOUR + 1 }, YEAR_HOURS },
	};
	struct hist h;

	(void)state;
	set_tz("UTC");
	hist_series(&h, local_time(2026, 1, 1, 0, 0, -1), YEAR_HOURS, HOUR);
	for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
		plan(&h, &cases[c].policy);
		assert_int_equal(count_kept(&h), cases[c].kept);
	}
	/* weekly 60: the Sunday 23:00 of each week, and Thursday Dec 31 for W53 */
	plan(&h, &cases[2].policy);
	for (size_t k = 0; k < h.n; k++) {
		struct tm tm;

		if (h.out[k].action != RETENTION_KEEP)
			continue;
		gmtime_r(&h.items[k].time, &tm);
		assert_int_equal(tm.tm_hour, 23);
		if (strcmp(h.ids[k], "2026/12/backup-31-24") != 0)
			assert_int_equal(tm.tm_wday, 0);
	}
	assert_string_equal(h.out[hist_find(&h, "2026/01/backup-04-24")].reasons,
			    "keep: weekly 2026-W01");
	hist_free(&h);
}

/* --- a year of hourly backups ending 2027-01-10 23:00 (UTC): the boundary --- */

static const struct year_case boundary_cases[] = {
	/* 2027-01-03 is a Sunday in 2026-W53 */
	{ "weekly 4 across the new year", { .keep_weekly = 4 },
	  { "2027/01/backup-10-24", "2027/01/backup-03-24", "2026/12/backup-27-24",
	    "2026/12/backup-20-24", NULL },
	  { { "2027/01/backup-10-24", "keep: weekly 2027-W01; keep: newest good backup" },
	    { "2027/01/backup-03-24", "keep: weekly 2026-W53" },
	    { "2026/12/backup-31-24", "remove: outside policy" },
	    { "2027/01/backup-04-01", "remove: outside policy" } } },
	{ "daily 12 across the new year", { .keep_daily = 12 },
	  { "2026/12/backup-30-24", "2026/12/backup-31-24", "2027/01/backup-01-24",
	    "2027/01/backup-02-24", "2027/01/backup-03-24", "2027/01/backup-04-24",
	    "2027/01/backup-05-24", "2027/01/backup-06-24", "2027/01/backup-07-24",
	    "2027/01/backup-08-24", "2027/01/backup-09-24", "2027/01/backup-10-24", NULL },
	  { { "2027/01/backup-01-24", "keep: daily 2027-01-01" } } },
	{ "monthly 12", { .keep_monthly = 12 },
	  { "2027/01/backup-10-24", "2026/12/backup-31-24", "2026/11/backup-30-24",
	    "2026/10/backup-31-24", "2026/09/backup-30-24", "2026/08/backup-31-24",
	    "2026/07/backup-31-24", "2026/06/backup-30-24", "2026/05/backup-31-24",
	    "2026/04/backup-30-24", "2026/03/backup-31-24", "2026/02/backup-28-24", NULL },
	  { { "2027/01/backup-10-24", "keep: monthly 2027-01; keep: newest good backup" },
	    { "2026/12/backup-31-24", "keep: monthly 2026-12" } } },
	/* the history starts 2026-01-11: January 2026 is the 13th and last month */
	{ "monthly 14: only 13 months have backups", { .keep_monthly = 14 },
	  { "2027/01/backup-10-24", "2026/12/backup-31-24", "2026/11/backup-30-24",
	    "2026/10/backup-31-24", "2026/09/backup-30-24", "2026/08/backup-31-24",
	    "2026/07/backup-31-24", "2026/06/backup-30-24", "2026/05/backup-31-24",
	    "2026/04/backup-30-24", "2026/03/backup-31-24", "2026/02/backup-28-24",
	    "2026/01/backup-31-24", NULL },
	  { { "2026/01/backup-31-24", "keep: monthly 2026-01" } } },
	{ "yearly 5", { .keep_yearly = 5 },
	  { "2027/01/backup-10-24", "2026/12/backup-31-24", NULL },
	  { { "2027/01/backup-10-24", "keep: yearly 2027; keep: newest good backup" },
	    { "2026/12/backup-31-24", "keep: yearly 2026" } } },
	{ "last 3 and weekly 2 across the new year", { .keep_last = 3, .keep_weekly = 2 },
	  { "2027/01/backup-10-22..24", "2027/01/backup-03-24", NULL },
	  { { "2027/01/backup-10-24", "keep: last 1/3; keep: weekly 2027-W01; keep: newest good backup" } } },
};

static void test_year_boundary(void **state)
{
	struct hist h;

	(void)state;
	set_tz("UTC");
	hist_series(&h, local_time(2026, 1, 11, 0, 0, -1), YEAR_HOURS, HOUR);
	assert_string_equal(h.ids[YEAR_HOURS - 1], "2027/01/backup-10-24");
	for (size_t c = 0; c < ARRAY_LEN(boundary_cases); c++) {
		const struct year_case *yc = &boundary_cases[c];

		plan(&h, &yc->policy);
		check_kept(&h, yc->kept, yc->name);
		check_reasons(&h, yc->reasons, ARRAY_LEN(yc->reasons));
	}
	hist_free(&h);
}

/* Every week label against strftime's %G-W%V, over 41 years of daily backups. */
static void test_iso_weeks(void **state)
{
	struct retention weekly = { .keep_weekly = 100000 };
	struct hist h;
	time_t start;
	size_t n, weeks = 0;
	char prev[16] = "";

	(void)state;
	set_tz("UTC");
	start = local_time(2000, 1, 1, 12, 0, -1);
	n = (size_t)((local_time(2040, 12, 31, 12, 0, -1) - start) / DAY) + 1;
	hist_series(&h, start, n, DAY);
	plan(&h, &weekly);
	for (size_t k = 0; k < n; k++) {
		char label[16], want[48];
		bool last_of_week;

		strftime(label, sizeof(label), "%G-W%V", gmtime(&h.items[k].time));
		if (strcmp(label, prev) != 0)
			weeks++;
		snprintf(prev, sizeof(prev), "%s", label);
		if (k + 1 < n) {
			char next[16];

			strftime(next, sizeof(next), "%G-W%V", gmtime(&h.items[k + 1].time));
			last_of_week = strcmp(next, label) != 0;
		} else {
			last_of_week = true;
		}
		assert_int_equal(h.out[k].action, last_of_week ? RETENTION_KEEP : RETENTION_REMOVE);
		if (last_of_week) {
			snprintf(want, sizeof(want), "keep: weekly %s", label);
			assert_true(strncmp(h.out[k].reasons, want, strlen(want)) == 0);
		}
	}
	assert_int_equal(count_kept(&h), weeks);
	hist_free(&h);
}

/* --- month boundaries and a leap day ---------------------------------------- */

static void test_month_boundary(void **state)
{
	static const char *const monthly2[] = { "2026/03/backup-03-04", "2026/02/backup-28-04", NULL };
	static const char *const daily4[] = {
		"2026/03/backup-03-04", "2026/03/backup-02-04", "2026/03/backup-01-04",
		"2026/02/backup-28-04", NULL,
	};
	struct retention m2 = { .keep_monthly = 2 }, d4 = { .keep_daily = 4 };
	struct hist h;

	(void)state;
	set_tz("UTC");
	/* every 6 hours, 2026-02-25 00:00 .. 2026-03-03 18:00 */
	hist_series(&h, local_time(2026, 2, 25, 0, 0, -1), 28, 6 * HOUR);
	assert_string_equal(h.ids[27], "2026/03/backup-03-04");
	plan(&h, &m2);
	check_kept(&h, monthly2, "monthly 2");
	assert_string_equal(h.out[hist_find(&h, "2026/02/backup-28-04")].reasons,
			    "keep: monthly 2026-02");
	plan(&h, &d4);
	check_kept(&h, daily4, "daily 4");
	hist_free(&h);
}

static void test_leap_day(void **state)
{
	static const struct year_case cases[] = {
		{ "daily 3", { .keep_daily = 3 },
		  { "2028/03/backup-01-24", "2028/02/backup-29-24", "2028/02/backup-28-24", NULL },
		  { { "2028/02/backup-29-24", "keep: daily 2028-02-29" } } },
		{ "daily 4", { .keep_daily = 4 },
		  { "2028/03/backup-01-24", "2028/02/backup-29-24", "2028/02/backup-28-24",
		    "2028/02/backup-27-24", NULL },
		  { { NULL, NULL } } },
		{ "monthly 2", { .keep_monthly = 2 },
		  { "2028/03/backup-01-24", "2028/02/backup-29-24", NULL },
		  { { "2028/02/backup-29-24", "keep: monthly 2028-02" } } },
		/* Sunday Feb 27 ends 2028-W08; Feb 28 .. Mar 5 is W09 */
		{ "weekly 2", { .keep_weekly = 2 },
		  { "2028/03/backup-01-24", "2028/02/backup-27-24", NULL },
		  { { "2028/02/backup-27-24", "keep: weekly 2028-W08" },
		    { "2028/02/backup-29-24", "remove: outside policy" } } },
		{ "hourly 25", { .keep_hourly = 25 },
		  { "2028/03/backup-01-01..24", "2028/02/backup-29-24", NULL },
		  { { "2028/02/backup-29-24", "keep: hourly 2028-02-29 23h" } } },
	};
	struct hist h;

	(void)state;
	set_tz("UTC");
	/* hourly, 2028-02-27 00:00 .. 2028-03-01 23:00 */
	hist_series(&h, local_time(2028, 2, 27, 0, 0, -1), 96, HOUR);
	for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
		plan(&h, &cases[c].policy);
		check_kept(&h, cases[c].kept, cases[c].name);
		check_reasons(&h, cases[c].reasons, ARRAY_LEN(cases[c].reasons));
	}
	hist_free(&h);
}

/* --- DST in Europe/Berlin ----------------------------------------------------- */

/*
 * Spring forward, 2026-03-29 02:00 CET -> 03:00 CEST.  Hourly instants at :30
 * from 2026-03-28 00:30: the 28th has 24 backups, the 29th 23 (00:30, 01:30,
 * then 03:30 = seq 3 ... 23:30 = seq 23).  There is no "02h" bucket that day,
 * and a bucket without a backup does not count.
 */
static void test_dst_spring(void **state)
{
	static const struct year_case cases[] = {
		{ "hourly 23", { .keep_hourly = 23 },
		  { "2026/03/backup-29-01..23", NULL },
		  { { "2026/03/backup-29-02", "keep: hourly 2026-03-29 01h" },
		    { "2026/03/backup-29-03", "keep: hourly 2026-03-29 03h" } } },
		{ "hourly 24", { .keep_hourly = 24 },
		  { "2026/03/backup-29-01..23", "2026/03/backup-28-24", NULL },
		  { { "2026/03/backup-28-24", "keep: hourly 2026-03-28 23h" } } },
		{ "daily 2", { .keep_daily = 2 },
		  { "2026/03/backup-29-23", "2026/03/backup-28-24", NULL },
		  { { "2026/03/backup-29-23", "keep: daily 2026-03-29; keep: newest good backup" } } },
		/* keep_within counts real seconds, not the wall clock: from 00:30 to
		 * 23:30 on the 29th is 22 hours, and 23:30 on the 28th is 23 hours
		 * before the newest; only strictly newer is within */
		{ "within 22h", { .keep_within = 22 * HOUR },
		  { "2026/03/backup-29-02..23", NULL },
		  { { "2026/03/backup-29-01", "remove: outside policy" } } },
		{ "within 23h", { .keep_within = 23 * HOUR },
		  { "2026/03/backup-29-01..23", NULL },
		  { { "2026/03/backup-29-01", "keep: within 23h" } } },
		{ "within 24h", { .keep_within = 24 * HOUR },
		  { "2026/03/backup-29-01..23", "2026/03/backup-28-24", NULL },
		  { { "2026/03/backup-28-24", "keep: within 1d" } } },
	};
	struct hist h;

	(void)state;
	set_tz("Europe/Berlin");
	hist_series(&h, local_time(2026, 3, 28, 0, 30, -1), 47, HOUR);
	assert_string_equal(h.ids[46], "2026/03/backup-29-23");
	assert_string_equal(h.ids[26], "2026/03/backup-29-03");
	assert_int_equal(h.items[26].time - h.items[25].time, HOUR);
	for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
		plan(&h, &cases[c].policy);
		check_kept(&h, cases[c].kept, cases[c].name);
		check_reasons(&h, cases[c].reasons, ARRAY_LEN(cases[c].reasons));
	}
	hist_free(&h);
}

/*
 * Fall back, 2026-10-25 03:00 CEST -> 02:00 CET.  Hourly instants at :30 from
 * 2026-10-24 00:30: the 25th has 25 backups: 00:30 (1), 01:30 (2), 02:30 CEST
 * (3), 02:30 CET (4), 03:30 (5) ... 23:30 (25).  Buckets are wall-clock labels
 * (restic's local-time bucketing): both 02:30s are in "2026-10-25 02h", whose
 * newest backup, 02:30 CET, is the one kept.  Days are unaffected.
 */
static void test_dst_fall(void **state)
{
	static const struct year_case cases[] = {
		{ "hourly 24: one bucket for the two 02:30s", { .keep_hourly = 24 },
		  { "2026/10/backup-25-01..02", "2026/10/backup-25-04..25", NULL },
		  { { "2026/10/backup-25-04", "keep: hourly 2026-10-25 02h" },
		    { "2026/10/backup-25-03", "remove: outside policy" },
		    { "2026/10/backup-25-05", "keep: hourly 2026-10-25 03h" } } },
		{ "hourly 25", { .keep_hourly = 25 },
		  { "2026/10/backup-25-01..02", "2026/10/backup-25-04..25", "2026/10/backup-24-24", NULL },
		  { { NULL, NULL } } },
		{ "daily 2", { .keep_daily = 2 },
		  { "2026/10/backup-25-25", "2026/10/backup-24-24", NULL },
		  { { "2026/10/backup-24-24", "keep: daily 2026-10-24" } } },
		{ "within 25h: the 25 real hours of the 25th", { .keep_within = 25 * HOUR },
		  { "2026/10/backup-25-01..25", NULL },
		  { { NULL, NULL } } },
	};
	struct hist h;

	(void)state;
	set_tz("Europe/Berlin");
	hist_series(&h, local_time(2026, 10, 24, 0, 30, -1), 49, HOUR);
	assert_string_equal(h.ids[48], "2026/10/backup-25-25");
	assert_int_equal(h.items[27].time, local_time(2026, 10, 25, 2, 30, 0));	/* CET */
	assert_int_equal(h.items[26].time, local_time(2026, 10, 25, 2, 30, 1));	/* CEST */
	for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
		plan(&h, &cases[c].policy);
		check_kept(&h, cases[c].kept, cases[c].name);
		check_reasons(&h, cases[c].reasons, ARRAY_LEN(cases[c].reasons));
	}
	hist_free(&h);

	/* the same night, ending at 03:30 CET (seq 5) */
	hist_series(&h, local_time(2026, 10, 24, 0, 30, -1), 29, HOUR);
	{
		static const char *const hourly3[] = {
			"2026/10/backup-25-05", "2026/10/backup-25-04", "2026/10/backup-25-02", NULL,
		};
		/* 3 real hours before 03:30 CET: 02:30 CET, 02:30 CEST (both within),
		 * 01:30 CEST is exactly 3 h before: out (strictly newer only) */
		static const char *const within3h[] = { "2026/10/backup-25-03..05", NULL };
		struct retention h3 = { .keep_hourly = 3 }, w3 = { .keep_within = 3 * HOUR };

		plan(&h, &h3);
		check_kept(&h, hourly3, "hourly 3 at 03:30");
		plan(&h, &w3);
		check_kept(&h, within3h, "within 3h at 03:30");
		assert_string_equal(h.out[hist_find(&h, "2026/10/backup-25-03")].reasons,
				    "keep: within 3h");
	}
	hist_free(&h);
}

/* --- failed runs -------------------------------------------------------------- */

/*
 * Daily at 02:00 (UTC), 2026-11-01 .. 2026-12-10; the last 10 runs (Dec 1..10)
 * failed, and so did Nov 27.  Policy last 3, daily 7, weekly 4.  By hand:
 * last 3 = Nov 30, 29, 28; daily 7 = Nov 30, 29, 28, 26, 25, 24, 23 (Nov 27 has
 * no good backup, so it is no bucket); weekly 4 = W49 Nov 30 (Monday), W48
 * Nov 29, W47 Nov 22, W46 Nov 15.
 */
static void test_failed_runs(void **state)
{
	static const char *const kept[] = {
		"2026/11/backup-30-01", "2026/11/backup-29-01", "2026/11/backup-28-01",
		"2026/11/backup-26-01", "2026/11/backup-25-01", "2026/11/backup-24-01",
		"2026/11/backup-23-01", "2026/11/backup-22-01", "2026/11/backup-15-01",
		"2026/12/backup-01-01", "2026/12/backup-02-01", "2026/12/backup-03-01",
		"2026/12/backup-04-01", "2026/12/backup-05-01", "2026/12/backup-06-01",
		"2026/12/backup-07-01", "2026/12/backup-08-01", "2026/12/backup-09-01",
		"2026/12/backup-10-01", NULL,
	};
	static const struct reason reasons[] = {
		{ "2026/11/backup-30-01", "keep: last 1/3; keep: daily 2026-11-30; "
		  "keep: weekly 2026-W49; keep: newest good backup" },
		{ "2026/11/backup-29-01", "keep: last 2/3; keep: daily 2026-11-29; keep: weekly 2026-W48" },
		{ "2026/11/backup-23-01", "keep: daily 2026-11-23" },
		{ "2026/11/backup-27-01", "remove: not a good backup" },
		{ "2026/12/backup-10-01", "keep: newer than the last good backup" },
		{ "2026/12/backup-01-01", "keep: newer than the last good backup" },
	};
	struct retention policy = { .keep_last = 3, .keep_daily = 7, .keep_weekly = 4 };
	struct retention last3 = { .keep_last = 3 };
	struct hist h, g;
	size_t ng = 0;

	(void)state;
	set_tz("UTC");
	hist_series(&h, local_time(2026, 11, 1, 2, 0, -1), 40, DAY);
	for (size_t k = 30; k < 40; k++)
		h.items[k].good = false;
	h.items[hist_find(&h, "2026/11/backup-27-01")].good = false;
	plan(&h, &policy);
	check_kept(&h, kept, "last 10 runs failed");
	check_reasons(&h, reasons, ARRAY_LEN(reasons));

	/* the same policy over the good backups alone keeps the same good backups */
	hist_alloc(&g, h.n);
	for (size_t k = 0; k < h.n; k++)
		if (h.items[k].good)
			g.items[ng++] = h.items[k];
	g.n = ng;
	plan(&g, &policy);
	for (size_t k = 0; k < g.n; k++)
		assert_int_equal(g.out[k].action, h.out[hist_find(&h, g.items[k].id)].action);
	hist_free(&g);

	/* counting runs would keep three failures: counting good backups keeps three good ones */
	plan(&h, &last3);
	for (size_t k = 0; k < h.n; k++) {
		bool want = k >= 30 || k == 29 || k == 28 || k == 27;

		assert_int_equal(h.out[k].action, want ? RETENTION_KEEP : RETENTION_REMOVE);
	}
	hist_free(&h);
}

static void test_no_good_backup(void **state)
{
	static const struct spec s[] = {
		{ .when = "2026-11-01 02:00", .failed = true, .parent = -1 },
		{ .when = "2026-11-02 02:00", .failed = true, .parent = -1 },
		{ .when = "2026-11-03 02:00", .failed = true, .parent = -1 },
	};
	struct retention policy = { .keep_last = 1, .keep_daily = 7 };
	struct hist h;

	(void)state;
	set_tz("UTC");
	hist_specs(&h, s, ARRAY_LEN(s));
	plan(&h, &policy);
	for (size_t k = 0; k < h.n; k++) {
		assert_int_equal(h.out[k].action, RETENTION_KEEP);
		assert_string_equal(h.out[k].reasons, "keep: no good backup yet");
	}
	hist_free(&h);
}

/* --- incremental chains ------------------------------------------------------ */

/*
 * Daily at 02:00 (UTC): a full on Nov 1 with incrementals Nov 2..7, each on
 * the one before; a new full on Nov 8 with incrementals Nov 9..11.
 */
static const struct spec chain_spec[] = {
	{ "2026-11-01 02:00", false, false, -1, NULL },
	{ "2026-11-02 02:00", false, false, 0, NULL },
	{ "2026-11-03 02:00", false, false, 1, NULL },
	{ "2026-11-04 02:00", false, false, 2, NULL },
	{ "2026-11-05 02:00", false, false, 3, NULL },
	{ "2026-11-06 02:00", false, false, 4, NULL },
	{ "2026-11-07 02:00", false, false, 5, NULL },
	{ "2026-11-08 02:00", false, false, -1, NULL },
	{ "2026-11-09 02:00", false, false, 7, NULL },
	{ "2026-11-10 02:00", false, false, 8, NULL },
	{ "2026-11-11 02:00", false, false, 9, NULL },
};

static const struct year_case chain_cases[] = {
	{ "last 1: the second chain", { .keep_last = 1 },
	  { "2026/11/backup-08-01", "2026/11/backup-09-01", "2026/11/backup-10-01",
	    "2026/11/backup-11-01", NULL },
	  { { "2026/11/backup-11-01", "keep: last 1/1; keep: newest good backup" },
	    { "2026/11/backup-10-01", "keep: needed by 2026/11/backup-11-01 (incremental)" },
	    { "2026/11/backup-08-01", "keep: needed by 2026/11/backup-09-01 (incremental)" },
	    { "2026/11/backup-07-01", "remove: outside policy" },
	    { "2026/11/backup-01-01", "remove: outside policy" } } },
	/* Nov 7 is kept: its whole chain back to the first full is needed */
	{ "daily 5: both chains", { .keep_daily = 5 },
	  { "2026/11/backup-01-01", "2026/11/backup-02-01", "2026/11/backup-03-01",
	    "2026/11/backup-04-01", "2026/11/backup-05-01", "2026/11/backup-06-01",
	    "2026/11/backup-07-01", "2026/11/backup-08-01", "2026/11/backup-09-01",
	    "2026/11/backup-10-01", "2026/11/backup-11-01", NULL },
	  { { "2026/11/backup-01-01", "keep: needed by 2026/11/backup-02-01 (incremental)" },
	    { "2026/11/backup-06-01", "keep: needed by 2026/11/backup-07-01 (incremental)" },
	    { "2026/11/backup-07-01", "keep: daily 2026-11-07" },
	    { "2026/11/backup-08-01", "keep: daily 2026-11-08; "
	      "keep: needed by 2026/11/backup-09-01 (incremental)" } } },
	/* the last dependent of the first chain goes: the first full goes with it */
	{ "daily 4: the first chain is removable", { .keep_daily = 4 },
	  { "2026/11/backup-08-01", "2026/11/backup-09-01", "2026/11/backup-10-01",
	    "2026/11/backup-11-01", NULL },
	  { { "2026/11/backup-01-01", "remove: outside policy" },
	    { "2026/11/backup-07-01", "remove: outside policy" } } },
};

static void test_chains(void **state)
{
	struct hist h;

	(void)state;
	set_tz("UTC");
	hist_specs(&h, chain_spec, ARRAY_LEN(chain_spec));
	for (size_t c = 0; c < ARRAY_LEN(chain_cases); c++) {
		plan(&h, &chain_cases[c].policy);
		check_kept(&h, chain_cases[c].kept, chain_cases[c].name);
		check_reasons(&h, chain_cases[c].reasons, ARRAY_LEN(chain_cases[c].reasons));
	}
	hist_free(&h);
}

/* Differential backups (every one on the full): the full is needed by its
 * oldest kept dependent. */
static void test_chain_differential(void **state)
{
	static const struct spec s[] = {
		{ "2026-11-01 02:00", false, false, -1, NULL },
		{ "2026-11-02 02:00", false, false, 0, NULL },
		{ "2026-11-03 02:00", false, false, 0, NULL },
		{ "2026-11-04 02:00", false, false, 0, NULL },
		{ "2026-11-05 02:00", false, false, 0, NULL },
		{ "2026-11-06 02:00", false, false, 0, NULL },
	};
	static const char *const kept[] = {
		"2026/11/backup-01-01", "2026/11/backup-05-01", "2026/11/backup-06-01", NULL,
	};
	struct retention policy = { .keep_last = 2 };
	struct hist h;

	(void)state;
	set_tz("UTC");
	hist_specs(&h, s, ARRAY_LEN(s));
	plan(&h, &policy);
	check_kept(&h, kept, "differential");
	assert_string_equal(h.out[0].reasons, "keep: needed by 2026/11/backup-05-01 (incremental)");
	hist_free(&h);
}

/* Parents not in the list, malformed, the item itself, or in a cycle. */
static void test_chain_odd_parents(void **state)
{
	static const struct spec s[] = {
		{ "2026-11-01 02:00", false, false, 1, NULL },		/* A, on B */
		{ "2026-11-02 02:00", false, false, 0, NULL },		/* B, on A: a cycle */
		{ "2026-11-03 02:00", false, false, -1, "2026/10/backup-01-01" },
		{ "2026-11-04 02:00", false, false, -1, "not an id" },
		{ "2026-11-05 02:00", false, false, 4, NULL },		/* on itself */
	};
	static const char *const last1[] = { "2026/11/backup-05-01", NULL };
	static const char *const last3[] = {
		"2026/11/backup-03-01", "2026/11/backup-04-01", "2026/11/backup-05-01", NULL,
	};
	static const char *const last4[] = {
		"2026/11/backup-01-01", "2026/11/backup-02-01", "2026/11/backup-03-01",
		"2026/11/backup-04-01", "2026/11/backup-05-01", NULL,
	};
	struct retention p1 = { .keep_last = 1 }, p3 = { .keep_last = 3 }, p4 = { .keep_last = 4 };
	struct hist h;

	(void)state;
	set_tz("UTC");
	hist_specs(&h, s, ARRAY_LEN(s));
	plan(&h, &p1);
	check_kept(&h, last1, "last 1");
	assert_string_equal(h.out[4].reasons, "keep: last 1/1; keep: newest good backup");
	plan(&h, &p3);
	check_kept(&h, last3, "last 3");
	assert_string_equal(h.out[2].reasons, "keep: last 3/3");
	plan(&h, &p4);
	check_kept(&h, last4, "last 4");
	assert_string_equal(h.out[1].reasons,
			    "keep: last 4/4; keep: needed by 2026/11/backup-01-01 (incremental)");
	assert_string_equal(h.out[0].reasons, "keep: needed by 2026/11/backup-02-01 (incremental)");
	hist_free(&h);
}

/* A failed incremental newer than the last good backup keeps its chain. */
static void test_chain_failed_tip(void **state)
{
	static const struct spec s[] = {
		{ "2026-11-01 02:00", false, false, -1, NULL },
		{ "2026-11-02 02:00", false, false, 0, NULL },
		{ "2026-11-03 02:00", false, false, 1, NULL },
		{ "2026-11-04 02:00", true, false, 2, NULL },
		{ "2026-11-05 02:00", false, false, -1, NULL },	/* a new full */
		{ "2026-11-06 02:00", true, false, 4, NULL },
	};
	static const char *const kept[] = {
		"2026/11/backup-05-01", "2026/11/backup-06-01", NULL,
	};
	struct retention policy = { .keep_last = 1 };
	struct hist h;

	(void)state;
	set_tz("UTC");
	hist_specs(&h, s, ARRAY_LEN(s));
	plan(&h, &policy);
	check_kept(&h, kept, "failed tip");
	assert_string_equal(h.out[4].reasons, "keep: last 1/1; keep: newest good backup; "
			    "keep: needed by 2026/11/backup-06-01 (incremental)");
	assert_string_equal(h.out[5].reasons, "keep: newer than the last good backup");
	assert_string_equal(h.out[3].reasons, "remove: not a good backup");

	/* without the new full, the failed tip holds the whole first chain */
	h.n = 4;
	plan(&h, &policy);
	for (size_t k = 0; k < 4; k++)
		assert_int_equal(h.out[k].action, RETENTION_KEEP);
	assert_string_equal(h.out[2].reasons, "keep: last 1/1; keep: newest good backup; "
			    "keep: needed by 2026/11/backup-04-01 (incremental)");
	h.n = 6;
	hist_free(&h);
}

/* --- pins --------------------------------------------------------------------- */

static void test_pinned(void **state)
{
	static const struct retention policies[] = {
		{ 0 }, { .keep_last = 1 }, { .keep_hourly = 1 }, { .keep_daily = 1 },
		{ .keep_weekly = 1 }, { .keep_monthly = 1 }, { .keep_yearly = 1 },
		{ .keep_within = 1 },
		{ .keep_last = 3, .keep_daily = 7, .keep_weekly = 4, .keep_monthly = 12 },
	};
	struct spec s[30];
	char when[30][20];
	struct hist h;

	(void)state;
	set_tz("UTC");
	/* daily at 02:00 through November; pinned: Nov 3 (good), Nov 5 (failed),
	 * Nov 7 (an incremental on Nov 6) */
	for (int d = 1; d <= 30; d++) {
		snprintf(when[d - 1], sizeof(when[d - 1]), "2026-11-%02d 02:00", d);
		s[d - 1] = (struct spec){ .when = when[d - 1], .parent = -1 };
	}
	s[2].pinned = true;
	s[4].pinned = true;
	s[4].failed = true;
	s[6].pinned = true;
	s[6].parent = 5;
	hist_specs(&h, s, ARRAY_LEN(s));
	for (size_t c = 0; c < ARRAY_LEN(policies); c++) {
		plan(&h, &policies[c]);
		assert_int_equal(h.out[2].action, RETENTION_KEEP);
		assert_int_equal(h.out[4].action, RETENTION_KEEP);
		assert_int_equal(h.out[5].action, RETENTION_KEEP);
		assert_int_equal(h.out[6].action, RETENTION_KEEP);
		assert_int_equal(h.out[29].action, RETENTION_KEEP);
		assert_non_null(strstr(h.out[2].reasons, "keep: pinned"));
		assert_string_equal(h.out[4].reasons, "keep: pinned");
		assert_string_equal(h.out[6].reasons, "keep: pinned");
		assert_string_equal(h.out[5].reasons,
				    "keep: needed by 2026/11/backup-07-01 (incremental)");
	}
	plan(&h, &policies[1]);			/* keep_last 1 alone */
	assert_string_equal(h.out[2].reasons, "keep: pinned");
	assert_int_equal(count_kept(&h), 5);
	plan(&h, &policies[3]);			/* keep_daily 1: the pin comes after */
	assert_string_equal(h.out[29].reasons, "keep: daily 2026-11-30; keep: newest good backup");
	h.items[29].pinned = true;
	plan(&h, &policies[3]);
	assert_string_equal(h.out[29].reasons,
			    "keep: daily 2026-11-30; keep: newest good backup; keep: pinned");
	hist_free(&h);
}

/* --- order, ties, now --------------------------------------------------------- */

static void test_input_order(void **state)
{
	struct retention policy = {
		.keep_last = 3, .keep_hourly = 24, .keep_daily = 7, .keep_weekly = 4,
		.keep_monthly = 12, .keep_yearly = 2, .keep_within = 2 * DAY,
	};
	struct hist h;
	struct retention_item *shuffled;
	struct retention_decision *out;
	size_t *perm;
	uint32_t seed = 12345;

	(void)state;
	set_tz("UTC");
	hist_series(&h, local_time(2026, 1, 1, 0, 0, -1), YEAR_HOURS, HOUR);
	for (size_t k = 0; k < h.n; k += 97)
		h.items[k].good = false;
	plan(&h, &policy);
	shuffled = calloc(h.n, sizeof(*shuffled));
	out = calloc(h.n, sizeof(*out));
	perm = calloc(h.n, sizeof(*perm));
	assert_non_null(shuffled);
	assert_non_null(out);
	assert_non_null(perm);
	for (size_t k = 0; k < h.n; k++)
		perm[k] = k;
	for (size_t k = h.n; k > 1; k--) {	/* Fisher-Yates with a fixed LCG */
		size_t j, t;

		seed = seed * 1103515245u + 12345u;
		j = (seed >> 8) % k;
		t = perm[k - 1];
		perm[k - 1] = perm[j];
		perm[j] = t;
	}
	for (size_t k = 0; k < h.n; k++)
		shuffled[k] = h.items[perm[k]];
	assert_int_equal(retention_plan(shuffled, h.n, &policy, 0, out), 0);
	for (size_t k = 0; k < h.n; k++) {
		assert_int_equal(out[k].action, h.out[perm[k]].action);
		assert_string_equal(out[k].reasons, h.out[perm[k]].reasons);
	}
	free(perm);
	free(out);
	free(shuffled);
	hist_free(&h);
}

/* Same time: the later id is the newer backup, in store order (99 < 100). */
static void test_ties(void **state)
{
	struct retention last1 = { .keep_last = 1 }, last2 = { .keep_last = 2 };
	struct retention_item items[3] = {
		{ .id = "2026/11/backup-05-100", .time = 1000000, .good = true },
		{ .id = "2026/11/backup-05-99", .time = 1000000, .good = true },
		{ .id = "2026/11/backup-05-02", .time = 1000000, .good = false },
	};
	struct retention_decision out[3];

	(void)state;
	set_tz("UTC");
	assert_int_equal(retention_plan(items, 3, &last1, 0, out), 0);
	assert_string_equal(out[0].reasons, "keep: last 1/1; keep: newest good backup");
	assert_string_equal(out[1].reasons, "remove: outside policy");
	assert_string_equal(out[2].reasons, "remove: not a good backup");
	assert_int_equal(retention_plan(items, 3, &last2, 0, out), 0);
	assert_string_equal(out[1].reasons, "keep: last 2/2");
	/* a failed run at the same time but a later id is newer than the last good one */
	items[2].id = "2026/11/backup-05-101";
	assert_int_equal(retention_plan(items, 3, &last1, 0, out), 0);
	assert_string_equal(out[2].reasons, "keep: newer than the last good backup");
}

/* NOW changes nothing: backups "in the future" are planned like any other. */
static void test_now_ignored(void **state)
{
	struct retention policy = { .keep_daily = 3, .keep_within = DAY };
	struct retention_decision *a, *b;
	struct hist h;

	(void)state;
	set_tz("UTC");
	hist_series(&h, local_time(2026, 11, 1, 0, 0, -1), 24 * 10, HOUR);
	a = calloc(h.n, sizeof(*a));
	b = calloc(h.n, sizeof(*b));
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(retention_plan(h.items, h.n, &policy, 0, a), 0);
	assert_int_equal(retention_plan(h.items, h.n, &policy, h.items[0].time, b), 0);
	for (size_t k = 0; k < h.n; k++) {
		assert_int_equal(a[k].action, b[k].action);
		assert_string_equal(a[k].reasons, b[k].reasons);
	}
	free(a);
	free(b);
	hist_free(&h);
}

static void test_within_format(void **state)
{
	static const struct { int64_t secs; const char *want; } cases[] = {
		{ 30 * DAY, "keep: within 30d; keep: newest good backup" },
		{ 36 * HOUR, "keep: within 36h; keep: newest good backup" },
		{ 90 * 60, "keep: within 90m; keep: newest good backup" },
		{ 59, "keep: within 59s; keep: newest good backup" },
		{ DAY + 1, "keep: within 86401s; keep: newest good backup" },
	};
	struct hist h;

	(void)state;
	set_tz("UTC");
	hist_series(&h, local_time(2026, 11, 1, 0, 0, -1), 3, HOUR);
	for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
		struct retention policy = { .keep_within = cases[c].secs };

		plan(&h, &policy);
		assert_string_equal(h.out[2].reasons, cases[c].want);
	}
	hist_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keeps_nothing),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_year_utc),
		cmocka_unit_test(test_year_berlin),
		cmocka_unit_test(test_year_counts),
		cmocka_unit_test(test_year_boundary),
		cmocka_unit_test(test_iso_weeks),
		cmocka_unit_test(test_month_boundary),
		cmocka_unit_test(test_leap_day),
		cmocka_unit_test(test_dst_spring),
		cmocka_unit_test(test_dst_fall),
		cmocka_unit_test(test_failed_runs),
		cmocka_unit_test(test_no_good_backup),
		cmocka_unit_test(test_chains),
		cmocka_unit_test(test_chain_differential),
		cmocka_unit_test(test_chain_odd_parents),
		cmocka_unit_test(test_chain_failed_tip),
		cmocka_unit_test(test_pinned),
		cmocka_unit_test(test_input_order),
		cmocka_unit_test(test_ties),
		cmocka_unit_test(test_now_ignored),
		cmocka_unit_test(test_within_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * schedule — parse cron-like schedules and work out when they fire next.
 * See schedule.h for the accepted syntax and the DST rules.
 *
 * Cron expressions are matched against local wall-clock time.  Dates are
 * walked with plain civil-calendar arithmetic (no mktime) so that a sparse
 * schedule such as "0 0 29 2 *" can skip years of non-matching days cheaply;
 * only candidate times on matching days are turned into instants, with
 * mktime and localtime_r round trips, which is what finds DST gaps and
 * repeated hours.  Nothing here looks at the clock, does I/O, keeps state,
 * applies jitter or knows about missed runs.
 */
#include "schedule.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DAY_SECS	86400
/*
 * Local time never differs from UTC by more than ~16 h (LMT included), so
 * two instants' wall clocks are never more than 32 h apart from their
 * distance in seconds.  Used to bound how far back or forward to look.
 */
#define MAX_SHIFT	(32 * 3600)
/* How many days schedule_next looks ahead: a little over 10 years. */
#define HORIZON_DAYS	3660
/* A parsed schedule must fire at least this often (in days), so that
 * schedule_next never runs out of horizon. */
#define MAX_DAY_GAP	3653
/* One full Gregorian cycle: the calendar (weekdays included) repeats. */
#define CYCLE_DAYS	146097
#define EVERY_MIN	1	/* seconds; short ones are for tests and drills */
#define EVERY_MAX	(3650LL * DAY_SECS)
/* Cron fires on minute boundaries, so no two fires are closer than this. */
#define MIN_GAP		60
#define INTERVAL_DAYS	400
#define INTERVAL_FIRES	2000

struct field {
	const char *name;
	int min, max;			/* values accepted */
	int top;			/* where "*" and "N/STEP" stop */
	const char *const *names;	/* three-letter names, or NULL */
	int nnames;
	int names_base;			/* value of names[0] */
};

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec",
};

static const char *const wday_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat",
};

/*
 * Day-of-week accepts 7 for Sunday, but "*" and "N/STEP" stop at 6 so that
 * "1/2" means Mon, Wed, Fri rather than sneaking in Sunday as 7.
 */
static const struct field fields[5] = {
	{ "minute", 0, 59, 59, NULL, 0, 0 },
	{ "hour", 0, 23, 23, NULL, 0, 0 },
	{ "day-of-month", 1, 31, 31, NULL, 0, 0 },
	{ "month", 1, 12, 12, month_names, 12, 1 },
	{ "day-of-week", 0, 7, 6, wday_names, 7, 0 },
};

struct macro {
	const char *name;
	const char *expr;
};

static const struct macro macros[] = {
	{ "@hourly", "0 * * * *" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@monthly", "0 0 1 * *" },
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
};

/* A local calendar date, walked forward one day at a time. */
struct date {
	int64_t days;		/* since 1970-01-01 */
	int64_t year;
	int month, mday, wday;
};

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_ws(char c)
{
	return isspace((unsigned char)c);
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return p;
}

static const char *skip_token(const char *p, const char *end)
{
	while (p < end && !is_ws(*p))
		p++;
	return p;
}

/* Reads decimal digits, saturating well above any valid value. */
static long read_number(const char **pp, const char *end)
{
	const char *p = *pp;
	long v = 0;

	while (p < end && isdigit((unsigned char)*p)) {
		if (v < 100000000L)
			v = v * 10 + (*p - '0');
		p++;
	}
	*pp = p;
	return v;
}

/* ---- civil calendar (proleptic Gregorian; H. Hinnant's algorithms) ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void date_from_days(struct date *dt, int64_t days)
{
	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	dt->days = days;
	dt->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	dt->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	dt->year = yoe + era * 400 + (dt->month <= 2);
	/* 1970-01-01 was a Thursday. */
	dt->wday = (int)(((days + 4) % 7 + 7) % 7);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int dim[13] = { 0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : dim[m];
}

static void date_next(struct date *dt)
{
	dt->days++;
	dt->wday = (dt->wday + 1) % 7;
	if (++dt->mday > days_in_month(dt->year, dt->month)) {
		dt->mday = 1;
		if (++dt->month > 12) {
			dt->month = 1;
			dt->year++;
		}
	}
}

/* Vixie cron's rule: if either day field starts with "*", both must
 * match; if both are restricted, either may. */
static bool day_matches(const struct schedule *s, const struct date *dt)
{
	bool dm, wm;

	if (!(s->months >> dt->month & 1))
		return false;
	dm = s->mdays >> dt->mday & 1;
	wm = s->wdays >> dt->wday & 1;
	if (!s->mday_star && !s->wday_star)
		return dm || wm;
	return dm && wm;
}

/* ---- parsing ---- */

struct item_ctx {
	const struct field *f;
	const char *item;
	int len;
	char *err;
	size_t errlen;
};

static int parse_value(const struct item_ctx *c, const char **pp, const char *end, int *val)
{
	const char *p = *pp, *start = p;
	long v;
	int i;

	if (p < end && isdigit((unsigned char)*p)) {
		v = read_number(&p, end);
		if (v < c->f->min || v > c->f->max)
			return fail(c->err, c->errlen, "%s field: %.*s is out of range %d-%d",
			    c->f->name, (int)(p - start), start, c->f->min, c->f->max);
		*val = (int)v;
		*pp = p;
		return 0;
	}
	if (p < end && isalpha((unsigned char)*p)) {
		while (p < end && isalpha((unsigned char)*p))
			p++;
		if (!c->f->names)
			return fail(c->err, c->errlen, "%s field: '%.*s' is not a number",
			    c->f->name, (int)(p - start), start);
		for (i = 0; p - start == 3 && i < c->f->nnames; i++) {
			if (strncasecmp(start, c->f->names[i], 3) == 0) {
				*val = i + c->f->names_base;
				*pp = p;
				return 0;
			}
		}
		return fail(c->err, c->errlen, "%s field: unknown name '%.*s'",
		    c->f->name, (int)(p - start), start);
	}
	return fail(c->err, c->errlen, "%s field: expected a number in '%.*s'",
	    c->f->name, c->len, c->item);
}

/* One list item: "*", "N", "A-B", each optionally followed by "/STEP". */
static int parse_item(const struct item_ctx *c, uint64_t *bits)
{
	const char *p = c->item, *end = c->item + c->len;
	int lo, hi, v, r;
	bool single = false;
	long step = 1;

	if (c->len == 0)
		return fail(c->err, c->errlen, "%s field: empty list item", c->f->name);
	if (*p == '*') {
		p++;
		lo = c->f->min;
		hi = c->f->top;
	} else {
		if ((r = parse_value(c, &p, end, &lo)) < 0)
			return r;
		if (p < end && *p == '-') {
			p++;
			if ((r = parse_value(c, &p, end, &hi)) < 0)
				return r;
			if (hi < lo)
				return fail(c->err, c->errlen, "%s field: range '%.*s' goes backwards",
				    c->f->name, c->len, c->item);
		} else {
			hi = lo;
			single = true;
		}
	}
	if (p < end && *p == '/') {
		p++;
		if (p == end || !isdigit((unsigned char)*p))
			return fail(c->err, c->errlen, "%s field: missing step after '/' in '%.*s'",
			    c->f->name, c->len, c->item);
		step = read_number(&p, end);
		if (step == 0)
			return fail(c->err, c->errlen, "%s field: step must be at least 1",
			    c->f->name);
		/* Vixie cron: "N/STEP" means "N-max/STEP". */
		if (single && hi < c->f->top)
			hi = c->f->top;
	}
	if (p != end)
		return fail(c->err, c->errlen, "%s field: unexpected '%c' in '%.*s'",
		    c->f->name, *p, c->len, c->item);
	for (v = lo; v <= hi; v += (int)step)
		*bits |= 1ULL << v;
	return 0;
}

static int parse_field(const struct field *f, const char *p, const char *end,
    uint64_t *bits, char *err, size_t errlen)
{
	struct item_ctx c = { .f = f, .err = err, .errlen = errlen };
	const char *comma;
	int r;

	*bits = 0;
	for (;;) {
		comma = memchr(p, ',', (size_t)(end - p));
		c.item = p;
		c.len = (int)((comma ? comma : end) - p);
		if ((r = parse_item(&c, bits)) < 0)
			return r;
		if (!comma)
			break;
		p = comma + 1;
	}
	/* Sunday may be written 7; the struct only knows 0. */
	if (f == &fields[4] && (*bits & 1ULL << 7))
		*bits = (*bits & ~(1ULL << 7)) | 1;
	return 0;
}

static int parse_cron(const char *p, const char *end, struct schedule *s, char *err, size_t errlen)
{
	const char *start[5], *stop[5];
	uint64_t bits[5];
	int n = 0, i, r;

	for (p = skip_ws(p, end); p < end; p = skip_ws(p, end)) {
		if (n < 5)
			start[n] = p;
		p = skip_token(p, end);
		if (n < 5)
			stop[n] = p;
		n++;
	}
	if (n != 5)
		return fail(err, errlen, "expected 5 fields, found %d", n);
	for (i = 0; i < 5; i++)
		if ((r = parse_field(&fields[i], start[i], stop[i], &bits[i], err, errlen)) < 0)
			return r;

	s->kind = SCHEDULE_CRON;
	s->minutes = bits[0];
	s->hours = (uint32_t)bits[1];
	s->mdays = (uint32_t)bits[2];
	s->months = (uint16_t)bits[3];
	s->wdays = (uint8_t)bits[4];
	s->hour_star = stop[1] - start[1] == 1 && *start[1] == '*';
	s->mday_star = *start[2] == '*';
	s->wday_star = *start[4] == '*';
	s->every = 0;
	return 0;
}

static int parse_every(const char *p, const char *end, struct schedule *s, char *err, size_t errlen)
{
	const char *tok, *tokend;
	long long n, mult;

	tok = skip_ws(p, end);
	if (tok == end)
		return fail(err, errlen, "every: missing duration, e.g. \"every 6h\"");
	tokend = skip_token(tok, end);
	if (skip_ws(tokend, end) != end)
		return fail(err, errlen, "every: unexpected text after the duration");
	p = tok;
	if (!isdigit((unsigned char)*p))
		return fail(err, errlen, "every: duration must be a whole number with a unit, e.g. \"90m\"");
	n = read_number(&p, tokend);
	if (p == tokend)
		return fail(err, errlen, "every: missing unit after %lld (use s, m, h or d)", n);
	switch (*p) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = DAY_SECS; break;
	default:
		return fail(err, errlen, "every: unknown unit '%.*s' (use s, m, h or d)",
		    (int)(tokend - p), p);
	}
	if (p + 1 != tokend)
		return fail(err, errlen, "every: unknown unit '%.*s' (use s, m, h or d)",
		    (int)(tokend - p), p);
	/* read_number stays below 1e9, so this cannot overflow. */
	n *= mult;
	if (n < EVERY_MIN)
		return fail(err, errlen, "every: interval must be at least 1 second");
	if (n > EVERY_MAX)
		return fail(err, errlen, "every: interval must be at most %lld days",
		    EVERY_MAX / DAY_SECS);
	memset(s, 0, sizeof(*s));
	s->kind = SCHEDULE_EVERY;
	s->every = n;
	return 0;
}

static int parse_macro(const char *p, const char *end, struct schedule *s, char *err, size_t errlen)
{
	const char *tokend = skip_token(p, end);
	size_t len = (size_t)(tokend - p);
	size_t i;

	for (i = 0; i < sizeof(macros) / sizeof(macros[0]); i++) {
		if (strlen(macros[i].name) != len || strncasecmp(p, macros[i].name, len) != 0)
			continue;
		if (skip_ws(tokend, end) != end)
			return fail(err, errlen, "unexpected text after %s", macros[i].name);
		return parse_cron(macros[i].expr, macros[i].expr + strlen(macros[i].expr),
		    s, err, errlen);
	}
	if (len == 7 && strncasecmp(p, "@reboot", len) == 0)
		return fail(err, errlen, "@reboot is not supported");
	return fail(err, errlen,
	    "unknown macro (use @hourly, @daily, @weekly, @monthly or @yearly)");
}

/*
 * Refuses day rules that never match, or match so rarely that
 * schedule_next's ten-year horizon could miss them: New Year's Day when
 * it is a Sunday (DOM 1, DOW "*" stepped by 7) has 11-year gaps.  The
 * calendar repeats every Gregorian cycle, so walking one cycle finds the
 * largest gap exactly.
 */
static int check_fires(const struct schedule *s, char *err, size_t errlen)
{
	struct date dt;
	int64_t i, first = -1, last = -1, gap = 0;

	if (!s->minutes || !s->hours)
		return fail(err, errlen, "schedule never fires");
	/* The usual shapes fire at least once a year: skip the walk. */
	if ((!s->mday_star && !s->wday_star) || (s->wdays == 0x7f && (s->mdays & 0x1ffffffe)))
		return 0;
	date_from_days(&dt, days_from_civil(2000, 1, 1));
	for (i = 0; i < CYCLE_DAYS; i++, date_next(&dt)) {
		if (!day_matches(s, &dt))
			continue;
		if (first < 0)
			first = i;
		else if (i - last > gap)
			gap = i - last;
		last = i;
	}
	if (first < 0) {
		if (s->wday_star && !s->mday_star)
			return fail(err, errlen,
			    "day-of-month field: no selected day occurs in the selected months");
		return fail(err, errlen, "schedule never fires");
	}
	if (first + CYCLE_DAYS - last > gap)
		gap = first + CYCLE_DAYS - last;
	if (gap > MAX_DAY_GAP)
		return fail(err, errlen, "schedule fires less than once every 10 years");
	return 0;
}

int schedule_parse(const char *text, struct schedule *out, char *err, size_t errlen)
{
	struct schedule s;
	const char *p, *end, *tokend;
	int r;

	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return fail(err, errlen, "no place to store the schedule");
	if (!text)
		return fail(err, errlen, "empty schedule");
	p = text;
	end = text + strlen(text);
	p = skip_ws(p, end);
	while (end > p && is_ws(end[-1]))
		end--;
	if (p == end)
		return fail(err, errlen, "empty schedule");

	memset(&s, 0, sizeof(s));
	tokend = skip_token(p, end);
	if (*p == '@')
		r = parse_macro(p, end, &s, err, errlen);
	else if (tokend - p == 5 && strncasecmp(p, "every", 5) == 0)
		r = parse_every(tokend, end, &s, err, errlen);
	else
		r = parse_cron(p, end, &s, err, errlen);
	if (r < 0)
		return r;
	if (s.kind == SCHEDULE_CRON && (r = check_fires(&s, err, errlen)) < 0)
		return r;
	*out = s;
	return 0;
}

/* ---- evaluation ---- */

/* T's local wall clock as seconds since 1970-01-01 00:00 "local", or
 * INT64_MIN if T cannot be converted. */
static int64_t wall_secs(time_t t)
{
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return INT64_MIN;
	return days_from_civil(tm.tm_year + 1900LL, tm.tm_mon + 1, tm.tm_mday) * DAY_SECS +
	    tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

/* The first instant whose wall clock is at or after WANT, searched near
 * GUESS; local time only moves forward there, so bisection works. */
static int gap_end(int64_t want, time_t guess, time_t out[2])
{
	static const int64_t spans[] = { 4 * 3600, MAX_SHIFT };
	time_t lo, hi, mid;
	size_t i;

	for (i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
		lo = guess - spans[i];
		hi = guess + spans[i];
		if (wall_secs(lo) >= want || wall_secs(hi) < want)
			continue;
		while (hi - lo > 1) {
			mid = lo + (hi - lo) / 2;
			if (wall_secs(mid) >= want)
				hi = mid;
			else
				lo = mid;
		}
		out[0] = hi;
		return 1;
	}
	return 0;
}

/*
 * The instants whose local time is DT H:MI:00, ascending: usually one, two
 * in a repeated (fall-back) hour.  A time skipped by a spring-forward gap
 * yields the first instant after the gap.  Returns the count, 0 if mktime
 * gives up.
 *
 * mktime alone picks one side of an ambiguous time, and asking it for the
 * other side with tm_isdst = 1 is slow where there is no DST at all (glibc
 * then probes years of offsets).  So mktime only supplies a nearby instant,
 * and every UTC offset in force within three hours of it is tried: an
 * offset O gives an occurrence if WANT - O reads back as WANT.  Clocks go
 * back by an hour or two at most, DST or not, so three hours covers both
 * sides; this also finds repeats where tm_isdst does not change.
 */
static int wall_instants(const struct date *dt, int h, int mi, time_t out[2])
{
	int64_t want = dt->days * DAY_SECS + h * 3600 + mi * 60, w;
	time_t guess, probe, t;
	struct tm tm;
	int n = 0, i;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)(dt->year - 1900);
	tm.tm_mon = dt->month - 1;
	tm.tm_mday = dt->mday;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_isdst = -1;
	if ((guess = mktime(&tm)) == (time_t)-1)
		return 0;
	for (i = -1; i <= 1 && n < 2; i++) {
		probe = guess + i * 3 * 3600;
		if ((w = wall_secs(probe)) == INT64_MIN)
			continue;
		t = (time_t)(want - (w - probe));
		if (wall_secs(t) != want || (n == 1 && out[0] == t))
			continue;
		out[n++] = t;
	}
	if (n == 2 && out[1] < out[0]) {
		t = out[0];
		out[0] = out[1];
		out[1] = t;
	}
	if (n == 0)
		n = gap_end(want, guess, out);
	return n;
}

/* The instants at which candidate (DT, H, MI) fires: in a repeated hour
 * only the first, unless the hour field is "*". */
static int fire_instants(const struct schedule *s, const struct date *dt, int h, int mi,
    time_t out[2])
{
	int n = wall_instants(dt, h, mi, out);

	return n == 2 && !s->hour_star ? 1 : n;
}

/* Whether any firing of the candidate falls after FROM. */
static bool fires_after(const struct schedule *s, const struct date *dt, int h, int mi,
    time_t from)
{
	time_t t[2];
	int n = fire_instants(s, dt, h, mi, t);

	return n > 0 && t[n - 1] > from;
}

static int bit_list(uint64_t bits, int max, int *list)
{
	int i, n = 0;

	for (i = 0; i <= max; i++)
		if (bits >> i & 1)
			list[n++] = i;
	return n;
}

/*
 * Walks local dates from a day or so before FROM (a fall back across
 * midnight can put yesterday's wall times after FROM).  Relies on the first
 * (and the last) instant of a wall time growing with the wall time, which
 * holds wherever clocks only jump by less than a day: that lets whole days
 * be skipped by testing their last candidate, the first candidate after
 * FROM be bisected for, and the scan stop once a candidate's first instant
 * is no earlier than the best fire found: every later candidate fires no
 * earlier than that.  Scanning on until then, rather than taking the first
 * hit, matters in a repeated hour, where 02:30 (first pass) comes before
 * 02:00 (second pass).
 */
static time_t cron_next(const struct schedule *s, time_t from)
{
	int hl[24], ml[60], nh, nm, ncand, k, lo, hi, mid, n, i;
	int64_t lf, lbest = 0, base, end_day;
	struct date dt;
	time_t best = (time_t)-1, t[2];

	nh = bit_list(s->hours, 23, hl);
	nm = bit_list(s->minutes, 59, ml);
	ncand = nh * nm;
	if (ncand == 0 || (lf = wall_secs(from)) == INT64_MIN)
		return (time_t)-1;
	date_from_days(&dt, floor_div(lf - MAX_SHIFT, DAY_SECS));
	end_day = floor_div(lf, DAY_SECS) + HORIZON_DAYS;

	for (; dt.days <= end_day; date_next(&dt)) {
		if (!day_matches(s, &dt))
			continue;
		base = dt.days * DAY_SECS;
		if (best != (time_t)-1) {
			if (base > lbest + MAX_SHIFT)
				break;
			k = 0;
		} else {
			if (base + hl[nh - 1] * 3600 + ml[nm - 1] * 60 < lf - MAX_SHIFT)
				continue;
			if (!fires_after(s, &dt, hl[nh - 1], ml[nm - 1], from))
				continue;
			lo = 0;
			hi = ncand - 1;
			while (lo < hi) {
				mid = lo + (hi - lo) / 2;
				if (fires_after(s, &dt, hl[mid / nm], ml[mid % nm], from))
					hi = mid;
				else
					lo = mid + 1;
			}
			k = lo;
		}
		for (; k < ncand; k++) {
			n = fire_instants(s, &dt, hl[k / nm], ml[k % nm], t);
			for (i = 0; i < n; i++) {
				if (t[i] > from && (best == (time_t)-1 || t[i] < best)) {
					best = t[i];
					lbest = wall_secs(best);
				}
			}
			if (n > 0 && best != (time_t)-1 && t[0] >= best)
				return best;
		}
	}
	return best;
}

time_t schedule_next(const struct schedule *s, time_t from)
{
	switch (s->kind) {
	case SCHEDULE_EVERY:
		if (s->every <= 0)
			return (time_t)-1;
		return from + (time_t)s->every;
	case SCHEDULE_CRON:
		return cron_next(s, from);
	}
	return (time_t)-1;
}

/*
 * Gaps are measured in real seconds, so a daily job's interval is 23 h if
 * a spring-forward falls in the window.  Every gap starting within
 * INTERVAL_DAYS counts, so a yearly (or leap-day) job still sees one.
 * Returns 0 if the schedule does not fire twice (not for parsed ones).
 */
int64_t schedule_interval(const struct schedule *s, time_t from)
{
	time_t prev, next, limit = from + (time_t)INTERVAL_DAYS * DAY_SECS;
	int64_t best = 0;
	int fires;

	if (s->kind == SCHEDULE_EVERY)
		return s->every;
	if (s->kind != SCHEDULE_CRON)
		return 0;
	if ((prev = schedule_next(s, from)) == (time_t)-1)
		return 0;
	for (fires = 1; fires < INTERVAL_FIRES; fires++) {
		if ((next = schedule_next(s, prev)) == (time_t)-1)
			break;
		if (best == 0 || next - prev < best)
			best = next - prev;
		if (best <= MIN_GAP || next > limit)
			break;
		prev = next;
	}
	return best;
}

/*
 * schedule — when a job fires.
 *
 * A schedule is one of:
 *   - a 5-field cron expression "MIN HOUR DOM MON DOW" (lists, ranges, steps,
 *     month and weekday names, DOW 0-7 with 0 and 7 both Sunday, and cron's
 *     rule that when both DOM and DOW are restricted a day matching either fires);
 *   - a macro: @hourly, @daily (= @midnight), @weekly, @monthly, @yearly (= @annually);
 *   - "every DURATION" (e.g. "every 6h", "every 90m"), at least one second.
 *
 * Cron schedules are evaluated in the server's local time (TZ), as cron does.
 * Across DST changes:
 *   - a wall-clock time that does not exist (spring forward) fires once, at
 *     the first instant after the gap, so a 02:30 daily job still runs that day;
 *   - a wall-clock time that occurs twice (fall back) fires once, at its first
 *     occurrence — unless the hour field is "*", in which case the job keeps its
 *     rhythm through both occurrences (as Vixie cron does for frequent jobs).
 * "every" schedules count elapsed seconds and ignore the calendar.
 *
 * This module does no I/O and keeps no state; it does not apply jitter and does
 * not know about missed runs (the daemon does both).
 */
#ifndef LIFEBOAT_SCHEDULE_H
#define LIFEBOAT_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum schedule_kind {
	SCHEDULE_CRON,
	SCHEDULE_EVERY,
};

struct schedule {
	enum schedule_kind kind;
	uint64_t minutes;	/* bit m set: fires at minute m (0-59) */
	uint32_t hours;		/* bit h: hour h (0-23) */
	uint32_t mdays;		/* bit d: day of month d (1-31) */
	uint16_t months;	/* bit m: month m (1-12) */
	uint8_t wdays;		/* bit d: weekday d (0-6, 0 = Sunday) */
	bool mday_star;		/* DOM field was "*" (or "*" with a step) */
	bool wday_star;		/* DOW field was "*" (or "*" with a step) */
	bool hour_star;		/* HOUR field was exactly "*" */
	int64_t every;		/* SCHEDULE_EVERY: interval in seconds */
};

/*
 * Parses TEXT into *OUT.  Returns 0, or -EINVAL with a one-line reason
 * (without the text itself) written to ERR (ERRLEN bytes, always terminated).
 * A cron expression that can never fire (e.g. "0 0 31 2 *") is refused here.
 */
int schedule_parse(const char *text, struct schedule *out, char *err, size_t errlen);

/*
 * The next fire time strictly after FROM.
 * Cron: the first matching local wall-clock minute after FROM (DST rules above).
 * Every: FROM + interval (the daemon passes the start of the last run).
 * Returns (time_t)-1 if none exists within 10 years (cannot happen for a
 * schedule that schedule_parse accepted).
 */
time_t schedule_next(const struct schedule *s, time_t from);

/* The nominal interval between fires, in seconds, for "overdue" checks:
 * the interval for "every", else the smallest gap between two fires seen over
 * the next 400 days from FROM (so a monthly job's interval is ~28-31 days). */
int64_t schedule_interval(const struct schedule *s, time_t from);

#endif

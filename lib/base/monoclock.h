/*
 * monoclock — the monotonic clock in seconds, as a double: what the throttle
 * and its canaries time waits and latencies with.  Not a wall clock (records
 * use timefmt), and not for a test's simulated time (throttle_clock).
 */
#ifndef LIFEBOAT_MONOCLOCK_H
#define LIFEBOAT_MONOCLOCK_H

/* Seconds on CLOCK_MONOTONIC (common to every process of the host). */
double monoclock_now(void);

#endif

/*
 * adapt — see adapt.h for what and why.
 */
#include "adapt.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "monoclock.h"
#include "throttle.h"

#define CANARY_EVERY	0.010	/* mean seconds between canaries (each 0.5x..1.5x of it) */
#define CANARY_GIVE_UP	20	/* failures in a row after which the canary stops */

static const char *const signal_names[ADAPT_NSIGNALS] = {
	[ADAPT_CANARY] = "canary_ms", [ADAPT_DISK] = "disk_read_ms",
	[ADAPT_PSI_CPU] = "cpu_stall", [ADAPT_PSI_IO] = "io_stall",
};

/* Latencies (ms) get this much on top of the relative target: a canary that
 * takes 0.10 ms when idle is not slowed down by 0.03 ms of noise. */
static const double latency_slack_ms[ADAPT_NSIGNALS] = {
	[ADAPT_CANARY] = 0.05, [ADAPT_DISK] = 0.1,
};

/* A sampled signal (the canary) is over only when its mean is above the
 * threshold by this many standard errors: a window's 20 lookups, some hits in
 * the buffer pool and some reads from the disk, have a mean that wanders by
 * more than the target on an idle server. */
#define SIGNIFICANCE	1.0

/* The canary's tail: over when more than SLOW_LIMIT of the lookups of this
 * window and the one before (at least SLOW_MIN_N of them, and as many
 * before the start: a slow server's few lookups have no tail) are slower than
 * the baseline's 9th decile, where 1 in 10 were, and by more than
 * SLOW_SIGNIFICANCE standard errors of both shares (a 9th decile of 40
 * lookups is itself rough: test-ratectl's quiet site was cut without it). */
#define SLOW_QUANTILE	0.9
#define SLOW_LIMIT	0.2
#define SLOW_MIN_N	80
#define SLOW_SIGNIFICANCE 2.5

static bool is_latency(enum adapt_signal s)
{
	return s == ADAPT_CANARY || s == ADAPT_DISK;
}

/* ---- the judge ----------------------------------------------------------- */

void adapt_judge_init(struct adapt_judge *j, double target)
{
	memset(j, 0, sizeof(*j));
	j->target = target;
}

/* A window's samples: n, their sum and sum of squares (one sample, the
 * window's value, for a signal that is not sampled).  A sampled signal (the
 * canary) is taken in logarithms: its value is the geometric mean, so the
 * odd lookup that waits for the disk moves it, but no single one rules it. */
static void window_samples(const struct adapt_window *w, int s, double *n, double *sum, double *sq)
{
	if (w->n[s]) {
		*n = w->n[s];
		*sum = log(w->value[s]) * w->n[s];
		*sq = w->sumsq[s];
	} else {
		*n = 1;
		*sum = w->value[s];
		*sq = w->value[s] * w->value[s];
	}
}

static double variance(double n, double sum, double sq)
{
	double v;

	if (n < 2)
		return 0;
	v = (sq - sum * sum / n) / (n - 1);
	return v > 0 ? v : 0;
}

void adapt_judge_baseline(struct adapt_judge *j, const struct adapt_window *w)
{
	for (int s = 0; s < ADAPT_NSIGNALS; s++) {
		struct adapt_stat *st = &j->stat[s];
		double n, sum, sq;

		if (!w->ok[s])
			continue;
		window_samples(w, s, &n, &sum, &sq);
		st->baseline_windows++;
		/* The tail's reference is every lookup before the start: the
		 * 9th decile of 50 is too rough (it sat at the 83rd percentile
		 * in test-ratectl, and a quiet site then looked slow). */
		for (unsigned i = 0; s == ADAPT_CANARY && w->samples && i < w->n[s]; i++) {
			if (j->nbase_samples < ADAPT_MAX_SAMPLES)
				j->base_samples[j->nbase_samples++] = w->samples[i];
		}
		if (w->n[s]) {
			/* A sampled signal keeps its quickest window: the first
			 * lookups of a table read cold pages, which the site's own
			 * queries have long made warm. */
			if (st->baseline_n > 0 && sum / n >= st->baseline_sum / st->baseline_n)
				continue;
			st->baseline_n = st->baseline_sum = st->baseline_sq = 0;
		}
		st->baseline_n += n;
		st->baseline_sum += sum;
		st->baseline_sq += sq;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void adapt_judge_start(struct adapt_judge *j, const struct ratectl_params *p, double now)
{
	if (j->nbase_samples >= SLOW_MIN_N) {
		qsort(j->base_samples, j->nbase_samples, sizeof(double), cmp_double);
		j->slow_ms = j->base_samples[(unsigned)ceil(SLOW_QUANTILE * j->nbase_samples) - 1];
	}
	for (int s = 0; s < ADAPT_NSIGNALS; s++) {
		struct adapt_stat *st = &j->stat[s];

		st->base_ok = st->baseline_n > 0;
		st->base = st->base_ok ? st->baseline_sum / st->baseline_n : 0;
		st->base_var = variance(st->baseline_n, st->baseline_sum, st->baseline_sq);
		/* A sampled signal's figures are logarithms (window_samples). */
		if (s == ADAPT_CANARY && st->base_ok)
			st->base = exp(st->base);
	}
	ratectl_init(&j->rc, p, now);
	j->started = true;
}

/* Is signal S over the target in window W (pooled with the window before it,
 * for a sampled signal)? */
static bool over_target(struct adapt_judge *j, enum adapt_signal s, const struct adapt_window *w)
{
	struct adapt_stat *st = &j->stat[s];
	double base = st->base, n, sum, sq, mean, threshold, se;

	if (!is_latency(s))
		return w->value[s] > base + j->target;
	threshold = base * (1 + j->target) + latency_slack_ms[s];
	if (!w->n[s])
		return w->value[s] > threshold;
	/* In logarithms: the pooled geometric mean against the threshold,
	 * by more than SIGNIFICANCE standard errors of both means. */
	window_samples(w, s, &n, &sum, &sq);
	n += st->prev_n;
	sum += st->prev_sum;
	sq += st->prev_sq;
	mean = sum / n;
	se = sqrt(variance(n, sum, sq) / n + (st->baseline_n > 0 ? st->base_var / st->baseline_n : 0));
	return mean > log(threshold) + SIGNIFICANCE * se;
}

/* The canary's tail over its limit in W and the window before? */
static bool tail_over(struct adapt_judge *j, const struct adapt_window *w)
{
	unsigned slow = 0, n = w->samples ? w->n[ADAPT_CANARY] : 0, total;
	bool over;

	if (j->slow_ms <= 0)
		return false;
	for (unsigned i = 0; i < n; i++)
		slow += w->samples[i] > j->slow_ms;
	total = n + j->prev_total;
	if (total >= SLOW_MIN_N) {
		double share = (double)(slow + j->prev_slow) / total, p = 1 - SLOW_QUANTILE;
		double se = sqrt(p * (1 - p) / total + p * (1 - p) / j->nbase_samples);

		over = share > SLOW_LIMIT && share > p + SLOW_SIGNIFICANCE * se;
	} else {
		over = false;
	}
	j->prev_slow = slow;
	j->prev_total = n;
	if (over)
		j->slow_over++;
	return over;
}

enum ratectl_verdict adapt_judge_window(struct adapt_judge *j, const struct adapt_window *w, double now,
					double moved)
{
	bool measured = false, over = false, w_canary_off = false;
	/* Nobody else reads from the device: its latency is the job's own. */
	bool w_disk_off = w->others_known && w->others_kib < ADAPT_DISK_IDLE;
	enum ratectl_verdict v;

	/* Nobody on the site: the canary is the only one to notice, and
	 * it does not count. */
	if (w->ok[ADAPT_CANARY] && w->site_known &&
	    w->site_rate < (w->site_idle_below > 0 ? w->site_idle_below : ADAPT_SITE_IDLE)) {
		w_canary_off = true;
		j->site_idle++;
	}
	if (!w->ok[ADAPT_CANARY] || w_canary_off)
		j->prev_slow = j->prev_total = 0;
	else if (j->stat[ADAPT_CANARY].base_ok && tail_over(j, w))
		over = true;

	for (int s = 0; s < ADAPT_NSIGNALS; s++) {
		struct adapt_stat *st = &j->stat[s];
		double val = w->value[s];

		if (!w->ok[s] || (s == ADAPT_CANARY && w_canary_off) || (s == ADAPT_DISK && w_disk_off)) {
			st->prev_n = st->prev_sum = st->prev_sq = 0;
			continue;
		}
		st->sum += val;
		st->windows++;
		if (val > st->peak)
			st->peak = val;
		if (!st->base_ok) {
			/* Nothing before the start (a device that read nothing):
			 * the least seen since stands for it, as LEDBAT's base delay. */
			if (!is_latency((enum adapt_signal)s))
				continue;
			if (st->windows == 1 || val < st->base)
				st->base = val;
			if (st->windows < 2)
				continue;
		}
		measured = true;
		if (over_target(j, (enum adapt_signal)s, w)) {
			st->over++;
			over = true;
		}
		if (w->n[s])
			window_samples(w, s, &st->prev_n, &st->prev_sum, &st->prev_sq);
	}
	v = over ? RATECTL_OVER : measured ? RATECTL_UNDER : RATECTL_NONE;
	ratectl_update(&j->rc, now, v, moved);
	return v;
}

json_t *adapt_judge_facts(const struct adapt_judge *j, double now)
{
	json_t *facts = j->started ? ratectl_facts(&j->rc, now) : json_object();
	json_t *sig = json_object();

	for (int s = 0; s < ADAPT_NSIGNALS; s++) {
		const struct adapt_stat *st = &j->stat[s];

		if (!st->windows && !st->baseline_windows)
			continue;
		json_object_set_new(sig, signal_names[s],
			json_pack("{s:f, s:b, s:f, s:f, s:i, s:i}",
				  "baseline", st->base, "baseline_measured", st->baseline_n > 0,
				  "mean", st->windows ? st->sum / st->windows : 0.0, "peak", st->peak,
				  "windows", (int)st->windows, "over_windows", (int)st->over));
	}
	if (j->slow_ms > 0)
		json_object_set_new(json_object_get(sig, signal_names[ADAPT_CANARY]), "tail",
				    json_pack("{s:f, s:f, s:i}", "slow_ms", j->slow_ms, "limit_share", SLOW_LIMIT,
					      "over_windows", (int)j->slow_over));
	json_object_set_new(facts, "site_idle_windows", json_integer(j->site_idle));
	json_object_set_new(facts, "max_latency_increase", json_real(j->target * 100));
	json_object_set_new(facts, "window_seconds", json_real(ADAPT_WINDOW));
	json_object_set_new(facts, "signals", sig);
	return facts;
}

/* ---- the thread ---------------------------------------------------------- */

struct adapt {
	const struct job *job;
	const struct throttle_canary_def *canary;
	void *canary_state;
	struct congestion cong;
	pthread_t thread;
	bool running;
	atomic_bool stop;
	atomic_uint_fast64_t moved;
	atomic_uint own_statements;	/* the job's own statements to the canary's server */
	_Atomic double rate;
	pthread_mutex_t lock;		/* guards judge, begin */
	struct adapt_judge judge;
	unsigned baseline_windows;	/* windows measured before begin */
	bool begin;			/* adapt_begin asked: start at the next window */
	struct ratectl_params params;
	unsigned canaries, canary_failures, failures_in_row;
	bool canary_dead;
	char device[64];
};

static void sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* A random gap between canaries, so they do not fall in step with the job. */
static double canary_gap(unsigned *seed)
{
	return CANARY_EVERY * (0.5 + (double)rand_r(seed) / RAND_MAX);
}

static void canary_once(struct adapt *a, double *sum, double *sumsq, unsigned *n, double *samples)
{
	double seconds, ms;
	int r;

	r = a->canary->sample(a->canary_state, &seconds);
	if (r > 0)
		return;		/* nothing to measure */
	if (r < 0) {
		a->canary_failures++;
		if (++a->failures_in_row >= CANARY_GIVE_UP) {
			log_warn("job %s: the %s failed %d times in a row; the throttle goes on without it",
				 a->job->name, a->canary->name, CANARY_GIVE_UP);
			a->canary_dead = true;
		}
		return;
	}
	a->failures_in_row = 0;
	a->canaries++;
	if (*n >= ADAPT_MAX_SAMPLES)
		return;
	samples[*n] = seconds * 1000;
	/* Logarithms: the window's value is the geometric mean (adapt_judge). */
	ms = log(fmax(seconds * 1000, 1e-3));
	*sum += ms;
	*sumsq += ms * ms;
	(*n)++;
}

static void *adapt_thread(void *arg)
{
	struct adapt *a = arg;
	struct congestion_reading prev, cur;
	struct congestion_window cw;
	unsigned seed = (unsigned)(monoclock_now() * 1e6);
	double t = monoclock_now(), next_canary = t + canary_gap(&seed), next_window = t + ADAPT_WINDOW;
	double csum = 0, csq = 0, samples[ADAPT_MAX_SAMPLES];
	unsigned cn = 0, own_at = 0;
	uint64_t moved_at = 0;
	double questions_at = -1;

	congestion_read(&a->cong, t, &prev);
	while (!atomic_load(&a->stop)) {
		bool canary = a->canary && !a->canary_dead;
		double wake = canary && next_canary < next_window ? next_canary : next_window;

		sleep_until(wake);
		t = monoclock_now();
		if (canary && t >= next_canary) {
			canary_once(a, &csum, &csq, &cn, samples);
			next_canary = monoclock_now() + canary_gap(&seed);
		}
		if (t < next_window)
			continue;
		{
			struct adapt_window w = { 0 };
			uint64_t moved = atomic_load(&a->moved);
			double dt;

			congestion_read(&a->cong, t, &cur);
			congestion_window(&prev, &cur, &cw);
			dt = cur.at - prev.at;
			w.ok[ADAPT_CANARY] = cn > 0;
			w.value[ADAPT_CANARY] = cn ? exp(csum / cn) : 0;
			w.n[ADAPT_CANARY] = cn;
			w.samples = samples;
			w.sumsq[ADAPT_CANARY] = csq;
			/* Others' statements a second in the window (the judge
			 * does not judge the canary when nobody is there). */
			if (cn && a->canary->activity) {
				double q;
				unsigned own = atomic_load(&a->own_statements);

				if (a->canary->activity(a->canary_state, &q) < 0) {
					questions_at = -1;
				} else {
					if (questions_at >= 0 && dt > 0) {
						w.site_known = true;
						w.site_rate = (q - questions_at - cn - 1 - (own - own_at)) / dt;
					}
					questions_at = q;
				}
				own_at = own;
			}
			/* What others read from the device, KiB a second (the
			 * judge leaves its latency out when they read nothing). */
			if (cw.others_ok && dt > 0) {
				w.others_known = true;
				w.others_kib = cw.others_read_bytes / 1024 / dt;
			}
			/* A canary with no server to ask (the disk canary): the
			 * site is those reads. */
			if (cn && !a->canary->activity && w.others_known) {
				w.site_known = true;
				w.site_rate = w.others_kib;
				w.site_idle_below = ADAPT_DISK_IDLE;
			}
			w.ok[ADAPT_DISK] = cw.disk_ok;
			w.value[ADAPT_DISK] = cw.disk_ms;
			for (int i = 0; i < CONGESTION_PSI_COUNT; i++) {
				w.ok[ADAPT_PSI_CPU + i] = cw.psi_ok[i];
				w.value[ADAPT_PSI_CPU + i] = cw.psi[i];
			}
			pthread_mutex_lock(&a->lock);
			if (a->judge.started) {
				enum ratectl_verdict v = adapt_judge_window(&a->judge, &w, t,
					dt > 0 ? (double)(moved - moved_at) / dt : -1);

				atomic_store(&a->rate, ratectl_rate(&a->judge.rc));
				log_debug("job %s: window: canary %.3f ms (%u), disk %.3f ms, cpu %.2f, io %.2f, "
					  "moved %.1f MB/s: %s, rate %.1f MB/s", a->job->name,
					  w.value[ADAPT_CANARY], cn, w.value[ADAPT_DISK], w.value[ADAPT_PSI_CPU],
					  w.value[ADAPT_PSI_IO], dt > 0 ? (double)(moved - moved_at) / dt / 1e6 : 0,
					  v == RATECTL_OVER ? "over" : v == RATECTL_UNDER ? "under" : "none",
					  ratectl_rate(&a->judge.rc) / 1e6);
			} else if (a->begin) {
				/* The window ran into the start: neither baseline nor run. */
				adapt_judge_start(&a->judge, &a->params, t);
				atomic_store(&a->rate, ratectl_rate(&a->judge.rc));
			} else {
				adapt_judge_baseline(&a->judge, &w);
				a->baseline_windows++;
			}
			pthread_mutex_unlock(&a->lock);
			prev = cur;
			moved_at = moved;
			csum = csq = 0;
			cn = 0;
			next_window = t + ADAPT_WINDOW;
		}
	}
	return NULL;
}

int adapt_start(struct adapt **out, const struct job *job, double target, const struct throttle_kind *kind)
{
	struct adapt *a = calloc(1, sizeof(*a));
	const struct throttle_canary_def *canary = kind ? kind->canary : NULL;
	char path[4096];
	bool have_path;
	int r;

	*out = NULL;
	if (!a) {
		log_error("job %s: out of memory", job->name);
		return -ENOMEM;
	}
	a->job = job;
	a->canary = canary;
	pthread_mutex_init(&a->lock, NULL);
	adapt_judge_init(&a->judge, target);
	if (canary) {
		r = canary->open(job, &a->canary_state);
		if (r < 0) {
			adapt_free(a);
			return r;
		}
	}
	have_path = kind && kind->data_path && kind->data_path(job, a->canary_state, path, sizeof(path));
	congestion_init(&a->cong, "/proc", have_path ? path : NULL);
	if (have_path && !a->cong.disk)
		log_debug("job %s: no block device found for %s: no device latency signal", job->name, path);
	r = pthread_create(&a->thread, NULL, adapt_thread, a);
	if (r != 0) {
		log_err(LOG_LVL_ERROR, r, "job %s: cannot start the throttle's measuring thread", job->name);
		adapt_free(a);
		return -r;
	}
	a->running = true;
	*out = a;
	return 0;
}

double adapt_begin(struct adapt *a, const struct ratectl_params *p)
{
	for (;;) {
		pthread_mutex_lock(&a->lock);
		if (a->baseline_windows * ADAPT_WINDOW >= ADAPT_BASELINE - 1e-9) {
			a->params = *p;
			a->begin = true;
			/* Until the window in progress ends, the first rate. */
			atomic_store(&a->rate, fmin(fmax(p->start, p->floor), p->ceiling));
			pthread_mutex_unlock(&a->lock);
			return atomic_load(&a->rate);
		}
		pthread_mutex_unlock(&a->lock);
		sleep_until(monoclock_now() + 0.02);
	}
}

void adapt_own_statements(struct adapt *a, unsigned n)
{
	atomic_fetch_add(&a->own_statements, n);
}

void adapt_moved(struct adapt *a, uint64_t n)
{
	atomic_fetch_add(&a->moved, n);
}

double adapt_rate(struct adapt *a)
{
	return atomic_load(&a->rate);
}

void adapt_stop(struct adapt *a)
{
	if (!a || !a->running)
		return;
	atomic_store(&a->stop, true);
	pthread_join(a->thread, NULL);
	a->running = false;
}

json_t *adapt_facts(struct adapt *a)
{
	json_t *facts;

	pthread_mutex_lock(&a->lock);
	facts = adapt_judge_facts(&a->judge, monoclock_now());
	pthread_mutex_unlock(&a->lock);
	if (a->cong.disk)
		json_object_set_new(facts, "device", json_string(a->cong.device));
	if (a->canary)
		json_object_set_new(facts, "canary", json_pack("{s:s, s:i, s:i, s:b}", "what", a->canary->name,
				    "queries", (int)a->canaries, "failed", (int)a->canary_failures,
				    "gave_up", a->canary_dead));
	return facts;
}

void adapt_free(struct adapt *a)
{
	if (!a)
		return;
	adapt_stop(a);
	if (a->canary && a->canary_state && a->canary->close)
		a->canary->close(a->canary_state);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

/*
 * scheduler — when each job runs.  One uv timer per job, armed for the next
 * fire of its schedule plus a random jitter.  The wall-clock time of each
 * job's last fire is kept in <state_dir>/schedule.json, so a run missed while
 * the daemon was down is run once at start (like systemd's Persistent=true);
 * a job the daemon has never seen gets no catch-up, just its next fire.
 *
 * Timers are set for at most an hour ahead and re-checked against the wall
 * clock when they expire, so a clock step or a suspend cannot make a job run
 * early or be lost.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "fsutil.h"
#include "incident.h"
#include "log.h"
#include "timefmt.h"

#define TIMER_MAX_MS (3600 * 1000ULL)

static int state_path(const struct daemon *d, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/schedule.json", d->cfg->state_dir);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int scheduler_load_state(struct daemon *d)
{
	char path[PATH_MAX];
	json_error_t err;
	json_t *state;

	if (state_path(d, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	state = json_load_file(path, 0, &err);
	if (!state) {
		if (access(path, F_OK) == 0)
			log_warn("%s: unreadable (%s); missed runs cannot be caught up this time", path, err.text);
		return 0;
	}
	for (struct djob *dj = d->jobs; dj; dj = dj->next) {
		json_t *t = json_object_get(json_object_get(state, dj->name), "last_fire");

		if (json_is_integer(t))
			dj->last_fire = (time_t)json_integer_value(t);
	}
	json_decref(state);
	return 0;
}

int scheduler_save_state(struct daemon *d)
{
	char path[PATH_MAX], when[TIMEFMT_RFC3339_LEN];
	json_t *state = json_object();
	char *text;
	int r;

	if (!state)
		return -ENOMEM;
	for (struct djob *dj = d->jobs; dj; dj = dj->next) {
		if (!dj->last_fire)
			continue;
		timefmt_rfc3339(dj->last_fire, when);
		json_object_set_new(state, dj->name, json_pack("{s:I, s:s}", "last_fire",
							       (json_int_t)dj->last_fire, "last_fire_utc", when));
	}
	text = json_dumps(state, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(state);
	if (!text)
		return -ENOMEM;
	r = state_path(d, path, sizeof(path));
	if (r == 0)
		r = fs_mkdirs(d->cfg->state_dir, 0700);
	if (r == 0)
		r = fs_write_atomic(path, text, strlen(text), 0600);
	free(text);
	if (r < 0)
		log_err(LOG_LVL_ERROR, -r, "%s: cannot save the schedule state", path);
	return r;
}

static void on_timer(uv_timer_t *t);

static void arm_for(struct djob *dj)
{
	time_t now = time(NULL);
	uint64_t ms = dj->next_fire > now ? (uint64_t)(dj->next_fire - now) * 1000 : 0;

	if (ms > TIMER_MAX_MS)
		ms = TIMER_MAX_MS;
	uv_timer_start(&dj->timer, on_timer, ms, 0);
	dj->timer_armed = true;
}

/* The next fire after now: "every" schedules count from the last fire. */
static void plan_next(struct djob *dj)
{
	const struct schedule *s = &dj->job->schedule.when;
	time_t now = time(NULL);
	time_t base = s->kind == SCHEDULE_EVERY && dj->last_fire ? dj->last_fire : now;
	time_t next = schedule_next(s, base);

	if (next != (time_t)-1 && next <= now)
		next = schedule_next(s, now);
	if (next == (time_t)-1) {
		dj->next_fire = 0;
		log_error("job %s: schedule '%s' never fires again", dj->name, dj->job->schedule.text);
		return;
	}
	if (dj->job->jitter > 0)
		next += (time_t)(random() % (dj->job->jitter + 1));
	dj->next_fire = next;
}

static void fire(struct djob *dj, const char *trigger)
{
	char err[512], stamp[INCIDENT_STAMP_MAX];

	dj->last_fire = time(NULL);
	scheduler_save_state(dj->d);
	if (incident_open_stamp(dj->d->cfg, stamp) == 0) {
		log_warn("job %s: incident %s is open; this %s run is held back until `lifeboat incident close`",
			 dj->name, stamp, trigger);
		return;
	}
	if (dj->child) {
		log_warn("job %s: still running from %s; this %s run is skipped", dj->name,
			 dj->child->trigger, trigger);
		return;
	}
	if (child_start(dj, trigger, err, sizeof(err)) < 0)
		log_error("job %s: cannot start: %s", dj->name, err);
}

static void on_timer(uv_timer_t *t)
{
	struct djob *dj = t->data;

	dj->timer_armed = false;
	if (!dj->job || dj->d->stopping)
		return;
	if (time(NULL) < dj->next_fire) {
		arm_for(dj);	/* an hour-long leg, or the clock moved back */
		return;
	}
	fire(dj, "schedule");
	plan_next(dj);
	if (dj->next_fire)
		arm_for(dj);
	notify_status(dj->d);
}

void scheduler_arm(struct djob *dj, bool at_start)
{
	time_t now = time(NULL);

	scheduler_disarm(dj);
	if (at_start) {
		if (!dj->last_fire) {
			/* First sight of this job: its history starts now. */
			dj->last_fire = now;
			scheduler_save_state(dj->d);
		} else {
			time_t due = schedule_next(&dj->job->schedule.when, dj->last_fire);

			if (due != (time_t)-1 && due <= now) {
				char when[TIMEFMT_RFC3339_LEN];

				timefmt_rfc3339(due, when);
				log_info("job %s: the run due at %s was missed while lifeboatd was down; running it now",
					 dj->name, when);
				fire(dj, "missed");
			}
		}
	}
	plan_next(dj);
	if (dj->next_fire)
		arm_for(dj);
}

void scheduler_disarm(struct djob *dj)
{
	if (dj->timer_armed)
		uv_timer_stop(&dj->timer);
	dj->timer_armed = false;
}

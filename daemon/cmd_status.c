/*
 * lifeboat status [--json] [--check] — "when was my last good backup?", for
 * every job, at a glance.  The facts come from lifeboatd; all formatting is
 * done here.  With no daemon, the table is still drawn from the state dir
 * (when readable), under a line saying the daemon is down.
 *
 * --check speaks the monitoring plugins' language: one summary line and exit
 * 0 OK, 1 WARNING (a job without a good backup for 2 schedule intervals, one
 * that drills cover without a passing drill for 2 drill intervals, or
 * a partial run), 2 CRITICAL (a failed last run, or an open alert),
 * 3 UNKNOWN (no daemon).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "offsite_status.h"
#include "incident.h"
#include "jobstatus.h"
#include "timefmt.h"
#include "units.h"

enum health { H_OK, H_WARNING, H_CRITICAL, H_UNKNOWN };

static const char *const health_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Seconds since the RFC 3339 time at KEY of O, or -1. */
static int64_t age_of(json_t *o, const char *key, time_t now)
{
	time_t t;

	if (!str(o, key) || timefmt_parse_rfc3339(str(o, key), &t) < 0)
		return -1;
	return (int64_t)(now - t);
}

/* A backup job that drills cover: WARNING when none passed in 2 drill intervals. */
static enum health drill_health(json_t *j, time_t now, int64_t uptime, char *why, size_t len)
{
	json_t *d = json_object_get(j, "drill");
	int64_t interval = json_integer_value(json_object_get(d, "interval_seconds"));
	int64_t age = age_of(json_object_get(d, "last_ok"), "finished", now);
	char a[32], iv[32];

	why[0] = '\0';
	if (!json_is_object(d) || interval <= 0)
		return H_OK;
	units_format_duration(2 * interval, iv, sizeof(iv));
	if (age > 2 * interval) {
		units_format_age(age, a, sizeof(a));
		snprintf(why, len, "%s: last passing drill %s ago (more than 2 drill intervals, %s)", str(j, "name"), a, iv);
		return H_WARNING;
	}
	if (age < 0 && uptime > 2 * interval) {
		snprintf(why, len, "%s: no passing drill in 2 drill intervals (%s)", str(j, "name"), iv);
		return H_WARNING;
	}
	return H_OK;
}

/* "ok 2h ago, 3.1 s": a backup job's last verified restore, "-" when no drill covers it. */
static void verified_text(json_t *j, time_t now, char *buf, size_t len)
{
	json_t *d = json_object_get(j, "drill"), *last = json_object_get(d, "last");
	int64_t age = age_of(last, "finished", now);
	char a[32];

	if (!json_is_object(d)) {
		snprintf(buf, len, "-");
	} else if (!json_is_object(last) || age < 0) {
		snprintf(buf, len, "never");
	} else {
		units_format_age(age, a, sizeof(a));
		if (json_is_number(json_object_get(last, "restore_seconds")))
			snprintf(buf, len, "%s %s ago, %.1f s", strcmp(str(last, "result") ?: "", "ok") ? "FAILED" : "ok", a,
				 json_number_value(json_object_get(last, "restore_seconds")));
		else
			snprintf(buf, len, "%s %s ago", strcmp(str(last, "result") ?: "", "ok") ? "FAILED" : "ok", a);
	}
}

/* How one job is doing, with the reason in WHY. */
static enum health job_health(json_t *j, time_t now, int64_t uptime, char *why, size_t len)
{
	json_t *last = json_object_get(j, "last_run"), *good = json_object_get(j, "last_good");
	size_t nalerts = json_array_size(json_object_get(j, "alerts"));
	int64_t interval = json_integer_value(json_object_get(j, "interval_seconds"));
	const char *name = str(j, "name"), *result = str(last, "result");
	int64_t age = age_of(good, "finished", now);
	char a[32], iv[32];

	if (nalerts) {
		snprintf(why, len, "%s: %zu open alert%s", name, nalerts, nalerts == 1 ? "" : "s");
		return H_CRITICAL;
	}
	if (result && strcmp(result, "failed") == 0) {
		snprintf(why, len, "%s: last run failed: %s", name, str(last, "error") ? str(last, "error") : "?");
		return H_CRITICAL;
	}
	if (result && strcmp(result, "partial") == 0) {
		snprintf(why, len, "%s: last run was partial", name);
		return H_WARNING;
	}
	units_format_duration(2 * interval, iv, sizeof(iv));
	if (age >= 0 && interval > 0 && age > 2 * interval) {
		units_format_age(age, a, sizeof(a));
		snprintf(why, len, "%s: last good backup %s ago (more than 2 intervals, %s)", name, a, iv);
		return H_WARNING;
	}
	/* A new job is not overdue until it has had its chance. */
	if (age < 0 && interval > 0 && uptime > 2 * interval) {
		snprintf(why, len, "%s: no good backup yet", name);
		return H_WARNING;
	}
	return drill_health(j, now, uptime, why, len);
}

static void size_or_dash(json_t *v, char *buf, size_t len)
{
	if (json_is_integer(v))
		units_format_size_human((uint64_t)json_integer_value(v), buf, len);
	else
		snprintf(buf, len, "-");
}

static void next_run_text(json_t *j, time_t now, char *buf, size_t len)
{
	int64_t in = -age_of(j, "next_run", now);
	char a[24];

	if (!json_is_null(json_object_get(j, "running")) && json_object_get(j, "running")) {
		snprintf(buf, len, "running");
	} else if (!str(j, "next_run")) {
		snprintf(buf, len, "-");
	} else {
		units_format_age(in < 0 ? 0 : in, a, sizeof(a));
		snprintf(buf, len, "in %s", a);
	}
}

static void print_progress(json_t *j)
{
	json_t *run = json_object_get(j, "running");
	char in[32], out[32], rate[32], eta[48] = "", el[32];

	if (!json_is_object(run))
		return;
	units_format_age((int64_t)json_number_value(json_object_get(run, "elapsed")), el, sizeof(el));
	if (strcmp(str(run, "phase") ? str(run, "phase") : "", "running") != 0) {
		printf("  %s: starting (%s): waiting at the gate or for a run slot\n", str(j, "name"),
		       str(run, "trigger"));
		return;
	}
	units_format_size_human((uint64_t)json_integer_value(json_object_get(run, "bytes_in")), in, sizeof(in));
	units_format_size_human((uint64_t)json_integer_value(json_object_get(run, "bytes_out")), out, sizeof(out));
	units_format_size_human((uint64_t)json_number_value(json_object_get(run, "rate")), rate, sizeof(rate));
	if (json_is_integer(json_object_get(run, "eta_seconds"))) {
		char left[32];

		units_format_age(json_integer_value(json_object_get(run, "eta_seconds")), left, sizeof(left));
		snprintf(eta, sizeof(eta), ", ETA ~%s", left);
	}
	printf("  %s: running %s (%s): %s  %s read, %s stored, %s/s%s", str(j, "name"), el,
	       str(run, "trigger"), str(run, "what") ? str(run, "what") : "", in, out, rate, eta);
	if (json_integer_value(json_object_get(run, "files")))
		printf(", %lld files", (long long)json_integer_value(json_object_get(run, "files")));
	printf("\n");
}

static void print_table(json_t *jobs, time_t now)
{
	size_t i, w = 3;
	json_t *j;

	json_array_foreach(jobs, i, j)
		if (strlen(str(j, "name")) > w)
			w = strlen(str(j, "name"));
	printf("%-*s  %-5s  %-14s  %-24s  %-7s  %-7s  %-10s  %-9s  %-7s  %-6s  %s\n", (int)w, "JOB", "KIND",
	       "SCHEDULE", "LAST GOOD", "AGE", "LAST", "NEXT", "SIZE", "WAITED", "ALERTS", "VERIFIED RESTORE");
	json_array_foreach(jobs, i, j) {
		json_t *good = json_object_get(j, "last_good"), *last = json_object_get(j, "last_run");
		json_t *thr = json_object_get(last, "throttle");
		double waited = json_number_value(json_object_get(thr, "waited_seconds")) +
				json_number_value(json_object_get(thr, "paused_seconds"));
		size_t nalerts = json_array_size(json_object_get(j, "alerts"));
		char age[32] = "-", next[32], size[32], wait[32] = "-", alerts[24] = "-", verified[64];
		int64_t a = age_of(good, "finished", now);

		if (a >= 0)
			units_format_age(a, age, sizeof(age));
		next_run_text(j, now, next, sizeof(next));
		size_or_dash(json_object_get(good, "size_stored"), size, sizeof(size));
		if (json_is_object(thr))
			units_format_age((int64_t)(waited + 0.5), wait, sizeof(wait));
		if (nalerts)
			snprintf(alerts, sizeof(alerts), "%zu", nalerts);
		verified_text(j, now, verified, sizeof(verified));
		printf("%-*s  %-5s  %-14.14s  %-24s  %-7s  %-7s  %-10s  %-9s  %-7s  %-6s  %s\n", (int)w, str(j, "name"),
		       str(j, "kind"), str(j, "schedule"),
		       str(good, "id") ? str(good, "id") : good && !json_is_null(good) ? "(a check)" : "never", age,
		       str(last, "result") ? str(last, "result") : "-", next, size, wait, alerts, verified);
	}
}

static void print_details(json_t *jobs, time_t now)
{
	bool header = false;
	size_t i, k;
	json_t *j, *al;

	json_array_foreach(jobs, i, j)
		print_progress(j);
	json_array_foreach(jobs, i, j) {
		json_t *last = json_object_get(j, "last_run");
		const char *result = str(last, "result");
		char a[32];

		if (str(j, "error"))
			printf("  %s: %s\n", str(j, "name"), str(j, "error"));
		if (str(json_object_get(json_object_get(j, "drill"), "last"), "difference"))
			printf("  %s: last drill (%s) found: %s\n", str(j, "name"),
			       str(json_object_get(json_object_get(j, "drill"), "last"), "backup") ?: "-",
			       str(json_object_get(json_object_get(j, "drill"), "last"), "difference"));
		json_array_foreach(json_object_get(j, "notes"), k, al)
			printf("  %s: %s\n", str(j, "name"), json_string_value(al));
		if (!result || strcmp(result, "ok") == 0)
			continue;
		units_format_age(age_of(last, "finished", now), a, sizeof(a));
		if (strcmp(result, "partial") == 0)
			printf("  %s: last run %s ago was partial: %s\n", str(j, "name"), a,
			       json_string_value(json_array_get(json_object_get(last, "warnings"), 0)) ?: "see the log");
		else
			printf("  %s: last run %s ago %s: %s\n", str(j, "name"), a, result,
			       str(last, "error") ? str(last, "error") : "see the log");
	}
	json_array_foreach(jobs, i, j) {
		json_array_foreach(json_object_get(j, "alerts"), k, al) {
			json_int_t off = json_integer_value(json_object_get(al, "offset"));

			if (!header)
				printf("\nOpen alerts (after looking into them: lifeboat ack ID):\n");
			header = true;
			const char *msg = str(al, "message") ? str(al, "message") : "";
			const char *file = str(al, "file");

			/* The message is the finder's own words; add only what it leaves out. */
			printf("  %-12s %-10s %s", str(al, "id"), str(al, "kind"), msg);
			if (file && !strstr(msg, file))
				printf(": %s", file);
			if (off >= 0 && json_is_integer(json_object_get(al, "offset")) && !strstr(msg, "offset"))
				printf(" (first difference at byte %lld)", (long long)off);
			printf(", found %s\n", str(al, "found"));
		}
	}
}

static void print_header(json_t *st, time_t now)
{
	json_t *d = json_object_get(st, "daemon"), *store = json_object_get(st, "store");
	char up[32], fr[32], tot[32];

	units_format_age(json_integer_value(json_object_get(d, "uptime_seconds")), up, sizeof(up));
	printf("lifeboatd %s (pid %lld), up %s, config %s\n", str(d, "version"),
	       (long long)json_integer_value(json_object_get(d, "pid")), up, str(d, "config"));
	if (json_is_integer(json_object_get(store, "free_bytes"))) {
		uint64_t f = (uint64_t)json_integer_value(json_object_get(store, "free_bytes"));
		uint64_t t = (uint64_t)json_integer_value(json_object_get(store, "total_bytes"));

		units_format_size_human(f, fr, sizeof(fr));
		units_format_size_human(t, tot, sizeof(tot));
		printf("store %s: %s free of %s (%.0f%%)\n\n", str(store, "path"), fr, tot,
		       t ? 100.0 * (double)f / (double)t : 0.0);
	} else {
		printf("store %s: %s\n\n", str(store, "path"), str(store, "error") ? str(store, "error") : "?");
	}
	(void)now;
}

static int check(json_t *st, time_t now)
{
	int64_t uptime = json_integer_value(json_object_get(json_object_get(st, "daemon"), "uptime_seconds"));
	enum health worst = H_OK;
	char why[600], line[2048] = "";
	size_t i, off = 0, njobs = json_array_size(json_object_get(st, "jobs"));
	json_t *j;

	json_array_foreach(json_object_get(st, "jobs"), i, j) {
		enum health h = job_health(j, now, uptime, why, sizeof(why));

		if (h > worst) {
			worst = h;
			off = 0;
			line[0] = '\0';
		}
		if (h == worst && h != H_OK && off < sizeof(line) - 1)
			off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s", off ? "; " : "", why);
	}
	{
		/* the offsite targets (cmd_offsite.c) */
		char owhy[700];
		int oh = cli_offsite_health(json_object_get(st, "offsite"), owhy, sizeof(owhy));

		if (oh > (int)worst) {
			worst = (enum health)oh;
			off = 0;
			line[0] = '\0';
		}
		if (oh == (int)worst && oh != H_OK && off < sizeof(line) - 1)
			off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s", off ? "; " : "", owhy);
	}
	if (worst == H_OK)
		printf("LIFEBOAT OK - %zu job%s, every last run good\n", njobs, njobs == 1 ? "" : "s");
	else
		printf("LIFEBOAT %s - %s\n", health_names[worst], line);
	return (int)worst;
}

/* The open incident (lib/incident), read when the config is: "" when none. */
static char open_incident[INCIDENT_STAMP_MAX];

/* Says that an incident is open: a line before the table, or "incident" in
 * the JSON (ST may be NULL for the line only). */
static void incident_note(json_t *st, bool json_out)
{
	if (!open_incident[0])
		return;
	if (json_out && st)
		json_object_set_new(st, "incident", json_pack("{s:s, s:b}", "open", open_incident,
							      "scheduled_runs_held", 1));
	else if (!json_out)
		printf("INCIDENT %s is open: scheduled runs are held until `lifeboat incident close` (lifeboat incident status)\n\n",
		       open_incident);
}

/* The table from the state dir alone, when no daemon answers. */
static int status_without_daemon(const struct config *cfg, bool json_out, time_t now)
{
	json_t *jobs = json_array();

	for (size_t i = 0; i < cfg->njobs && jobs; i++) {
		json_t *j = jobstatus_job(cfg, &cfg->jobs[i], now);

		if (j)
			json_array_append_new(jobs, j);
	}
	if (json_out) {
		json_t *st = json_pack("{s:n, s:o}", "daemon", "jobs", jobs);

		incident_note(st, true);
		if (st && cfg->noffsites)
			json_object_set_new(st, "offsite", offsite_status(cfg, now));
		json_dumpf(st, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(st);
		return EXIT_FAILED;
	}
	printf("lifeboatd is not running; what the state dir %s says:\n\n", cfg->state_dir);
	incident_note(NULL, false);
	print_table(jobs, now);
	print_details(jobs, now);
	if (cfg->noffsites) {
		json_t *off = offsite_status(cfg, now);

		cli_offsite_status_print(off, now);
		json_decref(off);
	}
	json_decref(jobs);
	return EXIT_FAILED;
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "check", no_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	bool json_out = false, check_mode = false;
	struct cli_conn conn;
	struct config *cfg;
	json_t *st = NULL;
	time_t now = time(NULL);
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j') {
			json_out = true;
		} else if (c == 'C') {
			check_mode = true;
		} else {
			fprintf(stderr, "usage: lifeboat [-c FILE] status [--json] [--check]\n");
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: lifeboat [-c FILE] status [--json] [--check]\n");
		return EXIT_USAGE;
	}
	if (check_mode) {
		/* Monitoring must get its one line and its code, whatever happens. */
		if (cli_load_config(cli, &cfg)) {
			printf("LIFEBOAT UNKNOWN - %s: config has errors\n", cli->config_path);
			return (int)H_UNKNOWN;
		}
	} else if ((r = cli_load_config(cli, &cfg))) {
		return r;
	}
	if (incident_open_stamp(cfg, open_incident) < 0)
		open_incident[0] = '\0';
	r = cli_daemon_open(cfg, &conn, check_mode);
	if (r < 0) {
		if (check_mode) {
			printf("LIFEBOAT UNKNOWN - lifeboatd is not running (%s: %s)\n", cfg->socket, strerror(-r));
			config_free(cfg);
			return (int)H_UNKNOWN;
		}
		r = status_without_daemon(cfg, json_out, now);
		config_free(cfg);
		return r;
	}
	r = cli_daemon_request(&conn, json_pack("{s:s}", "cmd", "status"), &st);
	cli_daemon_close(&conn);
	if (r >= 0 && cfg->noffsites)
		json_object_set_new(st, "offsite", offsite_status(cfg, now));
	config_free(cfg);
	if (r < 0) {
		if (check_mode) {
			const char *why = json_string_value(json_object_get(st, "error"));

			if (why)
				printf("LIFEBOAT UNKNOWN - lifeboatd refused the status request: %s\n", why);
			else
				printf("LIFEBOAT UNKNOWN - lifeboatd did not answer the status request\n");
			json_decref(st);
			return (int)H_UNKNOWN;
		}
		json_decref(st);
		return EXIT_FAILED;
	}
	json_object_del(st, "ok");
	incident_note(st, json_out);
	if (check_mode) {
		r = check(st, now);
	} else if (json_out) {
		json_dumpf(st, stdout, JSON_INDENT(2));
		printf("\n");
		r = EXIT_OK;
	} else {
		print_header(st, now);
		print_table(json_object_get(st, "jobs"), now);
		print_details(json_object_get(st, "jobs"), now);
		cli_offsite_status_print(json_object_get(st, "offsite"), now);
		r = EXIT_OK;
	}
	json_decref(st);
	return r;
}

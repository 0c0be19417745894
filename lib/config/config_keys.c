/*
 * config_keys — the table of the keys of [lifeboat], of tuning and of every
 * job, and how each type of value is parsed, printed and freed.  Adding such
 * a key is one line here (and a field in config.h); a key of one kind of job
 * goes in that kind's table (jobkind_db.c, ...).  The loader, the defaults
 * and check-config follow from the tables.
 */
#include "config_keys.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define G(field) CONFIG_GLOBAL(field)
#define T(field) CONFIG_TUNING(field)
#define J(field) CONFIG_JOB(field)

const struct config_key config_keys[] = {
	/* [lifeboat] only */
	{ "store", KT_PATH, G(store), 0, 0, "/var/backups/lifeboat", false,
	  "root of the backup store", NULL },
	{ "state_dir", KT_PATH, G(state_dir), 0, 0, "/var/lib/lifeboat", false,
	  "daemon state: last runs, locks, alerts", NULL },
	{ "socket", KT_PATH, G(socket), 0, 0, "/run/lifeboat/lifeboatd.sock", false,
	  "control socket of lifeboatd", NULL },
	{ "socket_group", KT_STRING, G(socket_group), 0, 0, "lifeboat", false,
	  "group whose members may use the control socket", NULL },
	{ "min_free", KT_MINFREE, G(min_free), 0, 0, "5%", false,
	  "refuse to start a backup that would leave less free space (size or %)", NULL },
	{ "parallel_jobs", KT_INT, G(parallel_jobs), 1, 64, "1", false,
	  "job processes that may run at once", NULL },
	{ "stop_timeout", KT_DURATION, G(stop_timeout), 0, 0, "60s", false,
	  "how long SIGTERM waits for running jobs", NULL },
	{ "on_success", KT_STRING, G(on_success), 0, 0, NULL, false,
	  "shell command run after a good run (LIFEBOAT_JOB, _ID, _RESULT, _MESSAGE set)", NULL },
	{ "on_failure", KT_STRING, G(on_failure), 0, 0, NULL, false,
	  "shell command run after a failed or partial run", NULL },
	{ "hook_timeout", KT_DURATION, G(hook_timeout), 0, 0, "60s", false,
	  "a hook still running after this long is killed", NULL },
	{ "on_incident", KT_STRING, G(on_incident), 0, 0, NULL, false,
	  "shell command run first by `lifeboat incident open`: take the site offline ($1 stamp, $2 dir)", NULL },
	{ "on_incident_close", KT_STRING, G(on_incident_close), 0, 0, NULL, false,
	  "shell command run by `lifeboat incident close`: put the site back online", NULL },
	{ "metrics_file", KT_PATH, G(metrics_file), 0, 0, NULL, false,
	  "Prometheus textfile (node_exporter's collector) rewritten after every run and alert change", NULL },

	/* tuning: [lifeboat] for every job, overridable in a job; an opt-in key
	 * only for the kinds that list it (jobkind_ops.tuning) */
	{ "max_load", KT_DECIMAL, T(max_load), 0, 0, "0.8", false,
	  "1-minute load average per CPU above which jobs wait and pause; 0 = off", NULL },
	{ "max_wait", KT_DURATION, T(max_wait), 0, 0, "2h", false,
	  "longest wait at the gate before a job starts anyway", NULL },
	{ "io_limit", KT_SIZE, T(io_limit), 0, 0, "0", false,
	  "most bytes per second a job may read and write; 0 = no fixed limit", NULL },
	{ "max_latency_increase", KT_PERCENT, T(max_latency_increase), 0, 0, "25%", false,
	  "how much slower the site may get while a job runs: the job's pace adapts to it; 0% = fixed pace (io_limit)", NULL },
	{ "nice", KT_INT, T(nice), -20, 19, "10", false,
	  "CPU niceness of job processes", NULL },
	{ "ionice", KT_IONICE, T(ionice), 0, 0, "idle", false,
	  "I/O class of job processes: idle, best-effort[:0-7] or none", NULL },
	{ "max_threads_running", KT_INT, CONFIG_TUNING_OPT_IN(max_threads_running), 0, 100000, "16", false,
	  "db: server Threads_running above which a dump waits and pauses; 0 = off", NULL },
	{ "max_io_pressure", KT_PERCENT, T(max_io_pressure), 0, 0, "0%", false,
	  "I/O pressure (PSI some avg10) above which jobs wait and pause; 0% = off", NULL },
	{ "compress_level", KT_INT, T(compress_level), 1, 19, "3", false,
	  "zstd compression level", NULL },
	{ "compress_threads", KT_INT, T(compress_threads), 0, 64, "1", false,
	  "zstd worker threads (1 overlaps compression with reading); 0 = none", NULL },
	{ "exclusive", KT_BOOL, CONFIG_TUNING_OPT_IN(exclusive), 0, 0, "yes", false,
	  "never run while a db dump of this host runs", NULL },

	/* every job */
	{ "schedule", KT_SCHEDULE, J(schedule), 0, 0, NULL, true,
	  "cron expression, @hourly/@daily/@weekly/@monthly, or every DURATION", NULL },
	{ "jitter", KT_DURATION, J(jitter), 0, 0, "0", false,
	  "random delay added to each scheduled start", NULL },
	{ "on_success", KT_STRING, J(on_success), 0, 0, NULL, false,
	  "this job's hook after a good run (instead of the global one)", NULL },
	{ "on_failure", KT_STRING, J(on_failure), 0, 0, NULL, false,
	  "this job's hook after a failed or partial run (instead of the global one)", NULL },
	{ "keep_last", KT_INT, J(keep.keep_last), 0, 1000000, "3", false, NULL, NULL },
	{ "keep_hourly", KT_INT, J(keep.keep_hourly), 0, 1000000, "0", false, NULL, NULL },
	{ "keep_daily", KT_INT, J(keep.keep_daily), 0, 1000000, "7", false, NULL, NULL },
	{ "keep_weekly", KT_INT, J(keep.keep_weekly), 0, 1000000, "4", false, NULL, NULL },
	{ "keep_monthly", KT_INT, J(keep.keep_monthly), 0, 1000000, "12", false, NULL, NULL },
	{ "keep_yearly", KT_INT, J(keep.keep_yearly), 0, 1000000, "0", false, NULL, NULL },
	{ "keep_within", KT_DURATION, J(keep.keep_within), 0, 0, "0", false, NULL, NULL },

	/* alerts (a tampered log, a watch finding) */
	{ "on_alert", KT_STRING, G(on_alert), 0, 0, NULL, false,
	  "shell command run when a run raised new alerts (LIFEBOAT_JOB, _ALERTS, _MESSAGE set)", NULL },
	{ "on_alert", KT_STRING, J(on_alert), 0, 0, NULL, false,
	  "this job's hook when a run raised new alerts (instead of the global one)", NULL },
};

const size_t config_nkeys = sizeof(config_keys) / sizeof(config_keys[0]);

static int bad(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s", why);
	return -EINVAL;
}

static int parse_string(const char *v, char **field, bool absolute, char *err, size_t errlen)
{
	char *copy;

	if (!*v)
		return bad(err, errlen, "empty value");
	if (absolute && v[0] != '/')
		return bad(err, errlen, "must be an absolute path");
	copy = strdup(v);
	if (!copy)
		return bad(err, errlen, "out of memory");
	free(*field);
	*field = copy;
	return 0;
}

static int parse_ionice(const char *v, struct ionice *io, char *err, size_t errlen)
{
	static const char be[] = "best-effort";
	long level = 4;

	if (strcmp(v, "idle") == 0) {
		io->cls = IONICE_IDLE;
		io->level = 0;
		return 0;
	}
	if (strcmp(v, "none") == 0) {
		io->cls = IONICE_NONE;
		io->level = 0;
		return 0;
	}
	if (strncmp(v, be, sizeof(be) - 1) == 0) {
		const char *rest = v + sizeof(be) - 1;

		if (*rest == ':') {
			if (rest[1] < '0' || rest[1] > '7' || rest[2])
				return bad(err, errlen, "best-effort level must be 0 to 7");
			level = rest[1] - '0';
		} else if (*rest) {
			return bad(err, errlen, "expected idle, best-effort[:0-7] or none");
		}
		io->cls = IONICE_BEST_EFFORT;
		io->level = level;
		return 0;
	}
	return bad(err, errlen, "expected idle, best-effort[:0-7] or none");
}

static int parse_enum(const struct config_key *k, const char *v, int *field, char *err, size_t errlen)
{
	size_t n = 0, len = 0;

	for (; k->names[n]; n++) {
		if (strcmp(v, k->names[n]) == 0) {
			*field = (int)n;
			return 0;
		}
	}
	/* "expected a, b or c" */
	len = (size_t)snprintf(err, errlen, "expected ");
	for (size_t i = 0; i < n && len < errlen; i++)
		len += (size_t)snprintf(err + len, errlen - len, "%s%s", k->names[i],
					i + 2 < n ? ", " : i + 2 == n ? " or " : "");
	return -EINVAL;
}

static int parse_minfree(const char *v, struct min_free *mf, char *err, size_t errlen)
{
	if (strchr(v, '%')) {
		mf->is_percent = true;
		mf->bytes = 0;
		return units_parse_percent(v, &mf->percent, err, errlen);
	}
	mf->is_percent = false;
	mf->percent = 0;
	if (units_parse_size(v, &mf->bytes, err, errlen) < 0)
		return bad(err, errlen, "expected a size like 10G or a percentage like 5%");
	return 0;
}

static int parse_schedule(const char *v, struct job_schedule *js, char *err, size_t errlen)
{
	struct schedule s;
	char *copy;

	if (schedule_parse(v, &s, err, errlen) < 0)
		return -EINVAL;
	copy = strdup(v);
	if (!copy)
		return bad(err, errlen, "out of memory");
	free(js->text);
	js->text = copy;
	js->when = s;
	return 0;
}

int config_key_parse(const struct config_key *k, const char *v, void *field,
		     char *err, size_t errlen)
{
	long l;
	int r;

	switch (k->type) {
	case KT_STRING:
		return parse_string(v, field, false, err, errlen);
	case KT_PATH:
		return parse_string(v, field, true, err, errlen);
	case KT_INT:
		r = units_parse_int(v, k->min, k->max, &l, err, errlen);
		if (r == 0)
			*(long *)field = l;
		return r;
	case KT_COUNT: {
		uint64_t n;

		if (units_parse_size(v, &n, err, errlen) < 0)
			return bad(err, errlen, "expected a whole number");
		if (n < (uint64_t)k->min || n > (uint64_t)k->max) {
			snprintf(err, errlen, "%" PRIu64 " is out of range %ld to %ld",
				 n, k->min, k->max);
			return -EINVAL;
		}
		*(uint64_t *)field = n;
		return 0;
	}
	case KT_SIZE:
		return units_parse_size(v, field, err, errlen);
	case KT_DURATION:
		return units_parse_duration(v, field, err, errlen);
	case KT_DECIMAL:
		return units_parse_decimal(v, field, err, errlen);
	case KT_PERCENT:
		return units_parse_percent(v, field, err, errlen);
	case KT_BOOL:
		return units_parse_bool(v, field, err, errlen);
	case KT_LIST: {
		struct strlist fresh = { 0 };

		r = units_parse_list(v, &fresh, err, errlen);
		if (r < 0) {
			strlist_free(&fresh);
			return r;
		}
		strlist_free(field);
		*(struct strlist *)field = fresh;
		return 0;
	}
	case KT_SCHEDULE:
		return parse_schedule(v, field, err, errlen);
	case KT_IONICE:
		return parse_ionice(v, field, err, errlen);
	case KT_ENUM:
		return parse_enum(k, v, field, err, errlen);
	case KT_MINFREE:
		return parse_minfree(v, field, err, errlen);
	}
	return bad(err, errlen, "internal error: unknown key type");
}

int config_key_append(const struct config_key *k, const char *value, void *field,
		      char *err, size_t errlen)
{
	if (k->type != KT_LIST)
		return bad(err, errlen, "internal error: not a list");
	return units_parse_list(value, field, err, errlen);
}

/* Trailing zeros of a decimal are noise ("0.800000"). */
static void print_decimal(double d, FILE *out)
{
	char buf[64];
	size_t n;

	snprintf(buf, sizeof(buf), "%.6f", d);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 1 && buf[n - 1] == '.')
		buf[--n] = '\0';
	fputs(buf, out);
}

bool config_key_print(const struct config_key *k, const void *field, FILE *out)
{
	char buf[64];

	switch (k->type) {
	case KT_STRING:
	case KT_PATH: {
		const char *s = *(char *const *)field;

		if (!s)
			return false;
		fputs(s, out);
		return true;
	}
	case KT_INT:
		fprintf(out, "%ld", *(const long *)field);
		return true;
	case KT_COUNT:
		fprintf(out, "%" PRIu64, *(const uint64_t *)field);
		return true;
	case KT_SIZE:
		units_format_size(*(const uint64_t *)field, buf, sizeof(buf));
		fputs(buf, out);
		return true;
	case KT_DURATION:
		units_format_duration(*(const int64_t *)field, buf, sizeof(buf));
		fputs(buf, out);
		return true;
	case KT_DECIMAL:
		print_decimal(*(const double *)field, out);
		return true;
	case KT_PERCENT:
		print_decimal(*(const double *)field, out);
		fputc('%', out);
		return true;
	case KT_BOOL:
		fputs(*(const bool *)field ? "yes" : "no", out);
		return true;
	case KT_LIST: {
		const struct strlist *l = field;

		if (l->n == 0)
			return false;
		for (size_t i = 0; i < l->n; i++)
			fprintf(out, "%s%s", i ? ", " : "", l->v[i]);
		return true;
	}
	case KT_SCHEDULE: {
		const struct job_schedule *js = field;

		if (!js->text)
			return false;
		fputs(js->text, out);
		return true;
	}
	case KT_IONICE: {
		const struct ionice *io = field;

		if (io->cls == IONICE_IDLE)
			fputs("idle", out);
		else if (io->cls == IONICE_NONE)
			fputs("none", out);
		else
			fprintf(out, "best-effort:%ld", io->level);
		return true;
	}
	case KT_ENUM:
		fputs(k->names[*(const int *)field], out);
		return true;
	case KT_MINFREE: {
		const struct min_free *mf = field;

		if (mf->is_percent) {
			print_decimal(mf->percent, out);
			fputc('%', out);
		} else {
			units_format_size(mf->bytes, buf, sizeof(buf));
			fputs(buf, out);
		}
		return true;
	}
	}
	return false;
}

void config_key_release(const struct config_key *k, void *field)
{
	switch (k->type) {
	case KT_STRING:
	case KT_PATH:
		free(*(char **)field);
		*(char **)field = NULL;
		break;
	case KT_LIST:
		strlist_free(field);
		break;
	case KT_SCHEDULE:
		free(((struct job_schedule *)field)->text);
		((struct job_schedule *)field)->text = NULL;
		break;
	default:
		break;
	}
}

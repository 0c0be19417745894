/*
 * config — the one INI file, parsed into one typed struct.
 *
 * The file is read with inih through ini_parse_stream(), whose reader counts
 * lines (Debian's libinih is built without line numbers in the handler) and
 * notices section headers itself, so that even an empty or repeated section
 * is seen.  Every key is described once, in a key table: the keys of
 * [lifeboat], the tuning keys and the keys of every job in config_keys.c, a
 * kind's own keys with the kind (jobkind_db.c, ...), reached through the kind
 * table (jobkind.h).  The loader, the validator and the printer of the
 * effective config all walk those tables; the loader has no limit on how
 * many keys there are.
 *
 * Errors have the form "FILE:LINE: [section] key: what is wrong" and the
 * loader collects all of them before failing, so one edit fixes them all.
 *
 * Tuning keys (throttling, compression) may be set in [lifeboat] for every job
 * and overridden in a job's own section; after loading, each job's `tuning`
 * holds its effective values.
 *
 * A config is loaded into a fresh struct and is immutable afterwards: the
 * daemon swaps a whole new one in on SIGHUP, or keeps the old one if the new
 * one has errors.  This module does not read password files or touch the store.
 */
#ifndef LIFEBOAT_CONFIG_H
#define LIFEBOAT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "jobkind_db.h"
#include "jobkind_drill.h"
#include "jobkind_files.h"
#include "jobkind_logs.h"
#include "jobkind_watch.h"
#include "schedule.h"
#include "units.h"

struct offsite;

#define CONFIG_DEFAULT_PATH "/etc/lifeboat/lifeboat.ini"
#define CONFIG_ENV "LIFEBOAT_CONFIG"
#define JOB_NAME_MAX 64
#define CONFIG_TEXT_MAX (16 * 1024 * 1024)	/* a config file larger than this is refused */

/* The kinds, in the order of jobkind_table[] (jobkinds.c), which says
 * everything else about them. */
enum job_kind {
	JOB_DB,
	JOB_FILES,
	JOB_LOGS,
	JOB_DRILL,
	JOB_WATCH,
	JOB_KIND_COUNT,
};

enum ionice_class {
	IONICE_IDLE,		/* the idle I/O class: only when the disk is otherwise idle */
	IONICE_BEST_EFFORT,	/* best-effort class at `level` */
	IONICE_NONE,		/* leave the I/O priority alone */
};

struct ionice {
	enum ionice_class cls;
	long level;			/* 0 (highest) .. 7, for the best-effort class */
};

/* Throttling and compression: settable globally and per job. */
struct job_tuning {
	double max_load;		/* 1-min load average per CPU to wait/pause above; 0 = off */
	int64_t max_wait;		/* seconds to wait at the gate before starting anyway */
	uint64_t io_limit;		/* bytes per second read+written; 0 = unlimited */
	long nice;			/* nice value of the job process, -20..19 */
	struct ionice ionice;		/* I/O scheduling class of the job process */
	long max_threads_running;	/* db: server Threads_running to wait/pause above; 0 = off */
	double max_io_pressure;		/* % of /proc/pressure/io "some avg10"; 0 = off */
	double max_latency_increase;	/* %: the adaptive throttle's target; 0 = fixed pace (io_limit) */
	long compress_level;		/* zstd level 1..19 */
	long compress_threads;		/* zstd worker threads; 0 = compress in the job's thread */
	bool exclusive;			/* files/logs never run during a db dump of the same host */
};

/* Retention (restic's meaning); 0 = that rule is off. */
struct retention {
	long keep_last;
	long keep_hourly;
	long keep_daily;
	long keep_weekly;		/* ISO weeks */
	long keep_monthly;
	long keep_yearly;
	int64_t keep_within;		/* seconds: keep everything newer than this */
};

struct job_schedule {
	char *text;			/* as written, for printing */
	struct schedule when;		/* parsed */
};

struct job {
	char *name;			/* [a-z0-9][a-z0-9_-]*, unique across kinds */
	enum job_kind kind;
	int line;			/* line of the section header, for messages */
	struct job_schedule schedule;
	int64_t jitter;			/* seconds of random delay added to each fire */
	struct retention keep;
	char *on_success;		/* this job's hooks; NULL = the global ones */
	char *on_failure;
	char *on_alert;			/* run when a run raised new alerts; NULL = the global one */
	struct job_tuning tuning;	/* effective values (global, then this section) */
	int *key_line;			/* per key of this job (config_keys.h): line set on, 0 = not */
	/* The kind's own settings: the member named after the kind. */
	union {
		struct db_job db;
		struct files_job files;
		struct logs_job logs;
		struct drill_job drill;
		struct watch_job watch;
	};
};

struct min_free {
	bool is_percent;		/* true: `percent` of the store's filesystem */
	double percent;
	uint64_t bytes;
};

struct config {
	char *path;			/* the file it was read from */
	char *store;			/* root of the backup store */
	char *state_dir;		/* daemon state, locks, alerts */
	char *socket;			/* control socket path */
	char *socket_group;		/* group allowed to use the control socket */
	struct min_free min_free;
	long parallel_jobs;		/* job processes that may run at once */
	int64_t stop_timeout;		/* seconds to wait for children on SIGTERM */
	char *on_success;		/* hook run after a good run of any job, or NULL */
	char *on_failure;		/* hook run after a failed or partial run, or NULL */
	int64_t hook_timeout;		/* seconds a hook may run before it is killed */
	char *on_alert;			/* hook run when a run raised new alerts, or NULL */
	char *on_incident;		/* hook run first by `incident open` (site offline), or NULL */
	char *on_incident_close;	/* hook run by `incident close` (site online), or NULL */
	char *metrics_file;		/* Prometheus textfile written after runs and alert changes, or NULL */
	struct job_tuning tuning;	/* defaults for every job */
	struct job *jobs;		/* in file order */
	size_t njobs;
	struct offsite *offsites;	/* [offsite:NAME] sections, in file order (offsite_config.h) */
	size_t noffsites;
};

/* Collected error lines, each "FILE:LINE: [section] key: what is wrong". */
struct config_errors {
	struct strlist lines;
};

/*
 * Loads PATH.  On success returns 0 and *OUT, owned by the caller (config_free).
 * On failure returns -EINVAL (bad config, every problem in ERRS) or a negative
 * errno (cannot read the file, in ERRS too); *OUT is left NULL.
 * ERRS must be zero-initialised; the caller frees it with config_errors_free.
 */
int config_load(const char *path, struct config **out, struct config_errors *errs);
/* The same, from TEXT (LEN bytes) that was read from PATH: the daemon reads
 * the file once and hands the very same bytes to its job children, so a
 * child never runs with a file edited since the last reload. */
int config_load_text(const char *path, const char *text, size_t len, struct config **out,
		     struct config_errors *errs);
void config_free(struct config *cfg);
void config_errors_free(struct config_errors *errs);

/* NAME is a valid job name: [a-z0-9][a-z0-9_-]*, at most JOB_NAME_MAX. */
bool config_job_name_valid(const char *name);

/* JOB's own section sets the tuning key KEY (rather than inheriting it). */
bool config_job_sets(const struct job *job, const char *key);

/* The job named NAME, or NULL. */
const struct job *config_job(const struct config *cfg, const char *name);
const char *job_kind_name(enum job_kind kind);

/* Writes the effective config as INI (defaults filled in) to OUT.
 * Nothing secret is printed: config holds only the paths of secrets. */
void config_print(const struct config *cfg, FILE *out);

/* Which config file the commands use: -c FILE, else $LIFEBOAT_CONFIG, else the default. */
const char *config_path_choose(const char *opt);

#endif

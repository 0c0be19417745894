/*
 * daemon — lifeboatd's state, owned by its one libuv loop thread.
 *
 *   lifeboatd.c    main: options, signals, config (re)load, orderly stop
 *   scheduler.c    one timer per job, jitter, catch-up of missed runs
 *   children.c     job runs as child processes: spawn, progress, reap, hooks
 *   control.c      the control socket: peer checks, requests, replies
 *   notify.c       systemd's notify protocol and watchdog, without libsystemd
 *   child_main.c   the child side: one jobrun() reporting on a pipe
 *
 * Nothing here blocks the loop for long: job work happens in children, and
 * the daemon only reads small state files when asked for status.
 */
#ifndef LIFEBOAT_DAEMON_H
#define LIFEBOAT_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>
#include <uv.h>

#include "config.h"
#include "protocol.h"

struct daemon;
struct child;

/* One job as the daemon sees it.  Survives a reload when the job keeps its
 * name; a job removed by a reload while it runs lingers until its child ends. */
struct djob {
	struct daemon *d;
	char name[JOB_NAME_MAX + 1];
	const struct job *job;		/* in d->cfg; NULL once removed by a reload */
	uv_timer_t timer;
	bool timer_armed;
	time_t next_fire;		/* wall clock of the next scheduled run; 0 = none */
	time_t last_fire;		/* wall clock of the last scheduled (or missed) run */
	struct child *child;		/* the running child, or NULL */
	struct dwatch *watch;		/* a watch job's file and request triggers, or NULL */
	struct djob *next;		/* in d->jobs or d->orphans */
};

struct child {
	struct djob *dj;
	uv_process_t proc;
	uv_pipe_t pipe;			/* the child's progress lines (its fd 3) */
	int open_handles;		/* freed when both are closed */
	struct proto_lines lines;
	time_t started;
	const char *trigger;		/* "schedule", "missed", "request" */
	json_t *progress;		/* the last progress event, or NULL */
	json_t *done;			/* the child's own "done" event, or NULL */
	bool exited;
	int64_t exit_status;
	int term_signal;
	bool cancel_requested;
	uv_timer_t kill_timer;		/* SIGKILL after stop_timeout, once asked to stop */
};

struct control;

struct daemon {
	uv_loop_t *loop;
	char *config_path;
	char *config_text;		/* the bytes of the config in use */
	size_t config_len;
	struct config *cfg;
	char self_exe[4096];		/* this program, to run job children */
	time_t started;
	struct djob *jobs;		/* in config order */
	struct djob *orphans;		/* removed by a reload, still running */
	struct control *control;
	bool stopping;
	uv_signal_t sig_hup, sig_term, sig_int;
	uv_timer_t watchdog;
	int nrunning;
	unsigned idle_timeout;		/* seconds; 0 = CONTROL_IDLE_TIMEOUT (--idle-timeout, for tests) */
};

/* lifeboatd.c */
int daemon_reload(struct daemon *d, json_t **errors);
void daemon_stop(struct daemon *d);
/* Called by children.c when the last child has gone while stopping. */
void daemon_maybe_exit(struct daemon *d);
struct djob *daemon_job(struct daemon *d, const char *name);
/* Close callback of a djob's timer: frees the djob. */
void djob_free_closed(uv_handle_t *h);

/* scheduler.c */
int scheduler_load_state(struct daemon *d);
void scheduler_arm(struct djob *dj, bool at_start);
void scheduler_disarm(struct djob *dj);
int scheduler_save_state(struct daemon *d);

/* offsite_queue.c: upload children of [offsite:NAME] targets. */
void offsite_queue_backup(struct daemon *d, const char *job);
void offsite_queue_stop(struct daemon *d);
int offsite_child_main(const char *name, const char *config_path);

/* children.c */
/* The config bytes in use as a memfd at offset 0 (for a child's stdin). */
int daemon_config_memfd(const struct daemon *d);
int child_start(struct djob *dj, const char *trigger, char *err, size_t errlen);
void child_cancel(struct child *c);
json_t *child_status(const struct child *c);
/* The environment for programs the daemon starts: its own minus systemd's
 * notify/watchdog/socket variables.  NULL-terminated, freed with env_free. */
char **daemon_child_env(const char *const *extra);
void env_free(char **env);

/* watch_events.c: on_change and every_requests of watch jobs. */
struct dwatch;
void watch_events_start(struct djob *dj);	/* (re)starts DJ's triggers from its job */
void watch_events_stop(struct djob *dj);
void watch_events_run_done(struct djob *dj);	/* DJ's run ended */
void watch_events_notes(const struct djob *dj, json_t *notes);

/* control.c.  Limits of the control socket (README: "The control socket"). */
#define CONTROL_CLIENTS_MAX 128		/* connections served in full at once */
#define CONTROL_STATUS_ONLY_MAX 32	/* more, beyond those, for one status request each */
#define CONTROL_FD_RESERVE 64		/* descriptors never given to connections */
#define CONTROL_IDLE_TIMEOUT 60		/* seconds without a complete request before a close */
#define CONTROL_STATUS_ONLY_TIMEOUT 5	/* the same for a status-only connection */
int control_start(struct daemon *d);
void control_stop(struct daemon *d);
/* Sends EVENT to every client following JOB. */
void control_broadcast(struct daemon *d, const char *job, json_t *event);

/* notify.c */
void notify_init(void);
void notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notify_watchdog_start(struct daemon *d);
void notify_status(struct daemon *d);

/* child_main.c: the child side; returns the process exit status. */
int child_main(const char *job_name, const char *config_path);
/* A child's config: all of stdin (daemon_config_memfd()), parsed as if read
 * from CONFIG_PATH, into *OUT.  0, or a negative errno with the problems
 * logged, WHAT ("job site", "offsite s3") saying whose child it is. */
int child_config_load(const char *what, const char *config_path, struct config **out);

/* Exit statuses of a job child. */
enum {
	CHILD_EXIT_OK = 0,
	CHILD_EXIT_FAILED = 1,
	CHILD_EXIT_USAGE = 2,
	CHILD_EXIT_BUSY = 75,		/* the job is running elsewhere (EX_TEMPFAIL) */
};

#endif

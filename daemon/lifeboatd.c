/*
 * lifeboatd — the daemon: runs each job on its schedule, as a child process,
 * answers the CLI on the control socket, and speaks systemd's notify
 * protocol.  See daemon.h for how the pieces are split.
 *
 *   lifeboatd [-c FILE]        run in the foreground (under systemd)
 *   lifeboatd -n [-c FILE]     check the config and exit
 *
 * SIGHUP reloads the config (a bad one is refused, with its errors logged,
 * and the old one kept); SIGTERM or SIGINT stop scheduling, ask running jobs
 * to stop (they leave nothing half-written) and exit once they have, killing
 * any still running after stop_timeout.
 *
 * At start the soft limit on open files is raised to the hard one (each
 * control client is a descriptor; control.c caps them).  A hook gets the
 * usual 1024 back.  The hidden --idle-timeout SECONDS shortens the idle
 * timeout of control clients, for the tests.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "fsutil.h"
#include "log.h"
#include "metrics.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: lifeboatd [-n] [-c FILE] | --version\n"
		"  -n       check the config, say \"configuration OK\" and exit\n"
		"  -c FILE  config file (default $%s, else %s)\n", CONFIG_ENV, CONFIG_DEFAULT_PATH);
}

/* Reads and parses the config file.  On success *TEXT and *CFG are the
 * caller's; on failure every error is logged and, when ERRORS is given,
 * collected there as strings. */
static int load_config(const char *path, char **text, size_t *len, struct config **cfg, json_t *errors)
{
	struct config_errors errs = { 0 };
	int r;

	*text = NULL;
	*cfg = NULL;
	r = fs_read_all(path, CONFIG_TEXT_MAX, text, len);
	if (r < 0) {
		log_err(LOG_LVL_ERROR, -r, "%s: cannot read the config", path);
		if (errors)
			json_array_append_new(errors, json_sprintf("%s: cannot read: %s", path, strerror(-r)));
		return r;
	}
	r = config_load_text(path, *text, *len, cfg, &errs);
	for (size_t i = 0; i < errs.lines.n; i++) {
		log_error("%s", errs.lines.v[i]);
		if (errors)
			json_array_append_new(errors, json_string(errs.lines.v[i]));
	}
	config_errors_free(&errs);
	if (r < 0) {
		free(*text);
		*text = NULL;
	}
	return r;
}

struct djob *daemon_job(struct daemon *d, const char *name)
{
	for (struct djob *dj = d->jobs; dj; dj = dj->next)
		if (strcmp(dj->name, name) == 0)
			return dj;
	return NULL;
}

static struct djob *djob_new(struct daemon *d, const struct job *job)
{
	struct djob *dj = calloc(1, sizeof(*dj));

	if (!dj)
		return NULL;
	dj->d = d;
	dj->job = job;
	snprintf(dj->name, sizeof(dj->name), "%s", job->name);
	uv_timer_init(d->loop, &dj->timer);
	dj->timer.data = dj;
	return dj;
}

void djob_free_closed(uv_handle_t *h)
{
	free(h->data);
}

/* Builds the job list of CFG, taking over the djobs of OLD that keep their
 * name (timers, last fire, running child); what is left in *OLD was removed. */
static int build_jobs(struct daemon *d, const struct config *cfg, struct djob **old, struct djob **out,
		      struct djob **added)
{
	struct djob *list = NULL, **tail = &list;

	*added = NULL;
	for (size_t i = 0; i < cfg->njobs; i++) {
		struct djob *dj = NULL;

		/* A job removed while it ran, and now back, takes its run back too. */
		for (struct djob **list_of = old; !dj && list_of; list_of = list_of == old ? &d->orphans : NULL) {
			for (struct djob **pp = list_of; *pp; pp = &(*pp)->next) {
				if (strcmp((*pp)->name, cfg->jobs[i].name) == 0) {
					dj = *pp;
					*pp = dj->next;
					break;
				}
			}
		}
		if (!dj) {
			dj = djob_new(d, &cfg->jobs[i]);
			if (!dj) {
				*out = list;
				return -ENOMEM;
			}
			dj->next_fire = -1;	/* marks "new" until armed */
		}
		dj->job = &cfg->jobs[i];
		dj->next = NULL;
		*tail = dj;
		tail = &dj->next;
	}
	*out = list;
	return 0;
}

/* Jobs a reload removed: stopped timers, and freed unless still running. */
static void retire_jobs(struct daemon *d, struct djob *gone)
{
	while (gone) {
		struct djob *dj = gone;

		gone = dj->next;
		scheduler_disarm(dj);
		watch_events_stop(dj);
		dj->job = NULL;
		if (dj->child) {
			log_info("job %s: removed from the config; its current run goes on to its end", dj->name);
			dj->next = d->orphans;
			d->orphans = dj;
		} else {
			uv_close((uv_handle_t *)&dj->timer, djob_free_closed);
		}
	}
}

static void arm_all(struct daemon *d, bool at_start)
{
	for (struct djob *dj = d->jobs; dj; dj = dj->next) {
		bool is_new = dj->next_fire == -1;

		dj->next_fire = 0;
		scheduler_arm(dj, at_start || is_new);
		watch_events_start(dj);
	}
}

int daemon_reload(struct daemon *d, json_t **errors)
{
	struct djob *old = d->jobs, *list = NULL, *added;
	struct config *cfg;
	char *text;
	size_t len;
	int r;

	*errors = json_array();
	if (d->stopping) {
		json_array_append_new(*errors, json_string("lifeboatd is stopping"));
		return -ESHUTDOWN;
	}
	notify_send("RELOADING=1");
	log_info("reloading %s", d->config_path);
	r = load_config(d->config_path, &text, &len, &cfg, *errors);
	if (r < 0) {
		log_error("%s: the new config is refused; the old one stays in use", d->config_path);
		notify_send("READY=1");
		return r;
	}
	if (strcmp(cfg->socket, d->cfg->socket) != 0 || strcmp(cfg->state_dir, d->cfg->state_dir) != 0)
		log_warn("socket and state_dir changes take effect when lifeboatd restarts");
	r = build_jobs(d, cfg, &old, &list, &added);
	if (r < 0) {
		/* Put everything back as it was. */
		for (struct djob *dj = list; dj; ) {
			struct djob *next = dj->next;

			if (dj->next_fire == -1) {
				uv_close((uv_handle_t *)&dj->timer, djob_free_closed);
			} else {
				/* Back to the config still in use; an orphan taken back
				 * goes back to the orphans. */
				dj->job = config_job(d->cfg, dj->name);
				if (dj->job) {
					dj->next = old;
					old = dj;
				} else {
					dj->next = d->orphans;
					d->orphans = dj;
				}
			}
			dj = next;
		}
		d->jobs = old;
		config_free(cfg);
		free(text);
		json_array_append_new(*errors, json_string("out of memory"));
		notify_send("READY=1");
		return r;
	}
	d->jobs = list;
	retire_jobs(d, old);
	/* The old socket and state_dir stay: copy them into the new config's place. */
	free(cfg->socket);
	cfg->socket = strdup(d->cfg->socket);
	free(cfg->state_dir);
	cfg->state_dir = strdup(d->cfg->state_dir);
	config_free(d->cfg);
	free(d->config_text);
	d->cfg = cfg;
	d->config_text = text;
	d->config_len = len;
	if (!cfg->socket || !cfg->state_dir)
		log_error("out of memory after reloading; restart lifeboatd");
	scheduler_load_state(d);
	arm_all(d, false);
	scheduler_save_state(d);
	log_info("config reloaded: %zu jobs", cfg->njobs);
	metrics_write(cfg);
	notify_send("READY=1");
	notify_status(d);
	return 0;
}

static void close_if_open(uv_handle_t *h)
{
	/* A startup that failed half-way never initialised some of them. */
	if (h->type != UV_UNKNOWN_HANDLE && !uv_is_closing(h))
		uv_close(h, NULL);
}

void daemon_maybe_exit(struct daemon *d)
{
	if (!d->stopping || d->nrunning > 0)
		return;
	log_info("stopped");
	close_if_open((uv_handle_t *)&d->sig_hup);
	close_if_open((uv_handle_t *)&d->sig_term);
	close_if_open((uv_handle_t *)&d->sig_int);
	close_if_open((uv_handle_t *)&d->watchdog);
	for (struct djob *dj = d->jobs, *next; dj; dj = next) {
		next = dj->next;
		uv_close((uv_handle_t *)&dj->timer, djob_free_closed);
	}
	d->jobs = NULL;
}

void daemon_stop(struct daemon *d)
{
	if (d->stopping)
		return;
	d->stopping = true;
	notify_send("STOPPING=1");
	log_info("stopping: %d job%s running", d->nrunning, d->nrunning == 1 ? "" : "s");
	control_stop(d);
	offsite_queue_stop(d);
	for (struct djob *dj = d->jobs; dj; dj = dj->next) {
		scheduler_disarm(dj);
		watch_events_stop(dj);
		if (dj->child)
			child_cancel(dj->child);
	}
	for (struct djob *dj = d->orphans; dj; dj = dj->next)
		if (dj->child)
			child_cancel(dj->child);
	daemon_maybe_exit(d);
}

static void on_signal(uv_signal_t *s, int sig)
{
	struct daemon *d = s->data;
	json_t *errors = NULL;

	if (sig == SIGHUP) {
		daemon_reload(d, &errors);
		json_decref(errors);
	} else {
		daemon_stop(d);
	}
}

/* Every client of the control socket holds a descriptor: the soft limit on
 * open files goes up to the hard one (LimitNOFILE= in the unit), and
 * control.c sizes its connection caps from the result. */
static void raise_nofile(void)
{
	struct rlimit rl;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_err(LOG_LVL_WARN, errno, "cannot read the open files limit");
		return;
	}
	was = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			log_err(LOG_LVL_WARN, errno, "cannot raise the open files limit from %llu to %llu",
				(unsigned long long)was, (unsigned long long)rl.rlim_max);
			return;
		}
	}
	if (was != rl.rlim_cur)
		log_info("open files limit: %llu (raised from %llu)", (unsigned long long)rl.rlim_cur,
			 (unsigned long long)was);
	else
		log_info("open files limit: %llu (already the hard limit)", (unsigned long long)rl.rlim_cur);
}

static int run_daemon(struct daemon *d)
{
	ssize_t n;
	int r;

	n = readlink("/proc/self/exe", d->self_exe, sizeof(d->self_exe) - 1);
	if (n < 0) {
		log_err(LOG_LVL_ERROR, errno, "cannot find my own executable (/proc/self/exe)");
		return 1;
	}
	d->self_exe[n] = '\0';
	d->started = time(NULL);
	srandom((unsigned)(d->started ^ getpid()));
	r = fs_mkdirs(d->cfg->state_dir, 0700);
	if (r < 0) {
		log_err(LOG_LVL_ERROR, -r, "%s: cannot create the state dir", d->cfg->state_dir);
		return 1;
	}
	/* Made now, so that status can report its free space before the first run. */
	r = fs_mkdirs(d->cfg->store, 0700);
	if (r < 0) {
		log_err(LOG_LVL_ERROR, -r, "%s: cannot create the store", d->cfg->store);
		return 1;
	}
	raise_nofile();
	d->loop = uv_default_loop();
	for (size_t i = 0; i < d->cfg->njobs; i++) {
		struct djob *dj = djob_new(d, &d->cfg->jobs[i]), **tail = &d->jobs;

		if (!dj)
			return 1;
		while (*tail)
			tail = &(*tail)->next;
		*tail = dj;
	}
	if (control_start(d) < 0)
		return 1;
	uv_signal_init(d->loop, &d->sig_hup);
	uv_signal_init(d->loop, &d->sig_term);
	uv_signal_init(d->loop, &d->sig_int);
	d->sig_hup.data = d->sig_term.data = d->sig_int.data = d;
	uv_signal_start(&d->sig_hup, on_signal, SIGHUP);
	uv_signal_start(&d->sig_term, on_signal, SIGTERM);
	uv_signal_start(&d->sig_int, on_signal, SIGINT);
	uv_timer_init(d->loop, &d->watchdog);
	scheduler_load_state(d);
	arm_all(d, true);
	notify_watchdog_start(d);
	log_info("lifeboatd %s started: %zu job%s, config %s, socket %s", LIFEBOAT_VERSION, d->cfg->njobs,
		 d->cfg->njobs == 1 ? "" : "s", d->config_path, d->cfg->socket);
	metrics_write(d->cfg);
	notify_send("READY=1");
	notify_status(d);
	uv_run(d->loop, UV_RUN_DEFAULT);
	return 0;
}

/* A hook runs as the daemon's user but without the ambient capability the
 * service gives it to read any file (CAP_DAC_READ_SEARCH): a hook is the
 * admin's script that talks to the network, not a backup reader. */
static int hook_main(const char *cmd)
{
	struct rlimit rl;

	/* The raised open files limit is lifeboatd's own: a hook gets the
	 * usual soft limit back, as programs that use select() need. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > FD_SETSIZE) {
		rl.rlim_cur = FD_SETSIZE;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_err(LOG_LVL_WARN, errno, "hook: cannot lower the open files limit to %d", FD_SETSIZE);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		log_err(LOG_LVL_ERROR, errno, "hook: cannot drop the ambient capabilities; not running it");
		return 126;
	}
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	log_err(LOG_LVL_ERROR, errno, "hook: cannot run /bin/sh");
	return 127;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "run-job", required_argument, NULL, 'J' },
		{ "run-hook", required_argument, NULL, 'K' },
		{ "offsite-sync", required_argument, NULL, 'O' },
		/* Hidden, for the tests: seconds before an idle control client is closed. */
		{ "idle-timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d = { 0 };
	const char *copt = NULL, *run_job = NULL, *offsite_sync = NULL;
	bool check_only = false;
	int c, rc;

	log_init("lifeboatd", LOG_LVL_INFO);
	while ((c = getopt_long(argc, argv, "c:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			copt = optarg;
			break;
		case 'n':
			check_only = true;
			break;
		case 'J':
			run_job = optarg;
			break;
		case 'K':
			return hook_main(optarg);
		case 'O':
			offsite_sync = optarg;
			break;
		case 'T': {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 86400) {
				fprintf(stderr, "lifeboatd: --idle-timeout: '%s' is not a number of seconds from 1 to 86400\n",
					optarg);
				return 2;
			}
			d.idle_timeout = (unsigned)v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("lifeboatd %s\n", LIFEBOAT_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (run_job)
		return child_main(run_job, config_path_choose(copt));
	if (offsite_sync)
		return offsite_child_main(offsite_sync, config_path_choose(copt));

	notify_init();
	signal(SIGPIPE, SIG_IGN);
	d.config_path = strdup(config_path_choose(copt));
	if (!d.config_path)
		return 1;
	if (load_config(d.config_path, &d.config_text, &d.config_len, &d.cfg, NULL) < 0) {
		free(d.config_path);
		return 2;
	}
	if (check_only) {
		fprintf(stderr, "lifeboatd: %s: configuration OK\n", d.config_path);
		rc = 0;
	} else {
		rc = run_daemon(&d);
		if (d.loop) {
			if (rc != 0) {
				/* Startup failed half-way: close what was opened. */
				d.stopping = true;
				control_stop(&d);
				daemon_maybe_exit(&d);
			}
			uv_run(d.loop, UV_RUN_DEFAULT);
			uv_loop_close(d.loop);
		}
	}
	config_free(d.cfg);
	free(d.config_text);
	free(d.config_path);
	return rc;
}

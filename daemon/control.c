/*
 * control — the daemon's control socket: a Unix stream socket speaking JSON
 * lines (protocol.h).  Created unlink → umask → bind → chmod 0660 → group
 * socket_group.  Each connection's peer is checked (SO_PEERCRED, and
 * SO_PEERGROUPS for supplementary groups): root, the daemon's own user or a
 * member of socket_group; anyone else is told so and dropped.  A malformed
 * or oversized request gets an error reply, never a crash.
 *
 * Every connection holds a file descriptor, and a member of socket_group
 * could open thousands and leave them idle.  So the connections are bounded,
 * and `lifeboat status` always gets an answer:
 *   - at most `clients_max` connections are served in full (CONTROL_CLIENTS_MAX,
 *     fewer when the open files limit is low: CONTROL_FD_RESERVE descriptors
 *     stay for the job children's pipes, state files and hooks);
 *   - beyond those, up to `status_only_max` more are accepted for a status
 *     request only: it is answered and the connection closed; anything else
 *     is refused.  When these are full too, the oldest of them makes room, so
 *     a new `lifeboat status` is never the one turned away;
 *   - a connection that sends no complete request for `idle_timeout` seconds
 *     (CONTROL_STATUS_ONLY_TIMEOUT for a status-only one) is closed; one that
 *     follows a run's progress is not idle;
 *   - a line longer than PROTO_LINE_MAX is refused and the connection closed.
 * Should the descriptors run out anyway, libuv accepts and closes what waits
 * with its reserve descriptor (no busy loop), and we log it once a minute.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <unistd.h>

#include "alerts.h"
#include "daemon.h"
#include "fsutil.h"
#include "jobstatus.h"
#include "log.h"
#include "timefmt.h"
#include "metrics.h"

#define CLIENT_QUEUE_MAX (4 * 1024 * 1024)

struct client {
	struct control *ctl;
	uv_pipe_t pipe;
	uv_shutdown_t shutdown;		/* after the one reply of a status-only client */
	struct proto_lines lines;
	char follow[JOB_NAME_MAX + 1];	/* job whose progress this client follows, or "" */
	bool status_only;		/* accepted beyond clients_max: one status request */
	bool finishing;			/* its last reply is being sent; reads nothing more */
	bool closing;
	uint64_t active_ms;		/* uv_now() of its last complete request (or accept, or end of a follow) */
	struct client *next;		/* newest first */
};

struct control {
	struct daemon *d;
	uv_pipe_t server;
	uv_timer_t sweep;		/* closes idle clients */
	int open_handles;		/* server and sweep: ctl is freed when both are closed */
	bool have_gid;
	gid_t gid;
	struct client *clients;
	unsigned nclients;		/* served in full, not closing */
	unsigned nstatus_only;		/* status-only, not closing */
	unsigned clients_max;		/* served in full at most (CONTROL_CLIENTS_MAX or fewer) */
	unsigned status_only_max;	/* status-only at most, on top */
	uint64_t idle_ms;		/* a client without a complete request for this long is closed */
	time_t full_logged;		/* wall clock of the last "connections at the cap" warning */
	time_t emfile_logged;		/* ... of the last "out of descriptors" warning */
	time_t idle_logged;		/* ... of the last "closed idle clients" note */
	unsigned idle_unlogged;		/* idle clients closed since that note */
};

/* Logs at most once a minute per LAST: a flood of connections must not
 * become a flood of log lines. */
static bool log_due(time_t *last)
{
	time_t now = time(NULL);

	if (*last && now - *last < 60)
		return false;
	*last = now;
	return true;
}

struct write_req {
	uv_write_t req;
	char data[];
};

static void client_closed(uv_handle_t *h)
{
	struct client *cl = h->data;

	proto_lines_free(&cl->lines);
	free(cl);
}

static void client_drop(struct client *cl)
{
	if (cl->closing)
		return;
	cl->closing = true;
	if (cl->status_only)
		cl->ctl->nstatus_only--;
	else
		cl->ctl->nclients--;
	for (struct client **pp = &cl->ctl->clients; *pp; pp = &(*pp)->next) {
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	}
	uv_close((uv_handle_t *)&cl->pipe, client_closed);
}

static void write_done(uv_write_t *req, int status)
{
	(void)status;	/* a client that went away is dropped by its read side */
	free(req);
}

static void send_msg(struct client *cl, const json_t *msg)
{
	char *text;
	size_t len;
	struct write_req *wr;
	uv_buf_t buf;

	if (cl->closing)
		return;
	/* A client that does not read its replies is not worth our memory. */
	if (uv_stream_get_write_queue_size((uv_stream_t *)&cl->pipe) > CLIENT_QUEUE_MAX) {
		log_warn("control: a client stopped reading; dropping it");
		client_drop(cl);
		return;
	}
	text = json_dumps(msg, JSON_COMPACT);
	if (!text)
		return;
	len = strlen(text);
	wr = malloc(sizeof(*wr) + len + 1);
	if (!wr) {
		free(text);
		return;
	}
	memcpy(wr->data, text, len);
	wr->data[len] = '\n';
	free(text);
	buf = uv_buf_init(wr->data, (unsigned)len + 1);
	if (uv_write(&wr->req, (uv_stream_t *)&cl->pipe, &buf, 1, write_done) < 0) {
		free(wr);
		client_drop(cl);
	}
}

static void send_error(struct client *cl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void send_error(struct client *cl, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	j = json_pack("{s:b, s:s}", "ok", 0, "error", msg);
	if (j)
		send_msg(cl, j);
	json_decref(j);
}

static void send_ok(struct client *cl, json_t *reply)
{
	if (!reply)
		reply = json_object();
	if (!reply)
		return;
	json_object_set_new(reply, "ok", json_true());
	send_msg(cl, reply);
	json_decref(reply);
}

void control_broadcast(struct daemon *d, const char *job, json_t *event)
{
	const char *kind = json_string_value(json_object_get(event, "event"));

	if (!d->control)
		return;
	for (struct client *cl = d->control->clients, *next; cl; cl = next) {
		next = cl->next;
		if (strcmp(cl->follow, job) != 0)
			continue;
		send_msg(cl, event);
		if (kind && strcmp(kind, "done") == 0) {
			cl->follow[0] = '\0';
			cl->active_ms = uv_now(d->loop);	/* idle from now on */
		}
	}
}

static void finish_done(uv_shutdown_t *req, int status)
{
	(void)status;	/* gone already, or the reply is out: close either way */
	client_drop(req->data);
}

/* Sends nothing more to CL once what is queued is out, then closes it. */
static void client_finish(struct client *cl)
{
	if (cl->closing || cl->finishing)
		return;
	cl->finishing = true;
	uv_read_stop((uv_stream_t *)&cl->pipe);
	cl->shutdown.data = cl;
	if (uv_shutdown(&cl->shutdown, (uv_stream_t *)&cl->pipe, finish_done) < 0)
		client_drop(cl);
}

/* ---- requests ------------------------------------------------------------ */

static json_t *status_reply(struct daemon *d)
{
	char started[TIMEFMT_RFC3339_LEN], when[TIMEFMT_RFC3339_LEN];
	time_t now = time(NULL);
	struct statvfs sv;
	json_t *r, *jobs, *store;

	timefmt_rfc3339(d->started, started);
	r = json_pack("{s:{s:s, s:i, s:s, s:I, s:s, s:i}}", "daemon", "version", LIFEBOAT_VERSION,
		      "pid", (int)getpid(), "started", started, "uptime_seconds", (json_int_t)(now - d->started),
		      "config", d->config_path, "running", d->nrunning);
	if (!r)
		return NULL;
	store = json_pack("{s:s}", "path", d->cfg->store);
	if (store && statvfs(d->cfg->store, &sv) == 0) {
		json_object_set_new(store, "free_bytes", json_integer((json_int_t)((uint64_t)sv.f_bavail * sv.f_frsize)));
		json_object_set_new(store, "total_bytes", json_integer((json_int_t)((uint64_t)sv.f_blocks * sv.f_frsize)));
	} else if (store) {
		json_object_set_new(store, "error", json_string(strerror(errno)));
	}
	json_object_set_new(r, "store", store);
	jobs = json_array();
	for (struct djob *dj = d->jobs; dj && jobs; dj = dj->next) {
		json_t *j = jobstatus_job(d->cfg, dj->job, now);

		if (!j)
			continue;
		if (dj->next_fire) {
			timefmt_rfc3339(dj->next_fire, when);
			json_object_set_new(j, "next_run", json_string(when));
		} else {
			json_object_set_new(j, "next_run", json_null());
		}
		json_object_set_new(j, "running", dj->child ? child_status(dj->child) : json_null());
		watch_events_notes(dj, json_object_get(j, "notes"));
		json_array_append_new(jobs, j);
	}
	json_object_set_new(r, "jobs", jobs ? jobs : json_array());
	return r;
}

static struct djob *request_job(struct client *cl, json_t *req)
{
	const char *name = json_string_value(json_object_get(req, "job"));
	struct djob *dj;

	if (!name) {
		send_error(cl, "this request needs a \"job\"");
		return NULL;
	}
	dj = daemon_job(cl->ctl->d, name);
	if (!dj)
		send_error(cl, "no job named '%s' in %s", name, cl->ctl->d->config_path);
	return dj;
}

static void follow(struct client *cl, struct djob *dj)
{
	snprintf(cl->follow, sizeof(cl->follow), "%s", dj->name);
	/* The newest progress at once, so a follower never starts blind. */
	if (dj->child && dj->child->progress) {
		json_t *ev = json_deep_copy(dj->child->progress);

		json_object_set_new(ev, "job", json_string(dj->name));
		send_msg(cl, ev);
		json_decref(ev);
	}
}

static void handle_request(struct client *cl, json_t *req)
{
	struct daemon *d = cl->ctl->d;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	struct djob *dj;
	char err[512];

	if (!cmd) {
		send_error(cl, "a request needs a \"cmd\"");
	} else if (strcmp(cmd, "status") == 0) {
		json_t *s = status_reply(d);

		if (s)
			send_ok(cl, s);
		else
			send_error(cl, "out of memory");
	} else if (strcmp(cmd, "run") == 0) {
		if (!(dj = request_job(cl, req)))
			return;
		if (d->stopping) {
			send_error(cl, "lifeboatd is stopping");
			return;
		}
		if (child_start(dj, "request", err, sizeof(err)) < 0) {
			send_error(cl, "job %s: %s", dj->name, err);
			return;
		}
		send_ok(cl, json_pack("{s:s, s:i}", "job", dj->name, "pid", dj->child->proc.pid));
		if (json_is_true(json_object_get(req, "wait")))
			follow(cl, dj);
	} else if (strcmp(cmd, "follow") == 0) {
		if (!(dj = request_job(cl, req)))
			return;
		if (!dj->child) {
			send_error(cl, "job %s is not running", dj->name);
			return;
		}
		send_ok(cl, json_pack("{s:s}", "job", dj->name));
		follow(cl, dj);
	} else if (strcmp(cmd, "cancel") == 0) {
		if (!(dj = request_job(cl, req)))
			return;
		if (!dj->child) {
			send_error(cl, "job %s is not running", dj->name);
			return;
		}
		child_cancel(dj->child);
		send_ok(cl, json_pack("{s:s}", "job", dj->name));
	} else if (strcmp(cmd, "reload") == 0) {
		json_t *errors = NULL;

		if (daemon_reload(d, &errors) == 0) {
			json_decref(errors);	/* an empty list */
			send_ok(cl, json_pack("{s:s}", "config", d->config_path));
		} else {
			json_t *reply = json_pack("{s:b, s:s, s:o}", "ok", 0, "error",
						  "the new config has errors; the old one stays in use",
						  "errors", errors ? errors : json_array());
			if (reply)
				send_msg(cl, reply);
			json_decref(reply);
		}
	} else if (strcmp(cmd, "ack") == 0) {
		const char *what = json_string_value(json_object_get(req, "what"));
		size_t n = 0;
		int r;

		if (!what) {
			send_error(cl, "ack needs \"what\": an alert id or a job name");
			return;
		}
		r = alerts_ack(d->cfg->state_dir, what, &n);
		if (r == -ENOENT)
			send_error(cl, "no open alert matches '%s'", what);
		else if (r < 0)
			send_error(cl, "cannot acknowledge '%s': %s", what, strerror(-r));
		else
			send_ok(cl, json_pack("{s:I}", "acked", (json_int_t)n));
		if (r == 0)
			metrics_write(d->cfg);
	} else {
		send_error(cl, "unknown request '%.64s'", cmd);
	}
}

/* A connection beyond clients_max: a status request is served, nothing else. */
static void status_only_request(struct client *cl, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));

	if (cmd && strcmp(cmd, "status") == 0)
		handle_request(cl, req);
	else
		send_error(cl, "too many connections to lifeboatd (%u open); only status is served now, try again later",
			   cl->ctl->clients_max);
}

/* ---- connections --------------------------------------------------------- */

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char slab[16384];

	(void)h;
	(void)suggested;
	*buf = uv_buf_init(slab, sizeof(slab));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct client *cl = s->data;
	char *line, err[256];

	if (n < 0) {
		client_drop(cl);
		return;
	}
	if (proto_lines_push(&cl->lines, buf->base, (size_t)n) < 0) {
		send_error(cl, "request too long (at most %d bytes per line)", PROTO_LINE_MAX);
		uv_read_stop(s);
		client_drop(cl);
		return;
	}
	while (!cl->closing && !cl->finishing && (line = proto_lines_next(&cl->lines))) {
		json_t *req;

		if (!*line)
			continue;
		cl->active_ms = uv_now(cl->ctl->d->loop);
		req = proto_parse(line, err, sizeof(err));
		if (!req) {
			send_error(cl, "%s", err);
		} else if (cl->status_only) {
			status_only_request(cl, req);
		} else {
			handle_request(cl, req);
		}
		json_decref(req);
		if (cl->status_only)
			client_finish(cl);
	}
	if (cl->lines.overflow && !cl->closing) {
		send_error(cl, "request too long (at most %d bytes per line)", PROTO_LINE_MAX);
		client_drop(cl);
	}
}

static bool peer_in_group(int fd, gid_t gid)
{
	socklen_t len = 64 * sizeof(gid_t);
	gid_t *groups = NULL;
	bool found = false;

	/* ERANGE tells the size needed: a member of many groups is still a member. */
	for (int tries = 0; tries < 3; tries++) {
		gid_t *grown = realloc(groups, len);

		if (!grown)
			break;
		groups = grown;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
			for (size_t i = 0; i < len / sizeof(gid_t); i++)
				found = found || groups[i] == gid;
			break;
		}
		if (errno != ERANGE)
			break;
	}
	free(groups);
	return found;
}

static bool peer_allowed(struct control *ctl, int fd, char *who, size_t wholen)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
		snprintf(who, wholen, "unknown peer");
		return false;
	}
	snprintf(who, wholen, "uid %u (pid %d)", (unsigned)cr.uid, (int)cr.pid);
	if (cr.uid == 0 || cr.uid == geteuid())
		return true;
	return ctl->have_gid && (cr.gid == ctl->gid || peer_in_group(fd, ctl->gid));
}

/* The status-only connections are full: the oldest one that is not yet
 * being answered goes, so that the newest (a `lifeboat status` that just
 * came) gets its turn. */
static void make_status_room(struct control *ctl, struct client *newcomer)
{
	struct client *oldest = NULL;

	/* Those being answered are gone within a loop turn: they stay. */
	for (struct client *cl = ctl->clients; cl; cl = cl->next)
		if (cl != newcomer && cl->status_only && !cl->closing && !cl->finishing)
			oldest = cl;
	if (!oldest)
		return;
	send_error(oldest, "too many connections to lifeboatd; closing this one to serve a newer one");
	client_drop(oldest);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct control *ctl = server->data;
	struct client *cl;
	char who[64];
	uv_os_fd_t fd;

	if (status < 0) {
		/* Out of descriptors: libuv has accepted and closed the waiting
		 * connections with its reserve descriptor, so this does not spin. */
		if (log_due(&ctl->emfile_logged))
			log_warn("control: cannot accept a connection: %s (%u clients, %u status-only; open files limit reached?)",
				 uv_strerror(status), ctl->nclients, ctl->nstatus_only);
		return;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return;
	cl->ctl = ctl;
	cl->active_ms = uv_now(ctl->d->loop);
	proto_lines_init(&cl->lines);
	uv_pipe_init(ctl->d->loop, &cl->pipe, 0);
	cl->pipe.data = cl;
	cl->next = ctl->clients;
	ctl->clients = cl;
	if (ctl->nclients < ctl->clients_max) {
		ctl->nclients++;
	} else {
		cl->status_only = true;
		ctl->nstatus_only++;
		if (log_due(&ctl->full_logged))
			log_warn("control: %u connections open, the most served in full; new ones may only ask for status",
				 ctl->nclients);
		if (ctl->nstatus_only > ctl->status_only_max)
			make_status_room(ctl, cl);
	}
	if (uv_accept(server, (uv_stream_t *)&cl->pipe) < 0 || uv_fileno((uv_handle_t *)&cl->pipe, &fd) < 0) {
		client_drop(cl);
		return;
	}
	if (!peer_allowed(ctl, fd, who, sizeof(who))) {
		log_warn("control: refused %s: not root, the daemon's user or a member of group %s",
			 who, ctl->d->cfg->socket_group);
		send_error(cl, "permission denied: %s is not root, the daemon's user or a member of group '%s'",
			   who, ctl->d->cfg->socket_group);
		client_drop(cl);
		return;
	}
	uv_read_start((uv_stream_t *)&cl->pipe, alloc_cb, on_read);
}

/* How long CL may go without a complete request, in ms. */
static uint64_t client_idle_limit(const struct control *ctl, const struct client *cl)
{
	uint64_t limit = ctl->idle_ms;

	if (cl->status_only && limit > CONTROL_STATUS_ONLY_TIMEOUT * 1000ull)
		limit = CONTROL_STATUS_ONLY_TIMEOUT * 1000ull;
	return limit;
}

static void on_sweep(uv_timer_t *t)
{
	struct control *ctl = t->data;
	uint64_t now = uv_now(ctl->d->loop);

	for (struct client *cl = ctl->clients, *next; cl; cl = next) {
		uint64_t limit = client_idle_limit(ctl, cl);

		next = cl->next;
		if (cl->closing || cl->follow[0] || now - cl->active_ms < limit)
			continue;
		if (!cl->finishing)
			send_error(cl, "closing this connection: no request for %llu s", (unsigned long long)(limit / 1000));
		client_drop(cl);
		ctl->idle_unlogged++;
	}
	if (ctl->idle_unlogged && log_due(&ctl->idle_logged)) {
		log_info("control: closed %u idle connection%s (no complete request for %llu s)", ctl->idle_unlogged,
			 ctl->idle_unlogged == 1 ? "" : "s", (unsigned long long)(ctl->idle_ms / 1000));
		ctl->idle_unlogged = 0;
	}
}

/* Sets clients_max and status_only_max from the open files limit: each
 * connection is a descriptor, and CONTROL_FD_RESERVE stay for the rest. */
static void size_limits(struct control *ctl)
{
	unsigned total = CONTROL_CLIENTS_MAX + CONTROL_STATUS_ONLY_MAX;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)total + CONTROL_FD_RESERVE) {
		total = rl.rlim_cur > CONTROL_FD_RESERVE + 2 ? (unsigned)(rl.rlim_cur - CONTROL_FD_RESERVE) : 2;
		log_warn("control: the open files limit is %llu: serving at most %u connections at once",
			 (unsigned long long)rl.rlim_cur, total);
	}
	ctl->status_only_max = total / 4 < 1 ? 1 : total / 4;
	if (ctl->status_only_max > CONTROL_STATUS_ONLY_MAX)
		ctl->status_only_max = CONTROL_STATUS_ONLY_MAX;
	ctl->clients_max = total - ctl->status_only_max;
}

/* Refuses to take the socket from a live daemon; removes a stale one. */
static int clear_socket_path(const char *path)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_error("%s: exists and is not a socket; refusing to replace it", path);
		return -EEXIST;
	}
	if (proto_connect(path, &fd) == 0) {
		close(fd);
		log_error("%s: another lifeboatd is answering on this socket", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0) {
		log_err(LOG_LVL_ERROR, errno, "%s: cannot remove the stale socket", path);
		return -errno;
	}
	return 0;
}

static void server_closed(uv_handle_t *h);

static int make_socket(struct control *ctl, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[PATH_MAX];
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_error("%s: socket path too long (at most %zu bytes)", path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (fs_dirname(path, dir, sizeof(dir)) == 0 && fs_mkdirs(dir, 0750) < 0) {
		log_err(LOG_LVL_ERROR, errno, "%s: cannot create the socket's directory", dir);
		return -errno;
	}
	r = clear_socket_path(path);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_err(LOG_LVL_ERROR, errno, "%s: cannot create the socket", path);
		return -errno;
	}
	/* No moment where the socket exists with wider permissions. */
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || chmod(path, 0660) < 0) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot bind the control socket", path);
		close(fd);
		return r;
	}
	if (ctl->have_gid && chown(path, (uid_t)-1, ctl->gid) < 0)
		log_err(LOG_LVL_WARN, errno, "%s: cannot give the socket to group %s; only root and the daemon's user can use it",
			path, ctl->d->cfg->socket_group);
	return fd;
}

int control_start(struct daemon *d)
{
	struct control *ctl = calloc(1, sizeof(*ctl));
	struct group gr, *res = NULL;
	size_t buflen = 4096;
	char *buf = NULL;
	uint64_t sweep_ms;
	int fd, r;

	if (!ctl)
		return -ENOMEM;
	ctl->d = d;
	ctl->idle_ms = (d->idle_timeout ? d->idle_timeout : CONTROL_IDLE_TIMEOUT) * 1000ull;
	size_limits(ctl);
	if (d->cfg->socket_group && *d->cfg->socket_group) {
		/* A group with many members needs a bigger buffer: grow on ERANGE. */
		for (r = ERANGE; r == ERANGE && buflen <= (1u << 22); buflen *= 4) {
			char *grown = realloc(buf, buflen);

			if (!grown)
				break;
			buf = grown;
			r = getgrnam_r(d->cfg->socket_group, &gr, buf, buflen, &res);
		}
		if (res) {
			ctl->have_gid = true;
			ctl->gid = res->gr_gid;
		} else {
			log_warn("socket_group '%s' does not exist; only root and the daemon's user can use the control socket",
				 d->cfg->socket_group);
		}
	}
	free(buf);
	fd = make_socket(ctl, d->cfg->socket);
	if (fd < 0) {
		free(ctl);
		return fd;
	}
	uv_pipe_init(d->loop, &ctl->server, 0);
	ctl->server.data = ctl;
	uv_timer_init(d->loop, &ctl->sweep);
	ctl->sweep.data = ctl;
	ctl->open_handles = 2;
	r = uv_pipe_open(&ctl->server, fd);
	if (r < 0)
		close(fd);	/* not the handle's yet */
	if (r == 0)
		r = uv_listen((uv_stream_t *)&ctl->server, 64, on_connection);
	if (r < 0) {
		log_error("%s: cannot listen: %s", d->cfg->socket, uv_strerror(r));
		unlink(d->cfg->socket);
		uv_close((uv_handle_t *)&ctl->server, server_closed);
		uv_close((uv_handle_t *)&ctl->sweep, server_closed);
		return -EIO;
	}
	/* A quarter of the shortest timeout, at most a second. */
	sweep_ms = client_idle_limit(ctl, &(struct client){ .status_only = true }) / 4;
	sweep_ms = sweep_ms < 100 ? 100 : sweep_ms > 1000 ? 1000 : sweep_ms;
	uv_timer_start(&ctl->sweep, on_sweep, sweep_ms, sweep_ms);
	log_info("control: at most %u connections served in full and %u more for status only; idle ones closed after %llu s",
		 ctl->clients_max, ctl->status_only_max, (unsigned long long)(ctl->idle_ms / 1000));
	d->control = ctl;
	return 0;
}

/* Close callback of the server and the sweep timer: the last frees ctl. */
static void server_closed(uv_handle_t *h)
{
	struct control *ctl = h->data;

	if (--ctl->open_handles == 0)
		free(ctl);
}

void control_stop(struct daemon *d)
{
	struct control *ctl = d->control;

	if (!ctl)
		return;
	while (ctl->clients)
		client_drop(ctl->clients);
	unlink(d->cfg->socket);
	uv_close((uv_handle_t *)&ctl->server, server_closed);
	uv_close((uv_handle_t *)&ctl->sweep, server_closed);
	d->control = NULL;
}

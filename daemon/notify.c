/*
 * notify — systemd's notify protocol, spoken directly: one datagram per
 * message to $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace).
 * Not worth a libsystemd dependency for a sendto().
 *
 * The variables are read once and removed from our environment, so no
 * child (job or hook) can talk to systemd in our name.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "timefmt.h"
#include "units.h"

static struct sockaddr_un notify_addr;
static socklen_t notify_len;
static uint64_t watchdog_usec;

void notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	const char *wd = getenv("WATCHDOG_USEC");
	const char *wd_pid = getenv("WATCHDOG_PID");
	size_t len;

	if (path && *path && (len = strlen(path)) < sizeof(notify_addr.sun_path)) {
		notify_addr.sun_family = AF_UNIX;
		memcpy(notify_addr.sun_path, path, len);
		if (path[0] == '@')
			notify_addr.sun_path[0] = '\0';
		notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	} else if (path && *path) {
		log_warn("NOTIFY_SOCKET is too long to use; systemd will not hear from us");
	}
	/* The watchdog is ours only if it names our pid (or no pid at all). */
	if (wd && (!wd_pid || atol(wd_pid) == (long)getpid()))
		watchdog_usec = strtoull(wd, NULL, 10);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

void notify_send(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int fd;

	if (!notify_len)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err(LOG_LVL_WARN, errno, "cannot create the notify socket");
		return;
	}
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&notify_addr, notify_len) < 0)
		log_err(LOG_LVL_WARN, errno, "cannot notify systemd (%.40s)", msg);
	close(fd);
}

static void on_watchdog(uv_timer_t *t)
{
	(void)t;
	notify_send("WATCHDOG=1");
}

void notify_watchdog_start(struct daemon *d)
{
	uint64_t ms = watchdog_usec / 2000;

	if (!watchdog_usec)
		return;
	if (ms == 0)
		ms = 1;
	uv_timer_start(&d->watchdog, on_watchdog, ms, ms);
	log_info("watchdog: pinging systemd every %.1f s", (double)ms / 1000.0);
}

/* STATUS=: what runs, and what is next, in one line for `systemctl status`. */
void notify_status(struct daemon *d)
{
	char line[900] = "", when[32];
	const struct djob *next = NULL;
	size_t off = 0;

	if (!notify_len)
		return;
	for (const struct djob *dj = d->jobs; dj; dj = dj->next) {
		if (dj->child) {
			off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s", off ? ", " : "running: ",
						dj->name);
			if (off >= sizeof(line))
				off = sizeof(line) - 1;
		}
		if (dj->next_fire && (!next || dj->next_fire < next->next_fire))
			next = dj;
		if (off >= sizeof(line) - 64)
			break;
	}
	if (next) {
		units_format_age(next->next_fire - time(NULL), when, sizeof(when));
		snprintf(line + off, sizeof(line) - off, "%snext: %s in %s", off ? "; " : "", next->name, when);
	} else if (!off) {
		snprintf(line, sizeof(line), "idle, nothing scheduled");
	}
	notify_send("STATUS=%s", line);
}

/*
 * log — see log.h.  Deliberately tiny: no files, no syslog.  Under systemd
 * stderr goes to the journal, which adds time and unit; a terminal user
 * wants neither.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *prog = "lifeboat";
static enum log_level max_lvl = LOG_LVL_INFO;
static char last_error[2300];
static char first_error[2300];	/* the first since log_clear_last_error() */

static const char *const level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARN] = "warning",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

void log_init(const char *progname, enum log_level max_level)
{
	const char *slash = strrchr(progname, '/');

	prog = slash ? slash + 1 : progname;
	max_lvl = max_level;
}

void log_set_level(enum log_level max_level)
{
	max_lvl = max_level;
}

const char *log_progname(void)
{
	return prog;
}

/* Keeps errno as it found it: callers log, then return -errno. */
static void log_v(enum log_level lvl, int err, const char *fmt, va_list ap)
{
	int saved = errno;
	char buf[2048];
	int n;

	/* Truncation of a very long message is fine; the compiler is told so. */
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0) {
		errno = saved;
		return;
	}
	if (lvl == LOG_LVL_ERROR) {
		if (err)
			snprintf(last_error, sizeof(last_error), "%.2000s: %.200s", buf, strerror(err));
		else
			snprintf(last_error, sizeof(last_error), "%.2000s", buf);
		if (!first_error[0])
			snprintf(first_error, sizeof(first_error), "%s", last_error);
	}
	if (lvl > max_lvl) {
		errno = saved;
		return;
	}
	/* One fprintf so that concurrent writers (daemon children) do not interleave. */
	if (err)
		fprintf(stderr, "%s: %s: %s: %s\n", prog, level_names[lvl], buf, strerror(err));
	else
		fprintf(stderr, "%s: %s: %s\n", prog, level_names[lvl], buf);
	errno = saved;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(lvl, 0, fmt, ap);
	va_end(ap);
}

void log_err(enum log_level lvl, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(lvl, err, fmt, ap);
	va_end(ap);
}

const char *log_first_error(void)
{
	return first_error;
}

const char *log_last_error(void)
{
	return last_error;
}

void log_clear_last_error(void)
{
	last_error[0] = '\0';
	first_error[0] = '\0';
}

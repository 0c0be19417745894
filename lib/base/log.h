/*
 * log — one line per message on stderr, "PROGRAM: LEVEL: message".
 *
 * Library code logs where a failure happens, with context (file, key, job),
 * and returns an error code; it never exits.  Two flavours, as in OpenBSD's
 * daemons: with and without strerror(errno).  The daemon later prefixes the
 * job name through the message itself ("job shop: ...").
 * Logging leaves errno as it was, so a caller may log and then return -errno.
 */
#ifndef LIFEBOAT_LOG_H
#define LIFEBOAT_LOG_H

enum log_level {
	LOG_LVL_ERROR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* PROGNAME is kept by pointer: pass a string literal or argv[0]. */
void log_init(const char *progname, enum log_level max_level);
void log_set_level(enum log_level max_level);
const char *log_progname(void);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends ": strerror(ERR)" (ERR positive errno). */
void log_err(enum log_level lvl, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The text of the last error logged (without program name and level), or "".
 * A job records it as the reason of a failed run. */
const char *log_last_error(void);
void log_clear_last_error(void);
/* The first error logged since log_clear_last_error(), or "": the cause,
 * where the last one is often its consequence ("nothing was restored"). */
const char *log_first_error(void);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif

/*
 * incident journal — journal.txt: the text file the first guide asks for
 * ("document every step you take"), kept by Lifeboat.  One line per step,
 * appended (O_APPEND, never rewritten) and fsynced before the step is
 * taken to have happened:
 *
 *   UTC <TAB> local time with zone <TAB> uid=N(name) <TAB> what <TAB> result
 *
 * What and result may hold site-controlled text (a note, a path): control
 * bytes and backslashes are escaped, so one step stays one line.  This file
 * does not decide what the steps are.
 */
#include "incident.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"

char *incident_escape(const char *text)
{
	size_t n = strlen(text), o = 0;
	char *out = malloc(n * 4 + 1);

	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (*p == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (*p == '\t') {
			out[o++] = '\\';
			out[o++] = 't';
		} else if (*p < 0x20 || *p == 0x7f) {
			o += (size_t)sprintf(out + o, "\\x%02x", *p);
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
	return out;
}

int incident_journal(struct incident *inc, const char *what, const char *result)
{
	char utc[32], local[64], user[300], *w = incident_escape(what), *res = incident_escape(result);
	struct passwd *pw = getpwuid(getuid());
	const char *sudo = getenv("SUDO_USER");
	time_t now = time(NULL);
	struct tm tm;
	char *line = NULL;
	int len, r = 0;

	gmtime_r(&now, &tm);
	strftime(utc, sizeof(utc), "%Y-%m-%dT%H:%M:%SZ", &tm);
	localtime_r(&now, &tm);
	strftime(local, sizeof(local), "%Y-%m-%d %H:%M:%S %Z (%z)", &tm);
	snprintf(user, sizeof(user), "uid=%u(%s)%s%s", (unsigned)getuid(), pw ? pw->pw_name : "?",
		 sudo ? " via sudo by " : "", sudo ? sudo : "");
	len = w && res ? asprintf(&line, "%s\t%s\t%s\t%s\t%s\n", utc, local, user, w, res) : -1;
	free(w);
	free(res);
	if (len < 0) {
		log_error("incident %s: out of memory for the journal", inc->stamp);
		return -ENOMEM;
	}
	if (fs_write_all(inc->journal_fd, line, (size_t)len) < 0 || fsync(inc->journal_fd) < 0) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s/%s: cannot append", inc->dir, INCIDENT_JOURNAL);
	}
	free(line);
	return r;
}

int incident_journalf(struct incident *inc, const char *what, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return incident_journal(inc, what, buf);
}

/*
 * when_logparse — one line of a web server's access log or of a login log,
 * read into what `lifeboat when` needs: its time, the client address, and
 * the request (method, path, status) or the login (service, user, accepted
 * or refused).
 *
 * Access logs: Apache/nginx "common" and "combined" formats, with or
 * without a leading "vhost:port" (Debian's other_vhosts_access.log).  Login
 * logs: syslog lines (traditional "Mmm dd HH:MM:SS host prog[pid]: msg" or
 * RFC 3339 stamps) of sshd, pure-ftpd and proftpd, and vsftpd's own log
 * ("Fri Dec  4 03:00:00 2026 [pid N] [user] OK LOGIN: Client ...").
 *
 * Every line is attacker-written (the request line, the user name, the
 * user agent).  Nothing here allocates or copies beyond fixed, bounded
 * fields; a line that fits none of the formats is WL_UNKNOWN, never guessed.
 * The path is compared after percent-decoding (when_url_path_equal), so
 * "/uploads/%2ecache.php" is the same file as "/uploads/.cache.php".
 */
#ifndef LIFEBOAT_WHEN_LOGPARSE_H
#define LIFEBOAT_WHEN_LOGPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum when_line_kind {
	WL_UNKNOWN,
	WL_ACCESS,		/* a web request */
	WL_LOGIN,		/* a login accepted or refused */
	WL_OTHER,		/* a syslog line of no interest: parsed, not counted as unknown */
};

struct when_line {
	enum when_line_kind kind;
	time_t t;			/* UTC epoch seconds */
	char client[64];		/* the remote address as logged */
	/* WL_ACCESS */
	char method[16];
	const char *target;		/* the request target as logged (in the line) */
	size_t target_len;
	int status;
	/* WL_LOGIN */
	char service[16];		/* "sshd", "vsftpd", "pure-ftpd", "proftpd" */
	char user[64];
	bool accepted;
};

/* Parses LINE (LEN bytes, no newline).  Syslog stamps carry no year: they get
 * the year of NOW, or the one before when that would put them more than a
 * day after NOW.  Returns the kind (also in OUT->kind). */
enum when_line_kind when_parse_line(const char *line, size_t len, time_t now, struct when_line *out);

/* The request target's path (before '?' or '#'), percent-decoded, equals
 * PATH (an absolute URL path, not encoded). */
bool when_url_path_equal(const char *target, size_t len, const char *path);

/* The request target's path ends in a script extension (.php and friends,
 * .cgi, .pl, .py, .sh): where a POST or an upload runs code. */
bool when_url_is_script(const char *target, size_t len);

#endif

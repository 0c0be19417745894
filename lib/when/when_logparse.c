/*
 * when_logparse — see when_logparse.h.  Hand-written, bounded scanners over
 * the few fixed formats; no regex, no allocation.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "when_logparse.h"

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static int month_of(const char *p)
{
	for (int i = 0; i < 12; i++)
		if (strncmp(p, months[i], 3) == 0)
			return i;
	return -1;
}

/* Reads exactly N digits at *P. */
static bool digits(const char **p, const char *end, int n, int *out)
{
	int v = 0;

	if (end - *p < n)
		return false;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool lit(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

static time_t utc(int y, int mo, int d, int h, int mi, int s, int off_s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s };

	return timegm(&tm) - off_s;
}

static bool valid(int mo, int d, int h, int mi, int s)
{
	return mo >= 0 && mo < 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s <= 60;
}

/* Copies the token [A, B) into DST (bounded, NUL-terminated). */
static void copy(char *dst, size_t dlen, const char *a, const char *b)
{
	size_t n = (size_t)(b - a);

	if (n >= dlen)
		n = dlen - 1;
	memcpy(dst, a, n);
	dst[n] = '\0';
}

static const char *token_end(const char *p, const char *end)
{
	while (p < end && *p != ' ')
		p++;
	return p;
}

/* "[10/Oct/2000:13:55:36 -0700]" */
static bool clf_time(const char **pp, const char *end, time_t *t)
{
	const char *p = *pp;
	int d, y, h, mi, s, oh, om, mo, sign;

	if (!lit(&p, end, '[') || !digits(&p, end, 2, &d) || !lit(&p, end, '/') || end - p < 4)
		return false;
	mo = month_of(p);
	p += 3;
	if (!lit(&p, end, '/') || !digits(&p, end, 4, &y) || !lit(&p, end, ':') ||
	    !digits(&p, end, 2, &h) || !lit(&p, end, ':') || !digits(&p, end, 2, &mi) ||
	    !lit(&p, end, ':') || !digits(&p, end, 2, &s) || !lit(&p, end, ' ') || p >= end)
		return false;
	sign = *p == '-' ? -1 : *p == '+' ? 1 : 0;
	p++;
	if (!sign || !digits(&p, end, 2, &oh) || !digits(&p, end, 2, &om) || !lit(&p, end, ']'))
		return false;
	if (!valid(mo, d, h, mi, s))
		return false;
	*t = utc(y, mo, d, h, mi, s, sign * (oh * 3600 + om * 60));
	*pp = p;
	return true;
}

/* host ident user [time] "METHOD target proto" status bytes ... */
static bool access_line(const char *line, const char *end, struct when_line *o)
{
	const char *p = line, *host, *host_end, *q, *m_end, *t_end;
	int status = 0, n = 0;

	host = p;
	host_end = token_end(p, end);
	p = host_end;
	for (int i = 0; i < 2; i++) {		/* ident, user */
		if (!lit(&p, end, ' '))
			return false;
		p = token_end(p, end);
	}
	if (!lit(&p, end, ' ') || !clf_time(&p, end, &o->t) || !lit(&p, end, ' ') || !lit(&p, end, '"'))
		return false;
	/* The request line, up to the closing quote (\" inside is escaped). */
	q = p;
	while (q < end && *q != '"') {
		if (*q == '\\' && q + 1 < end)
			q++;
		q++;
	}
	if (q >= end)
		return false;
	m_end = p;
	while (m_end < q && *m_end != ' ')
		m_end++;
	copy(o->method, sizeof(o->method), p, m_end);
	o->target = m_end < q ? m_end + 1 : q;
	t_end = o->target;
	while (t_end < q && *t_end != ' ')
		t_end++;
	o->target_len = (size_t)(t_end - o->target);
	p = q + 1;
	if (!lit(&p, end, ' '))
		return false;
	while (p < end && isdigit((unsigned char)*p) && n < 3) {
		status = status * 10 + (*p++ - '0');
		n++;
	}
	if (n != 3)
		return false;
	o->status = status;
	copy(o->client, sizeof(o->client), host, host_end);
	o->kind = WL_ACCESS;
	return true;
}

/* "Dec  4 03:00:00 " (a day of one digit is padded with a space): *PP
 * moves past it; false when it is not that or not a valid time. */
static bool month_day_time(const char **pp, const char *end, int *mo, int *d, int *h, int *mi, int *s)
{
	const char *p = *pp;

	if (end - p < 4 || (*mo = month_of(p)) < 0 || p[3] != ' ')
		return false;
	p += 4;
	if (*p == ' ') {
		p++;
		if (!digits(&p, end, 1, d))
			return false;
	} else if (!digits(&p, end, 2, d)) {
		return false;
	}
	if (!lit(&p, end, ' ') || !digits(&p, end, 2, h) || !lit(&p, end, ':') ||
	    !digits(&p, end, 2, mi) || !lit(&p, end, ':') || !digits(&p, end, 2, s) ||
	    !lit(&p, end, ' ') || !valid(*mo, *d, *h, *mi, *s))
		return false;
	*pp = p;
	return true;
}

/* "Mmm dd HH:MM:SS " (dd may be " 4") or "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm) ". */
static bool syslog_time(const char **pp, const char *end, time_t now, time_t *t)
{
	const char *p = *pp;
	int y, mo, d, h, mi, s;

	if (end - p >= 20 && isdigit((unsigned char)p[0]) && p[4] == '-') {
		int off = 0, oh, om;

		if (!digits(&p, end, 4, &y) || !lit(&p, end, '-') || !digits(&p, end, 2, &mo) ||
		    !lit(&p, end, '-') || !digits(&p, end, 2, &d) || !lit(&p, end, 'T') ||
		    !digits(&p, end, 2, &h) || !lit(&p, end, ':') || !digits(&p, end, 2, &mi) ||
		    !lit(&p, end, ':') || !digits(&p, end, 2, &s))
			return false;
		mo--;
		if (p < end && *p == '.')
			for (p++; p < end && isdigit((unsigned char)*p); p++)
				;
		if (p < end && *p == 'Z') {
			p++;
		} else if (p < end && (*p == '+' || *p == '-')) {
			int sign = *p++ == '-' ? -1 : 1;

			if (!digits(&p, end, 2, &oh) || !lit(&p, end, ':') || !digits(&p, end, 2, &om))
				return false;
			off = sign * (oh * 3600 + om * 60);
		} else {
			return false;
		}
		if (!valid(mo, d, h, mi, s) || !lit(&p, end, ' '))
			return false;
		*t = utc(y, mo, d, h, mi, s, off);
		*pp = p;
		return true;
	}
	if (end - p < 16 || !month_day_time(&p, end, &mo, &d, &h, &mi, &s))
		return false;
	/* No year and no zone: the local time of the year of NOW (or the one
	 * before, for December's lines read in January). */
	{
		struct tm now_tm, tm = { 0 };

		localtime_r(&now, &now_tm);
		tm.tm_year = now_tm.tm_year;
		tm.tm_mon = mo;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = s;
		tm.tm_isdst = -1;
		*t = mktime(&tm);
		if (*t > now + 86400) {
			tm.tm_year--;
			tm.tm_isdst = -1;
			*t = mktime(&tm);
		}
	}
	*pp = p;
	return true;
}

/* Finds NEEDLE in [P, END). */
static const char *find(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	for (; p + n <= end; p++)
		if (memcmp(p, needle, n) == 0)
			return p;
	return NULL;
}

/* The word at P (up to a space or END, or a char in STOP). */
static const char *word_end(const char *p, const char *end, const char *stop)
{
	while (p < end && *p != ' ' && !strchr(stop, *p))
		p++;
	return p;
}

static bool login(struct when_line *o, const char *svc, bool ok, const char *user, const char *user_end,
		  const char *ip, const char *ip_end)
{
	o->kind = WL_LOGIN;
	snprintf(o->service, sizeof(o->service), "%s", svc);
	o->accepted = ok;
	copy(o->user, sizeof(o->user), user, user_end);
	copy(o->client, sizeof(o->client), ip, ip_end);
	return true;
}

/* sshd: "Accepted password for bob from 1.2.3.4 port 22 ssh2",
 *       "Failed password for [invalid user ]bob from 1.2.3.4 port 22 ssh2" */
static bool sshd(const char *msg, const char *end, struct when_line *o)
{
	const char *p, *u, *ue, *f;
	bool ok;

	if ((p = find(msg, end, "Accepted ")) == msg)
		ok = true;
	else if ((p = find(msg, end, "Failed ")) == msg)
		ok = false;
	else
		return false;
	p = find(p, end, " for ");
	if (!p)
		return false;
	u = p + 5;
	if (end - u > 13 && memcmp(u, "invalid user ", 13) == 0)
		u += 13;
	ue = word_end(u, end, "");
	f = find(ue, end, " from ");
	if (!f)
		return false;
	return login(o, "sshd", ok, u, ue, f + 6, word_end(f + 6, end, ""));
}

/* pure-ftpd: "(?@1.2.3.4) [INFO] bob is now logged in",
 *            "(?@1.2.3.4) [WARNING] Authentication failed for user [bob]" */
static bool pureftpd(const char *msg, const char *end, struct when_line *o)
{
	const char *at = find(msg, end, "@"), *ip_end, *p, *u;

	if (!at || msg[0] != '(')
		return false;
	ip_end = word_end(at + 1, end, ")");
	if ((p = find(ip_end, end, " is now logged in"))) {
		const char *b = find(ip_end, end, "] ");

		if (!b || b > p)
			return false;
		return login(o, "pure-ftpd", true, b + 2, p, at + 1, ip_end);
	}
	if ((p = find(ip_end, end, "Authentication failed for user ["))) {
		u = p + 32;
		return login(o, "pure-ftpd", false, u, word_end(u, end, "]"), at + 1, ip_end);
	}
	return false;
}

/* proftpd: "host (1.2.3.4[1.2.3.4]) - USER bob: Login successful." */
static bool proftpd(const char *msg, const char *end, struct when_line *o)
{
	const char *lb = find(msg, end, "["), *p = find(msg, end, " USER "), *u, *ue;
	bool ok;

	if (!lb || !p)
		return false;
	u = p + 6;
	ue = word_end(u, end, ":");
	if (find(ue, end, "Login successful"))
		ok = true;
	else if (find(ue, end, "Login failed") || find(ue, end, "no such user") || find(ue, end, "Incorrect password"))
		ok = false;
	else
		return false;
	return login(o, "proftpd", ok, u, ue, lb + 1, word_end(lb + 1, end, "]"));
}

/* vsftpd's message: "[pid 12] [bob] OK LOGIN: Client "1.2.3.4"", from the
 * "] [" before the user. */
static bool vsftpd_msg(const char *u, const char *end, struct when_line *o)
{
	const char *ue, *c, *q;

	u += 3;
	ue = word_end(u, end, "]");
	c = find(ue, end, " LOGIN: Client \"");
	if (!c || c - ue < 3)
		return false;
	q = c + 16;
	return login(o, "vsftpd", memcmp(c - 2, "OK", 2) == 0, u, ue, q, word_end(q, end, "\""));
}

/* vsftpd.log: "Fri Dec  4 03:00:00 2026 [pid 12] [bob] OK LOGIN: Client "1.2.3.4"" */
static bool vsftpd(const char *line, const char *end, struct when_line *o)
{
	const char *p = line + 4, *u;
	int mo, d, h, mi, s, y;

	if (end - line < 30 || line[3] != ' ' || !month_day_time(&p, end, &mo, &d, &h, &mi, &s) ||
	    !digits(&p, end, 4, &y))
		return false;
	{
		struct tm tm = { .tm_year = y - 1900, .tm_mon = mo, .tm_mday = d, .tm_hour = h,
				 .tm_min = mi, .tm_sec = s, .tm_isdst = -1 };

		o->t = mktime(&tm);
	}
	u = find(p, end, "] [");
	return u && vsftpd_msg(u, end, o);
}

enum when_line_kind when_parse_line(const char *line, size_t len, time_t now, struct when_line *o)
{
	const char *end = line + len, *p = line, *prog, *prog_end, *msg;

	memset(o, 0, sizeof(*o));
	if (access_line(line, end, o))
		return o->kind;
	/* "vhost:port host ident user [time] ..." */
	p = token_end(line, end);
	if (p < end && memchr(line, ':', (size_t)(p - line)) && access_line(p + 1, end, o))
		return o->kind;
	memset(o, 0, sizeof(*o));
	if (vsftpd(line, end, o))
		return o->kind;
	memset(o, 0, sizeof(*o));
	p = line;
	if (!syslog_time(&p, end, now, &o->t))
		return o->kind = WL_UNKNOWN;
	/* host prog[pid]: msg */
	p = token_end(p, end);
	if (!lit(&p, end, ' '))
		return o->kind = WL_UNKNOWN;
	prog = p;
	while (p < end && *p != '[' && *p != ':' && *p != ' ')
		p++;
	prog_end = p;
	msg = find(p, end, ": ");
	if (!msg)
		return o->kind = WL_UNKNOWN;
	msg += 2;
	o->kind = WL_OTHER;
	if (prog_end - prog == 4 && memcmp(prog, "sshd", 4) == 0 && sshd(msg, end, o))
		return o->kind;
	if (prog_end - prog == 9 && memcmp(prog, "pure-ftpd", 9) == 0 && pureftpd(msg, end, o))
		return o->kind;
	if (prog_end - prog == 7 && memcmp(prog, "proftpd", 7) == 0 && proftpd(msg, end, o))
		return o->kind;
	if (prog_end - prog == 6 && memcmp(prog, "vsftpd", 6) == 0) {
		/* vsftpd through syslog: the same text after the stamp. */
		const char *u = find(msg, end, "[");

		if (u && (u = find(u + 1, end, "] [")) && vsftpd_msg(u, end, o))
			return o->kind;
	}
	return o->kind = WL_OTHER;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool when_url_path_equal(const char *target, size_t len, const char *path)
{
	size_t i = 0;
	const char *p = path;

	/* An absolute-form target ("http://host/x") is reduced to its path. */
	if (len > 7 && (strncmp(target, "http://", 7) == 0 || strncmp(target, "https://", 8) == 0)) {
		const char *s = memchr(target + 8, '/', len - 8);

		if (!s)
			return false;
		len -= (size_t)(s - target);
		target = s;
	}
	while (i < len && target[i] != '?' && target[i] != '#') {
		int c = (unsigned char)target[i];

		if (c == '%' && i + 2 < len && hexval(target[i + 1]) >= 0 && hexval(target[i + 2]) >= 0) {
			c = hexval(target[i + 1]) * 16 + hexval(target[i + 2]);
			i += 3;
		} else {
			i++;
		}
		/* "//" collapses as the server does. */
		if (c == '/' && p > path && p[-1] == '/' && *p != '/')
			continue;
		if (*p != c)
			return false;
		p++;
	}
	return *p == '\0';
}

bool when_url_is_script(const char *target, size_t len)
{
	static const char *const ext[] = { ".php", ".phtml", ".phar", ".php3", ".php4", ".php5",
					   ".php7", ".php8", ".pht", ".inc", ".cgi", ".pl", ".py", ".sh" };
	size_t n = 0;

	while (n < len && target[n] != '?' && target[n] != '#')
		n++;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t el = strlen(ext[i]);

		if (n >= el && strncasecmp(target + n - el, ext[i], el) == 0)
			return true;
	}
	/* "index.php/extra/path": the script is before the path info. */
	for (size_t i = 0; i + 5 <= n; i++)
		if (strncasecmp(target + i, ".php/", 5) == 0)
			return true;
	return false;
}

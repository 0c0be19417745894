/*
 * sqlsplit — see sqlsplit.h.  A byte-at-a-time state machine: simple enough
 * to trust, and fast enough that decompression and the server dominate.
 */
#include "sqlsplit.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

enum {
	ST_NORMAL,
	ST_SQUOTE,		/* '...' */
	ST_DQUOTE,		/* "..." */
	ST_BTICK,		/* `...` */
	ST_LINE_COMMENT,	/* -- or # to the end of the line */
	ST_BLOCK_COMMENT,	/* slash-star to star-slash */
};

void sqlsplit_init(struct sqlsplit *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->delim, ";");
	s->dlen = 1;
	s->state = ST_NORMAL;
}

void sqlsplit_free(struct sqlsplit *s)
{
	sbuf_free(&s->stmt);
}

static void reset(struct sqlsplit *s)
{
	sbuf_reset(&s->stmt);
	s->has_content = false;
	s->content = 0;
	s->cend = 0;
}

static int deliver(struct sqlsplit *s, size_t end, sqlsplit_fn fn, void *ctx)
{
	int r = 0;

	if (s->stmt.err)
		return s->stmt.err;
	if (s->has_content) {
		char *p = s->stmt.data + s->content;
		size_t len = end - s->content;

		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		p[len] = '\0';
		/* A delimiter after nothing but blanks and comments is no statement. */
		if (len)
			r = fn(ctx, p, len);
	}
	reset(s);
	return r;
}

static void mark_content(struct sqlsplit *s, size_t at)
{
	if (!s->has_content) {
		s->has_content = true;
		s->content = at;
	}
}

/* At the end of a line: "DELIMITER x" alone in a statement changes the delimiter. */
static bool delimiter_command(struct sqlsplit *s)
{
	const char *p;
	size_t n;

	if (!s->has_content)
		return false;
	p = s->stmt.data + s->content;
	if (strncasecmp(p, "DELIMITER", 9) != 0 || !isspace((unsigned char)p[9]))
		return false;
	p += 9;
	while (*p == ' ' || *p == '\t')
		p++;
	n = strcspn(p, " \t\r\n");
	if (n == 0 || n >= sizeof(s->delim))
		return false;
	memcpy(s->delim, p, n);
	s->delim[n] = '\0';
	s->dlen = n;
	reset(s);
	return true;
}

/* The statement so far is a "DELIMITER x" client command (ends at the newline). */
static bool in_delimiter_command(const struct sqlsplit *s)
{
	const char *p;

	if (!s->has_content || s->stmt.len - s->content < 10)
		return false;
	p = s->stmt.data + s->content;
	return strncasecmp(p, "DELIMITER", 9) == 0 && (p[9] == ' ' || p[9] == '\t');
}

int sqlsplit_feed(struct sqlsplit *s, const char *buf, size_t len, sqlsplit_fn fn, void *ctx)
{
	int r;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		size_t at = s->stmt.len;
		const char *d;

		sbuf_add(&s->stmt, &c, 1);
		if (s->stmt.err)
			return s->stmt.err;
		d = s->stmt.data;
		switch (s->state) {
		case ST_SQUOTE:
		case ST_DQUOTE:
			if (s->escape)
				s->escape = false;
			else if (c == '\\' && !s->no_backslash_escapes)
				s->escape = true;
			else if (c == (s->state == ST_SQUOTE ? '\'' : '"'))
				s->state = ST_NORMAL;
			continue;
		case ST_BTICK:
			if (c == '`')
				s->state = ST_NORMAL;
			continue;
		case ST_LINE_COMMENT:
			if (c == '\n')
				s->state = ST_NORMAL;
			continue;
		case ST_BLOCK_COMMENT:
			/* Executable comments (slash-star-bang, slash-star-M-bang) are statement text. */
			if ((at == s->cstart + 2 && c == '!') ||
			    (at == s->cstart + 3 && c == '!' && d[at - 1] == 'M')) {
				mark_content(s, s->cstart);
			} else if (c == '/' && at >= s->cstart + 3 && d[at - 1] == '*') {
				s->state = ST_NORMAL;
				s->cend = at;
			}
			continue;
		}

		/* ST_NORMAL.  Comments are recognised looking back, so that a
		 * comment opener split between two buffers is still seen. */
		if (isspace((unsigned char)c) && at >= 2 && d[at - 1] == '-' && d[at - 2] == '-') {
			if (s->has_content && s->content == at - 2)
				s->has_content = false;
			if (c != '\n') {
				s->state = ST_LINE_COMMENT;
				continue;
			}
		}
		if (c == '\n' && delimiter_command(s))
			continue;
		if (c == '#') {
			s->state = ST_LINE_COMMENT;
			continue;
		}
		if (c == '*' && at > 0 && d[at - 1] == '/' && !(s->cend && s->cend == at - 1)) {
			s->state = ST_BLOCK_COMMENT;
			s->cstart = at - 1;
			if (s->has_content && s->content == at - 1)
				s->has_content = false;
			continue;
		}
		if (c == '\'')
			s->state = ST_SQUOTE;
		else if (c == '"')
			s->state = ST_DQUOTE;
		else if (c == '`')
			s->state = ST_BTICK;
		if (!isspace((unsigned char)c))
			mark_content(s, at);
		if (s->state == ST_NORMAL && s->stmt.len >= s->dlen &&
		    memcmp(d + s->stmt.len - s->dlen, s->delim, s->dlen) == 0 &&
		    !in_delimiter_command(s)) {
			r = deliver(s, s->stmt.len - s->dlen, fn, ctx);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int sqlsplit_finish(struct sqlsplit *s, sqlsplit_fn fn, void *ctx)
{
	/* A last "DELIMITER x" line without its newline is still a command. */
	if (s->state == ST_NORMAL && delimiter_command(s))
		return 0;
	return deliver(s, s->stmt.len, fn, ctx);
}

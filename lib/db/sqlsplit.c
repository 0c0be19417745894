/*
 * sqlsplit — see sqlsplit.h.  Lines are collected whole and judged whole;
 * a statement's text is never looked into.
 */
#include "sqlsplit.h"

#include <errno.h>
#include <string.h>

enum { ST_OUT, ST_BLOCK, ST_AFTER };

void sqlsplit_init(struct sqlsplit *s)
{
	memset(s, 0, sizeof(*s));
	s->state = ST_OUT;
}

void sqlsplit_free(struct sqlsplit *s)
{
	sbuf_free(&s->line);
	sbuf_free(&s->stmt);
}

static int bad(struct sqlsplit *s, const char *why)
{
	s->error = why;
	return -EBADMSG;
}

static bool is(const char *line, size_t len, const char *text)
{
	return len == strlen(text) && memcmp(line, text, len) == 0;
}

/* One complete line (without its newline; data[len] is NUL). */
static int take_line(struct sqlsplit *s, char *line, size_t len, sqlsplit_fn fn, void *ctx)
{
	switch (s->state) {
	case ST_BLOCK:
		if (is(line, len, s->delim)) {
			s->state = ST_AFTER;
			if (s->stmt.len == 0)
				return bad(s, "empty DELIMITER block");
			s->stmt.len--;		/* the newline before the closing line */
			s->stmt.data[s->stmt.len] = '\0';
			if (s->stmt.err)
				return s->stmt.err;
			return fn(ctx, s->stmt.data, s->stmt.len);
		}
		sbuf_add(&s->stmt, line, len);
		sbuf_add(&s->stmt, "\n", 1);
		return s->stmt.err;
	case ST_AFTER:
		if (!is(line, len, "DELIMITER ;"))
			return bad(s, "a DELIMITER block is not followed by \"DELIMITER ;\"");
		s->state = ST_OUT;
		return 0;
	}
	if (len == 0 || is(line, len, "--") || (len >= 3 && memcmp(line, "-- ", 3) == 0) ||
	    is(line, len, SQLSPLIT_SANDBOX_LINE))
		return 0;
	if (len > 10 && memcmp(line, "DELIMITER ", 10) == 0) {
		size_t n = len - 10;

		if (n >= sizeof(s->delim) || memchr(line + 10, ' ', n) || is(line + 10, n, ";"))
			return bad(s, "a DELIMITER line that this format does not write");
		memcpy(s->delim, line + 10, n);
		s->delim[n] = '\0';
		sbuf_reset(&s->stmt);
		s->state = ST_BLOCK;
		return 0;
	}
	if (line[len - 1] != ';')
		return bad(s, "a line that is not a whole statement (no \";\" at its end)");
	line[len - 1] = '\0';
	return fn(ctx, line, len - 1);
}

int sqlsplit_feed(struct sqlsplit *s, const char *buf, size_t len, sqlsplit_fn fn, void *ctx)
{
	while (len) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) : len;
		int r;

		sbuf_add(&s->line, buf, n);
		if (s->line.err)
			return s->line.err;
		buf += n;
		len -= n;
		if (!nl)
			break;
		buf++;
		len--;
		s->lineno++;
		r = take_line(s, s->line.data ? s->line.data : (char *)"", s->line.len, fn, ctx);
		sbuf_reset(&s->line);
		if (r < 0)
			return r;
	}
	return 0;
}

int sqlsplit_finish(struct sqlsplit *s)
{
	if (s->line.len)
		return bad(s, "the input ends inside a line");
	if (s->state != ST_OUT)
		return bad(s, "the input ends inside a DELIMITER block");
	return 0;
}

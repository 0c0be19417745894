/*
 * sqlsplit — cuts a Lifeboat dump (format 2, see dbdump.c) into statements
 * at the marks its writer put there, and nowhere else.  It does not lex SQL:
 * the writer made every boundary plain, so nothing inside a statement (a
 * quote, a comment opener, a backslash, "--" before a control character)
 * can move one.
 *
 * The format, line by line (a line ends at "\n"):
 *   - a blank line, a line starting "-- " (or just "--"), and the sandbox
 *     line SQLSPLIT_SANDBOX_LINE are not statements;
 *   - "DELIMITER X" (X not ";") starts a block: the lines up to the line
 *     that is exactly X are one statement (without the newline before X),
 *     and the next line must be "DELIMITER ;";
 *   - any other line is one statement and must end with ";", which is not
 *     part of it.
 * Anything else (a line without its ";", a block never closed, input that
 * ends inside a line) is refused with -EBADMSG and the line's number: a
 * dump that does not follow the format is not guessed at.
 *
 * Memory holds one statement.
 */
#ifndef LIFEBOAT_SQLSPLIT_H
#define LIFEBOAT_SQLSPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sqltext.h"

/* The first line of every dump: the mariadb client (10.5.25, 10.6.18,
 * 10.11.8, 11.x and later) refuses client commands that reach the shell or
 * files after it; the server reads it as a comment. */
#define SQLSPLIT_SANDBOX_LINE "/*M!999999\\- enable the sandbox mode */"

/* Receives one statement (not NUL-terminated at LEN, but data[len] is NUL). */
typedef int (*sqlsplit_fn)(void *ctx, const char *stmt, size_t len);

struct sqlsplit {
	struct sbuf line;	/* the line being read */
	struct sbuf stmt;	/* a block statement being collected */
	int state;		/* outside a block, in one, or after one (private) */
	char delim[32];		/* the block's closing line */
	uint64_t lineno;	/* lines completed, for messages */
	const char *error;	/* what was wrong, when -EBADMSG is returned (static text) */
};

void sqlsplit_init(struct sqlsplit *s);
void sqlsplit_free(struct sqlsplit *s);
/* Feeds LEN bytes; calls FN for every statement completed.  Returns 0, FN's
 * negative return, -ENOMEM, or -EBADMSG (s->error and s->lineno say why). */
int sqlsplit_feed(struct sqlsplit *s, const char *buf, size_t len, sqlsplit_fn fn, void *ctx);
/* Ends the input: 0, or -EBADMSG when it ends inside a line or a block. */
int sqlsplit_finish(struct sqlsplit *s);

#endif

/*
 * sqlsplit — cuts a stream of SQL text into statements the way the mysql
 * client does: at the current delimiter (";" until a "DELIMITER x" line
 * changes it), never inside a quoted string, a quoted identifier or a
 * comment.  Executable comments (slash-star-bang ... star-slash) count as
 * statement text.
 *
 * Statements are handed over one at a time, without their delimiter and
 * without leading blanks and comments; a stretch holding only comments is
 * not a statement.  Memory holds one statement.
 */
#ifndef LIFEBOAT_SQLSPLIT_H
#define LIFEBOAT_SQLSPLIT_H

#include <stdbool.h>
#include <stddef.h>

#include "sqltext.h"

/* Receives one statement (not NUL-terminated at LEN, but data[len] is NUL). */
typedef int (*sqlsplit_fn)(void *ctx, const char *stmt, size_t len);

struct sqlsplit {
	struct sbuf stmt;	/* the statement being collected */
	size_t content;		/* offset of its first byte that is not blank or comment */
	bool has_content;	/* something other than blanks and comments was seen */
	int state;		/* lexical state, private */
	bool escape;		/* the previous byte was a backslash inside a string */
	size_t cstart;		/* offset of the current block comment's slash */
	size_t cend;		/* offset of the last comment's closing slash, 0 = none */
	bool no_backslash_escapes;	/* sql_mode NO_BACKSLASH_ESCAPES: '\\' is a plain byte */
	char delim[16];		/* current delimiter */
	size_t dlen;
};

void sqlsplit_init(struct sqlsplit *s);
void sqlsplit_free(struct sqlsplit *s);
/* Feeds LEN bytes; calls FN for every statement completed.  Returns 0, FN's
 * negative return, or -ENOMEM. */
int sqlsplit_feed(struct sqlsplit *s, const char *buf, size_t len, sqlsplit_fn fn, void *ctx);
/* Ends the input: a last statement without a delimiter is handed over too. */
int sqlsplit_finish(struct sqlsplit *s, sqlsplit_fn fn, void *ctx);

#endif

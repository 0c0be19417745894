/*
 * sqltext — building SQL text: a growable byte buffer, and the quoting of
 * identifiers and values so that the plain mysql/mariadb client reads back
 * exactly the bytes the server gave us.
 *
 * Strings are escaped byte by byte (\0 \n \r \\ \' \" and Ctrl-Z), which is
 * safe for utf8mb4 because no byte of a multi-byte UTF-8 sequence is below
 * 0x80; the dump sets SQL_MODE without NO_BACKSLASH_ESCAPES so the escapes
 * mean what they say.  Binary values are written as hex literals and BIT
 * values as b'...' so no character set conversion can touch them.
 */
#ifndef LIFEBOAT_SQLTEXT_H
#define LIFEBOAT_SQLTEXT_H

#include <stdarg.h>
#include <stddef.h>

struct sbuf {
	char *data;		/* owned, NUL-terminated when len < cap */
	size_t len;		/* bytes used */
	size_t cap;		/* bytes allocated */
	int err;		/* first allocation failure (-ENOMEM), sticky */
};

void sbuf_free(struct sbuf *b);
void sbuf_reset(struct sbuf *b);
void sbuf_add(struct sbuf *b, const void *data, size_t len);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The buffer as a C string ("" when empty). */
const char *sbuf_str(struct sbuf *b);

/* `name` with backticks doubled. */
void sql_add_ident(struct sbuf *b, const char *name);
/* 'value' with escapes; LEN bytes (may hold NUL). */
void sql_add_string(struct sbuf *b, const char *value, size_t len);
/* 0xHEX, or '' when LEN is 0. */
void sql_add_hex(struct sbuf *b, const unsigned char *value, size_t len);
/* b'0101...' of the LEN big-endian bytes of a BIT value. */
void sql_add_bits(struct sbuf *b, const unsigned char *value, size_t len);

/* Reads back a literal that sql_add_string wrote: S (LEN bytes) starts with
 * its opening quote.  Appends the value to OUT and returns the bytes the
 * literal took, or -EINVAL for anything sql_add_string does not write (an
 * unknown escape, no closing quote). */
long sql_read_string(struct sbuf *out, const char *s, size_t len);
/* Reads a `quoted` identifier at S into OUT (backticks undoubled); returns
 * the bytes it took, or -EINVAL. */
long sql_read_ident(struct sbuf *out, const char *s, size_t len);

/*
 * Copies a view definition as SHOW CREATE VIEW prints it (sql_mode '':
 * identifiers in backticks, strings in quotes with backslash escapes, no
 * comments) to OUT, with every `FROM` identifier that is a qualifier (is
 * followed by a dot) replaced by `TO`.  Text inside strings and
 * identifiers that qualify nothing are left alone.  Returns 0 or -EINVAL
 * (an unclosed string or identifier).
 */
int sql_rename_qualifier(struct sbuf *out, const char *text, size_t len, const char *from, const char *to);

#endif

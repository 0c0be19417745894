/*
 * sqltext — see sqltext.h.  The buffer grows geometrically and remembers its
 * first allocation failure, so a caller can build a whole statement and check
 * once instead of after every append.
 */
#include "sqltext.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_free(struct sbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->err = 0;
}

void sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static int grow(struct sbuf *b, size_t need)
{
	size_t cap;
	char *p;

	if (b->err)
		return b->err;
	if (b->len + need + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + need + 1) {
		if (cap > SIZE_MAX / 2) {
			b->err = -ENOMEM;
			return b->err;
		}
		cap *= 2;
	}
	p = realloc(b->data, cap);
	if (!p) {
		b->err = -ENOMEM;
		return b->err;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

void sbuf_add(struct sbuf *b, const void *data, size_t len)
{
	if (grow(b, len) < 0)
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void sbuf_addf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

const char *sbuf_str(struct sbuf *b)
{
	return b->data ? b->data : "";
}

void sql_add_ident(struct sbuf *b, const char *name)
{
	const char *p;

	if (grow(b, strlen(name) * 2 + 2) < 0)
		return;
	b->data[b->len++] = '`';
	for (p = name; *p; p++) {
		if (*p == '`')
			b->data[b->len++] = '`';
		b->data[b->len++] = *p;
	}
	b->data[b->len++] = '`';
	b->data[b->len] = '\0';
}

void sql_add_string(struct sbuf *b, const char *value, size_t len)
{
	char *out;

	if (grow(b, len * 2 + 2) < 0)
		return;
	out = b->data + b->len;
	*out++ = '\'';
	for (size_t i = 0; i < len; i++) {
		char c = value[i], esc = 0;

		switch (c) {
		case '\0': esc = '0'; break;
		case '\n': esc = 'n'; break;
		case '\r': esc = 'r'; break;
		case '\\': esc = '\\'; break;
		case '\'': esc = '\''; break;
		case '"': esc = '"'; break;
		case '\032': esc = 'Z'; break;
		}
		if (esc) {
			*out++ = '\\';
			*out++ = esc;
		} else {
			*out++ = c;
		}
	}
	*out++ = '\'';
	b->len = (size_t)(out - b->data);
	b->data[b->len] = '\0';
}

void sql_add_hex(struct sbuf *b, const unsigned char *value, size_t len)
{
	static const char digits[] = "0123456789ABCDEF";
	char *out;

	if (len == 0) {
		sbuf_adds(b, "''");
		return;
	}
	if (grow(b, len * 2 + 2) < 0)
		return;
	out = b->data + b->len;
	*out++ = '0';
	*out++ = 'x';
	for (size_t i = 0; i < len; i++) {
		*out++ = digits[value[i] >> 4];
		*out++ = digits[value[i] & 15];
	}
	b->len = (size_t)(out - b->data);
	b->data[b->len] = '\0';
}

void sql_add_bits(struct sbuf *b, const unsigned char *value, size_t len)
{
	char *out;

	if (grow(b, len * 8 + 3) < 0)
		return;
	out = b->data + b->len;
	*out++ = 'b';
	*out++ = '\'';
	for (size_t i = 0; i < len; i++) {
		for (int bit = 7; bit >= 0; bit--)
			*out++ = (value[i] >> bit) & 1 ? '1' : '0';
	}
	if (len == 0)
		*out++ = '0';
	*out++ = '\'';
	b->len = (size_t)(out - b->data);
	b->data[b->len] = '\0';
}

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

long sql_read_string(struct sbuf *out, const char *s, size_t len)
{
	size_t i = 1, run;

	if (len == 0 || s[0] != '\'')
		return -EINVAL;
	while (i < len) {
		run = strcspn(s + i, "\\'");
		if (i + run > len)
			run = len - i;
		sbuf_add(out, s + i, run);
		i += run;
		if (i >= len)
			break;
		if (s[i] == '\'')
			return out->err ? out->err : (long)(i + 1);
		if (s[i] != '\\') {		/* a NUL byte: not ours, but plain */
			sbuf_add(out, s + i, 1);
			i++;
			continue;
		}
		if (i + 1 >= len)
			return -EINVAL;
		switch (s[i + 1]) {
		case '0': sbuf_add(out, "", 1); break;
		case 'n': sbuf_add(out, "\n", 1); break;
		case 'r': sbuf_add(out, "\r", 1); break;
		case 'Z': sbuf_add(out, "\032", 1); break;
		case '\\': case '\'': case '"': sbuf_add(out, s + i + 1, 1); break;
		default: return -EINVAL;
		}
		i += 2;
	}
	return -EINVAL;
}

long sql_read_ident(struct sbuf *out, const char *s, size_t len)
{
	size_t i = 1;

	if (len == 0 || s[0] != '`')
		return -EINVAL;
	while (i < len) {
		if (s[i] == '`') {
			if (i + 1 < len && s[i + 1] == '`') {
				sbuf_add(out, "`", 1);
				i += 2;
				continue;
			}
			return out->err ? out->err : (long)(i + 1);
		}
		sbuf_add(out, s + i, 1);
		i++;
	}
	return -EINVAL;
}

/* The end (exclusive) of the quoted string starting at S[0], or 0. */
static size_t skip_string(const char *s, size_t len)
{
	char q = s[0];

	for (size_t i = 1; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == q && i + 1 < len && s[i + 1] == q)
			i++;
		else if (s[i] == q)
			return i + 1;
	}
	return 0;
}

int sql_rename_qualifier(struct sbuf *out, const char *text, size_t len, const char *from, const char *to)
{
	struct sbuf id = { 0 };
	size_t i = 0, start = 0;
	int r = 0;

	while (i < len && r == 0) {
		char c = text[i];

		if (c == '\'' || c == '"') {
			size_t n = skip_string(text + i, len - i);

			if (!n)
				r = -EINVAL;
			i += n;
		} else if (c == '`') {
			long n;

			sbuf_reset(&id);
			n = sql_read_ident(&id, text + i, len - i);
			if (n < 0) {
				r = (int)n;
				break;
			}
			if (i + (size_t)n < len && text[i + (size_t)n] == '.' && strcmp(sbuf_str(&id), from) == 0 &&
			    id.len == strlen(from)) {
				sbuf_add(out, text + start, i - start);
				sql_add_ident(out, to);
				start = i + (size_t)n;
			}
			i += (size_t)n;
		} else {
			i++;
		}
	}
	if (r == 0)
		sbuf_add(out, text + start, len - start);
	sbuf_free(&id);
	return r ? r : out->err;
}

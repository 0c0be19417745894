/*
 * s3xml — finding S3's elements and decoding their text (see s3xml.h).
 */
#include "s3xml.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *find(const char *hay, size_t hlen, const char *needle)
{
	return memmem(hay, hlen, needle, strlen(needle));
}

int s3xml_element(const char *xml, size_t from, size_t end, const char *tag, size_t *start, size_t *stop)
{
	char open[80], close[80];
	const char *o, *c;

	if (from > end || strlen(tag) > 64)
		return -EBADMSG;
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	o = find(xml + from, end - from, open);
	if (!o)
		return 0;
	*start = (size_t)(o - xml) + strlen(open);
	c = find(xml + *start, end - *start, close);
	if (!c)
		return -EBADMSG;
	*stop = (size_t)(c - xml);
	return 1;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decodes XML[a, b) into a new string, or NULL on malformed text. */
static char *decode(const char *xml, size_t a, size_t b)
{
	char *out = malloc(b - a + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = a; i < b;) {
		const char *semi;
		size_t n;

		if (xml[i] == '<' || xml[i] == '\0')
			goto bad;
		if (xml[i] != '&') {
			*o++ = xml[i++];
			continue;
		}
		semi = memchr(xml + i, ';', b - i < 12 ? b - i : 12);
		if (!semi)
			goto bad;
		n = (size_t)(semi - (xml + i)) + 1;
		if (n == 5 && !memcmp(xml + i, "&amp;", 5))
			*o++ = '&';
		else if (n == 4 && !memcmp(xml + i, "&lt;", 4))
			*o++ = '<';
		else if (n == 4 && !memcmp(xml + i, "&gt;", 4))
			*o++ = '>';
		else if (n == 6 && !memcmp(xml + i, "&quot;", 6))
			*o++ = '"';
		else if (n == 6 && !memcmp(xml + i, "&apos;", 6))
			*o++ = '\'';
		else if (n > 3 && xml[i + 1] == '#') {
			bool hexa = xml[i + 2] == 'x';
			uint32_t cp = 0;
			size_t digits = 0;

			for (size_t j = i + 2 + hexa; j < i + n - 1; j++, digits++) {
				char ch = xml[j];
				int v;

				if (ch >= '0' && ch <= '9')
					v = ch - '0';
				else if (hexa && ch >= 'a' && ch <= 'f')
					v = ch - 'a' + 10;
				else if (hexa && ch >= 'A' && ch <= 'F')
					v = ch - 'A' + 10;
				else
					goto bad;
				cp = cp * (hexa ? 16 : 10) + (uint32_t)v;
				if (cp > 0x10ffff)
					goto bad;
			}
			if (!digits || cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
				goto bad;
			o += put_utf8(o, cp);	/* at most 4 bytes for at least 4 of input */
		} else {
			goto bad;
		}
		i += n;
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

int s3xml_text(const char *xml, size_t from, size_t end, const char *tag, char **out)
{
	size_t a, b;
	int r = s3xml_element(xml, from, end, tag, &a, &b);

	*out = NULL;
	if (r <= 0)
		return r;
	*out = decode(xml, a, b);
	return *out ? 1 : -EBADMSG;
}

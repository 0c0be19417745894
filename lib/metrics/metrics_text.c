/*
 * metrics_text — see metrics_text.h.
 */
#include "metrics_text.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int mtext_open(struct mtext *t)
{
	memset(t, 0, sizeof(*t));
	t->fp = open_memstream(&t->buf, &t->len);
	return t->fp ? 0 : -ENOMEM;
}

/* The length of the UTF-8 character at S (at most N bytes), or 0 when S does
 * not start a valid, shortest-form one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void mtext_escape_label(FILE *fp, const char *v)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t n = strlen(v), used = 0;

	while (n) {
		size_t len = utf8_len(s, n);

		if (len == 0) {		/* not UTF-8: one '?' per bad byte */
			len = 1;
			if (used + 1 > METRICS_LABEL_MAX)
				break;
			fputc('?', fp);
		} else if (used + len > METRICS_LABEL_MAX) {
			break;
		} else if (len > 1) {
			fwrite(s, 1, len, fp);
		} else if (*s == '\\') {
			fputs("\\\\", fp);
		} else if (*s == '"') {
			fputs("\\\"", fp);
		} else if (*s == '\n') {
			fputs("\\n", fp);
		} else if (*s < 0x20 || *s == 0x7f) {
			fputc('?', fp);
		} else {
			fputc(*s, fp);
		}
		used += len;
		s += len;
		n -= len;
	}
}

/* HELP text: only backslash and newline are escaped there. */
static void escape_help(FILE *fp, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", fp);
		else if (*v == '\n')
			fputs("\\n", fp);
		else
			fputc(*v, fp);
	}
}

void mtext_family(struct mtext *t, const char *name, const char *type, const char *help)
{
	fprintf(t->fp, "# HELP %s ", name);
	escape_help(t->fp, help);
	fprintf(t->fp, "\n# TYPE %s %s\n", name, type);
}

/* The shortest decimal that reads back as V; Prometheus's words for the
 * special values. */
static void print_value(FILE *fp, double v)
{
	char buf[64];

	if (isnan(v)) {
		fputs("NaN", fp);
		return;
	}
	if (isinf(v)) {
		fputs(v > 0 ? "+Inf" : "-Inf", fp);
		return;
	}
	for (int prec = 6; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, fp);
}

void mtext_sample(struct mtext *t, const char *name, const char *const *labels, double value)
{
	fputs(name, t->fp);
	if (labels && labels[0] && labels[1]) {
		fputc('{', t->fp);
		for (size_t i = 0; labels[i] && labels[i + 1]; i += 2) {
			fprintf(t->fp, "%s%s=\"", i ? "," : "", labels[i]);
			mtext_escape_label(t->fp, labels[i + 1]);
			fputc('"', t->fp);
		}
		fputc('}', t->fp);
	}
	fputc(' ', t->fp);
	print_value(t->fp, value);
	fputc('\n', t->fp);
}

int mtext_finish(struct mtext *t, char **out, size_t *len)
{
	if (ferror(t->fp))
		t->failed = true;
	if (fclose(t->fp) != 0)
		t->failed = true;
	t->fp = NULL;
	if (t->failed) {
		free(t->buf);
		t->buf = NULL;
		return -ENOMEM;
	}
	*out = t->buf;
	*len = t->len;
	t->buf = NULL;
	return 0;
}

void mtext_close(struct mtext *t)
{
	if (t->fp)
		fclose(t->fp);
	t->fp = NULL;
	free(t->buf);
	t->buf = NULL;
}

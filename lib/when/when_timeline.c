/*
 * when_timeline — the events of `lifeboat when`, kept in order of time (ties
 * in the order they were added), and written out: text for a person (RFC
 * 3339 in UTC and the local time with its zone, the source, the event),
 * JSON with the same events, and the Sleuth Kit body file.  Site-supplied
 * text is escaped here, once, before anything prints it: control bytes,
 * backslash and every byte past ASCII become \\xHH, so the output is plain
 * ASCII whatever the site's names hold.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"
#include "when.h"

char *when_escape(const char *text, bool bar)
{
	size_t n = strlen(text), o = 0;
	char *out = malloc(n * 4 + 1);

	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p < 0x20 || *p >= 0x7f || *p == '\\' || (bar && *p == '|'))
			o += (size_t)sprintf(out + o, "\\x%02x", *p);
		else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
	return out;
}

int when_event_add(struct when_timeline *tl, time_t t, const char *kind, const char *source,
		   const char *fmt, ...)
{
	struct when_event *e;
	va_list ap;
	char *raw = NULL;
	int n;

	if (tl->n == tl->cap) {
		size_t nc = tl->cap ? tl->cap * 2 : 64;
		struct when_event *nv = realloc(tl->v, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		tl->v = nv;
		tl->cap = nc;
	}
	va_start(ap, fmt);
	n = vasprintf(&raw, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	e = &tl->v[tl->n];
	e->t = t;
	e->seq = tl->n;
	e->kind = strdup(kind);
	e->source = when_escape(source ? source : "", false);
	e->text = when_escape(raw, false);
	free(raw);
	if (!e->kind || !e->source || !e->text) {
		free(e->kind);
		free(e->source);
		free(e->text);
		return -ENOMEM;
	}
	tl->n++;
	return 0;
}

int when_note(struct when_timeline *tl, const char *fmt, ...)
{
	va_list ap;
	char *raw = NULL, *esc;
	int n;

	if (!tl->notes && !(tl->notes = json_array()))
		return -ENOMEM;
	va_start(ap, fmt);
	n = vasprintf(&raw, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	esc = when_escape(raw, false);
	free(raw);
	if (!esc)
		return -ENOMEM;
	json_array_append_new(tl->notes, json_string(esc));
	free(esc);
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct when_event *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void when_timeline_sort(struct when_timeline *tl)
{
	if (tl->n)
		qsort(tl->v, tl->n, sizeof(*tl->v), by_time);
}

void when_timeline_free(struct when_timeline *tl)
{
	for (size_t i = 0; i < tl->n; i++) {
		free(tl->v[i].kind);
		free(tl->v[i].source);
		free(tl->v[i].text);
	}
	free(tl->v);
	json_decref(tl->notes);
	memset(tl, 0, sizeof(*tl));
}

static void local_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S %Z", &tm);
}

void when_print_text(const struct when_timeline *tl, FILE *out)
{
	const json_t *v;
	size_t i;

	for (i = 0; i < tl->n; i++) {
		const struct when_event *e = &tl->v[i];
		char u[TIMEFMT_RFC3339_LEN], l[64];

		timefmt_rfc3339(e->t, u);
		local_time(e->t, l, sizeof(l));
		fprintf(out, "%s (%s)  %-8s %s  [%s]\n", u, l, e->kind, e->text, e->source);
	}
	json_array_foreach(tl->notes, i, v)
		fprintf(out, "note: %s\n", json_string_value(v));
}

json_t *when_timeline_json(const struct when_timeline *tl)
{
	json_t *events = json_array(), *o;

	for (size_t i = 0; i < tl->n; i++) {
		const struct when_event *e = &tl->v[i];
		char u[TIMEFMT_RFC3339_LEN], l[64];

		timefmt_rfc3339(e->t, u);
		local_time(e->t, l, sizeof(l));
		json_array_append_new(events, json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "time", u,
							"local_time", l, "epoch", (json_int_t)e->t,
							"kind", e->kind, "source", e->source, "text", e->text));
	}
	o = json_pack("{s:o, s:o}", "events", events, "notes",
		      tl->notes ? json_incref(tl->notes) : json_array());
	return o;
}

/*
 * when_logs — the archived logs inside the windows of `lifeboat when` (see
 * when.h).  Each logs job's newest good backup's chain is streamed once
 * (logship_each: every artifact read once, checked against its record at
 * its end), split into lines per generation (one generation is one log
 * file's content from its first byte, so line numbers are the file's), and
 * every line is matched against every window in that one pass; nothing is
 * written to disk and only lines inside a window are kept in memory.
 *
 * What is listed: requests for a changed file's URL inside its window and
 * after it (the later fetches name the clients of interest), POSTs and
 * PUTs to scripts inside a window, logins accepted or refused inside a
 * window, and then every request inside a window from a client that later
 * fetched a new file.  A generation that holds the copy of a log archived
 * after a tamper alert about it (the file as the attacker left it) is not
 * used: the archived original is, and a note says so.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "jobkind.h"
#include "logship.h"
#include "record.h"
#include "timefmt.h"
#include "when.h"
#include "when_logparse.h"

#define KEEP_MAX 200000		/* in-window requests kept for the client filter */
#define LINE_MAX_BYTES (64 * 1024)	/* longer lines are cut (and still parsed) */
#define LATER_MAX 50		/* later fetches listed per window */

struct gen_buf {
	uint64_t gen;
	char *name;		/* the log's name, borrowed from the record */
	char *line;
	size_t len, cap;
	uint64_t lineno;
	bool altered;		/* the copy archived after a tamper alert: skipped */
	bool cut;		/* the current line was longer than LINE_MAX_BYTES */
};

struct kept {
	time_t t;
	char client[64];
	char *source, *text;
};

struct scan {
	const char *job, *id;
	const struct when_window *w;
	size_t nw;
	time_t now, lo, hi;	/* earliest window start, latest window end */
	struct when_timeline *tl;
	struct when_logs_stats *stats;
	struct gen_buf *g;
	size_t ng;
	struct kept *kept;
	size_t nkept, capkept;
	bool kept_full;
	char (*fetchers)[64];
	size_t nfetchers;
	size_t *later;		/* per window: later fetches listed */
	const json_t *altered;	/* [{name, gen}] */
	int err;
};

static bool in_window(const struct scan *s, time_t t)
{
	for (size_t i = 0; i < s->nw; i++)
		if (t >= s->w[i].from && t <= s->w[i].to)
			return true;
	return false;
}

static void add_fetcher(struct scan *s, const char *client)
{
	char (*g)[64];

	for (size_t i = 0; i < s->nfetchers; i++)
		if (strcmp(s->fetchers[i], client) == 0)
			return;
	g = realloc(s->fetchers, (s->nfetchers + 1) * sizeof(*g));
	if (!g) {
		s->err = -ENOMEM;
		return;
	}
	s->fetchers = g;
	snprintf(s->fetchers[s->nfetchers++], 64, "%s", client);
}

static void keep(struct scan *s, const struct when_line *l, const char *source, const char *text)
{
	struct kept *k;

	if (s->nkept == KEEP_MAX) {
		s->kept_full = true;
		return;
	}
	if (s->nkept == s->capkept) {
		size_t nc = s->capkept ? s->capkept * 2 : 256;
		struct kept *g = realloc(s->kept, nc * sizeof(*g));

		if (!g) {
			s->err = -ENOMEM;
			return;
		}
		s->kept = g;
		s->capkept = nc;
	}
	k = &s->kept[s->nkept];
	k->t = l->t;
	snprintf(k->client, sizeof(k->client), "%s", l->client);
	k->source = strdup(source);
	k->text = strdup(text);
	if (!k->source || !k->text) {
		free(k->source);
		free(k->text);
		s->err = -ENOMEM;
		return;
	}
	s->nkept++;
}

static void on_line(struct scan *s, struct gen_buf *g)
{
	struct when_line l;
	char source[4352];
	const char *text = g->line;
	bool inside, listed = false;

	g->lineno++;
	s->stats->lines++;
	if (g->altered)
		return;
	when_parse_line(g->line, g->len, s->now, &l);
	if (l.kind == WL_UNKNOWN) {
		s->stats->unknown++;
		return;
	}
	if (l.kind == WL_OTHER || l.t < s->lo)
		return;
	inside = in_window(s, l.t);
	snprintf(source, sizeof(source), "%s %s: %s line %llu", s->job, s->id, g->name,
		 (unsigned long long)g->lineno);
	if (l.kind == WL_LOGIN) {
		if (inside)
			s->err = when_event_add(s->tl, l.t, "login", source, "%s login %s for %s from %s",
						l.service, l.accepted ? "accepted" : "REFUSED", l.user, l.client);
		return;
	}
	for (size_t i = 0; i < s->nw && !s->err; i++) {
		const struct when_window *w = &s->w[i];

		if (!when_url_path_equal(l.target, l.target_len, w->url))
			continue;
		if (l.t >= w->from && l.t <= w->to) {
			s->err = when_event_add(s->tl, l.t, "request", source, "%s (in the window of %s)", text,
						w->url);
			listed = true;
		} else if (l.t > w->to) {
			add_fetcher(s, l.client);
			if (s->later[i]++ < LATER_MAX)
				s->err = when_event_add(s->tl, l.t, "fetch", source,
							"%s (a later request for %s)", text, w->url);
			listed = true;
		}
	}
	if (listed || !inside || s->err)
		return;
	if ((strcmp(l.method, "POST") == 0 || strcmp(l.method, "PUT") == 0) &&
	    when_url_is_script(l.target, l.target_len)) {
		s->err = when_event_add(s->tl, l.t, "post", source, "%s", text);
		return;
	}
	keep(s, &l, source, text);
}

static struct gen_buf *gen_of(struct scan *s, const json_t *seg)
{
	uint64_t gen = (uint64_t)json_integer_value(json_object_get(seg, "gen"));
	const char *name = json_string_value(json_object_get(seg, "name"));
	struct gen_buf *g;
	const json_t *a;
	size_t i;

	for (i = 0; i < s->ng; i++)
		if (s->g[i].gen == gen)
			return &s->g[i];
	g = realloc(s->g, (s->ng + 1) * sizeof(*g));
	if (!g)
		return NULL;
	s->g = g;
	g = &s->g[s->ng++];
	memset(g, 0, sizeof(*g));
	g->gen = gen;
	g->name = strdup(name ? name : "?");
	if (!g->name)
		return NULL;
	json_array_foreach(s->altered, i, a)
		if ((uint64_t)json_integer_value(json_object_get(a, "gen")) == gen)
			g->altered = true;
	return g;
}

static int on_piece(void *ctx, const json_t *seg, uint64_t pos, const void *buf, size_t len)
{
	struct scan *s = ctx;
	struct gen_buf *g = gen_of(s, seg);
	const char *p = buf, *end = p + len;

	(void)pos;
	if (!g)
		return -ENOMEM;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p), take = n;

		if (g->len + take > LINE_MAX_BYTES) {
			take = g->len < LINE_MAX_BYTES ? LINE_MAX_BYTES - g->len : 0;
			g->cut = true;
		}
		if (g->len + take + 1 > g->cap) {
			size_t nc = (g->len + take + 1) * 2;
			char *b = realloc(g->line, nc);

			if (!b)
				return -ENOMEM;
			g->line = b;
			g->cap = nc;
		}
		memcpy(g->line + g->len, p, take);
		g->len += take;
		g->line[g->len] = '\0';
		p += n;
		if (nl) {
			/* A NUL inside the line ends what the parser sees. */
			g->len = strlen(g->line);
			on_line(s, g);
			g->len = 0;
			g->cut = false;
			p++;
			if (s->err)
				return s->err;
		}
	}
	return 0;
}

/* The generations of the chain that hold a log as it was after a tamper
 * alert about it: started (offset 0) in the backup that raised the alert. */
static json_t *altered_generations(const struct record_chain *c, const json_t *alerts)
{
	json_t *out = json_array();

	for (size_t i = 0; i < c->n; i++) {
		const json_t *logs = json_object_get(c->v[i].record, "logs");
		const json_t *ids = json_object_get(logs, "alerts"), *id, *seg, *a;
		size_t k, m, q;

		json_array_foreach(ids, k, id) {
			const char *file = NULL;

			json_array_foreach(alerts, q, a)
				if (json_equal(json_object_get(a, "id"), id))
					file = json_string_value(json_object_get(a, "file"));
			if (!file)
				continue;
			json_array_foreach(json_object_get(logs, "segments"), m, seg) {
				const char *name = json_string_value(json_object_get(seg, "name"));

				if (name && strcmp(name, file) == 0 &&
				    json_integer_value(json_object_get(seg, "start")) == 0)
					json_array_append_new(out, json_pack("{s:s, s:O, s:O}", "name", name, "gen",
									     json_object_get(seg, "gen"),
									     "alert", id));
			}
		}
	}
	return out;
}

static void tamper_notes(struct scan *s, const json_t *alerts)
{
	const json_t *a, *g;
	size_t i, k;

	json_array_foreach(alerts, i, a) {
		const char *found = json_string_value(json_object_get(a, "found"));
		const char *file = json_string_value(json_object_get(a, "file"));
		time_t t;

		if (!found || timefmt_parse_rfc3339(found, &t) < 0 || t < s->lo)
			continue;
		when_event_add(s->tl, t, "tamper", json_string_value(json_object_get(a, "id")),
			       "job %s: the live log %s was altered (%s: %s)", s->job, file ? file : "?",
			       json_string_value(json_object_get(a, "kind")) ?: "?",
			       json_string_value(json_object_get(a, "message")) ?: "");
		when_note(s->tl, "the live log %s was altered (alert %s, found %s): this timeline uses the archived "
			  "copy in %s's backups, taken before the alteration",
			  file ? file : "?", json_string_value(json_object_get(a, "id")) ?: "?", found, s->job);
	}
	json_array_foreach(s->altered, k, g)
		when_note(s->tl, "%s generation %lld (the log as it was after alert %s) was not used", 
			  json_string_value(json_object_get(g, "name")),
			  (long long)json_integer_value(json_object_get(g, "gen")),
			  json_string_value(json_object_get(g, "alert")));
}

static int scan_job(const struct config *cfg, struct store *st, const struct job *job, struct scan *s,
		    char *why, size_t whylen)
{
	struct store_list l = { 0 };
	struct record_chain c = { 0 };
	json_t *alerts = NULL, *altered = NULL;
	const char *id = NULL;
	uint64_t read = 0;
	int r;

	r = store_list(st, job->name, &l);
	if (r < 0) {
		snprintf(why, whylen, "cannot list the backups of %s", job->name);
		return r;
	}
	for (size_t i = l.n; i-- > 0 && !id;)
		if (store_record_is_good(l.v[i].record))
			id = l.v[i].id;
	if (!id) {
		when_note(s->tl, "logs job %s has no good backup: its logs were not read", job->name);
		store_list_free(&l);
		return 0;
	}
	r = record_chain_load(st, job->name, id, "logs", 0, &c, why, whylen);
	if (r == 0)
		r = alerts_history(cfg->state_dir, job->name, &alerts);
	if (r == 0 && !(altered = altered_generations(&c, alerts)))
		r = -ENOMEM;
	if (r == 0) {
		s->job = job->name;
		s->id = id;
		s->altered = altered;
		r = logship_each(st, job->name, &c, on_piece, s, &read);
		if (r < 0 && !why[0])
			snprintf(why, whylen, "job %s backup %s: cannot read the archived logs: %s", job->name, id,
				 strerror(-r));
	}
	if (r == 0) {
		/* Last lines without a newline are complete lines too. */
		for (size_t i = 0; i < s->ng && !s->err; i++)
			if (s->g[i].len)
				on_line(s, &s->g[i]);
		r = s->err;
		tamper_notes(s, alerts);
		s->stats->files += s->ng;
	}
	for (size_t i = 0; i < s->ng; i++) {
		free(s->g[i].name);
		free(s->g[i].line);
	}
	free(s->g);
	s->g = NULL;
	s->ng = 0;
	s->altered = NULL;
	json_decref(alerts);
	json_decref(altered);
	record_chain_free(&c);
	store_list_free(&l);
	return r;
}

int when_logs_scan(const struct config *cfg, struct store *st, const struct when_window *w, size_t nw,
		   time_t now, struct when_timeline *tl, struct when_logs_stats *stats, char *why, size_t whylen)
{
	struct scan s = { .w = w, .nw = nw, .now = now, .tl = tl, .stats = stats };
	size_t nlogs = 0;
	int r = 0;

	memset(stats, 0, sizeof(*stats));
	if (nw == 0)
		return 0;
	s.lo = w[0].from;
	s.hi = w[0].to;
	for (size_t i = 1; i < nw; i++) {
		if (w[i].from < s.lo)
			s.lo = w[i].from;
		if (w[i].to > s.hi)
			s.hi = w[i].to;
	}
	s.later = calloc(nw, sizeof(*s.later));
	if (!s.later)
		return -ENOMEM;
	for (size_t j = 0; j < cfg->njobs && r == 0; j++) {
		if (strcmp(jobkind_of(&cfg->jobs[j])->name, "logs") != 0)
			continue;
		nlogs++;
		r = scan_job(cfg, st, &cfg->jobs[j], &s, why, whylen);
	}
	/* Requests inside a window by a client that later fetched a new file. */
	for (size_t i = 0; i < s.nkept && r == 0; i++) {
		for (size_t f = 0; f < s.nfetchers; f++)
			if (strcmp(s.kept[i].client, s.fetchers[f]) == 0) {
				r = when_event_add(tl, s.kept[i].t, "client", s.kept[i].source,
						   "%s (this client later fetched a changed file)", s.kept[i].text);
				break;
			}
	}
	if (r == 0 && s.kept_full)
		when_note(tl, "more than %d requests fell inside the windows: only the first were matched "
			  "against the clients that later fetched a changed file", KEEP_MAX);
	if (r == 0 && nlogs == 0)
		when_note(tl, "no logs job is configured: no requests or logins can be listed");
	if (r == 0 && stats->unknown)
		when_note(tl, "%llu of %llu archived log lines were in no known format and were skipped",
			  (unsigned long long)stats->unknown, (unsigned long long)stats->lines);
	for (size_t i = 0; i < s.nkept; i++) {
		free(s.kept[i].source);
		free(s.kept[i].text);
	}
	free(s.kept);
	free(s.fetchers);
	free(s.later);
	return r;
}

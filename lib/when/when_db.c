/*
 * when_db — when a database's tables changed, from the dump records alone
 * (no restore): every dump records each table's row count and the SHA-256
 * of its rows as written, so two consecutive good dumps whose entries for a
 * table differ bound the change to [the first's finish, the second's
 * start].  And the tables that differ between any two dumps (`lifeboat diff
 * DBJOB ID1 ID2`).
 *
 * What it does not do: say which rows changed (that needs the dumps
 * themselves), or see a change undone before the next dump.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "timefmt.h"
#include "when.h"

/* The "tables" array of a dump record, or NULL. */
static const json_t *tables_of(const json_t *rec)
{
	const json_t *t = json_object_get(json_object_get(rec, "db"), "tables");

	return json_is_array(t) ? t : NULL;
}

static void table_name(const json_t *t, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%s", json_string_value(json_object_get(t, "database")) ?: "?",
		 json_string_value(json_object_get(t, "table")) ?: "?");
}

static const json_t *find_table(const json_t *tables, const char *name)
{
	const json_t *t;
	size_t i;
	char n[512];

	json_array_foreach(tables, i, t) {
		table_name(t, n, sizeof(n));
		if (strcmp(n, name) == 0)
			return t;
	}
	return NULL;
}

static bool wanted(const char *name, const char *const *tables, size_t ntables)
{
	const char *dot = strchr(name, '.');

	if (ntables == 0)
		return true;
	for (size_t i = 0; i < ntables; i++)
		if (strcmp(tables[i], name) == 0 || (!strchr(tables[i], '.') && dot && strcmp(tables[i], dot + 1) == 0))
			return true;
	return false;
}

/* How table A (before) and B (after) differ, into WHAT; false when equal. */
static bool table_diff(const json_t *a, const json_t *b, char *what, size_t len)
{
	json_int_t ra, rb;
	const char *ca, *cb;

	if (!a && !b)
		return false;
	if (!a) {
		snprintf(what, len, "appeared (%lld rows)", (long long)json_integer_value(json_object_get(b, "rows")));
		return true;
	}
	if (!b) {
		snprintf(what, len, "vanished (had %lld rows)", (long long)json_integer_value(json_object_get(a, "rows")));
		return true;
	}
	ra = json_integer_value(json_object_get(a, "rows"));
	rb = json_integer_value(json_object_get(b, "rows"));
	ca = json_string_value(json_object_get(a, "checksum")) ?: "";
	cb = json_string_value(json_object_get(b, "checksum")) ?: "";
	if (ra == rb && strcmp(ca, cb) == 0)
		return false;
	if (ra != rb)
		snprintf(what, len, "rows %lld -> %lld%s", (long long)ra, (long long)rb,
			 strcmp(ca, cb) ? ", checksum changed" : "");
	else
		snprintf(what, len, "checksum changed, still %lld rows (rows were modified)", (long long)ra);
	return true;
}

int when_db_history(struct store *st, const struct job *job, const char *const *tables, size_t ntables,
		    struct when_timeline *tl, char *why, size_t whylen)
{
	struct store_list l = { 0 };
	const struct store_entry *prev = NULL;
	size_t ndumps = 0;
	int r;

	r = store_list(st, job->name, &l);
	if (r < 0) {
		snprintf(why, whylen, "cannot list the backups of %s", job->name);
		return r;
	}
	for (size_t i = 0; i < l.n && r == 0; i++) {
		const struct store_entry *e = &l.v[i];
		const json_t *ta, *tb, *t;
		time_t from, to;
		size_t k;
		char name[512], what[256], f[TIMEFMT_RFC3339_LEN], u[TIMEFMT_RFC3339_LEN];

		if (!store_record_is_good(e->record) || !tables_of(e->record))
			continue;
		ndumps++;
		if (!prev) {
			prev = e;
			continue;
		}
		ta = tables_of(prev->record);
		tb = tables_of(e->record);
		if (!record_finished(prev->record) || timefmt_parse_rfc3339(record_finished(prev->record), &from) < 0 ||
		    record_started_time(e->record, &to) < 0) {
			prev = e;
			continue;
		}
		timefmt_rfc3339(from, f);
		timefmt_rfc3339(to, u);
		/* Every table of either dump, each once. */
		for (int side = 0; side < 2 && r == 0; side++)
			json_array_foreach(side ? ta : tb, k, t) {
				table_name(t, name, sizeof(name));
				if (side && find_table(tb, name))
					continue;
				if (!wanted(name, tables, ntables) ||
				    !table_diff(find_table(ta, name), find_table(tb, name), what, sizeof(what)))
					continue;
				r = when_event_add(tl, to, "table", e->id,
						   "table %s changed between %s and %s: %s (dump %s -> %s)", name, f, u,
						   what, prev->id, e->id);
				if (r == 0)
					r = when_event_add(tl, from, "window", prev->id,
							   "table %s: last as before in dump %s (finished)", name, prev->id);
				if (r)
					break;
			}
		prev = e;
	}
	if (r == 0 && ndumps < 2)
		when_note(tl, "job %s has %zu good dump(s) with table checksums: at least two are needed", job->name,
			  ndumps);
	store_list_free(&l);
	return r;
}

int when_db_diff(struct store *st, const struct job *job, const char *id1, const char *id2, json_t **out,
		 char *why, size_t whylen)
{
	struct store_entry a = { 0 }, b = { 0 };
	const json_t *ta, *tb, *t;
	json_t *arr = NULL;
	char name[512], what[256];
	size_t k;
	int r;

	*out = NULL;
	r = store_get(st, job->name, id1, &a);
	if (r < 0) {
		snprintf(why, whylen, "job %s has no backup %s", job->name, id1);
		return r;
	}
	r = store_get(st, job->name, id2, &b);
	if (r < 0) {
		snprintf(why, whylen, "job %s has no backup %s", job->name, id2);
		store_entry_free(&a);
		return r;
	}
	ta = tables_of(a.record);
	tb = tables_of(b.record);
	if (!ta || !tb) {
		snprintf(why, whylen, "%s of job %s records no table checksums", !ta ? id1 : id2, job->name);
		r = -EINVAL;
		goto out;
	}
	arr = json_array();
	for (int side = 0; side < 2 && arr; side++)
		json_array_foreach(side ? ta : tb, k, t) {
			const json_t *x, *y;

			table_name(t, name, sizeof(name));
			if (side && find_table(tb, name))
				continue;
			x = find_table(ta, name);
			y = find_table(tb, name);
			if (table_diff(x, y, what, sizeof(what)))
				json_array_append_new(arr, json_pack("{s:s, s:s, s:O?, s:O?, s:O?, s:O?}", "table", name,
								     "what", what,
								     "rows_before", json_object_get(x, "rows"),
								     "rows_after", json_object_get(y, "rows"),
								     "checksum_before", json_object_get(x, "checksum"),
								     "checksum_after", json_object_get(y, "checksum")));
		}
	if (!arr)
		r = -ENOMEM;
	*out = arr;
out:
	store_entry_free(&a);
	store_entry_free(&b);
	return r;
}

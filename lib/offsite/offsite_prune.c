/*
 * offsite_prune — the target's own retention over its remote copies (see
 * offsite.h).  The policy is the target's keep_* keys, or the job's own
 * when the target sets none; the planner is the store's (retention.h), so
 * the rules, the reasons and what is never removed are the same: the newest
 * good backup, a backup pinned locally (evidence stays offsite too), and any
 * backup a kept one depends on.  On top: with object_lock_days, nothing is
 * removed before that many days have passed since its upload (the server
 * would keep the locked versions anyway; this keeps the listing honest).
 *
 * The facts a plan needs (start time, result, parent) come from each
 * backup's record, downloaded and decrypted once and cached in
 * <state>/records/<job>.json (public facts only).  Objects whose names are
 * not a backup's, and backups without a record (an upload under way), are
 * never touched.  A removal deletes the record first (from then on the
 * backup is not offsite), then the other objects.
 *
 * The plan covers the local backups not offsite yet as well, as if they
 * were: one the policy would drop at once is not uploaded at all (else each
 * sync would send it and remove it again).  Removals are applied only after
 * every upload of the job succeeded, so a failing upload never leaves the
 * target with fewer copies than before.
 */
#include "offsite_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fsutil.h"
#include "log.h"
#include "record.h"
#include "retention.h"
#include "store.h"

/* Cached facts of JOB's remote backup ID, fetched when missing. */
static json_t *facts_of(struct offsite_conn *c, json_t *cache, const char *job, const char *id, bool *changed)
{
	json_t *f = json_object_get(cache, id), *rec;
	char key[1024], *text = NULL;
	const char *parent = NULL;
	time_t started = 0;
	size_t len;
	json_t *exts;

	if (json_is_object(f))
		return f;
	offsite_object_key(c->o, job, id, "json", key, sizeof(key));
	if (offsite_get_mem(c, key, 64 << 20, &text, &len) < 0)
		return NULL;
	rec = json_loadb(text, len, 0, NULL);
	free(text);
	if (!rec || !record_id(rec) || strcmp(record_id(rec), id) != 0 || record_started_time(rec, &started) < 0 ||
	    record_parent(rec, &parent) < 0) {
		offsite_seterr(c, "s3://%s/%s: not the record of %s %s", c->o->bucket, key, job, id);
		json_decref(rec);
		return NULL;
	}
	exts = json_array();
	for (size_t i = 0; i < record_artifact_count(rec); i++) {
		struct record_artifact a;

		if (record_artifact_at(rec, i, &a) == 0)
			json_array_append_new(exts, json_string(a.ext));
	}
	f = json_pack("{s:I, s:b, s:s?, s:o}", "started", (json_int_t)started, "good", store_record_is_good(rec),
		      "parent", parent, "exts", exts);
	json_decref(rec);
	json_object_set_new(cache, id, f);
	*changed = true;
	return f;
}

static int remove_backup(struct offsite_conn *c, const char *job, const char *id, json_t *f)
{
	char key[1024];
	size_t i;
	json_t *e;
	int r;

	offsite_object_key(c->o, job, id, "json", key, sizeof(key));
	if ((r = s3_delete(c->s3, key)) < 0 && r != -ENOENT) {
		offsite_s3err(c);
		return r;
	}
	json_array_foreach(json_object_get(f, "exts"), i, e) {
		offsite_object_key(c->o, job, id, json_string_value(e), key, sizeof(key));
		if ((r = s3_delete(c->s3, key)) < 0 && r != -ENOENT) {
			offsite_s3err(c);
			return r;
		}
	}
	offsite_object_key(c->o, job, id, "sha256", key, sizeof(key));
	if ((r = s3_delete(c->s3, key)) < 0 && r != -ENOENT) {
		offsite_s3err(c);
		return r;
	}
	return 0;
}

int offsite_plan(struct offsite_conn *c, struct store *st, const struct job *job, const struct store_list *local,
		 const struct offsite_list *remote, time_t now, struct offsite_plan *plan)
{
	size_t total = local->n + remote->n, n = 0;
	struct retention_item *items = calloc(total + 1, sizeof(*items));
	struct retention_decision *dec = calloc(total + 1, sizeof(*dec));
	char *text = NULL;
	size_t len;
	int r = 0;

	memset(plan, 0, sizeof(*plan));
	plan->upload = calloc(local->n + 1, sizeof(bool));
	plan->remove = calloc(remote->n + 1, sizeof(bool));
	plan->facts = calloc(remote->n + 1, sizeof(json_t *));
	snprintf(plan->cache_path, sizeof(plan->cache_path), "%s/records", c->state_dir);
	fs_mkdirs(plan->cache_path, 0700);
	snprintf(plan->cache_path, sizeof(plan->cache_path), "%s/records/%s.json", c->state_dir, job->name);
	if (fs_read_all(plan->cache_path, 64 << 20, &text, &len) == 0)
		plan->cache = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_object(plan->cache)) {
		json_decref(plan->cache);
		plan->cache = json_object();
	}
	if (!items || !dec || !plan->upload || !plan->remove || !plan->facts) {
		r = -ENOMEM;
		goto out;
	}
	/* the local backups not offsite yet, as they would be once copied */
	for (size_t i = 0; i < local->n; i++) {
		const struct store_entry *e = &local->v[i];
		bool there = false;

		for (size_t k = 0; k < remote->n; k++)
			if (remote->v[k].has_record && !strcmp(remote->v[k].id, e->id))
				there = true;
		if (there)
			continue;
		items[n].id = e->id;
		if (record_started_time(e->record, &items[n].time) < 0)
			items[n].time = 0;
		items[n].good = store_record_is_good(e->record);
		if (record_parent(e->record, &items[n].parent) < 0)
			items[n].parent = NULL;
		items[n].pinned = e->pin != NULL;
		n++;
	}
	/* the remote ones, from their records (cached) */
	for (size_t k = 0; k < remote->n; k++) {
		struct store_entry e;
		json_t *f;

		if (!remote->v[k].has_record)
			continue;
		if (!(f = facts_of(c, plan->cache, job->name, remote->v[k].id, &plan->changed))) {
			r = -EIO;
			goto out;
		}
		plan->facts[k] = f;
		items[n].id = remote->v[k].id;
		items[n].time = (time_t)json_integer_value(json_object_get(f, "started"));
		items[n].good = json_is_true(json_object_get(f, "good"));
		items[n].parent = json_string_value(json_object_get(f, "parent"));
		items[n].pinned = false;
		if (st && store_get(st, job->name, remote->v[k].id, &e) == 0) {
			items[n].pinned = e.pin != NULL;
			store_entry_free(&e);
		}
		n++;
	}
	if ((r = retention_plan(items, n, offsite_keep(c->o, job), now, dec)) < 0) {
		offsite_seterr(c, "offsite %s: job %s: cannot plan retention", c->o->name, job->name);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t l = 0; l < local->n; l++)
			if (items[i].id == local->v[l].id)
				plan->upload[l] = dec[i].action == RETENTION_KEEP;
		for (size_t k = 0; k < remote->n; k++) {
			if (items[i].id != remote->v[k].id || dec[i].action != RETENTION_REMOVE)
				continue;
			if (c->o->object_lock_days > 0 && (remote->v[k].uploaded == 0 ||
			    now < remote->v[k].uploaded + (time_t)c->o->object_lock_days * 86400)) {
				log_info("offsite %s: job %s: %s stays (%s, but locked for %ld days from its upload)",
					 c->o->name, job->name, items[i].id, dec[i].reasons, c->o->object_lock_days);
				continue;
			}
			plan->remove[k] = true;
			snprintf(plan->why, sizeof(plan->why), "%s", dec[i].reasons);
		}
	}
out:
	free(items);
	free(dec);
	return r;
}

int offsite_apply_removals(struct offsite_conn *c, const struct job *job, const struct offsite_list *remote,
			   struct offsite_plan *plan, int *removed)
{
	int r;

	*removed = 0;
	for (size_t k = 0; k < remote->n; k++) {
		if (!plan->remove[k])
			continue;
		if ((r = remove_backup(c, job->name, remote->v[k].id, plan->facts[k])) < 0)
			return r;
		log_info("offsite %s: job %s: %s removed offsite (retention)", c->o->name, job->name, remote->v[k].id);
		json_object_del(plan->cache, remote->v[k].id);
		plan->changed = true;
		(*removed)++;
	}
	return 0;
}

void offsite_plan_free(struct offsite_plan *plan)
{
	if (plan->changed && plan->cache) {
		char *t = json_dumps(plan->cache, JSON_COMPACT);

		if (t)
			fs_write_atomic(plan->cache_path, t, strlen(t), 0600);
		free(t);
	}
	json_decref(plan->cache);
	free(plan->upload);
	free(plan->remove);
	free(plan->facts);
	memset(plan, 0, sizeof(*plan));
}

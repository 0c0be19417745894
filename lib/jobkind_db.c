/*
 * jobkind_db — a db job's run: one dump, compressed into "sql.zst", with the
 * dump's facts in the record.  See jobkind.h.
 */
#include "jobkind.h"

#include <errno.h>
#include <stdio.h>

#include "compress.h"
#include "dbconn.h"
#include "dbdump.h"
#include "log.h"

struct db_run {
	struct jobkind *k;
	struct dbdump_opts *opts;	/* the dump's, changed between chunks */
	struct store_artifact *artifact;
	struct zwriter *zw;
	char what[300];
};

static int artifact_sink(void *ctx, const void *buf, size_t len)
{
	struct db_run *d = ctx;

	d->k->bytes_out += len;
	throttle_io(d->k->throttle, len);
	return store_artifact_write(d->artifact, buf, len);
}

static int db_write(void *ctx, const void *buf, size_t len)
{
	struct db_run *d = ctx;

	if (jobkind_cancelled(d->k)) {
		log_info("job %s: cancelled", d->k->job->name);
		return -ECANCELED;
	}
	/* The SQL text stands for what was read from the server. */
	throttle_io(d->k->throttle, len);
	d->k->bytes_in += len;
	return zwriter_write(d->zw, buf, len);
}

static void db_progress(void *ctx, const struct dbdump_progress *p)
{
	struct db_run *d = ctx;

	if (p->database && p->table)
		snprintf(d->what, sizeof(d->what), "%s.%s", p->database, p->table);
	else
		snprintf(d->what, sizeof(d->what), "%s", p->database ? p->database : "");
	d->k->what = d->what;
	d->k->estimated = p->estimated_bytes;
	jobkind_progress(d->k, false);
}

static int db_between_chunks(void *ctx)
{
	struct db_run *d = ctx;

	if (throttle_between_chunks(d->k->throttle) < 0 || jobkind_cancelled(d->k)) {
		log_info("job %s: cancelled", d->k->job->name);
		return -ECANCELED;
	}
	/* Past max_dump_time the snapshot must close soon: chunk_rows rows at a
	 * time and zstd's own block size from here on. */
	if (d->opts->chunk_bytes && throttle_full_speed(d->k->throttle)) {
		d->opts->chunk_bytes = 0;
		zwriter_unpace(d->zw);
	}
	return 0;
}

int jobkind_db_run(struct jobkind *k, json_t *record)
{
	struct db_run d = { .k = k };
	struct dbdump_opts o = {
		.job = k->job,
		.write = db_write, .write_ctx = &d,
		.progress = db_progress, .progress_ctx = &d,
		.between_chunks = db_between_chunks, .between_ctx = &d,
		.chunk_bytes = throttle_paced(k->throttle) ? THROTTLE_PACED_CHUNK : 0,
	};
	struct server_prio prio;
	json_t *facts = NULL;

	d.opts = &o;
	MYSQL *my;
	int r;

	r = dbconn_open(k->job, NULL, &my);
	if (r < 0)
		return r;
	throttle_server_thread_lower(k->job, my, &prio);
	r = store_artifact_open(k->txn, "sql.zst", &d.artifact);
	if (r == 0)
		r = jobkind_zwriter_open(k, (int)k->job->tuning.compress_threads, artifact_sink, &d, &d.zw);
	if (r == 0)
		r = dbdump_run(my, &o, &facts);
	throttle_server_thread_restore(k->job, &prio);
	mysql_close(my);
	if (r == 0) {
		json_object_set_new(record, "size_raw", json_integer((json_int_t)zwriter_bytes_in(d.zw)));
		r = zwriter_close(d.zw);
		d.zw = NULL;
	}
	if (r == 0)
		r = store_artifact_finish(d.artifact);
	k->what = NULL;
	zwriter_free(d.zw);
	if (r < 0) {
		json_decref(facts);
		return r;
	}
	json_object_set_new(record, "size_stored", json_integer((json_int_t)k->bytes_out));
	/* Which server thread read at the job's nice, and the nice it got back. */
	if (prio.tid)
		json_object_set_new(facts, "server_thread", json_pack("{s:i, s:I, s:i}", "tid", (int)prio.tid,
				    "nice", (json_int_t)k->job->tuning.nice, "restored_to", prio.nice));
	json_object_set_new(record, "db", facts);
	return 0;
}

/* The size this db run will take in the store: the tables' space on the
 * server times the ratio stored/space of the last good run (1 for a first run:
 * better to refuse early than to fill the disk). */
int jobkind_db_estimate(const struct job *job, struct store *st, uint64_t *bytes)
{
	struct store_entry e;
	uint64_t space;
	double ratio = 1.0;
	MYSQL *my;
	int r;

	r = dbconn_open(job, NULL, &my);
	if (r < 0)
		return r;
	r = dbdump_estimate(my, job, &space);
	mysql_close(my);
	if (r < 0)
		return r;
	if (store_get(st, job->name, "latest", &e) == 0) {
		json_int_t stored = json_integer_value(json_object_get(e.record, "size_stored"));
		json_int_t before = json_integer_value(json_object_get(json_object_get(e.record, "db"),
								       "estimated_bytes"));

		if (stored > 0 && before > 0)
			ratio = (double)stored / (double)before;
		store_entry_free(&e);
	}
	*bytes = (uint64_t)((double)space * ratio);
	return 0;
}

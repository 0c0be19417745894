/*
 * jobkind_db — the db kind (jobkind_db_ops, see jobkind.h): its config keys
 * and their checks, its run (one dump, compressed into "sql.zst", with the
 * dump's facts in the record), the estimate of its size, its throttle probe
 * (the server's Threads_running) and budget (max_dump_time), and its restore
 * into a new database (dbrestore.h does the work).
 *
 * The server thread that serves a dump's connection does most of the reading
 * for it, and our nice does not reach it.  For a server on this host, when
 * we may (root, or CAP_SYS_NICE), it gets the job's nice for the dump and its
 * own back before the connection closes.
 */
#include "jobkind.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "compress.h"
#include "dbcanary.h"
#include "dbconn.h"
#include "dbdump.h"
#include "dbrestore.h"
#include "log.h"
#include "record.h"
#include "units.h"

#define DB_PROBE_EVERY	0.25	/* seconds between Threads_running queries */

/* config_key_parse writes a KT_ENUM as an int. */
_Static_assert(sizeof(enum db_lock) == sizeof(int), "enum db_lock is not int-sized");

/* ---- the server thread's nice ------------------------------------------------ */

struct server_prio {
	pid_t tid;			/* 0: left alone */
	int nice;			/* its nice before */
};

/* Reads the server thread of connection MY, for a server on this host. */
static pid_t server_thread(MYSQL *my)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	pid_t tid = 0;

	if (mysql_query(my, "SELECT TID FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()") != 0)
		return 0;
	res = mysql_store_result(my);
	if (res && (row = mysql_fetch_row(res)) && row[0])
		tid = (pid_t)atol(row[0]);
	mysql_free_result(res);
	return tid;
}

/* The nice of the server process TID belongs to (its main thread), which its
 * threads have unless someone changed them; -1000 when unknown. */
static int server_base_nice(pid_t tid)
{
	char path[64], line[128];
	long tgid = -1;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -1000;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %ld", &tgid) == 1)
			break;
	fclose(f);
	if (tgid <= 0)
		return -1000;
	errno = 0;
	n = getpriority(PRIO_PROCESS, (id_t)tgid);
	return errno ? -1000 : n;
}

static int server_thread_lower(const struct job *job, MYSQL *my, struct server_prio *saved)
{
	int base;

	memset(saved, 0, sizeof(*saved));
	/* Only a server on this host has its threads in our process table. */
	if (job->tuning.nice <= 0 || !dbconn_is_local(job))
		return 0;
	saved->tid = server_thread(my);
	if (saved->tid <= 0) {
		saved->tid = 0;
		return 0;
	}
	/* Restored to the server's own nice, not to the thread's as found: a run
	 * killed mid-dump (SIGKILL) could not give its thread back, and the
	 * thread cache may hand that thread to us. */
	base = server_base_nice(saved->tid);
	if (base == -1000 || base >= job->tuning.nice ||
	    setpriority(PRIO_PROCESS, (id_t)saved->tid, (int)job->tuning.nice) < 0) {
		/* Not ours to renice (another user's thread, no CAP_SYS_NICE, a
		 * server already nicer than the job): the dump runs without this. */
		if (base != -1000 && base < job->tuning.nice)
			log_debug("job %s: cannot renice the server thread %d: %s", job->name,
				  (int)saved->tid, strerror(errno));
		saved->tid = 0;
		return 0;
	}
	saved->nice = base;
	log_debug("job %s: the server thread %d reads for this dump at nice %ld", job->name, (int)saved->tid,
		  job->tuning.nice);
	return 0;
}

static void server_thread_restore(const struct job *job, const struct server_prio *saved)
{
	/* Before the connection closes: the server's thread cache hands the same
	 * thread to its next client, which must not inherit our niceness. */
	if (saved->tid && setpriority(PRIO_PROCESS, (id_t)saved->tid, saved->nice) < 0)
		log_err(LOG_LVL_WARN, errno, "job %s: cannot restore the server thread %d to nice %d",
			job->name, (int)saved->tid, saved->nice);
}

/* ---- the run ----------------------------------------------------------------- */

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

	/* The chunk's SELECT was ours, not the site's (the canary's count). */
	throttle_own_statements(d->k->throttle, 1);
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

static int db_run(struct jobkind *k, json_t *record)
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
	server_thread_lower(k->job, my, &prio);
	r = store_artifact_open(k->txn, "sql.zst", &d.artifact);
	if (r == 0)
		r = jobkind_zwriter_open(k, (int)k->job->tuning.compress_threads, artifact_sink, &d, &d.zw);
	if (r == 0)
		r = dbdump_run(my, &o, &facts);
	server_thread_restore(k->job, &prio);
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
static int db_estimate(const struct job *job, struct store *st, uint64_t *bytes)
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

/* A dump of a server on this host shares the host's dump lock: files and
 * logs jobs with `exclusive` wait for it. */
static enum jobkind_dump_lock db_dump_lock(const struct job *job)
{
	return dbconn_is_local(job) ? JOBKIND_DUMP_LOCK_SHARED : JOBKIND_DUMP_LOCK_NONE;
}

/* ---- throttling: Threads_running, max_dump_time ----------------------------------- */

/* The probe's connection and its last answer. */
struct threads_probe {
	MYSQL *my;
	double last;			/* throttle clock time of the last query; 0 = never */
	long value;			/* its answer */
};

static double threads_limit(const struct job *job)
{
	return (double)job->tuning.max_threads_running;
}

static int threads_open(const struct job *job, void **state)
{
	struct threads_probe *p = calloc(1, sizeof(*p));
	int r;

	if (!p) {
		log_error("job %s: out of memory", job->name);
		return -ENOMEM;
	}
	r = dbconn_open(job, NULL, &p->my);
	if (r < 0) {
		free(p);
		return r;
	}
	*state = p;
	return 0;
}

/* SHOW GLOBAL STATUS LIKE 'Threads_running' on its own connection, at most
 * every DB_PROBE_EVERY seconds, not counting the probe's own query. */
static double threads_read(struct throttle *t, void *state)
{
	struct threads_probe *p = state;
	double now = throttle_now(t);
	MYSQL_RES *res;
	MYSQL_ROW row;

	if (now - p->last < DB_PROBE_EVERY)
		return (double)p->value;
	p->last = now;
	if (mysql_query(p->my, "SHOW GLOBAL STATUS LIKE 'Threads_running'") != 0 ||
	    !(res = mysql_store_result(p->my))) {
		/* A probe that cannot ask does not hold the backup back. */
		log_warn("job %s: Threads_running probe failed: %s", t->job->name, mysql_error(p->my));
		p->value = 0;
		return 0;
	}
	row = mysql_fetch_row(res);
	/* The probe's own query is running while it asks: not counted. */
	p->value = row && row[1] ? strtol(row[1], NULL, 10) - 1 : 0;
	mysql_free_result(res);
	return (double)p->value;
}

static void threads_close(void *state)
{
	struct threads_probe *p = state;

	if (!p)
		return;
	mysql_close(p->my);
	free(p);
}

static int64_t db_budget(const struct job *job)
{
	return job->db.max_dump_time;
}

static const struct throttle_probe_def db_probes[] = {
	{ "threads_running", threads_limit, threads_open, threads_read, threads_close },
};

static const struct throttle_kind db_throttle = {
	.probes = db_probes,
	.nprobes = sizeof(db_probes) / sizeof(db_probes[0]),
	.canary = &dbcanary_def,
	.data_path = dbcanary_data_path,
	.budget = db_budget,
	.budget_key = "max_dump_time",
};

/* ---- restore into a new database ------------------------------------------------ */

static int db_restore(const struct config *cfg, const struct job *job, struct store *st,
		      const struct store_entry *e, const struct jobkind_target *to, FILE *out)
{
	struct dbrestore_opts o = {
		.job = job->name, .id = e->id, .to_db = to->database, .force = to->force,
		.facts = json_object_get(e->record, "db"), .st = st, .e = e,
	};
	struct dbrestore_stats stats;
	struct timespec t0, t1;
	char where[512], size[32];
	MYSQL *my;
	int r;

	(void)cfg;
	if (!o.facts) {
		log_error("%s %s: the record does not describe a db dump", job->name, e->id);
		return -EINVAL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = dbconn_open(job, job->db.restore_host, &my);
	if (r < 0)
		return r;
	r = dbrestore_run(my, &o, &stats);
	mysql_close(my);
	if (r < 0)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dbconn_describe(job, job->db.restore_host, where, sizeof(where));
	units_format_size_human(stats.bytes, size, sizeof(size));
	fprintf(out, "restored %s %s into database %s (%s): %" PRIu64 " tables, %" PRIu64 " rows, %s of SQL in %.1f s\n",
		job->name, e->id, to->database, where, stats.tables, stats.rows, size,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (stats.events_disabled)
		fprintf(out, "%" PRIu64 " event(s) restored disabled, so the copy does not run the original's schedule\n",
			stats.events_disabled);
	return 0;
}

/* ---- config ------------------------------------------------------------------------ */

static const char *const db_lock_names[] = { "auto", "none", "all", NULL };

static const struct config_key db_keys[] = {
	{ "host", KT_STRING, CONFIG_JOB(db.host), 0, 0, NULL, false,
	  "server host name or address (or use socket)", NULL },
	{ "port", KT_INT, CONFIG_JOB(db.port), 1, 65535, "3306", false, NULL, NULL },
	{ "socket", KT_PATH, CONFIG_JOB(db.socket), 0, 0, NULL, false,
	  "server Unix socket (instead of host)", NULL },
	{ "user", KT_STRING, CONFIG_JOB(db.user), 0, 0, NULL, false, NULL, NULL },
	{ "password_file", KT_PATH, CONFIG_JOB(db.password_file), 0, 0, NULL, false,
	  "file holding the password, mode 0600", NULL },
	{ "defaults_file", KT_PATH, CONFIG_JOB(db.defaults_file), 0, 0, NULL, false,
	  "my.cnf-style file with a [client] group (instead of user/password_file)", NULL },
	{ "databases", KT_LIST, CONFIG_JOB(db.databases), 0, 0, "*", false,
	  "databases to dump; * = all but the system schemas", NULL },
	{ "exclude_tables", KT_LIST, CONFIG_JOB(db.exclude_tables), 0, 0, NULL, false,
	  "db.table globs not to dump", NULL },
	{ "lock", KT_ENUM, CONFIG_JOB(db.lock), 0, 0, "auto", false,
	  "global read lock: auto (only for MyISAM/Aria tables), none or all", db_lock_names },
	{ "chunk_rows", KT_COUNT, CONFIG_JOB(db.chunk_rows), 100, 100000000, "10000", false,
	  "rows read per primary-key range", NULL },
	{ "max_dump_time", KT_DURATION, CONFIG_JOB(db.max_dump_time), 0, 0, "1h", false,
	  "after this long a dump stops pausing for load", NULL },
	{ "restore_host", KT_STRING, CONFIG_JOB(db.restore_host), 0, 0, NULL, false,
	  "server that restore --database writes to (default: the same)", NULL },
};

static const char *const db_tuning[] = { "max_threads_running", NULL };

static void db_check(struct config_check *c, struct job *job)
{
	struct db_job *db = &job->db;

	if (db->host && db->socket)
		config_check_error(c, config_check_line(c, "socket"), "socket",
				   "set either host or socket, not both (host on line %d)",
				   config_check_line(c, "host"));
	if (!db->host && !db->socket) {
		db->host = strdup("localhost");
		if (!db->host)
			config_check_error(c, config_check_line(c, NULL), "host", "out of memory");
	}
	if (db->password_file && db->defaults_file)
		config_check_error(c, config_check_line(c, "defaults_file"), "defaults_file",
				   "set either password_file or defaults_file, not both (password_file on line %d)",
				   config_check_line(c, "password_file"));
	if (!db->user && !db->defaults_file)
		config_check_error(c, config_check_line(c, NULL), "user",
				   "missing (required unless defaults_file names the account)");
	for (size_t i = 0; i < db->databases.n; i++) {
		if (strcmp(db->databases.v[i], "*") == 0 && db->databases.n > 1)
			config_check_error(c, config_check_line(c, "databases"), "databases",
					   "'*' (all databases) cannot be combined with names");
	}
	for (size_t i = 0; i < db->exclude_tables.n; i++) {
		if (!strchr(db->exclude_tables.v[i], '.'))
			config_check_error(c, config_check_line(c, "exclude_tables"), "exclude_tables",
					   "'%s' is not of the form db.table", db->exclude_tables.v[i]);
	}
}

/* One dump, standing alone; verify hashes it whole. */
static const struct kind_layout db_layout = {
	.name = "db",
	.ext = { [RECORD_ARTIFACT_MAIN] = "sql.zst" },
	.chain = KIND_CHAIN_SELF,
	.max_chain = 1,
};

const struct jobkind_ops jobkind_db_ops = {
	.name = "db",
	.layout = &db_layout,
	.keys = db_keys,
	.nkeys = sizeof(db_keys) / sizeof(db_keys[0]),
	.tuning = db_tuning,
	.check = db_check,
	.run = db_run,
	.estimate = db_estimate,
	.dump_lock = db_dump_lock,
	.throttle = &db_throttle,
	.target = JOBKIND_TO_DATABASE,
	.restore = db_restore,
};

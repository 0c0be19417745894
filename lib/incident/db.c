/*
 * incident db — the evidence dump of one db job: dbdump_run (the job's own
 * consistent snapshot, databases and excludes) into db-JOB.sql.zst in the
 * incident dir — a file `zstd -dc | mariadb` restores, holding the database
 * as the attacker left it (the rogue admin row).  Not throttled, for the
 * reason files.c gives.  Does not restore (replace.c).
 */
#include "incident.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "compress.h"
#include "dbconn.h"
#include "dbdump.h"
#include "log.h"
#include "units.h"

struct ev_dump {
	struct evfile ev;
	struct zwriter *zw;
};

static int sink(void *ctx, const void *buf, size_t len)
{
	return evfile_write(&((struct ev_dump *)ctx)->ev, buf, len);
}

static int sql_write(void *ctx, const void *buf, size_t len)
{
	return zwriter_write(((struct ev_dump *)ctx)->zw, buf, len);
}

int incident_db(const struct config *cfg, const struct job *job, struct incident *inc,
		char *summary, size_t len)
{
	struct ev_dump d = { 0 };
	struct dbdump_opts o = { .job = job, .write = sql_write, .write_ctx = &d };
	char name[200], size[32], hex[SHA256_HEX_LEN + 1];
	json_t *facts = NULL;
	bool open_ev = false;
	uint64_t raw = 0;
	MYSQL *my = NULL;
	int r;

	(void)cfg;
	snprintf(name, sizeof(name), "db-%s.sql.zst", job->name);
	r = dbconn_open(job, NULL, &my);
	if (r == 0)
		open_ev = (r = evfile_open(inc, name, &d.ev)) == 0;
	if (r == 0)
		r = zwriter_open((int)job->tuning.compress_level, (int)job->tuning.compress_threads, sink, &d, &d.zw);
	if (r == 0)
		r = dbdump_run(my, &o, &facts);
	if (my)
		mysql_close(my);
	if (r == 0) {
		raw = zwriter_bytes_in(d.zw);
		r = zwriter_close(d.zw);
		d.zw = NULL;
	}
	zwriter_free(d.zw);
	if (r == 0) {
		r = evfile_finish(&d.ev, hex);
		open_ev = false;
	}
	if (open_ev)
		evfile_abort(&d.ev);
	if (r < 0) {
		json_decref(facts);
		snprintf(summary, len, "failed: %s (see the log)", strerror(-r));
		return r;
	}
	units_format_size_human(raw, size, sizeof(size));
	snprintf(summary, len, "dump of %s: %zu table(s), %s of SQL, server %s; %s sha256 %s",
		 job->name, json_array_size(json_object_get(facts, "tables")), size,
		 json_string_value(json_object_get(facts, "server_version")) ?
		 json_string_value(json_object_get(facts, "server_version")) : "?",
		 name, hex);
	json_decref(facts);
	return 0;
}

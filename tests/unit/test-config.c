/* Unit tests of lib/config: defaults, inheritance, printing, and every kind
 * of broken config producing the right "FILE:LINE: [section] key: ..." line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char path[64];

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/lifeboat-test-config-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void write_config(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* Loads TEXT (NULL: the file as it is), expecting success; the caller frees the config. */
static struct config *load_ok(const char *text)
{
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	int r;

	if (text)
		write_config(text);
	r = config_load(path, &cfg, &errs);
	for (size_t i = 0; i < errs.lines.n; i++)
		print_message("unexpected error: %s\n", errs.lines.v[i]);
	assert_int_equal(r, 0);
	assert_int_equal(errs.lines.n, 0);
	config_errors_free(&errs);
	return cfg;
}

static const char minimal_files[] =
	"[files:site]\n"
	"schedule = @daily\n"
	"path = /var/www/site\n";

static void test_defaults(void **state)
{
	struct config *cfg;
	const struct job *job;

	(void)state;
	cfg = load_ok(minimal_files);
	assert_string_equal(cfg->store, "/var/backups/lifeboat");
	assert_string_equal(cfg->state_dir, "/var/lib/lifeboat");
	assert_string_equal(cfg->socket, "/run/lifeboat/lifeboatd.sock");
	assert_string_equal(cfg->socket_group, "lifeboat");
	assert_true(cfg->min_free.is_percent);
	assert_float_equal(cfg->min_free.percent, 5.0, 1e-9);
	assert_int_equal(cfg->parallel_jobs, 1);
	assert_int_equal(cfg->stop_timeout, 60);
	assert_int_equal(cfg->njobs, 1);

	job = config_job(cfg, "site");
	assert_non_null(job);
	assert_null(config_job(cfg, "nope"));
	assert_int_equal(job->kind, JOB_FILES);
	assert_string_equal(job->files.path, "/var/www/site");
	assert_true(job->files.one_file_system);
	assert_int_equal(job->files.full_every, 7 * 86400);
	assert_int_equal(job->files.max_chain, 14);
	assert_int_equal(job->keep.keep_last, 3);
	assert_int_equal(job->keep.keep_daily, 7);
	assert_int_equal(job->keep.keep_weekly, 4);
	assert_int_equal(job->keep.keep_monthly, 12);
	assert_int_equal(job->keep.keep_hourly, 0);
	assert_float_equal(job->tuning.max_load, 0.8, 1e-9);
	assert_int_equal(job->tuning.max_wait, 7200);
	assert_int_equal(job->tuning.io_limit, 0);
	assert_true(job->tuning.max_latency_increase == 25.0);
	assert_int_equal(job->tuning.nice, 10);
	assert_int_equal(job->tuning.ionice.cls, IONICE_IDLE);
	assert_int_equal(job->tuning.compress_level, 3);
	assert_true(job->tuning.exclusive);
	assert_int_equal(job->schedule.when.kind, SCHEDULE_CRON);
	assert_string_equal(job->schedule.text, "@daily");
	config_free(cfg);
}

static void test_full_config(void **state)
{
	struct config *cfg;
	const struct job *db, *files, *logs;

	(void)state;
	cfg = load_ok(
		"# comment\n"
		"; another\n"
		"[db:shop]\n"
		"schedule = every 6h\n"
		"  socket = /run/mysqld/mysqld.sock   ; indented, with a comment\n"
		"user = backup\n"
		"password_file = /etc/lifeboat/shop.password\n"
		"databases = shop, forum\n"
		"exclude_tables = shop.sessions, forum.cache_*\n"
		"lock = none\n"
		"chunk_rows = 50K\n"
		"max_threads_running = 8\n"
		"nice = 5\n"
		"keep_daily = 14\n"
		"\n"
		"[lifeboat]\n"
		"store = /srv/backups\n"
		"max_load = 1.5\n"
		"io_limit = 10M\n"
		"ionice = best-effort:6\n"
		"min_free = 20G\n"
		"parallel_jobs = 2\n"
		"\n"
		"[logs:web]\n"
		"schedule = @hourly\n"
		"paths = /var/log/apache2/*.log, /var/log/auth.log\n"
		"io_limit = 0\n"
		"\n"
		"[files:site]\n"
		"schedule = 30 2 * * *\n"
		"path = /var/www/site\n"
		"exclude = cache/*, *.tmp\n"
		"one_file_system = no\n"
		"keep_last = 0\n"
		"keep_within = 30d\n");

	assert_string_equal(cfg->store, "/srv/backups");
	assert_false(cfg->min_free.is_percent);
	assert_int_equal(cfg->min_free.bytes, 20ull << 30);
	assert_int_equal(cfg->parallel_jobs, 2);
	assert_int_equal(cfg->njobs, 3);
	/* file order is kept */
	assert_string_equal(cfg->jobs[0].name, "shop");
	assert_string_equal(cfg->jobs[1].name, "web");
	assert_string_equal(cfg->jobs[2].name, "site");

	db = config_job(cfg, "shop");
	assert_int_equal(db->kind, JOB_DB);
	assert_null(db->db.host);
	assert_string_equal(db->db.socket, "/run/mysqld/mysqld.sock");
	assert_string_equal(db->db.user, "backup");
	assert_int_equal(db->db.databases.n, 2);
	assert_string_equal(db->db.databases.v[1], "forum");
	assert_int_equal(db->db.exclude_tables.n, 2);
	assert_int_equal(db->db.lock, DB_LOCK_NONE);
	assert_int_equal(db->db.chunk_rows, 50 * 1024);
	assert_int_equal(db->db.max_dump_time, 3600);
	assert_int_equal(db->schedule.when.kind, SCHEDULE_EVERY);
	assert_int_equal(db->schedule.when.every, 21600);
	/* tuning: own values win, the rest comes from [lifeboat] even when it is later in the file */
	assert_int_equal(db->tuning.max_threads_running, 8);
	assert_int_equal(db->tuning.nice, 5);
	assert_float_equal(db->tuning.max_load, 1.5, 1e-9);
	assert_int_equal(db->tuning.io_limit, 10ull << 20);
	assert_int_equal(db->tuning.ionice.cls, IONICE_BEST_EFFORT);
	assert_int_equal(db->tuning.ionice.level, 6);
	assert_int_equal(db->keep.keep_daily, 14);

	logs = config_job(cfg, "web");
	assert_int_equal(logs->tuning.io_limit, 0);
	assert_int_equal(logs->tuning.nice, 10);
	assert_int_equal(logs->logs.paths.n, 2);
	assert_int_equal(logs->logs.verify_every, 86400);

	files = config_job(cfg, "site");
	assert_false(files->files.one_file_system);
	assert_int_equal(files->files.exclude.n, 2);
	assert_int_equal(files->keep.keep_last, 0);
	assert_int_equal(files->keep.keep_within, 30 * 86400);
	config_free(cfg);
}

static void test_db_defaults_host(void **state)
{
	struct config *cfg;
	const struct job *db;

	(void)state;
	cfg = load_ok("[db:a]\nschedule = @daily\nuser = u\n");
	db = config_job(cfg, "a");
	assert_string_equal(db->db.host, "localhost");
	assert_int_equal(db->db.port, 3306);
	assert_int_equal(db->db.databases.n, 1);
	assert_string_equal(db->db.databases.v[0], "*");
	assert_int_equal(db->db.lock, DB_LOCK_AUTO);
	assert_int_equal(db->db.chunk_rows, 10000);
	assert_int_equal(db->tuning.max_threads_running, 16);
	config_free(cfg);
}

/* check-config's output is itself a valid config with the same meaning. */
static void test_print_round_trip(void **state)
{
	struct config *cfg, *again;
	char *text = NULL, *text2 = NULL;
	size_t len = 0, len2 = 0;
	FILE *mem;

	(void)state;
	cfg = load_ok("[lifeboat]\nmax_load = 1.25\nmin_free = 3%\n"
		      "[db:shop]\nschedule = 0 */4 * * 1-5\nuser = u\npassword_file = /etc/pw\n"
		      "databases = a, b\nio_limit = 512K\n"
		      "[files:site]\nschedule = @weekly\npath = /srv/www\nexclude = a/*, *.log\n");
	mem = open_memstream(&text, &len);
	assert_non_null(mem);
	config_print(cfg, mem);
	fclose(mem);
	assert_non_null(strstr(text, "max_load            = 1.25\n"));
	assert_non_null(strstr(text, "min_free            = 3%\n"));
	assert_non_null(strstr(text, "[db:shop]\n"));
	assert_non_null(strstr(text, "io_limit            = 512K\n"));
	assert_non_null(strstr(text, "password_file       = /etc/pw\n"));
	assert_non_null(strstr(text, "; socket            (not set)\n"));
	assert_non_null(strstr(text, "schedule            = 0 */4 * * 1-5\n"));
	write_config(text);
	again = load_ok(NULL);
	assert_int_equal(again->njobs, 2);
	assert_int_equal(config_job(again, "shop")->tuning.io_limit, 512 << 10);
	assert_int_equal(config_job(again, "site")->files.exclude.n, 2);
	mem = open_memstream(&text2, &len2);
	assert_non_null(mem);
	config_print(again, mem);
	fclose(mem);
	assert_string_equal(text, text2);
	free(text);
	free(text2);
	config_free(again);
	config_free(cfg);
}

/* The annotated example config that is installed must load. */
static void test_example_config(void **state)
{
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	int r;

	(void)state;
	r = config_load(TEST_SRCDIR "/../conf/lifeboat.ini", &cfg, &errs);
	for (size_t i = 0; i < errs.lines.n; i++)
		print_message("%s\n", errs.lines.v[i]);
	assert_int_equal(r, 0);
	assert_int_equal(cfg->njobs, 5);	/* db, files, logs, drill, watch */
	assert_string_equal(config_job(cfg, "shop")->db.password_file, "/etc/lifeboat/shop.password");
	assert_int_equal(config_job(cfg, "weekly")->kind, JOB_DRILL);
	assert_int_equal(config_job(cfg, "weekly")->drill.of.n, 3);
	config_free(cfg);
	config_errors_free(&errs);
}

struct broken {
	const char *what;
	const char *text;
	const char *want;	/* expected error, after "PATH:" */
};

static const struct broken broken[] = {
	{ "unknown section", "[global]\nstore = /x\n", "1: [global]: unknown section" },
	{ "unknown job kind", "[backup:x]\nschedule = @daily\n", "1: [backup:x]: unknown job kind 'backup'" },
	{ "bad job name", "[db:Shop]\nschedule = @daily\nuser = u\n", "1: [db:Shop]: job name 'Shop' is not valid" },
	{ "duplicate job name across kinds",
	  "[db:site]\nschedule = @daily\nuser = u\n[files:site]\nschedule = @daily\npath = /x\n",
	  "4: [files:site]: duplicate job name 'site' (first on line 1)" },
	{ "unknown key", "[lifeboat]\nstroe = /x\n", "2: [lifeboat] stroe: unknown key" },
	{ "key of another kind", "[files:a]\nschedule = @daily\npath = /x\nchunk_rows = 10\n",
	  "4: [files:a] chunk_rows: not valid for files jobs" },
	{ "job key in [lifeboat]", "[lifeboat]\nschedule = @daily\n",
	  "2: [lifeboat] schedule: not valid in [lifeboat]" },
	{ "missing path", "[files:a]\nschedule = @daily\n", "1: [files:a] path: missing (required for files jobs)" },
	{ "missing schedule", "\n\n[logs:l]\npaths = /var/log/x.log\n",
	  "3: [logs:l] schedule: missing (required for logs jobs)" },
	{ "missing paths", "[logs:l]\nschedule = @daily\n", "1: [logs:l] paths: missing" },
	{ "bad size", "[lifeboat]\nio_limit = 40 MB\n", "2: [lifeboat] io_limit: expected a size like 512K, 40M or 2G (got '40 MB')" },
	{ "bad duration", "[lifeboat]\nmax_wait = 2\n", "2: [lifeboat] max_wait: a duration needs a unit" },
	{ "bad percent", "[lifeboat]\nmin_free = 150%\n", "2: [lifeboat] min_free: a percentage must be between 0% and 100%" },
	{ "bad decimal", "[lifeboat]\nmax_load = high\n", "2: [lifeboat] max_load: expected a number like 0.8" },
	{ "nice out of range", "[lifeboat]\nnice = 25\n", "2: [lifeboat] nice: 25 is out of range -20 to 19" },
	{ "bad bool", "[files:a]\nschedule = @daily\npath = /x\none_file_system = maybe\n",
	  "4: [files:a] one_file_system: expected yes or no" },
	{ "bad schedule", "[files:a]\nschedule = 61 * * * *\npath = /x\n", "2: [files:a] schedule: " },
	{ "relative path", "[files:a]\nschedule = @daily\npath = www/site\n", "3: [files:a] path: must be an absolute path" },
	{ "bad ionice", "[lifeboat]\nionice = realtime\n", "2: [lifeboat] ionice: expected idle, best-effort[:0-7] or none" },
	{ "bad lock", "[db:a]\nschedule = @daily\nuser = u\nlock = some\n", "4: [db:a] lock: expected auto, none or all" },
	{ "key set twice", "[lifeboat]\nnice = 1\nnice = 2\n", "3: [lifeboat] nice: set twice (first on line 2)" },
	{ "list set again later", "[files:a]\nschedule = @daily\nexclude = a\npath = /x\nexclude = b\n",
	  "5: [files:a] exclude: set twice (first on line 3)" },
	{ "host and socket", "[db:a]\nschedule = @daily\nuser = u\nhost = h\nsocket = /s\n",
	  "5: [db:a] socket: set either host or socket, not both (host on line 4)" },
	{ "password_file and defaults_file",
	  "[db:a]\nschedule = @daily\nuser = u\npassword_file = /p\ndefaults_file = /d\n",
	  "5: [db:a] defaults_file: set either password_file or defaults_file, not both" },
	{ "db without user", "[db:a]\nschedule = @daily\n", "1: [db:a] user: missing" },
	{ "retention keeps nothing",
	  "[files:a]\nschedule = @daily\npath = /x\nkeep_last = 0\nkeep_daily = 0\nkeep_weekly = 0\nkeep_monthly = 0\n",
	  "1: [files:a] keep_*: this retention policy keeps no backup at all" },
	{ "key outside a section", "nice = 3\n[lifeboat]\n", "1: nice: key outside of any section" },
	{ "line without =", "[lifeboat]\nstore /x\n", "2: [lifeboat]: expected 'key = value', found 'store /x'" },
	{ "header without ]", "[lifeboat\nstore = /x\n", "1: section header without ']'" },
	{ "repeated [lifeboat]", "[lifeboat]\n[lifeboat]\n", "2: [lifeboat]: section repeated (first on line 1)" },
	{ "empty value", "[lifeboat]\nsocket_group =\n", "2: [lifeboat] socket_group: empty value" },
	{ "watch without files", "[watch:w]\nschedule = @daily\n", "1: [watch:w] files: missing" },
	{ "watch of no files job", "[watch:w]\nschedule = @daily\nfiles = nope\n",
	  "3: [watch:w] files: 'nope' is not a files job of this config" },
	{ "watch of a logs job", "[logs:l]\nschedule = @daily\npaths = /x\n[watch:w]\nschedule = @daily\nfiles = l\n",
	  "6: [watch:w] files: 'l' is not a files job of this config" },
	{ "every_requests alone",
	  "[files:s]\nschedule = @daily\npath = /x\n[watch:w]\nschedule = @daily\nfiles = s\nevery_requests = 10\n",
	  "7: [watch:w] every_requests: needs requests_from = LOGSJOB" },
	{ "requests_from not logs",
	  "[files:s]\nschedule = @daily\npath = /x\n[watch:w]\nschedule = @daily\nfiles = s\nevery_requests = 10\nrequests_from = s\n",
	  "8: [watch:w] requests_from: 's' is not a logs job of this config" },
	{ "star with names", "[db:a]\nschedule = @daily\nuser = u\ndatabases = *, shop\n",
	  "4: [db:a] databases: '*' (all databases) cannot be combined with names" },
	{ "exclude without db", "[db:a]\nschedule = @daily\nuser = u\nexclude_tables = sessions\n",
	  "4: [db:a] exclude_tables: 'sessions' is not of the form db.table" },
	{ "chunk_rows too small", "[db:a]\nschedule = @daily\nuser = u\nchunk_rows = 5\n",
	  "4: [db:a] chunk_rows: 5 is out of range 100 to 100000000" },
};

static void test_broken_configs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		struct config_errors errs = { 0 };
		struct config *cfg = (struct config *)1;
		char want[512];
		bool found = false;
		int r;

		write_config(broken[i].text);
		r = config_load(path, &cfg, &errs);
		snprintf(want, sizeof(want), "%s:%s", path, broken[i].want);
		for (size_t e = 0; e < errs.lines.n; e++) {
			if (strncmp(errs.lines.v[e], want, strlen(want)) == 0)
				found = true;
		}
		if (r != -EINVAL || cfg != NULL || !found) {
			print_message("case '%s': r=%d, want error starting with\n  %s\ngot:\n", broken[i].what, r, want);
			for (size_t e = 0; e < errs.lines.n; e++)
				print_message("  %s\n", errs.lines.v[e]);
			fail_msg("broken config '%s' not reported as expected", broken[i].what);
		}
		config_errors_free(&errs);
	}
}

/* All the errors of a file are reported at once, in file order. */
static void test_all_errors_reported(void **state)
{
	struct config_errors errs = { 0 };
	struct config *cfg;
	int r;

	(void)state;
	write_config("[lifeboat]\n"
		     "nice = 99\n"
		     "io_limit = fast\n"
		     "colour = blue\n"
		     "[files:a]\n"
		     "schedule = @often\n");
	r = config_load(path, &cfg, &errs);
	assert_int_equal(r, -EINVAL);
	assert_null(cfg);
	assert_int_equal(errs.lines.n, 5);
	assert_non_null(strstr(errs.lines.v[0], ":2: [lifeboat] nice:"));
	assert_non_null(strstr(errs.lines.v[1], ":3: [lifeboat] io_limit:"));
	assert_non_null(strstr(errs.lines.v[2], ":4: [lifeboat] colour: unknown key"));
	assert_non_null(strstr(errs.lines.v[3], ":6: [files:a] schedule:"));
	assert_non_null(strstr(errs.lines.v[4], ":5: [files:a] path: missing"));
	config_errors_free(&errs);
}

/* Many jobs, each setting many keys: more than 120 keys set across jobs (the
 * key table once had room for 64 keys in a bitmask).  Each value lands in its
 * own job, tuning a job sets is its own and the rest comes from [lifeboat];
 * errors in the last job still name file, line, section and key. */
struct big_config {
	char *text;
	size_t len;
	FILE *f;
	int line;			/* lines written so far */
	int set;			/* key = value lines written */
};

static void big_line(struct big_config *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void big_line(struct big_config *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(b->f, fmt, ap);
	va_end(ap);
	fputc('\n', b->f);
	b->line++;
	if (strchr(fmt, '='))
		b->set++;
}

#define BIG_JOBS 12

static void big_write(struct big_config *b)
{
	static const char *const kinds[] = { "db", "files", "logs" };

	memset(b, 0, sizeof(*b));
	b->f = open_memstream(&b->text, &b->len);
	assert_non_null(b->f);
	big_line(b, "[lifeboat]");
	big_line(b, "io_limit = 7M");
	big_line(b, "max_threads_running = 9");
	for (int i = 0; i < BIG_JOBS; i++) {
		const char *kind = kinds[i % 3];

		big_line(b, "[%s:j%d]", kind, i);
		big_line(b, "schedule = @daily");
		big_line(b, "jitter = %dm", i + 1);
		big_line(b, "keep_last = %d", i + 2);
		big_line(b, "keep_daily = %d", i + 3);
		big_line(b, "keep_within = %dd", i + 1);
		big_line(b, "nice = %d", i);
		big_line(b, "compress_level = %d", 1 + i);
		big_line(b, "max_load = %d.5", i);
		big_line(b, "on_success = echo %d", i);
		if (i % 3 == 0) {
			big_line(b, "user = u%d", i);
			big_line(b, "port = %d", 3300 + i);
			big_line(b, "databases = shop%d, blog%d", i, i);
			big_line(b, "chunk_rows = %d", 1000 + i);
			big_line(b, "max_threads_running = %d", 20 + i);
			big_line(b, "max_dump_time = %dm", 10 + i);
		} else if (i % 3 == 1) {
			big_line(b, "path = /srv/site%d", i);
			big_line(b, "exclude = cache%d/*", i);
			big_line(b, "max_chain = %d", i);
			big_line(b, "full_every = %dd", i);
			big_line(b, "exclusive = no");
		} else {
			big_line(b, "paths = /var/log/site%d/*.log", i);
			big_line(b, "verify_every = %dh", i);
			big_line(b, "exclusive = no");
		}
	}
}

static void test_many_keys_across_jobs(void **state)
{
	struct config_errors errs = { 0 };
	struct big_config b;
	struct config *cfg;
	char want[256];
	int dup_first, dup_line, unknown_line, foreign_line;

	(void)state;
	big_write(&b);
	assert_int_equal(fclose(b.f), 0);
	assert_true(b.set >= 120);
	cfg = load_ok(b.text);
	assert_int_equal(cfg->njobs, BIG_JOBS);
	for (int i = 0; i < BIG_JOBS; i++) {
		const struct job *job = &cfg->jobs[i];
		char name[16];

		snprintf(name, sizeof(name), "j%d", i);
		assert_string_equal(job->name, name);
		assert_int_equal(job->jitter, (i + 1) * 60);
		assert_int_equal(job->keep.keep_last, i + 2);
		assert_int_equal(job->keep.keep_daily, i + 3);
		assert_int_equal(job->keep.keep_within, (i + 1) * 86400);
		assert_int_equal(job->tuning.nice, i);
		assert_int_equal(job->tuning.compress_level, 1 + i);
		assert_true(job->tuning.max_load == i + 0.5);
		assert_true(config_job_sets(job, "nice"));
		assert_false(config_job_sets(job, "io_limit"));
		assert_int_equal(job->tuning.io_limit, 7 * 1024 * 1024);	/* from [lifeboat] */
		if (i % 3 == 0) {
			assert_int_equal(job->kind, JOB_DB);
			assert_int_equal(job->db.port, 3300 + i);
			assert_int_equal(job->db.databases.n, 2);
			assert_int_equal(job->db.chunk_rows, 1000 + i);
			assert_int_equal(job->tuning.max_threads_running, 20 + i);
			assert_true(config_job_sets(job, "max_threads_running"));
			assert_int_equal(job->db.max_dump_time, (10 + i) * 60);
		} else if (i % 3 == 1) {
			assert_int_equal(job->kind, JOB_FILES);
			snprintf(name, sizeof(name), "/srv/site%d", i);
			assert_string_equal(job->files.path, name);
			assert_int_equal(job->files.max_chain, i);
			assert_false(job->tuning.exclusive);
		} else {
			assert_int_equal(job->kind, JOB_LOGS);
			assert_int_equal(job->logs.verify_every, i * 3600);
			assert_false(job->tuning.exclusive);
		}
	}
	config_free(cfg);
	free(b.text);

	/* The same, with a key set twice, an unknown key and a key of another
	 * kind in the last job: each error names file, line, section and key. */
	big_write(&b);
	dup_first = b.line - 1;		/* the last job's verify_every (it is a logs job) */
	big_line(&b, "verify_every = 2h");
	dup_line = b.line;
	big_line(&b, "no_such_key = 1");
	unknown_line = b.line;
	big_line(&b, "chunk_rows = 5000");
	foreign_line = b.line;
	assert_int_equal(fclose(b.f), 0);
	write_config(b.text);
	assert_int_equal(config_load(path, &cfg, &errs), -EINVAL);
	assert_null(cfg);
	assert_int_equal(errs.lines.n, 3);
	snprintf(want, sizeof(want), "%s:%d: [logs:j%d] verify_every: set twice (first on line %d)", path, dup_line,
		 BIG_JOBS - 1, dup_first);
	assert_string_equal(errs.lines.v[0], want);
	snprintf(want, sizeof(want), "%s:%d: [logs:j%d] no_such_key: unknown key", path, unknown_line, BIG_JOBS - 1);
	assert_string_equal(errs.lines.v[1], want);
	snprintf(want, sizeof(want), "%s:%d: [logs:j%d] chunk_rows: not valid for logs jobs", path, foreign_line,
		 BIG_JOBS - 1);
	assert_string_equal(errs.lines.v[2], want);
	config_errors_free(&errs);
	free(b.text);
}

static void test_missing_file(void **state)
{
	struct config_errors errs = { 0 };
	struct config *cfg;

	(void)state;
	assert_int_equal(config_load("/nonexistent/lifeboat.ini", &cfg, &errs), -ENOENT);
	assert_null(cfg);
	assert_int_equal(errs.lines.n, 1);
	assert_string_equal(errs.lines.v[0], "/nonexistent/lifeboat.ini: cannot open: No such file or directory");
	config_errors_free(&errs);
}

/* inih's line limit: a long line is one clear error, and no part of it is
 * taken for another key; a long list goes on over repeated keys instead. */
static void test_long_line(void **state)
{
	struct config_errors errs = { 0 };
	struct config *cfg;
	char text[4096];
	int n;

	(void)state;
	n = snprintf(text, sizeof(text), "[files:a]\nschedule = @daily\npath = /x\nexclude = ");
	while (n < 3000)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "dir%d/*, ", n);
	snprintf(text + n, sizeof(text) - (size_t)n, "last\nnice = 1\n");
	write_config(text);
	assert_int_equal(config_load(path, &cfg, &errs), -EINVAL);
	assert_int_equal(errs.lines.n, 1);
	assert_non_null(strstr(errs.lines.v[0], ":4: line is longer than"));
	config_errors_free(&errs);

	cfg = load_ok("[files:a]\nschedule = @daily\npath = /x\n"
		      "exclude = a/*, b/*\n"
		      "exclude = c/*\n"
		      "[db:d]\nschedule = @daily\nuser = u\ndatabases = one\ndatabases = two, three\n");
	assert_int_equal(config_job(cfg, "a")->files.exclude.n, 3);
	assert_string_equal(config_job(cfg, "a")->files.exclude.v[2], "c/*");
	/* the default "*" is replaced by the first line, not kept */
	assert_int_equal(config_job(cfg, "d")->db.databases.n, 3);
	assert_string_equal(config_job(cfg, "d")->db.databases.v[0], "one");
	config_free(cfg);

	/* check-config's output of a long list loads again, whole. */
	{
		struct config *again;
		char *out = NULL;
		size_t len = 0;
		FILE *mem;

		n = snprintf(text, sizeof(text), "[files:a]\nschedule = @daily\npath = /x\n");
		for (int i = 0; i < 60; i++)
			n += snprintf(text + n, sizeof(text) - (size_t)n, "exclude = some/long/dir%02d/*\n", i);
		cfg = load_ok(text);
		mem = open_memstream(&out, &len);
		config_print(cfg, mem);
		fclose(mem);
		write_config(out);
		free(out);
		again = load_ok(NULL);
		assert_int_equal(config_job(again, "a")->files.exclude.n, 60);
		assert_string_equal(config_job(again, "a")->files.exclude.v[59], "some/long/dir59/*");
		config_free(again);
		config_free(cfg);
	}
}

static void test_path_choose(void **state)
{
	(void)state;
	unsetenv(CONFIG_ENV);
	assert_string_equal(config_path_choose(NULL), CONFIG_DEFAULT_PATH);
	setenv(CONFIG_ENV, "/tmp/x.ini", 1);
	assert_string_equal(config_path_choose(NULL), "/tmp/x.ini");
	assert_string_equal(config_path_choose("/etc/y.ini"), "/etc/y.ini");
	unsetenv(CONFIG_ENV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_defaults_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_round_trip, setup, teardown),
		cmocka_unit_test(test_example_config),
		cmocka_unit_test_setup_teardown(test_broken_configs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_errors_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_keys_across_jobs, setup, teardown),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
		cmocka_unit_test(test_path_choose),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of lib/metrics: the text format's escaping of hostile label
 * values (quotes, backslashes, newlines, control bytes, bytes that are not
 * UTF-8, overlong and surrogate encodings, cuts at a character boundary),
 * value formatting, the family table's rules, a render of a config whose
 * jobs never ran, and a render of a drill's and an offsite target's state
 * files as the drill and the sync leave them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "metrics.h"
#include "metrics_int.h"
#include "metrics_text.h"
#include "testutil.h"

/* V escaped as a label value, as a new string. */
static char *escaped(const char *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	mtext_escape_label(fp, v);
	fclose(fp);
	return buf;
}

static void check_escape(const char *in, const char *want)
{
	char *got = escaped(in);

	assert_string_equal(got, want);
	free(got);
}

static void test_escape(void **state)
{
	(void)state;
	check_escape("shop", "shop");
	check_escape("a\"b", "a\\\"b");
	check_escape("a\\b", "a\\\\b");
	check_escape("line1\nline2", "line1\\nline2");
	check_escape("tab\there\r\x1b[31m\x7f", "tab?here??[31m?");
	/* A label value that tries to end itself and add a sample of its own. */
	check_escape("x\"} 1\nlifeboat_fake 2\n#", "x\\\"} 1\\nlifeboat_fake 2\\n#");
	/* UTF-8 is kept; what is not UTF-8 becomes one '?' per byte. */
	check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	check_escape("\xff\xfe", "??");
	check_escape("a\xc3", "a?");			/* cut short at the end */
	check_escape("\xc3(", "?(");			/* a lead byte without its continuation */
	check_escape("\xc0\xaf", "??");			/* overlong '/' */
	check_escape("\xe0\x80\xaf", "???");		/* overlong, three bytes */
	check_escape("\xed\xa0\x80", "???");		/* a UTF-16 surrogate */
	check_escape("\xf4\x90\x80\x80", "????");	/* past U+10FFFF */
	check_escape("", "");
}

static void test_escape_cut(void **state)
{
	char in[METRICS_LABEL_MAX + 16], *got;

	(void)state;
	/* ASCII: cut at exactly METRICS_LABEL_MAX bytes. */
	memset(in, 'a', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	got = escaped(in);
	assert_int_equal(strlen(got), METRICS_LABEL_MAX);
	free(got);
	/* A two-byte character straddling the limit is dropped whole. */
	memset(in, 'a', METRICS_LABEL_MAX - 1);
	strcpy(in + METRICS_LABEL_MAX - 1, "\xc3\xa9zz");
	got = escaped(in);
	assert_int_equal(strlen(got), METRICS_LABEL_MAX - 1);
	assert_int_equal(strchr(got, '\xc3'), NULL);
	free(got);
}

static void test_samples(void **state)
{
	const char *labels[] = { "job", "shop", "kind", "db", NULL };
	const char *hostile[] = { "file", "/var/log/a\"b\\c\nd", NULL };
	struct mtext t;
	char *text;
	size_t len;

	(void)state;
	assert_int_equal(mtext_open(&t), 0);
	mtext_family(&t, "lifeboat_x_seconds", "gauge", "Help with a \\ and a\nnewline.");
	mtext_sample(&t, "lifeboat_x_seconds", labels, 1796354371);
	mtext_sample(&t, "lifeboat_x_seconds", labels, 0.1);
	mtext_sample(&t, "lifeboat_x_seconds", NULL, 1e-7);
	mtext_sample(&t, "lifeboat_x_seconds", hostile, 2.5);
	assert_int_equal(mtext_finish(&t, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	assert_string_equal(text,
		"# HELP lifeboat_x_seconds Help with a \\\\ and a\\nnewline.\n"
		"# TYPE lifeboat_x_seconds gauge\n"
		"lifeboat_x_seconds{job=\"shop\",kind=\"db\"} 1796354371\n"
		"lifeboat_x_seconds{job=\"shop\",kind=\"db\"} 0.1\n"
		"lifeboat_x_seconds 1e-07\n"
		"lifeboat_x_seconds{file=\"/var/log/a\\\"b\\\\c\\nd\"} 2.5\n");
	free(text);
}

/* Every family: a lifeboat_ name in Prometheus's alphabet, unique, a known
 * type, one way of producing samples, a help line. */
static void test_table(void **state)
{
	regex_t re;

	(void)state;
	assert_int_equal(regcomp(&re, "^lifeboat_[a-z0-9_]*[a-z0-9]$", REG_EXTENDED | REG_NOSUB), 0);
	assert_true(metric_nfamilies > 0);
	for (size_t i = 0; i < metric_nfamilies; i++) {
		const struct metric_family *f = &metric_families[i];

		assert_int_equal(regexec(&re, f->name, 0, NULL, 0), 0);
		assert_true(strcmp(f->type, "gauge") == 0 || strcmp(f->type, "counter") == 0);
		assert_true(!f->job_value != !f->collect);
		assert_true(f->help && *f->help);
		if (strcmp(f->type, "counter") == 0)
			assert_non_null(strstr(f->name, "_total"));
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(f->name, metric_families[k].name);
	}
	regfree(&re);
}

/* Jobs that never ran: no per-run sample, but the families are announced,
 * each once, and the per-job constants are there. */
static void test_render_fresh(void **state)
{
	const char *dir = *state;
	char ini[1024], *text = NULL;
	struct config *cfg = NULL;
	struct config_errors errs = { 0 };
	size_t len;

	snprintf(ini, sizeof(ini),
		 "[lifeboat]\nstore = %s/store\nstate_dir = %s/state\nmetrics_file = %s/m.prom\n"
		 "[files:site]\nschedule = @daily\npath = /srv/www\n", dir, dir, dir);
	assert_int_equal(config_load_text("t.ini", ini, strlen(ini), &cfg, &errs), 0);
	assert_int_equal(metrics_render(cfg, 1796354371, &text, &len), 0);
	for (size_t i = 0; i < metric_nfamilies; i++) {
		char help[256];

		snprintf(help, sizeof(help), "# TYPE %s ", metric_families[i].name);
		assert_non_null(strstr(text, help));
		assert_null(strstr(strstr(text, help) + 1, help));
	}
	assert_null(strstr(text, "lifeboat_job_last_run_timestamp_seconds{"));
	assert_non_null(strstr(text, "lifeboat_job_schedule_interval_seconds{job=\"site\",kind=\"files\"} 86400\n"));
	assert_non_null(strstr(text, "lifeboat_metrics_written_timestamp_seconds 1796354371\n"));
	free(text);
	/* And the file: written whole, 0644. */
	assert_int_equal(metrics_write(cfg), 0);
	config_free(cfg);
	config_errors_free(&errs);
}

static void put(const char *dir, const char *rel, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* TEXT has the sample SERIES (name and labels) with value WANT. */
static void want_sample(const char *text, const char *series, double want)
{
	char buf[1024];
	const char *at;

	snprintf(buf, sizeof(buf), "\n%s ", series);
	at = strstr(text, buf);
	if (!at) {
		fprintf(stderr, "%s", text);
		fail_msg("no sample %s", series);
	}
	assert_true(strtod(at + strlen(buf), NULL) == want);
}

/* A drill's state file (drill.h) and an offsite target's status.json, as
 * the drill and a failing sync write them: the drill and offsite families
 * say what they hold, the server's error text escaped in its label.  No
 * store: the queue is empty. */
static void test_render_drill_offsite(void **state)
{
	const char *dir = *state;
	char ini[2048], sub[1024], *text = NULL;
	struct config *cfg = NULL;
	struct config_errors errs = { 0 };
	size_t len;

	snprintf(sub, sizeof(sub), "%s/state", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/state/drill", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/state/offsite", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/state/offsite/s3", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	put(dir, "state/drill/site.json",
	    "{\"last\": {\"finished\": \"2026-12-01T10:00:00Z\", \"result\": \"failed\", \"restore_seconds\": 12.5},"
	    " \"last_ok\": {\"finished\": \"2026-11-24T10:00:00Z\", \"result\": \"ok\", \"restore_seconds\": 10}}");
	put(dir, "state/offsite/s3/status.json",
	    "{\"last_sync\": 1796350000, \"last_ok\": 1796000000, \"failing_since\": 1796200000,"
	    " \"last_error\": \"PUT site/x: 403 \\\"Forbidden\\\"\", \"jobs\": {}}");
	put(dir, "cred", "[default]\naws_access_key_id = A\naws_secret_access_key = B\n");
	snprintf(ini, sizeof(ini),
		 "[lifeboat]\nstore = %s/store\nstate_dir = %s/state\n"
		 "[files:site]\nschedule = @daily\npath = /srv/www\n"
		 "[files:other]\nschedule = @daily\npath = /srv/other\n"
		 "[drill:weekly]\nschedule = @weekly\nof = site\n"
		 "[offsite:s3]\nurl = s3://bucket/p\nendpoint = http://127.0.0.1:9\ncredentials_file = %s/cred\n"
		 "key_file = %s/key\njobs = site\n", dir, dir, dir, dir);
	if (config_load_text("t.ini", ini, strlen(ini), &cfg, &errs) != 0)
		fail_msg("config: %s", errs.lines.n ? errs.lines.v[0] : "?");
	assert_int_equal(metrics_render(cfg, 1796354371, &text, &len), 0);
	want_sample(text, "lifeboat_job_last_drill_timestamp_seconds{job=\"site\",kind=\"files\"}", 1796119200);
	want_sample(text, "lifeboat_job_last_drill_success_timestamp_seconds{job=\"site\",kind=\"files\"}", 1795514400);
	want_sample(text, "lifeboat_job_last_drill_result{job=\"site\",kind=\"files\",result=\"failed\"}", 1);
	want_sample(text, "lifeboat_job_last_drill_result{job=\"site\",kind=\"files\",result=\"ok\"}", 0);
	want_sample(text, "lifeboat_job_last_drill_restore_seconds{job=\"site\",kind=\"files\"}", 12.5);
	assert_null(strstr(text, "lifeboat_job_last_drill_timestamp_seconds{job=\"other\""));
	want_sample(text, "lifeboat_offsite_queue_backups{offsite=\"s3\",job=\"site\"}", 0);
	want_sample(text, "lifeboat_offsite_lag_seconds{offsite=\"s3\",job=\"site\"}", 0);
	assert_null(strstr(text, "lifeboat_offsite_queue_backups{offsite=\"s3\",job=\"other\""));
	want_sample(text, "lifeboat_offsite_last_success_timestamp_seconds{offsite=\"s3\"}", 1796000000);
	want_sample(text, "lifeboat_offsite_last_sync_timestamp_seconds{offsite=\"s3\"}", 1796350000);
	want_sample(text, "lifeboat_offsite_failing_since_timestamp_seconds{offsite=\"s3\",error=\"PUT site/x: 403 \\\"Forbidden\\\"\"}", 1796200000);
	want_sample(text, "lifeboat_offsite_health{offsite=\"s3\"}", 2);
	free(text);
	config_free(cfg);
	config_errors_free(&errs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_cut),
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_table),
		cmocka_unit_test_setup_teardown(test_render_fresh, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_render_drill_offsite, test_tmpdir_setup, test_tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

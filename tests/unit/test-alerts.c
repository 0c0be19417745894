/*
 * test-alerts — raising, listing and acknowledging alerts in a state dir:
 * ids count up per job and are never reused, acknowledging by id or by job
 * (and never a job whose name merely starts the same), files 0600, and an
 * unreadable alert file reported rather than hidden.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "alerts.h"
#include "log.h"

static char dir[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test-alerts-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	test_rm_rf(dir);
	return 0;
}

static void raise_one(const char *job, const char *kind, const char *want_id)
{
	struct alert_new a = { .job = job, .kind = kind, .file = "/var/log/x.log", .offset = 42,
			       .message = "log rewritten" };
	char id[ALERT_ID_MAX];

	assert_int_equal(alerts_raise(dir, &a, id), 0);
	assert_string_equal(id, want_id);
}

static size_t count_open(const char *job)
{
	json_t *arr;
	size_t n;

	assert_int_equal(alerts_list(dir, job, &arr), 0);
	n = json_array_size(arr);
	json_decref(arr);
	return n;
}

static void test_empty_state_dir_lists_nothing(void **state)
{
	(void)state;
	assert_int_equal(count_open(NULL), 0);
}

static void test_raise_list_fields_and_mode(void **state)
{
	char path[PATH_MAX + 64];
	struct stat stbuf;
	json_t *arr, *a;

	(void)state;
	raise_one("web", "rewritten", "web-1");
	raise_one("web", "deleted", "web-2");
	raise_one("auth", "truncated", "auth-1");
	assert_int_equal(alerts_list(dir, "web", &arr), 0);
	assert_int_equal(json_array_size(arr), 2);
	a = json_array_get(arr, 0);
	assert_string_equal(json_string_value(json_object_get(a, "id")), "web-1");
	assert_string_equal(json_string_value(json_object_get(a, "kind")), "rewritten");
	assert_string_equal(json_string_value(json_object_get(a, "file")), "/var/log/x.log");
	assert_int_equal(json_integer_value(json_object_get(a, "offset")), 42);
	assert_non_null(json_string_value(json_object_get(a, "found")));
	json_decref(arr);
	assert_int_equal(count_open(NULL), 3);
	snprintf(path, sizeof(path), "%s/alerts/open/web-1.json", dir);
	assert_int_equal(stat(path, &stbuf), 0);
	assert_int_equal(stbuf.st_mode & 0777, 0600);
}

static void test_ack_by_id_then_by_job_and_ids_not_reused(void **state)
{
	size_t n;

	(void)state;
	raise_one("web", "rewritten", "web-1");
	raise_one("web", "deleted", "web-2");
	raise_one("web2", "deleted", "web2-1");
	assert_int_equal(alerts_ack(dir, "web-1", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count_open("web"), 1);
	/* "web" must not take web2's alert with it. */
	assert_int_equal(alerts_ack(dir, "web", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count_open("web"), 0);
	assert_int_equal(count_open("web2"), 1);
	assert_int_equal(alerts_ack(dir, "web", &n), -ENOENT);
	assert_int_equal(alerts_ack(dir, "nosuch-7", &n), -ENOENT);
	/* A new tamper after an ack is a new alert with a new id. */
	raise_one("web", "replaced", "web-3");
	assert_int_equal(count_open("web"), 1);
}

/* Job names may hold '-' and digits: "web-2" is alert 2 of job web, and
 * acknowledging it leaves the alerts of a job named web-2 alone. */
static void test_ack_id_that_is_also_a_job_name(void **state)
{
	size_t n;

	(void)state;
	raise_one("web", "rewritten", "web-1");
	raise_one("web", "deleted", "web-2");
	raise_one("web-2", "deleted", "web-2-1");
	assert_true(alerts_is_open_id(dir, "web-2"));
	assert_int_equal(alerts_ack(dir, "web-2", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count_open("web-2"), 1);
	assert_int_equal(count_open("web"), 1);
	/* Now no open alert has that id: it names the job. */
	assert_false(alerts_is_open_id(dir, "web-2"));
	assert_int_equal(alerts_ack(dir, "web-2", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count_open("web-2"), 0);
	assert_int_equal(count_open("web"), 1);
}

static void test_corrupt_alert_file_is_reported(void **state)
{
	char path[PATH_MAX + 64];
	FILE *f;

	(void)state;
	raise_one("web", "rewritten", "web-1");
	snprintf(path, sizeof(path), "%s/alerts/open/web-9.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{not json", f);
	fclose(f);
	log_clear_last_error();
	assert_int_equal(count_open(NULL), 1);
	/* The broken file's number still counts: ids are never reused. */
	raise_one("web", "rewritten", "web-10");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty_state_dir_lists_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raise_list_fields_and_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_by_id_then_by_job_and_ids_not_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_id_that_is_also_a_job_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_alert_file_is_reported, setup, teardown),
	};

	log_init("test-alerts", LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

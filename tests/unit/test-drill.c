/*
 * test-drill — the parts of a drill that stand alone: the scratch database's
 * name (always lifeboat_drill_..., at most 64 characters, distinct for long
 * names that share a prefix), the cleanup of a killed drill's scratch
 * directories (every lifeboat_drill_* entry goes, read-only trees and
 * symlinks included, without following a symlink out; nothing else is
 * touched; a scratch directory others may write to, or a symlink, is
 * refused), the per-job state file status reads (last_ok survives a failed
 * drill; a corrupt file is an error), and which drills cover which jobs.
 * The drills themselves are driven by tests/e2e/drill.sh and drill-kill.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "drill.h"
#include "drill_int.h"
#include "fsutil.h"
#include "log.h"

static void touch(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static bool exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (!dir)
		return false;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

static void test_db_name(void **state)
{
	char a[65], b[65], longa[80], longb[80];

	(void)state;
	drill_db_name("shop", a);
	assert_string_equal(a, "lifeboat_drill_shop");
	memset(longa, 'x', 70);
	longa[70] = '\0';
	memcpy(longb, longa, sizeof(longa));
	longb[69] = 'y';
	drill_db_name(longa, a);
	drill_db_name(longb, b);
	assert_true(strlen(a) <= 64);
	assert_int_equal(strncmp(a, DRILL_PREFIX, strlen(DRILL_PREFIX)), 0);
	assert_string_not_equal(a, b);
	/* A name that just fits is kept whole. */
	longa[64 - strlen(DRILL_PREFIX)] = '\0';
	drill_db_name(longa, a);
	assert_int_equal(strlen(a), 64);
}

static void test_scratch_clean(void **state)
{
	const char *dir = *state;

	assert_non_null(dir);
	if (!dir)
		return;
	char path[PATH_MAX], outside[PATH_MAX];

	/* A leftover tree with a read-only directory, a leftover file, a
	 * symlink named like a leftover pointing outside, and things not ours. */
	snprintf(path, sizeof(path), "%s/lifeboat_drill_site", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/lifeboat_drill_site/restored", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	touch(path, "index.php", "<?php\n");
	assert_int_equal(chmod(path, 0500), 0);
	touch(dir, "lifeboat_drill_stray", "x");
	snprintf(outside, sizeof(outside), "%s/keep", dir);
	assert_int_equal(mkdir(outside, 0700), 0);
	touch(outside, "precious", "data");
	snprintf(path, sizeof(path), "%s/lifeboat_drill_link", dir);
	assert_int_equal(symlink(outside, path), 0);
	touch(dir, "lifeboat-drill-not-ours", "x");

	assert_int_equal(drill_scratch_clean(dir, "unit"), 0);
	assert_false(exists(dir, "lifeboat_drill_site"));
	assert_false(exists(dir, "lifeboat_drill_stray"));
	assert_false(exists(dir, "lifeboat_drill_link"));
	assert_true(exists(dir, "keep/precious"));
	assert_true(exists(dir, "lifeboat-drill-not-ours"));

	/* A scratch_dir others may write to, or a symlink, is refused untouched. */
	touch(dir, "lifeboat_drill_again", "x");
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(drill_scratch_clean(dir, "unit"), -EPERM);
	assert_true(exists(dir, "lifeboat_drill_again"));
	assert_int_equal(chmod(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/via-link", dir);
	assert_int_equal(symlink(dir, path), 0);
	assert_true(drill_scratch_clean(path, "unit") < 0);
	assert_true(exists(dir, "lifeboat_drill_again"));

	/* A scratch_dir that does not exist yet is made, 0700. */
	snprintf(path, sizeof(path), "%s/new/scratch", dir);
	assert_int_equal(drill_scratch_clean(path, "unit"), 0);
	{
		struct stat st;

		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0700);
	}
}

static json_t *entry(const char *result, const char *finished)
{
	return json_pack("{s:s, s:s, s:s, s:f}", "job", "shop", "result", result, "finished", finished,
			 "restore_seconds", 1.5);
}

static void test_state(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX];
	json_t *e, *st;
	struct stat sb;
	FILE *f;

	assert_int_equal(drill_state_load(dir, "shop", &st), 0);
	assert_int_equal(json_object_size(st), 0);
	json_decref(st);

	e = entry("ok", "2026-12-01T00:00:00Z");
	assert_int_equal(drill_state_update(dir, "shop", e), 0);
	json_decref(e);
	e = entry("failed", "2026-12-02T00:00:00Z");
	assert_int_equal(drill_state_update(dir, "shop", e), 0);
	json_decref(e);
	assert_int_equal(drill_state_load(dir, "shop", &st), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(st, "last"), "result")), "failed");
	assert_string_equal(json_string_value(json_object_get(json_object_get(st, "last_ok"), "finished")),
			    "2026-12-01T00:00:00Z");
	json_decref(st);
	snprintf(path, sizeof(path), "%s/drill/shop.json", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	/* A corrupt file is an error, not an empty state. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{not json", f);
	fclose(f);
	assert_int_equal(drill_state_load(dir, "shop", &st), -EINVAL);
	assert_null(st);
}

static void test_covers(void **state)
{
	const char *dir = *state;
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	const char *by;
	int64_t iv;
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/c.ini", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "[lifeboat]\nstore = %s/store\nstate_dir = %s/state\n"
		   "[files:site]\nschedule = @daily\npath = /srv\n"
		   "[logs:web]\nschedule = @hourly\npaths = /var/log/*.log\n"
		   "[drill:daily]\nschedule = @daily\nof = site\n"
		   "[drill:weekly]\nschedule = @weekly\n", dir, dir);
	fclose(f);
	assert_int_equal(config_load(path, &cfg, &errs), 0);
	assert_true(drill_covers(cfg, config_job(cfg, "site"), 1000000, &iv, &by));
	assert_string_equal(by, "daily");
	assert_int_equal(iv, 86400);
	assert_true(drill_covers(cfg, config_job(cfg, "web"), 1000000, &iv, &by));
	assert_string_equal(by, "weekly");
	assert_int_equal(iv, 7 * 86400);
	assert_false(drill_covers(cfg, config_job(cfg, "weekly"), 1000000, &iv, &by));
	config_free(cfg);
	config_errors_free(&errs);

	/* `of` must name jobs a drill can restore. */
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "[lifeboat]\nstore = %s/store\n[drill:a]\nschedule = @daily\nof = nosuch, b\n"
		   "[drill:b]\nschedule = @daily\n", dir);
	fclose(f);
	assert_int_equal(config_load(path, &cfg, &errs), -EINVAL);
	assert_int_equal(errs.lines.n, 2);
	assert_non_null(strstr(errs.lines.v[0], "no job named 'nosuch'"));
	assert_non_null(strstr(errs.lines.v[1], "'b' is a drill job"));
	config_errors_free(&errs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_db_name),
		cmocka_unit_test_setup_teardown(test_scratch_clean, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_state, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_covers, test_tmpdir_setup, test_tmpdir_teardown),
	};

	log_init("test-drill", LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

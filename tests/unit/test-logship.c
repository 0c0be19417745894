/*
 * test-logship — the logs job's library on real files and a real store:
 * the resumable SHA-256 (saved and resumed at every length across block
 * boundaries, equal to a one-shot hash; malformed states refused), the
 * state's JSON round trip, which record paths restore accepts, and whole
 * runs: appends with a partial last line, rename + gzip rotation and
 * copytruncate restored exactly with nothing archived twice, a reused inode
 * number told apart by the fingerprint, and each tamper kind raising exactly
 * one alert with its offset.
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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "alerts.h"
#include "fsutil.h"
#include "hashrun.h"
#include "log.h"
#include "logship.h"
#include "logship_int.h"
#include "sha256.h"
#include "store.h"

static char dir[PATH_MAX], logs[PATH_MAX + 8], storedir[PATH_MAX + 8], state[PATH_MAX + 8];

static int setup(void **unused)
{
	(void)unused;
	snprintf(dir, sizeof(dir), "/tmp/test-logship-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(logs, sizeof(logs), "%s/logs", dir);
	snprintf(storedir, sizeof(storedir), "%s/store", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	return mkdir(logs, 0700);
}

static int teardown(void **unused)
{
	(void)unused;
	test_rm_rf(dir);
	return 0;
}

/* ---- hashrun ---------------------------------------------------------------- */

static void oneshot_hex(const unsigned char *data, size_t len, char hex[SHA256_HEX_LEN + 1])
{
	struct sha256 h;

	assert_int_equal(sha256_init(&h), 0);
	sha256_update(&h, data, len);
	sha256_final_hex(&h, hex);
}

static void test_hashrun_resume_equals_oneshot(void **unused)
{
	unsigned char data[300];
	char want[SHA256_HEX_LEN + 1], got[SHA256_HEX_LEN + 1], text[HASHRUN_TEXT_MAX];

	(void)unused;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 3);
	/* Every split point, so the pending partial block is saved at every size. */
	for (size_t cut = 0; cut <= 200; cut++) {
		struct hashrun a, b;

		hashrun_init(&a);
		hashrun_update(&a, data, cut);
		hashrun_save(&a, text);
		assert_int_equal(hashrun_load(&b, text), 0);
		assert_int_equal(hashrun_bytes(&b), cut);
		hashrun_update(&b, data + cut, sizeof(data) - cut);
		hashrun_hex(&b, got);
		oneshot_hex(data, sizeof(data), want);
		assert_string_equal(got, want);
		/* hashrun_hex leaves the state usable. */
		hashrun_hex(&a, got);
		oneshot_hex(data, cut, want);
		assert_string_equal(got, want);
	}
}

static void test_hashrun_rejects_bad_text(void **unused)
{
	char text[HASHRUN_TEXT_MAX];
	struct hashrun h;

	(void)unused;
	hashrun_init(&h);
	hashrun_update(&h, "abc", 3);
	hashrun_save(&h, text);
	assert_int_equal(hashrun_load(&h, text), 0);
	assert_int_equal(hashrun_load(&h, NULL), -EINVAL);
	assert_int_equal(hashrun_load(&h, ""), -EINVAL);
	text[70] = 'z';				/* not hex in the count */
	assert_int_equal(hashrun_load(&h, text), -EINVAL);
	hashrun_init(&h);
	hashrun_update(&h, "abc", 3);
	hashrun_save(&h, text);
	text[strlen(text) - 2] = '\0';		/* count says 3 pending bytes, 2 given */
	assert_int_equal(hashrun_load(&h, text), -EINVAL);
}

/* ---- state ------------------------------------------------------------------- */

static void test_state_json_round_trip(void **unused)
{
	struct lstate s = { .next_gen = 3, .verified_at = 1764000000 }, back;
	struct lfile *f;
	struct hashrun h;
	json_t *j, *j2;

	(void)unused;
	snprintf(s.backup, sizeof(s.backup), "2026/11/backup-25-01");
	f = lstate_add(&s);
	assert_non_null(f);
	f->name = strdup("/var/log/a.log");
	f->path = strdup("/var/log/a.log.1");
	f->gen = 2;
	f->dev = 64769;
	f->ino = 1234567;
	f->offset = 5;
	hashrun_init(&h);
	hashrun_update(&h, "hello", 5);
	hashrun_save(&h, f->run);
	hashrun_hex(&h, f->prefix);
	memcpy(f->fp, f->prefix, sizeof(f->fp));
	memcpy(f->tail, f->prefix, sizeof(f->tail));
	f->fp_len = f->tail_len = 5;
	j = lstate_to_json(&s);
	assert_non_null(j);
	assert_int_equal(lstate_from_json(j, &back), 0);
	j2 = lstate_to_json(&back);
	assert_true(json_equal(j, j2));
	assert_int_equal(back.n, 1);
	assert_string_equal(back.v[0].path, "/var/log/a.log.1");
	assert_int_equal(back.v[0].ino, 1234567);
	lstate_free(&back);
	/* A state whose offset disagrees with its hash state is refused. */
	json_object_set_new(json_array_get(json_object_get(j2, "files"), 0), "offset", json_integer(6));
	assert_int_equal(lstate_from_json(j2, &back) , -EINVAL);
	json_decref(j);
	json_decref(j2);
	lstate_free(&s);
}

static void test_path_safe(void **unused)
{
	(void)unused;
	assert_true(lstate_path_safe("/var/log/apache2/access.log"));
	assert_false(lstate_path_safe("var/log/x.log"));
	assert_false(lstate_path_safe("/var/log/../../etc/passwd"));
	assert_false(lstate_path_safe("/var/log/./x"));
	assert_false(lstate_path_safe("/var//log/x"));
	assert_false(lstate_path_safe("/var/log/"));
	assert_false(lstate_path_safe(NULL));
}

/* ---- whole runs ---------------------------------------------------------------- */

static void put(const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", logs, name);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void lines(const char *name, int n, const char *tag, char *copy, size_t copylen)
{
	char line[128];

	for (int i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%s %d %.*s\n", tag, i, i % 60, "................................................................");
		put(name, line);
		if (copy)
			strncat(copy, line, copylen - strlen(copy) - 1);
	}
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

/* One logs run committed to the store; returns bytes archived, *ALERTS set. */
static uint64_t run_once(int64_t verify_every, unsigned *alerts)
{
	char glob[PATH_MAX + 16];
	char *v[] = { glob };
	struct strlist paths = { .v = v, .n = 1 };
	struct logship_opts o = {
		.job = "web", .state_dir = state, .paths = &paths, .verify_every = verify_every,
		.now = time(NULL), .level = 3,
	};
	struct logship_result res;
	struct store_txn *txn;
	struct store *st;
	json_t *rec;

	snprintf(glob, sizeof(glob), "%s/*.log", logs);
	assert_int_equal(store_open(storedir, &st), 0);
	o.st = st;
	assert_int_equal(store_begin(st, "web", "logs", o.now, &txn), 0);
	assert_int_equal(logship_run(&o, txn, &res), 0);
	rec = json_pack("{s:s, s:I, s:I, s:o}", "result", "ok", "size_raw", (json_int_t)res.size_raw,
			"size_stored", (json_int_t)res.size_stored, "logs", res.facts);
	if (res.parent[0])
		json_object_set_new(rec, "parent", json_string(res.parent));
	assert_int_equal(store_commit(txn, rec), 0);
	json_decref(rec);
	store_close(st);
	if (alerts)
		*alerts = res.alerts;
	return res.size_raw;
}

/* Restores the newest backup and checks access.log is exactly WANT. */
static void restored_is(const char *want)
{
	char to[PATH_MAX + 32], path[3 * PATH_MAX], *got = NULL;
	uint64_t files, bytes, read;
	struct store *st;
	size_t len;
	static int n;

	snprintf(to, sizeof(to), "%s/restore%d", dir, ++n);
	assert_int_equal(store_open(storedir, &st), 0);
	assert_int_equal(logship_restore(st, "web", "latest", to, &files, &bytes, &read), 0);
	assert_true(read > 0);
	store_close(st);
	snprintf(path, sizeof(path), "%s%s/access.log", to, logs);
	assert_int_equal(fs_read_all(path, 1 << 20, &got, &len), 0);
	assert_int_equal(len, strlen(want));
	assert_string_equal(got, want);
	assert_int_equal(bytes, strlen(want));
	free(got);
}

static void test_appends_rotation_copytruncate(void **unused)
{
	static char g1[65536], g2[65536], g3[65536], want[3 * 65536];
	unsigned alerts, total = 0;

	(void)unused;
	lines("access.log", 50, "a", g1, sizeof(g1));
	put("access.log", "par");
	total += alerts = 0;
	assert_int_equal(run_once(86400, &alerts), strlen(g1));
	restored_is(g1);
	/* The partial line, completed, is archived whole. */
	put("access.log", "tial\n");
	strcat(g1, "partial\n");
	assert_int_equal(run_once(86400, &alerts), strlen("partial\n"));
	restored_is(g1);
	/* Rename; the writer still appends to the renamed file. */
	sh("mv %s/access.log %s/access.log.1", logs, logs);
	lines("access.log", 10, "b", g2, sizeof(g2));
	lines("access.log.1", 3, "c", g1, sizeof(g1));
	run_once(86400, &alerts);
	total += alerts;
	snprintf(want, sizeof(want), "%s%s", g1, g2);
	restored_is(want);
	/* Compressed later: recognised, nothing archived again. */
	sh("gzip %s/access.log.1", logs);
	assert_int_equal(run_once(86400, &alerts), 0);
	total += alerts;
	restored_is(want);
	/* copytruncate, with new lines after the truncation. */
	lines("access.log", 5, "d", g2, sizeof(g2));
	sh("cp %s/access.log %s/access.log.1 && truncate -s 0 %s/access.log", logs, logs, logs);
	lines("access.log", 4, "e", g3, sizeof(g3));
	run_once(86400, &alerts);
	total += alerts;
	snprintf(want, sizeof(want), "%s%s%s", g1, g2, g3);
	restored_is(want);
	assert_int_equal(total, 0);
}

/* An inode number reused: the log compressed away (access.log ->
 * access.log.gz) and a new, longer access.log that the state's identity now
 * points at.  The reuse is forced by rewriting the state (a file system
 * reuses numbers when it likes).  The fingerprint (and the tail check behind
 * it) tells the files apart, the old generation is found in the .gz, and
 * nothing is lost, doubled or alerted. */
static void test_inode_reuse_caught_by_fingerprint(void **unused)
{
	static char g1[65536], g2[65536], want[2 * 65536];
	char path[PATH_MAX + 64], sp[PATH_MAX + 64];
	json_t *j, *f;
	struct stat sb;
	unsigned alerts;

	(void)unused;
	lines("access.log", 80, "old", g1, sizeof(g1));
	run_once(86400, &alerts);
	sh("gzip %s/access.log", logs);
	/* Longer than what was archived: only the fingerprint differs. */
	lines("access.log", 200, "new", g2, sizeof(g2));
	snprintf(path, sizeof(path), "%s/access.log", logs);
	assert_int_equal(stat(path, &sb), 0);
	snprintf(sp, sizeof(sp), "%s/logs/web.json", state);
	j = json_load_file(sp, 0, NULL);
	assert_non_null(j);
	f = json_array_get(json_object_get(j, "files"), 0);
	json_object_set_new(f, "dev", json_integer((json_int_t)sb.st_dev));
	json_object_set_new(f, "ino", json_integer((json_int_t)sb.st_ino));
	assert_int_equal(json_dump_file(j, sp, 0), 0);
	json_decref(j);
	run_once(86400, &alerts);
	assert_int_equal(alerts, 0);
	snprintf(want, sizeof(want), "%s%s", g1, g2);
	restored_is(want);
}

/* The one open alert of job web: its kind and offset. */
static void one_alert(const char *kind, json_int_t offset)
{
	json_t *arr, *a;

	assert_int_equal(alerts_list(state, "web", &arr), 0);
	assert_int_equal(json_array_size(arr), 1);
	a = json_array_get(arr, 0);
	assert_string_equal(json_string_value(json_object_get(a, "kind")), kind);
	assert_int_equal(json_integer_value(json_object_get(a, "offset")), offset);
	json_decref(arr);
}

static void test_truncated(void **unused)
{
	unsigned alerts;

	(void)unused;
	lines("access.log", 100, "a", NULL, 0);
	run_once(86400, &alerts);
	sh("truncate -s 1000 %s/access.log", logs);
	run_once(86400, &alerts);
	assert_int_equal(alerts, 1);
	one_alert("truncated", 1000);
	/* Reported once. */
	run_once(86400, &alerts);
	assert_int_equal(alerts, 0);
}

static void test_rewritten_while_growing(void **unused)
{
	unsigned alerts;

	(void)unused;
	lines("access.log", 100, "a", NULL, 0);
	run_once(0, &alerts);
	sh("printf X | dd of=%s/access.log bs=1 seek=2345 conv=notrunc status=none", logs);
	lines("access.log", 3, "b", NULL, 0);
	run_once(0, &alerts);
	assert_int_equal(alerts, 1);
	one_alert("rewritten", 2345);
}

static void test_deleted(void **unused)
{
	unsigned alerts;

	(void)unused;
	lines("access.log", 10, "a", NULL, 0);
	run_once(86400, &alerts);
	sh("rm %s/access.log", logs);
	run_once(86400, &alerts);
	assert_int_equal(alerts, 1);
	one_alert("deleted", -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashrun_resume_equals_oneshot),
		cmocka_unit_test(test_hashrun_rejects_bad_text),
		cmocka_unit_test(test_state_json_round_trip),
		cmocka_unit_test(test_path_safe),
		cmocka_unit_test_setup_teardown(test_appends_rotation_copytruncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inode_reuse_caught_by_fingerprint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rewritten_while_growing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted, setup, teardown),
	};

	log_init("test-logship", LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

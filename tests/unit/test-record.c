/*
 * test-record — the record's one owner: typed accessors on good records and
 * on hostile ones (missing keys, wrong types, artifact names that leave the
 * backup's directory, absurd sizes), the "parent" writer, and the chain
 * loader for each kind, including the chains an attacker with write access
 * to the store could craft (a loop, one longer than the bound, a parent of
 * another job or kind, a missing member, an artifact of the wrong size).
 *
 * Records are written straight into a temporary store as files, the way
 * such an attacker would, not through store_commit().
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "record.h"
#include "store.h"
#include "testutil.h"

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX2 "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A record of KIND for backup ID ("2024/05/backup-01-01") of JOB, with its
 * artifacts named after the id.  PARENT and TYPE may be NULL. */
static json_t *make(const char *job, const char *id, const char *kind, const char *type,
		    const char *parent)
{
	const char *stem = strrchr(id, '/') + 1;
	char file[64];
	json_t *rec, *arts, *facts;

	arts = json_array();
	snprintf(file, sizeof(file), "%s.%s", stem, strcmp(kind, "db") == 0 ? "sql.zst" : "tar.zst");
	json_array_append_new(arts, json_pack("{s:s, s:i, s:s}", "file", file, "size", 5, "sha256", HEX));
	if (strcmp(kind, "files") == 0) {
		snprintf(file, sizeof(file), "%s.index.zst", stem);
		json_array_append_new(arts, json_pack("{s:s, s:i, s:s}", "file", file, "size", 5,
						      "sha256", HEX2));
	}
	facts = json_object();
	if (type)
		json_object_set_new(facts, "type", json_string(type));
	rec = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "format", 1, "job", job,
			"kind", kind, "id", id, "result", "ok", "started", "2024-05-01T03:00:00Z",
			"finished", "2024-05-01T03:00:09Z", "artifacts", arts, kind, facts);
	assert_non_null(rec);
	if (type)
		json_object_set_new(rec, "type", json_string(type));
	if (parent)
		assert_int_equal(record_set_parent(rec, kind, parent), 0);
	return rec;
}

/* Writes LEN bytes of TEXT to PATH (no fsync: a test store is thrown away). */
static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Writes REC and its artifacts (5 bytes each) as backup ID of JOB under ROOT. */
static void put(const char *root, const char *job, const char *id, json_t *rec)
{
	char dir[1024], path[1100];
	struct record_artifact a;
	char *text;

	snprintf(dir, sizeof(dir), "%s/%s/%.7s", root, job, id);
	assert_int_equal(fs_mkdirs(dir, 0700), 0);
	for (size_t i = 0; i < record_artifact_count(rec); i++) {
		if (record_artifact_at(rec, i, &a) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, a.file);
		write_file(path, "12345", 5);
	}
	snprintf(path, sizeof(path), "%s/%s.json", dir, strrchr(id, '/') + 1);
	text = json_dumps(rec, JSON_INDENT(2));
	assert_non_null(text);
	write_file(path, text, strlen(text));
	free(text);
	json_decref(rec);
}

/* --- accessors ------------------------------------------------------------- */

static void test_good_files_record(void **state)
{
	json_t *rec = make("site", "2024/05/backup-01-02", "files", "incremental", "2024/05/backup-01-01");
	struct record_artifact a;
	const char *parent;
	time_t t;

	(void)state;
	assert_string_equal(record_id(rec), "2024/05/backup-01-02");
	assert_string_equal(record_job(rec), "site");
	assert_string_equal(record_kind(rec), "files");
	assert_string_equal(record_result(rec), "ok");
	assert_string_equal(record_type(rec), "incremental");
	assert_string_equal(record_finished(rec), "2024-05-01T03:00:09Z");
	assert_int_equal(record_started_time(rec, &t), 0);
	assert_int_equal((long long)t, 1714532400LL);
	assert_non_null(record_facts(rec));
	assert_string_equal(json_string_value(json_object_get(record_facts(rec), "type")), "incremental");

	assert_int_equal(record_parent(rec, &parent), 0);
	assert_string_equal(parent, "2024/05/backup-01-01");
	/* One writer, both places. */
	assert_string_equal(json_string_value(json_object_get(rec, "parent")), "2024/05/backup-01-01");
	assert_string_equal(json_string_value(json_object_get(record_facts(rec), "parent")),
			    "2024/05/backup-01-01");

	assert_int_equal(record_artifact(rec, RECORD_ARTIFACT_MAIN, &a), 0);
	assert_string_equal(a.file, "backup-01-02.tar.zst");
	assert_string_equal(a.ext, "tar.zst");
	assert_string_equal(a.sha256, HEX);
	assert_int_equal(a.size, 5);
	assert_int_equal(record_artifact(rec, RECORD_ARTIFACT_INDEX, &a), 0);
	assert_string_equal(a.ext, "index.zst");
	assert_string_equal(a.sha256, HEX2);
	assert_string_equal(record_artifact_sha256(rec, RECORD_ARTIFACT_INDEX), HEX2);
	json_decref(rec);
}

/* A db dump is found by its role, wherever it sits in the array. */
static void test_good_db_record(void **state)
{
	json_t *rec = make("shop", "2024/05/backup-03-100", "db", NULL, NULL);
	json_t *arts = json_object_get(rec, "artifacts");
	struct record_artifact a;
	const char *parent = "x";

	(void)state;
	json_array_insert_new(arts, 0, json_pack("{s:s, s:i, s:s}", "file", "backup-03-100.extra",
						  "size", 1, "sha256", HEX));
	assert_int_equal(record_artifact(rec, RECORD_ARTIFACT_MAIN, &a), 0);
	assert_string_equal(a.file, "backup-03-100.sql.zst");
	assert_int_equal(record_artifact(rec, RECORD_ARTIFACT_INDEX, &a), -ENOENT);
	assert_null(record_artifact_sha256(rec, RECORD_ARTIFACT_INDEX));
	assert_int_equal(record_parent(rec, &parent), 0);
	assert_null(parent);
	assert_string_equal(record_role_ext("logs", RECORD_ARTIFACT_MAIN), "tar.zst");
	assert_null(record_role_ext("tape", RECORD_ARTIFACT_MAIN));
	json_decref(rec);
}

/* Sets artifact 0's KEY of a fresh db record to V and expects -EINVAL. */
static void expect_bad_artifact(const char *key, json_t *v)
{
	json_t *rec = make("shop", "2024/05/backup-03-01", "db", NULL, NULL);
	struct record_artifact a;

	if (v)
		json_object_set_new(json_array_get(json_object_get(rec, "artifacts"), 0), key, v);
	else
		json_object_del(json_array_get(json_object_get(rec, "artifacts"), 0), key);
	assert_int_equal(record_artifact(rec, RECORD_ARTIFACT_MAIN, &a), -EINVAL);
	assert_null(a.file);
	assert_null(record_artifact_sha256(rec, RECORD_ARTIFACT_MAIN));
	assert_int_equal(record_artifact_at(rec, 0, &a), -EINVAL);
	json_decref(rec);
}

static void test_hostile_artifacts(void **state)
{
	(void)state;
	/* Names that leave the directory or are not this backup's. */
	expect_bad_artifact("file", json_string("../backup-03-01.sql.zst"));
	expect_bad_artifact("file", json_string("backup-03-01/../../etc.sql.zst"));
	expect_bad_artifact("file", json_string("/etc/shadow"));
	expect_bad_artifact("file", json_string("backup-03-01..sql.zst"));
	expect_bad_artifact("file", json_string("backup-03-01.sql.zst/"));
	expect_bad_artifact("file", json_string("backup-03-02.sql.zst"));
	expect_bad_artifact("file", json_string("backup-03-01."));
	expect_bad_artifact("file", json_string("backup-03-01.SQL.zst"));
	expect_bad_artifact("file", json_string(""));
	expect_bad_artifact("file", json_integer(7));
	expect_bad_artifact("file", NULL);
	/* Sizes. */
	expect_bad_artifact("size", json_integer(-1));
	expect_bad_artifact("size", json_integer((json_int_t)RECORD_ARTIFACT_SIZE_MAX));
	expect_bad_artifact("size", json_integer(INT64_MAX));
	expect_bad_artifact("size", json_real(5.0));
	expect_bad_artifact("size", json_string("5"));
	expect_bad_artifact("size", NULL);
	/* Hashes. */
	expect_bad_artifact("sha256", json_string("abc"));
	expect_bad_artifact("sha256", json_string("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
	expect_bad_artifact("sha256", json_string(HEX "0"));
	expect_bad_artifact("sha256", json_true());
	expect_bad_artifact("sha256", NULL);
}

static void test_hostile_records(void **state)
{
	struct record_artifact a;
	const char *parent;
	json_t *rec;
	time_t t;

	(void)state;
	/* No kind, an unknown kind: no role can be resolved. */
	rec = make("shop", "2024/05/backup-03-01", "db", NULL, NULL);
	json_object_del(rec, "kind");
	assert_int_equal(record_artifact(rec, RECORD_ARTIFACT_MAIN, &a), -EINVAL);
	assert_null(record_facts(rec));
	json_object_set_new(rec, "kind", json_string("tape"));
	assert_int_equal(record_artifact(rec, RECORD_ARTIFACT_MAIN, &a), -EINVAL);
	json_object_set_new(rec, "kind", json_integer(1));
	assert_null(record_kind(rec));
	json_decref(rec);

	/* No id: artifact names cannot be checked against it, so none is given. */
	rec = make("shop", "2024/05/backup-03-01", "db", NULL, NULL);
	json_object_del(rec, "id");
	assert_int_equal(record_artifact(rec, RECORD_ARTIFACT_MAIN, &a), -EINVAL);
	json_decref(rec);

	/* "artifacts" missing, not an array, an entry not an object, twice the role. */
	rec = make("shop", "2024/05/backup-03-01", "db", NULL, NULL);
	json_object_set_new(rec, "artifacts", json_string("backup-03-01.sql.zst"));
	assert_int_equal(record_artifact_count(rec), 0);
	assert_int_equal(record_artifact(rec, RECORD_ARTIFACT_MAIN, &a), -EINVAL);
	json_object_del(rec, "artifacts");
	assert_int_equal(record_artifact(rec, RECORD_ARTIFACT_MAIN, &a), -EINVAL);
	json_object_set_new(rec, "artifacts", json_pack("[s]", "backup-03-01.sql.zst"));
	assert_int_equal(record_artifact(rec, RECORD_ARTIFACT_MAIN, &a), -EINVAL);
	json_decref(rec);
	rec = make("shop", "2024/05/backup-03-01", "db", NULL, NULL);
	json_array_append(json_object_get(rec, "artifacts"),
			  json_array_get(json_object_get(rec, "artifacts"), 0));
	assert_int_equal(record_artifact(rec, RECORD_ARTIFACT_MAIN, &a), -EINVAL);
	json_decref(rec);

	/* Wrong types of plain keys read as missing. */
	rec = make("shop", "2024/05/backup-03-01", "db", NULL, NULL);
	json_object_set_new(rec, "result", json_true());
	json_object_set_new(rec, "started", json_string("yesterday"));
	json_object_set_new(rec, "db", json_string("facts"));
	assert_null(record_result(rec));
	assert_int_equal(record_started_time(rec, &t), -EINVAL);
	assert_null(record_facts(rec));
	json_object_del(rec, "started");
	assert_int_equal(record_started_time(rec, &t), -ENOENT);

	/* Parents: not a string, not an id, two that disagree. */
	json_object_set_new(rec, "parent", json_integer(3));
	assert_int_equal(record_parent(rec, &parent), -EINVAL);
	json_object_set_new(rec, "parent", json_string("../../2024/05/backup-01-01"));
	assert_int_equal(record_parent(rec, &parent), -EINVAL);
	json_decref(rec);
	rec = make("site", "2024/05/backup-01-02", "files", "incremental", "2024/05/backup-01-01");
	json_object_set_new((json_t *)record_facts(rec), "parent", json_string("2024/04/backup-30-01"));
	assert_int_equal(record_parent(rec, &parent), -EINVAL);
	assert_int_equal(record_set_parent(rec, "files", "not an id"), -EINVAL);
	assert_int_equal(record_set_parent(rec, "files", "2024/05/backup-01-01"), 0);
	assert_int_equal(record_parent(rec, &parent), 0);
	assert_string_equal(parent, "2024/05/backup-01-01");
	json_decref(rec);
}

/* --- the chain --------------------------------------------------------------- */

static struct store *open_store(void **state)
{
	struct store *st;

	assert_int_equal(store_open(*state, &st), 0);
	return st;
}

static int load(struct store *st, const char *job, const char *id, const char *kind, size_t max,
		struct record_chain *c, char *why)
{
	why[0] = '\0';
	return record_chain_load(st, job, id, kind, max, c, why, 512);
}

static void test_chain_files(void **state)
{
	struct store *st = open_store(state);
	struct record_chain c;
	char why[512];

	put(*state, "site", "2024/05/backup-01-01", make("site", "2024/05/backup-01-01", "files", "full", NULL));
	put(*state, "site", "2024/05/backup-01-02",
	    make("site", "2024/05/backup-01-02", "files", "incremental", "2024/05/backup-01-01"));
	put(*state, "site", "2024/05/backup-02-01",
	    make("site", "2024/05/backup-02-01", "files", "incremental", "2024/05/backup-01-02"));

	assert_int_equal(load(st, "site", "latest", "files", 0, &c, why), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.v[0].id, "2024/05/backup-01-01");
	assert_string_equal(c.v[1].id, "2024/05/backup-01-02");
	assert_string_equal(c.v[2].id, "2024/05/backup-02-01");
	record_chain_free(&c);
	assert_int_equal(c.n, 0);

	/* Exactly the bound is fine; one past it is refused. */
	assert_int_equal(load(st, "site", "2024/05/backup-02-01", NULL, 3, &c, why), 0);
	record_chain_free(&c);
	assert_int_equal(load(st, "site", "2024/05/backup-02-01", NULL, 2, &c, why), -EINVAL);
	assert_non_null(strstr(why, "longer than 2"));
	assert_null(c.v);

	/* A kind asked for that the backup is not. */
	assert_int_equal(load(st, "site", "2024/05/backup-01-01", "logs", 0, &c, why), -EINVAL);
	assert_non_null(strstr(why, "backup-01-01"));
	store_close(st);
}

static void test_chain_db_and_logs(void **state)
{
	struct store *st = open_store(state);
	struct record_chain c;
	char why[512];

	put(*state, "shop", "2024/05/backup-01-01", make("shop", "2024/05/backup-01-01", "db", NULL, NULL));
	assert_int_equal(load(st, "shop", "latest", NULL, 0, &c, why), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(record_kind(c.v[0].record), "db");
	record_chain_free(&c);
	/* Through the files face: the same refusal wording as before. */
	assert_int_equal(load(st, "shop", "latest", "files", 0, &c, why), -EINVAL);
	assert_string_equal(why, "backup 2024/05/backup-01-01 of shop is not a files snapshot");

	/* A db backup that names a parent is not one a restore can trust. */
	put(*state, "shop", "2024/05/backup-01-02", make("shop", "2024/05/backup-01-02", "db", NULL,
							 "2024/05/backup-01-01"));
	assert_int_equal(load(st, "shop", "2024/05/backup-01-02", NULL, 0, &c, why), -EINVAL);
	assert_non_null(strstr(why, "names a parent"));

	/* Logs: back to the first, with no bound of its own. */
	put(*state, "web", "2024/05/backup-01-01", make("web", "2024/05/backup-01-01", "logs", NULL, NULL));
	for (int i = 2; i <= 40; i++) {
		char id[32], parent[32];

		snprintf(id, sizeof(id), "2024/05/backup-01-%02d", i);
		snprintf(parent, sizeof(parent), "2024/05/backup-01-%02d", i - 1);
		put(*state, "web", id, make("web", id, "logs", NULL, parent));
	}
	assert_int_equal(load(st, "web", "latest", "logs", 0, &c, why), 0);
	assert_int_equal(c.n, 40);
	assert_string_equal(c.v[0].id, "2024/05/backup-01-01");
	assert_string_equal(c.v[39].id, "2024/05/backup-01-40");
	record_chain_free(&c);
	store_close(st);
}

static void test_chain_hostile(void **state)
{
	struct store *st = open_store(state);
	struct record_chain c;
	char why[512];
	char path[1024];

	(void)state;
	/* A missing member names who needed it. */
	put(*state, "a", "2024/05/backup-02-01", make("a", "2024/05/backup-02-01", "files", "incremental",
						      "2024/05/backup-01-01"));
	assert_int_equal(load(st, "a", "2024/05/backup-02-01", "files", 0, &c, why), -ENOENT);
	assert_string_equal(why, "backup 2024/05/backup-01-01 of a is missing, needed by 2024/05/backup-02-01");

	/* A loop through a newer "parent", and a backup that is its own parent. */
	put(*state, "b", "2024/05/backup-01-01", make("b", "2024/05/backup-01-01", "files", "incremental",
						      "2024/05/backup-01-02"));
	put(*state, "b", "2024/05/backup-01-02", make("b", "2024/05/backup-01-02", "files", "incremental",
						      "2024/05/backup-01-01"));
	assert_int_equal(load(st, "b", "2024/05/backup-01-02", NULL, 0, &c, why), -EINVAL);
	assert_non_null(strstr(why, "loops"));
	put(*state, "b", "2024/05/backup-01-03", make("b", "2024/05/backup-01-03", "logs", NULL,
						      "2024/05/backup-01-03"));
	assert_int_equal(load(st, "b", "2024/05/backup-01-03", NULL, 0, &c, why), -EINVAL);
	assert_non_null(strstr(why, "loops"));

	/* A parent of another kind. */
	put(*state, "c", "2024/05/backup-01-01", make("c", "2024/05/backup-01-01", "db", NULL, NULL));
	put(*state, "c", "2024/05/backup-01-02", make("c", "2024/05/backup-01-02", "files", "incremental",
						      "2024/05/backup-01-01"));
	assert_int_equal(load(st, "c", "2024/05/backup-01-02", NULL, 0, &c, why), -EINVAL);
	assert_non_null(strstr(why, "is a db backup, not files"));

	/* A record copied in from another job's store. */
	put(*state, "d", "2024/05/backup-01-01", make("other", "2024/05/backup-01-01", "files", "full", NULL));
	put(*state, "d", "2024/05/backup-01-02", make("d", "2024/05/backup-01-02", "files", "incremental",
						      "2024/05/backup-01-01"));
	assert_int_equal(load(st, "d", "2024/05/backup-01-02", NULL, 0, &c, why), -EINVAL);
	assert_non_null(strstr(why, "names job other"));
	/* Or a record moved to another number. */
	put(*state, "d", "2024/05/backup-01-03", make("d", "2024/05/backup-01-09", "files", "full", NULL));
	assert_int_equal(load(st, "d", "2024/05/backup-01-03", NULL, 0, &c, why), -EINVAL);

	/* An incremental without a parent; a files record without a type. */
	put(*state, "e", "2024/05/backup-01-01", make("e", "2024/05/backup-01-01", "files", "incremental", NULL));
	assert_int_equal(load(st, "e", "latest", NULL, 0, &c, why), -EINVAL);
	assert_non_null(strstr(why, "an incremental without a parent"));
	put(*state, "e", "2024/05/backup-01-02", make("e", "2024/05/backup-01-02", "files", NULL, NULL));
	assert_int_equal(load(st, "e", "2024/05/backup-01-02", NULL, 0, &c, why), -EINVAL);

	/* Artifacts: one shorter than recorded, one gone, one named outside. */
	put(*state, "f", "2024/05/backup-01-01", make("f", "2024/05/backup-01-01", "files", "full", NULL));
	snprintf(path, sizeof(path), "%s/f/2024/05/backup-01-01.tar.zst", (char *)*state);
	assert_int_equal(fs_write_atomic(path, "1234", 4, 0600), 0);
	assert_int_equal(load(st, "f", "latest", NULL, 0, &c, why), -EINVAL);
	assert_non_null(strstr(why, "is 4 bytes, its record says 5"));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(load(st, "f", "latest", NULL, 0, &c, why), -ENOENT);
	{
		json_t *rec = make("f", "2024/05/backup-01-02", "files", "full", NULL);

		json_object_set_new(json_array_get(json_object_get(rec, "artifacts"), 0), "file",
				    json_string("backup-01-02.tar.zst/../../../x"));
		put(*state, "f", "2024/05/backup-01-02", rec);
	}
	assert_int_equal(load(st, "f", "2024/05/backup-01-02", NULL, 0, &c, why), -EINVAL);
	assert_non_null(strstr(why, "names a bad artifact"));
	store_close(st);
}

/* The default bound of a files chain: RECORD_CHAIN_MAX members, not one more. */
static void test_chain_default_bound(void **state)
{
	struct store *st = open_store(state);
	struct record_chain c;
	char why[512], id[32], parent[32];
	int n = 0;

	for (int day = 1; n <= RECORD_CHAIN_MAX; day++) {
		for (int seq = 1; seq <= 99 && n <= RECORD_CHAIN_MAX; seq++, n++) {
			snprintf(id, sizeof(id), "2024/05/backup-%02d-%02d", day, seq);
			put(*state, "g", id, make("g", id, "files", n ? "incremental" : "full", n ? parent : NULL));
			memcpy(parent, id, sizeof(id));
		}
	}
	assert_int_equal(load(st, "g", "latest", NULL, 0, &c, why), -EINVAL);
	assert_non_null(strstr(why, "longer than 1000"));
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_files_record),
		cmocka_unit_test(test_good_db_record),
		cmocka_unit_test(test_hostile_artifacts),
		cmocka_unit_test(test_hostile_records),
		cmocka_unit_test_setup_teardown(test_chain_files, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_chain_db_and_logs, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_chain_hostile, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_chain_default_bound, test_tmpdir_setup, test_tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

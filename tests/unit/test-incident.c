/*
 * test-incident — the parts of lib/incident that stand alone: the journal's
 * escaping (a hostile note stays one line), an evidence file that is whole
 * under its final name or absent (abort, and the part files a killed
 * capture leaves are cleaned), the manifest (sha256sum lines, a changed or
 * missing evidence file found), what counts as evidence, stamps, the open
 * marker, and the checklist's steps.  Each test works in a fresh directory
 * laid out as store/incidents/STAMP with a config pointing at it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "incident.h"

struct fixture {
	char dir[256];
	struct config cfg;
	char store[300], state[300];
	struct incident inc;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	void *tmp;

	test_tmpdir_setup(&tmp);
	snprintf(f->dir, sizeof(f->dir), "%s", (char *)tmp);
	free(tmp);
	snprintf(f->store, sizeof(f->store), "%s/store", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	f->cfg.store = f->store;
	f->cfg.state_dir = f->state;
	f->cfg.path = (char *)"test.ini";
	assert_int_equal(incident_create(&f->cfg, 1764820000, &f->inc), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	incident_free(&f->inc);
	test_rm_rf(f->dir);
	free(f);
	return 0;
}

static char *slurp(const char *dir, const char *name)
{
	char path[4500], *text = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (fs_read_all(path, 1 << 20, &text, &len) < 0)
		return NULL;
	return text;
}

static void test_create_and_marker(void **state)
{
	struct fixture *f = *state;
	char stamp[INCIDENT_STAMP_MAX];
	struct incident again;
	struct stat sb;

	assert_string_equal(f->inc.stamp, "20251204T034640Z");
	assert_int_equal(stat(f->inc.dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_int_equal(incident_open_stamp(&f->cfg, stamp), 0);
	assert_string_equal(stamp, f->inc.stamp);
	assert_int_equal(incident_load(&f->cfg, NULL, &again), 0);
	assert_string_equal(again.stamp, f->inc.stamp);
	/* One capture at a time. */
	assert_int_equal(incident_lock(&f->inc), 0);
	assert_int_equal(incident_lock(&again), -EWOULDBLOCK);
	incident_free(&again);
	assert_int_equal(incident_mark_open(&f->cfg, NULL), 0);
	assert_int_equal(incident_open_stamp(&f->cfg, stamp), -ENOENT);
	assert_int_equal(incident_load(&f->cfg, NULL, &again), -ENOENT);
	incident_free(&again);
	/* A second incident in the same second gets its own directory. */
	assert_int_equal(incident_create(&f->cfg, 1764820000, &again), 0);
	assert_string_equal(again.stamp, "20251204T034640Z-2");
	incident_free(&again);
}

static void test_stamps(void **state)
{
	(void)state;
	assert_true(incident_stamp_valid("20251204T034640Z"));
	assert_true(incident_stamp_valid("20251204T034640Z-2"));
	assert_false(incident_stamp_valid("../../etc"));
	assert_false(incident_stamp_valid("20251204T034640Z/.."));
	assert_false(incident_stamp_valid(""));
}

static void test_journal_hostile(void **state)
{
	struct fixture *f = *state;
	char *text, *line2;
	int tabs = 0, lines = 0;

	assert_int_equal(incident_journal(&f->inc, "note", "a\nb\tc\\d\001e\x7f"), 0);
	assert_int_equal(incident_journal(&f->inc, "second", "ok"), 0);
	text = slurp(f->inc.dir, INCIDENT_JOURNAL);
	assert_non_null(text);
	for (char *p = text; *p; p++) {
		lines += *p == '\n';
		if (lines == 0)
			tabs += *p == '\t';
	}
	assert_int_equal(lines, 2);
	assert_int_equal(tabs, 4);
	assert_non_null(strstr(text, "\tnote\ta\\nb\\tc\\\\d\\x01e\\x7f\n"));
	line2 = strchr(text, '\n') + 1;
	assert_non_null(strstr(line2, "\tsecond\tok\n"));
	assert_non_null(strstr(text, "Z\t"));
	assert_non_null(strstr(text, "uid="));
	free(text);
}

static void test_evfile_whole_or_nothing(void **state)
{
	struct fixture *f = *state;
	struct evfile ev;
	char hex[SHA256_HEX_LEN + 1], *text;

	assert_int_equal(evfile_open(&f->inc, "a.txt", &ev), 0);
	assert_int_equal(evfile_write(&ev, "hello\n", 6), 0);
	assert_false(evfile_exists(&f->inc, "a.txt"));
	assert_true(evfile_exists(&f->inc, ".a.txt.part"));
	assert_int_equal(evfile_finish(&ev, hex), 0);
	assert_string_equal(hex, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
	text = slurp(f->inc.dir, "a.txt");
	assert_string_equal(text, "hello\n");
	free(text);
	assert_false(evfile_exists(&f->inc, ".a.txt.part"));

	assert_int_equal(evfile_open(&f->inc, "b.txt", &ev), 0);
	assert_int_equal(evfile_write(&ev, "half", 4), 0);
	evfile_abort(&ev);
	assert_false(evfile_exists(&f->inc, "b.txt"));
	assert_false(evfile_exists(&f->inc, ".b.txt.part"));

	/* A killed capture's parts: only they are removed. */
	assert_int_equal(evfile_open(&f->inc, "c.txt", &ev), 0);
	close(ev.fd);
	sha256_discard(&ev.h);
	assert_int_equal(evfile_clean(&f->inc), 1);
	assert_false(evfile_exists(&f->inc, ".c.txt.part"));
	assert_true(evfile_exists(&f->inc, "a.txt"));
}

static void test_manifest(void **state)
{
	struct fixture *f = *state;
	char hex[SHA256_HEX_LEN + 1], why[512], path[4500], *m;
	struct evfile ev;
	int fd;

	assert_int_equal(evfile_open(&f->inc, "facts.json", &ev), 0);
	assert_int_equal(evfile_write(&ev, "{}\n", 3), 0);
	assert_int_equal(evfile_finish(&ev, NULL), 0);
	assert_int_equal(evfile_open(&f->inc, "db-shop.sql.zst", &ev), 0);
	assert_int_equal(evfile_write(&ev, "x", 1), 0);
	assert_int_equal(evfile_finish(&ev, NULL), 0);
	/* A part file is never evidence. */
	assert_int_equal(evfile_open(&f->inc, "logs-web.tar.zst", &ev), 0);
	assert_false(incident_evidence_complete(&f->inc));
	assert_int_equal(incident_manifest_write(&f->inc, hex), 0);
	evfile_abort(&ev);
	assert_true(incident_evidence_complete(&f->inc));
	m = slurp(f->inc.dir, INCIDENT_MANIFEST);
	assert_non_null(m);
	assert_string_equal(m, "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  db-shop.sql.zst\n"
			    "ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356  facts.json\n");
	free(m);
	assert_int_equal(incident_manifest_verify(&f->inc, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "2 evidence file(s)"));
	/* Changed after the capture: found, and named. */
	snprintf(path, sizeof(path), "%s/facts.json", f->inc.dir);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, " ", 1), 1);
	close(fd);
	assert_int_equal(incident_manifest_verify(&f->inc, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "facts.json"));
}

static void test_is_evidence(void **state)
{
	(void)state;
	assert_true(incident_is_evidence("files-site.tar.zst"));
	assert_true(incident_is_evidence("hook-on_incident.txt"));
	assert_false(incident_is_evidence(INCIDENT_JOURNAL));
	assert_false(incident_is_evidence(INCIDENT_MANIFEST));
	assert_false(incident_is_evidence(INCIDENT_STATE));
	assert_false(incident_is_evidence(".files-site.tar.zst.part"));
	assert_false(incident_is_evidence("bundle-20251204T034640Z.tar.zst"));
	assert_false(incident_is_evidence("a b"));
	assert_false(incident_is_evidence("a\nb"));
}

static void test_checklist(void **state)
{
	struct fixture *f = *state;
	const struct incident_step *s;
	size_t mine = 0;

	for (size_t i = 0; i < incident_nsteps; i++)
		mine += !incident_steps[i].by_lifeboat;
	assert_true(mine >= 4);
	assert_null(incident_step_find("nosuch"));
	s = incident_step_find("report");
	assert_non_null(s);
	assert_false(s->by_lifeboat);
	assert_false(incident_step_done(&f->inc, s));
	assert_int_equal(incident_journal(&f->inc, "done report", s->text), 0);
	assert_true(incident_step_done(&f->inc, s));
	/* A note that merely mentions a step does not tick it. */
	s = incident_step_find("passwords");
	assert_int_equal(incident_journal(&f->inc, "note", "\tdone passwords\t"), 0);
	assert_false(incident_step_done(&f->inc, s));
	assert_true(incident_step_done(&f->inc, incident_step_find("journal")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_marker, setup, teardown),
		cmocka_unit_test(test_stamps),
		cmocka_unit_test_setup_teardown(test_journal_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evfile_whole_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manifest, setup, teardown),
		cmocka_unit_test(test_is_evidence),
		cmocka_unit_test_setup_teardown(test_checklist, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

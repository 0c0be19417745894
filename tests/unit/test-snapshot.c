/*
 * test-snapshot — the tree walk and its two streams, on a real tree in a
 * temporary directory: the tar holds every entry with the right type, a
 * hard-link pair stored once, symlink targets unfollowed, a FIFO as an
 * entry, no socket, no excluded path; the index has a line per path with
 * the content's SHA-256; with the parent's index, an unchanged file is not
 * stored (its line names the parent), a changed one is, a removed one is
 * listed; exclude globs and the restore path check say what they should.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "fileindex.h"
#include "log.h"
#include "snaprestore.h"
#include "snapshot.h"

struct buf {
	char *data;
	size_t len;
};

struct sinks {
	struct buf tar, index;
	unsigned progress;
};

static int append(struct buf *b, const void *p, size_t len)
{
	char *n = realloc(b->data, b->len + len + 1);

	if (!n)
		return -ENOMEM;
	memcpy(n + b->len, p, len);
	b->data = n;
	b->len += len;
	b->data[b->len] = 0;
	return 0;
}

static int tar_w(void *ctx, const void *p, size_t len)
{
	return append(&((struct sinks *)ctx)->tar, p, len);
}

static int index_w(void *ctx, const void *p, size_t len)
{
	return append(&((struct sinks *)ctx)->index, p, len);
}

static void on_progress(void *ctx, const char *path)
{
	(void)path;
	((struct sinks *)ctx)->progress++;
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void make_tree(const char *t)
{
	char p[512], q[512];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	snprintf(p, sizeof(p), "%s/sub", t);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/cache", t);
	assert_int_equal(mkdir(p, 0700), 0);
	put(t, "a.php", "<?php echo 1;");
	put(t, ".hidden", "h");
	put(t, "sub/b.tmp", "temp");
	put(t, "cache/c", "cached");
	snprintf(p, sizeof(p), "%s/a.php", t);
	snprintf(q, sizeof(q), "%s/sub/a-link", t);
	assert_int_equal(link(p, q), 0);
	snprintf(q, sizeof(q), "%s/sym", t);
	assert_int_equal(symlink("/etc/passwd", q), 0);
	snprintf(q, sizeof(q), "%s/fifo", t);
	assert_int_equal(mkfifo(q, 0600), 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", t);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
}

/* The tar's entries as "TYPE name[->target]" lines. */
static char *tar_listing(const struct buf *b)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct buf out = { 0 };

	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_memory(a, b->data, b->len), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		char line[600], name[512];
		const char *hl = archive_entry_hardlink(e), *sl = archive_entry_symlink(e);
		char type = hl ? 'h' : fileindex_type_of(archive_entry_filetype(e));

		/* A directory's name ends in '/' in the tar. */
		snprintf(name, sizeof(name), "%s", archive_entry_pathname(e));
		if (strlen(name) > 1 && name[strlen(name) - 1] == '/')
			name[strlen(name) - 1] = 0;
		snprintf(line, sizeof(line), "%c %s%s%s\n", type, name,
			 hl || sl ? "->" : "", hl ? hl : sl ? sl : "");
		assert_int_equal(append(&out, line, strlen(line)), 0);
	}
	archive_read_free(a);
	return out.data;
}

static void run(const char *t, const struct strlist *ex, struct fileindex *parent, const char *id,
		struct sinks *s, struct snapshot_stats *st)
{
	struct snapshot_opts o = {
		.root = t, .exclude = ex, .one_file_system = true, .id = id,
		.parent = parent, .parent_id = parent ? "2026/11/backup-25-01" : NULL,
		.tar_write = tar_w, .index_write = index_w, .progress = on_progress, .ctx = s,
	};

	memset(s, 0, sizeof(*s));
	assert_int_equal(snapshot_run(&o, st), 0);
}

/* Parses index text into FI, as a parent. */
static void parse_index(const char *text, struct fileindex *fi)
{
	char *copy = strdup(text), *save = NULL, *line;
	int n = 0;

	fileindex_init(fi);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct fi_entry e;
		char *path, *from;

		if (n++ == 0)
			continue;
		assert_int_equal(fileindex_parse_line(line, &e, &path, &from), 0);
		e.path = path;
		assert_int_equal(fileindex_add(fi, &e, from), 0);
		free(path);
		free(from);
	}
	free(copy);
}

static void test_full_and_incremental(void **state)
{
	char t[] = "/tmp/test-snapshot.XXXXXX", *list;
	char *ex_v[] = { "cache", "*.tmp" };
	struct strlist ex = { ex_v, 2 };
	struct snapshot_stats st;
	struct sinks s;
	struct fileindex parent;

	(void)state;
	assert_non_null(mkdtemp(t));
	make_tree(t);
	run(t, &ex, NULL, "2026/11/backup-25-01", &s, &st);
	list = tar_listing(&s.tar);
	assert_non_null(strstr(list, "d .\n"));
	assert_non_null(strstr(list, "f .hidden\n"));
	assert_non_null(strstr(list, "l sym->/etc/passwd\n"));
	assert_non_null(strstr(list, "p fifo\n"));
	/* One name has the content, the other is a link to it. */
	assert_true(strstr(list, "f a.php\n") || strstr(list, "f sub/a-link\n"));
	assert_true(strstr(list, "h a.php->sub/a-link\n") || strstr(list, "h sub/a-link->a.php\n"));
	assert_null(strstr(list, "sock"));
	assert_null(strstr(list, "cache"));
	assert_null(strstr(list, "b.tmp"));
	free(list);
	assert_int_equal(st.excluded, 2);
	assert_int_equal(st.sockets, 1);
	assert_int_equal(st.files, 3);
	assert_int_equal(st.stored, 3);
	assert_int_equal(st.errors, 0);
	assert_true(s.progress >= 7);
	assert_non_null(strstr(s.index.data, "lifeboat-index 1\t2026/11/backup-25-01\t-\n"));
	/* sha256("h") */
	assert_non_null(strstr(s.index.data,
		"aaa9402664f1a41f40ebbc52c9993eb66aeb366602958fdfaa283b71e64db123\t2026/11/backup-25-01\t-\t.hidden\n"));
	snapshot_stats_free(&st);

	/* Incremental: .hidden changes, new.php appears, fifo goes. */
	parse_index(s.index.data, &parent);
	free(s.tar.data);
	free(s.index.data);
	put(t, ".hidden", "changed");
	put(t, "new.php", "new");
	{
		char p[512];

		snprintf(p, sizeof(p), "%s/fifo", t);
		assert_int_equal(unlink(p), 0);
	}
	run(t, &ex, &parent, "2026/11/backup-25-02", &s, &st);
	list = tar_listing(&s.tar);
	assert_non_null(strstr(list, "f .hidden\n"));
	assert_non_null(strstr(list, "f new.php\n"));
	assert_null(strstr(list, "a.php"));
	assert_null(strstr(list, "a-link"));
	assert_non_null(strstr(list, "d sub\n"));
	free(list);
	assert_int_equal(st.stored, 2);
	assert_int_equal(st.added, 1);
	assert_int_equal(st.removed, 1);
	assert_true(st.unchanged >= 2);
	assert_non_null(strstr(s.index.data, "\t2026/11/backup-25-01\t-\ta.php\n"));
	assert_non_null(strstr(s.index.data, "\t2026/11/backup-25-02\t-\t.hidden\n"));
	assert_non_null(strstr(s.index.data, "-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\tfifo\n"));
	snapshot_stats_free(&st);
	fileindex_free(&parent);
	free(s.tar.data);
	free(s.index.data);
	test_rm_rf(t);
}

static int failing_sink(void *ctx, const void *p, size_t len)
{
	(void)ctx;
	(void)p;
	(void)len;
	return -ENOSPC;
}

static void test_errors(void **state)
{
	char t[] = "/tmp/test-snapshot.XXXXXX";
	struct snapshot_stats st;
	struct sinks s = { 0 };
	struct snapshot_opts o = {
		.root = "/nonexistent/tree", .id = "2026/11/backup-25-01",
		.tar_write = tar_w, .index_write = index_w, .ctx = &s,
	};

	(void)state;
	assert_int_equal(snapshot_run(&o, &st), -ENOENT);
	snapshot_stats_free(&st);
	free(s.index.data);
	free(s.tar.data);
	memset(&s, 0, sizeof(s));
	/* A full disk under the tar is the run's failure. */
	assert_non_null(mkdtemp(t));
	put(t, "f", "content");
	o.root = t;
	o.tar_write = failing_sink;
	assert_int_equal(snapshot_run(&o, &st), -ENOSPC);
	snapshot_stats_free(&st);
	free(s.index.data);
	test_rm_rf(t);
}

static void test_exclude_and_paths(void **state)
{
	char *v[] = { "cache/", "*.tmp", "logs/*.gz", "exact" };
	struct strlist ex = { v, 4 };

	(void)state;
	assert_true(snapshot_excluded(&ex, "cache", true));
	assert_false(snapshot_excluded(&ex, "cache", false));	/* "cache/": dirs only */
	assert_true(snapshot_excluded(&ex, "a/b/c.tmp", false));
	assert_true(snapshot_excluded(&ex, "logs/x.gz", false));
	assert_false(snapshot_excluded(&ex, "other/logs/x.gz", false));
	assert_true(snapshot_excluded(&ex, "deep/exact", false));
	assert_false(snapshot_excluded(&ex, "exactly", false));
	assert_false(snapshot_excluded(NULL, "x", false));

	assert_true(snaprestore_path_safe("a/b"));
	assert_true(snaprestore_path_safe("a/..b/c.."));
	assert_false(snaprestore_path_safe("../evil"));
	assert_false(snaprestore_path_safe("a/../../evil"));
	assert_false(snaprestore_path_safe("a/.."));
	assert_false(snaprestore_path_safe("/etc/passwd"));
	assert_false(snaprestore_path_safe(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_and_incremental),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_exclude_and_paths),
	};

	log_init("test-snapshot", LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test-watch — the watch check's library: the risk flags and web-shell
 * signatures on hostile input (names with newlines, bytes that are not
 * UTF-8, paths deeper than PATH_MAX, binary content), and the tree-versus-
 * index compare on a real tree: an index made of a first check's findings
 * gives a clean second check; a change behind an mtime put back is a
 * content change flagged as timestomping; index-versus-index says the same.
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
#include <sys/time.h>
#include <unistd.h>

#include "fileindex.h"
#include "log.h"
#include "watch_compare.h"
#include "watch_flags.h"

static bool sig(const char *text)
{
	return watch_signature((const unsigned char *)text, strlen(text)) != NULL;
}

static void test_names(void **state)
{
	(void)state;
	assert_true(watch_is_script("index.php"));
	assert_true(watch_is_script("a/b/SHELL.PHP"));
	assert_true(watch_is_script("x.phtml"));
	assert_true(watch_is_script("x.php7"));
	assert_true(watch_is_script("cgi-bin/run.cgi"));
	assert_true(watch_is_script(".htaccess"));
	assert_true(watch_is_script("sub/.user.ini"));
	assert_true(watch_is_script("evil\nname\xff.php"));
	assert_false(watch_is_script(".php"));		/* a hidden file named ".php": no extension */
	assert_false(watch_is_script("x.php.jpg"));
	assert_false(watch_is_script("php"));
	assert_false(watch_is_script("a.php/readme.txt"));

	assert_true(watch_in_upload_dir("wp-content/uploads/x.php"));
	assert_true(watch_in_upload_dir("Cache/x.php"));
	assert_true(watch_in_upload_dir("tmp/x.php"));
	assert_false(watch_in_upload_dir("uploads.php"));	/* the file's own name */
	assert_false(watch_in_upload_dir("lib/x.php"));
	assert_false(watch_in_upload_dir("temporary/x.php"));

	assert_true(watch_is_hidden(".cache.php"));
	assert_true(watch_is_hidden("uploads/.x/y"));
	assert_false(watch_is_hidden("."));
	assert_false(watch_is_hidden("a/b.c"));
	assert_false(watch_is_hidden("a/../b"));

	assert_true(watch_symlink_escapes("/var/www", "l", "/etc"));
	assert_true(watch_symlink_escapes("/var/www", "l", "/var/www2/x"));
	assert_false(watch_symlink_escapes("/var/www", "l", "/var/www/x"));
	assert_true(watch_symlink_escapes("/var/www", "l", "/var/www/../etc"));
	assert_true(watch_symlink_escapes("/var/www", "a/l", "../../etc/passwd"));
	assert_false(watch_symlink_escapes("/var/www", "a/l", "../b/c"));
	assert_false(watch_symlink_escapes("/var/www", "a/l", "./b/../c"));
	assert_true(watch_symlink_escapes("/var/www", "l", "b/../../x"));
	assert_false(watch_symlink_escapes("/var/www", "a\nb/l", "../x"));
}

static void test_signatures(void **state)
{
	static unsigned char bin[4096];
	char *big;
	size_t n;

	(void)state;
	assert_true(sig("<?php eval(base64_decode('ZWNobyAx')); ?>"));
	assert_true(sig("<?php @EVAL ( gzinflate(str_rot13($x)));"));
	assert_true(sig("<?php system($_GET['c']);"));
	assert_true(sig("<?php assert($_REQUEST[\"x\"]);"));
	assert_true(sig("<?php eval(file_get_contents('php://input'));"));
	assert_true(sig("<?php preg_replace('/.*/e', $_POST['c'], '');"));
	assert_true(sig("<?php preg_replace(\"#x#ie\", $a, $b);"));
	assert_true(sig("GIF89a<?php echo 1; ?>"));
	assert_true(sig("\x89PNG\r\n\x1a\n....<?= `id` ?>"));
	assert_true(sig("\xff\xd8\xff\xe0 JFIF <?PHP phpinfo();"));
	assert_false(sig("<?php echo 'hello'; ?>"));
	assert_false(sig("<?php $fs = filesystem(base64_decode($x));"));	/* not the word system */
	assert_false(sig("<?php evaluate($_POST);"));
	assert_false(sig("<?php myeval($_POST[1]);"));	/* not the word eval */
	assert_false(sig("<?php preg_replace('/a/i', 'b', $c);"));
	assert_false(sig("GIF89a plain image bytes"));
	assert_false(sig("<?php echo 1; ?> GIF89a"));	/* a header is at the start */
	assert_null(watch_signature(NULL, 0));

	/* Binary with NULs before the marker still matches; past the scanned
	 * head it is not seen (a documented limit). */
	memset(bin, 0, sizeof(bin));
	memcpy(bin + 1000, "eval(base64_decode(", 19);
	assert_non_null(watch_signature(bin, sizeof(bin)));
	n = WATCH_SCAN_MAX + 100;
	big = calloc(1, n);
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big + WATCH_SCAN_MAX + 10, " eval($_POST[1]);", 17);
	assert_null(watch_signature((unsigned char *)big, n));
	memcpy(big + 10, " eval($_POST[1]);", 17);
	assert_string_equal(watch_signature((unsigned char *)big, n), "exec-decoded");
	free(big);
	/* Unterminated constructs at the end of the buffer. */
	assert_false(sig("eval"));
	assert_false(sig("eval("));
	assert_false(sig("preg_replace('"));
	assert_false(sig("preg_replace( \"/"));
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A directory chain deeper than PATH_MAX under DIR, with a file at its end. */
static void make_deep(const char *dir, char *rel, size_t rellen)
{
	char name[201];
	int fd = open(dir, O_RDONLY | O_DIRECTORY), fd2, ffd;

	assert_true(fd >= 0);
	memset(name, 'd', 200);
	name[200] = 0;
	rel[0] = 0;
	for (int i = 0; i < 25; i++) {
		assert_int_equal(mkdirat(fd, name, 0755), 0);
		fd2 = openat(fd, name, O_RDONLY | O_DIRECTORY);
		assert_true(fd2 >= 0);
		close(fd);
		fd = fd2;
		strncat(rel, name, rellen - strlen(rel) - 1);
		strncat(rel, "/", rellen - strlen(rel) - 1);
	}
	ffd = openat(fd, "deep.php", O_WRONLY | O_CREAT, 0644);
	assert_true(ffd >= 0);
	assert_int_equal(write(ffd, "<?php system($_GET[1]);", 23), 23);
	close(ffd);
	close(fd);
	strncat(rel, "deep.php", rellen - strlen(rel) - 1);
}

static struct wc_item *find(struct wc_list *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].path, path) == 0)
			return &l->v[i];
	return NULL;
}

static void test_compare(void **state)
{
	const char *dir = *state;
	char p[PATH_MAX], deep[8192];
	struct wc_tree_opts o = { .root = dir, .one_file_system = true };
	struct fileindex base, second;
	struct wc_list l;
	struct wc_item *it;
	struct stat st;
	struct timespec times[2];

	snprintf(p, sizeof(p), "%s/uploads", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/uploads/evil\nname\xff.php", dir);
	write_file(p, "<?php eval(base64_decode('x'));");
	snprintf(p, sizeof(p), "%s/page.php", dir);
	write_file(p, "<?php echo 'one'; ?>");
	snprintf(p, sizeof(p), "%s/out", dir);
	assert_int_equal(symlink("../../../../etc", p), 0);
	make_deep(dir, deep, sizeof(deep));

	/* Against an empty baseline: everything is new, hostile names intact. */
	fileindex_init(&base);
	wc_list_init(&l);
	assert_int_equal(watch_compare_tree(&o, &base, &l), 0);
	it = find(&l, "uploads/evil\nname\xff.php");
	assert_non_null(it);
	assert_int_equal(it->change, WC_ADDED);
	assert_true(it->flags & WF_WEBSHELL);
	assert_true(it->flags & WF_SCRIPT_UPLOAD);
	it = find(&l, deep);
	assert_non_null(it);
	assert_true(strlen(deep) > PATH_MAX);
	assert_true(it->flags & WF_WEBSHELL);
	it = find(&l, "out");
	assert_non_null(it);
	assert_true(it->flags & WF_SYMLINK_OUT);
	{
		json_t *j = watch_item_json(find(&l, "uploads/evil\nname\xff.php"));

		assert_string_equal(json_string_value(json_object_get(j, "path")), "uploads/evil\\nname\\xff.php");
		json_decref(j);
	}

	/* The findings as a baseline: a second check is clean, reads nothing. */
	for (size_t i = 0; i < l.n; i++) {
		struct fi_entry e = l.v[i].cur;

		e.path = l.v[i].path;
		assert_int_equal(fileindex_add(&base, &e, "2026/01/backup-01-01"), 0);
	}
	wc_list_free(&l);
	wc_list_init(&l);
	assert_int_equal(watch_compare_tree(&o, &base, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.hashed, 0);
	wc_list_free(&l);
	o.paranoid = true;
	wc_list_init(&l);
	assert_int_equal(watch_compare_tree(&o, &base, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.hashed, 3);	/* every regular file, read again */
	wc_list_free(&l);
	o.paranoid = false;

	/* Same size, mtime put back: content change, timestomp. */
	snprintf(p, sizeof(p), "%s/page.php", dir);
	assert_int_equal(stat(p, &st), 0);
	write_file(p, "<?php echo 'two'; ?>");
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, p, times, 0), 0);
	wc_list_init(&l);
	assert_int_equal(watch_compare_tree(&o, &base, &l), 0);
	assert_int_equal(l.n, 1);
	it = find(&l, "page.php");
	assert_non_null(it);
	assert_int_equal(it->change, WC_CHANGED);
	assert_true(it->what & WC_CONTENT);
	assert_false(it->what & (WC_SIZE | WC_MTIME));
	assert_true(it->flags & WF_TIMESTOMP);
	assert_true(it->flags & WF_SCRIPT);

	/* Index against index: the same change. */
	fileindex_init(&second);
	for (size_t i = 0; i < base.n; i++) {
		struct fi_entry e = base.v[i];

		if (strcmp(e.path, "page.php") == 0) {
			e = it->cur;
			e.path = "page.php";
		}
		assert_int_equal(fileindex_add(&second, &e, "2026/01/backup-02-01"), 0);
	}
	wc_list_free(&l);
	wc_list_init(&l);
	assert_int_equal(watch_compare_index(&base, &second, &l), 0);
	assert_int_equal(l.n, 1);
	assert_true(l.v[0].what & WC_CONTENT);
	assert_true(l.v[0].flags & WF_TIMESTOMP);
	wc_list_free(&l);

	/* Removed. */
	snprintf(p, sizeof(p), "%s/out", dir);
	assert_int_equal(unlink(p), 0);
	wc_list_init(&l);
	assert_int_equal(watch_compare_tree(&o, &base, &l), 0);
	it = find(&l, "out");
	assert_non_null(it);
	assert_int_equal(it->change, WC_REMOVED);
	wc_list_free(&l);
	fileindex_free(&second);
	fileindex_free(&base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test_setup_teardown(test_compare, test_tmpdir_setup, test_tmpdir_teardown),
	};

	log_init("test-watch", LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

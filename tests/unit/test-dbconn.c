/*
 * test-dbconn — the password file is refused unless it is a regular file of
 * mode 0600 (or stricter) owned by us or root, reached without following a
 * symlink; a failed connection says where it tried and why, and never shows
 * the password.
 *
 * Without a server, connections go to a socket path that does not exist.
 * When the suite runs its private MariaDB (LIFEBOAT_TEST_MYSQL_SOCKET and
 * friends, see tests/mariadb.sh), test_real_server also connects for real;
 * otherwise that one test is skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "dbconn.h"
#include "log.h"

#define PASSWORD "pw-Secret-123"
#define WRONG_PASSWORD "pw-Wrong-456"

static char dir[PATH_MAX];
static char sock[PATH_MAX + 32];
static char pwfile[PATH_MAX + 32];
static struct job job;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test-dbconn-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock, sizeof(sock), "%s/no-server.sock", dir);
	snprintf(pwfile, sizeof(pwfile), "%s/password", dir);
	memset(&job, 0, sizeof(job));
	job.name = "t";
	job.kind = JOB_DB;
	job.db.socket = sock;
	job.db.user = "u";
	job.db.port = 3306;
	job.db.password_file = pwfile;
	log_clear_last_error();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_rm_rf(dir);
	return 0;
}

/* Writes TEXT to PATH with exactly MODE (whatever the umask). */
static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/* dbconn_open must refuse the password file; the message names it and says NEEDLE. */
static void assert_refused(const char *needle)
{
	MYSQL *my = (MYSQL *)&my;	/* anything but NULL */
	const char *msg;

	log_clear_last_error();
	assert_int_equal(dbconn_open(&job, NULL, &my), -EACCES);
	assert_null(my);
	msg = log_last_error();
	if (!strstr(msg, pwfile) || !strstr(msg, needle) || !strstr(msg, "job t"))
		fail_msg("message [%s] lacks the path, \"job t\" or \"%s\"", msg, needle);
	if (strstr(msg, PASSWORD))
		fail_msg("message [%s] shows the password", msg);
}

/* The file passes the check and the connection to the missing socket fails. */
static void assert_connect_refused(void)
{
	MYSQL *my = (MYSQL *)&my;
	const char *msg;

	log_clear_last_error();
	assert_int_equal(dbconn_open(&job, NULL, &my), -ECONNREFUSED);
	assert_null(my);
	msg = log_last_error();
	if (!strstr(msg, "cannot connect") || !strstr(msg, sock) || !strstr(msg, "job t"))
		fail_msg("message [%s] lacks \"cannot connect\", \"job t\" or the socket path", msg);
	if (strstr(msg, PASSWORD) || strstr(msg, "Secret"))
		fail_msg("message [%s] shows the password", msg);
}

static void test_describe(void **state)
{
	struct job j;
	char buf[256], small[10];

	(void)state;
	memset(&j, 0, sizeof(j));
	j.db.socket = "/run/mysqld/mysqld.sock";
	j.db.port = 3306;
	dbconn_describe(&j, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "socket /run/mysqld/mysqld.sock");

	j.db.socket = NULL;
	j.db.host = "db.example.com";
	j.db.port = 3307;
	dbconn_describe(&j, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "db.example.com:3307");

	/* A host override (restore_host) wins over the socket. */
	j.db.socket = "/run/mysqld/mysqld.sock";
	j.db.port = 3306;
	dbconn_describe(&j, "10.0.0.5", buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.5:3306");

	/* A short buffer is cut, never overrun. */
	memset(small, 'x', sizeof(small));
	dbconn_describe(&j, NULL, small, sizeof(small));
	assert_string_equal(small, "socket /r");
}

static void test_password_mode_0644(void **state)
{
	(void)state;
	write_file(pwfile, PASSWORD "\n", 0644);
	assert_refused("0644");
}

static void test_password_mode_0640(void **state)
{
	(void)state;
	write_file(pwfile, PASSWORD "\n", 0640);
	assert_refused("0640");
}

/* Any group or other bit is too much. */
static void test_password_other_modes(void **state)
{
	static const mode_t bad[] = { 0604, 0660, 0666, 0601, 0610, 0602, 0620, 0440, 0777 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[8];

		write_file(pwfile, PASSWORD "\n", bad[i]);
		snprintf(want, sizeof(want), "%04o", (unsigned)bad[i]);
		assert_refused(want);
	}
}

static void test_password_missing(void **state)
{
	(void)state;
	assert_refused("No such file");
}

static void test_password_directory(void **state)
{
	(void)state;
	assert_int_equal(mkdir(pwfile, 0700), 0);
	assert_refused("not a regular file");
}

/* A symlink is refused even to a perfect file: no following links. */
static void test_password_symlink(void **state)
{
	char target[PATH_MAX + 32];

	(void)state;
	snprintf(target, sizeof(target), "%s/real-password", dir);
	write_file(target, PASSWORD "\n", 0600);
	assert_int_equal(symlink(target, pwfile), 0);
	assert_refused(pwfile);
	/* ... and the same file by its own name is fine. */
	job.db.password_file = target;
	log_clear_last_error();
	assert_int_equal(dbconn_open(&job, NULL, &(MYSQL *){ NULL }), -ECONNREFUSED);
	assert_null(strstr(log_last_error(), PASSWORD));
}

/* Owned by someone else (neither us nor root). */
static void test_password_foreign_owner(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();			/* only root can give a file away */
	write_file(pwfile, PASSWORD "\n", 0600);
	assert_int_equal(chown(pwfile, 65534, 65534), 0);
	assert_refused("owned by uid 65534");
}

/* A FIFO is not a regular file: refused at once, without waiting for a writer. */
static void test_password_fifo(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(mkfifo(pwfile, 0600), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		MYSQL *my;

		alarm(5);
		_exit(dbconn_open(&job, NULL, &my) == -EACCES &&
		      strstr(log_last_error(), "not a regular file") ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		fail_msg("dbconn_open blocked for 5 s opening a FIFO password_file");
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Mode 0600 (and stricter 0400) passes; the missing server is the error. */
static void test_password_ok_connect_refused(void **state)
{
	(void)state;
	write_file(pwfile, PASSWORD "\n", 0600);
	assert_connect_refused();
	write_file(pwfile, PASSWORD, 0400);
	assert_connect_refused();
	write_file(pwfile, "", 0600);
	assert_connect_refused();
}

/* No password file at all: straight to the connection. */
static void test_no_password_file(void **state)
{
	(void)state;
	job.db.password_file = NULL;
	assert_connect_refused();
}

/* A TCP address that refuses: the message names host:port. */
static void test_host_refused(void **state)
{
	MYSQL *my = (MYSQL *)&my;

	(void)state;
	write_file(pwfile, PASSWORD "\n", 0600);
	job.db.socket = NULL;
	job.db.host = "127.0.0.1";
	job.db.port = 1;		/* nothing listens on port 1 */
	log_clear_last_error();
	assert_int_equal(dbconn_open(&job, NULL, &my), -ECONNREFUSED);
	assert_null(my);
	assert_non_null(strstr(log_last_error(), "cannot connect"));
	assert_non_null(strstr(log_last_error(), "127.0.0.1:1"));
	assert_null(strstr(log_last_error(), PASSWORD));

	/* The override goes to its own host, with the job's port. */
	job.db.socket = sock;
	job.db.host = NULL;
	log_clear_last_error();
	assert_int_equal(dbconn_open(&job, "127.0.0.1", &my), -ECONNREFUSED);
	assert_non_null(strstr(log_last_error(), "127.0.0.1:1"));
	assert_null(strstr(log_last_error(), sock));
}

/* A query's single value as a string (caller frees), or NULL. */
static char *query_value(MYSQL *my, const char *sql)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	char *v = NULL;

	if (mysql_query(my, sql) != 0)
		fail_msg("%s: %s", sql, mysql_error(my));
	res = mysql_store_result(my);
	assert_non_null(res);
	row = mysql_fetch_row(res);
	if (row && row[0])
		v = strdup(row[0]);
	mysql_free_result(res);
	return v;
}

static void test_real_server(void **state)
{
	const char *env_sock = getenv("LIFEBOAT_TEST_MYSQL_SOCKET");
	const char *env_pw = getenv("LIFEBOAT_TEST_MYSQL_PASSWORD_FILE");
	const char *env_port = getenv("LIFEBOAT_TEST_MYSQL_PORT");
	const char *env_dir = getenv("LIFEBOAT_TEST_MYSQL_DIR");
	char pw[256], cnf[PATH_MAX + 32];
	MYSQL *my = NULL;
	MYSQL_RES *res;
	char *v;
	FILE *f;
	size_t n;

	(void)state;
	if (!env_sock || !*env_sock)
		skip();
	assert_non_null(env_pw);

	job.db.socket = (char *)env_sock;
	job.db.user = "lifeboat";
	job.db.password_file = (char *)env_pw;

	log_clear_last_error();
	if (dbconn_open(&job, NULL, &my) != 0)
		fail_msg("dbconn_open: %s", log_last_error());
	assert_non_null(my);
	assert_int_equal(dbconn_exec(my, "t", "SELECT 1"), 0);
	res = mysql_store_result(my);	/* SELECT 1 has a row; drain it */
	mysql_free_result(res);
	assert_int_equal(dbconn_exec(my, "t", "SET @lifeboat_test = 42"), 0);
	v = query_value(my, "SELECT @lifeboat_test");
	assert_string_equal(v, "42");
	free(v);
	/* The session talks utf8mb4. */
	v = query_value(my, "SELECT @@character_set_client");
	assert_string_equal(v, "utf8mb4");
	free(v);
	v = query_value(my, "SELECT @@character_set_results");
	assert_string_equal(v, "utf8mb4");
	free(v);
	v = query_value(my, "SELECT CURRENT_USER()");
	assert_string_equal(v, "lifeboat@localhost");
	free(v);

	/* A failing statement: -EIO, logged with the job, the statement and the server's word. */
	log_clear_last_error();
	assert_int_equal(dbconn_exec(my, "t", "SELEKT 1"), -EIO);
	assert_non_null(strstr(log_last_error(), "job t: SELEKT 1: "));
	assert_non_null(strstr(log_last_error(), "SQL syntax"));
	mysql_close(my);
	my = NULL;

	/* Our own copy of the password with a trailing newline: the first line is the password. */
	f = fopen(env_pw, "r");
	assert_non_null(f);
	n = fread(pw, 1, sizeof(pw) - 1, f);
	fclose(f);
	pw[n] = '\0';
	pw[strcspn(pw, "\r\n")] = '\0';
	assert_true(strlen(pw) > 0);
	{
		char text[300];

		snprintf(text, sizeof(text), "%s\nsecond line is ignored\n", pw);
		write_file(pwfile, text, 0600);
	}
	job.db.password_file = pwfile;
	if (dbconn_open(&job, NULL, &my) != 0)
		fail_msg("dbconn_open with a trailing newline: %s", log_last_error());
	mysql_close(my);
	my = NULL;

	/* A wrong password: refused by the server, and no password in the message. */
	write_file(pwfile, WRONG_PASSWORD "\n", 0600);
	log_clear_last_error();
	my = (MYSQL *)&my;
	assert_int_equal(dbconn_open(&job, NULL, &my), -ECONNREFUSED);
	assert_null(my);
	if (!strstr(log_last_error(), "Access denied") || !strstr(log_last_error(), env_sock))
		fail_msg("message [%s] lacks \"Access denied\" or the socket", log_last_error());
	assert_null(strstr(log_last_error(), WRONG_PASSWORD));
	assert_null(strstr(log_last_error(), pw));

	/* An unknown user is refused the same way. */
	write_file(pwfile, PASSWORD "\n", 0600);
	job.db.user = "no_such_user";
	log_clear_last_error();
	assert_int_equal(dbconn_open(&job, NULL, &my), -ECONNREFUSED);
	assert_non_null(strstr(log_last_error(), "Access denied"));
	assert_null(strstr(log_last_error(), PASSWORD));
	job.db.user = "lifeboat";

	/* host_override (restore_host) connects over TCP to the job's port. */
	if (env_port && *env_port) {
		job.db.password_file = (char *)env_pw;
		job.db.port = strtol(env_port, NULL, 10);
		if (dbconn_open(&job, "127.0.0.1", &my) != 0)
			fail_msg("dbconn_open via 127.0.0.1:%s: %s", env_port, log_last_error());
		v = query_value(my, "SELECT CURRENT_USER()");
		assert_string_equal(v, "lifeboat@127.0.0.1");
		free(v);
		mysql_close(my);
		my = NULL;
	}

	/* Credentials from a defaults file instead ([client] user and password). */
	if (env_dir && *env_dir) {
		snprintf(cnf, sizeof(cnf), "%s/lifeboat.cnf", env_dir);
		if (access(cnf, R_OK) == 0) {
			job.db.password_file = NULL;
			job.db.user = NULL;
			job.db.defaults_file = cnf;
			if (dbconn_open(&job, NULL, &my) != 0)
				fail_msg("dbconn_open with defaults_file %s: %s", cnf, log_last_error());
			v = query_value(my, "SELECT CURRENT_USER()");
			assert_string_equal(v, "lifeboat@localhost");
			free(v);
			mysql_close(my);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_describe),
		cmocka_unit_test_setup_teardown(test_password_mode_0644, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_mode_0640, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_other_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_foreign_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_ok_connect_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_password_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_server, setup, teardown),
	};
	int r;

	r = cmocka_run_group_tests(tests, NULL, NULL);
	mysql_library_end();
	return r;
}

/*
 * dbconn — see dbconn.h.
 */
#include "dbconn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define PASSWORD_MAX 1024

void dbconn_describe(const struct job *job, const char *host_override, char *buf, size_t buflen)
{
	if (host_override)
		snprintf(buf, buflen, "%s:%ld", host_override, job->db.port);
	else if (job->db.socket)
		snprintf(buf, buflen, "socket %s", job->db.socket);
	else
		snprintf(buf, buflen, "%s:%ld", job->db.host, job->db.port);
}

/* Reads the first line of the password file after checking who may read it. */
static int read_password(const struct job *job, char *pw, size_t pwlen)
{
	const char *path = job->db.password_file;
	struct stat sb;
	ssize_t n;
	int fd;

	/* O_NONBLOCK: a FIFO planted as the password file must not hang the job. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		log_err(LOG_LVL_ERROR, errno, "job %s: password_file %s", job->name, path);
		return -EACCES;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		log_error("job %s: password_file %s: not a regular file", job->name, path);
		close(fd);
		return -EACCES;
	}
	if (sb.st_mode & 077) {
		log_error("job %s: password_file %s: mode %04o is too open; it must be 0600 or stricter",
			  job->name, path, (unsigned)(sb.st_mode & 07777));
		close(fd);
		return -EACCES;
	}
	if (sb.st_uid != 0 && sb.st_uid != geteuid()) {
		log_error("job %s: password_file %s: owned by uid %u; it must be owned by root or uid %u",
			  job->name, path, (unsigned)sb.st_uid, (unsigned)geteuid());
		close(fd);
		return -EACCES;
	}
	n = read(fd, pw, pwlen - 1);
	close(fd);
	if (n < 0) {
		log_err(LOG_LVL_ERROR, errno, "job %s: password_file %s", job->name, path);
		return -EACCES;
	}
	pw[n] = '\0';
	/* The password is the first line; a trailing newline is not part of it. */
	pw[strcspn(pw, "\r\n")] = '\0';
	return 0;
}

int dbconn_open(const struct job *job, const char *host_override, MYSQL **out)
{
	const struct db_job *db = &job->db;
	char pw[PASSWORD_MAX], where[512];
	unsigned timeout = 30;
	MYSQL *my;
	bool have_pw = false;

	*out = NULL;
	dbconn_describe(job, host_override, where, sizeof(where));
	if (db->password_file) {
		if (read_password(job, pw, sizeof(pw)) < 0)
			return -EACCES;
		have_pw = true;
	}
	my = mysql_init(NULL);
	if (!my) {
		explicit_bzero(pw, sizeof(pw));
		log_error("job %s: out of memory", job->name);
		return -ENOMEM;
	}
	if (db->defaults_file) {
		mysql_optionsv(my, MYSQL_READ_DEFAULT_FILE, db->defaults_file);
		mysql_optionsv(my, MYSQL_READ_DEFAULT_GROUP, "client");
	}
	mysql_optionsv(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_optionsv(my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	if (!mysql_real_connect(my, host_override ? host_override : (db->socket ? "localhost" : db->host),
				db->user, have_pw ? pw : NULL, NULL,
				(unsigned)db->port, host_override ? NULL : db->socket, 0)) {
		explicit_bzero(pw, sizeof(pw));
		log_error("job %s: cannot connect to the server at %s: %s", job->name, where,
			  mysql_error(my));
		mysql_close(my);
		return -ECONNREFUSED;
	}
	explicit_bzero(pw, sizeof(pw));
	*out = my;
	return 0;
}

int dbconn_exec(MYSQL *my, const char *job, const char *sql)
{
	if (mysql_query(my, sql) == 0)
		return 0;
	log_error("job %s: %s: %s", job, sql, mysql_error(my));
	return -EIO;
}

bool dbconn_is_local(const struct job *job)
{
	const char *h = job->db.host;

	return job->db.socket || !h || !strcmp(h, "localhost") || !strcmp(h, "127.0.0.1") || !strcmp(h, "::1");
}

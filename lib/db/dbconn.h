/*
 * dbconn — a connection to the MySQL/MariaDB server of a db job.
 *
 * Credentials come from the job's password_file (refused unless it is a
 * regular file of mode 0600 or stricter owned by us or root) or its
 * defaults_file ([client] group, read by the client library itself).  The
 * password is read into memory only for mysql_real_connect() and wiped
 * straight after; it is never in argv, the environment or a message.
 *
 * The session is set up for dumping: utf8mb4, time zone +00:00, long
 * network timeouts (a throttled dump may pause between chunks for minutes).
 */
#ifndef LIFEBOAT_DBCONN_H
#define LIFEBOAT_DBCONN_H

#include <mysql.h>

#include "config.h"

/* Connects for job JOB, to HOST_OVERRIDE when not NULL (restore_host).
 * Returns 0 and *OUT (close with mysql_close), or -EACCES (password file
 * refused), -ECONNREFUSED (any connection failure), both logged with the
 * server's message and where it tried to connect. */
int dbconn_open(const struct job *job, const char *host_override, MYSQL **out);

/* Runs one statement that returns no rows.  Logs "job: what: server error" on failure. */
int dbconn_exec(MYSQL *my, const char *job, const char *sql);

/* The job's server runs on this host: reached by socket, or by localhost. */
bool dbconn_is_local(const struct job *job);

/* Where the job connects, for messages: "socket /run/mysqld/mysqld.sock" or "host:port". */
void dbconn_describe(const struct job *job, const char *host_override, char *buf, size_t buflen);

#endif

/*
 * cli_daemon — how the CLI talks to lifeboatd: connect to the configured
 * socket, send one request, read replies.  "No daemon" is told apart from
 * "not allowed" so each command can say the right thing.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "protocol.h"

int cli_daemon_open(const struct config *cfg, struct cli_conn *conn, bool quiet)
{
	int r;

	proto_lines_init(&conn->lines);
	conn->fd = -1;
	/* A daemon that refuses us closes before reading: a write must fail
	 * with EPIPE, not kill us before we can read why. */
	signal(SIGPIPE, SIG_IGN);
	r = proto_connect(cfg->socket, &conn->fd);
	if (r < 0) {
		if (!quiet) {
			if (r == -ENOENT || r == -ECONNREFUSED)
				fprintf(stderr, "lifeboat: lifeboatd is not running (no daemon on %s)\n", cfg->socket);
			else
				fprintf(stderr, "lifeboat: cannot reach lifeboatd on %s: %s\n", cfg->socket, strerror(-r));
		}
		return r;
	}
	return 0;
}

void cli_daemon_close(struct cli_conn *conn)
{
	if (conn->fd >= 0)
		close(conn->fd);
	conn->fd = -1;
	proto_lines_free(&conn->lines);
}

int cli_daemon_read(struct cli_conn *conn, json_t **msg)
{
	int r = proto_read(conn->fd, &conn->lines, msg);

	if (r == -ECONNRESET)
		fprintf(stderr, "lifeboat: lifeboatd closed the connection\n");
	else if (r < 0)
		fprintf(stderr, "lifeboat: bad reply from lifeboatd: %s\n", strerror(-r));
	return r;
}

int cli_daemon_request(struct cli_conn *conn, json_t *req, json_t **reply)
{
	int r;

	*reply = NULL;
	r = proto_write(conn->fd, req);
	json_decref(req);
	if (r < 0) {
		/* Refused at once (permission denied): the reason is waiting to be read. */
		if ((r == -EPIPE || r == -ECONNRESET) && proto_read(conn->fd, &conn->lines, reply) == 0 &&
		    json_is_false(json_object_get(*reply, "ok")) &&
		    json_string_value(json_object_get(*reply, "error"))) {
			fprintf(stderr, "lifeboat: %s\n", json_string_value(json_object_get(*reply, "error")));
			return -EPERM;
		}
		json_decref(*reply);
		*reply = NULL;
		fprintf(stderr, "lifeboat: cannot send to lifeboatd: %s\n", strerror(-r));
		return r;
	}
	r = cli_daemon_read(conn, reply);
	if (r < 0)
		return r;
	if (!json_is_true(json_object_get(*reply, "ok"))) {
		const char *e = json_string_value(json_object_get(*reply, "error"));

		fprintf(stderr, "lifeboat: %s\n", e ? e : "lifeboatd refused the request");
		return -EPERM;
	}
	return 0;
}

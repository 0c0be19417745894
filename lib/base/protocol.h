/*
 * protocol — the control socket's wire format, shared by lifeboatd and the
 * lifeboat CLI, and the JSON lines a job child writes to the daemon.
 *
 * One JSON object per line, each way.  A request names its command:
 *   {"cmd":"status"}
 *   {"cmd":"run","job":"shop","wait":true}      wait: stream progress until done
 *   {"cmd":"follow","job":"shop"}               progress of a running job until done
 *   {"cmd":"cancel","job":"shop"}
 *   {"cmd":"reload"}
 *   {"cmd":"ack","what":"web-3"}                an alert id, or a job name
 * Every reply has "ok" (true/false) and, when false, "error" (one line).
 * Streams send {"event":"progress",...} lines and end with
 * {"event":"done","result":"ok|partial|failed|cancelled",...}.
 *
 * Lines are bounded (PROTO_LINE_MAX): a peer that sends more without a
 * newline is answered with an error and dropped, never buffered without end.
 */
#ifndef LIFEBOAT_PROTOCOL_H
#define LIFEBOAT_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define PROTO_LINE_MAX (64 * 1024)

/* Splits a byte stream into lines, holding at most PROTO_LINE_MAX bytes. */
struct proto_lines {
	char *buf;
	size_t len;		/* bytes held */
	size_t start;		/* where the next line begins */
	bool overflow;		/* a line longer than the limit was seen */
};

void proto_lines_init(struct proto_lines *pl);
void proto_lines_free(struct proto_lines *pl);
/* Adds LEN bytes.  Returns 0, -ENOMEM, or -EMSGSIZE once a line is over the
 * limit (the stream is then unusable). */
int proto_lines_push(struct proto_lines *pl, const char *data, size_t len);
/* The next complete line (without its newline, NUL-terminated, valid until
 * the next call), or NULL when none is complete yet. */
char *proto_lines_next(struct proto_lines *pl);

/* Parses LINE as one JSON object; NULL (with a reason in ERR) otherwise. */
json_t *proto_parse(const char *line, char *err, size_t errlen);

/* Writes MSG as one line to FD (blocking).  Returns 0 or a negative errno. */
int proto_write(int fd, const json_t *msg);

/* The client side: connects to the daemon's socket at PATH.  Returns 0 and
 * *FD, or a negative errno (not logged: "no daemon" is an answer, not always
 * an error). */
int proto_connect(const char *path, int *fd);

/* Reads the next message from FD into *OUT, blocking, using PL as buffer.
 * Returns 0, -ECONNRESET when the daemon closed, or a negative errno. */
int proto_read(int fd, struct proto_lines *pl, json_t **out);

#endif

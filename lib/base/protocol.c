/*
 * protocol — see protocol.h.
 */
#include "protocol.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fsutil.h"

void proto_lines_init(struct proto_lines *pl)
{
	memset(pl, 0, sizeof(*pl));
}

void proto_lines_free(struct proto_lines *pl)
{
	free(pl->buf);
	memset(pl, 0, sizeof(*pl));
}

int proto_lines_push(struct proto_lines *pl, const char *data, size_t len)
{
	const char *nl;
	size_t tail;
	char *grown;

	if (pl->overflow)
		return -EMSGSIZE;
	/* Drop the lines already handed out before growing. */
	if (pl->start) {
		memmove(pl->buf, pl->buf + pl->start, pl->len - pl->start);
		pl->len -= pl->start;
		pl->start = 0;
	}
	grown = realloc(pl->buf, pl->len + len + 1);
	if (!grown)
		return -ENOMEM;
	pl->buf = grown;
	memcpy(pl->buf + pl->len, data, len);
	pl->len += len;
	pl->buf[pl->len] = '\0';
	/* The unfinished line must fit: that bounds what a peer can make us hold. */
	nl = memrchr(pl->buf, '\n', pl->len);
	tail = nl ? pl->len - (size_t)(nl - pl->buf) - 1 : pl->len;
	if (tail > PROTO_LINE_MAX) {
		pl->overflow = true;
		return -EMSGSIZE;
	}
	return 0;
}

char *proto_lines_next(struct proto_lines *pl)
{
	char *line, *nl;

	if (!pl->buf || pl->start >= pl->len)
		return NULL;
	line = pl->buf + pl->start;
	nl = memchr(line, '\n', pl->len - pl->start);
	if (!nl)
		return NULL;
	*nl = '\0';
	if (nl - line > PROTO_LINE_MAX) {
		pl->overflow = true;
		return NULL;
	}
	pl->start = (size_t)(nl - pl->buf) + 1;
	return line;
}

json_t *proto_parse(const char *line, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &je);

	if (!j) {
		snprintf(err, errlen, "malformed JSON at column %d: %s", je.column, je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		snprintf(err, errlen, "a request must be a JSON object");
		json_decref(j);
		return NULL;
	}
	return j;
}

int proto_write(int fd, const json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	size_t len;
	int r;

	if (!text)
		return -ENOMEM;
	len = strlen(text);
	text[len] = '\n';	/* json_dumps' NUL becomes the newline */
	r = fs_write_all(fd, text, len + 1);
	free(text);
	return r;
}

int proto_connect(const char *path, int *fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(s);
		return r;
	}
	*fd = s;
	return 0;
}

int proto_read(int fd, struct proto_lines *pl, json_t **out)
{
	char buf[4096], err[256];
	char *line;
	ssize_t n;
	int r;

	*out = NULL;
	for (;;) {
		line = proto_lines_next(pl);
		if (line) {
			*out = proto_parse(line, err, sizeof(err));
			return *out ? 0 : -EBADMSG;
		}
		if (pl->overflow)
			return -EMSGSIZE;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		r = proto_lines_push(pl, buf, (size_t)n);
		if (r < 0)
			return r;
	}
}

/*
 * drill_logs — a drill's check of restored logs: for each log of the
 * backup's record ("logs"."files": one entry per generation still followed,
 * with the bytes archived of it and the SHA-256 of those bytes), the
 * restored file must hold that generation with that hash.  A restored log is
 * its generations one after the other in generation order (logship.h), so
 * the newest generation ends the file: the generations the record lists are
 * found from the end backwards, and any older ones (rotated away and no
 * longer followed) are the part before them.
 *
 * What it does not do: restore (the logs kind's restore op does) or look at
 * the live logs (the logs job's tamper checks do).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drill_int.h"
#include "log.h"
#include "logship.h"
#include "sha256.h"
#include "throttle.h"

#define READ_BLOCK (256 * 1024)

/* The SHA-256 of LEN bytes of FD from OFF. */
static int hash_range(struct drill_one *d, int fd, uint64_t off, uint64_t len, unsigned char *buf,
		      char hex[SHA256_HEX_LEN + 1])
{
	struct sha256 h;
	int r = sha256_init(&h);

	while (r == 0 && len) {
		ssize_t n = pread(fd, buf, len < READ_BLOCK ? (size_t)len : READ_BLOCK, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		sha256_update(&h, buf, (size_t)n);
		off += (uint64_t)n;
		len -= (uint64_t)n;
		d->k->bytes_in += (uint64_t)n;
		throttle_io(d->k->throttle, (uint64_t)n);
		if (throttle_between_chunks(d->k->throttle) < 0 || jobkind_cancelled(d->k))
			r = -ECANCELED;
		jobkind_progress(d->k, false);
	}
	if (r < 0) {
		sha256_discard(&h);
		return r;
	}
	sha256_final_hex(&h, hex);
	return 0;
}

static int cmp_gen_desc(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "gen"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "gen"));

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Every generation of the log NAME in FILES, against the restored file. */
static int check_log(struct drill_one *d, const json_t *files, const char *name, unsigned char *buf,
		     uint64_t *gens, uint64_t *bytes)
{
	char path[PATH_MAX], hex[SHA256_HEX_LEN + 1];
	const json_t *f;
	json_t **mine = NULL;
	size_t n = 0, i;
	struct stat st;
	uint64_t pos;
	int fd, r = 0;

	if (!lstate_path_safe(name))
		return drill_differs(d, "the record names a log with an unsafe path");
	if ((size_t)snprintf(path, sizeof(path), "%s%s", d->tree, name) >= sizeof(path))
		return -ENAMETOOLONG;
	mine = calloc(json_array_size(files), sizeof(*mine));
	if (!mine)
		return -ENOMEM;
	json_array_foreach(files, i, f)
		if (strcmp(json_string_value(json_object_get(f, "name")) ?: "", name) == 0)
			mine[n++] = (json_t *)f;
	qsort(mine, n, sizeof(*mine), cmp_gen_desc);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		free(mine);
		return drill_differs(d, "log %s: missing from the restored logs", name);
	}
	pos = (uint64_t)st.st_size;
	for (i = 0; i < n && r == 0; i++) {
		uint64_t len = (uint64_t)json_integer_value(json_object_get(mine[i], "offset"));
		const char *want = json_string_value(json_object_get(mine[i], "sha256")) ?: "";
		json_int_t gen = json_integer_value(json_object_get(mine[i], "gen"));

		if (len > pos) {
			r = drill_differs(d, "log %s: restored with %" PRIu64 " bytes, too few for the generations the record lists",
					  name, (uint64_t)st.st_size);
			break;
		}
		pos -= len;
		r = hash_range(d, fd, pos, len, buf, hex);
		if (r == 0 && strcmp(hex, want) != 0)
			r = drill_differs(d, "log %s: generation %" JSON_INTEGER_FORMAT ": the restored %" PRIu64
					  " bytes do not hash to the record's prefix hash", name, gen, len);
		(*gens)++;
		*bytes += len;
	}
	close(fd);
	free(mine);
	return r;
}

int drill_logs_compare(struct drill_one *d)
{
	const json_t *files = json_object_get(json_object_get(d->e.record, "logs"), "files"), *f;
	uint64_t gens = 0, bytes = 0, logs = 0;
	struct strlist seen = { 0 };
	unsigned char *buf;
	size_t i;
	int r = 0;

	if (!json_is_array(files))
		return drill_differs(d, "the record does not describe a logs backup");
	buf = malloc(READ_BLOCK);
	if (!buf)
		return -ENOMEM;
	json_array_foreach(files, i, f) {
		const char *name = json_string_value(json_object_get(f, "name")) ?: "";
		bool done = false;

		for (size_t j = 0; j < seen.n && !done; j++)
			done = strcmp(seen.v[j], name) == 0;
		if (done)
			continue;
		if (strlist_append(&seen, name) < 0) {
			r = -ENOMEM;
			break;
		}
		d->k->what = name;
		r = check_log(d, files, name, buf, &gens, &bytes);
		d->k->what = NULL;
		logs++;
		if (r == -ECANCELED || r == -ENOMEM)
			break;
		if (r < 0 && r != -EBADMSG)
			drill_differs(d, "log %s: cannot check it: %s", name, strerror(-r));
		r = 0;
	}
	json_object_set_new(d->compared, "logs", json_integer((json_int_t)logs));
	json_object_set_new(d->compared, "generations", json_integer((json_int_t)gens));
	json_object_set_new(d->compared, "bytes_hashed", json_integer((json_int_t)bytes));
	json_object_set_new(d->compared, "what", json_string("each log's archived prefix against its recorded SHA-256"));
	strlist_free(&seen);
	free(buf);
	return r;
}

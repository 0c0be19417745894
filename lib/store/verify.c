/*
 * verify — see verify.h.
 */
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filechain.h"
#include "fileindex.h"
#include "sha256.h"

/* The SHA-256 of the file at PATH, not logged: the caller says what it means. */
static int hash_file(const char *path, char hex[SHA256_HEX_LEN + 1], uint64_t *bytes)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = sha256_fd(fd, hex, bytes);
	close(fd);
	return r;
}

int verify_artifacts(struct store *st, const struct store_entry *e, uint64_t *bytes,
		     char *why, size_t whylen)
{
	const json_t *arts = json_object_get(e->record, "artifacts"), *a;
	size_t i;

	*bytes = 0;
	if (!json_is_array(arts) || json_array_size(arts) == 0) {
		snprintf(why, whylen, "its record lists no artifact");
		return -EINVAL;
	}
	json_array_foreach(arts, i, a) {
		const char *file = json_string_value(json_object_get(a, "file"));
		const char *want = json_string_value(json_object_get(a, "sha256"));
		const char *ext = file ? strchr(file, '.') : NULL;
		char path[4096], hex[65];
		int r;

		if (!ext || !want || store_path(st, e->job, &e->parts, ext + 1, path, sizeof(path)) < 0) {
			snprintf(why, whylen, "its record names a bad artifact");
			return -EINVAL;
		}
		r = hash_file(path, hex, bytes);
		if (r < 0) {
			snprintf(why, whylen, "%s: %s", path, strerror(-r));
			return r;
		}
		if (strcmp(hex, want) != 0) {
			snprintf(why, whylen, "%s: SHA-256 %.12s..., its record says %.12s...: the artifact is corrupted",
				 path, hex, want);
			return -EINVAL;
		}
	}
	return 0;
}

int verify_files_content(struct store *st, const struct store_entry *e, char *why, size_t whylen)
{
	struct filechain chain;
	struct fileindex target;
	char path[4096], cwhy[1024];
	int r;

	r = filechain_load(st, e->job, e->id, &chain, cwhy, sizeof(cwhy));
	if (r < 0) {
		snprintf(why, whylen, "its chain is broken: %s", cwhy);
		return r;
	}
	fileindex_init(&target);
	r = filechain_artifact(st, e, "index.zst", path, sizeof(path));
	if (r == 0)
		r = fileindex_load(&target, path, NULL);
	if (r < 0) {
		snprintf(why, whylen, "%s cannot be read", path);
		goto out;
	}
	/* Each member's own index says what its tar stored: a line whose FROM
	 * is the member itself. */
	for (size_t m = 0; m < chain.n && r == 0; m++) {
		struct fileindex mi;

		fileindex_init(&mi);
		r = filechain_artifact(st, &chain.v[m], "index.zst", path, sizeof(path));
		if (r == 0)
			r = m + 1 == chain.n ? 0 : fileindex_load(&mi, path, NULL);
		if (r < 0) {
			snprintf(why, whylen, "the index of %s in its chain cannot be read", chain.v[m].id);
			fileindex_free(&mi);
			break;
		}
		for (size_t i = 0; i < target.n; i++) {
			struct fi_entry *t = &target.v[i], *held;
			const char *from = fileindex_from(&target, t);

			if (t->type == '-' || !from || strcmp(from, chain.v[m].id) != 0)
				continue;
			if (m + 1 == chain.n) {
				t->seen = true;
				continue;
			}
			held = fileindex_find(&mi, t->path);
			if (held && held->type == t->type && fileindex_from(&mi, held) &&
			    !strcmp(fileindex_from(&mi, held), chain.v[m].id) &&
			    (t->type != 'f' || (held->has_sha && !memcmp(held->sha, t->sha, 32))))
				t->seen = true;
		}
		fileindex_free(&mi);
	}
	for (size_t i = 0; r == 0 && i < target.n; i++) {
		const struct fi_entry *t = &target.v[i];
		const char *from = fileindex_from(&target, t);
		char *esc;

		if (t->type == '-' || t->seen || (t->flags & FI_ERROR))
			continue;
		esc = fileindex_escape(t->path);
		snprintf(why, whylen, "the content of '%s' should be in %s, which %s", esc ? esc : "?",
			 from ? from : "(none)", from ? "does not hold it (or is not in its chain)" :
			 "is not named");
		free(esc);
		r = -ENOENT;
	}
out:
	fileindex_free(&target);
	filechain_free(&chain);
	return r;
}

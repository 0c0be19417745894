/*
 * facts_keep — see facts_keep.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "facts.h"
#include "facts_keep.h"
#include "fsutil.h"
#include "sha256.h"

#define LIST_MAX (64 * 1024 * 1024)

static int list_path(const struct config *cfg, const char *sha, char *buf, size_t len)
{
	/* The hash comes from a record: only hex digits make a file name. */
	if (strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s/facts/packages-%s.json", cfg->state_dir, sha) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int facts_keep(const struct config *cfg, json_t *record, char *why, size_t whylen)
{
	json_t *small = NULL, *full = json_object(), *pk;
	char path[4096], dir[4096], *text = NULL;
	const char *sha;
	int r;

	if (!full)
		return -ENOMEM;
	r = facts_collect(cfg, FACTS_SMALL, &small);
	if (r < 0) {
		snprintf(why, whylen, "collecting server facts: %s", strerror(-r));
		goto out;
	}
	json_object_set(record, FACTS_RECORD_KEY, small);
	r = facts_packages(full, FACTS_FULL);
	pk = json_object_get(full, "packages");
	sha = json_string_value(json_object_get(pk, "sha256"));
	if (r < 0 || !sha || !json_object_get(pk, "list"))
		goto out;	/* no dpkg: the record says so in its "error" */
	if ((r = list_path(cfg, sha, path, sizeof(path))) < 0)
		goto out;
	if (access(path, F_OK) == 0)
		goto out;	/* this very list is kept already */
	snprintf(dir, sizeof(dir), "%s/facts", cfg->state_dir);
	if ((r = fs_mkdirs(dir, 0700)) < 0) {
		snprintf(why, whylen, "%s: %s", dir, strerror(-r));
		goto out;
	}
	text = json_dumps(json_object_get(pk, "list"), JSON_COMPACT);
	if (!text) {
		r = -ENOMEM;
		goto out;
	}
	r = fs_write_atomic(path, text, strlen(text), 0600);
	if (r < 0)
		snprintf(why, whylen, "%s: %s", path, strerror(-r));
out:
	free(text);
	json_decref(small);
	json_decref(full);
	return r;
}

/* The list hashes to SHA, as facts_packages.c hashes it. */
static bool list_matches(const json_t *list, const char *sha)
{
	char hex[SHA256_HEX_LEN + 1];
	struct sha256 h;
	const json_t *v;
	size_t i;

	if (sha256_init(&h) < 0)
		return false;
	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v);

		if (!s) {
			sha256_discard(&h);
			return false;
		}
		sha256_update(&h, s, strlen(s));
		sha256_update(&h, "\n", 1);
	}
	sha256_final_hex(&h, hex);
	return strcmp(hex, sha) == 0;
}

int facts_keep_load_list(const struct config *cfg, json_t *facts)
{
	json_t *pk = json_object_get(facts, "packages"), *list;
	const char *sha = json_string_value(json_object_get(pk, "sha256"));
	char path[4096], *text = NULL;
	json_error_t err;
	size_t len;
	int r;

	if (!sha)
		return -ENOENT;
	if ((r = list_path(cfg, sha, path, sizeof(path))) < 0)
		return r;
	if ((r = fs_read_all(path, LIST_MAX, &text, &len)) < 0)
		return r;
	list = json_loadb(text, len, 0, &err);
	free(text);
	if (!json_is_array(list) || !list_matches(list, sha)) {
		json_decref(list);
		return -EBADMSG;
	}
	json_object_set_new(pk, "list", list);
	return 0;
}

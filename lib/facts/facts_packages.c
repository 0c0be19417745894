/*
 * facts_packages — the installed packages with their versions, as
 * dpkg-query lists them ("keeping track of changes and upgrades and
 * patches"): a sorted list of "name:arch version" lines, its count and its
 * SHA-256; and the recent package history from dpkg.log (installs,
 * upgrades, removals).  dpkg's database files are never read directly.
 *
 * The small scope keeps count and hash only, so a record stays small; the
 * list itself can be kept elsewhere by hash (facts_keep.c).  Systems
 * without dpkg say so in "error".  rpm databases are not read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "facts_cmd.h"
#include "sha256.h"

#define DPKG_QUERY "/usr/bin/dpkg-query"
#define DPKG_TIMEOUT_MS 30000
#define DPKG_MAX_OUTPUT (16 * 1024 * 1024)
#define HISTORY_KEEP 200

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted "name:arch version" strings of the installed packages, as
 * dpkg-query lists them ("ii"/"hi" first column: installed).  dpkg's own
 * interface, not its database files. */
static int read_status(char ***out, size_t *count, char *why, size_t whylen)
{
	char *argv[] = { (char *)DPKG_QUERY, "-W", "-f",
			 "${db:Status-Abbrev}\t${Package}:${Architecture}\t${Version}\n", NULL };
	struct facts_cmd_result res;
	char **v = NULL, *line, *save = NULL;
	size_t n = 0, cap = 0;
	int r, trunc = 0;

	r = facts_cmd_run_max(argv, DPKG_TIMEOUT_MS, DPKG_MAX_OUTPUT, &res, &trunc);
	if (r < 0) {
		snprintf(why, whylen, "%s: %s", DPKG_QUERY, strerror(-r));
		return r;
	}
	if (res.timed_out || res.status != 0 || trunc) {
		snprintf(why, whylen, "%s: %s", DPKG_QUERY,
			 res.timed_out ? "timed out" : trunc ? "output too long" : "failed");
		facts_cmd_result_free(&res);
		return -EIO;
	}
	for (line = strtok_r(res.output, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *pkg = strchr(line, '\t'), *ver;

		/* "ii " installed, "hi " held: the second letter is the state. */
		if (!pkg || strlen(line) < 2 || line[1] != 'i')
			continue;
		ver = strchr(++pkg, '\t');
		if (!ver)
			continue;
		*ver = ' ';
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 1024;
			char **nv = realloc(v, nc * sizeof(*v));

			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		if (!(v[n] = strdup(pkg))) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	facts_cmd_result_free(&res);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return r;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	*count = n;
	return 0;
}

/* The last HISTORY_KEEP install/upgrade/remove/purge lines of dpkg.log and
 * its first rotation, oldest first. */
static json_t *history(void)
{
	static const char *const files[] = { "/var/log/dpkg.log.1", "/var/log/dpkg.log" };
	char *ring[HISTORY_KEEP] = { 0 };
	size_t next = 0, total = 0;
	json_t *arr = json_array();

	for (size_t fi = 0; fi < 2; fi++) {
		FILE *f = fopen(files[fi], "re");
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;

		if (!f)
			continue;
		while ((len = getline(&line, &cap, f)) >= 0) {
			/* "2026-12-01 10:00:00 install name:arch <none> 1.0" */
			if (len < 21 || !(strncmp(line + 20, "install ", 8) == 0 ||
					  strncmp(line + 20, "upgrade ", 8) == 0 ||
					  strncmp(line + 20, "remove ", 7) == 0 ||
					  strncmp(line + 20, "purge ", 6) == 0))
				continue;
			line[strcspn(line, "\r\n")] = '\0';
			free(ring[next]);
			ring[next] = strdup(line);
			next = (next + 1) % HISTORY_KEEP;
			total++;
		}
		free(line);
		fclose(f);
	}
	for (size_t i = 0; i < HISTORY_KEEP; i++) {
		size_t k = total < HISTORY_KEEP ? i : (next + i) % HISTORY_KEEP;

		if (ring[k])
			json_array_append_new(arr, facts_text(ring[k], strlen(ring[k])));
	}
	for (size_t i = 0; i < HISTORY_KEEP; i++)
		free(ring[i]);
	return arr;
}

int facts_packages(json_t *obj, enum facts_scope scope)
{
	json_t *pk = json_object();
	char **v = NULL, hex[SHA256_HEX_LEN + 1], why[256] = "";
	struct sha256 h;
	size_t n = 0;
	int r;

	r = read_status(&v, &n, why, sizeof(why));
	if (r < 0) {
		if (r == -ENOMEM)
			return r;
		json_object_set_new(pk, "error", json_string(why[0] ? why : strerror(-r)));
		json_object_set_new(obj, "packages", pk);
		return 0;
	}
	if ((r = sha256_init(&h)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		sha256_update(&h, v[i], strlen(v[i]));
		sha256_update(&h, "\n", 1);
	}
	sha256_final_hex(&h, hex);
	json_object_set_new(pk, "count", json_integer((json_int_t)n));
	json_object_set_new(pk, "sha256", json_string(hex));
	if (scope == FACTS_FULL) {
		json_t *list = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(list, facts_text(v[i], strlen(v[i])));
		json_object_set_new(pk, "list", list);
		json_object_set_new(obj, "package_history", history());
	}
	json_object_set_new(obj, "packages", pk);
out:
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return r;
}

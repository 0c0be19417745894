/*
 * facts_packages — the installed packages with their versions (dpkg's
 * status file: "keeping track of changes and upgrades and patches"), as a
 * sorted list of "name:arch version" lines, its count and its SHA-256; and
 * the recent package history from dpkg.log (installs, upgrades, removals).
 *
 * The small scope keeps count and hash only, so a record stays small; the
 * list itself can be kept elsewhere by hash (facts_store.c).  Systems
 * without dpkg say so in "error".  rpm databases are not read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "sha256.h"

#define DPKG_STATUS "/var/lib/dpkg/status"
#define HISTORY_KEEP 200

struct pkg {
	char name[128], arch[32], version[128];
	int installed;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Copies the value after "Field: " into DST, trimmed. */
static void field(const char *line, size_t skip, char *dst, size_t dlen)
{
	const char *v = line + skip;
	size_t n;

	v += strspn(v, " \t");
	n = strcspn(v, "\r\n");
	if (n >= dlen)
		n = dlen - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static int push(char ***v, size_t *n, size_t *cap, const struct pkg *p)
{
	char *s;

	if (!p->installed || !p->name[0])
		return 0;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 1024;
		char **nv = realloc(*v, nc * sizeof(**v));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = nc;
	}
	if (asprintf(&s, "%s:%s %s", p->name, p->arch[0] ? p->arch : "all", p->version) < 0)
		return -ENOMEM;
	(*v)[(*n)++] = s;
	return 0;
}

/* Sorted "name:arch version" strings of the installed packages. */
static int read_status(char ***out, size_t *count)
{
	struct pkg p = { 0 };
	char **v = NULL, *line = NULL;
	size_t n = 0, cap = 0, lcap = 0;
	ssize_t len;
	int r = 0;
	FILE *f = fopen(DPKG_STATUS, "re");

	if (!f)
		return -errno;
	while ((len = getline(&line, &lcap, f)) >= 0) {
		if (len <= 1) {
			if ((r = push(&v, &n, &cap, &p)) < 0)
				break;
			memset(&p, 0, sizeof(p));
		} else if (strncmp(line, "Package:", 8) == 0) {
			field(line, 8, p.name, sizeof(p.name));
		} else if (strncmp(line, "Architecture:", 13) == 0) {
			field(line, 13, p.arch, sizeof(p.arch));
		} else if (strncmp(line, "Version:", 8) == 0) {
			field(line, 8, p.version, sizeof(p.version));
		} else if (strncmp(line, "Status:", 7) == 0) {
			p.installed = strstr(line, " installed") != NULL &&
				      strstr(line, "not-installed") == NULL;
		}
	}
	if (r == 0)
		r = push(&v, &n, &cap, &p);
	free(line);
	fclose(f);
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
	char **v = NULL, hex[SHA256_HEX_LEN + 1];
	struct sha256 h;
	size_t n = 0;
	int r;

	r = read_status(&v, &n);
	if (r < 0) {
		if (r == -ENOMEM)
			return r;
		json_object_set_new(pk, "error", json_sprintf("%s: %s", DPKG_STATUS, strerror(-r)));
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

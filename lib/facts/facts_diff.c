/*
 * facts_diff — what changed on the server between two fact sets: OS and
 * kernel, each program's version (by name and path), PHP modules, panels,
 * database servers, and packages (installed, removed, upgraded by name when
 * both sides carry the list; otherwise whether the list's hash changed).
 * One line per difference, for a person; nothing printed here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"

static const char *str(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	return json_is_string(v) ? json_string_value(v) : "";
}

static void add(json_t *lines, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(json_t *lines, const char *fmt, ...)
{
	va_list ap;
	json_t *s;

	va_start(ap, fmt);
	s = json_vsprintf(fmt, ap);
	va_end(ap);
	if (s)
		json_array_append_new(lines, s);
}

static void scalar(json_t *lines, const char *what, const char *a, const char *b)
{
	if (strcmp(a, b) != 0)
		add(lines, "%s: %s -> %s", what, *a ? a : "(unknown)", *b ? b : "(unknown)");
}

/* The entry of ARR whose KEY (and KEY2, if given) match E's. */
static const json_t *match(const json_t *arr, const json_t *e, const char *key, const char *key2)
{
	size_t i;
	const json_t *x;

	json_array_foreach(arr, i, x) {
		if (strcmp(str(x, key, NULL), str(e, key, NULL)) == 0 &&
		    (!key2 || strcmp(str(x, key2, NULL), str(e, key2, NULL)) == 0))
			return x;
	}
	return NULL;
}

static void modules(json_t *lines, const json_t *a, const json_t *b)
{
	const json_t *ma = json_object_get(a, "modules"), *mb = json_object_get(b, "modules"), *x, *y;
	size_t i, k;

	json_array_foreach(mb, i, x) {
		bool found = false;

		json_array_foreach(ma, k, y) found = found || json_equal(x, y);
		if (!found)
			add(lines, "php module added (%s): %s", str(b, "path", NULL), json_string_value(x));
	}
	json_array_foreach(ma, i, x) {
		bool found = false;

		json_array_foreach(mb, k, y) found = found || json_equal(x, y);
		if (!found)
			add(lines, "php module removed (%s): %s", str(a, "path", NULL), json_string_value(x));
	}
}

/* Two lists of {KEY[, KEY2], FIELD}: what appeared, vanished or changed. */
static void list(json_t *lines, const char *what, const json_t *la, const json_t *lb, const char *key,
		 const char *key2, const char *field)
{
	const json_t *x, *y;
	size_t i;

	json_array_foreach(lb, i, x) {
		y = match(la, x, key, key2);
		if (!y) {
			add(lines, "%s %s%s%s%s: new: %s", what, str(x, key, NULL), key2 ? " (" : "",
			    key2 ? str(x, key2, NULL) : "", key2 ? ")" : "", str(x, field, NULL));
			continue;
		}
		if (strcmp(str(x, field, NULL), str(y, field, NULL)) != 0)
			add(lines, "%s %s%s%s%s: %s -> %s", what, str(x, key, NULL), key2 ? " (" : "",
			    key2 ? str(x, key2, NULL) : "", key2 ? ")" : "", str(y, field, NULL),
			    str(x, field, NULL));
		if (json_object_get(x, "modules"))
			modules(lines, y, x);
	}
	json_array_foreach(la, i, x) {
		if (!match(lb, x, key, key2))
			add(lines, "%s %s%s%s%s: gone (was %s)", what, str(x, key, NULL), key2 ? " (" : "",
			    key2 ? str(x, key2, NULL) : "", key2 ? ")" : "", str(x, field, NULL));
	}
}

/* "name:arch version" -> the length of "name:arch". */
static size_t pkg_key(const char *s)
{
	return strcspn(s, " ");
}

static void packages(json_t *lines, const json_t *a, const json_t *b)
{
	const json_t *pa = json_object_get(a, "packages"), *pb = json_object_get(b, "packages");
	const json_t *la = json_object_get(pa, "list"), *lb = json_object_get(pb, "list");
	size_t i = 0, k = 0, na, nb;

	if (strcmp(str(pa, "sha256", NULL), str(pb, "sha256", NULL)) == 0)
		return;
	if (!json_is_array(la) || !json_is_array(lb)) {
		add(lines, "packages: the list changed (%lld -> %lld packages, sha256 %.12s -> %.12s); "
			   "the older list is not kept, so which ones cannot be named",
		    (long long)json_integer_value(json_object_get(pa, "count")),
		    (long long)json_integer_value(json_object_get(pb, "count")),
		    str(pa, "sha256", NULL), str(pb, "sha256", NULL));
		return;
	}
	/* Both lists are sorted by name:arch (facts_packages.c): merge them. */
	na = json_array_size(la);
	nb = json_array_size(lb);
	while (i < na || k < nb) {
		const char *x = i < na ? json_string_value(json_array_get(la, i)) : NULL;
		const char *y = k < nb ? json_string_value(json_array_get(lb, k)) : NULL;
		int c;

		if (!x)
			c = 1;
		else if (!y)
			c = -1;
		else {
			size_t kx = pkg_key(x), ky = pkg_key(y);

			c = strncmp(x, y, kx < ky ? kx : ky);
			if (c == 0)
				c = kx < ky ? -1 : kx > ky ? 1 : 0;
		}
		if (c < 0) {
			add(lines, "package removed: %s", x);
			i++;
		} else if (c > 0) {
			add(lines, "package installed: %s", y);
			k++;
		} else {
			if (strcmp(x, y) != 0)
				add(lines, "package changed: %s -> %s", x, y + pkg_key(y) + 1);
			i++;
			k++;
		}
	}
}

int facts_diff(const json_t *a, const json_t *b, json_t **out)
{
	json_t *lines = json_array();

	if (!lines)
		return -ENOMEM;
	scalar(lines, "os", str(a, "os", "pretty_name"), str(b, "os", "pretty_name"));
	scalar(lines, "kernel", str(a, "kernel", "release"), str(b, "kernel", "release"));
	scalar(lines, "kernel build", str(a, "kernel", "version"), str(b, "kernel", "version"));
	scalar(lines, "hostname", str(a, "host", "hostname"), str(b, "host", "hostname"));
	list(lines, "software", json_object_get(a, "software"), json_object_get(b, "software"), "name",
	     "path", "version");
	list(lines, "panel", json_object_get(a, "panels"), json_object_get(b, "panels"), "name", "file",
	     "version");
	if (json_object_get(a, "database_servers") && json_object_get(b, "database_servers"))
		list(lines, "database server of job", json_object_get(a, "database_servers"),
		     json_object_get(b, "database_servers"), "job", NULL, "server_version");
	packages(lines, a, b);
	*out = lines;
	return 0;
}

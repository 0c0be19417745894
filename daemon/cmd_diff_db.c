/*
 * lifeboat diff DBJOB ID1 ID2 — the tables whose row count or row checksum
 * differ between two dumps, from their records alone (lib/when/when_db.c):
 * which tables to look at before restoring anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "when.h"

int cmd_diff_db(struct store *st, const struct job *job, const char *id1, const char *id2, bool json)
{
	json_t *d = NULL, *t;
	char why[1024] = "";
	size_t i;
	int r;

	r = when_db_diff(st, job, id1, id2, &d, why, sizeof(why));
	if (r < 0) {
		fprintf(stderr, "lifeboat: diff: %s\n", why[0] ? why : strerror(-r));
		return EXIT_FAILED;
	}
	if (json) {
		json_dumpf(d, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		json_array_foreach(d, i, t) {
			char *name = when_escape(json_string_value(json_object_get(t, "table")), false);

			printf("%-40s %s\n", name ? name : "?", json_string_value(json_object_get(t, "what")));
			free(name);
		}
		printf("%zu table(s) differ between %s and %s\n", json_array_size(d), id1, id2);
	}
	json_decref(d);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
}

/*
 * logship_files — the files a logs job covers right now, for whoever needs
 * them whole (`lifeboat incident` copies every one): each match of the
 * job's globs and its rotated and compressed siblings (access.log.1,
 * access.log.2.gz, ...), found by the same scan a run uses (lscan in
 * logship_scan.c).  It reads nothing and keeps no state.
 */
#include "logship_int.h"

#include <string.h>

int logship_list_files(const struct strlist *globs, struct strlist *out)
{
	struct lstate none = { 0 };
	struct lcands c;
	int r;

	memset(out, 0, sizeof(*out));
	r = lscan(globs, &none, &c);
	if (r < 0)
		return r;
	for (size_t i = 0; r == 0 && i < c.n; i++)
		r = strlist_append(out, c.v[i].path);
	lcands_free(&c);
	if (r < 0)
		strlist_free(out);
	return r;
}

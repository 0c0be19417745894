/*
 * when_body — the Sleuth Kit body file (TSK 3.x:
 * MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime) of
 * every version of the asked-about paths: the first snapshot that holds each
 * and every one in which it differs from the snapshot before, each named
 * "PATH (BACKUP-ID)", so `mactime -b` lays the versions out on one
 * timeline.  The index keeps no MD5 and no atime or birth time: those fields
 * are 0, as TSK writes for unknown values.  Names are escaped (control
 * bytes, '|', backslash, non-ASCII as \xHH) so a line stays a line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "when.h"

static void mode_string(char type, uint32_t mode, char out[13])
{
	static const char rwx[] = "rwxrwxrwx";
	char t = type == 'f' ? 'r' : type == '-' ? '-' : type;

	out[0] = t;
	out[1] = '/';
	out[2] = type == 'f' ? '-' : type;
	for (int i = 0; i < 9; i++)
		out[3 + i] = (mode & (1u << (8 - i))) ? rwx[i] : '-';
	if (mode & S_ISUID)
		out[5] = out[5] == 'x' ? 's' : 'S';
	if (mode & S_ISGID)
		out[8] = out[8] == 'x' ? 's' : 'S';
	if (mode & S_ISVTX)
		out[11] = out[11] == 'x' ? 't' : 'T';
	out[12] = '\0';
}

int when_write_bodyfile(const struct when_history *h, const char *const *paths, FILE *out)
{
	for (size_t p = 0; p < h->npaths; p++) {
		char *name = when_escape(paths[p], true);
		const struct when_version *prev = NULL;

		if (!name)
			return -1;
		for (size_t s = 0; s < h->nsnaps; s++) {
			const struct when_version *v = &h->versions[p * h->nsnaps + s];
			char mode[13];

			if (!v->present) {
				prev = NULL;
				continue;
			}
			if (prev && prev->e.type == v->e.type && prev->e.size == v->e.size &&
			    prev->e.mode == v->e.mode && prev->e.uid == v->e.uid && prev->e.gid == v->e.gid &&
			    prev->e.mtime_s == v->e.mtime_s && prev->e.ctime_s == v->e.ctime_s &&
			    prev->e.has_sha == v->e.has_sha && memcmp(prev->e.sha, v->e.sha, sizeof(v->e.sha)) == 0) {
				prev = v;
				continue;
			}
			mode_string(v->e.type, v->e.mode, mode);
			fprintf(out, "0|%s (%s)|%llu|%s|%u|%u|%llu|0|%lld|%lld|0\n", name, h->snaps[s].id,
				(unsigned long long)v->e.ino, mode, v->e.uid, v->e.gid,
				(unsigned long long)v->e.size, (long long)v->e.mtime_s, (long long)v->e.ctime_s);
			prev = v;
		}
		free(name);
	}
	return ferror(out) ? -1 : 0;
}

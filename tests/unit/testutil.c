/* Helpers shared by the unit tests. */
#include "testutil.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void test_rm_rf(const char *path)
{
	struct dirent *de;
	struct stat sb;
	DIR *d;

	if (lstat(path, &sb) < 0)
		return;
	if (S_ISDIR(sb.st_mode) && (d = opendir(path))) {
		while ((de = readdir(d))) {
			char sub[PATH_MAX];

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			test_rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

/*
 * incident manifest — MANIFEST.sha256: one `sha256sum -c` line ("HEX  NAME")
 * per evidence file, sorted by name, so the host's admin checks the
 * evidence with `cd DIR && sha256sum -c MANIFEST.sha256`.  Evidence is every
 * regular file of the incident dir except the journal (it keeps growing;
 * the manifest's own hash is written into it instead), incident.json (the
 * incident's bookkeeping), bundles, and dot-files (part files, which are
 * never evidence).  Names are ours ([a-z0-9._-], job names included), so a
 * line never needs sha256sum's backslash escape.  Written through evfile:
 * whole or not at all, and its presence marks the evidence complete.
 */
#include "incident.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

bool incident_is_evidence(const char *name)
{
	if (name[0] == '.' || !strcmp(name, INCIDENT_MANIFEST) || !strcmp(name, INCIDENT_JOURNAL) ||
	    !strcmp(name, INCIDENT_STATE) || !strncmp(name, "bundle-", 7))
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		      *p == '-'))
			return false;
	return true;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int hash_at(struct incident *inc, const char *name, char hex[SHA256_HEX_LEN + 1])
{
	int fd = openat(inc->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), r;
	uint64_t bytes = 0;

	if (fd < 0)
		return -errno;
	r = sha256_fd(fd, hex, &bytes);
	close(fd);
	return r;
}

int incident_manifest_write(struct incident *inc, char hex[SHA256_HEX_LEN + 1])
{
	char **names = NULL, h[SHA256_HEX_LEN + 1];
	size_t n = 0, cap = 0;
	struct evfile ev;
	struct dirent *de;
	int fd = dup(inc->dirfd), r = 0;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		struct stat sb;

		if (!incident_is_evidence(de->d_name) || fstatat(inc->dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(sb.st_mode))
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 32) * sizeof(*v));

			if (!v) {
				r = -ENOMEM;
				break;
			}
			names = v;
		}
		if (!(names[n] = strdup(de->d_name))) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (r == 0) {
		qsort(names, n, sizeof(*names), cmp);
		r = evfile_open(inc, INCIDENT_MANIFEST, &ev);
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		char line[SHA256_HEX_LEN + 300];

		r = hash_at(inc, names[i], h);
		if (r < 0) {
			log_err(LOG_LVL_ERROR, -r, "%s/%s: cannot hash", inc->dir, names[i]);
			break;
		}
		snprintf(line, sizeof(line), "%s  %s\n", h, names[i]);
		r = evfile_write(&ev, line, strlen(line));
	}
	if (r == 0)
		r = evfile_finish(&ev, hex);
	else if (ev.fd >= 0)
		evfile_abort(&ev);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

int incident_manifest_verify(struct incident *inc, char *why, size_t len)
{
	char path[INCIDENT_FILE_MAX], *line = NULL;
	size_t cap = 0;
	unsigned lines = 0;
	int r = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", inc->dir, INCIDENT_MANIFEST);
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return r;
	}
	while (r == 0 && getline(&line, &cap, f) > 0) {
		char h[SHA256_HEX_LEN + 1], *name;
		size_t l = strlen(line);

		if (l && line[l - 1] == '\n')
			line[--l] = '\0';
		if (l < SHA256_HEX_LEN + 3 || line[SHA256_HEX_LEN] != ' ' || line[SHA256_HEX_LEN + 1] != ' ') {
			snprintf(why, len, "%s: line %u is not a sha256sum line", path, lines + 1);
			r = -EBADMSG;
			break;
		}
		name = line + SHA256_HEX_LEN + 2;
		if (!incident_is_evidence(name)) {
			snprintf(why, len, "%s: line %u names an unexpected file", path, lines + 1);
			r = -EBADMSG;
			break;
		}
		r = hash_at(inc, name, h);
		if (r < 0) {
			snprintf(why, len, "%s: %s", name, strerror(-r));
			r = -EBADMSG;
		} else if (memcmp(h, line, SHA256_HEX_LEN) != 0) {
			snprintf(why, len, "%s: its SHA-256 is not the one in the manifest: changed since the capture", name);
			r = -EBADMSG;
		}
		lines++;
	}
	free(line);
	fclose(f);
	if (r == 0)
		snprintf(why, len, "%u evidence file(s) match MANIFEST.sha256", lines);
	return r;
}

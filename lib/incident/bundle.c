/*
 * incident bundle — what the guides tell you to send to your host or the
 * software's developers: one tar.zst of the journal, the manifest and the
 * evidence (facts, snapshots, logs, change list, status; the db dumps too
 * unless --no-db: they hold customer data and password hashes), under one
 * directory incident-STAMP/, with a README.txt saying what is where.  It is
 * written under a part name and renamed when whole, and BUNDLE.sha256 is
 * written beside it (`sha256sum -c` it in that directory).  Default place:
 * the incident's own directory, bundle-STAMP.tar.zst (mode 0600).  The tree
 * moved aside by a replace is not bundled (it is the evidence snapshot's
 * content again).  Does not send anything anywhere.
 */
#include "incident.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "fsutil.h"
#include "log.h"

static const char readme[] =
	"Lifeboat incident %s: evidence of a suspected intrusion.\n"
	"\n"
	"journal.txt            every step taken, one line each: UTC time, local time with zone,\n"
	"                       who (uid), what, result; notes by the site's admin too\n"
	"MANIFEST.sha256        SHA-256 of every evidence file: sha256sum -c MANIFEST.sha256%s\n"
	"facts.json             the server: OS, kernel, web server, PHP, MySQL/MariaDB, SSH, FTP,\n"
	"                       control panel, packages and their recent history, crontabs,\n"
	"                       accounts and keys, listening sockets, mounts\n"
	"files-JOB.tar.zst      a FULL copy of the web root as found (hidden files included):\n"
	"                       tar --zstd -xf files-JOB.tar.zst\n"
	"files-JOB.index.zst    its index: one line per path (type, mode, owner, size, times, SHA-256)\n"
	"db-JOB.sql.zst         the database as found (zstd -dc db-JOB.sql.zst | mariadb)%s\n"
	"logs-JOB.tar.zst       every log file whole, rotated and compressed ones included\n"
	"logs-JOB.archived.json the earlier log backups kept in the backup store\n"
	"changes.json           files added, changed, removed since the watch baseline or the last\n"
	"                       good backup, with risk flags (web shell, timestomping)\n"
	"status.json            the last good backup of every job when the incident was opened\n"
	"hook-*.txt             output of the site-offline / site-online hooks\n";

static int add_file(struct archive *a, struct incident *inc, const char *name, const char *prefix)
{
	char entry_name[512], buf[65536];
	struct archive_entry *e;
	struct stat sb;
	ssize_t n;
	int fd = openat(inc->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), r = 0;

	if (fd < 0 || fstat(fd, &sb) < 0) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s/%s: cannot open", inc->dir, name);
		if (fd >= 0)
			close(fd);
		return r;
	}
	e = archive_entry_new();
	snprintf(entry_name, sizeof(entry_name), "%s/%s", prefix, name);
	archive_entry_copy_pathname(e, entry_name);
	archive_entry_copy_stat(e, &sb);
	if (archive_write_header(a, e) < ARCHIVE_WARN)	/* WARN: a name stored as bytes */
		r = -EIO;
	archive_entry_free(e);
	while (r == 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		if (archive_write_data(a, buf, (size_t)n) != n)
			r = -EIO;
	if (r < 0)
		log_error("%s/%s: cannot add to the bundle: %s", inc->dir, name, archive_error_string(a));
	close(fd);
	return r;
}

static int add_text(struct archive *a, const char *name, const char *text)
{
	struct archive_entry *e = archive_entry_new();
	size_t len = strlen(text);
	int r = 0;

	archive_entry_copy_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, time(NULL), 0);
	if (archive_write_header(a, e) < ARCHIVE_WARN || archive_write_data(a, text, len) != (la_ssize_t)len)
		r = -EIO;
	archive_entry_free(e);
	return r;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int incident_bundle(struct incident *inc, bool no_db, const char *out, char *path_out, size_t len)
{
	char path[INCIDENT_FILE_MAX], part[INCIDENT_FILE_MAX + 8], prefix[64], text[4096], hex[SHA256_HEX_LEN + 1];
	char sumpath[INCIDENT_FILE_MAX + 8], line[INCIDENT_FILE_MAX + 80], base[INCIDENT_FILE_MAX];
	char *names[512];
	size_t n = 0;
	struct archive *a = NULL;
	struct dirent *de;
	int fd, dfd, r = 0;
	DIR *d;

	if (out)
		snprintf(path, sizeof(path), "%s", out);
	else
		snprintf(path, sizeof(path), "%s/bundle-%s.tar.zst", inc->dir, inc->stamp);
	snprintf(part, sizeof(part), "%s.part", path);
	snprintf(prefix, sizeof(prefix), "incident-%s", inc->stamp);
	if ((dfd = dup(inc->dirfd)) < 0 || !(d = fdopendir(dfd)))
		return -errno;
	rewinddir(d);
	while ((de = readdir(d)) && n < sizeof(names) / sizeof(names[0])) {
		if (!incident_is_evidence(de->d_name) && strcmp(de->d_name, INCIDENT_JOURNAL) &&
		    strcmp(de->d_name, INCIDENT_MANIFEST))
			continue;
		if (no_db && !strncmp(de->d_name, "db-", 3) && strstr(de->d_name, ".sql"))
			continue;
		if (!(names[n] = strdup(de->d_name)))
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp);
	fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot create", part);
	}
	if (r == 0 && (!(a = archive_write_new()) || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
		       archive_write_add_filter_zstd(a) != ARCHIVE_OK || archive_write_open_fd(a, fd) != ARCHIVE_OK)) {
		log_error("%s: cannot start the bundle: %s", part, a ? archive_error_string(a) : "out of memory");
		r = -EIO;
	}
	snprintf(text, sizeof(text), readme, inc->stamp,
		 no_db ? " --ignore-missing\n                       (this bundle was made with --no-db: the dumps are left out)" : "",
		 no_db ? "\n                       NOT IN THIS BUNDLE (--no-db)" : "");
	if (r == 0) {
		char rn[128];

		snprintf(rn, sizeof(rn), "%s/README.txt", prefix);
		r = add_text(a, rn, text);
	}
	for (size_t i = 0; r == 0 && i < n; i++)
		r = add_file(a, inc, names[i], prefix);
	if (a && r == 0 && archive_write_close(a) != ARCHIVE_OK) {
		log_error("%s: cannot finish the bundle: %s", part, archive_error_string(a));
		r = -EIO;
	}
	if (a)
		archive_write_free(a);
	if (fd >= 0) {
		if (r == 0 && fsync(fd) < 0)
			r = -errno;
		close(fd);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	if (r == 0 && rename(part, path) < 0) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot rename to %s", part, path);
	}
	if (r < 0) {
		unlink(part);
		return r;
	}
	if ((r = sha256_file(path, hex)) < 0)
		return r;
	snprintf(base, sizeof(base), "%s", path);
	snprintf(sumpath, sizeof(sumpath), "%s.sha256", path);
	snprintf(line, sizeof(line), "%s  %s\n", hex, basename(base));
	r = fs_write_atomic(sumpath, line, strlen(line), 0600);
	if (r < 0)
		log_err(LOG_LVL_ERROR, -r, "%s: cannot write", sumpath);
	snprintf(path_out, len, "%s", path);
	return r;
}

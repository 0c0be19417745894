/*
 * store_clean — the cleaner: removes what crashed or aborted runs left, by
 * backup number ("group" DD-NN) in each month directory.  A group whose
 * reservation is flock'd belongs to a live run and is left alone; otherwise
 * its temporaries go, its final-named files go too when no record holds them,
 * and its stale reservation goes last.  Liveness and the record are checked at
 * the moment of deletion, not from the directory snapshot.
 *
 * What it does not do: remove files whose names the store does not make, or
 * touch a committed backup.
 */
#include "store_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

enum clean_kind {
	CLEAN_RESERVE,		/* ".backup-DD-NN.reserve" */
	CLEAN_TEMP,		/* ".backup-DD-NN.*.tmp" or "backup-DD-NN.*.tmp-PID" */
	CLEAN_RECORD,		/* "backup-DD-NN.json" */
	CLEAN_FINAL,		/* "backup-DD-NN.*": an artifact or the .sha256 */
};

struct clean_name {
	char *name;		/* file name in the month directory, malloc'd */
	int day, seq;		/* the backup number it belongs to */
	enum clean_kind kind;	/* what the name says the file is */
};

/* "….tmp-<digits>": what fs_write_atomic() leaves when it dies mid-way. */
static bool is_atomic_leftover(const char *rest)
{
	const char *p = strstr(rest, ".tmp-");

	while (p) {
		const char *q = p + 5;

		if (*q) {
			while (isdigit((unsigned char)*q))
				q++;
			if (!*q)
				return true;
		}
		p = strstr(p + 1, ".tmp-");
	}
	return false;
}

static bool classify(const char *name, struct clean_name *cn)
{
	bool hidden = name[0] == '.';
	const char *rest;
	size_t len;

	rest = store_parse_stem(hidden ? name + 1 : name, &cn->day, &cn->seq);
	if (!rest || rest[0] != '.' || rest[1] == '\0')
		return false;
	len = strlen(rest);
	if (hidden) {
		if (!strcmp(rest, ".reserve"))
			cn->kind = CLEAN_RESERVE;
		else if (len > 4 && !strcmp(rest + len - 4, ".tmp"))
			cn->kind = CLEAN_TEMP;
		else
			return false;	/* not a name we make: not ours to remove */
	} else if (is_atomic_leftover(rest)) {
		cn->kind = CLEAN_TEMP;
	} else if (!strcmp(rest, ".json")) {
		cn->kind = CLEAN_RECORD;
	} else {
		cn->kind = CLEAN_FINAL;
	}
	return true;
}

static int clean_name_cmp(const void *pa, const void *pb)
{
	const struct clean_name *a = pa, *b = pb;
	int c = store_cmp_int(a->day, b->day);

	return c ? c : store_cmp_int(a->seq, b->seq);
}

static int unlink_counted(int dfd, const char *dir, const char *name, int *removed)
{
	if (unlinkat(dfd, name, 0) == 0) {
		(*removed)++;
		return 0;
	}
	if (errno == ENOENT)
		return 0;
	log_err(LOG_LVL_WARN, errno, "%s/%s: cannot remove", dir, name);
	return -errno;
}

/*
 * Cleans one backup number of a month directory.  V holds the names the
 * snapshot saw for it; liveness and the record's existence are checked now.
 */
static void clean_group(int dfd, const char *dir, const struct clean_name *v, size_t n,
			int *removed)
{
	char res[STORE_STEM_MAX + 16];
	char rec[STORE_STEM_MAX + 16];
	char stem[STORE_STEM_MAX];
	struct stat fsb, psb;
	bool stale = false;
	bool has_record;
	size_t i;
	int fd;

	store_format_stem(v[0].day, v[0].seq, stem);
	snprintf(res, sizeof(res), ".%s.reserve", stem);
	snprintf(rec, sizeof(rec), "%s.json", stem);

	fd = openat(dfd, res, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			/* EWOULDBLOCK: a live run.  Anything else: we cannot
			 * tell, so leave it alone too. */
			if (errno != EWOULDBLOCK)
				log_err(LOG_LVL_WARN, errno, "%s/%s: cannot lock", dir, res);
			close(fd);
			return;
		}
		/* We may hold a lock on a reservation its run just committed and
		 * unlinked, or that a new run re-created: only the file that the
		 * name still points to tells us the number is abandoned. */
		if (fstat(fd, &fsb) < 0 || fstatat(dfd, res, &psb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fsb.st_dev != psb.st_dev || fsb.st_ino != psb.st_ino) {
			close(fd);
			return;
		}
		stale = true;
	} else if (errno != ENOENT) {
		log_err(LOG_LVL_WARN, errno, "%s/%s: cannot open", dir, res);
		return;
	}

	/* With no live reservation nobody writes these any more. */
	for (i = 0; i < n; i++)
		if (v[i].kind == CLEAN_TEMP)
			unlink_counted(dfd, dir, v[i].name, removed);

	/* Checked now, not from the snapshot: a run that committed since readdir
	 * has a record, and its artifacts are a backup.  Unsure means keep. */
	has_record = fstatat(dfd, rec, &psb, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
	if (!has_record)
		for (i = 0; i < n; i++)
			if (v[i].kind == CLEAN_FINAL)
				unlink_counted(dfd, dir, v[i].name, removed);

	/* The reservation goes last so the number stays taken until its files
	 * are gone and no new run can start writing under it meanwhile. */
	if (stale) {
		unlink_counted(dfd, dir, res, removed);
		close(fd);
	}
}

static int clean_month(const char *dir, int *removed)
{
	struct clean_name *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	size_t i, j;
	DIR *d;
	int rc = 0;

	rc = store_open_tree_dir(dir, &d);
	if (rc < 0 || !d)
		return rc;
	while ((errno = 0, de = readdir(d))) {
		struct clean_name cn;

		if (!classify(de->d_name, &cn))
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 32;
			struct clean_name *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		cn.name = strdup(de->d_name);
		if (!cn.name) {
			rc = -ENOMEM;
			break;
		}
		v[n++] = cn;
	}
	if (rc == 0 && errno)
		rc = -errno;
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot read", dir);
		goto out;
	}

	if (n > 1)
		qsort(v, n, sizeof(*v), clean_name_cmp);
	for (i = 0; i < n; i = j) {
		bool only_records = true;

		for (j = i; j < n && v[j].day == v[i].day && v[j].seq == v[i].seq; j++)
			if (v[j].kind != CLEAN_RECORD)
				only_records = false;
		/* A committed backup's group is the common case: skip the
		 * reservation probe when there is nothing to consider. */
		if (!only_records)
			clean_group(dirfd(d), dir, v + i, j - i, removed);
	}
out:
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	closedir(d);
	return rc;
}

static int clean_walk_month(const char *mdir, int year, int month, void *removed)
{
	(void)year;
	(void)month;
	return clean_month(mdir, removed);
}

/* One unreadable month must not keep the others dirty: the walk carries on
 * and reports the first error. */
static int clean_job(const struct store *st, const char *job, int *removed)
{
	return store_walk_months(st, job, true, clean_walk_month, removed);
}

int store_clean(struct store *st, const char *job)
{
	struct dirent *de;
	int removed = 0;
	int first = 0;
	DIR *d;
	int rc;

	if (job) {
		if (!store_valid_job(job)) {
			log_error("%s: invalid job name \"%s\"", st->root, job);
			return -EINVAL;
		}
		rc = clean_job(st, job, &removed);
		return rc < 0 ? rc : removed;
	}
	rc = store_open_tree_dir(st->root, &d);
	if (rc < 0 || !d)
		return rc;
	while ((errno = 0, de = readdir(d))) {
		if (!store_valid_job(de->d_name))
			continue;
		rc = clean_job(st, de->d_name, &removed);
		if (rc < 0 && !first)
			first = rc;
	}
	if (errno && !first) {
		first = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot read", st->root);
	}
	closedir(d);
	return first < 0 ? first : removed;
}

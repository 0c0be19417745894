/*
 * offsite_fetch — a backup's chain, downloaded and decrypted into a new
 * private store (see offsite.h), so that the kinds' own restores run on it
 * unchanged: the same layout, the same records, the same reader checks.
 *
 * The directory is "<store>/.offsite-restore-XXXXXX" (0700: the store's
 * filesystem is the one sized for backups, and no listing shows a dot
 * name).  Each member's artifacts and .sha256 are written first and its
 * record last, as the store commits.  The chain is followed through the
 * records' "parent" (files: back to the full; logs: back to the first),
 * refusing a record of another job or id, a loop, or a chain longer than
 * RECORD_CHAIN_MAX.  On any error the directory is removed whole.
 */
#include "offsite_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "fsutil.h"
#include "record.h"
#include "secstream.h"
#include "sha256.h"
#include "store.h"

#define RECORD_MAX (64 * 1024 * 1024)

static void rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;

	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path))) {
		while ((de = readdir(d))) {
			char sub[4096];

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

void offsite_fetch_cleanup(char *root)
{
	if (root)
		rm_rf(root);
	free(root);
}

struct hashed_file {
	int fd;
	struct sha256 h;
	uint64_t n;
};

static int to_file(void *arg, const uint8_t *p, size_t n)
{
	struct hashed_file *f = arg;

	sha256_update(&f->h, p, n);
	f->n += n;
	return fs_write_all(f->fd, p, n);
}

/* Downloads KEY into PATH (0600, new); with A, checks it decrypts to A's
 * size and SHA-256 (an object swapped for another of the same key is
 * caught here, naming it). */
static int get_to(struct offsite_conn *c, const char *key, const char *path, const struct record_artifact *a)
{
	struct hashed_file f = { .fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600) };
	struct secstream_dec dec;
	char what[1100], hex[SHA256_HEX_LEN + 1];
	int r;

	if (f.fd < 0) {
		r = -errno;
		offsite_seterr(c, "%s: cannot create: %s", path, strerror(errno));
		return r;
	}
	snprintf(what, sizeof(what), "s3://%s/%s", c->o->bucket, key);
	if (sha256_init(&f.h) < 0) {
		close(f.fd);
		return -ENOMEM;
	}
	if ((r = secstream_dec_init(&dec, &c->key, what)) < 0)
		offsite_seterr(c, "%s", dec.err);
	else
		r = offsite_get_stream(c, key, &dec, to_file, &f);
	secstream_dec_clear(&dec);
	sha256_final_hex(&f.h, hex);
	if (r == 0 && a && (f.n != a->size || strcmp(hex, a->sha256) != 0)) {
		offsite_seterr(c, "%s: decrypts to %llu bytes with SHA-256 %.16s...; its record says %llu bytes, %.16s...",
			       what, (unsigned long long)f.n, hex, (unsigned long long)a->size, a->sha256);
		r = -EBADMSG;
	}
	{
		int fd = f.fd;
	if (r == 0 && fsync(fd) < 0) {
		r = -errno;
		offsite_seterr(c, "%s: %s", path, strerror(errno));
	}
	close(fd);
	}
	return r;
}

/* The newest backup of JOB with a record whose result is good. */
static int find_latest(struct offsite_conn *c, const char *job, char id[32])
{
	struct offsite_list l;
	int r;

	if ((r = offsite_list(c, job, &l)) < 0)
		return r;
	for (size_t i = l.n; i-- > 0;) {
		char key[1024], *text = NULL;
		size_t len;
		json_t *rec;

		if (!l.v[i].has_record)
			continue;
		offsite_object_key(c->o, job, l.v[i].id, "json", key, sizeof(key));
		if ((r = offsite_get_mem(c, key, RECORD_MAX, &text, &len)) < 0) {
			offsite_list_free(&l);
			return r;
		}
		rec = json_loadb(text, len, 0, NULL);
		free(text);
		if (rec && store_record_is_good(rec)) {
			snprintf(id, 32, "%s", l.v[i].id);
			json_decref(rec);
			offsite_list_free(&l);
			return 0;
		}
		json_decref(rec);
	}
	offsite_list_free(&l);
	offsite_seterr(c, "offsite %s: job %s has no good backup offsite", c->o->name, job);
	return -ENOENT;
}

/* Fetches one backup into ROOT; *PARENT gets its parent id (malloc'd) or NULL. */
static int fetch_one(struct offsite_conn *c, const char *root, const char *job, const char *id, char **parent)
{
	char key[1024], dir[2048], path[4096], *text = NULL;
	struct store_id sid;
	struct record_artifact a;
	const char *p = NULL, *rid, *rjob;
	json_t *rec = NULL;
	size_t len;
	int r;

	*parent = NULL;
	store_id_parse(id, &sid);
	offsite_object_key(c->o, job, id, "json", key, sizeof(key));
	if ((r = offsite_get_mem(c, key, RECORD_MAX, &text, &len)) < 0)
		return r;
	rec = json_loadb(text, len, 0, NULL);
	rid = record_id(rec);
	rjob = record_job(rec);
	if (!rec || !rid || !rjob || strcmp(rid, id) != 0 || strcmp(rjob, job) != 0 ||
	    record_parent(rec, &p) < 0) {
		offsite_seterr(c, "s3://%s/%s: not the record of %s %s", c->o->bucket, key, job, id);
		r = -EINVAL;
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s/%s/%04d/%02d", root, job, sid.year, sid.month);
	if ((r = fs_mkdirs(dir, 0700)) < 0) {
		offsite_seterr(c, "%s: %s", dir, strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < record_artifact_count(rec); i++) {
		if ((r = record_artifact_at(rec, i, &a)) < 0) {
			offsite_seterr(c, "s3://%s/%s: artifact %zu is malformed", c->o->bucket, key, i);
			goto out;
		}
		offsite_object_key(c->o, job, id, a.ext, key, sizeof(key));
		snprintf(path, sizeof(path), "%s/%s", dir, a.file);
		if ((r = get_to(c, key, path, &a)) < 0)
			goto out;
	}
	offsite_object_key(c->o, job, id, "sha256", key, sizeof(key));
	snprintf(path, sizeof(path), "%s/backup-%02d-%02d.sha256", dir, sid.day, sid.seq);
	if (sid.seq > 99)
		snprintf(path, sizeof(path), "%s/backup-%02d-%03d.sha256", dir, sid.day, sid.seq);
	if ((r = get_to(c, key, path, NULL)) < 0)
		goto out;
	snprintf(path + strlen(path) - strlen("sha256"), 8, "json");
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

		if (fd < 0 || fs_write_all(fd, text, len) < 0 || fsync(fd) < 0) {
			r = -errno;
			offsite_seterr(c, "%s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			goto out;
		}
		close(fd);
	}
	if (p && !(*parent = strdup(p)))
		r = -ENOMEM;
out:
	json_decref(rec);
	free(text);
	return r;
}

int offsite_fetch(struct offsite_conn *c, const char *job, const char *id, char **root, char id_out[32])
{
	char tmpl[2048], cur[32], seen[RECORD_CHAIN_MAX][32];
	size_t nseen = 0;
	int r;

	*root = NULL;
	if (!strcmp(id, "latest")) {
		if ((r = find_latest(c, job, cur)) < 0)
			return r;
	} else {
		struct store_id sid;

		if (store_id_parse(id, &sid) < 0) {
			offsite_seterr(c, "'%s' is not a backup id (YYYY/MM/backup-DD-NN or latest)", id);
			return -EINVAL;
		}
		store_id_format(&sid, cur);
	}
	snprintf(id_out, 32, "%s", cur);
	if ((r = fs_mkdirs(c->cfg->store, 0700)) < 0) {
		offsite_seterr(c, "%s: %s", c->cfg->store, strerror(-r));
		return r;
	}
	snprintf(tmpl, sizeof(tmpl), "%s/.offsite-restore-XXXXXX", c->cfg->store);
	if (!mkdtemp(tmpl)) {
		r = -errno;
		offsite_seterr(c, "%s: %s", tmpl, strerror(errno));
		return r;
	}
	*root = strdup(tmpl);
	for (;;) {
		char *parent = NULL;

		for (size_t i = 0; i < nseen; i++)
			if (!strcmp(seen[i], cur)) {
				offsite_seterr(c, "offsite %s: job %s: the chain of %s loops at %s", c->o->name, job,
					       id_out, cur);
				r = -EINVAL;
				goto fail;
			}
		if (nseen == RECORD_CHAIN_MAX) {
			offsite_seterr(c, "offsite %s: job %s: the chain of %s is longer than %d", c->o->name, job,
				       id_out, RECORD_CHAIN_MAX);
			r = -EINVAL;
			goto fail;
		}
		snprintf(seen[nseen++], 32, "%s", cur);
		if ((r = fetch_one(c, *root, job, cur, &parent)) < 0)
			goto fail;
		if (!parent)
			break;
		snprintf(cur, sizeof(cur), "%s", parent);
		free(parent);
	}
	return 0;
fail:
	offsite_fetch_cleanup(*root);
	*root = NULL;
	return r;
}

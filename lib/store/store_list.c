/*
 * store_list — reading the store back: one record, a job's records, every
 * job's, and "latest" (the newest good backup).  Only records are looked at,
 * so a backup being written or half removed is never listed.  A record that
 * cannot be read is logged and skipped, so one bad file hides nothing else.
 *
 * What it does not do: interpret a record's keys beyond "result" (record.c
 * does), or change anything in the store.
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* --- reading -------------------------------------------------------------------- */

/* Loads the record at PATH.  -ENOENT is not logged: a caller asking for a
 * missing backup words that itself, and a listing racing a prune skips it. */
int store_load_record(const char *path, json_t **out)
{
	json_error_t err;
	json_t *rec;
	FILE *f;
	int fd;
	int rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		if (rc != -ENOENT)
			log_err(LOG_LVL_ERROR, -rc, "%s: unreadable record", path);
		return rc;
	}
	/* Through stdio: json_loadfd reads one byte per read(2), a system call
	 * per byte of a large record (a logs job's holds its whole state). */
	f = fdopen(fd, "r");
	if (!f) {
		rc = -errno;
		close(fd);
		log_err(LOG_LVL_ERROR, -rc, "%s: unreadable record", path);
		return rc;
	}
	rec = json_loadf(f, 0, &err);
	fclose(f);
	if (!rec) {
		log_error("%s: unreadable record: %s", path, err.text);
		return -EBADMSG;
	}
	if (!json_is_object(rec)) {
		log_error("%s: unreadable record: not a JSON object", path);
		json_decref(rec);
		return -EBADMSG;
	}
	*out = rec;
	return 0;
}

/* The pin beside record path REC_PATH ("….json" → "….pin"), or NULL. */
json_t *store_load_pin(const char *rec_path)
{
	char path[STORE_PATH_MAX];
	size_t len = strlen(rec_path);
	json_error_t err;
	json_t *pin;

	if (len < 5 || len >= sizeof(path))
		return NULL;
	memcpy(path, rec_path, len - 5);
	strcpy(path + len - 5, ".pin");
	if (access(path, F_OK) < 0)
		return NULL;
	pin = json_load_file(path, 0, &err);
	if (!pin || !json_is_object(pin)) {
		/* A damaged pin still pins: losing evidence is worse than keeping a backup. */
		log_warn("%s: unreadable pin (%s); the backup stays pinned", path, pin ? "not an object" : err.text);
		json_decref(pin);
		pin = json_pack("{s:s}", "reason", "(unreadable pin file)");
	}
	return pin;
}

struct list_builder {
	struct store_entry *v;	/* entries, grown by doubling */
	size_t n;		/* entries used */
	size_t cap;		/* entries allocated */
};

static int list_push(struct list_builder *b, const char *job, const struct store_id *id,
		     json_t *rec)
{
	struct store_entry *e;

	if (b->n == b->cap) {
		size_t ncap = b->cap ? 2 * b->cap : 16;

		e = realloc(b->v, ncap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		b->v = e;
		b->cap = ncap;
	}
	e = &b->v[b->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->job, sizeof(e->job), "%s", job);
	e->parts = *id;
	store_id_format(id, e->id);
	e->record = rec;
	return 0;
}

/* Opens a directory of the store's tree; a missing one (or a file where a
 * directory would be) is simply empty, anything else is an error. */
int store_open_tree_dir(const char *path, DIR **out)
{
	int rc;

	*out = opendir(path);
	if (*out)
		return 0;
	rc = -errno;
	if (rc == -ENOENT || rc == -ENOTDIR)
		return 0;
	log_err(LOG_LVL_ERROR, -rc, "%s: cannot read", path);
	return rc;
}

static int list_month(const char *dir, const char *job, int year, int month,
		      struct list_builder *b)
{
	char path[STORE_PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc;

	rc = store_open_tree_dir(dir, &d);
	if (rc < 0 || !d)
		return rc;
	while ((errno = 0, de = readdir(d))) {
		struct store_id id = { .year = year, .month = month };
		const char *rest;
		json_t *rec;

		rest = store_parse_stem(de->d_name, &id.day, &id.seq);
		if (!rest || strcmp(rest, ".json") != 0)
			continue;
		if (store_path_printf(path, sizeof(path), "%s/%s", dir, de->d_name) < 0)
			continue;
		/* One bad record must not hide the others: it is logged and
		 * skipped. */
		if (store_load_record(path, &rec) < 0)
			continue;
		rc = list_push(b, job, &id, rec);
		if (rc < 0) {
			json_decref(rec);
			log_error("%s: cannot list: out of memory", dir);
			break;
		}
		b->v[b->n - 1].pin = store_load_pin(path);
	}
	if (rc == 0 && errno) {
		rc = -errno;
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot read", dir);
	}
	closedir(d);
	return rc;
}

/* Reading a directory of the walk ended early: its error, logged. */
static int walk_read_error(const char *dir)
{
	int rc = -errno;

	log_err(LOG_LVL_ERROR, errno, "%s: cannot read", dir);
	return rc;
}

int store_walk_months(const struct store *st, const char *job, bool carry_on,
		      int (*fn)(const char *mdir, int year, int month, void *ctx), void *ctx)
{
	char jobdir[STORE_PATH_MAX];
	char ydir[STORE_PATH_MAX];
	char mdir[STORE_PATH_MAX];
	struct dirent *yde, *mde;
	DIR *yd, *md;
	int year, month;
	int first = 0, rc;

	rc = store_path_printf(jobdir, sizeof(jobdir), "%s/%s", st->root, job);
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s/%s: cannot read", st->root, job);
		return rc;
	}
	rc = store_open_tree_dir(jobdir, &yd);
	if (rc < 0 || !yd)
		return rc;
	while ((carry_on || first == 0) && (errno = 0, yde = readdir(yd))) {
		if (!store_is_year_name(yde->d_name, &year))
			continue;
		if (store_path_printf(ydir, sizeof(ydir), "%s/%s", jobdir, yde->d_name) < 0)
			continue;
		rc = store_open_tree_dir(ydir, &md);
		if (rc < 0 || !md) {
			if (rc < 0 && !first)
				first = rc;
			continue;
		}
		while ((carry_on || first == 0) && (errno = 0, mde = readdir(md))) {
			if (!store_is_month_name(mde->d_name, &month))
				continue;
			if (store_path_printf(mdir, sizeof(mdir), "%s/%s", ydir, mde->d_name) < 0)
				continue;
			rc = fn(mdir, year, month, ctx);
			if (rc < 0 && !first)
				first = rc;
		}
		if (errno && !first)
			first = walk_read_error(ydir);
		closedir(md);
	}
	if (errno && !first)
		first = walk_read_error(jobdir);
	closedir(yd);
	return first;
}

struct list_walk {
	const char *job;
	struct list_builder *b;
};

static int list_walk_month(const char *mdir, int year, int month, void *ctx)
{
	struct list_walk *w = ctx;

	return list_month(mdir, w->job, year, month, w->b);
}

static int list_job(const struct store *st, const char *job, struct list_builder *b)
{
	struct list_walk w = { .job = job, .b = b };

	return store_walk_months(st, job, false, list_walk_month, &w);
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct store_entry *a = pa, *b = pb;
	int c = strcmp(a->job, b->job);

	return c ? c : store_id_compare(&a->parts, &b->parts);
}

int store_list(struct store *st, const char *job, struct store_list *out)
{
	struct list_builder b = { 0 };
	struct dirent *de;
	DIR *d;
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	if (job) {
		if (!store_valid_job(job)) {
			log_error("%s: invalid job name \"%s\"", st->root, job);
			return -EINVAL;
		}
		rc = list_job(st, job, &b);
	} else {
		rc = store_open_tree_dir(st->root, &d);
		if (rc < 0)
			return rc;
		if (d) {
			while (rc == 0 && (errno = 0, de = readdir(d))) {
				if (store_valid_job(de->d_name))
					rc = list_job(st, de->d_name, &b);
			}
			if (rc == 0 && errno) {
				rc = -errno;
				log_err(LOG_LVL_ERROR, -rc, "%s: cannot read", st->root);
			}
			closedir(d);
		}
	}
	if (rc < 0) {
		struct store_list partial = { .v = b.v, .n = b.n };

		store_list_free(&partial);
		return rc;
	}
	if (b.n > 1)
		qsort(b.v, b.n, sizeof(*b.v), entry_cmp);
	out->v = b.v;
	out->n = b.n;
	return 0;
}

void store_list_free(struct store_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++) {
		json_decref(l->v[i].record);
		json_decref(l->v[i].pin);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

bool store_record_is_good(const json_t *record)
{
	const char *result = json_string_value(json_object_get(record, "result"));

	return result && !strcmp(result, "ok");
}

int store_get(struct store *st, const char *job, const char *id, struct store_entry *out)
{
	char path[STORE_PATH_MAX];
	struct store_list l;
	struct store_id parts;
	json_t *rec;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!store_valid_job(job)) {
		log_error("%s: invalid job name \"%s\"", st->root, job ? job : "");
		return -EINVAL;
	}
	if (id && !strcmp(id, "latest")) {
		rc = store_list(st, job, &l);
		if (rc < 0)
			return rc;
		rc = -ENOENT;
		for (i = l.n; i-- > 0;) {
			if (store_record_is_good(l.v[i].record)) {
				/* Move the entry out so that freeing the list keeps it. */
				*out = l.v[i];
				l.v[i].record = NULL;
				l.v[i].pin = NULL;
				rc = 0;
				break;
			}
		}
		store_list_free(&l);
		return rc;
	}
	if (store_id_parse(id, &parts) < 0) {
		log_error("%s/%s: invalid backup id \"%s\" (expected YYYY/MM/backup-DD-NN or latest)",
			  st->root, job, id ? id : "");
		return -EINVAL;
	}
	rc = store_path(st, job, &parts, "json", path, sizeof(path));
	if (rc < 0) {
		log_err(LOG_LVL_ERROR, -rc, "%s/%s/%s: cannot read", st->root, job, id);
		return rc;
	}
	rc = store_load_record(path, &rec);
	if (rc < 0)
		return rc;
	snprintf(out->job, sizeof(out->job), "%s", job);
	store_id_format(&parts, out->id);
	out->parts = parts;
	out->record = rec;
	out->pin = store_load_pin(path);
	return 0;
}


void store_entry_free(struct store_entry *e)
{
	if (!e)
		return;
	json_decref(e->record);
	e->record = NULL;
	json_decref(e->pin);
	e->pin = NULL;
}

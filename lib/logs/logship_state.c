/*
 * logship_state — the state of a logs job between runs (see logship.h).
 *
 * The same JSON object is written to <state_dir>/logs/<job>.json and, as
 * the record's "logs" facts, into every backup: {"backup", "next_gen",
 * "verified_at", "files": [generation...]}.  The state file names the
 * backup it is the outcome of.  It is written before that backup commits,
 * so a run whose commit fails leaves a state file naming a backup that does
 * not exist; the next run notices (no such record) and takes the state from
 * the newest record instead, which is exactly what was archived.  The store
 * is the truth; the state file saves reading every record of the job.
 */
#include "logship_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"

#define STATE_FILE_MAX (256u * 1024 * 1024)

void lstate_free(struct lstate *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].path);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

struct lfile *lstate_add(struct lstate *s)
{
	struct lfile *f;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct lfile *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		s->v = v;
		s->cap = cap;
	}
	f = &s->v[s->n++];
	memset(f, 0, sizeof(*f));
	f->cand = -1;
	f->at = -1;
	return f;
}

json_t *lstate_to_json(const struct lstate *s)
{
	json_t *files = json_array(), *j;

	if (!files)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		const struct lfile *f = &s->v[i];

		if (f->drop)
			continue;
		j = json_pack("{s:s, s:s, s:I, s:I, s:I, s:b, s:I, s:i, s:s, s:i, s:s, s:s, s:s, s:I, s:I}",
			      "name", f->name, "path", f->path, "gen", (json_int_t)f->gen,
			      "dev", (json_int_t)f->dev, "ino", (json_int_t)f->ino, "gz", f->gz,
			      "offset", (json_int_t)f->offset, "fp_len", (int)f->fp_len, "fp", f->fp,
			      "tail_len", (int)f->tail_len, "tail", f->tail, "sha256", f->prefix,
			      "hash_state", f->run, "size", (json_int_t)f->size,
			      "mtime_ns", (json_int_t)f->mtime_ns);
		if (!j || json_array_append_new(files, j) < 0) {
			json_decref(files);
			return NULL;
		}
	}
	return json_pack("{s:s, s:I, s:I, s:o}", "backup", s->backup, "next_gen",
			 (json_int_t)s->next_gen, "verified_at", (json_int_t)s->verified_at,
			 "files", files);
}

static int copy_hex(char dst[SHA256_HEX_LEN + 1], const char *src)
{
	if (!src || strlen(src) != SHA256_HEX_LEN)
		return -EINVAL;
	memcpy(dst, src, SHA256_HEX_LEN + 1);
	return 0;
}

int lstate_from_json(const json_t *j, struct lstate *s)
{
	const json_t *files = json_object_get(j, "files"), *e;
	struct hashrun h;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (!json_is_object(j) || !json_is_array(files))
		return -EINVAL;
	snprintf(s->backup, sizeof(s->backup), "%s",
		 json_string_value(json_object_get(j, "backup")) ?: "");
	s->next_gen = (uint64_t)json_integer_value(json_object_get(j, "next_gen"));
	s->verified_at = json_integer_value(json_object_get(j, "verified_at"));
	json_array_foreach(files, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *path = json_string_value(json_object_get(e, "path"));
		const char *run = json_string_value(json_object_get(e, "hash_state"));
		struct lfile *f;

		if (!name || !path || !run || strlen(run) >= HASHRUN_TEXT_MAX || hashrun_load(&h, run) < 0)
			goto bad;
		f = lstate_add(s);
		if (!f)
			goto nomem;
		f->name = strdup(name);
		f->path = strdup(path);
		if (!f->name || !f->path)
			goto nomem;
		f->gen = (uint64_t)json_integer_value(json_object_get(e, "gen"));
		f->dev = (uint64_t)json_integer_value(json_object_get(e, "dev"));
		f->ino = (uint64_t)json_integer_value(json_object_get(e, "ino"));
		f->gz = json_is_true(json_object_get(e, "gz"));
		f->offset = (uint64_t)json_integer_value(json_object_get(e, "offset"));
		f->fp_len = (uint32_t)json_integer_value(json_object_get(e, "fp_len"));
		f->tail_len = (uint32_t)json_integer_value(json_object_get(e, "tail_len"));
		f->size = (uint64_t)json_integer_value(json_object_get(e, "size"));
		f->mtime_ns = json_integer_value(json_object_get(e, "mtime_ns"));
		snprintf(f->run, sizeof(f->run), "%s", run);
		if (copy_hex(f->fp, json_string_value(json_object_get(e, "fp"))) < 0 ||
		    copy_hex(f->tail, json_string_value(json_object_get(e, "tail"))) < 0 ||
		    copy_hex(f->prefix, json_string_value(json_object_get(e, "sha256"))) < 0 ||
		    hashrun_bytes(&h) != f->offset || f->fp_len > LS_FP_MAX || f->tail_len > LS_FP_MAX ||
		    f->gen >= s->next_gen)
			goto bad;
	}
	return 0;
bad:
	lstate_free(s);
	return -EINVAL;
nomem:
	lstate_free(s);
	return -ENOMEM;
}

static int state_path(const struct logship_opts *o, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/logs/%s.json", o->state_dir, o->job);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The newest record of the job (any result: a partial run archived what it
 * says), or -ENOENT. */
static int newest_record(const struct logship_opts *o, struct store_list *l, const json_t **rec,
			 const char **id)
{
	int r = store_list(o->st, o->job, l);

	if (r < 0)
		return r;
	for (size_t i = l->n; i-- > 0;) {
		if (json_is_object(json_object_get(l->v[i].record, "logs"))) {
			*rec = l->v[i].record;
			*id = l->v[i].id;
			return 0;
		}
	}
	return -ENOENT;
}

/* The state file, when the backup it names is committed.  Then that backup
 * is the newest: every run writes the state file before it commits, so a
 * later committed backup would have replaced it.  This spares reading every
 * record of the job. */
static int load_state_file(const struct logship_opts *o, struct lstate *s, char parent[STORE_ID_MAX])
{
	char path[PATH_MAX], rec[PATH_MAX], *text = NULL;
	struct store_id sid;
	const char *backup;
	json_t *j = NULL;
	size_t len;
	int r;

	r = state_path(o, path, sizeof(path));
	if (r == 0)
		r = fs_read_all(path, STATE_FILE_MAX, &text, &len);
	if (r == 0) {
		j = json_loads(text, 0, NULL);
		free(text);
	}
	backup = json_string_value(json_object_get(j, "backup"));
	if (!backup || store_id_parse(backup, &sid) < 0 ||
	    store_path(o->st, o->job, &sid, "json", rec, sizeof(rec)) < 0 || access(rec, F_OK) < 0 ||
	    lstate_from_json(j, s) < 0) {
		if (r != -ENOENT)
			log_info("job %s: %s does not name a committed backup; taking the state from the store",
				 o->job, path);
		json_decref(j);
		return -ENOENT;
	}
	snprintf(parent, STORE_ID_MAX, "%s", backup);
	json_decref(j);
	return 0;
}

int lstate_load(const struct logship_opts *o, struct lstate *s, char parent[STORE_ID_MAX])
{
	struct store_list l = { 0 };
	const json_t *rec = NULL;
	const char *id = NULL;
	int r;

	memset(s, 0, sizeof(*s));
	parent[0] = '\0';
	if (load_state_file(o, s, parent) == 0)
		return 0;
	r = newest_record(o, &l, &rec, &id);
	if (r == -ENOENT) {
		store_list_free(&l);
		return 0;	/* first run: nothing archived yet */
	}
	if (r < 0) {
		store_list_free(&l);
		return r;
	}
	snprintf(parent, STORE_ID_MAX, "%s", id);
	r = lstate_from_json(json_object_get(rec, "logs"), s);
	if (r < 0)
		log_error("job %s: backup %s: the record's \"logs\" state is unreadable", o->job, id);
	store_list_free(&l);
	return r;
}

int lstate_save(const struct logship_opts *o, const struct lstate *s)
{
	char path[PATH_MAX], dir[PATH_MAX];
	json_t *j = lstate_to_json(s);
	char *text;
	int r;

	if (!j)
		return -ENOMEM;
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!text)
		return -ENOMEM;
	r = state_path(o, path, sizeof(path));
	if (r == 0)
		r = fs_dirname(path, dir, sizeof(dir));
	if (r == 0)
		r = fs_mkdirs(dir, 0700);
	if (r == 0)
		r = fs_write_atomic(path, text, strlen(text), 0600);
	if (r < 0)
		log_err(LOG_LVL_ERROR, -r, "job %s: %s: cannot write the logs state", o->job, path);
	free(text);
	return r;
}

bool lstate_path_safe(const char *path)
{
	const char *p = path;

	if (!path || path[0] != '/' || strlen(path) >= PATH_MAX / 2)
		return false;
	while (*p) {
		const char *c = p + 1, *end = strchr(c, '/');
		size_t n = end ? (size_t)(end - c) : strlen(c);

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		p = c + n;
	}
	return true;
}

/*
 * config — loads the INI file into struct config (see config.h).
 *
 * How a file is read: ini_parse_stream() pulls lines through line_reader(),
 * which counts them and recognises section headers and malformed lines on its
 * own; inih then calls on_key() for every "key = value".  Because the reader
 * has always just returned the line that inih is handling, the current line
 * number and section are known in on_key() without INI_HANDLER_LINENO (which
 * Debian's libinih is not built with, and which would change the handler's
 * ABI if we defined it).
 *
 * After the whole file is read, finish() checks what needs the whole picture:
 * required keys, conflicting keys, tuning inheritance and retention that
 * would keep nothing, and each kind's own checks (jobkind_ops.check).  Every
 * problem goes to the error list; nothing stops at the first.
 *
 * The keys of a section are those of config_keys[] that apply to it and, in
 * a job's section, those of its kind's table (jobkind.h); a section counts
 * the lines its keys were set on in an array as long as its keys, so there
 * is no limit on how many keys there are.
 */
#include "config.h"
#include "config_keys.h"
#include "jobkind.h"
#include "offsite_config.h"
#include "retention.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#define SECTION_MAX 160

/* One [section] block as it appeared in the file. */
struct section {
	char name[SECTION_MAX];	/* text between the brackets */
	int line;		/* line of the header */
	bool global;		/* [lifeboat] */
	bool ignore;		/* bad header: its keys are not checked one by one */
	long job;		/* index into cfg->jobs, or -1 */
	const struct jobkind_ops *ops; /* the job's kind, or NULL */
	bool is_offsite;	/* [offsite:NAME]: its keys are offsite_keys[] */
	size_t offsite;		/* then: index into cfg->offsites */
	int *key_line;		/* per key of the section: line where set, 0 = not yet;
				 * a job's is the job's key_line */
	long last_key;		/* index of the section's previous key, or -1 */
};

struct loader {
	const char *path;	/* for messages */
	FILE *fp;
	int line;		/* number of the line the reader returned last */
	bool line_too_long;	/* the reader is skipping the rest of a long line */
	struct config *cfg;
	struct config_errors *errs;
	struct section *sections;
	size_t nsections;
	bool seen_global;	/* a [lifeboat] section was seen */
	int global_line;
};

static void add_error(struct loader *ld, int line, const char *section, const char *key,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add_error(struct loader *ld, int line, const char *section, const char *key,
		      const char *fmt, ...)
{
	char msg[512], full[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (section && key)
		snprintf(full, sizeof(full), "%s:%d: [%s] %s: %s", ld->path, line, section, key, msg);
	else if (section)
		snprintf(full, sizeof(full), "%s:%d: [%s]: %s", ld->path, line, section, msg);
	else if (key)
		snprintf(full, sizeof(full), "%s:%d: %s: %s", ld->path, line, key, msg);
	else if (line)
		snprintf(full, sizeof(full), "%s:%d: %s", ld->path, line, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", ld->path, msg);
	strlist_append(&ld->errs->lines, full);
}

bool config_job_name_valid(const char *name)
{
	if (!*name || strlen(name) > JOB_NAME_MAX)
		return false;
	if (!islower((unsigned char)name[0]) && !isdigit((unsigned char)name[0]))
		return false;
	for (const char *p = name; *p; p++) {
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_' && *p != '-')
			return false;
	}
	return true;
}

/* The keys of a section: config_keys[] (index 0 ..), then its kind's (index
 * config_nkeys ..). */
static size_t section_nkeys(const struct section *sec)
{
	if (sec->is_offsite)
		return config_nkeys + offsite_nkeys;
	return config_nkeys + (sec->ops ? sec->ops->nkeys : 0);
}

static const struct config_key *key_at(const struct section *sec, size_t idx)
{
	if (idx >= config_nkeys && sec->is_offsite)
		return &offsite_keys[idx - config_nkeys];
	return idx < config_nkeys ? &config_keys[idx] : &sec->ops->keys[idx - config_nkeys];
}

static bool kind_takes(const struct jobkind_ops *ops, const char *name)
{
	for (const char *const *t = ops->tuning; t && *t; t++)
		if (strcmp(*t, name) == 0)
			return true;
	return false;
}

/* Key IDX of the section's key space is valid in SEC. */
static bool key_applies(size_t idx, const struct section *sec)
{
	const struct config_key *k = key_at(sec, idx);

	if (idx >= config_nkeys)
		return true;	/* the kind's own */
	if (sec->global)
		return k->place == KP_GLOBAL || k->place == KP_TUNING;
	if (k->place == KP_GLOBAL || !sec->ops)
		return false;
	return !k->opt_in || kind_takes(sec->ops, k->name);
}

/* Where key K's value lives for section SEC. */
static void *key_field(const struct config_key *k, const struct section *sec, struct config *cfg)
{
	switch (k->place) {
	case KP_GLOBAL:
		return (char *)cfg + k->offset;
	case KP_TUNING:
		if (sec->global)
			return (char *)&cfg->tuning + k->offset;
		return (char *)&cfg->jobs[sec->job].tuning + k->offset;
	case KP_JOB:
		return (char *)&cfg->jobs[sec->job] + k->offset;
	case KP_OFFSITE:
		return (char *)&cfg->offsites[sec->offsite] + k->offset;
	}
	return NULL;
}

/* Gives every key of SEC that applies and has a default its default value. */
static void apply_defaults(struct loader *ld, struct section *sec)
{
	char err[256];

	for (size_t i = 0; i < section_nkeys(sec); i++) {
		const struct config_key *k = key_at(sec, i);

		/* Jobs inherit tuning from [lifeboat] in finish(), not from the table. */
		if (!k->def || !key_applies(i, sec) || (k->place == KP_TUNING && !sec->global))
			continue;
		if (config_key_parse(k, k->def, key_field(k, sec, ld->cfg), err, sizeof(err)) < 0)
			add_error(ld, 0, NULL, k->name, "internal error: bad default '%s': %s", k->def, err);
	}
}

static struct section *new_section(struct loader *ld, const char *name)
{
	struct section *v, *sec;

	v = realloc(ld->sections, (ld->nsections + 1) * sizeof(*v));
	if (!v)
		return NULL;
	ld->sections = v;
	sec = &v[ld->nsections];
	memset(sec, 0, sizeof(*sec));
	sec->key_line = calloc(config_nkeys, sizeof(int));
	if (!sec->key_line)
		return NULL;
	ld->nsections++;
	snprintf(sec->name, sizeof(sec->name), "%s", name);
	sec->line = ld->line;
	sec->job = -1;
	sec->last_key = -1;
	return sec;
}

static struct job *new_job(struct loader *ld, struct section *sec, enum job_kind kind, const char *name)
{
	const struct jobkind_ops *ops = jobkind_table[kind];
	struct job *v, *job;
	int *lines;

	v = realloc(ld->cfg->jobs, (ld->cfg->njobs + 1) * sizeof(*v));
	if (!v)
		return NULL;
	ld->cfg->jobs = v;
	job = &v[ld->cfg->njobs];
	memset(job, 0, sizeof(*job));
	job->name = strdup(name);
	if (!job->name)
		return NULL;
	job->kind = kind;
	job->line = ld->line;
	/* The section's key lines, grown to the kind's keys, become the job's. */
	lines = realloc(sec->key_line, (config_nkeys + ops->nkeys) * sizeof(int));
	if (!lines) {
		free(job->name);
		return NULL;
	}
	memset(lines, 0, (config_nkeys + ops->nkeys) * sizeof(int));
	sec->key_line = lines;
	sec->ops = ops;
	job->key_line = lines;
	sec->job = (long)ld->cfg->njobs++;
	apply_defaults(ld, sec);
	return job;
}

/* [offsite:NAME]: a target of offsite copies (offsite_config.h), not a job. */
static void open_offsite(struct loader *ld, struct section *sec, const char *name)
{
	struct offsite *v, *o;
	int *lines;

	if (!config_job_name_valid(name)) {
		add_error(ld, ld->line, sec->name, NULL,
			  "offsite name '%s' is not valid: use a-z, 0-9, '_' and '-', starting with a letter or digit",
			  name);
		return;
	}
	for (size_t i = 0; i < ld->cfg->noffsites; i++) {
		if (strcmp(ld->cfg->offsites[i].name, name) == 0) {
			add_error(ld, ld->line, sec->name, NULL, "duplicate offsite name '%s' (first on line %d)",
				  name, ld->cfg->offsites[i].line);
			return;
		}
	}
	v = realloc(ld->cfg->offsites, (ld->cfg->noffsites + 1) * sizeof(*v));
	lines = realloc(sec->key_line, (config_nkeys + offsite_nkeys) * sizeof(int));
	if (v)
		ld->cfg->offsites = v;
	if (lines)
		sec->key_line = lines;
	if (!v || !lines) {
		add_error(ld, ld->line, sec->name, NULL, "out of memory");
		return;
	}
	memset(lines, 0, (config_nkeys + offsite_nkeys) * sizeof(int));
	o = &v[ld->cfg->noffsites];
	memset(o, 0, sizeof(*o));
	o->name = strdup(name);
	o->line = ld->line;
	o->key_line = lines;
	sec->is_offsite = true;
	sec->offsite = ld->cfg->noffsites++;
	sec->ignore = false;
	apply_defaults(ld, sec);
}

/* The header "[NAME]" on the current line: decide what the section is. */
static void open_section(struct loader *ld, const char *name)
{
	struct section *sec;
	const struct jobkind_ops *ops;
	const char *colon;
	char kind[32];
	size_t klen;

	sec = new_section(ld, name);
	if (!sec) {
		add_error(ld, ld->line, name, NULL, "out of memory");
		return;
	}
	if (strcmp(name, "lifeboat") == 0) {
		if (ld->seen_global) {
			add_error(ld, ld->line, name, NULL, "section repeated (first on line %d)",
				  ld->global_line);
			sec->ignore = true;
			return;
		}
		ld->seen_global = true;
		ld->global_line = ld->line;
		sec->global = true;
		return;
	}
	sec->ignore = true;
	colon = strchr(name, ':');
	if (!colon) {
		char expected[512];
		size_t len = 0;

		/* "[lifeboat], [db:NAME], [files:NAME] or [logs:NAME]" */
		len = (size_t)snprintf(expected, sizeof(expected), "[lifeboat]");
		for (size_t i = 0; i < JOB_KIND_COUNT && len < sizeof(expected); i++)
			len += (size_t)snprintf(expected + len, sizeof(expected) - len, "%s[%s:NAME]",
						i + 1 < JOB_KIND_COUNT ? ", " : " or ", jobkind_table[i]->name);
		add_error(ld, ld->line, name, NULL, "unknown section (expected %s)", expected);
		return;
	}
	klen = (size_t)(colon - name);
	snprintf(kind, sizeof(kind), "%.*s", (int)(klen < sizeof(kind) ? klen : sizeof(kind) - 1), name);
	if (strcmp(kind, "offsite") == 0) {
		open_offsite(ld, sec, colon + 1);
		return;
	}
	ops = jobkind_find(kind);
	if (!ops) {
		add_error(ld, ld->line, name, NULL, "unknown job kind '%s' (expected %s)", kind, jobkind_names());
		return;
	}
	if (!config_job_name_valid(colon + 1)) {
		add_error(ld, ld->line, name, NULL,
			  "job name '%s' is not valid: use a-z, 0-9, '_' and '-', starting with a letter or digit, at most %d characters",
			  colon + 1, JOB_NAME_MAX);
		return;
	}
	if (strcmp(colon + 1, "incidents") == 0) {
		add_error(ld, ld->line, name, NULL,
			  "job name 'incidents' is reserved: <store>/incidents holds `lifeboat incident` evidence");
		return;
	}
	for (size_t j = 0; j < ld->cfg->njobs; j++) {
		if (strcmp(ld->cfg->jobs[j].name, colon + 1) == 0) {
			add_error(ld, ld->line, name, NULL, "duplicate job name '%s' (first on line %d)",
				  colon + 1, ld->cfg->jobs[j].line);
			return;
		}
	}
	if (!new_job(ld, sec, jobkind_kind(ops), colon + 1)) {
		add_error(ld, ld->line, name, NULL, "out of memory");
		return;
	}
	sec->ignore = false;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Looks at a raw line before inih does: headers and malformed lines. */
static void inspect_line(struct loader *ld, const char *raw)
{
	char buf[1024], *s, *close;

	snprintf(buf, sizeof(buf), "%s", raw);
	s = trim(buf);
	if (!*s || *s == ';' || *s == '#')
		return;
	if (*s == '[') {
		close = strchr(s, ']');
		if (!close) {
			struct section *sec;

			add_error(ld, ld->line, NULL, NULL, "section header without ']'");
			/* Keys that follow must not be taken for the previous section's. */
			sec = new_section(ld, s);
			if (sec)
				sec->ignore = true;
			return;
		}
		*close = '\0';
		open_section(ld, trim(s + 1));
		return;
	}
	if (!strchr(s, '=') && !strchr(s, ':'))
		add_error(ld, ld->line, ld->nsections ? ld->sections[ld->nsections - 1].name : NULL,
			  NULL, "expected 'key = value', found '%s'", s);
}

/* ini_reader: fgets() that counts lines and inspects each one. */
static char *line_reader(char *str, int num, void *stream)
{
	struct loader *ld = stream;
	size_t len;

	for (;;) {
		if (!fgets(str, num, ld->fp))
			return NULL;
		len = strlen(str);
		if (ld->line_too_long) {
			/* The tail of a line already reported: drop it. */
			if (len && str[len - 1] == '\n')
				ld->line_too_long = false;
			continue;
		}
		ld->line++;
		if (len + 1 == (size_t)num && str[len - 1] != '\n' && !feof(ld->fp)) {
			add_error(ld, ld->line, NULL, NULL,
				  "line is longer than %d characters (a long list can go on over several 'key = ...' lines)",
				  num - 2);
			ld->line_too_long = true;
			str[0] = '\0';	/* hand inih an empty line */
			return str;
		}
		/* Indented lines would be continuations of the previous value for
		 * inih; in a config file people indent for looks, so drop it. */
		if (isspace((unsigned char)str[0]) && str[0] != '\n') {
			size_t skip = strspn(str, " \t\r\f\v");

			memmove(str, str + skip, len - skip + 1);
		}
		inspect_line(ld, str);
		return str;
	}
}

/* The index of key NAME in SEC's key space, or -1; *ELSEWHERE when NAME is a
 * key of another kind of section. */
static long find_key(const char *name, const struct section *sec, bool *elsewhere)
{
	*elsewhere = false;
	for (size_t i = 0; i < section_nkeys(sec); i++) {
		if (strcmp(key_at(sec, i)->name, name) != 0)
			continue;
		if (key_applies(i, sec))
			return (long)i;
		*elsewhere = true;
	}
	for (size_t i = 0; i < JOB_KIND_COUNT; i++)
		for (size_t j = 0; j < jobkind_table[i]->nkeys; j++)
			if (strcmp(jobkind_table[i]->keys[j].name, name) == 0)
				*elsewhere = true;
	return -1;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct loader *ld = user;
	const struct config_key *k;
	struct section *sec;
	char err[256];
	bool elsewhere;
	long found;
	size_t idx;

	if (ld->nsections == 0) {
		add_error(ld, ld->line, NULL, name, "key outside of any section");
		return 1;
	}
	sec = &ld->sections[ld->nsections - 1];
	if (sec->ignore)
		return 1;
	(void)section;
	found = find_key(name, sec, &elsewhere);
	if (found < 0) {
		if (elsewhere && sec->global)
			add_error(ld, ld->line, sec->name, name, "not valid in [lifeboat] (it belongs in a job section)");
		else if (elsewhere && sec->job >= 0)
			add_error(ld, ld->line, sec->name, name, "not valid for %s jobs",
				  job_kind_name(ld->cfg->jobs[sec->job].kind));
		else
			add_error(ld, ld->line, sec->name, name, "unknown key");
		return 1;
	}
	idx = (size_t)found;
	k = key_at(sec, idx);
	if (sec->key_line[idx] && k->type == KT_LIST && sec->last_key == (long)idx) {
		/* A list too long for one line (inih's limit) continues on the
		 * very next "key = ..." line; the same key again later is an error. */
		if (config_key_append(k, value, key_field(k, sec, ld->cfg), err, sizeof(err)) < 0)
			add_error(ld, ld->line, sec->name, name, "%s (got '%s')", err, value);
		return 1;
	}
	sec->last_key = (long)idx;
	if (sec->key_line[idx]) {
		add_error(ld, ld->line, sec->name, name, "set twice (first on line %d)", sec->key_line[idx]);
		return 1;
	}
	sec->key_line[idx] = ld->line;
	if (config_key_parse(k, value, key_field(k, sec, ld->cfg), err, sizeof(err)) < 0) {
		add_error(ld, ld->line, sec->name, name, "%s (got '%s')", err, value);
		return 1;
	}
	return 1;
}

/* The tuning keys a job did not set come from [lifeboat]. */
static void inherit_tuning(struct config *cfg, struct job *job)
{
	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];

		if (k->place != KP_TUNING || job->key_line[i])
			continue;
		memcpy((char *)&job->tuning + k->offset, (char *)&cfg->tuning + k->offset, k->size);
	}
}

/* A job section as a kind's check sees it. */
struct config_check {
	struct loader *ld;
	const struct section *sec;
};

const struct config *config_check_config(const struct config_check *c)
{
	return c->ld->cfg;
}

int config_check_line(const struct config_check *c, const char *key)
{
	for (size_t i = 0; key && i < section_nkeys(c->sec); i++) {
		if (strcmp(key_at(c->sec, i)->name, key) == 0 && c->sec->key_line[i])
			return c->sec->key_line[i];
	}
	return c->sec->line;
}

void config_check_error(struct config_check *c, int line, const char *key, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	add_error(c->ld, line, c->sec->name, key, "%s", msg);
}

static void check_required(struct loader *ld, const struct section *sec, const struct job *job)
{
	for (size_t i = 0; i < section_nkeys(sec); i++) {
		const struct config_key *k = key_at(sec, i);

		if (k->required && key_applies(i, sec) && !sec->key_line[i])
			add_error(ld, sec->line, sec->name, k->name, "missing (required for %s jobs)",
				  job_kind_name(job->kind));
	}
}

static void check_retention(struct loader *ld, const struct section *sec, const struct job *job)
{
	if (retention_keeps_nothing(&job->keep))
		add_error(ld, sec->line, sec->name, "keep_*",
			  "this retention policy keeps no backup at all; set at least one keep_ key above 0");
}

static void finish(struct loader *ld)
{
	for (size_t i = 0; i < ld->nsections; i++) {
		const struct section *sec = &ld->sections[i];
		struct job *job;

		if (!sec->ignore && sec->is_offsite) {
			struct config_check c = { ld, sec };

			for (size_t k = config_nkeys; k < section_nkeys(sec); k++)
				if (key_at(sec, k)->required && !sec->key_line[k])
					add_error(ld, sec->line, sec->name, key_at(sec, k)->name,
						  "missing (required for offsite targets)");
			offsite_config_check(&c, &ld->cfg->offsites[sec->offsite], ld->cfg);
		}
		if (sec->ignore || sec->job < 0)
			continue;
		job = &ld->cfg->jobs[sec->job];
		check_required(ld, sec, job);
		check_retention(ld, sec, job);
		inherit_tuning(ld->cfg, job);
		if (sec->ops->check) {
			struct config_check c = { ld, sec };

			sec->ops->check(&c, job);
		}
	}
}

static void loader_free(struct loader *ld)
{
	/* A job's key lines are the job's, freed with the config (an offsite's too). */
	for (size_t i = 0; i < ld->nsections; i++)
		if (ld->sections[i].job < 0 && !ld->sections[i].is_offsite)
			free(ld->sections[i].key_line);
	free(ld->sections);
}

/* Loads from FP (or reports OPEN_ERR, the errno of opening it, when FP is NULL). */
static int load_stream(const char *path, FILE *fp, int open_err, struct config **out,
		       struct config_errors *errs)
{
	struct loader ld = { .path = path, .errs = errs };
	struct section global = { .global = true, .job = -1 };
	int r;

	*out = NULL;
	ld.cfg = calloc(1, sizeof(*ld.cfg));
	if (!ld.cfg) {
		if (fp)
			fclose(fp);
		return -ENOMEM;
	}
	ld.cfg->path = strdup(path);
	/* [lifeboat] may be absent or come last: its defaults go in first. */
	apply_defaults(&ld, &global);

	ld.fp = fp;
	if (!ld.fp) {
		add_error(&ld, 0, NULL, NULL, "cannot open: %s", strerror(open_err));
		config_free(ld.cfg);
		return -open_err;
	}
	r = ini_parse_stream(line_reader, &ld, on_key, &ld);
	if (r < 0)
		add_error(&ld, 0, NULL, NULL, "cannot read (inih error %d)", r);
	else if (ferror(ld.fp))
		add_error(&ld, 0, NULL, NULL, "read error");
	fclose(ld.fp);
	if (r > 0 && errs->lines.n == 0)
		add_error(&ld, r, NULL, NULL, "syntax error");
	finish(&ld);
	loader_free(&ld);

	if (errs->lines.n) {
		config_free(ld.cfg);
		return -EINVAL;
	}
	*out = ld.cfg;
	return 0;
}

int config_load(const char *path, struct config **out, struct config_errors *errs)
{
	FILE *fp = fopen(path, "re");

	return load_stream(path, fp, fp ? 0 : errno, out, errs);
}

int config_load_text(const char *path, const char *text, size_t len, struct config **out,
		     struct config_errors *errs)
{
	FILE *fp;

	/* fmemopen refuses a zero size; an empty file is still a config. */
	fp = fmemopen((void *)(len ? text : "\n"), len ? len : 1, "r");
	return load_stream(path, fp, fp ? 0 : errno, out, errs);
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];

		if (k->place == KP_GLOBAL)
			config_key_release(k, (char *)cfg + k->offset);
		else if (k->place == KP_JOB) {
			for (size_t j = 0; j < cfg->njobs; j++)
				config_key_release(k, (char *)&cfg->jobs[j] + k->offset);
		}
	}
	/* A job's own settings are the members of its kind only. */
	for (size_t j = 0; j < cfg->njobs; j++) {
		const struct jobkind_ops *ops = jobkind_of(&cfg->jobs[j]);

		for (size_t i = 0; ops && i < ops->nkeys; i++)
			config_key_release(&ops->keys[i], (char *)&cfg->jobs[j] + ops->keys[i].offset);
		free(cfg->jobs[j].key_line);
		free(cfg->jobs[j].name);
	}
	free(cfg->jobs);
	for (size_t j = 0; j < cfg->noffsites; j++) {
		struct offsite *o = &cfg->offsites[j];

		for (size_t i = 0; i < offsite_nkeys; i++)
			config_key_release(&offsite_keys[i], (char *)o + offsite_keys[i].offset);
		free(o->bucket);
		free(o->prefix);
		free(o->key_line);
		free(o->name);
	}
	free(cfg->offsites);
	free(cfg->path);
	free(cfg);
}

void config_errors_free(struct config_errors *errs)
{
	strlist_free(&errs->lines);
}

const struct job *config_job(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->njobs; i++) {
		if (strcmp(cfg->jobs[i].name, name) == 0)
			return &cfg->jobs[i];
	}
	return NULL;
}

const char *config_path_choose(const char *opt)
{
	const char *env;

	if (opt)
		return opt;
	env = getenv(CONFIG_ENV);
	if (env && *env)
		return env;
	return CONFIG_DEFAULT_PATH;
}

/* A list is printed over as many "key = ..." lines as inih's line limit needs,
 * so that check-config's output always loads again. */
static void print_list(const char *name, const struct strlist *l, FILE *out)
{
	size_t width = 0;

	for (size_t i = 0; i < l->n; i++) {
		size_t item = strlen(l->v[i]);

		if (i == 0 || width + item + 2 > 180) {
			fprintf(out, "%s%-19s = %s", i ? "\n" : "", name, l->v[i]);
			width = 22 + item;
		} else {
			fprintf(out, ", %s", l->v[i]);
			width += item + 2;
		}
	}
	fputc('\n', out);
}

static void print_key(const struct config_key *k, const void *field, FILE *out)
{
	char *value = NULL;
	size_t len = 0;
	FILE *mem;
	bool set;

	if (k->type == KT_LIST && ((const struct strlist *)field)->n) {
		print_list(k->name, field, out);
		return;
	}
	mem = open_memstream(&value, &len);
	if (!mem)
		return;
	set = config_key_print(k, field, mem);
	fclose(mem);
	/* Unset optional keys are shown commented out, so the list is complete. */
	if (set)
		fprintf(out, "%-19s = %s\n", k->name, value);
	else
		fprintf(out, "; %-18s(not set)\n", k->name);
	free(value);
}

void config_print(const struct config *cfg, FILE *out)
{
	fprintf(out, "; effective configuration of %s\n", cfg->path);
	fprintf(out, "[lifeboat]\n");
	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];

		if (k->place == KP_GLOBAL)
			print_key(k, (const char *)cfg + k->offset, out);
		else if (k->place == KP_TUNING)
			print_key(k, (const char *)&cfg->tuning + k->offset, out);
	}
	for (size_t j = 0; j < cfg->njobs; j++) {
		const struct job *job = &cfg->jobs[j];
		struct section sec = { .job = (long)j, .ops = jobkind_of(job) };

		fprintf(out, "\n[%s:%s]\n", job_kind_name(job->kind), job->name);
		for (size_t i = 0; i < section_nkeys(&sec); i++) {
			const struct config_key *k = key_at(&sec, i);

			if (!key_applies(i, &sec))
				continue;
			if (k->place == KP_TUNING)
				print_key(k, (const char *)&job->tuning + k->offset, out);
			else
				print_key(k, (const char *)job + k->offset, out);
		}
	}
	for (size_t j = 0; j < cfg->noffsites; j++) {
		fprintf(out, "\n[offsite:%s]\n", cfg->offsites[j].name);
		for (size_t i = 0; i < offsite_nkeys; i++)
			print_key(&offsite_keys[i], (const char *)&cfg->offsites[j] + offsite_keys[i].offset, out);
	}
}

bool config_job_sets(const struct job *job, const char *key)
{
	for (size_t i = 0; i < config_nkeys; i++)
		if (config_keys[i].place == KP_TUNING && strcmp(config_keys[i].name, key) == 0)
			return job->key_line && job->key_line[i];
	return false;
}

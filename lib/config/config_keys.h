/*
 * config_keys — for config.c and the job kinds: how a key is described.
 *
 * A key has a type (how its text is parsed and printed), a place (which struct
 * its value lands in) and so the sections it is valid in.  Defaults are text
 * and go through the same parser as the file, so a default can never be a
 * value the file could not hold.
 *
 * config_keys[] holds the keys of [lifeboat], the tuning keys and the keys
 * every job has.  A kind's own keys are in its own table (jobkind_ops.keys,
 * KP_JOB only), and a kind's checks across its keys (jobkind_ops.check) report
 * through config_check_error().  A job's keys are numbered: config_keys[]
 * first, then its kind's table; struct job's key_line is indexed that way.
 */
#ifndef LIFEBOAT_CONFIG_KEYS_H
#define LIFEBOAT_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

enum key_type {
	KT_STRING,
	KT_PATH,		/* absolute path */
	KT_INT,			/* long within [min, max] */
	KT_SIZE,		/* uint64_t bytes */
	KT_COUNT,		/* uint64_t within [min, max], size suffixes allowed */
	KT_DURATION,		/* int64_t seconds */
	KT_DECIMAL,		/* double >= 0 */
	KT_PERCENT,		/* double 0..100 */
	KT_BOOL,
	KT_LIST,		/* struct strlist */
	KT_SCHEDULE,		/* struct job_schedule */
	KT_IONICE,		/* struct ionice */
	KT_ENUM,		/* an enum: the index of the value in `names` */
	KT_MINFREE,		/* struct min_free */
};

enum key_place {
	KP_GLOBAL,		/* offset into struct config; [lifeboat] only */
	KP_TUNING,		/* offset into struct job_tuning; [lifeboat] and jobs */
	KP_JOB,			/* offset into struct job; jobs only */
	KP_OFFSITE,		/* offset into struct offsite; [offsite:NAME] only */
};

struct config_key {
	const char *name;
	enum key_type type;
	enum key_place place;
	bool opt_in;		/* KP_TUNING: only for the kinds whose ops list it */
	size_t offset;		/* of the field in its struct */
	size_t size;		/* of the field, for copying inherited values */
	long min, max;		/* KT_INT and KT_COUNT range */
	const char *def;	/* default as text, or NULL for "unset" */
	bool required;		/* a job that has the key must set it */
	const char *help;	/* one line, printed as a comment by check-config */
	const char *const *names; /* KT_ENUM: the values, NULL-terminated */
};

/* The fields of a config_key from PLACE to SIZE, for the tables. */
#define CONFIG_GLOBAL(field) KP_GLOBAL, false, offsetof(struct config, field), \
		sizeof(((struct config *)0)->field)
#define CONFIG_TUNING(field) KP_TUNING, false, offsetof(struct job_tuning, field), \
		sizeof(((struct job_tuning *)0)->field)
#define CONFIG_TUNING_OPT_IN(field) KP_TUNING, true, offsetof(struct job_tuning, field), \
		sizeof(((struct job_tuning *)0)->field)
#define CONFIG_JOB(field) KP_JOB, false, offsetof(struct job, field), sizeof(((struct job *)0)->field)

extern const struct config_key config_keys[];
extern const size_t config_nkeys;

/* A job section being checked as a whole, for a kind's jobkind_ops.check. */
struct config_check;

/* The config being loaded, whole (every job), for a check across jobs. */
const struct config *config_check_config(const struct config_check *c);
/* The line KEY was set on in the section, or the section header's line. */
int config_check_line(const struct config_check *c, const char *key);
/* Adds "FILE:LINE: [section] KEY: message" to the config's errors. */
void config_check_error(struct config_check *c, int line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Parses VALUE into FIELD.  Returns 0 or -EINVAL with a reason in ERR. */
int config_key_parse(const struct config_key *k, const char *value, void *field,
		     char *err, size_t errlen);
/* Adds the items of VALUE to the list FIELD (KT_LIST only). */
int config_key_append(const struct config_key *k, const char *value, void *field,
		      char *err, size_t errlen);
/* Prints FIELD's value; false (and nothing printed) when it is unset. */
bool config_key_print(const struct config_key *k, const void *field, FILE *out);
/* Frees what FIELD owns and zeroes it. */
void config_key_release(const struct config_key *k, void *field);

#endif

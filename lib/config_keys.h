/*
 * config_keys — private to config.c: the table that describes every key once.
 *
 * A key has a type (how its text is parsed and printed), a place (which struct
 * its value lands in) and the sections it is valid in.  Defaults are text and
 * go through the same parser as the file, so a default can never be a value
 * the file could not hold.
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
	KT_DBLOCK,		/* enum db_lock */
	KT_MINFREE,		/* struct min_free */
};

enum key_place {
	KP_GLOBAL,		/* offset into struct config; [lifeboat] only */
	KP_TUNING,		/* offset into struct job_tuning; [lifeboat] and jobs */
	KP_JOB,			/* offset into struct job; jobs only */
};

/* Bits of `kinds`: which job kinds accept the key. */
#define KK_DB    (1u << JOB_DB)
#define KK_FILES (1u << JOB_FILES)
#define KK_LOGS  (1u << JOB_LOGS)
#define KK_ALL   (KK_DB | KK_FILES | KK_LOGS)

struct config_key {
	const char *name;
	enum key_type type;
	enum key_place place;
	unsigned kinds;		/* KK_* for KP_TUNING and KP_JOB keys */
	size_t offset;		/* of the field in its struct */
	size_t size;		/* of the field, for copying inherited values */
	long min, max;		/* KT_INT and KT_COUNT range */
	const char *def;	/* default as text, or NULL for "unset" */
	bool required;		/* a job of these kinds must set it */
	const char *help;	/* one line, printed as a comment by check-config */
};

extern const struct config_key config_keys[];
extern const size_t config_nkeys;

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

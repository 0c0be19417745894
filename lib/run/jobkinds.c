/*
 * jobkinds — the table of job kinds: one row per kind, in the order of enum
 * job_kind (config.h).  Adding a kind is a row here and its own file; see
 * jobkind.h.  This file knows the kinds' names only through their ops.
 * It also answers lib/store/'s kind_layout_find() (kind_layout.h), so the
 * store reads a kind's layout without including anything of lib/run/.
 */
#include "jobkind.h"

#include <stdio.h>
#include <string.h>

const struct jobkind_ops *const jobkind_table[JOB_KIND_COUNT] = {
	[JOB_DB] = &jobkind_db_ops,
	[JOB_FILES] = &jobkind_files_ops,
	[JOB_LOGS] = &jobkind_logs_ops,
	[JOB_DRILL] = &jobkind_drill_ops,
	[JOB_WATCH] = &jobkind_watch_ops,
};

const struct jobkind_ops *jobkind_find(const char *name)
{
	for (size_t i = 0; i < JOB_KIND_COUNT; i++)
		if (strcmp(jobkind_table[i]->name, name) == 0)
			return jobkind_table[i];
	return NULL;
}

enum job_kind jobkind_kind(const struct jobkind_ops *ops)
{
	size_t i = 0;

	while (i < JOB_KIND_COUNT && jobkind_table[i] != ops)
		i++;
	return (enum job_kind)i;
}

const struct jobkind_ops *jobkind_of(const struct job *job)
{
	return (unsigned)job->kind < JOB_KIND_COUNT ? jobkind_table[job->kind] : NULL;
}

const char *job_kind_name(enum job_kind kind)
{
	return (unsigned)kind < JOB_KIND_COUNT ? jobkind_table[kind]->name : "?";
}

const char *jobkind_names(void)
{
	static char names[256];
	size_t len = 0;

	if (names[0])
		return names;
	for (size_t i = 0; i < JOB_KIND_COUNT && len < sizeof(names); i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", jobkind_table[i]->name,
					i + 2 < JOB_KIND_COUNT ? ", " : i + 2 == JOB_KIND_COUNT ? " or " : "");
	return names;
}

/* Kinds that write no backups (no_backup: watch) have no layout in the store. */
const struct kind_layout *kind_layout_find(const char *kind)
{
	const struct jobkind_ops *ops = kind ? jobkind_find(kind) : NULL;

	return ops && !ops->no_backup ? ops->layout : NULL;
}

const char *kind_layout_names(void)
{
	static char names[256];
	size_t len = 0, n = 0, all = 0;

	if (names[0])
		return names;
	for (size_t i = 0; i < JOB_KIND_COUNT; i++)
		all += !jobkind_table[i]->no_backup;
	for (size_t i = 0; i < JOB_KIND_COUNT && len < sizeof(names); i++) {
		if (jobkind_table[i]->no_backup)
			continue;
		n++;
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
					n == 1 ? "" : n == all ? " or " : ", ", jobkind_table[i]->name);
	}
	return names;
}

/*
 * jobkind_files — a files job's run.  See jobkind.h.
 */
#include "jobkind.h"

#include <errno.h>

#include "log.h"

int jobkind_files_run(struct jobkind *k, json_t *record)
{
	log_error("job %s: files jobs are not available in this version", k->job->name);
	return -ENOSYS;
}

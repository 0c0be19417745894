/*
 * jobkind_logs — a logs job's run.  See jobkind.h.
 */
#include "jobkind.h"

#include <errno.h>

#include "log.h"

int jobkind_logs_run(struct jobkind *k, json_t *record)
{
	log_error("job %s: logs jobs are not available in this version", k->job->name);
	return -ENOSYS;
}

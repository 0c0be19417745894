/*
 * facts — facts_collect: the parts of facts.h put together, with the time
 * they were collected.  The small scope is what a files backup keeps.
 */
#include <errno.h>
#include <time.h>

#include "facts.h"
#include "timefmt.h"

int facts_collect(const struct config *cfg, enum facts_scope scope, json_t **out)
{
	char now[TIMEFMT_RFC3339_LEN];
	json_t *obj = json_object();
	int r;

	*out = NULL;
	if (!obj)
		return -ENOMEM;
	timefmt_rfc3339(time(NULL), now);
	json_object_set_new(obj, "collected", json_string(now));
	json_object_set_new(obj, "scope", json_string(scope == FACTS_FULL ? "full" : "small"));
	if ((r = facts_system(obj)) < 0 ||
	    (r = facts_software(scope == FACTS_FULL ? cfg : NULL, obj)) < 0 ||
	    (r = facts_packages(obj, scope)) < 0)
		goto fail;
	if (scope == FACTS_FULL && ((r = facts_accounts(obj)) < 0 || (r = facts_proc(obj)) < 0))
		goto fail;
	if (scope == FACTS_SMALL) {
		/* Uptime and DMI strings are not what a backup needs to remember. */
		json_t *host = json_object_get(obj, "host");

		json_object_del(host, "uptime_seconds");
	}
	*out = obj;
	return 0;
fail:
	json_decref(obj);
	return r;
}

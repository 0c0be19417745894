/*
 * incident hook — on_incident and on_incident_close: the user's way to take
 * the site offline (a maintenance flag, a2dissite, a firewall rule) and to
 * bring it back.  Run with `/bin/sh -c CMD lifeboat-incident STAMP DIR`
 * (so $1 is the incident's stamp and $2 its directory), with a minimal
 * environment, for at most hook_timeout (facts_cmd.h runs it).  Its output
 * is kept as an evidence file and its exit status goes into the journal:
 * a hook that fails is reported, and the capture goes on — evidence is
 * worth more than a clean start.  This file does not decide when to run.
 */
#include "incident.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "facts_cmd.h"
#include "log.h"

int incident_hook(const struct config *cfg, struct incident *inc, const char *which,
		  const char *cmd, const char *out_name)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, "lifeboat-incident", inc->stamp, inc->dir, NULL };
	struct facts_cmd_result res = { 0 };
	struct evfile ev;
	char what[128];
	int r;

	snprintf(what, sizeof(what), "%s hook", which);
	if (!cmd || !*cmd) {
		incident_journalf(inc, what, "none configured (set %s in [lifeboat])", which);
		return 0;
	}
	r = facts_cmd_run(argv, (int)(cfg->hook_timeout > 0 ? cfg->hook_timeout * 1000 : 60000), &res);
	if (r < 0) {
		log_err(LOG_LVL_ERROR, -r, "incident %s: %s hook: cannot run /bin/sh", inc->stamp, which);
		incident_journalf(inc, what, "could not be started: %s", strerror(-r));
		return r;
	}
	if (evfile_open(inc, out_name, &ev) == 0) {
		if (evfile_write(&ev, res.output ? res.output : "", res.len) == 0)
			evfile_finish(&ev, NULL);
		else
			evfile_abort(&ev);
	}
	if (res.timed_out)
		incident_journalf(inc, what, "killed after hook_timeout (%llds); output in %s",
				  (long long)cfg->hook_timeout, out_name);
	else
		incident_journalf(inc, what, "exit status %d; %zu bytes of output in %s", res.status, res.len,
				  out_name);
	r = res.timed_out ? 124 : res.status;
	facts_cmd_result_free(&res);
	return r;
}

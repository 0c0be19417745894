/*
 * incident checklist — the guides' steps after an exploit, in their order,
 * and which of them Lifeboat does.  `incident status` prints them ticked or
 * not; `incident done KEY` ticks a step the user did (a journal line
 * "done KEY"), which is also how a step is known to be done: from the
 * journal (and, for the evidence, from the manifest), never from a second
 * record that could disagree with it.
 */
#include "incident.h"

#include <stdlib.h>
#include <string.h>

#include "fsutil.h"

const struct incident_step incident_steps[] = {
	{ "offline", "take the site offline (the on_incident hook)", true },
	{ "fileset", "copy the complete fileset, hidden files included (a full snapshot per files job)", true },
	{ "database", "dump the database (per db job)", true },
	{ "logs", "copy ALL logs covering the exploit period, rotated ones too", true },
	{ "journal", "document every step in a text file (journal.txt)", true },
	{ "bundle", "pack the evidence for your host or the developers (incident bundle)", true },
	{ "restore-files", "wipe the tree and put a clean copy in place (restore JOB ID --replace)", true },
	{ "restore-db", "empty the database and import a clean dump (restore DBJOB ID --replace)", true },
	{ "db-password", "change the database user's password and the application's config file", false },
	{ "passwords", "change the application's admin passwords and the FTP, SSH and control-panel passwords", false },
	{ "users", "tell the users affected; have them change their passwords if their data was reached", false },
	{ "report", "report the incident to your host/provider (send the bundle)", false },
	{ "developers", "tell the software's developers; apply the fixes they issue", false },
	{ "online", "restore public access (incident close runs on_incident_close)", true },
};
const size_t incident_nsteps = sizeof(incident_steps) / sizeof(incident_steps[0]);

const struct incident_step *incident_step_find(const char *key)
{
	for (size_t i = 0; i < incident_nsteps; i++)
		if (!strcmp(incident_steps[i].key, key))
			return &incident_steps[i];
	return NULL;
}

bool incident_step_done(const struct incident *inc, const struct incident_step *s)
{
	char path[INCIDENT_FILE_MAX], mark[80], *text = NULL;
	size_t len;
	bool done = false;

	snprintf(path, sizeof(path), "%s/%s", inc->dir, INCIDENT_JOURNAL);
	if (fs_read_all(path, 64u << 20, &text, &len) < 0)
		return false;
	snprintf(mark, sizeof(mark), "\tdone %s\t", s->key);
	if (strstr(text, mark))
		done = true;
	else if (!strcmp(s->key, "offline"))
		done = strstr(text, "\ton_incident hook\texit status 0;") != NULL;
	else if (!strcmp(s->key, "fileset") || !strcmp(s->key, "database") || !strcmp(s->key, "logs"))
		done = incident_evidence_complete(inc);
	else if (!strcmp(s->key, "journal"))
		done = true;
	else if (!strcmp(s->key, "bundle"))
		done = strstr(text, "\tbundle\tok") != NULL;
	else if (!strcmp(s->key, "restore-files"))
		done = strstr(text, "\trestore --replace files ") != NULL;
	else if (!strcmp(s->key, "restore-db"))
		done = strstr(text, "\trestore --replace db ") != NULL;
	else if (!strcmp(s->key, "online"))
		done = strstr(text, "\ton_incident_close hook\texit status 0;") != NULL;
	free(text);
	return done;
}

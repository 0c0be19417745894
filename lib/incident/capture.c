/*
 * incident capture — the evidence, in the guides' order, each item as it
 * finishes: per job (config order) the files snapshot, the db dump, the
 * logs copy; then the change list (it compares with the snapshots just
 * taken), `status` as it stood, the server's facts; then MANIFEST.sha256
 * and the pins.  Every step gets a journal line with its result.
 *
 * Resuming is the same call: an item whose final file exists was finished
 * (evfile.c writes whole or not at all) and is skipped with a journal line;
 * part files of a killed capture are removed first.  incident.json's
 * "capture" says "running" (with the pid) while a capture works, so the
 * next one can write that the previous was interrupted.  One capture at a
 * time: the incident directory's flock.  A failed step is journaled and
 * the rest still captured; the manifest is written only when every step
 * succeeded, so "evidence complete" means complete.
 */
#include "incident.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "facts.h"
#include "jobstatus.h"
#include "log.h"
#include "timefmt.h"

#define SUMMARY_MAX 2048

static int step_status(const struct config *cfg, struct store *st, struct incident *inc, char *summary,
		       size_t len)
{
	char hex[SHA256_HEX_LEN + 1], now_text[TIMEFMT_RFC3339_LEN];
	time_t now = time(NULL);
	json_t *jobs = json_array(), *doc;
	int r;

	for (size_t i = 0; i < cfg->njobs && jobs; i++) {
		json_t *j = jobstatus_job(cfg, &cfg->jobs[i], now);
		struct store_entry e;

		if (!j)
			continue;
		if (store_get(st, cfg->jobs[i].name, "latest", &e) == 0) {
			json_object_set_new(j, "last_good_in_store", json_pack("{s:s, s:O?, s:O?}", "id", e.id,
					    "finished", json_object_get(e.record, "finished"),
					    "sha256", json_object_get(json_array_get(json_object_get(e.record, "artifacts"), 0), "sha256")));
			store_entry_free(&e);
		} else {
			json_object_set_new(j, "last_good_in_store", json_null());
		}
		json_array_append_new(jobs, j);
	}
	timefmt_rfc3339(now, now_text);
	doc = json_pack("{s:s, s:o}", "at", now_text, "jobs", jobs ? jobs : json_array());
	r = doc ? evfile_json(inc, "status.json", doc, hex) : -ENOMEM;
	json_decref(doc);
	if (r == 0)
		snprintf(summary, len, "the last good backup of %zu job(s); status.json sha256 %s", cfg->njobs, hex);
	return r;
}

static int step_facts(const struct config *cfg, struct incident *inc, char *summary, size_t len)
{
	char hex[SHA256_HEX_LEN + 1];
	json_t *facts = NULL;
	int r = facts_collect(cfg, FACTS_FULL, &facts);

	if (r == 0)
		r = evfile_json(inc, "facts.json", facts, hex);
	json_decref(facts);
	if (r == 0)
		snprintf(summary, len, "OS, kernel, software versions, packages, crontabs, accounts, sockets, mounts; facts.json sha256 %s",
			 hex);
	return r;
}

/* Runs one step unless its file exists; journals the outcome.  -1 failed. */
static int step(struct incident *inc, const char *what, const char *file, int r_done, const char *summary)
{
	(void)file;
	if (r_done < 0) {
		incident_journalf(inc, what, "FAILED: %s", summary[0] ? summary : strerror(-r_done));
		return -1;
	}
	incident_journal(inc, what, summary);
	return 0;
}

static bool skip(struct incident *inc, const char *what, const char *file)
{
	if (!evfile_exists(inc, file))
		return false;
	incident_journalf(inc, what, "already captured: %s", file);
	return true;
}

int incident_capture(const struct config *cfg, struct incident *inc)
{
	char summary[SUMMARY_MAX], what[256], file[256], hex[SHA256_HEX_LEN + 1];
	const char *was = json_string_value(json_object_get(inc->state, "capture"));
	struct store *st = NULL;
	int failed = 0, r, parts;
	unsigned pinned = 0;

	r = incident_lock(inc);
	if (r < 0) {
		log_error("incident %s: another process is capturing its evidence now", inc->stamp);
		return -EBUSY;
	}
	if (was && !strcmp(was, "running"))
		incident_journalf(inc, "capture interrupted",
				  "the capture by pid %lld stopped before it finished (killed?); resuming",
				  (long long)json_integer_value(json_object_get(inc->state, "capture_pid")));
	if (incident_evidence_complete(inc)) {
		incident_journal(inc, "capture", "evidence already complete; nothing to do");
		return 0;
	}
	parts = evfile_clean(inc);
	if (parts > 0)
		incident_journalf(inc, "capture", "removed %d half-written file(s) of the interrupted capture", parts);
	json_object_set_new(inc->state, "capture", json_string("running"));
	json_object_set_new(inc->state, "capture_pid", json_integer((json_int_t)getpid()));
	if ((r = incident_save(inc)) < 0)
		return r;
	incident_journalf(inc, "capture started", "%zu job(s) in %s", cfg->njobs, cfg->path);
	if ((r = store_open(cfg->store, &st)) < 0) {
		incident_journal(inc, "capture", "FAILED: the store cannot be opened");
		return r;
	}
	for (size_t i = 0; i < cfg->njobs; i++) {
		const struct job *job = &cfg->jobs[i];

		summary[0] = '\0';
		switch (job->kind) {
		case JOB_FILES:
			snprintf(what, sizeof(what), "evidence files %s", job->name);
			snprintf(file, sizeof(file), "files-%s.tar.zst", job->name);
			if (!skip(inc, what, file))
				failed |= step(inc, what, file, incident_files(cfg, job, inc, summary, sizeof(summary)),
					       summary);
			break;
		case JOB_DB:
			snprintf(what, sizeof(what), "evidence db %s", job->name);
			snprintf(file, sizeof(file), "db-%s.sql.zst", job->name);
			if (!skip(inc, what, file))
				failed |= step(inc, what, file, incident_db(cfg, job, inc, summary, sizeof(summary)),
					       summary);
			break;
		case JOB_LOGS:
			snprintf(what, sizeof(what), "evidence logs %s", job->name);
			snprintf(file, sizeof(file), "logs-%s.archived.json", job->name);
			if (!skip(inc, what, file))
				failed |= step(inc, what, file,
					       incident_logs(cfg, job, st, inc, summary, sizeof(summary)), summary);
			break;
		default:
			break;
		}
	}
	summary[0] = '\0';
	if (!skip(inc, "evidence changes", "changes.json"))
		failed |= step(inc, "evidence changes", "changes.json",
			       incident_changes(cfg, st, inc, summary, sizeof(summary)), summary);
	summary[0] = '\0';
	if (!skip(inc, "evidence status", "status.json"))
		failed |= step(inc, "evidence status", "status.json", step_status(cfg, st, inc, summary, sizeof(summary)),
			       summary);
	summary[0] = '\0';
	if (!skip(inc, "evidence facts", "facts.json"))
		failed |= step(inc, "evidence facts", "facts.json", step_facts(cfg, inc, summary, sizeof(summary)),
			       summary);
	r = incident_pin(cfg, st, inc, &pinned);
	if (r < 0) {
		incident_journal(inc, "pins", "FAILED: some backups could not be pinned (see the log)");
		failed = -1;
	} else {
		incident_journalf(inc, "pins", "%u backup(s) pinned with reason \"incident %s\": the last good of every job and the archived logs",
				  pinned, inc->stamp);
	}
	store_close(st);
	if (failed) {
		json_object_set_new(inc->state, "capture", json_string("failed"));
		incident_save(inc);
		incident_journal(inc, "capture", "INCOMPLETE: a step failed; no manifest written. Fix it and run `lifeboat incident resume`");
		return -EIO;
	}
	r = incident_manifest_write(inc, hex);
	if (r < 0) {
		incident_journal(inc, "manifest", "FAILED: MANIFEST.sha256 could not be written");
		return r;
	}
	incident_journalf(inc, "manifest", "MANIFEST.sha256 written; its sha256 %s", hex);
	json_object_set_new(inc->state, "capture", json_string("complete"));
	json_object_set_new(inc->state, "manifest_sha256", json_string(hex));
	json_object_del(inc->state, "capture_pid");
	r = incident_save(inc);
	incident_journal(inc, "capture complete", "evidence complete; `lifeboat incident bundle` packs it for your host");
	return r;
}

/*
 * lifeboat incident — the bad day, in the guides' order, one command each:
 *   incident open [--note TEXT]   on_incident hook (site offline), then the
 *                                 evidence (lib/incident/capture.c), pinned
 *   incident resume               finish a capture that was interrupted
 *   incident note TEXT            a note, hunch or idea into the journal
 *   incident status [--json]      what was captured (sizes, hashes) and the
 *                                 checklist: done by Lifeboat / left to you
 *   incident done STEP            tick a step you did into the journal
 *   incident list                 every incident, open or closed
 *   incident bundle [--no-db] [-o FILE]   one tar.zst for your host
 *   incident close                re-verify the manifest, on_incident_close,
 *                                 final journal line
 * The work is in lib/incident/; this file parses and prints.  Works with or
 * without the daemon: the daemon learns of the open incident from the
 * marker file in the state dir and holds its scheduled runs.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "incident.h"
#include "log.h"
#include "units.h"

static const char usage_text[] =
	"usage: lifeboat [-c FILE] incident open [--note TEXT]\n"
	"       lifeboat [-c FILE] incident resume\n"
	"       lifeboat [-c FILE] incident note TEXT\n"
	"       lifeboat [-c FILE] incident status [--json]\n"
	"       lifeboat [-c FILE] incident done STEP\n"
	"       lifeboat [-c FILE] incident list\n"
	"       lifeboat [-c FILE] incident bundle [--no-db] [-o FILE]\n"
	"       lifeboat [-c FILE] incident close\n";

static int usage(void)
{
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static int load_open(const struct config *cfg, struct incident *inc)
{
	int r = incident_load(cfg, NULL, inc);

	if (r == -ENOENT)
		fprintf(stderr, "lifeboat: no incident is open (lifeboat incident open starts one)\n");
	return r;
}

static int capture(const struct config *cfg, struct incident *inc)
{
	int r = incident_capture(cfg, inc);

	if (r == 0) {
		printf("incident %s: evidence complete in %s\n", inc->stamp, inc->dir);
		printf("see `lifeboat incident status`; `lifeboat incident bundle` packs it for your host\n");
		return EXIT_OK;
	}
	fprintf(stderr, "lifeboat: incident %s: the evidence is not complete (%s); journal: %s/%s\n", inc->stamp,
		strerror(-r), inc->dir, INCIDENT_JOURNAL);
	return EXIT_FAILED;
}

static int do_open(const struct config *cfg, const char *note)
{
	struct incident inc;
	int r;

	r = incident_load(cfg, NULL, &inc);
	if (r == 0) {
		if (note)
			incident_journal(&inc, "note", note);
		if (incident_evidence_complete(&inc)) {
			printf("incident %s is open already, its evidence complete (%s)\n", inc.stamp, inc.dir);
			incident_free(&inc);
			return EXIT_OK;
		}
		printf("incident %s is open already; finishing its evidence\n", inc.stamp);
		incident_journal(&inc, "incident open again", "finishing the evidence capture");
		r = capture(cfg, &inc);
		incident_free(&inc);
		return r;
	}
	incident_free(&inc);
	if (r != -ENOENT)
		return EXIT_FAILED;
	if (incident_create(cfg, time(NULL), &inc) < 0) {
		incident_free(&inc);
		return EXIT_FAILED;
	}
	printf("incident %s opened: %s\n", inc.stamp, inc.dir);
	incident_journalf(&inc, "incident opened", "lifeboat %s, config %s; the evidence comes before any restore",
			  LIFEBOAT_VERSION, cfg->path);
	if (note)
		incident_journal(&inc, "note", note);
	r = incident_hook(cfg, &inc, "on_incident", cfg->on_incident, "hook-on_incident.txt");
	if (r != 0)
		fprintf(stderr, "lifeboat: the on_incident hook %s %d: is the site really offline? Capturing the evidence anyway\n",
			r < 0 ? "could not run:" : "exited with", r);
	r = capture(cfg, &inc);
	incident_free(&inc);
	return r;
}

static int do_resume(const struct config *cfg)
{
	struct incident inc;
	int r;

	if (load_open(cfg, &inc) < 0) {
		incident_free(&inc);
		return EXIT_FAILED;
	}
	incident_journal(&inc, "incident resume", "finishing the evidence capture");
	r = capture(cfg, &inc);
	incident_free(&inc);
	return r;
}

static int do_note(const struct config *cfg, const char *what, const char *text)
{
	struct incident inc;
	int r = EXIT_OK;

	if (load_open(cfg, &inc) < 0) {
		incident_free(&inc);
		return EXIT_FAILED;
	}
	if (incident_journal(&inc, what, text) < 0)
		r = EXIT_FAILED;
	else
		printf("written to %s/%s\n", inc.dir, INCIDENT_JOURNAL);
	incident_free(&inc);
	return r;
}

static int do_done(const struct config *cfg, const char *key)
{
	const struct incident_step *s = incident_step_find(key);
	char what[64];

	if (!s) {
		fprintf(stderr, "lifeboat: incident done: no step '%s'; the steps:\n", key);
		for (size_t i = 0; i < incident_nsteps; i++)
			fprintf(stderr, "  %-14s %s\n", incident_steps[i].key, incident_steps[i].text);
		return EXIT_USAGE;
	}
	snprintf(what, sizeof(what), "done %s", s->key);
	return do_note(cfg, what, s->text);
}

/* The evidence files with sizes and hashes, from the manifest. */
static json_t *evidence_list(const struct incident *inc)
{
	char path[INCIDENT_FILE_MAX], line[512];
	json_t *arr = json_array();
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", inc->dir, INCIDENT_MANIFEST);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		struct stat sb;
		char file[INCIDENT_FILE_MAX + 300];
		size_t l = strlen(line);

		if (l < 67)
			continue;
		line[l - 1] = '\0';
		line[64] = '\0';
		snprintf(file, sizeof(file), "%s/%s", inc->dir, line + 66);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:I}", "file", line + 66, "sha256", line,
						     "size", (json_int_t)(stat(file, &sb) == 0 ? sb.st_size : -1)));
	}
	if (f)
		fclose(f);
	return arr;
}

static int do_status(const struct config *cfg, bool json_out)
{
	struct incident inc;
	json_t *ev, *steps, *doc, *it;
	size_t i;

	if (load_open(cfg, &inc) < 0) {
		incident_free(&inc);
		return EXIT_FAILED;
	}
	ev = evidence_list(&inc);
	steps = json_array();
	for (i = 0; i < incident_nsteps; i++)
		json_array_append_new(steps, json_pack("{s:s, s:s, s:s, s:b}", "step", incident_steps[i].key,
						       "what", incident_steps[i].text,
						       "by", incident_steps[i].by_lifeboat ? "lifeboat" : "you",
						       "done", incident_step_done(&inc, &incident_steps[i])));
	doc = json_pack("{s:s, s:s, s:O, s:b, s:o, s:o}", "incident", inc.stamp, "dir", inc.dir, "state", inc.state,
			"evidence_complete", incident_evidence_complete(&inc), "evidence", ev, "checklist", steps);
	if (json_out) {
		json_dumpf(doc, stdout, JSON_INDENT(2));
		printf("\n");
	} else {
		printf("Incident     : %s (opened %s)\n", inc.stamp,
		       json_string_value(json_object_get(inc.state, "opened")) ?: "?");
		printf("Directory    : %s\n", inc.dir);
		printf("Evidence     : %s\n", incident_evidence_complete(&inc) ? "complete (MANIFEST.sha256)" :
		       "NOT complete: lifeboat incident resume");
		json_array_foreach(ev, i, it) {
			char size[32];

			units_format_size_human((uint64_t)json_integer_value(json_object_get(it, "size")), size, sizeof(size));
			printf("  %-32s %10s  sha256 %s\n", json_string_value(json_object_get(it, "file")), size,
			       json_string_value(json_object_get(it, "sha256")));
		}
		printf("\nChecklist (the guides' steps):\n");
		json_array_foreach(steps, i, it)
			printf("  [%s] %-14s %-8s %s\n", json_is_true(json_object_get(it, "done")) ? "x" : " ",
			       json_string_value(json_object_get(it, "step")),
			       json_string_value(json_object_get(it, "by")),
			       json_string_value(json_object_get(it, "what")));
		printf("\nTick a step you did: lifeboat incident done STEP\n");
	}
	json_decref(doc);
	incident_free(&inc);
	return EXIT_OK;
}

static int do_list(const struct config *cfg)
{
	char root[INCIDENT_PATH_MAX], open_stamp[INCIDENT_STAMP_MAX] = "";
	struct dirent **v = NULL;
	int n;

	incident_root(cfg, root, sizeof(root));
	incident_open_stamp(cfg, open_stamp);
	n = scandir(root, &v, NULL, alphasort);
	if (n < 0) {
		if (errno == ENOENT) {
			printf("no incidents\n");
			return EXIT_OK;
		}
		fprintf(stderr, "lifeboat: %s: %s\n", root, strerror(errno));
		return EXIT_FAILED;
	}
	printf("%-20s %-8s %-10s %s\n", "INCIDENT", "STATE", "EVIDENCE", "OPENED");
	for (int i = 0; i < n; i++) {
		struct incident inc;

		if (incident_stamp_valid(v[i]->d_name) && incident_load(cfg, v[i]->d_name, &inc) == 0) {
			printf("%-20s %-8s %-10s %s\n", inc.stamp, !strcmp(inc.stamp, open_stamp) ? "open" : "closed",
			       incident_evidence_complete(&inc) ? "complete" :
			       json_string_value(json_object_get(inc.state, "capture")) ?: "?",
			       json_string_value(json_object_get(inc.state, "opened")) ?: "?");
			incident_free(&inc);
		}
		free(v[i]);
	}
	free(v);
	return EXIT_OK;
}

static int do_bundle(const struct config *cfg, bool no_db, const char *out)
{
	char path[INCIDENT_FILE_MAX];
	struct incident inc;
	int r;

	if (load_open(cfg, &inc) < 0) {
		incident_free(&inc);
		return EXIT_FAILED;
	}
	if (!incident_evidence_complete(&inc))
		fprintf(stderr, "lifeboat: warning: the evidence is not complete; bundling what there is\n");
	r = incident_bundle(&inc, no_db, out, path, sizeof(path));
	if (r == 0) {
		incident_journalf(&inc, "bundle", "ok: %s%s (and %s.sha256)", path, no_db ? " without the db dumps" : "",
				  path);
		printf("bundle: %s\nsha256: %s.sha256\n", path, path);
	} else {
		incident_journal(&inc, "bundle", "FAILED (see the log)");
	}
	incident_free(&inc);
	return r == 0 ? EXIT_OK : EXIT_FAILED;
}

static int do_close(const struct config *cfg)
{
	struct incident inc;
	char why[512], when[32];
	int r, rc = EXIT_OK;
	time_t now = time(NULL);
	struct tm tm;

	if (load_open(cfg, &inc) < 0) {
		incident_free(&inc);
		return EXIT_FAILED;
	}
	if (incident_lock(&inc) < 0) {
		fprintf(stderr, "lifeboat: incident %s: its evidence is being captured now; close it after that\n", inc.stamp);
		incident_free(&inc);
		return EXIT_FAILED;
	}
	if (incident_evidence_complete(&inc)) {
		r = incident_manifest_verify(&inc, why, sizeof(why));
		incident_journalf(&inc, "manifest re-verified", "%s: %s", r == 0 ? "ok" : "MISMATCH", why);
		if (r < 0) {
			fprintf(stderr, "lifeboat: incident %s: the evidence changed since its capture: %s\n", inc.stamp, why);
			rc = EXIT_FAILED;
		} else {
			printf("%s\n", why);
		}
	} else {
		incident_journal(&inc, "manifest re-verified", "none: the evidence was never completed");
		fprintf(stderr, "lifeboat: warning: incident %s is closed without complete evidence\n", inc.stamp);
	}
	r = incident_hook(cfg, &inc, "on_incident_close", cfg->on_incident_close, "hook-on_incident_close.txt");
	if (r != 0)
		fprintf(stderr, "lifeboat: the on_incident_close hook %s %d: is the site back online?\n",
			r < 0 ? "could not run:" : "exited with", r);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(inc.state, "closed", json_string(when));
	incident_save(&inc);
	if (incident_mark_open(cfg, NULL) < 0)
		rc = EXIT_FAILED;
	incident_journal(&inc, "incident closed", "scheduled runs resume; the evidence and its pins stay (lifeboat unpin lets retention decide again)");
	printf("incident %s closed; its evidence stays in %s\n", inc.stamp, inc.dir);
	incident_free(&inc);
	return rc;
}

int cmd_incident(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "note", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-db", no_argument, NULL, 'D' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *note = NULL, *out = NULL, *sub;
	bool json_out = false, no_db = false;
	struct config *cfg;
	int c, r, nargs;

	optind = 0;
	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (c) {
		case 'n': note = optarg; break;
		case 'j': json_out = true; break;
		case 'D': no_db = true; break;
		case 'o': out = optarg; break;
		default: return usage();
		}
	}
	if (optind >= argc)
		return usage();
	sub = argv[optind];
	nargs = argc - optind - 1;
	if (((note && strcmp(sub, "open")) || (json_out && strcmp(sub, "status")) ||
	     ((no_db || out) && strcmp(sub, "bundle"))))
		return usage();
	if (!strcmp(sub, "note") || !strcmp(sub, "done")) {
		if (nargs != 1 || !*argv[optind + 1])
			return usage();
	} else if (nargs != 0) {
		return usage();
	}
	if ((r = cli_load_config(cli, &cfg)))
		return r;
	if (!strcmp(sub, "open"))
		r = do_open(cfg, note);
	else if (!strcmp(sub, "resume"))
		r = do_resume(cfg);
	else if (!strcmp(sub, "note"))
		r = do_note(cfg, "note", argv[optind + 1]);
	else if (!strcmp(sub, "done"))
		r = do_done(cfg, argv[optind + 1]);
	else if (!strcmp(sub, "status"))
		r = do_status(cfg, json_out);
	else if (!strcmp(sub, "list"))
		r = do_list(cfg);
	else if (!strcmp(sub, "bundle"))
		r = do_bundle(cfg, no_db, out);
	else if (!strcmp(sub, "close"))
		r = do_close(cfg);
	else
		r = usage();
	config_free(cfg);
	return r;
}

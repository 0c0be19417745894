/*
 * lifeboat offsite — the commands of an [offsite:NAME] target:
 *   offsite init NAME          create its key file (never over an existing one)
 *                              and say, once, how to keep a copy of it
 *   offsite sync NAME [JOB]    copy every committed backup not offsite yet
 *                              (the daemon runs the same after each backup)
 * The work is lib/offsite's; this file parses arguments and words results.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "log.h"
#include "metrics.h"
#include "offsite.h"
#include "offsite_verify.h"
#include "units.h"

static const char usage_text[] =
	"usage: lifeboat [-c FILE] offsite init NAME\n"
	"       lifeboat [-c FILE] offsite sync NAME [JOB]\n";

static int load_target(const struct cli *cli, const char *name, struct config **cfg, const struct offsite **o)
{
	int r = cli_load_config(cli, cfg);

	if (r)
		return r;
	*o = config_offsite(*cfg, name);
	if (*o)
		return 0;
	fprintf(stderr, "lifeboat: no [offsite:%s] section in %s\n", name, (*cfg)->path);
	config_free(*cfg);
	*cfg = NULL;
	return EXIT_USAGE;
}

static int init(const struct cli *cli, const char *name)
{
	const struct offsite *o;
	struct offsite_key k;
	struct config *cfg;
	char err[1024], id[24];
	int r;

	if ((r = load_target(cli, name, &cfg, &o)))
		return r;
	if (offsite_key_create(o->key_file, &k, err, sizeof(err)) < 0) {
		fprintf(stderr, "lifeboat: offsite %s: %s\n", name, err);
		config_free(cfg);
		return EXIT_FAILED;
	}
	offsite_key_id_hex(k.id, id, sizeof(id));
	offsite_key_clear(&k);
	printf("offsite %s: created the key file %s (key id %s, mode 0600).\n\n"
	       "Every offsite copy is encrypted with this key. Without it nothing offsite can\n"
	       "be read: not by you, not by anyone. Keep a copy away from this server now,\n"
	       "for example:\n\n"
	       "    sudo cat %s      # and store the line in your password manager\n\n"
	       "or on a USB stick or paper in a safe. To restore on a new machine, put the\n"
	       "file back at %s (mode 0600) with the config and the credentials file.\n",
	       name, o->key_file, id, o->key_file, o->key_file);
	config_free(cfg);
	return EXIT_OK;
}

static int sync_cmd(const struct cli *cli, const char *name, const char *job)
{
	struct offsite_sync_stats st;
	struct offsite_conn c;
	const struct offsite *o;
	struct config *cfg;
	char sent[32];
	int r;

	if ((r = load_target(cli, name, &cfg, &o)))
		return r;
	if (job && (!config_job(cfg, job) || !offsite_has_job(o, job))) {
		fprintf(stderr, "lifeboat: offsite %s: no job '%s' among its jobs\n", name, job);
		config_free(cfg);
		return EXIT_USAGE;
	}
	offsite_priority(o);
	if (offsite_connect(cfg, o, true, &c) < 0) {
		fprintf(stderr, "lifeboat: %s\n", c.err);
		offsite_record_failure(cfg, o, c.err);
		metrics_write(cfg);
		config_free(cfg);
		return EXIT_FAILED;
	}
	r = offsite_sync(&c, job, &st);
	metrics_write(cfg);
	units_format_size_human(st.bytes, sent, sizeof(sent));
	printf("offsite %s: %d backup%s copied (%d objects, %s sent, %" PRIu64 " parts resumed); %d not copied; %d removed by retention\n",
	       name, st.backups, st.backups == 1 ? "" : "s", st.objects, sent, c.parts_skipped, st.pending, st.removed);
	if (r < 0)
		fprintf(stderr, "lifeboat: %s\n", c.err);
	offsite_disconnect(&c);
	config_free(cfg);
	return r < 0 ? EXIT_FAILED : EXIT_OK;
}

int cmd_offsite(struct cli *cli, int argc, char **argv)
{
	if (argc < 3 || argc > 4 || (strcmp(argv[1], "init") && strcmp(argv[1], "sync")) ||
	    (!strcmp(argv[1], "init") && argc != 3)) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "init"))
		return init(cli, argv[2]);
	return sync_cmd(cli, argv[2], argc == 4 ? argv[3] : NULL);
}

int cli_offsite_fetch(const struct config *cfg, const char *name, const char *job, const char *id,
		      char **root, char id_out[32])
{
	const struct offsite *o = config_offsite(cfg, name);
	struct offsite_conn c;
	int r;

	*root = NULL;
	if (!o) {
		fprintf(stderr, "lifeboat: no [offsite:%s] section in %s\n", name, cfg->path);
		return EXIT_USAGE;
	}
	if (offsite_connect(cfg, o, true, &c) < 0) {
		fprintf(stderr, "lifeboat: %s\n", c.err);
		return EXIT_FAILED;
	}
	r = offsite_fetch(&c, job, id, root, id_out);
	if (r < 0)
		fprintf(stderr, "lifeboat: restore from offsite %s: %s\n", name, c.err);
	else
		fprintf(stderr, "lifeboat: fetched %s %s from offsite %s\n", job, id_out, name);
	offsite_disconnect(&c);
	return r < 0 ? EXIT_FAILED : 0;
}

void cli_offsite_fetch_done(char *root)
{
	offsite_fetch_cleanup(root);
}

int cli_offsite_list(const struct config *cfg, const char *name, const char *job, bool json)
{
	const struct offsite *o = config_offsite(cfg, name);
	struct offsite_conn c;
	struct offsite_list l;
	json_t *arr;
	int r;

	if (!o) {
		fprintf(stderr, "lifeboat: no [offsite:%s] section in %s\n", name, cfg->path);
		return EXIT_USAGE;
	}
	if (offsite_connect(cfg, o, false, &c) < 0) {
		fprintf(stderr, "lifeboat: %s\n", c.err);
		return EXIT_FAILED;
	}
	r = offsite_list(&c, job, &l);
	if (r < 0) {
		fprintf(stderr, "lifeboat: offsite %s: %s\n", name, c.err);
		offsite_disconnect(&c);
		return EXIT_FAILED;
	}
	if (json) {
		arr = json_array();
		for (size_t i = 0; i < l.n; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:I, s:i}", "job", l.v[i].job,
							     "id", l.v[i].id, "complete", l.v[i].has_record,
							     "stored", (json_int_t)l.v[i].stored,
							     "objects", l.v[i].objects));
		json_dumpf(arr, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(arr);
	} else {
		printf("%-16s %-22s %8s %10s  %s\n", "JOB", "ID", "OBJECTS", "STORED", "STATE");
		printf("%-16s %-22s %8s %10s  %s\n", "----------------", "----------------------", "-------",
		       "----------", "--------");
		for (size_t i = 0; i < l.n; i++) {
			char size[32];

			units_format_size_human(l.v[i].stored, size, sizeof(size));
			printf("%-16s %-22s %8d %10s  %s\n", l.v[i].job, l.v[i].id, l.v[i].objects, size,
			       l.v[i].has_record ? "complete" : "incomplete (no record: an upload in progress or cut)");
		}
		if (l.n == 0)
			printf("(no backups offsite in s3://%s/%s)\n", o->bucket, o->prefix);
	}
	offsite_list_free(&l);
	offsite_disconnect(&c);
	return EXIT_OK;
}

int cli_offsite_verify(const struct config *cfg, const char *name, const char *job, const char *id, bool download)
{
	const struct offsite *o = config_offsite(cfg, name);
	struct offsite_conn c;
	struct offsite_list l;
	size_t checked = 0, bad = 0;
	int r;

	if (!o) {
		fprintf(stderr, "lifeboat: no [offsite:%s] section in %s\n", name, cfg->path);
		return EXIT_USAGE;
	}
	if (offsite_connect(cfg, o, true, &c) < 0) {
		fprintf(stderr, "lifeboat: %s\n", c.err);
		return EXIT_FAILED;
	}
	if ((r = offsite_list(&c, job, &l)) < 0) {
		fprintf(stderr, "lifeboat: offsite %s: %s\n", name, c.err);
		offsite_disconnect(&c);
		return EXIT_FAILED;
	}
	for (size_t i = 0; i < l.n; i++) {
		struct offsite_verify_result res;

		if (id && strcmp(l.v[i].id, id) != 0)
			continue;
		checked++;
		if (!l.v[i].has_record) {
			printf("%s %s: INCOMPLETE: no record object (an upload in progress or cut short)\n",
			       l.v[i].job, l.v[i].id);
			bad++;
			continue;
		}
		if (offsite_verify_backup(&c, l.v[i].job, l.v[i].id, download, &res) < 0) {
			printf("%s %s: BAD: %s\n", l.v[i].job, l.v[i].id, c.err);
			bad++;
		} else {
			char size[32];

			units_format_size_human(res.downloaded, size, sizeof(size));
			printf("%s %s: ok (%d objects%s%s%s)\n", l.v[i].job, l.v[i].id, res.objects,
			       download ? ", " : "", download ? size : "", download ? " decrypted and re-hashed" : "");
		}
	}
	if (id && checked == 0) {
		fprintf(stderr, "lifeboat: offsite %s: no backup %s %s offsite\n", name, job, id);
		bad = 1;
	}
	printf("%zu offsite backup%s checked, %zu bad\n", checked, checked == 1 ? "" : "s", bad);
	offsite_list_free(&l);
	offsite_disconnect(&c);
	return bad ? EXIT_FAILED : EXIT_OK;
}

int cli_offsite_health(json_t *arr, char *why, size_t len)
{
	int worst = 0;
	size_t i;
	json_t *t;

	why[0] = '\0';
	json_array_foreach(arr, i, t) {
		int h = (int)json_integer_value(json_object_get(t, "health"));

		if (h > worst) {
			worst = h;
			snprintf(why, len, "%s", json_string_value(json_object_get(t, "why")) ?: "");
		}
	}
	return worst;
}

void cli_offsite_status_print(json_t *arr, time_t now)
{
	static const char *const health[] = { "ok", "WARNING", "CRITICAL" };
	size_t i, k;
	json_t *t, *j;

	json_array_foreach(arr, i, t) {
		json_int_t last_ok = json_integer_value(json_object_get(t, "last_ok"));
		int h = (int)json_integer_value(json_object_get(t, "health"));
		const char *err = json_string_value(json_object_get(t, "last_error"));
		char age[32];

		if (last_ok)
			units_format_age(now - last_ok, age, sizeof(age));
		printf("\noffsite %s: %s; last good sync %s%s\n", json_string_value(json_object_get(t, "name")),
		       health[h >= 0 && h <= 2 ? h : 0], last_ok ? age : "never", last_ok ? " ago" : "");
		if (h)
			printf("  %s\n", json_string_value(json_object_get(t, "why")));
		if (err)
			printf("  last error: %s\n", err);
		json_array_foreach(json_object_get(t, "jobs"), k, j) {
			json_int_t q = json_integer_value(json_object_get(j, "queue"));
			const char *np = json_string_value(json_object_get(j, "newest_pending"));

			if (q) {
				units_format_age(json_integer_value(json_object_get(j, "lag_seconds")), age, sizeof(age));
				printf("  %-16s %lld not offsite yet (newest %s; the oldest waits for %s)\n",
				       json_string_value(json_object_get(j, "job")), (long long)q, np ? np : "?", age);
			} else {
				printf("  %-16s every backup offsite\n", json_string_value(json_object_get(j, "job")));
			}
		}
	}
}

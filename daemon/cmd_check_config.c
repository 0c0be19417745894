/*
 * lifeboat check-config [--json] — validate the config and print it with
 * every default filled in, so the user sees what the daemon will actually do.
 *
 * --json prints the same effective config as {"config": PATH, "ok": true,
 * "sections": [{"section": "lifeboat", "keys": {KEY: "VALUE" or null}}, ...]}
 * — each value the text config_print() writes for it, null for an unset
 * key — or, for a bad config, {"config": PATH, "ok": false, "errors":
 * ["FILE:LINE: ..."]} (exit 2).  The JSON is read back from config_print()'s
 * INI, so the two never say different things.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

/* The INI that config_print() wrote (TEXT) as the "sections" array. */
static json_t *sections_of(char *text)
{
	json_t *sections = json_array(), *keys = NULL;
	char *save = NULL, *line;

	for (line = strtok_r(text, "\n", &save); line && sections; line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);
		char *eq, *end;

		if (line[0] == '[' && len > 2 && line[len - 1] == ']') {
			line[len - 1] = '\0';
			keys = json_object();
			json_array_append_new(sections, json_pack("{s:s, s:o}", "section", line + 1, "keys", keys));
		} else if (keys && strncmp(line, "; ", 2) == 0 && (end = strstr(line, " (not set)"))) {
			char *name = line + 2;

			*end = '\0';
			name[strcspn(name, " ")] = '\0';
			json_object_set_new(keys, name, json_null());
		} else if (keys && line[0] != ';' && (eq = strstr(line, " = "))) {
			end = eq;
			while (end > line && end[-1] == ' ')
				end--;
			*end = '\0';
			json_object_set_new(keys, line, json_string(eq + 3));
		}
	}
	return sections;
}

static int print_json(const char *path, const struct config *cfg, const struct config_errors *errs)
{
	char *text = NULL;
	size_t len = 0;
	json_t *o;
	FILE *fp;

	if (!cfg) {
		json_t *errors = json_array();

		for (size_t i = 0; i < errs->lines.n; i++)
			json_array_append_new(errors, json_string(errs->lines.v[i]));
		o = json_pack("{s:s, s:b, s:o}", "config", path, "ok", 0, "errors", errors);
	} else {
		fp = open_memstream(&text, &len);
		if (!fp)
			return EXIT_FAILED;
		config_print(cfg, fp);
		fclose(fp);
		o = json_pack("{s:s, s:b, s:o}", "config", path, "ok", 1, "sections", sections_of(text));
		free(text);
	}
	if (!o)
		return EXIT_FAILED;
	json_dumpf(o, stdout, JSON_INDENT(2));
	printf("\n");
	json_decref(o);
	return cfg ? EXIT_OK : EXIT_USAGE;
}

int cmd_check_config(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	bool json = false;
	int c, r;

	optind = 0;	/* 0: glibc re-initialises, permutation included */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			goto usage;
		json = true;
	}
	if (optind != argc)
		goto usage;
	if (json) {
		config_load(cli->config_path, &cfg, &errs);
		r = print_json(cli->config_path, cfg, &errs);
		config_errors_free(&errs);
		config_free(cfg);
		return r;
	}
	r = cli_load_config(cli, &cfg);
	if (r)
		return r;
	config_print(cfg, stdout);
	fprintf(stderr, "lifeboat: %s: configuration OK\n", cfg->path);
	config_free(cfg);
	return EXIT_OK;
usage:
	fprintf(stderr, "usage: lifeboat [-c FILE] check-config [--json]\n");
	return EXIT_USAGE;
}

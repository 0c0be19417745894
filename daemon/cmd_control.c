/*
 * lifeboat cancel JOB, lifeboat reload — requests to the running daemon.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Sends REQ and says what came back.  Returns an exit code. */
static int simple_request(struct cli *cli, json_t *req, const char *done)
{
	struct cli_conn conn;
	struct config *cfg;
	json_t *reply = NULL;
	size_t i;
	json_t *e;
	int r;

	r = cli_load_config(cli, &cfg);
	if (r) {
		json_decref(req);
		return r;
	}
	if (cli_daemon_open(cfg, &conn, false) < 0) {
		json_decref(req);
		config_free(cfg);
		return EXIT_FAILED;
	}
	r = cli_daemon_request(&conn, req, &reply);
	cli_daemon_close(&conn);
	config_free(cfg);
	/* A refused reload lists the new config's errors. */
	json_array_foreach(json_object_get(reply, "errors"), i, e)
		fprintf(stderr, "%s\n", json_string_value(e));
	json_decref(reply);
	if (r < 0)
		return EXIT_FAILED;
	printf("%s\n", done);
	return EXIT_OK;
}

int cmd_cancel(struct cli *cli, int argc, char **argv)
{
	char done[160];

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: lifeboat [-c FILE] cancel JOB\n");
		return EXIT_USAGE;
	}
	snprintf(done, sizeof(done), "%.64s: asked to stop; it leaves nothing half-written", argv[1]);
	return simple_request(cli, json_pack("{s:s, s:s}", "cmd", "cancel", "job", argv[1]), done);
}

int cmd_reload(struct cli *cli, int argc, char **argv)
{
	char done[4200];

	if (argc != 1) {
		fprintf(stderr, "usage: lifeboat [-c FILE] reload\n");
		return EXIT_USAGE;
	}
	snprintf(done, sizeof(done), "lifeboatd reloaded %s", cli->config_path);
	return simple_request(cli, json_pack("{s:s}", "cmd", "reload"), done);
}

/*
 * lifeboat ack JOB|ALERT-ID — acknowledges open alerts (a tampered log, say):
 * every open alert of JOB, or the one alert.  Through lifeboatd when it runs
 * (so a member of socket_group can ack without access to the state dir),
 * else directly in the state dir.  Exit 1 when nothing matched.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "alerts.h"
#include "cli.h"
#include "metrics.h"

/* Prints the open alerts WHAT names (an alert id or a job), before they go. */
static void print_matching(const char *state_dir, const char *what)
{
	bool by_id = alerts_is_open_id(state_dir, what);
	json_t *all, *a;
	size_t i;

	if (alerts_list(state_dir, NULL, &all) < 0)
		return;
	json_array_foreach(all, i, a) {
		const char *id = json_string_value(json_object_get(a, "id"));
		const char *job = json_string_value(json_object_get(a, "job"));
		json_int_t off = json_integer_value(json_object_get(a, "offset"));

		if (!id || !job || strcmp(by_id ? id : job, what) != 0)
			continue;
		printf("acknowledged %s: %s %s", id, json_string_value(json_object_get(a, "kind")) ?: "?",
		       json_string_value(json_object_get(a, "file")) ?: "-");
		if (json_is_integer(json_object_get(a, "offset")) && off >= 0)
			printf(" at offset %lld", (long long)off);
		printf(" (found %s)\n", json_string_value(json_object_get(a, "found")) ?: "?");
	}
	json_decref(all);
}

/* Asks the daemon.  Returns an exit code, or -1 when there is no daemon. */
static int ack_via_daemon(const struct config *cfg, const char *what)
{
	struct cli_conn conn;
	json_t *reply = NULL;
	int r;

	if (cli_daemon_open(cfg, &conn, true) < 0)
		return -1;
	r = cli_daemon_request(&conn, json_pack("{s:s, s:s}", "cmd", "ack", "what", what), &reply);
	cli_daemon_close(&conn);
	if (r == 0)
		printf("%lld alert(s) acknowledged\n", (long long)json_integer_value(json_object_get(reply, "acked")));
	json_decref(reply);
	return r == 0 ? EXIT_OK : EXIT_FAILED;
}

int cmd_ack(struct cli *cli, int argc, char **argv)
{
	struct config *cfg;
	size_t n = 0;
	int r;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: lifeboat [-c FILE] ack JOB|ALERT-ID\n");
		return EXIT_USAGE;
	}
	r = cli_load_config(cli, &cfg);
	if (r)
		return r;
	r = ack_via_daemon(cfg, argv[1]);
	if (r >= 0) {
		config_free(cfg);
		return r;
	}
	if (cli_as_store_owner(cfg)) {
		config_free(cfg);
		return EXIT_FAILED;
	}
	print_matching(cfg->state_dir, argv[1]);
	r = alerts_ack(cfg->state_dir, argv[1], &n);
	if (r == -ENOENT)
		fprintf(stderr, "lifeboat: no open alert matches '%s'\n", argv[1]);
	else if (r == 0)
		printf("%zu alert(s) acknowledged\n", n);
	if (r == 0)
		metrics_write(cfg);
	config_free(cfg);
	return r < 0 ? EXIT_FAILED : EXIT_OK;
}

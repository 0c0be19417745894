/*
 * cli — what the `lifeboat` commands share: the parsed global options, the
 * config they load, and one entry point per command (cmd_*.c).
 *
 * Exit codes, for every command: 0 success, 1 the operation failed,
 * 2 bad usage or a bad config.
 */
#ifndef LIFEBOAT_CLI_H
#define LIFEBOAT_CLI_H

#include <stdbool.h>

#include <jansson.h>

#include "config.h"
#include "protocol.h"

enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
};

struct cli {
	const char *config_path;	/* -c FILE, $LIFEBOAT_CONFIG or the default */
};

/* Loads the config for a command, printing every error on failure.
 * Returns 0 and *OUT (caller frees with config_free), or EXIT_USAGE. */
int cli_load_config(const struct cli *cli, struct config **out);

/* Loads the config and finds job NAME in it; NEEDS says what the command
 * wants from the job's section, for the message when it is missing.
 * Returns 0 with *CFG (caller frees) and *JOB, or EXIT_USAGE (said). */
int cli_load_job(const struct cli *cli, const char *name, const char *needs,
		 struct config **cfg, const struct job **job);

/* A connection to lifeboatd. */
struct cli_conn {
	int fd;
	struct proto_lines lines;
};

/* Connects to the daemon of CFG.  Returns 0, or a negative errno after saying
 * (unless QUIET) that the daemon is not running or cannot be reached. */
int cli_daemon_open(const struct config *cfg, struct cli_conn *conn, bool quiet);
void cli_daemon_close(struct cli_conn *conn);
/* Sends REQ (consumed) and reads the reply.  Returns 0 when the reply says
 * ok, else a negative errno after printing the daemon's error; *REPLY is the
 * caller's either way (may be NULL). */
int cli_daemon_request(struct cli_conn *conn, json_t *req, json_t **reply);
/* Reads the next message (a progress event, say). */
int cli_daemon_read(struct cli_conn *conn, json_t **msg);

/* Run as root, creates files from now on as the owner of the store (or of
 * the state dir): see cli_owner.c.  Call before any thread starts.  Returns
 * EXIT_OK, or EXIT_FAILED (said). */
int cli_as_store_owner(const struct config *cfg);

int cmd_check_config(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_run(struct cli *cli, int argc, char **argv);
int cmd_restore(struct cli *cli, int argc, char **argv);
int cmd_verify(struct cli *cli, int argc, char **argv);
int cmd_prune(struct cli *cli, int argc, char **argv);
int cmd_pin(struct cli *cli, int argc, char **argv);
int cmd_unpin(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_cancel(struct cli *cli, int argc, char **argv);
int cmd_reload(struct cli *cli, int argc, char **argv);
int cmd_ack(struct cli *cli, int argc, char **argv);
int cmd_facts(struct cli *cli, int argc, char **argv);
int cmd_when(struct cli *cli, int argc, char **argv);
struct store;
/* diff for db jobs: the tables that differ between dumps ID1 and ID2. */
int cmd_diff_db(struct store *st, const struct job *job, const char *id1, const char *id2, bool json);
int cmd_watch(struct cli *cli, int argc, char **argv);
int cmd_baseline(struct cli *cli, int argc, char **argv);
int cmd_diff(struct cli *cli, int argc, char **argv);
int cmd_offsite(struct cli *cli, int argc, char **argv);

/* cmd_offsite.c, for restore --from NAME: fetches JOB's backup ID from the
 * offsite target NAME into a private store whose root is *ROOT (ID gets the
 * exact id).  Returns 0, or an exit code after saying what failed. */
int cli_offsite_fetch(const struct config *cfg, const char *name, const char *job, const char *id,
		      char **root, char id_out[32]);
/* Removes what cli_offsite_fetch fetched (ROOT may be NULL). */
void cli_offsite_fetch_done(char *root);
/* list --offsite NAME [JOB] [--json] and verify --offsite NAME [JOB [ID]] [--download]. */
int cli_offsite_list(const struct config *cfg, const char *name, const char *job, bool json);
/* status: the offsite block (ARR from offsite_status(), may be NULL), and its
 * health (0 OK, 1 WARNING, 2 CRITICAL) with the reason in WHY. */
void cli_offsite_status_print(json_t *arr, time_t now);
int cli_offsite_health(json_t *arr, char *why, size_t len);
int cli_offsite_verify(const struct config *cfg, const char *name, const char *job, const char *id, bool download);
int cmd_incident(struct cli *cli, int argc, char **argv);

#endif

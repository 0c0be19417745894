/*
 * lifeboat — the command-line tool.  It reads the config and the store itself
 * for the commands that need no daemon (check-config, list, verify, restore); the formatting of
 * everything a person reads is done here, never in the daemon.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"

struct command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *usage;
};

static const struct command commands[] = {
	{ "check-config", cmd_check_config, "check-config [--json]        validate and print the effective config" },
	{ "status", cmd_status, "status [--json] [--check]    the daemon and every job: last good backup, next run" },
	{ "run", cmd_run, "run JOB [--wait | --here]    run a job now: via lifeboatd (--wait: follow it),\n"
	  "                               or in this process with no daemon (--here)" },
	{ "cancel", cmd_cancel, "cancel JOB                   stop a job lifeboatd is running" },
	{ "reload", cmd_reload, "reload                       make lifeboatd re-read its config" },
	{ "list", cmd_list, "list [JOB] [--json]          backups with id, kind, age, size and result\n"
	  "  list --offsite NAME [JOB] [--json]\n"
	  "                               the copies on the offsite target NAME" },
	{ "prune", cmd_prune, "prune [JOB] [--dry-run] [--json]\n"
	  "                               apply retention, explaining each decision" },
	{ "pin", cmd_pin, "pin JOB ID [--reason TEXT]   keep a backup forever" },
	{ "unpin", cmd_unpin, "unpin JOB ID                 let retention decide again" },
	{ "verify", cmd_verify, "verify [JOB [ID]] [--json]   re-hash artifacts against their records\n"
	  "  verify --offsite NAME [JOB [ID]] [--download]\n"
	  "                               the offsite copies present with their sizes; with\n"
	  "                               --download decrypted and re-hashed against their records" },
	{ "restore", cmd_restore, "restore JOB ID --database NAME [--force]\n"
	  "                               db: restore a dump into a new database\n"
	  "  restore JOB ID --to DIR [--path SUBPATH]\n"
	  "                               files: restore a snapshot into a new or empty DIR;\n"
	  "                               logs: rebuild every log's history in a new or empty DIR\n"
	  "  restore JOB ID --replace [--without-evidence]\n"
	  "                               put a clean backup in place of the live site or database\n"
	  "                               (refused until an open incident has its evidence)\n"
	  "  restore ... --from NAME      restore from the offsite copies of [offsite:NAME]" },
	{ "ack", cmd_ack, "ack JOB|ALERT-ID             acknowledge open alerts (a tampered log)" },
	{ "facts", cmd_facts, "facts [--json] [--diff [JOB [ID]]]\n"
	  "                               the server: OS, versions, packages, accounts, sockets;\n"
	  "                               --diff: what changed since a files backup" },
	{ "when", cmd_when, "when [PATH...] [--job FILESJOB] [--json] [--bodyfile FILE]\n"
	  "                               when each path changed (windows from the snapshots), and the\n"
	  "                               archived requests and logins inside each window\n"
	  "  when --job DBJOB [TABLE...] [--json]\n"
	  "                               when each table's rows changed (from the dump records)" },
	{ "watch", cmd_watch, "watch report JOB [--json]    a watch job's last check: every finding with its flags" },
	{ "baseline", cmd_baseline, "baseline WATCHJOB [ID | --accept]\n"
	  "                               show or set the backup a watch job trusts; --accept:\n"
	  "                               a new full snapshot of the current tree becomes it" },
	{ "diff", cmd_diff, "diff JOB ID1 [ID2 | live] [--json] [--path P]\n"
	  "                               files: what differs between two snapshots or a snapshot\n"
	  "                               and the live tree; --path: a unified diff of one file;\n"
	  "                               db: the tables whose rows differ between two dumps" },
	{ "offsite", cmd_offsite, "offsite init NAME            create the encryption key of [offsite:NAME]\n"
	  "  offsite sync NAME [JOB]    copy every committed backup not offsite yet" },
	{ "incident", cmd_incident, "incident open|resume|note|status|done|list|bundle|close\n"
	  "                               the bad day: evidence first (snapshot, dump, all logs,\n"
	  "                               facts, changes), a journal of every step, pinned" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: lifeboat [-c FILE] COMMAND [ARGS]\n       lifeboat --help | --version\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %s\n", commands[i].usage);
	fprintf(out, "\nThe config is -c FILE, else $%s, else %s.\n"
		"Exit status: 0 success, 1 the operation failed, 2 bad usage or config.\n",
		CONFIG_ENV, CONFIG_DEFAULT_PATH);
}

int cli_load_config(const struct cli *cli, struct config **out)
{
	struct config_errors errs = { 0 };
	int r;

	r = config_load(cli->config_path, out, &errs);
	for (size_t i = 0; i < errs.lines.n; i++)
		fprintf(stderr, "%s\n", errs.lines.v[i]);
	config_errors_free(&errs);
	return r < 0 ? EXIT_USAGE : 0;
}

int cli_load_job(const struct cli *cli, const char *name, const char *needs,
		 struct config **cfg, const struct job **job)
{
	int r;

	r = cli_load_config(cli, cfg);
	if (r)
		return r;
	*job = config_job(*cfg, name);
	if (*job)
		return 0;
	fprintf(stderr, "lifeboat: no job named '%s' in %s%s%s%s\n", name, (*cfg)->path,
		needs ? " (" : "", needs ? needs : "", needs ? ")" : "");
	config_free(*cfg);
	*cfg = NULL;
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { 0 };
	const char *copt = NULL;
	int c;

	log_init("lifeboat", LOG_LVL_INFO);
	/* "+": options after the command belong to the command. */
	while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			copt = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("lifeboat %s\n", LIFEBOAT_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cli.config_path = config_path_choose(copt);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			/* The command sees its own name as argv[0], getopt-style. */
			optind++;
			return commands[i].run(&cli, argc - optind + 1, argv + optind - 1);
		}
	}
	fprintf(stderr, "lifeboat: unknown command '%s' (try lifeboat --help)\n", argv[optind]);
	return EXIT_USAGE;
}

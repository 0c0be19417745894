/*
 * facts — what a responder must know about the server on the bad day ("KNOW
 * your system's hardware/OS details, KNOW what software runs on the web
 * server, especially specific details about the versions"), gathered into
 * one JSON object:
 *
 *   os, kernel, host (name, uptime, virtualisation)      facts_system.c
 *   software versions: web server, PHP (+ modules),
 *     database servers of the db jobs, OpenSSH, FTP
 *     servers, control panels                           facts_software.c
 *   packages with versions, recent package history      facts_packages.c
 *   crontabs, accounts with a login shell and their
 *     authorized_keys                                   facts_accounts.c
 *   listening sockets and their processes, mounts      facts_proc.c
 *
 * FACTS_SMALL is the part kept with every files backup: versions, and the
 * package list as a count and a hash.  FACTS_FULL adds the lists.  A fact
 * that cannot be read is not left out silently: its entry says why
 * ("error").  Programs are run without a shell, by absolute path, with a
 * timeout (facts_cmd.h).  Nothing here writes anywhere.
 *
 * Every file read here may have been written by an attacker (crontabs,
 * authorized_keys, a panel's version file): each is opened without following
 * a final symlink, read up to a cap, and its text kept as data only.
 */
#ifndef LIFEBOAT_FACTS_H
#define LIFEBOAT_FACTS_H

#include <jansson.h>

#include "config.h"

enum facts_scope {
	FACTS_SMALL,
	FACTS_FULL,
};

/* Collects the facts.  In the full scope CFG (may be NULL) names the db
 * jobs whose servers are asked for their version over their own
 * connections; the small scope never connects anywhere (the installed
 * server binary's version is there either way).  Returns 0 and *OUT
 * (caller's), or -ENOMEM. */
int facts_collect(const struct config *cfg, enum facts_scope scope, json_t **out);

/* The parts (facts.c calls them; each adds its keys to OBJ).  facts_software
 * asks the db jobs' servers only when CFG is not NULL. */
int facts_system(json_t *obj);
int facts_software(const struct config *cfg, json_t *obj);
int facts_packages(json_t *obj, enum facts_scope scope);
int facts_accounts(json_t *obj);
int facts_proc(json_t *obj);

/* Differences between two fact sets (OLD from a backup, NEW now), one
 * person-readable line each, in *LINES (a JSON array of strings, caller's).
 * Packages are compared by list when both sides have one, else by hash. */
int facts_diff(const json_t *old_facts, const json_t *new_facts, json_t **lines);

/* A small file read for a fact: a regular file, no final symlink followed,
 * at most MAX bytes (the rest ignored, *TRUNCATED set when not NULL).
 * Returns 0 and a NUL-terminated *OUT (caller frees) of *LEN bytes (LEN may
 * be NULL), or a negative errno. */
int facts_read_file(const char *path, size_t max, char **out, size_t *len, int *truncated);

/* JSON string from bytes that may not be UTF-8: invalid bytes become \xNN. */
json_t *facts_text(const char *s, size_t len);

#endif

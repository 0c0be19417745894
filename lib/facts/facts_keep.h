/*
 * facts_keep — the server facts a files backup carries: the small fact set
 * in its record ("server_facts"), and the full package list kept once per
 * distinct list in the state dir (facts/packages-<sha256>.json, 0600), so
 * that `lifeboat facts --diff` can later name the packages installed or
 * upgraded since that backup without each record holding thousands of
 * lines.  A lost or unreadable list only makes the diff coarser (it says so).
 */
#ifndef LIFEBOAT_FACTS_KEEP_H
#define LIFEBOAT_FACTS_KEEP_H

#include <jansson.h>

#include "config.h"

#define FACTS_RECORD_KEY "server_facts"

/* Collects the small facts into RECORD[FACTS_RECORD_KEY] and keeps the
 * package list in CFG's state dir.  Returns 0, or a negative errno with the
 * reason in WHY (the backup itself is fine either way). */
int facts_keep(const struct config *cfg, json_t *record, char *why, size_t whylen);

/* Puts into FACTS (from a record) the package list kept for its hash, when
 * the state dir still has it.  Returns 0 (added), -ENOENT (not kept), or
 * another negative errno. */
int facts_keep_load_list(const struct config *cfg, json_t *facts);

#endif

/*
 * dbcanary — the db kind's canary for the adaptive throttle: a timed
 * primary-key lookup of a random row of the table being dumped (see
 * dbcanary.c), and the server's datadir as the data path.
 */
#ifndef LIFEBOAT_DBCANARY_H
#define LIFEBOAT_DBCANARY_H

#include <stdbool.h>
#include <stddef.h>

#include "throttle.h"

extern const struct throttle_canary_def dbcanary_def;
/* The datadir of a server on this host (asked over the canary's connection). */
bool dbcanary_data_path(const struct job *job, void *canary_state, char *buf, size_t len);

#endif

/*
 * logs_verify — the logs kind's part of verify (the content check of its
 * kind_layout); see logs_verify.c.
 */
#ifndef LIFEBOAT_LOGS_VERIFY_H
#define LIFEBOAT_LOGS_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct verify_art;
struct verify_report;

/* The logs layout's check: the tar (ARTS[RECORD_ARTIFACT_MAIN]) read once
 * and compared with the record's "logs"."segments".  Problems go to REP;
 * returns 0 or -ENOMEM. */
int logs_verify_check(const struct store_entry *e, const struct verify_art *arts, size_t n,
		      struct verify_report *rep, uint64_t *bytes);

#endif

/*
 * files_verify — the files kind's part of verify (the content check of its
 * kind_layout, and its ops.verify); see files_verify.c.
 */
#ifndef LIFEBOAT_FILES_VERIFY_H
#define LIFEBOAT_FILES_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct verify_art;
struct verify_report;

/* The files layout's check: the tar (ARTS[RECORD_ARTIFACT_MAIN]) read once
 * and compared with the index (ARTS[RECORD_ARTIFACT_INDEX]) entry by entry.
 * Problems go to REP; returns 0 or -ENOMEM. */
int files_verify_check(const struct store_entry *e, const struct verify_art *arts, size_t n,
		       struct verify_report *rep, uint64_t *bytes);

/* For a files backup E: its chain loads (members and artifacts present),
 * and every index entry's content is held by the member its FROM names.
 * Does not re-hash (verify_backup does, per member).  Returns 0 or a
 * negative errno with WHY filled. */
int files_verify_content(struct store *st, const struct store_entry *e, char *why, size_t whylen);

#endif

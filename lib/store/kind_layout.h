/*
 * kind_layout — what a kind of job means to the store: the artifacts a
 * backup of it holds (by role, with their extension), where its chain of
 * backups ends, and its own check of an artifact's content while verify
 * reads it.
 *
 * Each kind defines its layout in its own file (lib/db/, lib/files/,
 * lib/logs/) and points at it from its struct jobkind_ops; the kind table
 * (lib/run/jobkinds.c) implements kind_layout_find().  record.c (the chain
 * rule, an artifact's extension) and verify.c (the artifacts a backup needs,
 * the content check) ask this header and never name a kind.  This header
 * does not say how a kind runs or restores (jobkind.h does).
 */
#ifndef LIFEBOAT_KIND_LAYOUT_H
#define LIFEBOAT_KIND_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "store.h"

#define KIND_LAYOUT_ROLES 2		/* entries of ext[], one per enum record_role */

/* Where a chain of backups of a kind ends (record_chain_load()). */
enum kind_chain {
	KIND_CHAIN_SELF,		/* the backup stands alone: no parent allowed */
	KIND_CHAIN_FULL,		/* back to the member whose facts say "type": "full" */
	KIND_CHAIN_FIRST,		/* back to the member without a parent */
};

struct verify_art;
struct verify_report;

struct kind_layout {
	const char *name;		/* the record's "kind", also its facts' key */
	const char *noun;		/* "files snapshot" in messages; NULL: "NAME backup" */
	/* Extension of each artifact, by enum record_role; NULL: no such
	 * artifact.  The roles it has are the artifacts a backup needs; they
	 * come first (MAIN, then INDEX), so verify's ARTS[role] is that role's. */
	const char *ext[KIND_LAYOUT_ROLES];
	enum kind_chain chain;		/* where its chain stops */
	size_t max_chain;		/* default chain bound; 0: none (loops still caught) */

	/* verify's content check of backup E, whose record named every
	 * artifact: ARTS[role] (N of them, in ext[]'s order) as verify_kind.h
	 * describes them.  It reads each through verify_open()/verify_walk_tar()
	 * (so each is hashed, once) and says what disagrees in REP; *BYTES
	 * gets the bytes read.  Returns 0 (problems are in REP) or -ENOMEM.
	 * NULL: verify hashes each artifact whole. */
	int (*check)(const struct store_entry *e, const struct verify_art *arts, size_t n,
		     struct verify_report *rep, uint64_t *bytes);
};

/* The layout of the kind named KIND, or NULL (lib/run/jobkinds.c). */
const struct kind_layout *kind_layout_find(const char *kind);
/* "db, files or logs": the kinds' names, for messages (lib/run/jobkinds.c). */
const char *kind_layout_names(void);

#endif

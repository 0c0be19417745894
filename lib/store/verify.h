/*
 * verify — checks that a backup in the store is what its record says:
 * every artifact re-hashed against the SHA-256 in the record (any kind),
 * and for a files backup, that its chain is whole and that every path of
 * its index has its content in the chain member the index names (that
 * member's own index says it stored it, and that member's tar hashes right).
 *
 * The outcome is a sentence for a person, naming the backup and the file at
 * fault.  This module does not repair or delete anything.
 */
#ifndef LIFEBOAT_VERIFY_H
#define LIFEBOAT_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Re-hashes every artifact of E.  Returns 0, or -EINVAL / -ENOENT / another
 * negative errno with WHY filled (not logged).  *BYTES gets the bytes read. */
int verify_artifacts(struct store *st, const struct store_entry *e, uint64_t *bytes,
		     char *why, size_t whylen);

/* For a files backup E: its chain loads (members and artifacts present),
 * and every index entry's content is held by the member its FROM names.
 * Does not re-hash (verify_artifacts does, per member).  Returns 0 or a
 * negative errno with WHY filled. */
int verify_files_content(struct store *st, const struct store_entry *e, char *why, size_t whylen);

#endif

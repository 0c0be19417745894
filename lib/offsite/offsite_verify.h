/*
 * offsite_verify — is an offsite backup whole?  Without downloading: its
 * record decrypts and names it, and every object is there with the size
 * the record implies.  With DOWNLOAD: every artifact also decrypts whole to
 * the record's size and SHA-256.  Errors name the object (c->err).
 */
#ifndef LIFEBOAT_OFFSITE_VERIFY_H
#define LIFEBOAT_OFFSITE_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "offsite.h"

struct offsite_verify_result {
	int objects;		/* objects checked */
	uint64_t downloaded;	/* plaintext bytes hashed */
};

int offsite_verify_backup(struct offsite_conn *c, const char *job, const char *id, bool download,
			  struct offsite_verify_result *res);

#endif

/*
 * offsite_key — the key that encrypts every offsite object.
 *
 * A key file holds one line "lifeboat-offsite-key-1 <64 hex digits>" (32
 * random bytes), after any number of '#' comment lines.  It is created by
 * `lifeboat offsite init NAME` (offsite_key_create: O_EXCL, mode 0600, never
 * over an existing file) and must stay readable by its owner alone: a key
 * file with group or other bits set is refused.  The key id (8 bytes of a
 * keyed BLAKE2b hash of the key) goes into every object's header, so that a
 * wrong key is reported as such instead of as damage.  This module does not
 * encrypt (secstream does) and never prints the key except through
 * offsite_key_line() for init's one-time message.
 */
#ifndef LIFEBOAT_OFFSITE_KEY_H
#define LIFEBOAT_OFFSITE_KEY_H

#include <stddef.h>
#include <stdint.h>

#define OFFSITE_KEY_BYTES 32
#define OFFSITE_KEY_ID_BYTES 8
#define OFFSITE_KEY_TAG "lifeboat-offsite-key-1"

struct offsite_key {
	uint8_t key[OFFSITE_KEY_BYTES];		/* the secret */
	uint8_t id[OFFSITE_KEY_ID_BYTES];	/* derived from it; public */
};

/* Creates PATH with a new random key; fails (-EEXIST) if PATH exists.  *K
 * gets the key.  Errors name the file in ERR. */
int offsite_key_create(const char *path, struct offsite_key *k, char *err, size_t errlen);
/* Reads PATH into *K.  -EPERM for a file others may read, -EINVAL for one
 * that holds no key line. */
int offsite_key_load(const char *path, struct offsite_key *k, char *err, size_t errlen);
/* "lifeboat-offsite-key-1 <hex>" into BUF (at least 100 bytes). */
void offsite_key_line(const struct offsite_key *k, char *buf, size_t len);
/* The key id as 16 hex digits into BUF (at least 17 bytes). */
void offsite_key_id_hex(const uint8_t id[OFFSITE_KEY_ID_BYTES], char *buf, size_t len);
void offsite_key_clear(struct offsite_key *k);

#endif

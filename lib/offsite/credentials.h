/*
 * credentials — the S3 access key, read from an AWS shared-credentials file.
 *
 * The file is what `aws configure` writes to ~/.aws/credentials:
 *
 *     [default]
 *     aws_access_key_id = AKIA...
 *     aws_secret_access_key = ...
 *     aws_session_token = ...        ; optional
 *
 * The profile (section) is the target's `profile` key, "default" unless set;
 * `[profile NAME]` (the ~/.aws/config spelling) is taken too.  The file must
 * be a regular file readable by its owner alone (mode 0600 or stricter): a
 * group- or world-readable file is refused, naming the file and its mode.
 * The secret stays in this struct (wiped by credentials_clear); it is never
 * logged, put in argv or the environment, or written anywhere.
 */
#ifndef LIFEBOAT_CREDENTIALS_H
#define LIFEBOAT_CREDENTIALS_H

#include <stddef.h>

#define CRED_FIELD_MAX 256
#define CRED_TOKEN_MAX 4096

struct credentials {
	char access_key[CRED_FIELD_MAX];	/* aws_access_key_id */
	char secret_key[CRED_FIELD_MAX];	/* aws_secret_access_key */
	char session_token[CRED_TOKEN_MAX];	/* aws_session_token, or "" */
};

/* Reads PROFILE of PATH into *C.  Returns 0, or a negative errno with one
 * line in ERR naming the file (and profile or key): -EPERM for a file others
 * may read, -ENOENT for a missing profile, -EINVAL for a missing key. */
int credentials_load(const char *path, const char *profile, struct credentials *c,
		     char *err, size_t errlen);
/* Wipes the secret. */
void credentials_clear(struct credentials *c);

#endif

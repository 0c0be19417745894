/*
 * credentials — parses an AWS shared-credentials file with inih (see
 * credentials.h).  The mode is checked on the descriptor that is read, so a
 * file swapped in between check and read is still the file checked.
 */
#include "credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <sodium.h>

struct cred_parse {
	const char *profile;
	struct credentials *c;
	bool seen_profile;	/* the profile's section was found */
	bool too_long;		/* a value did not fit */
	char bad_key[64];	/* the key that did not fit */
};

static bool section_is(const char *section, const char *profile)
{
	if (strcmp(section, profile) == 0)
		return true;
	/* "[profile NAME]" as ~/.aws/config writes it */
	if (strncmp(section, "profile ", 8) == 0) {
		const char *p = section + 8;

		while (*p == ' ')
			p++;
		return strcmp(p, profile) == 0;
	}
	return false;
}

static int copy_field(struct cred_parse *cp, const char *name, const char *value, char *dst, size_t size)
{
	size_t n = strlen(value);

	if (n >= size) {
		cp->too_long = true;
		snprintf(cp->bad_key, sizeof(cp->bad_key), "%s", name);
		return 1;
	}
	memcpy(dst, value, n + 1);
	return 1;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct cred_parse *cp = user;

	if (!section_is(section, cp->profile))
		return 1;
	cp->seen_profile = true;
	if (strcmp(name, "aws_access_key_id") == 0)
		return copy_field(cp, name, value, cp->c->access_key, sizeof(cp->c->access_key));
	if (strcmp(name, "aws_secret_access_key") == 0)
		return copy_field(cp, name, value, cp->c->secret_key, sizeof(cp->c->secret_key));
	if (strcmp(name, "aws_session_token") == 0)
		return copy_field(cp, name, value, cp->c->session_token, sizeof(cp->c->session_token));
	return 1;	/* region, output, ... belong to other tools */
}

/* A key or secret goes into a header line: no control byte or space in it. */
static bool field_clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	return true;
}

int credentials_load(const char *path, const char *profile, struct credentials *c,
		     char *err, size_t errlen)
{
	struct cred_parse cp = { .profile = profile, .c = c };
	struct stat st;
	FILE *fp;
	int fd, r;

	memset(c, 0, sizeof(*c));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot open the credentials file: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: the credentials file is not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen,
			 "%s: the credentials file is readable by others (mode %04o); chmod 0600 it",
			 path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -EPERM;
	}
	fp = fdopen(fd, "r");
	if (!fp) {
		r = -errno;
		close(fd);
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	r = ini_parse_file(fp, on_key, &cp);
	fclose(fp);
	if (r != 0) {
		snprintf(err, errlen, "%s:%d: syntax error in the credentials file", path, r > 0 ? r : 0);
		credentials_clear(c);
		return -EINVAL;
	}
	if (cp.too_long) {
		snprintf(err, errlen, "%s: [%s] %s: value too long", path, profile, cp.bad_key);
		credentials_clear(c);
		return -EINVAL;
	}
	if (!cp.seen_profile) {
		snprintf(err, errlen, "%s: no [%s] profile in the credentials file", path, profile);
		return -ENOENT;
	}
	if (!c->access_key[0] || !c->secret_key[0]) {
		snprintf(err, errlen, "%s: [%s] %s: missing", path, profile,
			 !c->access_key[0] ? "aws_access_key_id" : "aws_secret_access_key");
		credentials_clear(c);
		return -EINVAL;
	}
	if (!field_clean(c->access_key) || !field_clean(c->secret_key) || !field_clean(c->session_token)) {
		snprintf(err, errlen, "%s: [%s]: a key holds a space or a control character", path, profile);
		credentials_clear(c);
		return -EINVAL;
	}
	return 0;
}

void credentials_clear(struct credentials *c)
{
	sodium_memzero(c, sizeof(*c));
}

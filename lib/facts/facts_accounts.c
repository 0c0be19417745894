/*
 * facts_accounts — who can log in and what runs on a timer: the accounts of
 * /etc/passwd with a login shell, each with the keys in its
 * ~/.ssh/authorized_keys (type, comment, and the SHA256 fingerprint that
 * `ssh-keygen -lf` prints; never the key text), and every crontab (system,
 * /etc/cron.d and per user) with its active lines.
 *
 * Home directories belong to the users, maybe to the attacker: .ssh and
 * authorized_keys are opened one component at a time without following
 * symlinks, only regular files are read, and each up to a cap.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "facts.h"
#include "sha256.h"

#define KEYS_MAX (256 * 1024)
#define CRONTAB_MAX (64 * 1024)
#define CRON_LINES_MAX 200

static bool login_shell(const char *shell)
{
	static const char *const no[] = { "nologin", "false", "sync", "halt", "shutdown" };
	const char *base = strrchr(shell, '/');

	base = base ? base + 1 : shell;
	if (!*shell)
		return true;	/* empty: /bin/sh */
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcmp(base, no[i]) == 0)
			return false;
	return true;
}

/* Reads DIR/.ssh/NAME without following a symlink at any step below DIR. */
static int read_keys_file(const char *home, const char *name, char **out)
{
	int dfd, sfd, fd, r = 0;
	struct stat st;
	size_t len = 0;
	char *buf;

	*out = NULL;
	dfd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	sfd = openat(dfd, ".ssh", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (sfd < 0)
		return -errno;
	fd = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	close(sfd);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	buf = malloc(KEYS_MAX + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (len < KEYS_MAX) {
		ssize_t n = read(fd, buf + len, KEYS_MAX - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* "SHA256:..." of the base64 key blob B64, as ssh-keygen prints it, or "". */
static void fingerprint(const char *b64, size_t n, char *out, size_t outlen)
{
	unsigned char *blob, md[32], enc[64];
	int bl, el;

	out[0] = '\0';
	if (n == 0 || n > 16384 || n % 4)
		return;
	blob = malloc(n);
	if (!blob)
		return;
	bl = EVP_DecodeBlock(blob, (const unsigned char *)b64, (int)n);
	if (bl > 0) {
		/* DecodeBlock counts the padding as zero bytes: take them off. */
		if (b64[n - 1] == '=')
			bl--;
		if (b64[n - 2] == '=')
			bl--;
		EVP_Digest(blob, (size_t)bl, md, NULL, EVP_sha256(), NULL);
		el = EVP_EncodeBlock(enc, md, 32);
		while (el > 0 && enc[el - 1] == '=')
			el--;
		snprintf(out, outlen, "SHA256:%.*s", el, enc);
	}
	free(blob);
}

static bool is_key_type(const char *t, size_t n)
{
	return (n > 4 && strncmp(t, "ssh-", 4) == 0) || (n > 6 && strncmp(t, "ecdsa-", 6) == 0) ||
	       (n > 3 && strncmp(t, "sk-", 3) == 0);
}

/* One authorized_keys line: [options] type base64 [comment]. */
static json_t *key_entry(const char *line)
{
	const char *p = line, *t = NULL, *b = NULL, *c = NULL;
	size_t tn = 0, bn = 0;
	char fp[80];
	json_t *e;

	/* The type is the first word that looks like one (options come before it). */
	while (*p) {
		size_t n;

		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (!n)
			break;
		if (is_key_type(p, n)) {
			t = p;
			tn = n;
			p += n;
			p += strspn(p, " \t");
			b = p;
			bn = strcspn(p, " \t");
			c = b + bn;
			c += strspn(c, " \t");
			break;
		}
		p += n;
	}
	if (!t)
		return json_pack("{s:s}", "error", "no key type on the line");
	fingerprint(b, bn, fp, sizeof(fp));
	e = json_object();
	json_object_set_new(e, "type", facts_text(t, tn));
	json_object_set_new(e, "fingerprint", json_string(fp));
	json_object_set_new(e, "comment", facts_text(c, strlen(c) > 200 ? 200 : strlen(c)));
	json_object_set_new(e, "options", json_boolean(t != line + strspn(line, " \t")));
	return e;
}

static json_t *keys_of(const char *home)
{
	static const char *const names[] = { "authorized_keys", "authorized_keys2" };
	json_t *keys = json_array();

	for (size_t i = 0; i < 2; i++) {
		char *text, *line, *save = NULL;
		int r = read_keys_file(home, names[i], &text);

		if (r == -ENOENT || r == -ENOTDIR || r == -EACCES)
			continue;
		if (r < 0) {
			json_array_append_new(keys, json_pack("{s:s, s:s}", "file", names[i], "error",
							      strerror(-r)));
			continue;
		}
		for (line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
			json_t *e;

			line += strspn(line, " \t");
			if (!*line || *line == '#')
				continue;
			e = key_entry(line);
			json_object_set_new(e, "file", json_string(names[i]));
			json_array_append_new(keys, e);
		}
		free(text);
	}
	return keys;
}

static void accounts_add(json_t *obj)
{
	json_t *arr = json_array();
	struct passwd *pw;
	FILE *f = fopen("/etc/passwd", "re");

	if (!f) {
		json_object_set_new(obj, "accounts", json_pack("{s:s}", "error", strerror(errno)));
		json_decref(arr);
		return;
	}
	while ((pw = fgetpwent(f))) {
		json_t *a;

		if (!login_shell(pw->pw_shell))
			continue;
		a = json_object();
		json_object_set_new(a, "user", facts_text(pw->pw_name, strlen(pw->pw_name)));
		json_object_set_new(a, "uid", json_integer(pw->pw_uid));
		json_object_set_new(a, "home", facts_text(pw->pw_dir, strlen(pw->pw_dir)));
		json_object_set_new(a, "shell", facts_text(pw->pw_shell, strlen(pw->pw_shell)));
		json_object_set_new(a, "authorized_keys", keys_of(pw->pw_dir));
		json_array_append_new(arr, a);
	}
	fclose(f);
	json_object_set_new(obj, "accounts", arr);
}

static json_t *crontab(const char *path)
{
	char *text = NULL, *line, *save = NULL, hex[SHA256_HEX_LEN + 1];
	json_t *e = json_pack("{s:s}", "path", path), *lines;
	struct stat st;
	struct sha256 h;
	size_t len = 0, n = 0;
	int trunc = 0, r;

	r = facts_read_file(path, CRONTAB_MAX, &text, &len, &trunc);
	if (r < 0) {
		json_object_set_new(e, "error", json_string(strerror(-r)));
		return e;
	}
	if (lstat(path, &st) == 0)
		json_object_set_new(e, "uid", json_integer(st.st_uid));
	if (sha256_init(&h) == 0) {
		sha256_update(&h, text, len);
		sha256_final_hex(&h, hex);
		json_object_set_new(e, "sha256", json_string(hex));
	}
	if (trunc)
		json_object_set_new(e, "truncated", json_true());
	lines = json_array();
	for (line = strtok_r(text, "\n", &save); line && n < CRON_LINES_MAX; line = strtok_r(NULL, "\n", &save)) {
		const char *l = line + strspn(line, " \t");

		if (!*l || *l == '#')
			continue;
		json_array_append_new(lines, facts_text(l, strlen(l)));
		n++;
	}
	json_object_set_new(e, "lines", lines);
	free(text);
	return e;
}

static void crontab_dir(json_t *arr, const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		char path[4096];

		if (names[i]->d_name[0] != '.' &&
		    snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) < (int)sizeof(path))
			json_array_append_new(arr, crontab(path));
		free(names[i]);
	}
	free(names);
}

int facts_accounts(json_t *obj)
{
	json_t *cron = json_array();

	accounts_add(obj);
	if (access("/etc/crontab", F_OK) == 0)
		json_array_append_new(cron, crontab("/etc/crontab"));
	crontab_dir(cron, "/etc/cron.d");
	crontab_dir(cron, "/var/spool/cron/crontabs");
	json_object_set_new(obj, "crontabs", cron);
	return 0;
}

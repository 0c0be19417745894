/*
 * facts_software — the versions of what runs the site: web servers, PHP and
 * its modules, the database servers (the installed binary, and what each db
 * job's server says over its own connection), OpenSSH, FTP servers, OpenSSL,
 * and control panels found by their version files.
 *
 * A program is run only when its binary is a regular file owned by root and
 * writable by no one else: a binary the site's user could have replaced is
 * reported, not run.  Each runs without a shell, with a timeout
 * (facts_cmd.h); the first non-empty line of its output is the version.
 * Software not installed is simply absent from the list.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mysql.h>

#include "dbconn.h"
#include "facts.h"
#include "facts_cmd.h"
#include "jobkind.h"
#include "log.h"

#define PROGRAM_TIMEOUT_MS 5000
#define VERSION_MAX 300

struct program {
	const char *name;	/* what a person calls it */
	const char *path;	/* absolute; may be a glob (php-fpm8.2) */
	const char *arg;	/* the one argument that prints the version */
};

static const struct program programs[] = {
	{ "apache", "/usr/sbin/apache2", "-v" },
	{ "apache", "/usr/sbin/httpd", "-v" },
	{ "nginx", "/usr/sbin/nginx", "-v" },
	{ "lighttpd", "/usr/sbin/lighttpd", "-v" },
	{ "litespeed", "/usr/local/lsws/bin/lshttpd", "-v" },
	{ "php", "/usr/bin/php", "-v" },
	{ "php-fpm", "/usr/sbin/php-fpm*", "-v" },
	{ "mariadb-server", "/usr/sbin/mariadbd", "--version" },
	{ "mysql-server", "/usr/sbin/mysqld", "--version" },
	{ "openssh-server", "/usr/sbin/sshd", "-V" },
	{ "openssh-client", "/usr/bin/ssh", "-V" },
	{ "vsftpd", "/usr/sbin/vsftpd", "-v" },
	{ "proftpd", "/usr/sbin/proftpd", "-v" },
	{ "pure-ftpd", "/usr/sbin/pure-ftpd", "--help" },
	{ "openssl", "/usr/bin/openssl", "version" },
};

/* Control panels, by the file that holds their version. */
struct panel {
	const char *name;
	const char *file;
	const char *marker;	/* the version follows this text; NULL: whole first line */
};

static const struct panel panels[] = {
	{ "cPanel", "/usr/local/cpanel/version", NULL },
	{ "Plesk", "/usr/local/psa/version", NULL },
	{ "ISPConfig", "/usr/local/ispconfig/server/lib/config.inc.php", "ISPC_APP_VERSION" },
	{ "Webmin", "/etc/webmin/version", NULL },
	{ "Webmin", "/usr/share/webmin/version", NULL },
	{ "DirectAdmin", "/usr/local/directadmin/conf/directadmin.conf", NULL },
};

/* The first non-empty line of TEXT, trimmed and capped. */
static json_t *first_line(const char *text)
{
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\r\n");
		size_t s = 0;

		while (s < n && (p[s] == ' ' || p[s] == '\t'))
			s++;
		if (n > s)
			return facts_text(p + s, n - s > VERSION_MAX ? VERSION_MAX : n - s);
		p += n;
		p += strspn(p, "\r\n");
	}
	return json_string("");
}

/* A binary we may run: root-owned, a regular file, not group/world writable. */
static const char *untrusted(const char *path, const struct stat *st)
{
	(void)path;
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_uid != 0)
		return "not owned by root: not run";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others: not run";
	return NULL;
}

static json_t *run_one(const char *name, const char *path, const char *arg, char **out_text)
{
	char *argv[] = { (char *)path, (char *)arg, NULL };
	struct facts_cmd_result res;
	json_t *e = json_pack("{s:s, s:s}", "name", name, "path", path);
	const char *why;
	struct stat st;
	int r;

	if (out_text)
		*out_text = NULL;
	if (lstat(path, &st) < 0)
		return json_decref(e), NULL;
	if (S_ISLNK(st.st_mode) && stat(path, &st) < 0) {
		json_object_set_new(e, "error", json_string("dangling symlink"));
		return e;
	}
	if ((why = untrusted(path, &st))) {
		json_object_set_new(e, "error", json_string(why));
		return e;
	}
	r = facts_cmd_run(argv, PROGRAM_TIMEOUT_MS, &res);
	if (r < 0) {
		json_object_set_new(e, "error", json_string(strerror(-r)));
		return e;
	}
	if (res.timed_out)
		json_object_set_new(e, "error", json_string("timed out"));
	json_object_set_new(e, "version", first_line(res.output));
	if (out_text)
		*out_text = res.output;
	else
		facts_cmd_result_free(&res);
	return e;
}

/* `php -m`: the module names between its [..] headings. */
static json_t *php_modules(const char *path)
{
	char *argv[] = { (char *)path, "-m", NULL };
	struct facts_cmd_result res;
	json_t *mods = json_array();
	char *line, *save = NULL;

	if (facts_cmd_run(argv, PROGRAM_TIMEOUT_MS, &res) < 0)
		return mods;
	for (line = strtok_r(res.output, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save))
		if (line[0] && line[0] != '[')
			json_array_append_new(mods, facts_text(line, strlen(line) > 80 ? 80 : strlen(line)));
	facts_cmd_result_free(&res);
	return mods;
}

static void programs_add(json_t *list)
{
	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
		const struct program *p = &programs[i];
		glob_t g;

		if (glob(p->path, 0, NULL, &g) != 0)
			continue;
		for (size_t k = 0; k < g.gl_pathc; k++) {
			json_t *e = run_one(p->name, g.gl_pathv[k], p->arg, NULL);

			if (!e)
				continue;
			if (strcmp(p->name, "php") == 0 && !json_object_get(e, "error"))
				json_object_set_new(e, "modules", php_modules(g.gl_pathv[k]));
			json_array_append_new(list, e);
		}
		globfree(&g);
	}
}

static void panels_add(json_t *list)
{
	for (size_t i = 0; i < sizeof(panels) / sizeof(panels[0]); i++) {
		const struct panel *p = &panels[i];
		json_t *e;
		char *text = NULL;
		const char *v;
		int r;

		r = facts_read_file(p->file, 64 * 1024, &text, NULL, NULL);
		if (r == -ENOENT || r == -ENOTDIR)
			continue;
		e = json_pack("{s:s, s:s}", "name", p->name, "file", p->file);
		if (r < 0) {
			json_object_set_new(e, "error", json_string(strerror(-r)));
		} else if (p->marker) {
			v = strstr(text, p->marker);
			if (v) {
				v += strlen(p->marker);
				v += strspn(v, "'\", )");
				json_object_set_new(e, "version", facts_text(v, strcspn(v, "'\"\r\n")));
			} else {
				json_object_set_new(e, "error", json_string("no version in the file"));
			}
		} else if (strcmp(p->name, "DirectAdmin") == 0) {
			json_object_set_new(e, "version", json_string("installed"));
		} else {
			json_object_set_new(e, "version", first_line(text));
		}
		free(text);
		json_array_append_new(list, e);
	}
}

/* What each db job's server says it is, over the job's own connection. */
static void databases_add(const struct config *cfg, json_t *list)
{
	for (size_t i = 0; cfg && i < cfg->njobs; i++) {
		const struct job *job = &cfg->jobs[i];
		json_t *e;
		MYSQL *my = NULL;

		if (jobkind_of(job)->target != JOBKIND_TO_DATABASE)
			continue;
		e = json_pack("{s:s}", "job", job->name);
		if (dbconn_open(job, NULL, &my) < 0) {
			const char *err = log_last_error();

			json_object_set_new(e, "error", json_string(err && *err ? err : "cannot connect"));
		} else {
			const char *v = mysql_get_server_info(my);

			json_object_set_new(e, "server_version", facts_text(v, strlen(v)));
			mysql_close(my);
		}
		json_array_append_new(list, e);
	}
}

int facts_software(const struct config *cfg, json_t *obj)
{
	json_t *sw = json_array(), *pn = json_array();

	programs_add(sw);
	panels_add(pn);
	json_object_set_new(obj, "software", sw);
	json_object_set_new(obj, "panels", pn);
	if (cfg) {
		json_t *db = json_array();

		databases_add(cfg, db);
		json_object_set_new(obj, "database_servers", db);
	}
	return 0;
}

/*
 * offsite_conn — connecting to a target (credentials, key, client) and the
 * names of its objects (see offsite.h).
 */
#include "offsite_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "store.h"

void offsite_seterr(struct offsite_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

void offsite_s3err(struct offsite_conn *c)
{
	offsite_seterr(c, "%s", s3_error(c->s3));
}

int offsite_connect(const struct config *cfg, const struct offsite *o, bool need_key, struct offsite_conn *c)
{
	struct s3_conf conf = { 0 };
	char err[900];
	int r;

	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->o = o;
	r = credentials_load(o->credentials_file, o->profile, &c->cred, err, sizeof(err));
	if (r < 0) {
		offsite_seterr(c, "offsite %s: %s", o->name, err);
		return r;
	}
	if (need_key && (r = offsite_key_load(o->key_file, &c->key, err, sizeof(err))) < 0) {
		offsite_seterr(c, "offsite %s: %s", o->name, err);
		credentials_clear(&c->cred);
		return r;
	}
	snprintf(c->state_dir, sizeof(c->state_dir), "%s/offsite/%s", cfg->state_dir, o->name);
	if ((r = fs_mkdirs(c->state_dir, 0700)) < 0) {
		offsite_seterr(c, "offsite %s: cannot create %s: %s", o->name, c->state_dir, strerror(-r));
		offsite_disconnect(c);
		return r;
	}
	conf.endpoint = o->endpoint;
	conf.region = o->region;
	conf.bucket = o->bucket;
	conf.cred = &c->cred;
	conf.send_limit = o->upload_limit;
	conf.content_md5 = o->object_lock_days > 0;
	r = s3_open(&c->s3, &conf, err, sizeof(err));
	if (r < 0) {
		offsite_seterr(c, "offsite %s: %s", o->name, err);
		offsite_disconnect(c);
		return r;
	}
	return 0;
}

void offsite_disconnect(struct offsite_conn *c)
{
	s3_close(c->s3);
	c->s3 = NULL;
	credentials_clear(&c->cred);
	offsite_key_clear(&c->key);
}

int offsite_job_prefix(const struct offsite *o, const char *job, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s%s%s", o->prefix, *o->prefix ? "/" : "", job ? job : "", job ? "/" : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int offsite_object_key(const struct offsite *o, const char *job, const char *id, const char *suffix,
		       char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s%s/%s%s%s", o->prefix, *o->prefix ? "/" : "", job, id,
			 suffix ? "." : "", suffix ? suffix : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int offsite_parse_key(const struct offsite *o, const char *key, char job[128], char id[32], char **suffix)
{
	size_t plen = strlen(o->prefix);
	const char *p = key, *slash, *dot;
	struct store_id sid;
	char idbuf[64];

	*suffix = NULL;
	if (plen) {
		if (strncmp(key, o->prefix, plen) != 0 || key[plen] != '/')
			return -EINVAL;
		p = key + plen + 1;
	}
	slash = strchr(p, '/');
	if (!slash || (size_t)(slash - p) >= 128)
		return -EINVAL;
	snprintf(job, 128, "%.*s", (int)(slash - p), p);
	if (!config_job_name_valid(job))
		return -EINVAL;
	p = slash + 1;
	/* YYYY/MM/backup-DD-NN.SUFFIX: the id ends at the first '.' after "backup-" */
	dot = strstr(p, "/backup-");
	if (!dot || !(dot = strchr(dot, '.')) || (size_t)(dot - p) >= sizeof(idbuf))
		return -EINVAL;
	snprintf(idbuf, sizeof(idbuf), "%.*s", (int)(dot - p), p);
	if (store_id_parse(idbuf, &sid) < 0)
		return -EINVAL;
	store_id_format(&sid, id);
	if (strcmp(id, idbuf) != 0 || !dot[1] || strchr(dot + 1, '/'))
		return -EINVAL;
	*suffix = strdup(dot + 1);
	return *suffix ? 0 : -ENOMEM;
}

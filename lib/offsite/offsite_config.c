/*
 * offsite_config — the keys of [offsite:NAME] and their checks (see
 * offsite_config.h).  config.c walks this table like a kind's table; the
 * checks here run once the whole section is read.
 */
#include "offsite_config.h"

#include <stdlib.h>
#include <string.h>

#define O(field) KP_OFFSITE, false, offsetof(struct offsite, field), \
		sizeof(((struct offsite *)0)->field)

const struct config_key offsite_keys[] = {
	{ "url", KT_STRING, O(url), 0, 0, NULL, true,
	  "s3://BUCKET/PREFIX: where the copies go", NULL },
	{ "endpoint", KT_STRING, O(endpoint), 0, 0, NULL, true,
	  "http(s)://host[:port] of the S3-compatible API", NULL },
	{ "region", KT_STRING, O(region), 0, 0, "us-east-1", false,
	  "region the requests are signed for", NULL },
	{ "credentials_file", KT_PATH, O(credentials_file), 0, 0, NULL, true,
	  "AWS shared-credentials file (aws_access_key_id, aws_secret_access_key), mode 0600", NULL },
	{ "profile", KT_STRING, O(profile), 0, 0, "default", false,
	  "section of the credentials file", NULL },
	{ "key_file", KT_PATH, O(key_file), 0, 0, NULL, true,
	  "the encryption key (lifeboat offsite init NAME), mode 0600", NULL },
	{ "jobs", KT_LIST, O(jobs), 0, 0, NULL, false,
	  "jobs copied offsite; default: all", NULL },
	{ "upload_limit", KT_SIZE, O(upload_limit), 0, 0, "0", false,
	  "bytes per second sent; 0 = unlimited", NULL },
	{ "single_put_max", KT_SIZE, O(single_put_max), 0, 0, "1G", false,
	  "files up to this size go as one streamed PUT (sent again whole if interrupted), larger ones as a resumable multipart upload", NULL },
	{ "nice", KT_INT, O(nice), -20, 19, "10", false,
	  "CPU niceness of the upload process", NULL },
	{ "object_lock_days", KT_INT, O(object_lock_days), 0, 36500, "0", false,
	  "S3 Object Lock retention (days) written with each object; 0 = none", NULL },
	{ "prune", KT_BOOL, O(prune), 0, 0, "yes", false,
	  "apply retention to the copies offsite; no for an upload-only key that may not delete", NULL },
	{ "keep_last", KT_INT, O(keep.keep_last), 0, 1000000, NULL, false,
	  "offsite retention; with no keep_* key here, each job's own", NULL },
	{ "keep_hourly", KT_INT, O(keep.keep_hourly), 0, 1000000, NULL, false, NULL, NULL },
	{ "keep_daily", KT_INT, O(keep.keep_daily), 0, 1000000, NULL, false, NULL, NULL },
	{ "keep_weekly", KT_INT, O(keep.keep_weekly), 0, 1000000, NULL, false, NULL, NULL },
	{ "keep_monthly", KT_INT, O(keep.keep_monthly), 0, 1000000, NULL, false, NULL, NULL },
	{ "keep_yearly", KT_INT, O(keep.keep_yearly), 0, 1000000, NULL, false, NULL, NULL },
	{ "keep_within", KT_DURATION, O(keep.keep_within), 0, 0, NULL, false, NULL, NULL },
};
const size_t offsite_nkeys = sizeof(offsite_keys) / sizeof(offsite_keys[0]);

/* "s3://bucket/some/prefix/" → bucket "bucket", prefix "some/prefix". */
static int split_url(const char *url, char **bucket, char **prefix)
{
	const char *b, *slash, *p;
	size_t plen;

	if (strncmp(url, "s3://", 5) != 0)
		return -1;
	b = url + 5;
	slash = strchr(b, '/');
	if (slash == b || !*b)
		return -1;
	*bucket = slash ? strndup(b, (size_t)(slash - b)) : strdup(b);
	p = slash ? slash : "";
	while (*p == '/')
		p++;
	plen = strlen(p);
	while (plen && p[plen - 1] == '/')
		plen--;
	*prefix = strndup(p, plen);
	return (*bucket && *prefix) ? 0 : -1;
}

/* A bucket name as S3 allows: 3-63 of a-z, 0-9, '.', '-'. */
static bool bucket_valid(const char *b)
{
	size_t n = strlen(b);

	if (n < 3 || n > 63)
		return false;
	for (const char *p = b; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			return false;
	return true;
}

/* A prefix of plain path segments: no "..", ".", empty segment or control byte. */
static bool prefix_valid(const char *p)
{
	const char *seg = p;

	if (!*p)
		return true;
	for (;; p++) {
		if (*p == '/' || !*p) {
			size_t n = (size_t)(p - seg);

			if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
				return false;
			if (!*p)
				return true;
			seg = p + 1;
		} else if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\') {
			return false;
		}
	}
}

void offsite_config_check(struct config_check *c, struct offsite *o, const struct config *cfg)
{
	static const char *const keep[] = { "keep_last", "keep_hourly", "keep_daily", "keep_weekly",
					    "keep_monthly", "keep_yearly", "keep_within", NULL };

	if (o->url) {
		if (split_url(o->url, &o->bucket, &o->prefix) < 0 || !bucket_valid(o->bucket))
			config_check_error(c, config_check_line(c, "url"), "url",
					   "expected s3://BUCKET/PREFIX with a bucket of 3-63 of a-z, 0-9, '.', '-' (got '%s')",
					   o->url);
		else if (!prefix_valid(o->prefix))
			config_check_error(c, config_check_line(c, "url"), "url",
					   "the prefix may not have empty, '.' or '..' segments or control characters (got '%s')",
					   o->url);
	}
	if (o->endpoint && strncmp(o->endpoint, "https://", 8) != 0 &&
	    strncmp(o->endpoint, "http://", 7) != 0)
		config_check_error(c, config_check_line(c, "endpoint"), "endpoint",
				   "expected http:// or https:// (got '%s')", o->endpoint);
	/* S3 takes at most 5 GiB in one PUT; the encrypted form is 0.03% larger */
	if (o->single_put_max > (uint64_t)5000 << 20)
		config_check_error(c, config_check_line(c, "single_put_max"), "single_put_max",
				   "at most 5000M (S3 takes at most 5 GiB in one PUT)");
	for (size_t i = 0; i < o->jobs.n; i++)
		if (!config_job(cfg, o->jobs.v[i]))
			config_check_error(c, config_check_line(c, "jobs"), "jobs",
					   "no job named '%s'", o->jobs.v[i]);
	o->own_keep = false;
	for (size_t i = 0; keep[i]; i++)
		if (config_check_line(c, keep[i]) != config_check_line(c, NULL))
			o->own_keep = true;
	if (o->own_keep && o->keep.keep_last == 0 && o->keep.keep_hourly == 0 && o->keep.keep_daily == 0 &&
	    o->keep.keep_weekly == 0 && o->keep.keep_monthly == 0 && o->keep.keep_yearly == 0 &&
	    o->keep.keep_within == 0)
		config_check_error(c, config_check_line(c, NULL), "keep_*",
				   "this retention policy keeps no copy at all; set at least one keep_ key above 0");
}

const struct offsite *config_offsite(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->noffsites; i++)
		if (strcmp(cfg->offsites[i].name, name) == 0)
			return &cfg->offsites[i];
	return NULL;
}

bool offsite_has_job(const struct offsite *o, const char *job)
{
	if (o->jobs.n == 0)
		return true;
	for (size_t i = 0; i < o->jobs.n; i++)
		if (strcmp(o->jobs.v[i], job) == 0)
			return true;
	return false;
}

const struct retention *offsite_keep(const struct offsite *o, const struct job *job)
{
	return o->own_keep ? &o->keep : &job->keep;
}

/*
 * incident files — the evidence snapshot of one files job: a FULL snapshot
 * (never an incremental: no parent is given), of the whole tree — the job's
 * `exclude` globs are not applied, since the guide asks for "the complete
 * fileset", caches included — hidden files included, each file opened with
 * O_NOATIME where the kernel allows it (snapshot.c does, as owner or root).
 *
 * Why snapshot_run into the incident dir, and not a forced-full backup in
 * the store: the evidence must sit with the journal and the manifest, as
 * plain files a host's admin can read without Lifeboat (`tar --zstd -xf`),
 * and must not take part in a job's chain, retention or state (the job's
 * next incremental should not build on the compromised tree).  It runs at
 * full speed, not throttled: the site is offline (on_incident) and the
 * evidence is what matters now.
 *
 * Writes files-JOB.tar.zst and files-JOB.index.zst.  Does not compare (changes.c).
 */
#include "incident.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "compress.h"
#include "log.h"
#include "snapshot.h"
#include "units.h"

struct ev_snap {
	struct evfile tar, index;
	struct zwriter *tar_zw, *index_zw;
};

static int tar_sink(void *ctx, const void *buf, size_t len)
{
	return evfile_write(&((struct ev_snap *)ctx)->tar, buf, len);
}

static int index_sink(void *ctx, const void *buf, size_t len)
{
	return evfile_write(&((struct ev_snap *)ctx)->index, buf, len);
}

static int tar_write(void *ctx, const void *buf, size_t len)
{
	return zwriter_write(((struct ev_snap *)ctx)->tar_zw, buf, len);
}

static int index_write(void *ctx, const void *buf, size_t len)
{
	return zwriter_write(((struct ev_snap *)ctx)->index_zw, buf, len);
}

int incident_files(const struct config *cfg, const struct job *job, struct incident *inc,
		   char *summary, size_t len)
{
	struct ev_snap s = { 0 };
	struct snapshot_stats stats;
	char tar_name[200], index_name[200], id[64], size[32], hex[SHA256_HEX_LEN + 1];
	struct snapshot_opts o = {
		.root = job->files.path,
		.exclude = NULL,
		.one_file_system = job->files.one_file_system,
		.id = id,
		.spool_dir = cfg->store,
		.tar_write = tar_write, .index_write = index_write,
		.ctx = &s,
	};
	bool tar_open = false, index_open = false;
	int r;

	memset(&stats, 0, sizeof(stats));
	snprintf(id, sizeof(id), "incident-%s", inc->stamp);
	snprintf(tar_name, sizeof(tar_name), "files-%s.tar.zst", job->name);
	snprintf(index_name, sizeof(index_name), "files-%s.index.zst", job->name);
	r = evfile_open(inc, tar_name, &s.tar);
	tar_open = r == 0;
	if (r == 0)
		index_open = (r = evfile_open(inc, index_name, &s.index)) == 0;
	if (r == 0)
		r = zwriter_open((int)job->tuning.compress_level, (int)job->tuning.compress_threads, tar_sink, &s,
				 &s.tar_zw);
	if (r == 0)
		r = zwriter_open((int)job->tuning.compress_level, 0, index_sink, &s, &s.index_zw);
	if (r == 0)
		r = snapshot_run(&o, &stats);
	if (r == 0) {
		r = zwriter_close(s.tar_zw);
		s.tar_zw = NULL;
	}
	if (r == 0) {
		r = zwriter_close(s.index_zw);
		s.index_zw = NULL;
	}
	zwriter_free(s.tar_zw);
	zwriter_free(s.index_zw);
	/* The index first: a tar without its index is no evidence file yet. */
	if (r == 0) {
		r = evfile_finish(&s.index, NULL);
		index_open = false;
	}
	if (r == 0) {
		r = evfile_finish(&s.tar, hex);
		tar_open = false;
	}
	if (tar_open)
		evfile_abort(&s.tar);
	if (index_open)
		evfile_abort(&s.index);
	if (r < 0) {
		snprintf(summary, len, "failed: %s (see the log)", strerror(-r));
		snapshot_stats_free(&stats);
		return r;
	}
	units_format_size_human(stats.bytes_tree, size, sizeof(size));
	snprintf(summary, len, "full snapshot of %s: %" PRIu64 " entries, %" PRIu64 " files, %s; %" PRIu64
		 " unreadable, %" PRIu64 " changed while read; %s sha256 %s",
		 job->files.path, stats.entries, stats.files, size, stats.errors, stats.changed_while_read,
		 tar_name, hex);
	snapshot_stats_free(&stats);
	return 0;
}

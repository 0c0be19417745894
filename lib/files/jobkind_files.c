/*
 * jobkind_files — a files job's run: chooses full or incremental, runs the
 * snapshot (snapshot.h) into two artifacts, "tar.zst" (the pax tar) and
 * "index.zst" (the index), and puts the snapshot's facts in the record.
 * See jobkind.h.
 *
 * The parent is the job's newest backup (ok or partial).  A new full is
 * taken when there is none, when full_every has passed since the chain's
 * full, when the chain would grow past max_chain, or when the parent's chain
 * is not whole (a member or an artifact missing, a size that differs from
 * its record, the parent's index not matching its hash).  The reason goes
 * into the record.
 *
 * The kind's ops (jobkind_files_ops) are at the end: its config keys, the
 * estimate, the restore into a new or empty directory (snaprestore.h) and
 * the content check of verify (verify.h).
 */
#include "jobkind.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "compress.h"
#include "diskcanary.h"
#include "facts_keep.h"
#include "fileindex.h"
#include "files_verify.h"
#include "reader.h"
#include "record.h"
#include "log.h"
#include "snaprestore.h"
#include "snapshot.h"
#include "units.h"

struct files_run {
	struct jobkind *k;
	struct store_artifact *tar_art, *index_art;
	struct zwriter *tar_zw, *index_zw;
	uint64_t tar_out, index_out;	/* compressed bytes of each */
	char what[512];
};

/* The parent chosen for an incremental, with the chain facts. */
struct parent_pick {
	struct fileindex index;		/* the parent's index */
	char id[STORE_ID_MAX];
	char full[STORE_ID_MAX];	/* the chain's full snapshot */
	json_int_t full_time;		/* when that full ran (unix seconds) */
	json_int_t chain_length;	/* incrementals on the full, parent included */
	bool have;
	char reason[1200];		/* why a full, when !have */
};

static int tar_sink(void *ctx, const void *buf, size_t len)
{
	struct files_run *f = ctx;

	f->tar_out += len;
	f->k->bytes_out += len;
	throttle_io(f->k->throttle, len);
	return store_artifact_write(f->tar_art, buf, len);
}

static int index_sink(void *ctx, const void *buf, size_t len)
{
	struct files_run *f = ctx;

	f->index_out += len;
	f->k->bytes_out += len;
	return store_artifact_write(f->index_art, buf, len);
}

static int tar_write(void *ctx, const void *buf, size_t len)
{
	struct files_run *f = ctx;

	return zwriter_write(f->tar_zw, buf, len);
}

static int index_write(void *ctx, const void *buf, size_t len)
{
	struct files_run *f = ctx;

	return zwriter_write(f->index_zw, buf, len);
}

static int between_files(void *ctx)
{
	struct files_run *f = ctx;

	if (throttle_between_chunks(f->k->throttle) < 0 || jobkind_cancelled(f->k)) {
		log_error("job %s: cancelled", f->k->job->name);
		return -ECANCELED;
	}
	return 0;
}

static int read_bytes(void *ctx, uint64_t n)
{
	struct files_run *f = ctx;

	throttle_io(f->k->throttle, n);
	f->k->bytes_in += n;
	jobkind_progress(f->k, false);
	/* A big file is no reason to ignore Ctrl-C until its end. */
	if (jobkind_cancelled(f->k)) {
		log_error("job %s: cancelled", f->k->job->name);
		return -ECANCELED;
	}
	return 0;
}

static void progress(void *ctx, const char *path)
{
	struct files_run *f = ctx;

	f->k->files++;
	snprintf(f->what, sizeof(f->what), "%s", path);
	f->k->what = f->what;
	jobkind_progress(f->k, false);
}

/* Fills P with the parent to build on, or says in P->reason why not. */
static void pick_parent(struct jobkind *k, time_t now, struct parent_pick *p)
{
	const struct files_job *fj = &k->job->files;
	struct store_list l;
	struct record_chain chain;
	struct reader *rd = NULL;
	const json_t *facts = NULL;
	const struct store_entry *last = NULL;
	char why[1024];
	int r;

	fileindex_init(&p->index);
	p->have = false;
	if (store_list(k->st, k->job->name, &l) < 0) {
		snprintf(p->reason, sizeof(p->reason), "the job's backups could not be listed");
		return;
	}
	for (size_t i = l.n; i-- > 0;) {
		const char *res = json_string_value(json_object_get(l.v[i].record, "result"));

		if (res && (!strcmp(res, "ok") || !strcmp(res, "partial"))) {
			last = &l.v[i];
			break;
		}
	}
	if (!last) {
		snprintf(p->reason, sizeof(p->reason), "first snapshot of the job");
		store_list_free(&l);
		return;
	}
	snprintf(p->id, sizeof(p->id), "%s", last->id);
	facts = json_object_get(last->record, "files");
	p->full_time = json_integer_value(json_object_get(facts, "full_time"));
	p->chain_length = json_integer_value(json_object_get(facts, "chain_length"));
	snprintf(p->full, sizeof(p->full), "%s", json_string_value(json_object_get(facts, "full")) ?
		 json_string_value(json_object_get(facts, "full")) : "");
	store_list_free(&l);

	if (k->opts && k->opts->full) {
		snprintf(p->reason, sizeof(p->reason), "a full snapshot was asked for (lifeboat baseline --accept)");
		return;
	}
	if (!*p->full || p->full_time <= 0) {
		snprintf(p->reason, sizeof(p->reason), "the newest backup %s is not a files snapshot", p->id);
		return;
	}
	if (now - (time_t)p->full_time >= fj->full_every) {
		snprintf(p->reason, sizeof(p->reason), "full_every passed since the full %s", p->full);
		return;
	}
	if (p->chain_length + 1 > fj->max_chain) {
		snprintf(p->reason, sizeof(p->reason), "the chain on %s reached max_chain (%ld)", p->full,
			 fj->max_chain);
		return;
	}
	r = record_chain_load(k->st, k->job->name, p->id, "files", 0, &chain, why, sizeof(why));
	if (r < 0) {
		snprintf(p->reason, sizeof(p->reason), "the parent's chain is broken: %s", why);
		log_warn("job %s: %s; taking a full snapshot", k->job->name, p->reason);
		return;
	}
	r = reader_open(k->st, &chain.v[chain.n - 1], RECORD_ARTIFACT_INDEX, 0, &rd, NULL, 0);
	if (r == 0)
		r = fileindex_read(&p->index, rd);
	if (rd && reader_close(rd) < 0 && r == 0)
		r = -EBADMSG;
	reader_free(rd);
	if (r < 0) {
		snprintf(p->reason, sizeof(p->reason), "the parent %s's index %s", p->id,
			 r == -EBADMSG ? "does not match its record" : "cannot be read");
		log_warn("job %s: %s; taking a full snapshot", k->job->name, p->reason);
		fileindex_free(&p->index);
	} else {
		p->have = true;
	}
	record_chain_free(&chain);
}

static int open_outputs(struct files_run *f)
{
	const struct job_tuning *t = &f->k->job->tuning;
	int r;

	r = store_artifact_open(f->k->txn, "tar.zst", &f->tar_art);
	if (r == 0)
		r = store_artifact_open(f->k->txn, "index.zst", &f->index_art);
	/* Unpaced, the tar compresses on zstd's workers while this thread
	 * reads and hashes: the two costs overlap. */
	if (r == 0)
		r = jobkind_zwriter_open(f->k, (int)t->compress_threads, tar_sink, f, &f->tar_zw);
	/* The index is small and its sink never sleeps: never paced. */
	if (r == 0)
		r = zwriter_open((int)t->compress_level, 0, index_sink, f, &f->index_zw);
	return r;
}

static int close_outputs(struct files_run *f)
{
	int r;

	r = zwriter_close(f->tar_zw);
	f->tar_zw = NULL;
	if (r == 0) {
		r = zwriter_close(f->index_zw);
		f->index_zw = NULL;
	}
	if (r == 0)
		r = store_artifact_finish(f->tar_art);
	if (r == 0)
		r = store_artifact_finish(f->index_art);
	return r;
}

static json_t *facts_of(const struct snapshot_stats *s, const struct parent_pick *p, const char *id,
			time_t now)
{
	json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			      " s:I, s:I, s:I, s:I, s:O, s:O}",
			      "type", p->have ? "incremental" : "full",
			      "full", p->have ? p->full : id,
			      "full_time", (json_int_t)(p->have ? p->full_time : now),
			      "chain_length", (json_int_t)(p->have ? p->chain_length + 1 : 0),
			      "entries", (json_int_t)s->entries,
			      "files", (json_int_t)s->files,
			      "stored", (json_int_t)s->stored,
			      "added", (json_int_t)s->added,
			      "changed", (json_int_t)s->changed,
			      "removed", (json_int_t)s->removed,
			      "unchanged", (json_int_t)s->unchanged,
			      "bytes_read", (json_int_t)s->bytes_read,
			      "bytes_tree", (json_int_t)s->bytes_tree,
			      "excluded", (json_int_t)s->excluded,
			      "sockets_skipped", (json_int_t)s->sockets,
			      "mounts_not_entered", (json_int_t)s->other_fs,
			      "changed_while_read_count", (json_int_t)s->changed_while_read,
			      "errors", s->error_list,
			      "changed_while_read", s->changed_list);

	if (j && !p->have)
		json_object_set_new(j, "full_reason", json_string(p->reason));
	return j;
}

/* The server's facts as they stood at this backup, for `lifeboat facts
 * --diff`.  Not having them is a warning: the snapshot itself is whole. */
static void keep_server_facts(struct jobkind *k, json_t *record)
{
	char why[512] = "", msg[600];

	if (facts_keep(k->cfg, record, why, sizeof(why)) == 0)
		return;
	snprintf(msg, sizeof(msg), "server facts not kept: %s", why[0] ? why : "unknown error");
	log_warn("job %s: %s", k->job->name, msg);
	if (!k->warnings)
		k->warnings = json_array();
	json_array_append_new(k->warnings, json_string(msg));
}

static int files_run(struct jobkind *k, json_t *record)
{
	struct files_run f = { .k = k };
	struct parent_pick p;
	struct snapshot_stats stats;
	struct snapshot_opts o = {
		.root = k->job->files.path,
		.exclude = &k->job->files.exclude,
		.one_file_system = k->job->files.one_file_system,
		.id = store_txn_id(k->txn),
		/* The store: the filesystem min_free guards, writable under the unit. */
		.spool_dir = store_root(k->st),
		.tar_write = tar_write, .index_write = index_write,
		.between_files = between_files, .read_bytes = read_bytes, .progress = progress,
		.ctx = &f,
	};
	time_t now = time(NULL);
	json_t *facts;
	int r;

	pick_parent(k, now, &p);
	if (p.have) {
		o.parent = &p.index;
		o.parent_id = p.id;
	}
	r = open_outputs(&f);
	if (r == 0)
		r = snapshot_run(&o, &stats);
	else
		memset(&stats, 0, sizeof(stats));
	if (r == 0) {
		json_object_set_new(record, "size_raw", json_integer((json_int_t)zwriter_bytes_in(f.tar_zw)));
		r = close_outputs(&f);
	}
	k->what = NULL;
	zwriter_free(f.tar_zw);
	zwriter_free(f.index_zw);
	fileindex_free(&p.index);
	if (r < 0) {
		snapshot_stats_free(&stats);
		return r;
	}
	for (size_t i = 0; i < json_array_size(stats.error_list) && i < 10; i++) {
		const json_t *e = json_array_get(stats.error_list, i);

		jobkind_partial(k, "%s/%s: %s", k->job->files.path,
				json_string_value(json_object_get(e, "path")),
				json_string_value(json_object_get(e, "error")));
	}
	if (stats.errors > 10)
		jobkind_partial(k, "%llu more unreadable paths (see the log)",
				(unsigned long long)(stats.errors - 10));
	if (stats.changed_while_read) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%llu file(s) changed while read, stored as last read (see files.changed_while_read)",
			 (unsigned long long)stats.changed_while_read);
		log_warn("job %s: %s", k->job->name, msg);
		if (!k->warnings)
			k->warnings = json_array();
		json_array_append_new(k->warnings, json_string(msg));
	}
	facts = facts_of(&stats, &p, store_txn_id(k->txn), now);
	snapshot_stats_free(&stats);
	if (!facts)
		return -ENOMEM;
	json_object_set_new(record, "size_stored", json_integer((json_int_t)(f.tar_out + f.index_out)));
	/* Top level too: list shows "type"; record.h writes "parent" in both places. */
	json_object_set_new(record, "type", json_string(p.have ? "incremental" : "full"));
	json_object_set_new(record, "files", facts);
	keep_server_facts(k, record);
	return p.have ? record_set_parent(record, "files", p.id) : 0;
}

/* The store space this run will need: the chain's full, compressed, when a
 * full is likely (a rough upper bound for an incremental too); 0 for a first
 * run, when nothing is known. */
static int files_estimate(const struct job *job, struct store *st, uint64_t *bytes)
{
	struct store_entry full, last;
	const char *full_id;

	*bytes = 0;
	if (store_get(st, job->name, "latest", &last) < 0)
		return 0;
	full_id = json_string_value(json_object_get(json_object_get(last.record, "files"), "full"));
	if (full_id && store_get(st, job->name, full_id, &full) == 0) {
		*bytes = (uint64_t)json_integer_value(json_object_get(full.record, "size_stored"));
		store_entry_free(&full);
	}
	store_entry_free(&last);
	return 0;
}

/* ---- the kind's ops ---------------------------------------------------------- */

/* Files are written with their content after the host's db dumps (exclusive). */
static enum jobkind_dump_lock files_dump_lock(const struct job *job)
{
	return job->tuning.exclusive ? JOBKIND_DUMP_LOCK_EXCLUSIVE : JOBKIND_DUMP_LOCK_NONE;
}

/* The partial restore's list: what was not restored exactly, by kind. */
static void print_skipped(const struct snaprestore_stats *stats, uint64_t skipped, FILE *out)
{
	static const char *const kind_name[SR_SKIP_KINDS] = {
		"device nodes or FIFOs not created", "owners not set", "setuid/setgid bits not set",
		"extended attributes not set",
	};
	static const char *const key[SR_SKIP_KINDS] = { "node", "owner", "mode", "xattr" };

	fprintf(out, "partial: %" PRIu64 " thing(s) not restored exactly%s:\n", skipped,
		geteuid() ? " (not root)" : "");
	for (int k = 0; k < SR_SKIP_KINDS; k++) {
		size_t listed = 0, i;
		const json_t *it;

		if (!stats->skipped[k])
			continue;
		fprintf(out, "  %s: %" PRIu64 "\n", kind_name[k], stats->skipped[k]);
		json_array_foreach(stats->skipped_list, i, it) {
			if (strcmp(json_string_value(json_object_get(it, "kind")), key[k]) != 0)
				continue;
			fprintf(out, "    %s: %s\n", json_string_value(json_object_get(it, "path")),
				json_string_value(json_object_get(it, "what")));
			listed++;
		}
		if (listed < stats->skipped[k])
			fprintf(out, "    ... and %" PRIu64 " more\n", stats->skipped[k] - listed);
	}
}

/* Restore into a new or empty directory, the whole tree or one path of it.
 * JOBKIND_RESTORE_PARTIAL when an unprivileged user could not create some
 * entries or set some owners, modes or xattrs (listed on OUT). */
static int files_restore(const struct config *cfg, const struct job *job, struct store *st,
			 const struct store_entry *e, const struct jobkind_target *to, FILE *out)
{
	struct snaprestore_opts o = {
		.st = st, .job = job->name, .id = e->id, .to = to->dir, .subpath = to->subpath,
		.owners = geteuid() == 0,
	};
	struct snaprestore_stats stats;
	struct timespec t0, t1;
	char size[32];
	uint64_t skipped = 0;

	(void)cfg;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (snaprestore_run(&o, &stats) < 0) {
		snaprestore_stats_free(&stats);
		return -EIO;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (int k = 0; k < SR_SKIP_KINDS; k++)
		skipped += stats.skipped[k];
	units_format_size_human(stats.bytes, size, sizeof(size));
	fprintf(out, "restored %s %s%s%s into %s: %" PRIu64 " entries, %" PRIu64 " files, %s from %u tar(s) in %.1f s%s\n",
		job->name, e->id, to->subpath ? " path " : "", to->subpath ? to->subpath : "", to->dir,
		stats.entries, stats.files, size, stats.chain,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		skipped ? "" : o.owners ? "" : " (not root: every owner is the restoring user's)");
	fprintf(out, "read %" PRIu64 " bytes from the store (each artifact once)\n", stats.read);
	if (stats.unreadable)
		fprintf(out, "%" PRIu64 " path(s) were unreadable when the backup was taken and are not restored\n",
			stats.unreadable);
	if (skipped)
		print_skipped(&stats, skipped, out);
	snaprestore_stats_free(&stats);
	return skipped ? JOBKIND_RESTORE_PARTIAL : 0;
}

static const struct config_key files_keys[] = {
	{ "path", KT_PATH, CONFIG_JOB(files.path), 0, 0, NULL, true,
	  "root of the tree to snapshot", NULL },
	{ "exclude", KT_LIST, CONFIG_JOB(files.exclude), 0, 0, NULL, false,
	  "globs, relative to path, not to back up", NULL },
	{ "one_file_system", KT_BOOL, CONFIG_JOB(files.one_file_system), 0, 0, "yes", false, NULL, NULL },
	{ "full_every", KT_DURATION, CONFIG_JOB(files.full_every), 0, 0, "7d", false,
	  "time between full snapshots", NULL },
	{ "max_chain", KT_INT, CONFIG_JOB(files.max_chain), 0, 254, "14", false,
	  "most incrementals on one full", NULL },
	{ "url_path", KT_STRING, CONFIG_JOB(files.url_path), 0, 0, "/", false,
	  "the URL path the tree is served at, for lifeboat when", NULL },
	{ "max_snapshot_time", KT_DURATION, CONFIG_JOB(files.max_snapshot_time), 0, 0, "1h", false,
	  "after this long a snapshot stops pausing and backing off", NULL },
};

static const char *const files_tuning[] = { "exclusive", NULL };

/* A snapshot: its tar and its index; back to its full (files_verify.c
 * checks the tar against the index). */
static const struct kind_layout files_layout = {
	.name = "files",
	.noun = "files snapshot",
	.ext = { [RECORD_ARTIFACT_MAIN] = "tar.zst", [RECORD_ARTIFACT_INDEX] = "index.zst" },
	.chain = KIND_CHAIN_FULL,
	.max_chain = RECORD_CHAIN_MAX,
	.check = files_verify_check,
};

/* The adaptive throttle times small direct reads of the tree's files and
 * watches the latency of the device holding it. */
static bool files_data_path(const struct job *job, void *canary_state, char *buf, size_t len)
{
	(void)canary_state;
	return (size_t)snprintf(buf, len, "%s", job->files.path) < len;
}

static int files_canary_open(const struct job *job, void **state)
{
	return diskcanary_open(job->name, job->files.path, state);
}

static const struct throttle_canary_def files_canary = {
	.name = DISKCANARY_NAME,
	.open = files_canary_open,
	.sample = diskcanary_sample,
	.close = diskcanary_close,
};

/* A snapshot on a disk that stays busy is not held back for ever. */
static int64_t files_budget(const struct job *job)
{
	return job->files.max_snapshot_time;
}

static const struct throttle_kind files_throttle = {
	.canary = &files_canary,
	.data_path = files_data_path,
	.budget = files_budget,
	.budget_key = "max_snapshot_time",
};

const struct jobkind_ops jobkind_files_ops = {
	.name = "files",
	.layout = &files_layout,
	.keys = files_keys,
	.nkeys = sizeof(files_keys) / sizeof(files_keys[0]),
	.tuning = files_tuning,
	.run = files_run,
	.estimate = files_estimate,
	.throttle = &files_throttle,
	.dump_lock = files_dump_lock,
	.target = JOBKIND_TO_DIR,
	.target_subpath = true,
	.restore = files_restore,
	.verify = files_verify_content,
};

/*
 * jobkind — the helpers a kind uses while it runs: cancel, progress,
 * partial, the zstd writer of an artifact.  See jobkind.h.  Nothing here
 * knows of jobrun or of any particular kind.
 */
#include "jobkind.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "log.h"

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

bool jobkind_cancelled(const struct jobkind *k)
{
	return k->opts && k->opts->cancel && *k->opts->cancel;
}

double jobkind_elapsed(const struct jobkind *k)
{
	return since(&k->t0);
}

size_t jobkind_paced_block(const struct jobkind *k)
{
	return throttle_paced(k->throttle) ? THROTTLE_PACED_BLOCK : 0;
}

int jobkind_zwriter_open(const struct jobkind *k, int threads, zsink_fn sink, void *ctx,
			 struct zwriter **out)
{
	int level = (int)k->job->tuning.compress_level;
	size_t block = jobkind_paced_block(k);

	if (block)
		return zwriter_open_paced(level, block, sink, ctx, out);
	return zwriter_open(level, threads, sink, ctx, out);
}

void jobkind_progress(struct jobkind *k, bool force)
{
	struct jobrun_progress p;

	if (!k->opts || !k->opts->progress)
		return;
	/* At most a few times a second: a display need not be busier. */
	if (!force && since(&k->last_progress) < 0.25)
		return;
	clock_gettime(CLOCK_MONOTONIC, &k->last_progress);
	p.job = k->job->name;
	p.what = k->what;
	p.bytes_in = k->bytes_in;
	p.bytes_out = k->bytes_out;
	p.estimated = k->estimated;
	p.files = k->files;
	p.elapsed = since(&k->t0);
	k->opts->progress(k->opts->progress_ctx, &p);
}

void jobkind_partial(struct jobkind *k, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("job %s: %s", k->job->name, msg);
	k->partial = true;
	if (!k->warnings)
		k->warnings = json_array();
	/* The record keeps the first warnings; the log has them all. */
	if (k->warnings && json_array_size(k->warnings) < 100)
		json_array_append_new(k->warnings, json_string(msg));
}

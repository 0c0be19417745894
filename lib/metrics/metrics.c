/*
 * metrics — see metrics.h.  Gathers each job's status once, walks the
 * family table (metrics_families.c) writing each family's samples together,
 * and replaces the file.  It does not decide which metrics exist (the
 * table does) nor how the text is escaped (metrics_text.c).
 */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "fsutil.h"
#include "jobstatus.h"
#include "log.h"
#include "metrics_int.h"
#include "offsite_status.h"

static void render_family(const struct metric_family *f, const struct metrics_ctx *ctx, struct mtext *t)
{
	mtext_family(t, f->name, f->type, f->help);
	if (f->collect) {
		f->collect(f, ctx, t);
		return;
	}
	for (size_t i = 0; i < ctx->njobs; i++) {
		const char *labels[] = { "job", ctx->jobs[i].job->name, "kind", ctx->jobs[i].kind, NULL };
		double v;

		if (f->job_value(&ctx->jobs[i], &v))
			mtext_sample(t, f->name, labels, v);
	}
}

int metrics_render(const struct config *cfg, time_t now, char **out, size_t *len)
{
	struct metrics_ctx ctx = { .cfg = cfg, .now = now, .njobs = cfg->njobs };
	struct mtext t;
	int r = 0;

	ctx.jobs = calloc(cfg->njobs ? cfg->njobs : 1, sizeof(*ctx.jobs));
	if (!ctx.jobs)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->njobs && r == 0; i++) {
		ctx.jobs[i].job = &cfg->jobs[i];
		ctx.jobs[i].kind = job_kind_name(cfg->jobs[i].kind);
		ctx.jobs[i].status = jobstatus_job(cfg, &cfg->jobs[i], now);
		if (!ctx.jobs[i].status)
			r = -ENOMEM;
	}
	if (r == 0 && !(ctx.offsite = offsite_status(cfg, now)))
		r = -ENOMEM;
	if (r == 0)
		r = mtext_open(&t);
	if (r == 0) {
		for (size_t f = 0; f < metric_nfamilies; f++)
			render_family(&metric_families[f], &ctx, &t);
		r = mtext_finish(&t, out, len);
	}
	for (size_t i = 0; i < cfg->njobs; i++)
		json_decref(ctx.jobs[i].status);
	free(ctx.jobs);
	json_decref(ctx.offsite);
	return r;
}

/* Serialises writers: <state_dir>/locks/metrics.lock.  Returns the fd, or -1
 * when the lock cannot be had (then the file is written without it: a
 * stale view for a moment beats none). */
static int lock_writers(const char *state_dir)
{
	char dir[4096], path[4200];
	int fd;

	snprintf(dir, sizeof(dir), "%s/locks", state_dir);
	if (fs_mkdirs(dir, 0700) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/metrics.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int metrics_write(const struct config *cfg)
{
	char *text = NULL;
	size_t len = 0;
	int fd, r;

	if (!cfg->metrics_file)
		return 0;
	fd = lock_writers(cfg->state_dir);
	r = metrics_render(cfg, time(NULL), &text, &len);
	if (r == 0)
		r = fs_write_atomic(cfg->metrics_file, text, len, 0644);
	if (fd >= 0)
		close(fd);
	free(text);
	if (r < 0)
		log_err(LOG_LVL_WARN, -r, "metrics_file %s: cannot write the metrics", cfg->metrics_file);
	return r;
}

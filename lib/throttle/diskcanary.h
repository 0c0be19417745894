/*
 * diskcanary — the canary of the jobs that read files (files and logs): a
 * 4 KiB read with O_DIRECT at a random place of one of a few of the job's
 * own files, timed.
 *
 * Why: the device's mean read latency (/proc/diskstats) is mostly the job's
 * own reads while it runs, large and sequential, so it stays flat, or even
 * drops, while a site's small random reads on the same device wait behind
 * them 100x longer (tests/bench/files-impact.sh).  A small direct read waits
 * in the same queue as the site's, so it sees what the site sees.
 *
 * The files are chosen when the canary opens, before the job starts: up to
 * DISKCANARY_FILES of the largest regular files (at least 4 KiB, not sparse)
 * found in a bounded walk of the job's path (DISKCANARY_WALK entries, one
 * second at most) that follows no symlink below that path (the path itself
 * is the admin's, and may be one) nor crosses into another filesystem.  The tree is the site's, so hostile: each file is opened with
 * O_NOFOLLOW and O_NONBLOCK (a FIFO put there cannot block us) and used only
 * if it is still a regular file on the same filesystem once open; the bytes
 * read are never looked at.  A filesystem that refuses O_DIRECT (tmpfs) gives
 * no canary: its reads would come from memory.
 *
 * Its own cost is bounded: a read at most every DISKCANARY_DUTY times the
 * quickest read it has seen (2% of the device's time: on an SSD about 50
 * reads a second, on a spinning disk a few), whatever adapt asks.
 *
 * What it does not do: judge the latency (adapt.c), or read the device
 * itself.  Its reads wait behind the job's own as much as behind anyone's:
 * adapt.c does not judge it while nobody else reads from the device
 * (congestion.h's others' reads), or a snapshot on a quiet disk would crawl
 * for its own canary's sake.
 */
#ifndef LIFEBOAT_DISKCANARY_H
#define LIFEBOAT_DISKCANARY_H

#define DISKCANARY_FILES	8	/* files read from */
#define DISKCANARY_WALK		4000	/* directory entries looked at, at most */
#define DISKCANARY_DUTY		50	/* gap between reads >= this x the quickest */
#define DISKCANARY_NAME		"4 KiB direct read of one of the job's files"

struct diskcanary;

/* Opens the canary of job JOB_NAME over PATH (a directory or a file) into
 * *OUT.  0 (a canary with no file, when none fits: its samples say there
 * is nothing to measure; said at debug level), or -ENOMEM. */
int diskcanary_open(const char *job_name, const char *path, void **out);
/* One read: its latency in *SECONDS, 0; 1 = nothing to measure (no file,
 * or too soon after the last for its duty); a negative errno when the read
 * failed. */
int diskcanary_sample(void *state, double *seconds);
/* Files it reads from (for tests and messages). */
unsigned diskcanary_files(const void *state);
void diskcanary_close(void *state);

#endif

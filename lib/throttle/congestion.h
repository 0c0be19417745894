/*
 * congestion — the host's own signals that a job is in the site's way:
 * the read latency of the block device that holds the job's data, and the
 * kernel's pressure stall information (PSI) for CPU and I/O.
 *
 * A reading is a set of cumulative counters; two readings give a window's
 * values: the mean time a read took on the device (ms per read; none when
 * the device read nothing), and the share of the window in which some task
 * was stalled waiting for a CPU or for I/O.  The CPU share leaves out the
 * time this process's own threads waited for a CPU (their schedstat): a job's
 * reader and compressor queueing for each other's CPU is not the site
 * waiting (the time can only be taken out as a whole, so this is the least
 * the others waited).  The device is the one in
 * /proc/diskstats whose number is the st_dev of a path (the datadir, the web
 * root, the log directory); a path on a filesystem with no block device of
 * its own (tmpfs, overlayfs) has no device signal, and PSI is absent on
 * kernels without it.  Each signal says whether it was read.
 *
 * A window also says how much others read from the device: its bytes read
 * less this process's (/proc/self/io read_bytes, all its threads), so that
 * a job whose own reads are all there is knows nobody waits behind them.
 *
 * What it does not do: decide anything (adapt.c sets the values against the
 * ones measured before the job), or look at a database (a kind's canary).
 * The /proc root is a parameter, so tests read prepared files.
 */
#ifndef LIFEBOAT_CONGESTION_H
#define LIFEBOAT_CONGESTION_H

#include <stdbool.h>

enum congestion_psi { CONGESTION_PSI_CPU, CONGESTION_PSI_IO, CONGESTION_PSI_COUNT };

struct congestion {
	const char *proc;		/* "/proc", or a test's directory */
	bool disk;			/* a device was found for the path */
	unsigned major, minor;
	char device[64];		/* its name in /proc/diskstats */
};

struct congestion_reading {
	double at;			/* seconds, the caller's clock */
	bool disk_ok;
	double reads, read_ms;		/* reads completed, ms spent reading */
	double read_bytes;		/* bytes read from the device */
	bool own_ok;			/* own_read_bytes was read (and disk_ok) */
	double own_read_bytes;		/* bytes this process had read from storage */
	bool psi_ok[CONGESTION_PSI_COUNT];
	double psi_us[CONGESTION_PSI_COUNT]; /* "some" stall, total microseconds */
	double own_wait_us;		/* this process's threads' time waiting for a CPU */
};

struct congestion_window {
	bool disk_ok;			/* the device read something in the window */
	double disk_ms;			/* mean ms per read */
	double disk_reads;		/* reads in the window */
	bool others_ok;			/* others_read_bytes is known */
	double others_read_bytes;	/* bytes others (not this process) read from the device */
	bool psi_ok[CONGESTION_PSI_COUNT];
	double psi[CONGESTION_PSI_COUNT]; /* share of the window stalled, 0..1 */
};

/* Finds the block device holding PATH (NULL: none), under PROC.  Never
 * fails: a signal it cannot find is left out (c->disk false). */
void congestion_init(struct congestion *c, const char *proc, const char *path);
/* Reads the counters now (AT on the caller's clock). */
void congestion_read(const struct congestion *c, double at, struct congestion_reading *r);
/* The window between two readings. */
void congestion_window(const struct congestion_reading *a, const struct congestion_reading *b,
		       struct congestion_window *w);

#endif

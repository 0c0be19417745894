/*
 * congestion — see congestion.h for what and why.
 */
#include "congestion.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static FILE *open_proc(const struct congestion *c, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", c->proc, name);
	return fopen(path, "re");
}

/* The diskstats line of MAJOR:MINOR: its name and counters.  true if found. */
static bool diskstats_line(const struct congestion *c, unsigned major, unsigned minor, char *name,
			   size_t len, double *reads, double *read_ms, double *read_bytes)
{
	FILE *f = open_proc(c, "diskstats");
	char line[512], dev[64];
	unsigned ma, mi;
	uint64_t rd, rd_merged, sectors, ms;
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%u %u %63s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, &ma, &mi, dev, &rd,
			   &rd_merged, &sectors, &ms) != 7 || ma != major || mi != minor)
			continue;
		found = true;
		if (name)
			snprintf(name, len, "%s", dev);
		*reads = (double)rd;
		*read_ms = (double)ms;
		*read_bytes = (double)sectors * 512;	/* diskstats' sectors are 512 bytes */
	}
	fclose(f);
	return found;
}

void congestion_init(struct congestion *c, const char *proc, const char *path)
{
	struct stat st;
	double reads, ms, bytes;

	memset(c, 0, sizeof(*c));
	c->proc = proc ? proc : "/proc";
	if (!path || stat(path, &st) < 0)
		return;
	c->major = major(st.st_dev);
	c->minor = minor(st.st_dev);
	c->disk = diskstats_line(c, c->major, c->minor, c->device, sizeof(c->device), &reads, &ms, &bytes);
}

/* "some ... total=N" of /proc/pressure/NAME. */
static bool psi_total(const struct congestion *c, const char *name, double *us)
{
	char file[64], line[256], *p;
	FILE *f;
	bool ok = false;

	snprintf(file, sizeof(file), "pressure/%s", name);
	f = open_proc(c, file);
	if (!f)
		return false;
	while (!ok && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "some ", 5) != 0 || !(p = strstr(line, " total=")))
			continue;
		ok = sscanf(p + 7, "%lf", us) == 1;
	}
	fclose(f);
	return ok;
}

/* The bytes this process (all its threads) has had read from storage:
 * /proc/self/io's read_bytes.  false when it cannot be read. */
static bool own_read_bytes(const struct congestion *c, double *bytes)
{
	char path[512], line[128];
	bool ok = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/self/io", c->proc);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!ok && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "read_bytes: ", 12) == 0)
			ok = sscanf(line + 12, "%lf", bytes) == 1;
	}
	fclose(f);
	return ok;
}

/* The run-queue wait of every thread of this process, in microseconds
 * (/proc/self/task/TID/schedstat: run time, wait time, timeslices, in ns). */
static double own_wait(const struct congestion *c)
{
	char path[512];
	double total = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/self/task", c->proc);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		unsigned long long run, wait;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/self/task/%s/schedstat", c->proc, e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;	/* the thread ended */
		if (fscanf(f, "%llu %llu", &run, &wait) == 2)
			total += (double)wait / 1000;
		fclose(f);
	}
	closedir(d);
	return total;
}

void congestion_read(const struct congestion *c, double at, struct congestion_reading *r)
{
	static const char *const psi_names[CONGESTION_PSI_COUNT] = { "cpu", "io" };

	memset(r, 0, sizeof(*r));
	r->at = at;
	r->disk_ok = c->disk && diskstats_line(c, c->major, c->minor, NULL, 0, &r->reads, &r->read_ms,
					       &r->read_bytes);
	r->own_ok = r->disk_ok && own_read_bytes(c, &r->own_read_bytes);
	for (int i = 0; i < CONGESTION_PSI_COUNT; i++)
		r->psi_ok[i] = psi_total(c, psi_names[i], &r->psi_us[i]);
	r->own_wait_us = own_wait(c);
}

void congestion_window(const struct congestion_reading *a, const struct congestion_reading *b,
		       struct congestion_window *w)
{
	double dt = b->at - a->at;

	memset(w, 0, sizeof(*w));
	/* Counters that went back (a device replaced, a counter that wrapped)
	 * give no window, not a negative latency. */
	if (a->disk_ok && b->disk_ok && b->reads > a->reads && b->read_ms >= a->read_ms) {
		w->disk_ok = true;
		w->disk_reads = b->reads - a->reads;
		w->disk_ms = (b->read_ms - a->read_ms) / w->disk_reads;
	}
	/* What others read: the device's bytes less this process's.  The two
	 * counters are taken at slightly different moments (a few tens of KiB
	 * apart at full speed): a negative difference is none. */
	if (a->own_ok && b->own_ok && b->read_bytes >= a->read_bytes && b->own_read_bytes >= a->own_read_bytes) {
		w->others_ok = true;
		w->others_read_bytes = (b->read_bytes - a->read_bytes) - (b->own_read_bytes - a->own_read_bytes);
		if (w->others_read_bytes < 0)
			w->others_read_bytes = 0;
	}
	for (int i = 0; i < CONGESTION_PSI_COUNT; i++) {
		if (!a->psi_ok[i] || !b->psi_ok[i] || dt <= 0 || b->psi_us[i] < a->psi_us[i])
			continue;
		w->psi_ok[i] = true;
		w->psi[i] = b->psi_us[i] - a->psi_us[i];
		/* Threads that ended took their wait with them: never add. */
		if (i == CONGESTION_PSI_CPU && b->own_wait_us > a->own_wait_us)
			w->psi[i] -= b->own_wait_us - a->own_wait_us;
		w->psi[i] = w->psi[i] / 1e6 / dt;
		if (w->psi[i] < 0)
			w->psi[i] = 0;
		if (w->psi[i] > 1)
			w->psi[i] = 1;
	}
}

/*
 * jobstate — see jobstate.h.
 */
#include "jobstate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"

static int subdir(const char *state_dir, const char *name, char *buf, size_t len)
{
	int r;

	if ((size_t)snprintf(buf, len, "%s/%s", state_dir, name) >= len)
		return -ENAMETOOLONG;
	r = fs_mkdirs(buf, 0700);
	if (r < 0)
		log_err(LOG_LVL_ERROR, -r, "%s: cannot create", buf);
	return r;
}

/* Opens (creating it 0600) the lock file <state_dir>/locks/NAME; the path
 * goes to PATH for messages.  Returns the descriptor or a negative errno (logged). */
static int open_lock(const char *state_dir, const char *name, char *path, size_t len)
{
	char dir[4096];
	int fd, r;

	r = subdir(state_dir, "locks", dir, sizeof(dir));
	if (r < 0)
		return r;
	if ((size_t)snprintf(path, len, "%s/%s", dir, name) >= len)
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot open", path);
		return r;
	}
	return fd;
}

int jobstate_lock(const char *state_dir, const char *job, int *fd_out)
{
	char name[128], path[4200], pid[32];
	ssize_t n;
	int fd, r;

	*fd_out = -1;
	snprintf(name, sizeof(name), "%s.lock", job);
	fd = open_lock(state_dir, name, path, sizeof(path));
	if (fd < 0)
		return fd;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (r == -EBUSY)
			log_error("job %s is already running (pid %s); a job never overlaps itself",
				  job, *pid ? pid : "?");
		else
			log_err(LOG_LVL_ERROR, -r, "%s: cannot lock", path);
		close(fd);
		return r;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("%s: cannot write the pid", path);
	*fd_out = fd;
	return 0;
}

int jobstate_lock_wait(const char *state_dir, const char *job, volatile sig_atomic_t *cancel, int *fd_out)
{
	char name[128], path[4200], pid[32];
	int fd, n;

	*fd_out = -1;
	snprintf(name, sizeof(name), "%s.lock", job);
	fd = open_lock(state_dir, name, path, sizeof(path));
	if (fd < 0)
		return fd;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int r = errno == EWOULDBLOCK ? 0 : -errno;

		if (r == 0 && cancel && *cancel)
			r = -ECANCELED;
		if (r < 0) {
			if (r != -ECANCELED)
				log_err(LOG_LVL_ERROR, -r, "%s: cannot lock", path);
			close(fd);
			return r;
		}
		usleep(200000);
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("%s: cannot write the pid", path);
	*fd_out = fd;
	return 0;
}

int jobstate_lock_retention(const char *state_dir, const char *job, int *fd_out)
{
	char name[128], path[4200];
	int fd, r;

	*fd_out = -1;
	snprintf(name, sizeof(name), "%s.retention", job);
	fd = open_lock(state_dir, name, path, sizeof(path));
	if (fd < 0)
		return fd;
	/* Prunes are short: waiting is better than failing a pin. */
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		r = -errno;
		log_err(LOG_LVL_ERROR, errno, "%s: cannot lock", path);
		close(fd);
		return r;
	}
	*fd_out = fd;
	return 0;
}

int jobstate_take_slot(const char *state_dir, long parallel, volatile sig_atomic_t *cancel,
		       int *fd_out, double *waited)
{
	struct timespec t0, t1, step = { 0, 500000000 };
	char name[32], path[4200];
	bool told = false;

	*fd_out = -1;
	*waited = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		for (long i = 0; i < parallel; i++) {
			int fd;

			snprintf(name, sizeof(name), "slot-%ld", i);
			fd = open_lock(state_dir, name, path, sizeof(path));
			if (fd < 0)
				return fd;
			if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
				clock_gettime(CLOCK_MONOTONIC, &t1);
				*waited = (double)(t1.tv_sec - t0.tv_sec) +
					  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
				*fd_out = fd;
				return 0;
			}
			close(fd);
		}
		if (!told) {
			log_info("waiting for a run slot: parallel_jobs = %ld job(s) already running", parallel);
			told = true;
		}
		if (cancel && *cancel)
			return -ECANCELED;
		nanosleep(&step, NULL);
	}
}

void jobstate_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

static int state_path(const char *state_dir, const char *job, char *buf, size_t len)
{
	char dir[4096];
	int r;

	r = subdir(state_dir, "jobs", dir, sizeof(dir));
	if (r < 0)
		return r;
	if ((size_t)snprintf(buf, len, "%s/%s.json", dir, job) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int jobstate_load(const char *state_dir, const char *job, json_t **out)
{
	char path[4200];
	json_error_t jerr;
	int r;

	*out = NULL;
	r = state_path(state_dir, job, path, sizeof(path));
	if (r < 0)
		return r;
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		*out = json_object();
		return *out ? 0 : -ENOMEM;
	}
	*out = json_load_file(path, 0, &jerr);
	if (!*out || !json_is_object(*out)) {
		log_error("%s: unreadable state: %s", path, *out ? "not an object" : jerr.text);
		json_decref(*out);
		*out = NULL;
		return -EBADMSG;
	}
	return 0;
}

int jobstate_record_run(const char *state_dir, const char *job, json_t *run)
{
	const char *result = json_string_value(json_object_get(run, "result"));
	char path[4200], *text;
	json_t *state;
	int r;

	r = jobstate_load(state_dir, job, &state);
	if (r == -EBADMSG) {
		/* A corrupt state file must not stop backups: start it afresh. */
		state = json_object();
		r = state ? 0 : -ENOMEM;
	}
	if (r < 0)
		return r;
	json_object_set(state, "last_run", run);
	if (result && strcmp(result, "ok") == 0) {
		json_object_set(state, "last_good", run);
		json_object_set_new(state, "failures", json_integer(0));
	} else if (result && strcmp(result, "failed") == 0) {
		json_int_t f = json_integer_value(json_object_get(state, "failures"));

		json_object_set_new(state, "failures", json_integer(f + 1));
	}
	text = json_dumps(state, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(state);
	if (!text)
		return -ENOMEM;
	r = state_path(state_dir, job, path, sizeof(path));
	if (r == 0) {
		r = fs_write_atomic(path, text, strlen(text), 0600);
		if (r < 0)
			log_err(LOG_LVL_ERROR, -r, "%s: cannot write", path);
	}
	free(text);
	return r;
}

int jobstate_lock_dbdump(const char *state_dir, bool dumping, volatile sig_atomic_t *cancel,
			 int *fd_out, double *waited)
{
	struct timespec t0, t1, step = { 0, 500000000 };
	char path[4200];
	bool told = false;
	int fd;

	*fd_out = -1;
	*waited = 0;
	fd = open_lock(state_dir, "dbdump", path, sizeof(path));
	if (fd < 0)
		return fd;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Dumps share the lock; an exclusive files or logs job waits for all of
	 * them, and they for it. */
	while (flock(fd, (dumping ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			int r = -errno;

			log_err(LOG_LVL_ERROR, errno, "%s: cannot lock", path);
			close(fd);
			return r;
		}
		if (!told) {
			log_info(dumping ? "waiting: an exclusive files or logs job is running"
					 : "waiting: a database dump of this host is running (exclusive = yes)");
			told = true;
		}
		if (cancel && *cancel) {
			close(fd);
			return -ECANCELED;
		}
		nanosleep(&step, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	*fd_out = fd;
	return 0;
}

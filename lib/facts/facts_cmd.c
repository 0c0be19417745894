/*
 * facts_cmd — see facts_cmd.h.  posix_spawn with a pipe for both output
 * streams; poll with a deadline; SIGKILL to the child when it is reached.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "facts_cmd.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int keep(struct facts_cmd_result *res, size_t *cap, size_t max, const char *buf, size_t n,
		int *truncated)
{
	if (res->len + n > max) {
		n = max - res->len;
		if (truncated)
			*truncated = 1;
	}
	if (n == 0)
		return 0;
	if (res->len + n + 1 > *cap) {
		size_t ncap = (res->len + n + 1) * 2;
		char *p;

		if (ncap > max + 1)
			ncap = max + 1;
		p = realloc(res->output, ncap);
		if (!p)
			return -ENOMEM;
		res->output = p;
		*cap = ncap;
	}
	memcpy(res->output + res->len, buf, n);
	res->len += n;
	res->output[res->len] = '\0';
	return 0;
}

int facts_cmd_run(char *const argv[], int timeout_ms, struct facts_cmd_result *res)
{
	return facts_cmd_run_max(argv, timeout_ms, FACTS_CMD_MAX_OUTPUT, res, NULL);
}

int facts_cmd_run_max(char *const argv[], int timeout_ms, size_t max, struct facts_cmd_result *res,
		      int *truncated)
{
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
	posix_spawn_file_actions_t fa;
	long long deadline;
	size_t cap = 0;
	int pipefd[2], r, wst;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (truncated)
		*truncated = 0;
	if (!argv[0] || argv[0][0] != '/')
		return -EINVAL;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	r = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (r != 0) {
		close(pipefd[0]);
		return -r;
	}
	res->output = calloc(1, 1);
	if (!res->output) {
		r = -ENOMEM;
		goto kill;
	}
	cap = 1;
	deadline = now_ms() + timeout_ms;
	for (;;) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		long long left = deadline - now_ms();
		char buf[4096];
		ssize_t n;

		if (left <= 0) {
			res->timed_out = 1;
			break;
		}
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			goto kill;
		}
		if (r == 0)
			continue;
		n = read(pipefd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto kill;
		}
		if (n == 0)
			break;
		if ((r = keep(res, &cap, max, buf, (size_t)n, truncated)) < 0)
			goto kill;
	}
	close(pipefd[0]);
	/* Output is done (or the time is up): wait for the exit until the
	 * deadline, then kill.  A program that closed its output and went on
	 * running, or a daemon it forked that holds the pipe, costs no more
	 * than the timeout. */
	for (;;) {
		pid_t w = waitpid(pid, &wst, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -errno;
		if (w == 0 && now_ms() >= deadline) {
			res->timed_out = 1;
			kill(pid, SIGKILL);
			while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
				;
			break;
		}
		if (w == 0)
			usleep(2000);
	}
	res->status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
	return 0;
kill:
	close(pipefd[0]);
	kill(pid, SIGKILL);
	while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
		;
	facts_cmd_result_free(res);
	return r;
}

void facts_cmd_result_free(struct facts_cmd_result *res)
{
	free(res->output);
	res->output = NULL;
	res->len = 0;
}

/*
 * facts_proc — what the kernel shows in /proc: the listening sockets
 * (TCP in LISTEN, UDP unconnected, IPv4 and IPv6) with the process behind
 * each (found by the socket's inode among /proc/PID/fd), and the mounted
 * file systems.  No netstat, ss or lsof is run.  A process that exits
 * between the two reads is simply not named.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "facts.h"

struct sock {
	unsigned long inode;
	char proto[5];
	char addr[INET6_ADDRSTRLEN];
	unsigned port;
	json_t *procs;		/* names of processes holding it */
};

struct socks {
	struct sock *v;
	size_t n, cap;
};

/* "0100007F" (IPv4) or 32 hex digits (IPv6), in the kernel's byte order. */
static void hex_addr(const char *hex, bool v6, char *out)
{
	unsigned char b[16];
	size_t n = v6 ? 16 : 4;

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			v = 0;
		b[i] = (unsigned char)v;
	}
	/* Each 32-bit word is in host (little-endian) order: swap within words. */
	for (size_t w = 0; w < n; w += 4) {
		unsigned char t = b[w];

		b[w] = b[w + 3];
		b[w + 3] = t;
		t = b[w + 1];
		b[w + 1] = b[w + 2];
		b[w + 2] = t;
	}
	inet_ntop(v6 ? AF_INET6 : AF_INET, b, out, INET6_ADDRSTRLEN);
}

static int read_table(struct socks *s, const char *file, const char *proto, bool v6, bool udp)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(file, "re");

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	if (getline(&line, &cap, f) < 0) {	/* header */
		free(line);
		fclose(f);
		return 0;
	}
	while (getline(&line, &cap, f) >= 0) {
		char local[64], rem[64];
		unsigned st, port;
		unsigned long inode;
		char *colon;

		if (sscanf(line, " %*u: %63s %63s %x %*s %*s %*s %*u %*u %lu", local, rem, &st, &inode) != 4)
			continue;
		if ((!udp && st != 0x0A) || (udp && st != 0x07))
			continue;
		colon = strchr(local, ':');
		if (!colon || sscanf(colon + 1, "%x", &port) != 1)
			continue;
		*colon = '\0';
		if (s->n == s->cap) {
			size_t nc = s->cap ? s->cap * 2 : 32;
			struct sock *nv = realloc(s->v, nc * sizeof(*nv));

			if (!nv) {
				free(line);
				fclose(f);
				return -ENOMEM;
			}
			s->v = nv;
			s->cap = nc;
		}
		memset(&s->v[s->n], 0, sizeof(s->v[0]));
		s->v[s->n].inode = inode;
		snprintf(s->v[s->n].proto, sizeof(s->v[0].proto), "%s", proto);
		hex_addr(local, v6, s->v[s->n].addr);
		s->v[s->n].port = port;
		s->v[s->n].procs = json_array();
		s->n++;
	}
	free(line);
	fclose(f);
	return 0;
}

/* Names each socket's processes: "PID comm (exe)". */
static void find_owners(struct socks *s)
{
	DIR *proc = opendir("/proc");
	struct dirent *de;

	if (!proc)
		return;
	while ((de = readdir(proc))) {
		char path[300], comm[64] = "", exe[1024] = "";
		struct dirent *fe;
		DIR *fds;
		ssize_t n;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", de->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((fe = readdir(fds))) {
			char lp[600], link[64];
			unsigned long ino;

			if (fe->d_name[0] == '.')
				continue;
			snprintf(lp, sizeof(lp), "/proc/%s/fd/%s", de->d_name, fe->d_name);
			n = readlink(lp, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (sscanf(link, "socket:[%lu]", &ino) != 1)
				continue;
			for (size_t i = 0; i < s->n; i++) {
				char who[1200];
				FILE *f;

				if (s->v[i].inode != ino)
					continue;
				if (!comm[0]) {
					snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
					if ((f = fopen(path, "re"))) {
						if (fgets(comm, sizeof(comm), f))
							comm[strcspn(comm, "\n")] = '\0';
						fclose(f);
					}
					snprintf(path, sizeof(path), "/proc/%s/exe", de->d_name);
					n = readlink(path, exe, sizeof(exe) - 1);
					exe[n > 0 ? n : 0] = '\0';
				}
				snprintf(who, sizeof(who), "%s %s%s%s%s", de->d_name, comm,
					 exe[0] ? " (" : "", exe, exe[0] ? ")" : "");
				json_array_append_new(s->v[i].procs, facts_text(who, strlen(who)));
			}
		}
		closedir(fds);
	}
	closedir(proc);
}

static void listening(json_t *obj)
{
	struct socks s = { 0 };
	json_t *arr = json_array();
	int r = 0;

	r = r ? r : read_table(&s, "/proc/net/tcp", "tcp", false, false);
	r = r ? r : read_table(&s, "/proc/net/tcp6", "tcp6", true, false);
	r = r ? r : read_table(&s, "/proc/net/udp", "udp", false, true);
	r = r ? r : read_table(&s, "/proc/net/udp6", "udp6", true, true);
	find_owners(&s);
	for (size_t i = 0; i < s.n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:o}", "proto", s.v[i].proto,
						     "address", s.v[i].addr, "port", (int)s.v[i].port,
						     "processes", s.v[i].procs));
	free(s.v);
	if (r < 0)
		json_array_append_new(arr, json_pack("{s:s}", "error", strerror(-r)));
	json_object_set_new(obj, "listening", arr);
}

/* /proc/self/mounts escapes space, tab, newline and backslash as \ooo. */
static json_t *unescape(const char *s)
{
	char buf[4096];
	size_t o = 0;

	for (; *s && o < sizeof(buf) - 1; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			buf[o++] = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			buf[o++] = *s;
		}
	}
	return facts_text(buf, o);
}

static void mounts(json_t *obj)
{
	json_t *arr = json_array();
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/mounts", "re");

	if (!f) {
		json_array_append_new(arr, json_pack("{s:s}", "error", strerror(errno)));
		json_object_set_new(obj, "mounts", arr);
		return;
	}
	while (getline(&line, &cap, f) >= 0) {
		char *save = NULL, *src = strtok_r(line, " \n", &save);
		char *dst = strtok_r(NULL, " \n", &save), *type = strtok_r(NULL, " \n", &save);
		char *opts = strtok_r(NULL, " \n", &save);

		if (!src || !dst || !type || !opts)
			continue;
		json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:o}", "source", unescape(src),
						     "target", unescape(dst), "type", unescape(type),
						     "options", unescape(opts)));
	}
	free(line);
	fclose(f);
	json_object_set_new(obj, "mounts", arr);
}

int facts_proc(json_t *obj)
{
	listening(obj);
	mounts(obj);
	return 0;
}

/*
 * facts_system — the machine itself: OS release (/etc/os-release), kernel
 * (uname), host name, uptime, and whether it runs virtualised or in a
 * container (from what the kernel shows: /proc/1/environ's container=,
 * /.dockerenv, the cpuinfo hypervisor flag and the DMI vendor strings).
 * It does not run systemd-detect-virt: the files it reads are the same.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "facts.h"

#define SMALL_FILE (64 * 1024)

/* os-release values are shell-quoted; this takes the plain and "quoted" forms. */
static void os_release(json_t *obj)
{
	static const char *const keep[] = { "PRETTY_NAME", "NAME", "ID", "VERSION_ID", "VERSION_CODENAME" };
	json_t *os = json_object();
	char *text = NULL, *line, *save = NULL;
	int r;

	r = facts_read_file("/etc/os-release", SMALL_FILE, &text, NULL, NULL);
	if (r < 0)
		r = facts_read_file("/usr/lib/os-release", SMALL_FILE, &text, NULL, NULL);
	if (r < 0) {
		json_object_set_new(os, "error", json_string(strerror(-r)));
		json_object_set_new(obj, "os", os);
		return;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '='), *v;
		size_t vl;

		if (!eq)
			continue;
		*eq = '\0';
		v = eq + 1;
		vl = strlen(v);
		if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
			v++;
			vl -= 2;
		}
		for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if (strcmp(line, keep[i]) == 0) {
				char key[32];
				size_t k;

				for (k = 0; line[k] && k < sizeof(key) - 1; k++)
					key[k] = (char)(line[k] >= 'A' && line[k] <= 'Z' ? line[k] + 32 : line[k]);
				key[k] = '\0';
				json_object_set_new(os, key, facts_text(v, vl));
			}
	}
	free(text);
	json_object_set_new(obj, "os", os);
}

static void kernel(json_t *obj)
{
	struct utsname u;

	if (uname(&u) < 0) {
		json_object_set_new(obj, "kernel", json_pack("{s:s}", "error", strerror(errno)));
		return;
	}
	json_object_set_new(obj, "kernel", json_pack("{s:s, s:s, s:s, s:s}", "name", u.sysname,
						     "release", u.release, "version", u.version,
						     "machine", u.machine));
}

/* "container": what PID 1's environment says (docker, lxc, podman,
 * systemd-nspawn); "hypervisor": from cpuinfo's flag and DMI's vendor. */
static json_t *virtualisation(void)
{
	json_t *v = json_object();
	char *text = NULL;
	size_t len;

	if (facts_read_file("/proc/1/environ", SMALL_FILE, &text, &len, NULL) == 0) {
		/* NUL-separated NAME=VALUE strings. */
		for (size_t i = 0; i < len;) {
			size_t n = strnlen(text + i, len - i);

			if (n > 10 && strncmp(text + i, "container=", 10) == 0)
				json_object_set_new(v, "container", facts_text(text + i + 10, n - 10));
			i += n + 1;
		}
		free(text);
	}
	if (!json_object_get(v, "container") && access("/.dockerenv", F_OK) == 0)
		json_object_set_new(v, "container", json_string("docker"));
	if (facts_read_file("/proc/cpuinfo", 1024 * 1024, &text, NULL, NULL) == 0) {
		json_object_set_new(v, "hypervisor_flag", json_boolean(strstr(text, " hypervisor") != NULL));
		free(text);
	}
	if (facts_read_file("/sys/class/dmi/id/sys_vendor", 256, &text, NULL, NULL) == 0) {
		text[strcspn(text, "\n")] = '\0';
		json_object_set_new(v, "vendor", facts_text(text, strlen(text)));
		free(text);
	}
	if (facts_read_file("/sys/class/dmi/id/product_name", 256, &text, NULL, NULL) == 0) {
		text[strcspn(text, "\n")] = '\0';
		json_object_set_new(v, "product", facts_text(text, strlen(text)));
		free(text);
	}
	return v;
}

int facts_system(json_t *obj)
{
	char host[256] = "";
	char *up = NULL;
	json_t *h = json_object();

	os_release(obj);
	kernel(obj);
	if (gethostname(host, sizeof(host) - 1) == 0)
		json_object_set_new(h, "hostname", facts_text(host, strlen(host)));
	else
		json_object_set_new(h, "hostname_error", json_string(strerror(errno)));
	if (facts_read_file("/proc/uptime", 256, &up, NULL, NULL) == 0) {
		json_object_set_new(h, "uptime_seconds", json_integer((json_int_t)strtod(up, NULL)));
		free(up);
	}
	json_object_set_new(h, "virtualisation", virtualisation());
	json_object_set_new(obj, "host", h);
	return 0;
}

/*
 * fsowner — see fsowner.h.  Capabilities are read and set with the raw
 * capget/capset system calls (no libcap): only the effective set changes,
 * to what the permitted set allows.
 */
#include "fsowner.h"

#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

int fsowner_of(const char *dir, uid_t *uid, gid_t *gid)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*uid = st.st_uid;
	*gid = st.st_gid;
	return 0;
}

/* Raises every permitted capability into the effective set again. */
static int raise_effective(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	for (size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		data[i].effective = data[i].permitted;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

int fsowner_adopt(const char *dir, uid_t *uid, gid_t *gid)
{
	uid_t u;
	gid_t g;
	int r;

	if (geteuid() != 0)
		return 0;
	r = fsowner_of(dir, &u, &g);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		log_err(LOG_LVL_ERROR, -r, "%s: cannot see who owns it", dir);
		return r;
	}
	if (u == 0)
		return 0;
	/* setfsgid first: the gid can no longer be changed once the fsuid
	 * is not root's.  Both return the previous value; success shows in
	 * a second call, which returns the current one. */
	setfsgid(g);
	setfsuid(u);
	if ((gid_t)setfsgid((gid_t)-1) != g || (uid_t)setfsuid((uid_t)-1) != u) {
		log_error("%s: cannot create files as its owner (uid %u, gid %u)", dir, (unsigned)u, (unsigned)g);
		return -EPERM;
	}
	r = raise_effective();
	if (r < 0) {
		log_err(LOG_LVL_ERROR, -r, "%s: cannot keep root's capabilities while creating files as uid %u",
			dir, (unsigned)u);
		return r;
	}
	if (uid)
		*uid = u;
	if (gid)
		*gid = g;
	return 1;
}

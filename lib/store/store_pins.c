/*
 * store_pins — pinning a backup so that no retention policy removes it.  The
 * pin is a small file beside the record ("backup-DD-NN.pin": reason and
 * time), written atomically; the record itself is never rewritten.
 *
 * What it does not do: decide what a pin means (retention and store_remove
 * read it through store_entry.pin).
 */
#include "store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "timefmt.h"

static int pin_path(struct store *st, const char *job, const char *id, char id_out[STORE_ID_MAX],
		    char path[STORE_PATH_MAX])
{
	struct store_entry e;
	int rc;

	rc = store_get(st, job, id, &e);
	if (rc < 0)
		return rc;
	if (id_out)
		snprintf(id_out, STORE_ID_MAX, "%s", e.id);
	rc = store_path(st, job, &e.parts, "pin", path, STORE_PATH_MAX);
	store_entry_free(&e);
	return rc;
}

int store_pin(struct store *st, const char *job, const char *id, const char *reason,
	      time_t now, char id_out[STORE_ID_MAX])
{
	char path[STORE_PATH_MAX], when[TIMEFMT_RFC3339_LEN];
	char *text;
	json_t *pin;
	int rc;

	rc = pin_path(st, job, id, id_out, path);
	if (rc < 0)
		return rc;
	timefmt_rfc3339(now, when);
	pin = json_pack("{s:s, s:s?}", "pinned_at", when, "reason", reason);
	text = pin ? json_dumps(pin, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(pin);
	if (!text)
		return -ENOMEM;
	rc = fs_write_atomic(path, text, strlen(text), 0600);
	free(text);
	if (rc < 0)
		log_err(LOG_LVL_ERROR, -rc, "%s: cannot write", path);
	return rc;
}

int store_unpin(struct store *st, const char *job, const char *id, char id_out[STORE_ID_MAX])
{
	char path[STORE_PATH_MAX], dir[STORE_PATH_MAX];
	int rc;

	rc = pin_path(st, job, id, id_out, path);
	if (rc < 0)
		return rc;
	if (unlink(path) < 0) {
		rc = -errno;
		if (rc != -ENOENT)
			log_err(LOG_LVL_ERROR, errno, "%s: cannot remove", path);
		return rc;
	}
	if (fs_dirname(path, dir, sizeof(dir)) == 0 && fs_fsync_dir(dir) < 0)
		log_warn("%s: cannot fsync", dir);
	return 0;
}

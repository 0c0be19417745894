/*
 * watch_flags — the risk flags of a change a watch check found, and the
 * small, documented set of web-shell signatures (watch_flags.c says exactly
 * what each one matches).  Pure functions over a path, a mode, a symlink
 * target and the first bytes of a file: no I/O here.
 *
 * Everything looked at is hostile: paths are raw bytes (any byte but '/' and
 * NUL in a name, not UTF-8, newlines, any length), contents are binary.
 */
#ifndef LIFEBOAT_WATCH_FLAGS_H
#define LIFEBOAT_WATCH_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "watch_compare.h"

enum {
	WF_SCRIPT = 1 << 0,		/* a new or changed script */
	WF_SCRIPT_UPLOAD = 1 << 1,	/* ... inside an upload or cache directory (louder) */
	WF_HIDDEN = 1 << 2,		/* a hidden file or directory (a component starts with '.') */
	WF_SYMLINK_OUT = 1 << 3,	/* a symlink pointing outside the tree */
	WF_SETID = 1 << 4,		/* setuid or setgid */
	WF_WORLD_WRITABLE = 1 << 5,	/* writable by anyone (not a symlink) */
	WF_TIMESTOMP = 1 << 6,		/* content changed behind an unchanged or backdated mtime */
	WF_WEBSHELL = 1 << 7,		/* a web-shell marker in the content */
	WF_COUNT = 8,
};

/* The name of one flag bit ("script", "webshell", ...). */
const char *watch_flag_name(unsigned bit);
/* "script,hidden": the names of FLAGS, into BUF ("" when none). */
void watch_flags_text(unsigned flags, char *buf, size_t len);
/* The same for any bit set: NAMES[i] names bit i, for the first COUNT bits
 * (watch_what_text's too). */
void watch_bits_text(unsigned bits, const char *const *names, int count, char *buf, size_t len);
/* Flags that make a finding critical rather than a warning. */
bool watch_flags_critical(unsigned flags);

/* PATH (relative, '/'-separated) names a script by its last component. */
bool watch_is_script(const char *path);
/* A directory of PATH is an upload or cache directory. */
bool watch_in_upload_dir(const char *path);
/* A component of PATH starts with '.'. */
bool watch_is_hidden(const char *path);
/* A symlink at PATH (relative to ROOT, absolute) with TARGET leaves ROOT.
 * Decided on the text, as the kernel would resolve it if no component of
 * it were itself a symlink. */
bool watch_symlink_escapes(const char *root, const char *path, const char *target);

/* The name of the first web-shell signature found in BUF (LEN bytes, the
 * start of a file), or NULL. */
const char *watch_signature(const unsigned char *buf, size_t len);

/* Sets IT's flags and signature from its path, its live side, its old side
 * and HEAD (the file's first HEADLEN bytes, or NULL).  ROOT is the tree's. */
void watch_flags_item(struct wc_item *it, const char *root, const unsigned char *head, size_t headlen);

#endif

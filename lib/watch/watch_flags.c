/*
 * watch_flags — see watch_flags.h.
 *
 * Scripts: a last component ending in .php .phtml .phar .php3 .. .php8 .pht
 * .inc .cgi .pl .py .sh (any case), or named .htaccess or .user.ini.
 *
 * Upload or cache directories: a directory component (not the file's own
 * name) containing "upload" or "cache" (any case), or named tmp or temp.
 *
 * Web-shell signatures, matched case-insensitively on the first
 * WATCH_SCAN_MAX bytes of a new or changed file:
 *   "exec-decoded"  an executing call — eval assert system exec shell_exec
 *                   passthru popen proc_open create_function call_user_func
 *                   — as a word followed by "(" (spaces allowed), with within
 *                   the next 256 bytes one of base64_decode gzinflate
 *                   gzuncompress gzdecode str_rot13 $_POST $_GET $_REQUEST
 *                   $_COOKIE php://input: running what a request sent or what
 *                   was hidden by encoding;
 *   "preg-e"        preg_replace( with a quoted pattern whose modifiers
 *                   after the closing delimiter include "e" (code execution
 *                   in old PHP);
 *   "image-php"     a file starting with an image header (GIF8, PNG's
 *                   \x89PNG, JPEG's \xff\xd8\xff) that holds "<?php" or "<?=":
 *                   a script disguised as an upload.
 * These are markers, not proof: obfuscated shells exist that none of them
 * match, and legitimate code can match (an installer's eval of base64).
 */
#include "watch_flags.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const flag_names[WF_COUNT] = {
	"script", "script_in_upload_dir", "hidden", "symlink_outside", "setid", "world_writable",
	"timestomp", "webshell",
};

const char *watch_flag_name(unsigned bit)
{
	for (int i = 0; i < WF_COUNT; i++)
		if (bit == 1u << i)
			return flag_names[i];
	return "?";
}

void watch_bits_text(unsigned bits, const char *const *names, int count, char *buf, size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = 0;
	for (int i = 0; i < count && off < len; i++)
		if (bits & (1u << i))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "", names[i]);
}

void watch_flags_text(unsigned flags, char *buf, size_t len)
{
	watch_bits_text(flags, flag_names, WF_COUNT, buf, len);
}

bool watch_flags_critical(unsigned flags)
{
	return flags & (WF_WEBSHELL | WF_SETID | WF_SYMLINK_OUT | WF_TIMESTOMP | WF_SCRIPT_UPLOAD);
}

static const char *last_component(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static bool ends_with_ci(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

bool watch_is_script(const char *path)
{
	static const char *const ext[] = {
		".php", ".phtml", ".phar", ".php3", ".php4", ".php5", ".php6", ".php7", ".php8", ".pht",
		".inc", ".cgi", ".pl", ".py", ".sh",
	};
	const char *name = last_component(path);
	size_t n = strlen(name);

	if (strcasecmp(name, ".htaccess") == 0 || strcasecmp(name, ".user.ini") == 0)
		return true;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (n > strlen(ext[i]) && ends_with_ci(name, n, ext[i]))
			return true;
	return false;
}

/* Calls FN on each component of PATH but the last; true when one says so. */
static bool any_dir_component(const char *path, bool (*fn)(const char *c, size_t n))
{
	const char *p = path, *slash;

	while ((slash = strchr(p, '/')) != NULL) {
		if (fn(p, (size_t)(slash - p)))
			return true;
		p = slash + 1;
	}
	return false;
}

static bool contains_ci(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return true;
	return false;
}

static bool is_upload_component(const char *c, size_t n)
{
	return contains_ci(c, n, "upload") || contains_ci(c, n, "cache") ||
	       (n == 3 && strncasecmp(c, "tmp", 3) == 0) || (n == 4 && strncasecmp(c, "temp", 4) == 0);
}

bool watch_in_upload_dir(const char *path)
{
	return any_dir_component(path, is_upload_component);
}

bool watch_is_hidden(const char *path)
{
	const char *p = path;

	for (;;) {
		if (p[0] == '.' && p[1] && p[1] != '/' && !(p[1] == '.' && (p[2] == 0 || p[2] == '/')))
			return true;
		p = strchr(p, '/');
		if (!p)
			return false;
		p++;
	}
}

/* Depth change of walking the components of T from depth D; false when it
 * climbs above 0. */
static bool walk_components(const char *t, long *d)
{
	while (*t) {
		const char *e = strchr(t, '/');
		size_t n = e ? (size_t)(e - t) : strlen(t);

		if (n == 2 && t[0] == '.' && t[1] == '.') {
			if (--*d < 0)
				return false;
		} else if (n > 0 && !(n == 1 && t[0] == '.')) {
			++*d;
		}
		t += n;
		if (*t == '/')
			t++;
	}
	return true;
}

bool watch_symlink_escapes(const char *root, const char *path, const char *target)
{
	long depth = 0;
	const char *p = path;

	if (target[0] == '/') {
		size_t rl = strlen(root);

		while (rl > 1 && root[rl - 1] == '/')
			rl--;
		if (strncmp(target, root, rl) != 0 || (target[rl] != '/' && target[rl] != 0))
			return true;
		return !walk_components(target + rl, &depth);
	}
	/* The link's directory: every component of PATH but the last. */
	while (strchr(p, '/')) {
		const char *e = strchr(p, '/');

		if (!(e - p == 1 && p[0] == '.'))
			depth++;
		p = e + 1;
	}
	return !walk_components(target, &depth);
}

/* ---- signatures ---------------------------------------------------------- */

static bool is_word(unsigned char c)
{
	return isalnum(c) || c == '_';
}

/* The next occurrence of NEEDLE (lower case) in the lowered buffer, or NULL. */
static const unsigned char *find(const unsigned char *b, size_t len, size_t from, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = from; i + k <= len; i++)
		if (b[i] == (unsigned char)needle[0] && memcmp(b + i, needle, k) == 0)
			return b + i;
	return NULL;
}

static bool exec_decoded(const unsigned char *b, size_t len)
{
	static const char *const calls[] = {
		"eval", "assert", "system", "exec", "shell_exec", "passthru", "popen", "proc_open",
		"create_function", "call_user_func",
	};
	static const char *const sources[] = {
		"base64_decode", "gzinflate", "gzuncompress", "gzdecode", "str_rot13", "$_post", "$_get",
		"$_request", "$_cookie", "php://input",
	};

	for (size_t c = 0; c < sizeof(calls) / sizeof(calls[0]); c++) {
		size_t k = strlen(calls[c]);

		for (const unsigned char *m = find(b, len, 0, calls[c]); m; m = find(b, len, (size_t)(m - b) + 1, calls[c])) {
			size_t i = (size_t)(m - b) + k, end;

			if (m > b && is_word(m[-1]))
				continue;
			while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
				i++;
			if (i >= len || b[i] != '(')
				continue;
			end = i + 256 < len ? i + 256 : len;
			for (size_t s = 0; s < sizeof(sources) / sizeof(sources[0]); s++)
				if (find(b, end, i, sources[s]))
					return true;
		}
	}
	return false;
}

static bool preg_e(const unsigned char *b, size_t len)
{
	for (const unsigned char *m = find(b, len, 0, "preg_replace"); m;
	     m = find(b, len, (size_t)(m - b) + 1, "preg_replace")) {
		size_t i = (size_t)(m - b) + strlen("preg_replace");
		unsigned char q, d;

		while (i < len && isspace(b[i]))
			i++;
		if (i >= len || b[i] != '(')
			continue;
		i++;
		while (i < len && isspace(b[i]))
			i++;
		if (i + 2 >= len || (b[i] != '\'' && b[i] != '"'))
			continue;
		q = b[i++];
		d = b[i++];
		/* The closing delimiter: the last D before the closing quote. */
		for (size_t j = i, last = 0; j < len && j < i + 4096; j++) {
			if (b[j] == '\\') {
				j++;
				continue;
			}
			if (b[j] == d)
				last = j;
			if (b[j] == q) {
				if (last)
					for (size_t f = last + 1; f < j; f++)
						if (b[f] == 'e')
							return true;
				break;
			}
		}
	}
	return false;
}

static bool image_php(const unsigned char *raw, const unsigned char *b, size_t len)
{
	bool image = (len >= 4 && memcmp(raw, "GIF8", 4) == 0) ||
		     (len >= 4 && memcmp(raw, "\x89PNG", 4) == 0) ||
		     (len >= 3 && memcmp(raw, "\xff\xd8\xff", 3) == 0);

	return image && (find(b, len, 0, "<?php") || find(b, len, 0, "<?="));
}

const char *watch_signature(const unsigned char *buf, size_t len)
{
	unsigned char *low;
	const char *hit = NULL;

	if (!buf || !len)
		return NULL;
	if (len > WATCH_SCAN_MAX)
		len = WATCH_SCAN_MAX;
	low = malloc(len);
	if (!low)
		return NULL;
	for (size_t i = 0; i < len; i++)
		low[i] = (unsigned char)tolower(buf[i]);
	if (image_php(buf, low, len))
		hit = "image-php";
	else if (exec_decoded(low, len))
		hit = "exec-decoded";
	else if (preg_e(low, len))
		hit = "preg-e";
	free(low);
	return hit;
}

void watch_flags_item(struct wc_item *it, const char *root, const unsigned char *head, size_t headlen)
{
	const struct fi_entry *e = &it->cur;
	const char *sig;

	it->flags = 0;
	it->signature[0] = 0;
	if (it->change == WC_REMOVED || !it->has_new)
		return;
	if (watch_is_hidden(it->path))
		it->flags |= WF_HIDDEN;
	if (e->type == 'f' && (it->change == WC_ADDED || (it->what & (WC_CONTENT | WC_TYPE))) &&
	    watch_is_script(it->path)) {
		it->flags |= WF_SCRIPT;
		if (watch_in_upload_dir(it->path))
			it->flags |= WF_SCRIPT_UPLOAD;
	}
	if (e->type == 'l' && it->target && watch_symlink_escapes(root, it->path, it->target))
		it->flags |= WF_SYMLINK_OUT;
	if (e->type == 'f' && (e->mode & (S_ISUID | S_ISGID)))
		it->flags |= WF_SETID;
	if (e->type != 'l' && (e->mode & S_IWOTH))
		it->flags |= WF_WORLD_WRITABLE;
	if (it->change == WC_CHANGED && (it->what & WC_CONTENT) && e->type == 'f') {
		if (it->has_old && it->old.mtime_s == e->mtime_s && it->old.mtime_ns == e->mtime_ns)
			it->flags |= WF_TIMESTOMP;
		if (e->ctime_s - e->mtime_s > 86400)
			it->flags |= WF_TIMESTOMP;
	}
	sig = head ? watch_signature(head, headlen) : NULL;
	if (sig) {
		it->flags |= WF_WEBSHELL;
		snprintf(it->signature, sizeof(it->signature), "%s", sig);
	}
}

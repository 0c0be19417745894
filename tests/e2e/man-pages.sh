# The man pages: lifeboat(1), lifeboatd(8) and lifeboat.ini(5) build from
# their scdoc sources, render with man(1) without a warning, are installed by
# meson, and cannot fall out of date: every key of the key tables is in
# lifeboat.ini(5) with its default, every command of `lifeboat --help` and
# each of its options in lifeboat(1) (tests/helpers/man-check.py, which is
# also shown to catch a missing key, default, command and option).
# Drives: daemon/man/*.scd, tests/helpers/keytable.c, tests/helpers/man-check.py (no lib module).
set -e
. "$(dirname "$0")/lib.sh"
: "${BUILDDIR:?run through meson test}" "${KEYTABLE:?run through meson test}"
MESON=${MESON:-meson}
MANDIR=$BUILDDIR/daemon/man
CHECK=$SRCDIR/tests/helpers/man-check.py
SCD=$SRCDIR/daemon/man

if [ ! -f "$MANDIR/lifeboat.1" ]; then
	echo "SKIP: the man pages were not built (scdoc missing, or -Dman=disabled)"
	exit 77
fi
command -v man >/dev/null || { echo "SKIP: man(1) missing (apt-get install man-db)"; exit 77; }

# Each page renders, with no warning from groff or man.
for page in lifeboat.1 lifeboatd.8 lifeboat.ini.5; do
	CHECKS=$((CHECKS + 1))
	warnings=$(MANWIDTH=80 man --warnings -l "$MANDIR/$page" 2>&1 >/dev/null)
	[ -z "$warnings" ] || fail "man --warnings -l $page: $warnings"
	text=$(MANWIDTH=80 man -l "$MANDIR/$page" 2>/dev/null | col -b)
	contains "$text" "NAME" "$page"
	contains "$text" "SEE ALSO" "$page"
done
text=$(MANWIDTH=80 man -l "$MANDIR/lifeboat.ini.5" 2>/dev/null | col -b)
contains "$text" "metrics_file = path"
contains "$text" "Default: /var/backups/lifeboat."
text=$(MANWIDTH=80 man -l "$MANDIR/lifeboatd.8" 2>/dev/null | col -b)
for word in SIGHUP SIGTERM READY=1 WATCHDOG=1 STOPPING=1 --version "EXIT STATUS" FILES; do
	contains "$text" "$word" "lifeboatd(8)"
done

# The keys against the tables, the commands against --help.
"$KEYTABLE" >"$TMP/keys.tsv"
"$LIFEBOAT" --help >"$TMP/help.txt"
expect_rc 0 python3 "$CHECK" keys "$TMP/keys.tsv" "$SCD/lifeboat.ini.5.scd"
expect_rc 0 python3 "$CHECK" commands "$TMP/help.txt" "$SCD/lifeboat.1.scd"
# lifeboatd's options too.
for opt in -n --config --version --help; do
	contains "$(cat "$SCD/lifeboatd.8.scd")" "*$opt*" "lifeboatd(8)'s options"
done
contains "$("$LIFEBOAT" --version)" "lifeboat "
contains "$("$LIFEBOATD" --version)" "lifeboatd "

# The checker catches what it must: a key left out, a wrong default, a new
# command, an option left out; each named in its message.
sed '/^\*max_chain\* = /,/^$/d; s/Default: 24h/Default: 12h/' "$SCD/lifeboat.ini.5.scd" >"$TMP/ini.scd"
printf 'lifeboat\tnew_key\t5m\n' >>"$TMP/keys.tsv"
expect_rc 1 python3 "$CHECK" keys "$TMP/keys.tsv" "$TMP/ini.scd"
contains "$OUT" "key 'max_chain' (files) is not documented"
contains "$OUT" "key 'verify_every' (logs): its entry must say 'Default: 24h'"
contains "$OUT" "key 'new_key' (lifeboat) is not documented"
sed 's/^  ack /  newcmd JOB [--json]\n  ack /' "$TMP/help.txt" >"$TMP/help2.txt"
sed 's/\*--reason\*/reason/g' "$SCD/lifeboat.1.scd" >"$TMP/cli.scd"
expect_rc 1 python3 "$CHECK" commands "$TMP/help2.txt" "$TMP/cli.scd"
contains "$OUT" "command 'newcmd' is not documented"
contains "$OUT" "command 'pin': option '--reason' is not documented"

# meson installs them in mandir/manN.
dest=$TMP/dest
expect_rc 0 "$MESON" install -C "$BUILDDIR" --no-rebuild --quiet --destdir "$dest"
for page in man1/lifeboat.1 man8/lifeboatd.8 man5/lifeboat.ini.5; do
	CHECKS=$((CHECKS + 1))
	[ -n "$(find "$dest" -path "*/man/$page")" ] || fail "$page not installed"
done

done_ok

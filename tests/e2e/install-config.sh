# `meson install` never overwrites an edited config: the example goes to
# <datadir>/doc/lifeboat/lifeboat.ini.example every time, and to
# <sysconfdir>/lifeboat/lifeboat.ini only when none is there.  Installs twice
# into a --destdir, the config edited in between: the edit survives.
# Drives: conf/install-config.sh, conf/meson.build (no lib module).
set -e
. "$(dirname "$0")/lib.sh"
: "${BUILDDIR:?run through meson test}"
MESON=${MESON:-meson}

option() {
	"$MESON" introspect --buildoptions "$BUILDDIR" | python3 -c '
import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]))' "$1"
}
abs() {
	case "$1" in /*) echo "$1" ;; *) echo "$(option prefix)/$1" ;; esac
}
etc=$(abs "$(option sysconfdir)")
doc=$(abs "$(option datadir)")/doc/lifeboat
dest="$TMP/dest"
conf="$dest$etc/lifeboat/lifeboat.ini"
example="$dest$doc/lifeboat.ini.example"

# First install: no config yet, so the example becomes the config.
expect_rc 0 "$MESON" install -C "$BUILDDIR" --no-rebuild --quiet --destdir "$dest"
CHECKS=$((CHECKS + 1))
cmp -s "$conf" "$SRCDIR/conf/lifeboat.ini" || fail "first install: $conf is not the example"
CHECKS=$((CHECKS + 1))
cmp -s "$example" "$SRCDIR/conf/lifeboat.ini" || fail "the doc example is not conf/lifeboat.ini"
equals "$(stat -c %a "$conf")" "640" "mode of the installed config"
equals "$(stat -c %a "$example")" "644" "mode of the doc example"
CHECKS=$((CHECKS + 1))
[ -z "$(find "$dest$etc/lifeboat" -name '.*')" ] || fail "a temporary file was left in $dest$etc/lifeboat"

# The admin edits the config (and makes it stricter); a second install keeps
# both the edit and the mode, and still refreshes the example.
printf '\n[files:mine]\nschedule = @daily\npath = /srv/mine\n' >>"$conf"
chmod 0600 "$conf"
cp "$conf" "$TMP/edited"
echo "; stale" >>"$example"
expect_rc 0 "$MESON" install -C "$BUILDDIR" --no-rebuild --quiet --destdir "$dest"
CHECKS=$((CHECKS + 1))
cmp -s "$conf" "$TMP/edited" || fail "the second install changed the edited config"
equals "$(stat -c %a "$conf")" "600" "mode of the edited config after a reinstall"
CHECKS=$((CHECKS + 1))
cmp -s "$example" "$SRCDIR/conf/lifeboat.ini" || fail "the second install did not refresh the doc example"

# A config that is a symlink (to a config kept elsewhere, even a dangling
# one) is the admin's too: left alone, not replaced by a file.
rm "$conf"
ln -s /nonexistent/lifeboat.ini "$conf"
expect_rc 0 "$MESON" install -C "$BUILDDIR" --no-rebuild --quiet --destdir "$dest"
equals "$(readlink "$conf")" "/nonexistent/lifeboat.ini" "the symlinked config"

done_ok

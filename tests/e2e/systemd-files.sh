# The systemd unit, sysusers.d and tmpfiles.d files: `meson install` puts them
# where systemd looks (its pkg-config file, the -D overrides, or PREFIX/lib/...
# without it), the unit starts the installed lifeboatd with its sandbox,
# systemd-analyze accepts it, and sysusers + tmpfiles make the user and the
# directories with the right modes.
# Drives: systemd/ (unit, sysusers, tmpfiles; no lib module).
set -e
. "$(dirname "$0")/lib.sh"
: "${BUILDDIR:?run through meson test}"
MESON=${MESON:-meson}

# option NAME [BUILDDIR]: the value of a build option.
option() {
	"$MESON" introspect --buildoptions "${2:-$BUILDDIR}" | python3 -c '
import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]))' "$1"
}
# expected_dir OPTION PKGCONFIG-VARIABLE FALLBACK: where meson should install.
expected_dir() {
	local dir
	dir=$(option "$1")
	if [ -z "$dir" ] && pkg-config --exists systemd 2>/dev/null; then
		dir=$(pkg-config --variable="$2" systemd)
	fi
	echo "${dir:-$3}"
}
# key FILE KEY: the values of every KEY= line of a unit file, one a line.
key() {
	sed -n "s/^$2=//p" "$1"
}

prefix=$(option prefix)
sbindir=$(option sbindir)
case "$sbindir" in /*) ;; *) sbindir="$prefix/$sbindir" ;; esac
unitdir=$(expected_dir systemdunitdir systemdsystemunitdir "$prefix/lib/systemd/system")
sysusersdir=$(expected_dir sysusersdir sysusersdir "$prefix/lib/sysusers.d")
tmpfilesdir=$(expected_dir tmpfilesdir tmpfilesdir "$prefix/lib/tmpfiles.d")

# meson install into a staging dir: every file lands where expected.
dest="$TMP/dest"
expect_rc 0 "$MESON" install -C "$BUILDDIR" --no-rebuild --quiet --destdir "$dest"
unit="$dest$unitdir/lifeboat.service"
sysusers="$dest$sysusersdir/lifeboat.conf"
tmpfiles="$dest$tmpfilesdir/lifeboat.conf"
for f in "$unit" "$sysusers" "$tmpfiles" "$dest$sbindir/lifeboatd"; do
	CHECKS=$((CHECKS + 1))
	[ -f "$f" ] || fail "not installed: $f"
done

# The unit runs the installed daemon, as lifeboat, with its one capability.
equals "$(key "$unit" ExecStart)" "$sbindir/lifeboatd" "ExecStart"
CHECKS=$((CHECKS + 1))
[ -x "$dest$(key "$unit" ExecStart)" ] || fail "ExecStart is not the installed lifeboatd"
CHECKS=$((CHECKS + 1))
! grep -E '@[A-Za-z_]+@' "$unit" || fail "the unit has an unsubstituted @VAR@"
equals "$(key "$unit" Type)" "notify" "Type"
equals "$(key "$unit" NotifyAccess)" "main" "NotifyAccess"
# shellcheck disable=SC2016  # $MAINPID is systemd's, not ours
equals "$(key "$unit" ExecReload)" '/bin/kill -HUP $MAINPID' "ExecReload"
equals "$(key "$unit" User)" "lifeboat" "User"
equals "$(key "$unit" Group)" "lifeboat" "Group"
equals "$(key "$unit" UMask)" "0077" "UMask"
equals "$(key "$unit" CapabilityBoundingSet)" "CAP_DAC_READ_SEARCH" "CapabilityBoundingSet"
equals "$(key "$unit" AmbientCapabilities)" "CAP_DAC_READ_SEARCH" "AmbientCapabilities"
equals "$(key "$unit" ProtectSystem)" "strict" "ProtectSystem"
equals "$(key "$unit" NoNewPrivileges)" "yes" "NoNewPrivileges"
contains " $(key "$unit" ReadWritePaths | tr '\n' ' ') " " /var/backups/lifeboat " "ReadWritePaths"
equals "$(key "$unit" StateDirectory)" "lifeboat" "StateDirectory"
equals "$(key "$unit" RuntimeDirectory)" "lifeboat" "RuntimeDirectory"
equals "$(key "$unit" RuntimeDirectoryMode)" "0750" "RuntimeDirectoryMode"
contains "$(key "$unit" WatchdogSec)" "s" "WatchdogSec"
equals "$(key "$unit" Restart)" "on-failure" "Restart"
contains "$(cat "$sysusers")" 'u lifeboat - "Lifeboat backup daemon" /var/lib/lifeboat'

# systemd-analyze: no warning at all, and the sandbox scores at most 2.5
# ("--threshold" counts tenths).  The copy runs the staged lifeboatd, since
# verify checks that ExecStart is executable.
if command -v systemd-analyze >/dev/null; then
	mkdir "$TMP/verify"
	sed "s|^ExecStart=|ExecStart=$dest|" "$unit" > "$TMP/verify/lifeboat.service"
	# --man=no: the unit's Documentation= pages are in the staging dir, not
	# where man looks on this machine (tests/e2e/man-pages.sh checks them).
	expect_rc 0 systemd-analyze verify --man=no "$TMP/verify/lifeboat.service"
	equals "$OUT$ERR" "" "systemd-analyze verify output"
	expect_rc 0 systemd-analyze security --offline=yes --threshold=25 "$TMP/verify/lifeboat.service"
	contains "$OUT" "Overall exposure level for lifeboat.service"
else
	echo "skip: systemd-analyze not installed, the unit is not verified"
fi

# sysusers then tmpfiles on an empty root: the user, its group, and the
# directories with their modes and owners (needs root to chown).
if [ "$(id -u)" != 0 ]; then
	echo "skip: not root, systemd-sysusers/systemd-tmpfiles not run"
elif ! command -v systemd-sysusers >/dev/null || ! command -v systemd-tmpfiles >/dev/null; then
	echo "skip: systemd-sysusers/systemd-tmpfiles not installed"
else
	root="$TMP/sysroot"
	mkdir -p "$root/etc/lifeboat" "$root/var/backups"
	: > "$root/etc/lifeboat/lifeboat.ini"
	expect_rc 0 systemd-sysusers --root="$root" "$sysusers"
	contains "$(cat "$root/etc/passwd")" "lifeboat:x:"
	contains "$(cat "$root/etc/passwd")" ":Lifeboat backup daemon:/var/lib/lifeboat:"
	contains "$(cat "$root/etc/group")" "lifeboat:x:"
	uid=$(awk -F: '$1 == "lifeboat" { print $3 }' "$root/etc/passwd")
	gid=$(awk -F: '$1 == "lifeboat" { print $3 }' "$root/etc/group")
	expect_rc 0 systemd-tmpfiles --root="$root" --create "$tmpfiles"
	equals "$(stat -c '%a %u:%g' "$root/var/backups/lifeboat")" "700 $uid:$gid" "the store"
	equals "$(stat -c '%a %u:%g' "$root/var/lib/lifeboat")" "700 $uid:$gid" "the state dir"
	equals "$(stat -c '%a %u:%g' "$root/etc/lifeboat")" "750 0:$gid" "the config dir"
	equals "$(stat -c '%a %u:%g' "$root/etc/lifeboat/lifeboat.ini")" "640 0:$gid" "the config"
fi

# Another prefix and the -D overrides, and PREFIX/lib/... when systemd's
# pkg-config file is absent (a pkg-config dir with every .pc file but
# systemd's).  Only configured: introspection tells where files would go.
other="$TMP/build-other"
expect_rc 0 "$MESON" setup "$other" "$SRCDIR" -Dtests=false --prefix=/opt/lb \
	-Dsystemdunitdir=/etc/systemd/system -Dtmpfilesdir=/opt/tmpfiles.d
installed=$("$MESON" introspect --installed "$other")
contains "$installed" "lifeboat.service\": \"/etc/systemd/system/lifeboat.service\""
contains "$installed" "lifeboat.tmpfiles\": \"/opt/tmpfiles.d/lifeboat.conf\""
equals "$(key "$other/systemd/lifeboat.service" ExecStart)" "/opt/lb/sbin/lifeboatd" "ExecStart with --prefix=/opt/lb"

nosystemd="$TMP/pc-without-systemd"
mkdir "$nosystemd"
IFS=: read -r -a pcdirs <<< "$(pkg-config --variable pc_path pkg-config)"
for d in "${pcdirs[@]}"; do
	for pc in "$d"/*.pc; do
		[ -e "$pc" ] && [ ! -e "$nosystemd/${pc##*/}" ] && ln -s "$pc" "$nosystemd/"
	done
done
rm -f "$nosystemd/systemd.pc"
other="$TMP/build-nosystemd"
PKG_CONFIG_LIBDIR="$nosystemd" PKG_CONFIG_PATH="" \
	expect_rc 0 "$MESON" setup "$other" "$SRCDIR" -Dtests=false --prefix=/opt/lb
installed=$("$MESON" introspect --installed "$other")
contains "$installed" "lifeboat.service\": \"/opt/lb/lib/systemd/system/lifeboat.service\""
contains "$installed" "lifeboat.sysusers\": \"/opt/lb/lib/sysusers.d/lifeboat.conf\""
contains "$installed" "lifeboat.tmpfiles\": \"/opt/lb/lib/tmpfiles.d/lifeboat.conf\""

done_ok

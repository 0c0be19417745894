#!/bin/sh
# meson install script: installs the example config as the live config
# (SYSCONFDIR/lifeboat/lifeboat.ini, mode 0640) only when there is none yet,
# so `meson install` never overwrites a config the admin edited.  The example
# itself is always installed as <datadir>/doc/lifeboat/lifeboat.ini.example
# by meson (conf/meson.build); this script does not touch it.
#   install-config.sh EXAMPLE ABSOLUTE-SYSCONFDIR
# Honours $DESTDIR (meson install --destdir) and $MESON_INSTALL_QUIET.  When
# run as root and the group `lifeboat` exists, the new file's group is
# lifeboat, as the tmpfiles.d file would set it; otherwise it is left as made.
set -eu

example=$1
dir="${DESTDIR:-}$2/lifeboat"
target="$dir/lifeboat.ini"

say() {
	[ -n "${MESON_INSTALL_QUIET:-}" ] || echo "$*"
}

if [ -e "$target" ] || [ -L "$target" ]; then
	say "Keeping existing $target (the example is in the doc directory)"
	exit 0
fi
mkdir -p "$dir"
# Written under a temporary name and renamed: an interrupted install never
# leaves a half-written config behind.
tmp="$dir/.lifeboat.ini.install.$$"
trap 'rm -f "$tmp"' EXIT
(umask 077 && cp "$example" "$tmp")
chmod 0640 "$tmp"
if [ "$(id -u)" -eq 0 ] && getent group lifeboat >/dev/null 2>&1; then
	chgrp lifeboat "$tmp"
fi
mv "$tmp" "$target"
trap - EXIT
say "Installing $target (no config was there)"

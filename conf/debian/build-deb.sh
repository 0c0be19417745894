#!/bin/sh
# Builds lifeboat_<version>_<arch>.deb from a `meson install --destdir`:
#   conf/debian/build-deb.sh [--builddir DIR] [OUTDIR]   (default: the current directory)
# --builddir keeps the meson build in DIR between calls (the tests use it, so
# a second package builds in seconds); by default it is temporary.
# The control files beside this script are the package's: control.in
# (filled in here), conffiles, postinst, prerm, postrm, changelog,
# copyright, lintian-overrides.  It builds in a temporary directory with
# Debian's build flags (dpkg-buildflags, hardening=+all), --prefix=/usr and
# --sysconfdir=/etc, no tests; strips the binaries, compresses the man pages
# and the changelog, computes the library dependencies with dpkg-shlibdeps,
# and packs with root as the owner of every file.  Needs meson, ninja,
# scdoc, dpkg-dev (build-essential) and the -dev packages of the build.
# Prints the path of the .deb on its last line.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
builddir=""
if [ "${1:-}" = "--builddir" ]; then
	builddir=$2
	shift 2
fi
out=$(cd "${1:-.}" && pwd)

version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$src/meson.build" | head -n 1)
changelog_version=$(sed -n '1s/^lifeboat (\([^)]*\)).*/\1/p' "$here/changelog")
if [ -z "$version" ] || [ "$version" != "$changelog_version" ]; then
	echo "build-deb: meson.build says version '$version' but conf/debian/changelog '$changelog_version'; add a changelog entry" >&2
	exit 1
fi
arch=$(dpkg --print-architecture)
deb="$out/lifeboat_${version}_${arch}.deb"

work=$(mktemp -d "${TMPDIR:-/tmp}/lifeboat-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"

# Reproducible: file times and the man pages' date from the changelog.
SOURCE_DATE_EPOCH=$(date -d "$(sed -n 's/^ -- .*>  //p' "$here/changelog" | head -n 1)" +%s)
export SOURCE_DATE_EPOCH
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
CFLAGS=$(dpkg-buildflags --get CFLAGS)
CPPFLAGS=$(dpkg-buildflags --get CPPFLAGS)
LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
export CFLAGS CPPFLAGS LDFLAGS

build=${builddir:-$work/build}
if [ -d "$build/meson-private" ]; then
	setup="--reconfigure"
else
	setup=""
fi
# shellcheck disable=SC2086  # $setup is one word or none
meson setup $setup "$build" "$src" --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
	--buildtype=plain -Dtests=false -Dman=enabled -Dwerror=false >"$work/setup.log" 2>&1 ||
	{ cat "$work/setup.log" >&2; exit 1; }
ninja -C "$build" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
meson install -C "$build" --no-rebuild --quiet --destdir "$root" >/dev/null

# Binaries stripped as dh_strip does.
for bin in "$root/usr/bin/lifeboat" "$root/usr/sbin/lifeboatd"; do
	strip --remove-section=.comment --remove-section=.note --strip-unneeded "$bin"
done
# Documentation: compressed man pages, the changelog, the copyright, and
# lintian's overrides (each with its reason).
find "$root/usr/share/man" -type f -exec gzip -9n {} +
doc="$root/usr/share/doc/lifeboat"
install -d -m 0755 "$doc" "$root/usr/share/lintian/overrides"
install -m 0644 "$here/copyright" "$doc/copyright"
gzip -9nc "$here/changelog" >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"
install -m 0644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/lifeboat"

# Directories 0755 and files 0644 or 0755, except the config (0640: the
# group lifeboat is given to it by postinst, through tmpfiles.d).
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f ! -path "$root/etc/lifeboat/lifeboat.ini" ! -perm -0100 -exec chmod 0644 {} +
find "$root" -type f -perm -0100 -exec chmod 0755 {} +
chmod 0640 "$root/etc/lifeboat/lifeboat.ini"

# The control area.
mkdir -p "$root/DEBIAN" "$work/debian"
printf 'Source: lifeboat\n\nPackage: lifeboat\nArchitecture: any\n' >"$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O root/usr/bin/lifeboat root/usr/sbin/lifeboatd 2>"$work/shlibdeps.log" |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { cat "$work/shlibdeps.log" >&2; echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@SHLIBS@/$shlibs/" \
	"$here/control.in" >"$root/DEBIAN/control"
install -m 0644 "$here/conffiles" "$root/DEBIAN/conffiles"
for s in postinst prerm postrm; do
	install -m 0755 "$here/$s" "$root/DEBIAN/$s"
done
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
	xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/control"
find "$root" -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"

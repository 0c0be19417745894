# The Debian package: conf/debian/build-deb.sh builds
# lifeboat_<version>_<arch>.deb; its control fields, conffile, maintainer
# scripts and file list are right; lintian (installed here when missing)
# reports no error or warning, and each finding it does report is listed in
# README.md with its reason.  Then, on a machine where no lifeboat package is
# installed, the package is installed for real: `lifeboat --version` runs,
# the user, the directories and the config's mode are made (no systemd
# needed), an edited conffile survives a reinstall, `dpkg -r` keeps it and
# `dpkg -P` purges it.  What the test created (user, directories) is removed.
# Drives: conf/debian/ (build-deb.sh, control.in, conffiles, postinst, prerm, postrm; no lib module).
set -e
# The package is built with Debian's flags, not the sanitizers: the plain run
# covers it; building and installing it again under --sanitize tests nothing new.
if [ "${LIFEBOAT_TEST_SANITIZE:-0}" = 1 ]; then
	echo "SKIP: the .deb is tested in the plain run"
	exit 77
fi
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/helpers/need-pkg.sh"
: "${BUILDDIR:?run through meson test}"
for tool in dpkg-deb dpkg-shlibdeps scdoc; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
need_pkg lintian lintian

version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$SRCDIR/meson.build" | head -n 1)
arch=$(dpkg --print-architecture)
mkdir -p "$TMP/out"
expect_rc 0 "$SRCDIR/conf/debian/build-deb.sh" --builddir "$BUILDDIR/deb-build" "$TMP/out"
deb=$TMP/out/lifeboat_${version}_${arch}.deb
equals "$(printf '%s\n' "$OUT" | tail -n 1)" "$deb" "the package's path"

# The control area.
field() { dpkg-deb -f "$deb" "$1"; }
equals "$(field Package)" "lifeboat" "Package"
equals "$(field Version)" "$version" "Version"
equals "$(field Architecture)" "$arch" "Architecture"
contains "$(field Depends)" "libc6"
contains "$(field Depends)" "libmariadb3"
contains "$(field Depends)" "systemd"
dpkg-deb -e "$deb" "$TMP/control"
equals "$(cat "$TMP/control/conffiles")" "/etc/lifeboat/lifeboat.ini" "conffiles"
for s in postinst prerm postrm; do
	CHECKS=$((CHECKS + 1))
	[ -x "$TMP/control/$s" ] || fail "no executable $s"
	CHECKS=$((CHECKS + 1))
	sh -n "$TMP/control/$s" || fail "$s: syntax error"
done

# Without systemd running (a container): the scripts make the user and the
# directories, and never call systemctl or deb-systemd-invoke.  Run with
# stand-ins for those commands that only log their calls.
if [ ! -d /run/systemd/system ]; then
	mkdir -p "$TMP/fake"
	for c in systemctl deb-systemd-invoke deb-systemd-helper systemd-sysusers systemd-tmpfiles; do
		printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$c" "$TMP/calls" >"$TMP/fake/$c"
		chmod 755 "$TMP/fake/$c"
	done
	for args in "postinst configure" "postinst configure 0.0.1" "prerm remove" "postrm remove" "prerm upgrade"; do
		set -- $args
		script=$1
		shift
		expect_rc 0 env PATH="$TMP/fake:$PATH" sh "$TMP/control/$script" "$@"
	done
	calls=$(cat "$TMP/calls")
	contains "$calls" "systemd-sysusers /usr/lib/sysusers.d/lifeboat.conf"
	contains "$calls" "systemd-tmpfiles --create /usr/lib/tmpfiles.d/lifeboat.conf"
	not_contains "$calls" "systemctl" "calls without systemd running"
	not_contains "$calls" "deb-systemd-invoke" "calls without systemd running"
fi

# The files: every install file, owned by root, the config 0640.
dpkg-deb -c "$deb" >"$TMP/contents"
for f in ./usr/bin/lifeboat ./usr/sbin/lifeboatd ./etc/lifeboat/lifeboat.ini \
	./lib/systemd/system/lifeboat.service ./usr/lib/sysusers.d/lifeboat.conf \
	./usr/lib/tmpfiles.d/lifeboat.conf ./usr/share/man/man1/lifeboat.1.gz \
	./usr/share/man/man8/lifeboatd.8.gz ./usr/share/man/man5/lifeboat.ini.5.gz \
	./usr/share/bash-completion/completions/lifeboat ./usr/share/doc/lifeboat/copyright \
	./usr/share/doc/lifeboat/changelog.gz ./usr/share/doc/lifeboat/lifeboat.ini.example; do
	contains "$(cat "$TMP/contents")" " $f" "dpkg-deb -c"
done
contains "$(grep ' ./etc/lifeboat/lifeboat.ini$' "$TMP/contents")" "-rw-r----- root/root"
CHECKS=$((CHECKS + 1))
! awk '$2 != "root/root"' "$TMP/contents" | grep . || fail "a file not owned by root/root"
grep -q 'ExecStart=/usr/sbin/lifeboatd' <(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./lib/systemd/system/lifeboat.service) ||
	fail "the unit does not start /usr/sbin/lifeboatd"

# lintian: no error, no warning; every finding is in README's list.
run lintian --pedantic -I -E "$deb"
printf '%s\n' "$OUT" >"$TMP/lintian"
echo "lintian: $(grep -c '^[A-Z]: ' "$TMP/lintian" || true) finding(s)"
cat "$TMP/lintian"
CHECKS=$((CHECKS + 1))
! grep -E '^[EW]: ' "$TMP/lintian" || fail "lintian reports errors or warnings"
for tag in $(sed -n 's/^[A-Z]: lifeboat[^:]*: \([a-z0-9.+-]*\).*/\1/p' "$TMP/lintian" | sort -u); do
	CHECKS=$((CHECKS + 1))
	grep -qF "\`$tag\`" "$SRCDIR/README.md" || fail "lintian's $tag is not in README's list of lintian findings"
done

# Installing it for real: only where no lifeboat package is installed.
if [ "$(id -u)" -ne 0 ] || dpkg -s lifeboat >/dev/null 2>&1 || [ -e /usr/bin/lifeboat ]; then
	echo "not installing: not root, or a lifeboat package or /usr/bin/lifeboat is here already"
	done_ok
	exit 0
fi
had_user=$(getent passwd lifeboat >/dev/null && echo yes || echo no)
had_group=$(getent group lifeboat >/dev/null && echo yes || echo no)
had_dirs=""
for d in /var/lib/lifeboat /var/backups/lifeboat /etc/lifeboat; do
	[ -e "$d" ] && had_dirs="$had_dirs $d"
done
cleanup() {
	dpkg -P lifeboat >/dev/null 2>&1 || true
	dpkg --triggers-only --pending >/dev/null 2>&1 || true
	for d in /var/lib/lifeboat /var/backups/lifeboat /etc/lifeboat; do
		case " $had_dirs " in *" $d "*) ;; *) rm -rf "$d" ;; esac
	done
	[ "$had_user" = yes ] || userdel lifeboat 2>/dev/null || true
	[ "$had_group" = yes ] || groupdel lifeboat 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

# dpkg_do ARGS...: dpkg, waiting for its lock while an apt-get elsewhere
# holds it.  Triggers (man-db's index, ~10 s each here) wait for the end:
# processed once, in cleanup.
dpkg_do() {
	local i
	for i in $(seq 1 30); do
		run dpkg --no-triggers "$@"
		case "$ERR" in *"dpkg frontend lock"* | *"lock-frontend"* | *"dpkg status database is locked"*) sleep 2 ;; *) break ;; esac
	done
	CHECKS=$((CHECKS + 1))
	[ "$RC" = 0 ] || { printf '%s\n%s\n' "$OUT" "$ERR" >&2; fail "dpkg $* exited $RC"; }
}

dpkg_do -i "$deb"
equals "$(/usr/bin/lifeboat --version)" "lifeboat $version" "the installed lifeboat --version"
equals "$(/usr/sbin/lifeboatd --version)" "lifeboatd $version" "the installed lifeboatd --version"
CHECKS=$((CHECKS + 1))
getent passwd lifeboat >/dev/null || fail "postinst made no user lifeboat"
equals "$(stat -c '%a %U' /var/lib/lifeboat)" "700 lifeboat" "/var/lib/lifeboat"
equals "$(stat -c '%a %U' /var/backups/lifeboat)" "700 lifeboat" "/var/backups/lifeboat"
equals "$(stat -c '%a %U %G' /etc/lifeboat/lifeboat.ini)" "640 root lifeboat" "the installed config"
expect_rc 0 /usr/bin/lifeboat check-config
contains "$ERR" "/etc/lifeboat/lifeboat.ini: configuration OK"
CHECKS=$((CHECKS + 1))
MANWIDTH=80 man -l /usr/share/man/man8/lifeboatd.8.gz 2>/dev/null | grep -q SIGHUP || fail "man lifeboatd"

# The admin edits the config; reinstalling (an upgrade) keeps the edit.
echo "; edited by the admin" >>/etc/lifeboat/lifeboat.ini
cp /etc/lifeboat/lifeboat.ini "$TMP/edited"
dpkg_do -i "$deb"
CHECKS=$((CHECKS + 1))
cmp -s /etc/lifeboat/lifeboat.ini "$TMP/edited" || fail "a reinstall changed the edited config"

# Remove: the programs go, the conffile stays.
dpkg_do -r lifeboat
CHECKS=$((CHECKS + 1))
[ ! -e /usr/bin/lifeboat ] && [ ! -e /usr/sbin/lifeboatd ] || fail "dpkg -r left the programs"
CHECKS=$((CHECKS + 1))
cmp -s /etc/lifeboat/lifeboat.ini "$TMP/edited" || fail "dpkg -r did not keep the config"
equals "$(dpkg-query -W -f='${Status}' lifeboat)" "deinstall ok config-files" "status after dpkg -r"

# Purge: the conffile goes too; the backups' and state's directories stay.
dpkg_do -P lifeboat
CHECKS=$((CHECKS + 1))
[ ! -e /etc/lifeboat/lifeboat.ini ] || fail "dpkg -P left the config"
CHECKS=$((CHECKS + 1))
! dpkg -s lifeboat >/dev/null 2>&1 || fail "dpkg -P left the package known"
CHECKS=$((CHECKS + 1))
[ -d /var/backups/lifeboat ] || fail "dpkg -P removed the backups"

done_ok

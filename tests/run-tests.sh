#!/bin/bash
# The whole test suite, from a fresh Debian 12 machine:
#   tests/run-tests.sh [--sanitize] [--builddir DIR]
# Installs the packages it needs (as root), builds with meson, starts a private
# MariaDB server on a temporary data dir, socket and port (never the system
# one), runs every test against it, and stops it whatever happens.
# --sanitize builds with AddressSanitizer and UndefinedBehaviorSanitizer.
# The last line printed is "N passed, N failed"; the exit status is 0 only
# when every test passed.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
sanitize=no
builddir=""
while [ $# -gt 0 ]; do
	case "$1" in
	--sanitize) sanitize=yes ;;
	--builddir) builddir=$2; shift ;;
	-h|--help) sed -n '2,10p' "$0"; exit 0 ;;
	*) echo "run-tests: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$builddir" ]; then
	[ $sanitize = yes ] && builddir="$src/build-sanitize" || builddir="$src/build"
fi

"$src/tests/install-deps.sh"

opts=(-Dtests=true --buildtype=debugoptimized -Dwerror=true)
if [ $sanitize = yes ]; then
	opts+=(-Db_sanitize=address,undefined -Db_lundef=false)
	# verify_asan_link_order=0: faketime (db-names) is an LD_PRELOAD library.
	export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:verify_asan_link_order=0
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	# Tests of what is not built with the sanitizers (the .deb) run once, plain.
	export LIFEBOAT_TEST_SANITIZE=1
fi
if [ -d "$builddir/meson-private" ]; then
	meson setup --reconfigure "$builddir" "$src" "${opts[@]}" >/dev/null
else
	meson setup "$builddir" "$src" "${opts[@]}"
fi
ninja -C "$builddir"

# The private MariaDB the db tests use.  /tmp must be traversable by the
# mysql user, which it is on Debian (1777).
dbdir=$(mktemp -d /tmp/lifeboat-mariadb.XXXXXX)
cleanup() {
	"$src/tests/mariadb.sh" stop "$dbdir" >/dev/null || true
	rm -rf "$dbdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$src/tests/mariadb.sh" start "$dbdir"
# shellcheck disable=SC1091
. "$dbdir/env"

set +e
meson test -C "$builddir" --print-errorlogs --num-processes 2
rc=$?
set -e

python3 - "$builddir/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif r == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $rc

# Sourced by e2e tests: need_pkg PROGRAM PACKAGE makes sure PROGRAM is on the
# PATH, installing Debian's PACKAGE with apt when it is missing and we are
# root (without starting any service it ships: policy-rc.d says no), or
# exits 77 (skipped) when it cannot.  For tools too heavy for
# tests/install-deps.sh (prometheus, for its promtool: 96 MB installed),
# fetched only by the tests that use them.
need_pkg() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: $1 missing (apt-get install $2, as root)"
		exit 77
	fi
	local policy=/usr/sbin/policy-rc.d made=""
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made=yes
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" >"$TMP/apt.log" 2>&1 ||
		{ DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" >"$TMP/apt.log" 2>&1; } || true
	[ -n "$made" ] && rm -f "$policy"
	if ! command -v "$1" >/dev/null 2>&1; then
		tail -5 "$TMP/apt.log"
		echo "SKIP: $1 missing and apt-get install $2 failed"
		exit 77
	fi
}

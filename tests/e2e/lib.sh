# Shared helpers of the end-to-end tests (sourced, bash).
# Each test script runs checks in order and stops at the first failure,
# printing what was expected and what happened.
set -u

: "${LIFEBOAT:?run through meson test}"
TMP=$(mktemp -d /tmp/lifeboat-e2e.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
CHECKS=0

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# run CMD...: runs it, capturing stdout in $OUT, stderr in $ERR, status in $RC.
run() {
	set +e
	"$@" >"$TMP/.out" 2>"$TMP/.err"
	RC=$?
	set -e
	OUT=$(cat "$TMP/.out")
	ERR=$(cat "$TMP/.err")
}

# expect_rc CODE CMD...: runs CMD and checks its exit status.
expect_rc() {
	local want=$1
	shift
	run "$@"
	CHECKS=$((CHECKS + 1))
	if [ "$RC" != "$want" ]; then
		printf 'stdout:\n%s\nstderr:\n%s\n' "$OUT" "$ERR" >&2
		fail "'$*' exited $RC, expected $want"
	fi
}

# contains HAYSTACK NEEDLE [what]
contains() {
	CHECKS=$((CHECKS + 1))
	case "$1" in
	*"$2"*) ;;
	*) printf 'in:\n%s\n' "$1" >&2; fail "${3:-output} lacks '$2'" ;;
	esac
}

not_contains() {
	CHECKS=$((CHECKS + 1))
	case "$1" in
	*"$2"*) printf 'in:\n%s\n' "$1" >&2; fail "${3:-output} contains '$2'" ;;
	*) ;;
	esac
}

equals() {
	CHECKS=$((CHECKS + 1))
	[ "$1" = "$2" ] || fail "${3:-value}: got '$1', expected '$2'"
}

done_ok() {
	echo "ok: $CHECKS checks"
}

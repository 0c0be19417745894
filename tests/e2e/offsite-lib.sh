# Shared helpers of the offsite end-to-end tests (sourced, bash), on top of
# lib.sh or db-lib.sh (source that first).  Each test runs its own s3rver
# (npm, installed by tests/install-deps.sh; it checks SigV4 signatures with
# its default keys S3RVER/S3RVER) on 127.0.0.1 with its data in $TMP/s3,
# started by tests/helpers/s3rver.sh and stopped when the test ends.  No
# s3rver: the test is skipped (exit 77).
#
#   s3_start / s3_stop / s3_kill   start (same port and data again) / stop / SIGKILL it
#   offsite_config FILE [key = value]...   appends [offsite:s3] to FILE
#   object_of JOB ID SUFFIX        the file holding that object's bytes in s3rver's dir
#   s3_parts_stored                "Stored part" lines in s3rver's log

command -v s3rver >/dev/null 2>&1 || { echo "s3rver is not installed (tests/install-deps.sh)"; exit 77; }
command -v python3 >/dev/null 2>&1 || fail "python3 is not installed"
# shellcheck source=tests/helpers/s3rver.sh
. "$(dirname "${BASH_SOURCE[0]}")/../helpers/s3rver.sh"

S3_BUCKET=lifeboat-test
S3_DIR=$TMP/s3
S3_LOG=$TMP/s3.log
S3_PID=
S3_PORT=$(s3rver_port)
S3_SECRET=S3RVER
CRED=$TMP/s3.credentials
KEYFILE=$TMP/offsite.key
printf '[default]\naws_access_key_id = S3RVER\naws_secret_access_key = %s\n' "$S3_SECRET" > "$CRED"
chmod 600 "$CRED"

s3_cleanup() {
	if [ -n "$S3_PID" ]; then
		kill "$S3_PID" 2>/dev/null || true
		wait "$S3_PID" 2>/dev/null || true
	fi
}
S3_TRAP='s3_cleanup;'
declare -F daemon_cleanup >/dev/null && S3_TRAP="$S3_TRAP daemon_cleanup;"
declare -F db_cleanup >/dev/null && S3_TRAP="$S3_TRAP db_cleanup;"
# shellcheck disable=SC2064
trap "$S3_TRAP"' rm -rf "$TMP"' EXIT

s3_start() {
	local rc=0
	s3rver_start "$S3_DIR" "$S3_PORT" "$S3_BUCKET" "$S3_LOG" || rc=$?
	S3_PID=$S3RVER_PID
	[ "$rc" -eq 0 ] || fail "s3rver did not start"
}

s3_stop() {
	kill "$S3_PID" 2>/dev/null || true
	wait "$S3_PID" 2>/dev/null || true
	S3_PID=
}

s3_kill() {
	kill -9 "$S3_PID" 2>/dev/null || true
	wait "$S3_PID" 2>/dev/null || true
	S3_PID=
}

# offsite_config FILE [key = value]...: the target "s3" (prefix "pre/fix").
offsite_config() {
	local file=$1
	shift
	{
		echo "[offsite:s3]"
		echo "url = s3://$S3_BUCKET/pre/fix"
		echo "endpoint = http://127.0.0.1:$S3_PORT"
		echo "credentials_file = $CRED"
		echo "key_file = $KEYFILE"
		for kv in "$@"; do
			echo "$kv"
		done
	} >> "$file"
}

object_of() {
	echo "$S3_DIR/$S3_BUCKET/pre/fix/$1/$2.$3._S3rver_object"
}

s3_parts_stored() {
	grep -c "Stored part" "$S3_LOG" 2>/dev/null || true
}

# lifeboatd queues each committed backup for its offsite targets: after a
# run through the daemon, an upload child (lifeboatd --offsite-sync s3, at
# the target's nice) copies it, with no secret in its argv or environment
# and none in the daemon's log; status shows the target (every backup
# offsite).  With the server gone, a second backup stays queued: status
# names it and the last error, and `status --check` turns CRITICAL once
# uploads have failed for a day (the state's failing_since moved back).
# Drives: daemon/offsite_queue.c, daemon/children.c, lib/offsite/offsite_status.c, lib/offsite/offsite_sync.c, daemon/cmd_status.c.
set -e
# shellcheck source=tests/e2e/daemon-lib.sh
. "$(dirname "$0")/daemon-lib.sh"
# shellcheck source=tests/e2e/offsite-lib.sh
. "$(dirname "$0")/offsite-lib.sh"

mkdir -p "$TMP/www"
echo "index" > "$TMP/www/index.php"
head -c 2000000 /dev/urandom > "$TMP/www/blob"
CFG=$TMP/l.ini
{
	daemon_globals
	echo "[files:site]"
	echo "schedule = @daily"
	echo "path = $TMP/www"
} > "$CFG"
offsite_config "$CFG" "upload_limit = 2M"
s3_start
expect_rc 0 "$LIFEBOAT" -c "$CFG" offsite init s3
start_daemon
expect_rc 0 "$LIFEBOAT" -c "$CFG" run site --wait
id1=$(id_of "$OUT")

# the upload child, seen while it runs
for i in $(seq 1 100); do
	up=$(pgrep -f -- "--offsite-sync s3" | head -n 1 || true)
	[ -n "$up" ] && break
	sleep 0.05
done
CHECKS=$((CHECKS + 1))
if [ -n "$up" ]; then
	! tr '\0' '\n' < "/proc/$up/environ" | grep -qF "$S3_SECRET" || fail "the secret in the upload child's environment"
	! tr '\0' '\n' < "/proc/$up/cmdline" | grep -qF "$S3_SECRET" || fail "the secret in the upload child's argv"
	equals "$(ps -o ni= -p "$up" | tr -d ' ')" "10" "the upload child's nice"
fi
wait_until 60 "the backup offsite" sh -c "\"$LIFEBOAT\" -c \"$CFG\" list --offsite s3 | grep -q complete"
wait_until 10 "the upload child's end" grep -qF "offsite s3: upload done" "$DLOG"
log_has "offsite s3: upload started"
expect_rc 0 "$LIFEBOAT" -c "$CFG" status
contains "$OUT" "offsite s3: ok; last good sync"
contains "$OUT" "every backup offsite"
expect_rc 0 "$LIFEBOAT" -c "$CFG" status --check

# the server gone: the next backup stays queued, the error is shown
s3_stop
expect_rc 0 "$LIFEBOAT" -c "$CFG" run site --wait
id2=$(id_of "$OUT")
wait_until 90 "the failed upload" grep -qF "the upload ended with errors" "$DLOG"
expect_rc 0 "$LIFEBOAT" -c "$CFG" status
contains "$OUT" "1 not offsite yet (newest $id2"
contains "$OUT" "last error: GET s3://$S3_BUCKET/: Couldn't connect to server"
expect_rc 0 "$LIFEBOAT" -c "$CFG" status --check
# failing for more than a day: CRITICAL
python3 - "$STATE/offsite/s3/status.json" <<'PY'
import json, sys, time
p = sys.argv[1]
j = json.load(open(p))
j["failing_since"] = int(time.time()) - 90000
json.dump(j, open(p, "w"))
PY
expect_rc 2 "$LIFEBOAT" -c "$CFG" status --check
contains "$OUT" "LIFEBOAT CRITICAL - offsite s3: uploads failing for"

# back: a sync by hand catches up
s3_start
expect_rc 0 "$LIFEBOAT" -c "$CFG" offsite sync s3
contains "$OUT" "1 backup copied"
expect_rc 0 "$LIFEBOAT" -c "$CFG" status --check
CHECKS=$((CHECKS + 1))
! grep -qF "$S3_SECRET" "$DLOG" || fail "the secret in the daemon's log"
stop_daemon
done_ok

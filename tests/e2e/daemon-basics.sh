# lifeboatd and the status CLI, end to end (issue 7): the status header and
# table before any run; `run --wait` through the daemon (exit 0, a backup
# listed, its id in status and in status --json); --check OK; a failing job
# (exit 1, CRITICAL naming the job and the cause); an open alert (CRITICAL,
# listed); no daemon (UNKNOWN, and plain status drawn from the state dir).
# Drives: lib/base/protocol.c, lib/run/jobrun.c, lib/run/jobstate.c, lib/run/jobstatus.c, lib/run/alerts.c (through daemon/).
set -e
# shellcheck source=tests/e2e/daemon-lib.sh
. "$(dirname "$0")/daemon-lib.sh"

good="dmb_g_$$"
make_rows "$good" 500
bad="dmb_missing_$$"	# never created

CFG=$TMP/basics.ini
{
	daemon_globals
	db_job shop "$good"
} >"$CFG"

start_daemon

# ------------------------------------------------------------ before a run
expect_rc 0 lb status
contains "$OUT" "lifeboatd " "status header"
contains "$OUT" "(pid $DPID)" "status header (the daemon's pid)"
contains "$OUT" ", up " "status header (uptime)"
contains "$OUT" "config $CFG" "status header (config file)"
contains "$OUT" "store $STORE: " "status header (store)"
contains "$OUT" " free of " "status header (store free space)"
version=$(printf '%s\n' "$OUT" | head -n 1 | awk '{print $2}')
[ -n "$version" ] || fail "no version in the status header: $OUT"
row=$(printf '%s\n' "$OUT" | grep -E '^shop ' || true)
[ -n "$row" ] || fail "no row for job shop in status: $OUT"
contains "$row" " db " "shop's row (kind)"
contains "$row" "@daily" "shop's row (schedule)"
contains "$row" "never" "shop's row (no good backup yet)"
equals "$(status_json 'j["daemon"]["version"]')" "$version" "daemon.version in status --json"
equals "$(status_json 'j["jobs"][0]["last_good"]')" "null" "jobs[0].last_good before any run"

# A fresh job is not overdue: OK before its first run.
expect_rc 0 lb status --check
contains "$OUT" "LIFEBOAT OK" "--check before any run"

# --------------------------------------------------------- a good run
expect_rc 0 lb run shop --wait
ID=$(id_of "$OUT")
[ -n "$ID" ] || fail "run --wait printed no backup id: $OUT"
contains "$OUT" "ok" "run --wait output"
equals "$(backups shop)" "$ID" "backups listed after run --wait"
[ -f "$(record_of shop "$ID")" ] || fail "no record for $ID"

expect_rc 0 lb status
row=$(printf '%s\n' "$OUT" | grep -E '^shop ' || true)
contains "$row" "$ID" "shop's row after the run"
contains "$row" " ok " "shop's row after the run (last result)"
not_contains "$row" "never" "shop's row after the run"

expect_rc 0 lb status --json
printf '%s' "$OUT" >"$TMP/st.json"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/st.json" ||
	fail "status --json does not parse: $OUT"
equals "$(json_get "$TMP/st.json" 'j["jobs"][0]["last_good"]["id"]')" "$ID" "jobs[0].last_good.id"
equals "$(json_get "$TMP/st.json" 'j["jobs"][0]["name"]')" "shop" "jobs[0].name"
equals "$(json_get "$TMP/st.json" 'j["jobs"][0]["last_run"]["result"]')" "ok" "jobs[0].last_run.result"
equals "$(json_get "$TMP/st.json" 'j["daemon"]["pid"]')" "$DPID" "daemon.pid"
equals "$(json_get "$TMP/st.json" 'j["daemon"]["config"]')" "$CFG" "daemon.config"
equals "$(json_get "$TMP/st.json" 'j["store"]["path"]')" "$STORE" "store.path"
equals "$(json_get "$TMP/st.json" 'type(j["store"]["free_bytes"]).__name__')" "int" "store.free_bytes"

expect_rc 0 lb status --check
contains "$OUT" "LIFEBOAT OK" "--check after a good run"
equals "$(printf '%s\n' "$OUT" | grep -c .)" "1" "lines printed by --check"

# --------------------------------------------------------- a failing job
# Reloaded into the daemon: a second job whose database does not exist.
{
	daemon_globals
	db_job shop "$good"
	db_job broken "$bad"
} >"$CFG"
expect_rc 0 lb reload
wait_until 5 "job broken in status after reload" sh -c "'$LIFEBOAT' -c '$CFG' status | grep -q '^broken '"

expect_rc 1 lb run broken --wait
contains "$ERR" "broken" "run --wait of a failing job (stderr)"
equals "$(backups broken)" "" "backups of the failing job"
expect_rc 2 lb status --check
contains "$OUT" "LIFEBOAT CRITICAL" "--check after a failed run"
contains "$OUT" "broken: last run failed" "--check after a failed run (names the job)"
contains "$OUT" "$bad" "--check after a failed run (names the missing database)"
not_contains "$OUT" "shop" "--check after a failed run (the good job)"
equals "$(printf '%s\n' "$OUT" | grep -c .)" "1" "lines printed by --check"
expect_rc 0 lb status
row=$(printf '%s\n' "$OUT" | grep -E '^broken ' || true)
contains "$row" "never" "broken's row"
contains "$row" "failed" "broken's row (last result)"
contains "$OUT" "broken: last run " "status details of the failed run"

# Back to the good job only; --check is OK again.
{
	daemon_globals
	db_job shop "$good"
} >"$CFG"
expect_rc 0 lb reload
expect_rc 0 lb status --check
contains "$OUT" "LIFEBOAT OK" "--check once the failing job is gone"

# --------------------------------------------------------- an open alert
mkdir -p "$STATE/alerts/open"
cat >"$STATE/alerts/open/shop-1.json" <<EOF
{"id": "shop-1", "job": "shop", "kind": "rewritten", "file": "/var/log/test.log",
 "offset": 42, "message": "test alert from daemon-basics", "found": "2026-01-02T03:04:05Z"}
EOF
expect_rc 2 lb status --check
contains "$OUT" "LIFEBOAT CRITICAL" "--check with an open alert"
contains "$OUT" "shop: 1 open alert" "--check with an open alert (names the job)"
expect_rc 0 lb status
contains "$OUT" "shop-1" "status with an open alert (its id)"
contains "$OUT" "test alert from daemon-basics" "status with an open alert (its message)"
contains "$OUT" "/var/log/test.log" "status with an open alert (its file)"
equals "$(status_json 'j["jobs"][0]["alerts"][0]["id"]')" "shop-1" "jobs[0].alerts[0].id"
# Acknowledged (over the socket), it is
# history, and the job is OK again.
reply=$(ctl_send '{"cmd":"ack","what":"shop-9"}\n{"cmd":"ack","what":"shop-1"}\n' 2)
contains "$(printf '%s\n' "$reply" | head -n 1)" '"ok":false' "ack of an unknown alert"
contains "$(printf '%s\n' "$reply" | sed -n 2p)" '"acked":1' "ack of shop-1"
[ -f "$STATE/alerts/acked/shop-1.json" ] || fail "no acked/shop-1.json after the ack"
CHECKS=$((CHECKS + 1))
[ ! -e "$STATE/alerts/open/shop-1.json" ] || fail "open/shop-1.json is still there after the ack"
CHECKS=$((CHECKS + 1))
expect_rc 0 lb status --check
contains "$OUT" "LIFEBOAT OK" "--check after the ack"
# lifeboat ack goes through the daemon while it runs.
cat >"$STATE/alerts/open/shop-2.json" <<EOF
{"id": "shop-2", "job": "shop", "kind": "deleted", "file": "/var/log/test.log",
 "offset": -1, "message": "second test alert", "found": "2026-01-02T03:04:06Z"}
EOF
expect_rc 2 lb status --check
expect_rc 1 lb ack shop-77
contains "$ERR" "no open alert matches 'shop-77'" "lifeboat ack of an unknown alert"
expect_rc 0 lb ack shop
contains "$OUT" "1 alert(s) acknowledged" "lifeboat ack JOB through the daemon"
[ -f "$STATE/alerts/acked/shop-2.json" ] || fail "no acked/shop-2.json after lifeboat ack"
CHECKS=$((CHECKS + 1))
expect_rc 0 lb status --check

# ------------------------------------------------- an overdue job: WARNING
# The last good backup (and run) 3 days old, for an @daily job.
cp "$(state_of shop)" "$TMP/shop-state.json"
python3 - "$(state_of shop)" <<'PY'
import json, sys, time
p = sys.argv[1]
j = json.load(open(p))
old = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3 * 86400))
for k in ("last_good", "last_run"):
    j[k]["started"] = j[k]["finished"] = old
json.dump(j, open(p, "w"))
PY
expect_rc 1 lb status --check
contains "$OUT" "LIFEBOAT WARNING" "--check with a 3-day-old backup of a daily job"
contains "$OUT" "shop: last good backup 3d" "--check with a 3-day-old backup of a daily job"
cp "$TMP/shop-state.json" "$(state_of shop)"
expect_rc 0 lb status --check

# --------------------------------------------------------- no daemon
stop_daemon 10
equals "$DRC" "0" "lifeboatd's exit status after SIGTERM"
[ ! -e "$CTLSOCK" ] || fail "the control socket is left behind after a clean stop"
expect_rc 3 lb status --check
contains "$OUT" "LIFEBOAT UNKNOWN" "--check without a daemon"
equals "$(printf '%s\n' "$OUT" | grep -c .)" "1" "lines printed by --check"
run lb status
contains "$OUT" "not running" "status without a daemon"
row=$(printf '%s\n' "$OUT" | grep -E '^shop ' || true)
contains "$row" "$ID" "shop's row without a daemon (last good id from the state dir)"
# The store alone still answers.
expect_rc 0 lb list shop
contains "$OUT" "$ID" "list without a daemon"

done_ok

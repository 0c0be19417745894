# While an incident is open, lifeboatd holds the scheduled runs that would
# compete with the capture (and would build the next incremental on the
# compromised tree); `status` shows the incident; after `incident close`
# the schedule runs again.
# Drives: daemon/scheduler.c (the hold), daemon/cmd_status.c, lib/incident/dir.c (the marker).
set -e
. "$(dirname "$0")/daemon-lib.sh"

mkdir -p "$TMP/www"
echo page > "$TMP/www/index.php"
{
	daemon_globals
	echo "[files:site]"
	echo "schedule = every 1s"
	echo "path = $TMP/www"
} > "$TMP/d.ini"
CFG=$TMP/d.ini
expect_rc 0 lb check-config

expect_rc 0 lb incident open --note "from the daemon test"
INC=$(ls "$STORE/incidents")
start_daemon
wait_until 20 "a held scheduled run" grep -q "incident $INC is open; this .* run is held back" "$DLOG"
expect_rc 0 lb status
contains "$OUT" "INCIDENT $INC is open"
equals "$(status_json 'j["incident"]["open"]')" "$INC" "status --json incident"
expect_rc 0 lb list site
not_contains "$OUT" "backup-" "backups made while the incident was open"

expect_rc 0 lb incident close
wait_until 30 "a scheduled run after the close" sh -c "\"$LIFEBOAT\" -c \"$CFG\" list site | grep -q backup-"
expect_rc 0 lb status
not_contains "$OUT" "INCIDENT"
stop_daemon
done_ok

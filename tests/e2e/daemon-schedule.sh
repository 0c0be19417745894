# lifeboatd's scheduler and reloads (issue 7): a run missed while the daemon
# was down is run once at start (and not again at the next start); a job
# never seen before gets no run at start; SIGHUP with a broken config keeps
# the old one (errors logged with FILE:LINE, daemon answering, old jobs in
# status); `lifeboat reload` of a broken config says what is wrong; the
# daemon's own reload reply lists the errors; SIGHUP and `lifeboat reload`
# with a good config bring in a new job, which also gets no run at once;
# a cron schedule fires and the next run moves on.
# Drives: lib/base/schedule.c, lib/run/jobstate.c, lib/config/config.c (through daemon/scheduler.c).
set -e
# shellcheck source=tests/e2e/daemon-lib.sh
. "$(dirname "$0")/daemon-lib.sh"

db="dms_$$"
make_rows "$db" 200

# @hourly must not fire by itself during the test: keep clear of the top of
# the hour (at most a minute's wait).
secs=$(( $(date +%s) % 3600 ))
if [ "$secs" -gt 3540 ]; then
	sleep $((3600 - secs + 2))
fi

CFG=$TMP/schedule.ini
{
	daemon_globals
	db_job hourly "$db" "schedule = @hourly"
	db_job fresh "$db" "schedule = @hourly"
} >"$CFG"

# -------------------------------------------------------------- catch-up
now=$(date +%s)
mkdir -p "$STATE"
printf '{"hourly": {"last_fire": %d}}\n' $((now - 7200)) >"$STATE/schedule.json"
start_daemon
has_backups() { [ "$(backup_count "$1")" -ge "$2" ]; }
wait_until 30 "the missed run of job hourly" has_backups hourly 1
wait_until 10 "the missed run's end" daemon_idle
log_has "job hourly: the run due at"
log_has "was missed while lifeboatd was down"
log_has "job hourly: run started (missed)"
ID=$(backups hourly)
[ -n "$ID" ] || fail "no backup of the missed run"
equals "$(status_json '[x for x in j["jobs"] if x["name"] == "hourly"][0]["last_good"]["id"]')" "$ID" \
	"last good id of hourly after the catch-up"
# Once: nothing more comes.
sleep 2
equals "$(backups hourly)" "$ID" "backups of hourly 2 s after the catch-up"
equals "$(grep -c 'run started' "$DLOG")" "1" "runs started (log: $(cat "$DLOG"))"

# A job never seen before: no run at start, its history starts now.
equals "$(backups fresh)" "" "backups of the new job fresh"
not_contains "$(cat "$DLOG")" "job fresh: run started" "the daemon's log"
last=$(json_get "$STATE/schedule.json" 'j["fresh"]["last_fire"]')
if [ "$last" -lt "$now" ] || [ "$last" -gt "$(date +%s)" ]; then
	fail "schedule.json last_fire of fresh is $last, expected the daemon's start ($now..)"
fi
CHECKS=$((CHECKS + 1))
last=$(json_get "$STATE/schedule.json" 'j["hourly"]["last_fire"]')
[ "$last" -ge "$now" ] || fail "schedule.json last_fire of hourly is $last after the catch-up (< $now)"
CHECKS=$((CHECKS + 1))
next=$(status_json '[x for x in j["jobs"] if x["name"] == "hourly"][0]["next_run"]')
contains "$next" ":00:00Z" "next_run of an @hourly job"

# A restart does not run it again.
stop_daemon 10
start_daemon
sleep 2
equals "$(backups hourly)" "$ID" "backups of hourly after a restart"
equals "$(grep -c 'run started' "$DLOG")" "1" "runs started after a restart (log: $(cat "$DLOG"))"

# ------------------------------------------------------ a broken config
cp "$CFG" "$TMP/good.ini"
{
	daemon_globals
	db_job hourly "$db" "schedule = @hourly"
	db_job fresh "$db" "schedule = @hourly"
	echo "frobnicate = yes"
	db_job added "$db"
} >"$CFG"
badline=$(grep -n '^frobnicate' "$CFG" | cut -d: -f1)
kill -HUP "$DPID"
wait_until 5 "the refusal of the broken config in the log" grep -q "the old one stays in use" "$DLOG"
log_has "$CFG:$badline:"
log_has "frobnicate"
daemon_alive || fail "lifeboatd died on SIGHUP with a broken config"
CHECKS=$((CHECKS + 1))
expect_rc 0 "$LIFEBOAT" -c "$TMP/good.ini" status
contains "$OUT" "hourly " "status after a refused reload"
contains "$OUT" "fresh " "status after a refused reload"
not_contains "$OUT" "added " "status after a refused reload"
equals "$(status_json '",".join(x["name"] for x in j["jobs"])' 2>/dev/null || true)" "" \
	"status --json with the broken config (the CLI refuses it)"

# The CLI reads the config too: it refuses it, naming file, line and key,
# with the exit code for a bad config (2).
expect_rc 2 lb reload
contains "$ERR" "$CFG:$badline:" "lifeboat reload of a broken config"
contains "$ERR" "frobnicate" "lifeboat reload of a broken config"
# The daemon's own answer to a reload request lists the errors too.
reply=$(ctl_send '{"cmd":"reload"}\n' 1)
contains "$reply" '"ok":false' "the reload reply"
contains "$reply" "old one stays in use" "the reload reply"
contains "$reply" "$CFG:$badline:" "the reload reply's errors"
daemon_alive || fail "lifeboatd died on a reload request with a broken config"
equals "$("$LIFEBOAT" -c "$TMP/good.ini" status --json | python3 -c 'import json,sys; print(",".join(x["name"] for x in json.load(sys.stdin)["jobs"]))')" \
	"hourly,fresh" "jobs in status after refused reloads"

# ------------------------------------------------------ a good new config
{
	daemon_globals
	db_job hourly "$db" "schedule = @hourly"
	db_job fresh "$db" "schedule = @hourly"
	db_job added "$db" "schedule = @daily"
} >"$CFG"
kill -HUP "$DPID"
wait_until 5 "the reload in the log" grep -q "config reloaded: 3 jobs" "$DLOG"
equals "$(status_json '",".join(x["name"] for x in j["jobs"])')" "hourly,fresh,added" "jobs in status after SIGHUP"
expect_rc 0 lb status
contains "$OUT" "added " "status after SIGHUP"
sleep 1
equals "$(backups added)" "" "backups of a job added by a reload"
not_contains "$(cat "$DLOG")" "job added: run started" "the daemon's log"
equals "$(grep -c 'run started' "$DLOG")" "1" "runs started after the reload"

# `lifeboat reload`: a job removed and one that fires every minute added.
# (Schedules under a minute are refused by the config, so the timer is
# proven with a cron line: at most a minute's wait.)
{
	daemon_globals
	db_job hourly "$db" "schedule = @hourly"
	db_job often "$db" "schedule = * * * * *"
} >"$CFG"
expect_rc 0 lb reload
contains "$OUT" "reloaded" "lifeboat reload"
equals "$(status_json '",".join(x["name"] for x in j["jobs"])')" "hourly,often" "jobs in status after lifeboat reload"
next=$(status_json '[x for x in j["jobs"] if x["name"] == "often"][0]["next_run"]')
contains "$next" ":00Z" "next_run of a every-minute job"

# ------------------------------------------------------ a scheduled run
wait_until 75 "a scheduled run of job often" has_backups often 1
log_has "job often: run started (schedule)"
wait_until 15 "the scheduled run's end" daemon_idle
equals "$(status_json '[x for x in j["jobs"] if x["name"] == "often"][0]["last_run"]["result"]')" "ok" \
	"last result of often"
next2=$(status_json '[x for x in j["jobs"] if x["name"] == "often"][0]["next_run"]')
[ "$next2" \> "$next" ] || fail "next_run of often did not move on after it fired ($next, then $next2)"
CHECKS=$((CHECKS + 1))
fired=$(json_get "$STATE/schedule.json" 'j["often"]["last_fire"]')
[ $(( $(date +%s) - fired )) -lt 30 ] || fail "schedule.json last_fire of often is $fired, not the fire just seen"
CHECKS=$((CHECKS + 1))

stop_daemon 10
equals "$DRC" "0" "lifeboatd's exit status"
done_ok

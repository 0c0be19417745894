# lifeboatd's job children (issue 7), with a dump slowed down by io_limit so
# that it runs for well over 10 s: `lifeboat cancel` ends it (no backup, no
# temporary file, the run recorded as failed, on_failure run); kill -9 of the
# child leaves the daemon answering and the run recorded as killed by signal
# 9 (on_failure with LIFEBOAT_RESULT=failed; no backup listed); the same job
# cannot start twice (`run --here` and a second `run` are refused); SIGTERM
# during a run ends the daemon quickly and cleanly, and within stop_timeout
# even when the child is stuck (killed); a hook that outlives hook_timeout
# is killed and the daemon stays up.
# Drives: lib/run/jobrun.c, lib/run/jobstate.c, lib/store/store_clean.c (through daemon/children.c).
set -e
# shellcheck source=tests/e2e/daemon-lib.sh
. "$(dirname "$0")/daemon-lib.sh"

big="dmc_b_$$"		# 12000 rows, ~1 MB of SQL: ~20 s at 50 KB/s
small="dmc_s_$$"
make_rows "$big" 12000
make_rows "$small" 100
HOOKLOG=$TMP/hooks.log
SLEEP=29.$$		# the lingering hook's sleep, to find it by

CFG=$TMP/children.ini
{
	daemon_globals "stop_timeout = 5s" "hook_timeout = 1s"
	db_job slow "$big" "io_limit = 50K" \
		"on_failure = echo \"failure result=\$LIFEBOAT_RESULT job=\$LIFEBOAT_JOB message=\$LIFEBOAT_MESSAGE\" >> $HOOKLOG"
	db_job quick "$small" "on_success = echo lingering >> $HOOKLOG && exec sleep $SLEEP"
} >"$CFG"

# temp_files: the store's hidden (temporary) files.
temp_files() { find "$STORE" -name '.*' 2>/dev/null; }
child_of() { job_children | head -n 1; }
# running_with_progress JOB: the daemon has a child for JOB that has reported.
running_with_progress() {
	[ "$(status_json "[x for x in j['jobs'] if x['name'] == '$1'][0]['running']['phase']" 2>/dev/null)" = running ]
}
# start_slow: a daemon run of job slow, under way (progress reported).
start_slow() {
	expect_rc 0 lb run slow
	wait_until 15 "the slow run's progress" running_with_progress slow
	CHILD=$(child_of)
	[ -n "$CHILD" ] || fail "no job child found for the slow run"
	CHECKS=$((CHECKS + 1))
}
last_run() { json_get "$(state_of "$1")" "j['last_run']$2"; }
hooks_seen() { [ "$(grep -c "$1" "$HOOKLOG" 2>/dev/null)" -ge "$2" ]; }

start_daemon

# ---------------------------------------------------------------- cancel
start_slow
expect_rc 0 lb cancel slow
contains "$OUT" "asked to stop" "lifeboat cancel"
wait_until 10 "the cancelled run's end" daemon_idle
kill -0 "$CHILD" 2>/dev/null && fail "the cancelled child $CHILD is still there"
equals "$(backups slow)" "" "backups of slow after a cancel"
equals "$(temp_files)" "" "temporary files in the store after a cancel"
equals "$(last_run slow '["result"]')" "cancelled" "last_run.result after a cancel"
# A cancel is not a failure of the backup: no CRITICAL for it.
expect_rc 0 lb status --check
contains "$(last_run slow '["error"]')" "cancel" "last_run.error after a cancel"
log_has "job slow: asking the run to stop"
wait_until 5 "the on_failure hook after a cancel" hooks_seen "failure result=" 1
contains "$(cat "$HOOKLOG")" "failure result=cancelled job=slow" "the on_failure hook after a cancel"
# Cancelling what does not run is an error.
expect_rc 1 lb cancel slow
contains "$ERR" "not running" "lifeboat cancel of an idle job"
expect_rc 1 lb cancel nosuchjob
contains "$ERR" "nosuchjob" "lifeboat cancel of an unknown job"

# ---------------------------------------------------------------- kill -9
start_slow
kill -KILL "$CHILD"
wait_until 10 "the killed run's end" daemon_idle
daemon_alive || fail "lifeboatd died with its child"
CHECKS=$((CHECKS + 1))
expect_rc 2 lb status --check
contains "$OUT" "slow: last run failed" "--check after kill -9 of the child"
contains "$OUT" "killed by signal 9" "--check after kill -9 of the child"
equals "$(last_run slow '["result"]')" "failed" "last_run.result after kill -9"
contains "$(last_run slow '["error"]')" "killed by signal 9" "last_run.error after kill -9"
equals "$(status_json "[x for x in j['jobs'] if x['name'] == 'slow'][0]['last_run']['result']")" "failed" \
	"status --json last_run.result after kill -9"
equals "$(backups slow)" "" "backups of slow after kill -9"
# What the killed child had half-written is removed by the daemon at once.
equals "$(temp_files)" "" "temporary files in the store after kill -9"
log_has "job slow: the job process was killed by signal 9"
wait_until 5 "the on_failure hook after kill -9" hooks_seen "failure result=" 2
contains "$(tail -n 1 "$HOOKLOG")" "failure result=failed job=slow message=the job process was killed by signal 9" \
	"the on_failure hook after kill -9"
not_contains "$(cat "$HOOKLOG")" "$(cat "$PWFILE")" "the hooks' output (the password)"

# ---------------------------------------------------------------- removed by a reload, then back
start_slow
cp "$CFG" "$TMP/with-slow.ini"
{
	daemon_globals "stop_timeout = 5s" "hook_timeout = 1s"
	db_job quick "$small" "on_success = echo lingering >> $HOOKLOG && exec sleep $SLEEP"
} >"$CFG"
expect_rc 0 lb reload
log_has "job slow: removed from the config; its current run goes on to its end"
cp "$TMP/with-slow.ini" "$CFG"
expect_rc 0 lb reload
# Back in the config, the job has its run back: shown, and cancellable.
equals "$(status_json "[x for x in j['jobs'] if x['name'] == 'slow'][0]['running']['phase']")" "running" \
	"status of a running job removed and re-added by reloads"
expect_rc 0 lb cancel slow
wait_until 10 "the re-added job's cancelled run's end" daemon_idle
equals "$(last_run slow '["result"]')" "cancelled" "last_run.result of the re-added job after a cancel"

# ---------------------------------------------------------------- overlap
start_slow
expect_rc 1 lb run slow --here
contains "$ERR" "already running" "run --here while the daemon runs the job"
expect_rc 1 lb run slow
contains "$ERR" "already running" "a second run through the daemon"
expect_rc 1 lb run slow --wait
contains "$ERR" "already running" "a second run --wait through the daemon"
equals "$(job_children | wc -l)" "1" "job children of slow"
# The first run goes on, untouched.
kill -0 "$CHILD" 2>/dev/null || fail "the running child went away"
CHECKS=$((CHECKS + 1))

# ---------------------------------------------------------------- SIGTERM
# The run stops at once, the daemon with it; nothing half-written is left.
t0=$(date +%s.%N)
stop_daemon 5
elapsed=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
equals "$DRC" "0" "lifeboatd's exit status after SIGTERM during a run"
kill -0 "$CHILD" 2>/dev/null && fail "the job child $CHILD outlived the daemon"
CHECKS=$((CHECKS + 1))
equals "$(job_children)" "" "job children after SIGTERM"
equals "$(backups slow)" "" "backups of slow after SIGTERM"
equals "$(temp_files)" "" "temporary files in the store after SIGTERM"
log_has "stopping: 1 job running"
echo "SIGTERM during a run: lifeboatd gone in ${elapsed}s"

# A child stuck where it cannot see the request (waiting for a table lock)
# is killed at stop_timeout (5 s), and the daemon exits right after.  Stop
# only once the dump's own statement waits at the lock: before, the child is
# opening the throttle's canary (which gives up on the locked table after a
# second) or measuring the site's baseline, and stops at once.
start_daemon
gate_table "$big" t 60
expect_rc 0 lb run slow
has_child() { [ -n "$(job_children)" ]; }
wait_until 10 "the slow run's child" has_child
CHILD=$(child_of)
wait_until 30 "the slow run's dump at the locked table" waits_at_gate "$big"
t0=$(date +%s.%N)
stop_daemon 8
elapsed=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
release_gate
echo "SIGTERM with a stuck child: lifeboatd gone in ${elapsed}s"
awk -v e="$elapsed" 'BEGIN { exit !(e >= 4 && e < 7) }' ||
	fail "lifeboatd took ${elapsed}s to stop with a stuck child (stop_timeout = 5s)"
CHECKS=$((CHECKS + 1))
log_has "job slow: did not stop within stop_timeout; killing it"
kill -0 "$CHILD" 2>/dev/null && fail "the stuck job child $CHILD outlived the daemon"
CHECKS=$((CHECKS + 1))
equals "$(backups slow)" "" "backups of slow after a stop with a stuck child"
equals "$(last_run slow '["result"]')" "failed" "last_run.result after a stop with a stuck child"
# Not asserted: a child killed with SIGKILL cannot remove its temporary
# files, and the daemon does not clean up after it (the next run does).
echo "temporary files after the stuck child was killed: $(temp_files | tr '\n' ' ')"

# ------------------------------------------------- a run --here holds the job
# The daemon's child finds the job's lock taken: no run, said so.
start_daemon
"$LIFEBOAT" -c "$CFG" run slow --here >"$TMP/here.out" 2>"$TMP/here.err" &
HERE=$!
kill_later "$HERE"
# The job's run lock (locks/slow.lock) is taken.
here_runs() {
	local ino
	ino=$(stat -c %i "$STATE/locks/slow.lock" 2>/dev/null) || return 1
	grep -q "FLOCK .*:$ino " /proc/locks
}
wait_until 15 "the run --here under way" here_runs
expect_rc 1 lb run slow --wait
contains "$ERR" "already running in another process" "run --wait while a run --here holds the job"
log_has "job slow: the job is already running in another process"
equals "$(backups slow)" "" "backups of slow while run --here goes on"
kill -0 "$HERE" 2>/dev/null || fail "the run --here did not survive the daemon's attempt"
CHECKS=$((CHECKS + 1))
kill -TERM "$HERE"
set +e
wait "$HERE"
rc=$?
set -e
equals "$rc" "1" "exit status of a run --here stopped by SIGTERM"
equals "$(temp_files)" "" "temporary files after a run --here stopped by SIGTERM"

# ---------------------------------------------------------------- hooks
# A good run whose on_success hook sleeps past hook_timeout (1 s): killed,
# said so in the log, and the daemon carries on.
expect_rc 0 lb run quick --wait
wait_until 5 "the lingering hook" hooks_seen lingering 1
wait_until 5 "the hook's kill in the log" grep -q "on_success hook still running after hook_timeout; killing it" "$DLOG"
wait_until 5 "the hook's end in the log" grep -q "job quick: on_success hook killed by signal 9" "$DLOG"
hook_gone() { ! pgrep -f "^sleep $SLEEP\$" >/dev/null; }
wait_until 3 "the hook's sleep gone" hook_gone
daemon_alive || fail "lifeboatd died with its hook"
CHECKS=$((CHECKS + 1))
# quick is fine (a hook's failure is not the run's); slow's last run was
# cancelled by SIGTERM above, which is not a failure.
expect_rc 0 lb status --check
contains "$OUT" "LIFEBOAT OK" "--check after a killed hook"
equals "$(last_run quick '["result"]')" "ok" "last_run.result of quick"
expect_rc 0 lb run quick --wait
stop_daemon 10
equals "$DRC" "0" "lifeboatd's exit status"
done_ok

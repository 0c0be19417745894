# drill jobs killed (issue 19): kill -9 of a drill's process in the middle
# of a db restore, and again in the middle of a files restore, leaves its
# scratch database or directory behind, which the next drill removes before
# it restores (and that drill passes, leaving nothing); the daemon records
# each killed drill as failed (CRITICAL in status --check, on_failure run).
# Drives: lib/drill/drill_run.c, lib/drill/drill_record.c (drill_scratch_clean), lib/drill/drill_db.c (drill_db_drop), daemon/children.c.
set -e
# shellcheck source=tests/e2e/daemon-lib.sh
. "$(dirname "$0")/daemon-lib.sh"

db="drk_$$"
shop="kshop$$"
scratch_db="lifeboat_drill_$shop"
drop_db_later "$scratch_db"
make_rows "$db" 150000		# ~15 MB of SQL: a restore of a few seconds
SITE=$TMP/site
mkdir -p "$SITE"
head -c 150000000 /dev/urandom > "$SITE/big.bin"	# restored and hashed: a second or more
SCRATCH=$TMP/scratch
HOOKLOG=$TMP/hooks.log
CFG=$TMP/kill.ini
{
	daemon_globals
	db_job "$shop" "$db" | sed 's/^chunk_rows = .*/chunk_rows = 10000/'
	printf '[files:site]\nschedule = @daily\npath = %s\ncompress_level = 1\n' "$SITE"
	printf '[drill:weekly]\nschedule = @weekly\nof = %s, site\nscratch_dir = %s\n' "$shop" "$SCRATCH"
	printf 'on_failure = echo "failure result=$LIFEBOAT_RESULT job=$LIFEBOAT_JOB message=$LIFEBOAT_MESSAGE" >> %s\n' "$HOOKLOG"
} > "$CFG"
expect_rc 0 lb run "$shop" --here
expect_rc 0 lb run site --here

scratch_db_there() { db_exists "$scratch_db"; }
scratch_dir_there() { [ -d "$SCRATCH/lifeboat_drill_site" ]; }
last_run() { json_get "$(state_of weekly)" "j['last_run']$1"; }
hooks_seen() { [ "$(grep -c "$1" "$HOOKLOG" 2>/dev/null)" -ge "$2" ]; }

# kill_drill_when CHECK: starts the drill in the daemon, kills its process
# with SIGKILL as soon as CHECK succeeds.
kill_drill_when() {
	local child="" i
	expect_rc 0 lb run weekly
	for ((i = 0; i < 600; i++)); do
		[ -n "$child" ] || child=$(job_children | head -n 1)
		if [ -n "$child" ] && "$1"; then
			kill -KILL "$child"
			CHECKS=$((CHECKS + 1))
			wait_until 10 "the killed drill's end" daemon_idle
			return 0
		fi
		sleep 0.02
	done
	tail -n 20 "$DLOG" >&2
	fail "the drill never reached '$1'"
}

start_daemon

# ------------------------------------------------- killed in the db restore
kill_drill_when scratch_db_there
scratch_db_there || fail "the killed drill left no scratch database: the test did not kill it mid-restore"
CHECKS=$((CHECKS + 1))
equals "$(last_run "['result']")" "failed" "last_run.result of the killed drill"
contains "$(last_run "['error']")" "killed by signal 9" "last_run.error of the killed drill"
expect_rc 2 lb status --check
contains "$OUT" "weekly: last run failed" "--check after the killed drill"
wait_until 5 "the on_failure hook of the killed drill" hooks_seen "failure result=failed job=weekly" 1

# ---------------------------------------------- killed in the files restore
kill_drill_when scratch_dir_there
scratch_dir_there || fail "the killed drill left no scratch directory: the test did not kill it mid-restore"
CHECKS=$((CHECKS + 1))
equals "$(last_run "['result']")" "failed" "last_run.result of the second killed drill"
# The first leftover is gone already: the second drill dropped it before it restored.
if scratch_db_there; then fail "the second drill left the first one's scratch database"; fi
CHECKS=$((CHECKS + 1))

# ----------------------------------------------------- the next drill cleans
expect_rc 0 lb run weekly --wait
equals "$(last_run "['result']")" "ok" "last_run.result of the drill after the kills"
if scratch_db_there; then fail "a scratch database survived the next drill"; fi
CHECKS=$((CHECKS + 1))
equals "$(find "$SCRATCH" -mindepth 1 | head -n 3)" "" "the scratch directory after the next drill"
log_has "left by a drill that did not finish"
expect_rc 0 lb status --check
stop_daemon
done_ok

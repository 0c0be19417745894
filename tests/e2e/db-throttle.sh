# Load throttling against the real server (issue 8): the Threads_running gate
# (a run waits while 20 sessions are busy, starts when they end), a pause
# between chunks when they return mid-dump (the dump connection sits idle for
# the whole window) and a correct round trip afterwards, max_wait (starts
# anyway and says so), max_dump_time (a heavily throttled dump finishes near
# its budget), io_limit (the effective rate and the wall time), nice and the
# I/O class read back from /proc, and parallel_jobs (a second job waits for
# the run slot, or overlaps when two are allowed).
# Drives: lib/run/throttle.c, lib/db/dbdump.c, lib/db/jobkind_db.c, lib/run/jobrun.c.
set -e
# shellcheck source=tests/e2e/db-lib.sh
. "$(dirname "$0")/db-lib.sh"

command -v ionice >/dev/null 2>&1 || fail "ionice is not installed"

small="thr_s_$$"	# 5000 rows, ~0.4 MB of SQL
mid="thr_m_$$"		# 60000 rows, ~5 MB of SQL
slow="thr_a_$$"		# 12000 rows, ~1 MB of SQL
back="thr_r_$$"		# the restore of $mid

# make_table DB ROWS: DB.t with ROWS rows of hex strings (they compress about 2:1).
make_table() {
	drop_db_later "$1"
	db_q -e "CREATE DATABASE \`$1\`;
		CREATE TABLE \`$1\`.t (id INT PRIMARY KEY, a CHAR(32) NOT NULL, b VARCHAR(40) NOT NULL) ENGINE=InnoDB;
		INSERT INTO \`$1\`.t SELECT seq, MD5(seq), SHA1(seq) FROM \`$1\`.seq_1_to_$2"
}
make_table "$small" 5000
make_table "$mid" 60000
make_table "$slow" 12000

# ------------------------------------------------------------------ helpers
# 20 root sessions running SELECT SLEEP(60), each tagged so that it can be
# found and killed on the server (killing the client alone would leave the
# server's thread sleeping).
SLEEP_TAG="thr_sleeper_$$"
SLEEPERS=()

sleeper_ids() {
	db_q -e "SELECT ID FROM information_schema.PROCESSLIST
		WHERE INFO = 'SELECT SLEEP(60) AS $SLEEP_TAG' AND ID <> CONNECTION_ID()"
}

start_sleepers() {
	local _i
	for _i in $(seq 20); do
		db_q -e "SELECT SLEEP(60) AS $SLEEP_TAG" >/dev/null 2>&1 &
		SLEEPERS+=("$!")
		kill_later "$!"
	done
	for _ in $(seq 200); do
		[ "$(sleeper_ids | wc -l)" -ge 20 ] && return 0
		sleep 0.05
	done
	fail "the 20 sleeping sessions did not start"
}

stop_sleepers() {
	local id p
	for id in $(sleeper_ids); do
		db_q -e "KILL CONNECTION $id" >/dev/null 2>&1 || true
	done
	for p in "${SLEEPERS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	SLEEPERS=()
}
trap 'stop_sleepers; db_cleanup; rm -rf "$TMP"' EXIT

# nice_of PID: field 19 of /proc/PID/stat (the 17th after the command name).
nice_of() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $17 }'
}

# rec NAME EXPR: EXPR over the record of backup $ID of job NAME.
rec() { json_get "$(record_of "$1" "$ID")" "$2"; }

# check PYEXPR WHAT: the python expression (over the record, as j) is true.
check() {
	CHECKS=$((CHECKS + 1))
	[ "$(rec "$CHECK_JOB" "bool($1)")" = true ] ||
		fail "$2: $1 is false; throttle: $(rec "$CHECK_JOB" 'j.get("throttle")')"
}

# lifeboat_selects DB: how many lifeboat connections run a SELECT naming DB.
lifeboat_selects() {
	db_q -e "SELECT COUNT(*) FROM information_schema.PROCESSLIST
		WHERE USER = '$LBUSER' AND INFO LIKE 'SELECT%' AND INFO LIKE '%$1%'"
}

# nice_of_thread TID: the nice of the server's thread TID.
nice_of_thread() {
	sed 's/.*) //' "/proc/$(cat "$LIFEBOAT_TEST_MYSQL_DIR/mariadbd.pid")/task/$1/stat" 2>/dev/null | awk '{ print $17 }'
}

tmp_artifacts() { find "$STORE" -name '.backup-*.tmp' 2>/dev/null; }

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }
# is PYEXPR WHAT: a python expression (numbers) is true.
is() {
	CHECKS=$((CHECKS + 1))
	[ "$(python3 -c "print(bool($1))")" = True ] || fail "$2: $1 is false"
}

# ------------------------------------------- 1. the Threads_running gate, nice 10 and idle I/O
make_config thgate "$small" "max_threads_running = 10" "max_wait = 1h" "chunk_rows = 1000" \
	"max_latency_increase = 0%"
start_sleepers
bg_run gate thgate
# The defaults: nice 10 and the idle I/O class, set before the gate.
for _ in $(seq 100); do
	[ "$(nice_of "$JOBPID" 2>/dev/null)" = 10 ] && break
	sleep 0.05
done
equals "$(nice_of "$JOBPID")" "10" "nice of a job process (default)"
equals "$(ionice -p "$JOBPID")" "idle" "I/O class of a job process (default)"
# For ~3 s it waits: it runs, no SELECT of ours reaches the server, nothing is written.
t0=$(now)
for _ in $(seq 15); do
	equals "$(lifeboat_selects "$small")" "0" "lifeboat SELECTs while gated"
	equals "$(tmp_artifacts)" "" "temporary artifacts while gated"
	sleep 0.2
done
CHECKS=$((CHECKS + 1))
if [ -f "$TMP/gate.rc" ] || ! kill -0 "$JOBPID" 2>/dev/null; then
	fail "the gated run ended: $(cat "$TMP/gate.err")"
fi
equals "$(find "$STORE" -path "*/thgate/*" -type f 2>/dev/null)" "" "files of the gated run in the store"
# Released, it runs.
stop_sleepers
bg_wait gate "gate released"
is "$(elapsed "$t0" "$(cat "$TMP/gate.end")") < 20" "the gated run's time after release"
CHECK_JOB=thgate
check 'j["throttle"]["paced"] is False' "io_limit = 0 and max_latency_increase = 0%: not paced"
check '"controller" not in j["throttle"]' "max_latency_increase = 0%: no adaptive controller"
check 'j["throttle"]["waited_seconds"] >= 2' "gate: waited_seconds"
check '"threads_running" in j["throttle"]["gate_reason"]' "gate: gate_reason"
check 'j["throttle"]["started_anyway"] is False' "gate: started_anyway"
check 'j["db"]["tables"][0]["rows"] == 5000' "gate: rows dumped"

# ------------------------------------------- 2. a pause mid-dump, then a correct round trip
# Paced (it has an io_limit), the dump asks for about 32 KiB of rows per
# query and writes them at 1 MB/s: a chunk every ~30 ms, each SELECT over in
# about a millisecond, too short to be caught reliably on a busy machine.
# So the job logs in as an account of its own (the suite's other tests use
# the shared one), and its dump's connection is the one whose server thread
# runs at the job's nice, 10 (the run lowers it before the dump's first
# query; its Threads_running probe's stays at 0).  The record names the
# thread afterwards.
pauser="thp_$$"
new_account "$pauser"
make_config thpause "$mid" "max_threads_running = 10" "max_wait = 1h" "chunk_rows = 10000" "io_limit = 1M" \
	"max_latency_increase = 0%" "user = $pauser" "password_file = $TMP/$pauser.password"
bg_run pause thpause
conn=""
for _ in $(seq 500); do
	while read -r id tid; do
		[ -n "$tid" ] && [ "$(nice_of_thread "$tid")" = 10 ] && conn=$id && conn_tid=$tid
	done < <(db_q -e "SELECT ID, TID FROM information_schema.PROCESSLIST WHERE USER = '$pauser'")
	[ -n "$conn" ] && break
	[ -f "$TMP/pause.rc" ] && fail "the dump ended before its connection was seen"
	sleep 0.02
done
CHECKS=$((CHECKS + 1))
[ -n "$conn" ] || fail "never saw the dump's connection (a server thread of $pauser at nice 10)"
start_sleepers
# Within a few seconds it stops between chunks: idle (Sleep) for over 0.5 s,
# when the next chunk would have been asked for at once.
paused=0
for _ in $(seq 50); do
	if [ "$(db_q -e "SELECT COMMAND = 'Sleep' AND TIME_MS >= 500 FROM information_schema.PROCESSLIST WHERE ID = $conn")" = 1 ]; then
		paused=1
		break
	fi
	[ -f "$TMP/pause.rc" ] && fail "the dump finished instead of pausing"
	sleep 0.1
done
CHECKS=$((CHECKS + 1))
[ $paused = 1 ] || fail "the dump did not pause with 20 busy sessions"
# For 2 s more: no SELECT on the dump connection, its artifact does not grow.
part=$(tmp_artifacts)
[ -n "$part" ] || fail "no temporary artifact while the dump is paused"
size0=$(stat -c %s "$part")
for _ in $(seq 10); do
	row=$(db_q -e "SELECT COMMAND, IFNULL(INFO, '-') FROM information_schema.PROCESSLIST WHERE ID = $conn")
	case "$row" in
	Sleep*) CHECKS=$((CHECKS + 1)) ;;
	*) fail "the paused dump connection is busy: $row" ;;
	esac
	not_contains "$row" "SELECT" "the paused dump connection"
	sleep 0.2
done
equals "$(db_q -e "SELECT TIME_MS >= 2000 FROM information_schema.PROCESSLIST WHERE ID = $conn")" "1" \
	"the dump connection idle for the whole window"
equals "$(stat -c %s "$part")" "$size0" "the paused dump's artifact size"
# Released, it resumes and completes.
stop_sleepers
bg_wait pause "pause released"
CHECK_JOB=thpause
check "j['db']['server_thread']['tid'] == $conn_tid" "pause: the connection watched was the dump's"
check 'j["throttle"]["pauses"] >= 1' "pause: pauses"
check 'j["throttle"]["paused_by"].get("threads_running", 0) >= 2' "pause: paused_by.threads_running"
check 'j["throttle"]["paused_seconds"] >= 2' "pause: paused_seconds"
check 'j["throttle"]["waited_seconds"] < 1' "pause: waited_seconds"
check 'j["throttle"]["max_dump_time_reached"] is False' "pause: max_dump_time_reached"
drop_db_later "$back"
expect_rc 0 lb restore thpause latest --database "$back"
equals "$(db_q -e "SELECT COUNT(*) FROM \`$back\`.t")" "60000" "rows restored after a paused dump"
equals "$(db_q -e "CHECKSUM TABLE \`$back\`.t" | cut -f 2)" "$(db_q -e "CHECKSUM TABLE \`$mid\`.t" | cut -f 2)" \
	"CHECKSUM TABLE of the restore after a paused dump"

# ------------------------------------------- 3. max_wait: starts anyway; nice 5, best-effort 6
make_config thwait "$small" "max_threads_running = 10" "max_wait = 2s" "max_dump_time = 3s" \
	"chunk_rows = 1000" "nice = 5" "ionice = best-effort:6"
start_sleepers
t0=$(now)
bg_run wait thwait
for _ in $(seq 100); do
	[ "$(nice_of "$JOBPID" 2>/dev/null)" = 5 ] && break
	sleep 0.02
done
equals "$(nice_of "$JOBPID")" "5" "nice of a job process (nice = 5)"
equals "$(ionice -p "$JOBPID")" "best-effort: prio 6" "I/O class of a job process (ionice = best-effort:6)"
bg_wait wait "max_wait"
took=$(elapsed "$t0" "$(cat "$TMP/wait.end")")
stop_sleepers
# About 2 s at the gate, then 3 s paused (the sessions are still busy) until max_dump_time.
is "$took >= 4.5 and $took < 15" "max_wait 2s + max_dump_time 3s: wall time $took s"
CHECK_JOB=thwait
check 'j["throttle"]["started_anyway"] is True' "max_wait: started_anyway"
check '2 <= j["throttle"]["waited_seconds"] <= 10' "max_wait: waited_seconds"
check '"threads_running" in j["throttle"]["gate_reason"]' "max_wait: gate_reason"
check 'j["throttle"]["max_dump_time_reached"] is True' "max_wait: max_dump_time_reached"
check 'j["throttle"]["paused_by"].get("threads_running", 0) >= 2' "max_wait: paused until the budget"
contains "$(cat "$TMP/wait.err")" "starting anyway" "log of a run started after max_wait"

# ------------------------------------------- 3b. the server thread serving the dump runs at the job's nice
# Other tests dump at the same time, so look at our dump's own thread: the
# server thread (PROCESSLIST.TID) of the connection reading $mid.
# As a run killed mid-dump would leave it: every server thread but the main
# one at nice 10, the thread cache included.  The dump must still restore its
# thread to the server's own nice (0), not to the 10 it found.
spid=$(cat "$LIFEBOAT_TEST_MYSQL_DIR/mariadbd.pid")
for t in /proc/"$spid"/task/*; do
	[ "${t##*/}" = "$spid" ] || renice -n 10 -p "${t##*/}" >/dev/null 2>&1 || true
done
make_config thsrv "$mid" "io_limit = 500K" "chunk_rows = 1000" "max_latency_increase = 0%"
bg_run srv thsrv
# While it runs, a server thread of our dump's connection (the one whose
# query names $mid; the run's size estimate names it too, on
# information_schema: not that one) is seen at nice 10.
seen=""
for _ in $(seq 750); do
	[ -f "$TMP/srv.rc" ] && break
	for t in $(db_q -e "SELECT TID FROM information_schema.PROCESSLIST
		WHERE USER = '$LBUSER' AND INFO LIKE '%$mid%' AND INFO NOT LIKE '%information_schema%'"); do
		[ "$(nice_of_thread "$t")" = 10 ] && seen=$t
	done
	[ -n "$seen" ] && break
	sleep 0.02
done
bg_wait srv "server thread nice"
CHECK_JOB=thsrv
check 'j["db"]["server_thread"]["nice"] == 10' "the record's server thread nice"
check 'j["db"]["server_thread"]["restored_to"] == 0' "the nice the server thread got back (the server's own)"
tid=$(rec thsrv 'j["db"]["server_thread"]["tid"]')
[ -z "$seen" ] || equals "$seen" "$tid" "the server thread seen at nice 10 is the one the record names"
# Given back before the connection closed (it was 10 before the dump): the
# thread cache reuses it.  (The thread may also have ended.)
after=$(nice_of_thread "$tid")
[ -z "$after" ] || equals "$after" "0" "nice of that server thread after the dump"
for t in /proc/"$spid"/task/*; do
	renice -n 0 -p "${t##*/}" >/dev/null 2>&1 || true
done

# ------------------------------------------- 4. max_dump_time cuts a heavily throttled dump short
# ~7.5 MB through the bucket (SQL and compressed) at 200 KB/s would take ~37 s.
make_config thbudget "$mid" "io_limit = 200K" "max_dump_time = 3s" "chunk_rows = 1000" "max_latency_increase = 0%"
t0=$(now)
expect_run_ok thbudget
took=$(elapsed "$t0" "$(now)")
is "$took < 12" "a dump throttled to 200K with max_dump_time = 3s: wall time $took s"
CHECK_JOB=thbudget
check 'j["throttle"]["max_dump_time_reached"] is True' "max_dump_time: max_dump_time_reached"
# Held back up to the budget; the write under way then may still finish its sleep.
check '2 <= j["throttle"]["io_limit_seconds"] <= 5' "max_dump_time: io_limit_seconds"
check 'j["size_raw"] > 4000000' "max_dump_time: size of the dump"
check 'j["throttle"]["paced"] is True' "max_dump_time: the run started paced"
# Past the budget the dump drops its 32 KiB chunks for chunk_rows (1000) rows:
# far fewer queries than a dump paced to its end would need.
# (The record counts the dump's own SELECTs of rows: other tests share the server.)
raw=$(rec thbudget 'j["size_raw"]')
selects=$(rec thbudget 'sum(t["queries"] for t in j["db"]["tables"])')
is "$selects < $raw / 32768 / 2" "past max_dump_time: $selects queries for $raw bytes of SQL (paced throughout: over $((raw / 32768)))"

# ------------------------------------------- 5. io_limit: the rate and the wall time
make_config thio "$mid" "io_limit = 2M" "chunk_rows = 1000" "max_latency_increase = 0%"
t0=$(now)
expect_run_ok thio
took=$(elapsed "$t0" "$(now)")
CHECK_JOB=thio
# Paced: chunks of about 32 KiB of SQL, not chunk_rows (1000) rows, so the
# server thread works in short stretches.  At least one query per 64 KiB.
check 'j["throttle"]["paced"] is True' "io_limit: the run is paced"
raw=$(rec thio 'j["size_raw"]')
selects=$(rec thio 'sum(t["queries"] for t in j["db"]["tables"])')
is "$selects >= $raw / 65536" "a paced dump of $raw bytes of SQL asked $selects queries (chunks of about 32 KiB)"
limit=$((2 * 1024 * 1024))
check "j['throttle']['io_limit'] == $limit" "io_limit: io_limit"
# The bucket counts the SQL read and the compressed bytes written.
check 'j["throttle"]["io_bytes"] == j["size_raw"] + j["size_stored"]' "io_limit: io_bytes"
check "j['throttle']['effective_rate'] <= 1.15 * $limit" "io_limit: effective_rate at most 1.15 x io_limit"
check "j['throttle']['effective_rate'] >= 0.5 * $limit" "io_limit: effective_rate not far below io_limit"
io=$(rec thio 'j["throttle"]["io_bytes"]')
is "$took >= $io / $limit * 0.8" "io_limit: wall time $took s for $io bytes"

# ------------------------------------------- 6. parallel_jobs: one slot, then two
CFG=$TMP/slots.ini
{
	echo "[lifeboat]"
	echo "store = $STORE"
	echo "state_dir = $STATE"
	echo "parallel_jobs = 1"
	echo "max_load = 0"
	echo "io_limit = 0"
	for job in slota slotb; do
		echo "[db:$job]"
		echo "schedule = @daily"
		echo "socket = $SOCK"
		echo "user = $LBUSER"
		echo "password_file = $PWFILE"
		echo "chunk_rows = 1000"
		echo "max_threads_running = 0"
		echo "keep_last = 1000"
		if [ $job = slota ]; then
			echo "databases = $slow"
			echo "io_limit = 500K"	# ~1.5 MB through the bucket: ~3 s
		else
			echo "databases = $small"
		fi
	done
} >"$CFG"

# slot_pair: runs slota, then (once it is dumping) slotb; both succeed.
slot_pair() {
	bg_run slota slota
	local apid=$BG
	for _ in $(seq 200); do
		[ -n "$(tmp_artifacts)" ] && break
		sleep 0.02
	done
	[ -n "$(tmp_artifacts)" ] || fail "slota is not dumping"
	bg_run slotb slotb
	bg_wait slotb "slotb"
	BID=$ID
	BG=$apid
	bg_wait slota "slota"
	AID=$ID
}

slot_pair
ID=$BID
CHECK_JOB=slotb
check 'j["throttle"]["slot_waited_seconds"] > 0.5' "parallel_jobs = 1: slotb's slot_waited_seconds"
check 'j["throttle"]["waited_seconds"] >= j["throttle"]["slot_waited_seconds"]' "parallel_jobs = 1: waited_seconds counts the slot"
is "$(cat "$TMP/slotb.end") >= $(cat "$TMP/slota.end")" "parallel_jobs = 1: slotb ends after slota"
ID=$AID
CHECK_JOB=slota
check 'j["throttle"]["slot_waited_seconds"] < 0.5' "parallel_jobs = 1: slota's slot_waited_seconds"

sed -i 's/^parallel_jobs = 1$/parallel_jobs = 2/' "$CFG"
grep -q '^parallel_jobs = 2$' "$CFG" || fail "cannot set parallel_jobs = 2"
slot_pair
ID=$BID
CHECK_JOB=slotb
check 'j["throttle"]["slot_waited_seconds"] < 0.5' "parallel_jobs = 2: slotb's slot_waited_seconds"
is "$(cat "$TMP/slotb.end") < $(cat "$TMP/slota.end")" "parallel_jobs = 2: slotb ends while slota runs"

done_ok

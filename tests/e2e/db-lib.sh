# Shared helpers of the db end-to-end tests (sourced, bash), on top of lib.sh.
#
# The suite runner (tests/run-tests.sh) starts one private MariaDB server and
# exports LIFEBOAT_TEST_MYSQL_*; tests may run two at a time against it, so
# every database, user and store a test makes carries its pid ($$) and is
# removed on exit (db_cleanup, chained before lib.sh's removal of $TMP).
#
#   db_q SQL...           root client, batch mode, no column names (-e or stdin)
#   db_restore            root client for restores (reads SQL on stdin)
#   make_config NAME DBS [key=value | -key]...
#                         writes $TMP/NAME.ini for job [db:NAME], sets CFG
#   lb ARGS...            $LIFEBOAT -c $CFG ARGS...
#   load_fixture DB       loads tests/sql/types-roundtrip.sql as database DB
#   snapshot_db DB FILE   CHECKSUM TABLE and SHOW CREATE of everything in DB
#   id_of TEXT            the backup id (YYYY/MM/backup-DD-NN) in TEXT
#   job_dir NAME, artifact_of NAME ID, record_of NAME ID, state_of NAME
#   json_get FILE EXPR    prints EXPR (python, over the parsed FILE as j)
#   expect_failed_run NAME GOOD_IDS REASON...   (see below)
#   gate_table DB TABLE SECONDS, release_gate   make a dump wait at a table
#   waits_at_gate DB                            a dump's statement waits there
#   drop_db_later DB, drop_user_later USER, kill_later PID, umount_later DIR
#   bg_run TAG JOB, bg_wait TAG WHAT   `run JOB --here` in the background, then its id

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

: "${LIFEBOAT_TEST_MYSQL_SOCKET:?the harness (tests/run-tests.sh) did not start MariaDB}"
: "${LIFEBOAT_TEST_MYSQL_PASSWORD_FILE:?}"
: "${LIFEBOAT_TEST_MYSQL_DIR:?}"
: "${SRCDIR:?run through meson test}"
[ -S "$LIFEBOAT_TEST_MYSQL_SOCKET" ] || fail "no MariaDB socket at $LIFEBOAT_TEST_MYSQL_SOCKET"
for tool in mariadb zstd sha256sum python3; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed"
done

SOCK=$LIFEBOAT_TEST_MYSQL_SOCKET
ADMIN=${LIFEBOAT_TEST_MYSQL_ADMIN_USER:-root}
LBUSER=${LIFEBOAT_TEST_MYSQL_USER:-lifeboat}
FIXTURE=$SRCDIR/tests/sql/types-roundtrip.sql
STORE=$TMP/store
STATE=$TMP/state
# A copy of the lifeboat account's password file that the tests own.
PWFILE=$TMP/lifeboat.password
cp "$LIFEBOAT_TEST_MYSQL_PASSWORD_FILE" "$PWFILE"
chmod 600 "$PWFILE"

# ---------------------------------------------------------------- cleanup
DB_CLEAN_DBS=()
DB_CLEAN_USERS=()
DB_CLEAN_PIDS=()
DB_CLEAN_MOUNTS=()

drop_db_later() { DB_CLEAN_DBS+=("$1"); }
drop_user_later() { DB_CLEAN_USERS+=("$1"); }
kill_later() { DB_CLEAN_PIDS+=("$1"); }
umount_later() { DB_CLEAN_MOUNTS+=("$1"); }

# kill_tree PID: PID's children (found by parent id), then PID itself.
kill_tree() {
	local pid=$1 child
	for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
		kill_tree "$child"
	done
	kill "$pid" 2>/dev/null || true
}

db_cleanup() {
	local p d u m
	set +e
	[ -z "${GATE_TAG:-}" ] || release_gate
	# Only while still this shell's child (never a reused pid).
	for p in "${DB_CLEAN_PIDS[@]}"; do
		[ "$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')" = "$$" ] && kill_tree "$p"
	done
	for p in "${DB_CLEAN_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	for m in "${DB_CLEAN_MOUNTS[@]}"; do
		if mountpoint -q "$m"; then
			umount "$m" 2>/dev/null || umount -l "$m"
		fi
	done
	for d in "${DB_CLEAN_DBS[@]}"; do
		db_q -e "DROP DATABASE IF EXISTS \`$d\`" >/dev/null 2>&1
	done
	for u in "${DB_CLEAN_USERS[@]}"; do
		db_q -e "DROP USER IF EXISTS '$u'@'localhost', '$u'@'127.0.0.1'" >/dev/null 2>&1
	done
}
trap 'db_cleanup; rm -rf "$TMP"' EXIT

# ----------------------------------------------------------------- clients
db_q() {
	mariadb --no-defaults --socket="$SOCK" -u"$ADMIN" --batch --skip-column-names "$@"
}

# Restores take SQL on stdin; the fixture has rows over 16 MB.
# shellcheck disable=SC2120
db_restore() {
	mariadb --no-defaults --socket="$SOCK" -u"$ADMIN" --max-allowed-packet=1G "$@"
}

load_fixture() {
	drop_db_later "$1"
	sed "s/@DB@/$1/g" "$FIXTURE" | db_restore || fail "cannot load the fixture into $1"
}

# db_exists DB
db_exists() {
	[ -n "$(db_q -e "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '$1'")" ]
}

# gate_table DB TABLE SECONDS: a background root session holds a WRITE lock
# on DB.TABLE for SECONDS, so that a dump reaching that table waits there
# (connected, in the middle of its work); returns once the lock is held.
# release_gate ends it early.
gate_table() {
	GATE_TAG=gate_$$_$RANDOM
	db_q -e "LOCK TABLES \`$1\`.\`$2\` WRITE; SELECT SLEEP($3) AS $GATE_TAG; UNLOCK TABLES" >/dev/null 2>&1 &
	GATE_PID=$!
	kill_later "$GATE_PID"
	for _ in $(seq 100); do
		[ -n "$(gate_session)" ] && return 0
		sleep 0.05
	done
	fail "could not lock $1.$2"
}

gate_session() {
	db_q -e "SELECT ID FROM information_schema.PROCESSLIST
		WHERE INFO LIKE 'SELECT SLEEP(%) AS $GATE_TAG' AND ID <> CONNECTION_ID() LIMIT 1"
}

# waits_at_gate DB: a session other than the gate's waits for a table lock
# in DB with a statement of a dump's (not the throttle's canary: its MIN/MAX
# of the key when it opens, its lookups ending in LIMIT 1).  Before that,
# a job is still where it sees a stop request at once.
waits_at_gate() {
	[ -n "$(db_q -e "SELECT ID FROM information_schema.PROCESSLIST
		WHERE STATE LIKE 'Waiting for table%' AND INFO LIKE '%$1%'
		AND INFO NOT LIKE 'SELECT MIN(%' AND INFO NOT LIKE '% LIMIT 1' LIMIT 1")" ]
}

release_gate() {
	local id
	id=$(gate_session)
	[ -z "$id" ] || db_q -e "KILL CONNECTION $id" 2>/dev/null || true
	wait "$GATE_PID" 2>/dev/null || true
}

# ------------------------------------------------------------------ config
# make_config NAME DATABASES [key=value | key = value | -key]...
# Writes $TMP/NAME.ini with a [db:NAME] job over the test server as the
# lifeboat account; extra arguments replace a default key, add one, or (-key)
# remove one.  Sets CFG to the file.
make_config() {
	local name=$1 dbs=$2 arg key val i found
	shift 2
	# keep_last = 1000: retention stays out of the way unless a test is about it.
	local keys=(schedule socket user password_file databases chunk_rows max_threads_running keep_last)
	local vals=("@daily" "$SOCK" "$LBUSER" "$PWFILE" "$dbs" 100 0 1000)
	for arg in "$@"; do
		if [ "${arg#-}" != "$arg" ]; then
			key=${arg#-}
			for i in "${!keys[@]}"; do
				[ "${keys[$i]}" = "$key" ] && keys[i]="" && vals[i]=""
			done
			continue
		fi
		key=${arg%%=*}
		key=${key%"${key##*[! ]}"}
		val=${arg#*=}
		val=${val#"${val%%[! ]*}"}
		found=0
		for i in "${!keys[@]}"; do
			if [ "${keys[$i]}" = "$key" ]; then
				vals[i]=$val
				found=1
			fi
		done
		if [ $found = 0 ]; then
			keys+=("$key")
			vals+=("$val")
		fi
	done
	CFG=$TMP/$name.ini
	{
		echo "[lifeboat]"
		echo "store = $STORE"
		echo "state_dir = $STATE"
		echo "max_load = 0"
		echo "io_limit = 0"
		echo "[db:$name]"
		for i in "${!keys[@]}"; do
			[ -n "${keys[$i]}" ] && echo "${keys[$i]} = ${vals[$i]}"
		done
	} > "$CFG"
}

lb() {
	"$LIFEBOAT" -c "$CFG" "$@"
}

# ------------------------------------------------------------------- store
# id_of TEXT: the first backup id in TEXT.
id_of() {
	printf '%s\n' "$1" | grep -oE '[0-9]{4}/[0-9]{2}/backup-[0-9]{2}-[0-9]{2,3}' | head -n 1
}

job_dir() { echo "$STORE/$1"; }
artifact_of() { echo "$STORE/$1/$2.sql.zst"; }
record_of() { echo "$STORE/$1/$2.json"; }
state_of() { echo "$STATE/jobs/$1.json"; }

# latest_artifact NAME: path of the newest committed dump of job NAME.
latest_artifact() {
	local rec
	rec=$(find "$STORE/$1" -name 'backup-*.json' 2>/dev/null | sort -V | tail -n 1)
	[ -n "$rec" ] || fail "no committed backup of $1"
	echo "${rec%.json}.sql.zst"
}

# json_get FILE EXPR: evaluates the python expression EXPR with j = the JSON
# document in FILE; prints strings bare and everything else as JSON.
json_get() {
	python3 - "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))
PY
}

# expect_run_ok: `lb run NAME --here` (args given) succeeds; sets ID.
# Usage: expect_run_ok NAME
expect_run_ok() {
	expect_rc 0 lb run "$1" --here
	ID=$(id_of "$OUT")
	[ -n "$ID" ] || fail "run $1 printed no backup id: '$OUT'"
	[ -f "$(record_of "$1" "$ID")" ] || fail "no record for $ID"
	[ -f "$(artifact_of "$1" "$ID")" ] || fail "no artifact for $ID"
}

# store_files NAME: every file in the job's part of the store, relative, sorted.
store_files() {
	[ -d "$STORE/$1" ] || return 0
	(cd "$STORE/$1" && find . -type f -printf '%P\n' | LC_ALL=C sort)
}

# new_password NAME: a random password in $TMP/NAME.password (0600).
new_password() {
	head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TMP/$1.password"
	chmod 600 "$TMP/$1.password"
}

# new_account NAME: a server account NAME@localhost with every privilege and
# its password in $TMP/NAME.password, dropped at exit; a job that logs in as
# it is told from the suite's other jobs in the processlist.
new_account() {
	new_password "$1"
	drop_user_later "$1"
	db_q <<SQL
CREATE USER '$1'@'localhost' IDENTIFIED BY '$(cat "$TMP/$1.password")';
GRANT ALL PRIVILEGES ON *.* TO '$1'@'localhost';
SQL
}

# expect_failed_run NAME "GOOD_ID..." REASON...
# Runs job NAME with --here and checks that it failed cleanly: exit 1, one
# line on stderr (besides the warning FAILED_RUN_WARNING expects) starting
# "lifeboat: " and containing every REASON (a REASON of the form ~a|b|c
# matches any of the alternatives, case-blind);
# nothing new in the store (exactly the files of GOOD_IDs), those backups
# intact and still the only ones listed; the state file says it failed; the
# lifeboat account's password shows nowhere.  Leaves OUT/ERR of the run.
expect_failed_run() {
	local name=$1 good=$2 reason alt alts ok want got id lower line
	shift 2
	expect_rc 1 lb run "$name" --here
	# A warning the caller expects (FAILED_RUN_WARNING, a substring) must
	# be there, on lines of its own, and no other; the error is the other line.
	if [ -n "${FAILED_RUN_WARNING:-}" ]; then
		contains "$ERR" "lifeboat: warning: " "stderr"
		while IFS= read -r line; do
			contains "$line" "$FAILED_RUN_WARNING" "the warning"
		done < <(printf '%s\n' "$ERR" | grep -F "lifeboat: warning: ")
		ERR=$(printf '%s\n' "$ERR" | grep -vF "lifeboat: warning: ")
	fi
	local run_out=$OUT run_err=$ERR
	equals "$(printf '%s\n' "$ERR" | grep -c .)" "1" "lines on stderr (stderr: $ERR)"
	case "$ERR" in
	"lifeboat: "*) ;;
	*) fail "stderr does not start with 'lifeboat: ': $ERR" ;;
	esac
	for reason in "$@"; do
		if [ "${reason#\~}" != "$reason" ]; then
			ok=0
			lower=$(printf '%s' "$ERR" | tr '[:upper:]' '[:lower:]')
			IFS='|' read -r -a alts <<< "${reason#\~}"
			for alt in "${alts[@]}"; do
				alt=$(printf '%s' "$alt" | tr '[:upper:]' '[:lower:]')
				case "$lower" in *"$alt"*) ok=1 ;; esac
			done
			CHECKS=$((CHECKS + 1))
			[ $ok = 1 ] || fail "stderr names none of '${reason#\~}': $ERR"
		else
			contains "$ERR" "$reason" "stderr"
		fi
	done
	not_contains "$ERR" "$(cat "$PWFILE")" "stderr (the lifeboat account's password)"
	# Exactly the committed backups' files: no artifact, record, checksum
	# or temporary file of the failed run.
	want=""
	for id in $good; do
		want+="$id.json"$'\n'"$id.sha256"$'\n'"$id.sql.zst"$'\n'
	done
	want=$(printf '%s' "$want" | LC_ALL=C sort)
	got=$(store_files "$name")
	equals "$got" "$want" "files in the store after a failed run"
	for id in $good; do
		(cd "$STORE/$name/$(dirname "$id")" && sha256sum -c --quiet "$(basename "$id").sha256") ||
			fail "sha256sum -c of $id after a failed run"
		CHECKS=$((CHECKS + 1))
	done
	run lb list "$name" --json
	[ "$RC" = 0 ] || fail "list --json after a failed run exited $RC: $ERR"
	got=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(" ".join(r["id"] for r in json.load(sys.stdin)))')
	# shellcheck disable=SC2086,SC2116
	equals "$got" "$(echo $good)" "backups listed after a failed run"
	local st
	st=$(state_of "$name")
	[ -f "$st" ] || fail "no state file $st after a failed run"
	equals "$(json_get "$st" 'j["last_run"]["result"]')" "failed" "last_run.result in $st"
	got=$(json_get "$st" 'j["last_run"].get("error", "")')
	[ -n "$got" ] || fail "no last_run.error in $st"
	CHECKS=$((CHECKS + 1))
	not_contains "$(cat "$st")" "$(cat "$PWFILE")" "state file (the lifeboat account's password)"
	# Leave the failed run's output for the caller's own checks.
	OUT=$run_out ERR=$run_err RC=1
}

# ---------------------------------------------------------------- snapshot
# sql_ident EXPR: SQL that quotes the identifier EXPR evaluates to.
sql_ident() {
	local b='`'
	printf "CONCAT('%s', REPLACE(%s, '%s', '%s%s'), '%s')" "$b" "$1" "$b" "$b" "$b" "$b"
}

# snapshot_db DB FILE: writes to FILE, sorted, one line per fact, with DB's
# name replaced by @DB@ so that two databases can be compared:
#   the database's own SHOW CREATE DATABASE;
#   for every base table, CHECKSUM TABLE ... EXTENDED and COUNT(*);
#   SHOW CREATE TABLE (AUTO_INCREMENT counters kept), VIEW, TRIGGER (less its
#   creation time), PROCEDURE, FUNCTION and EVENT of every object.
snapshot_db() {
	local db=$1 out=$2 raw=$TMP/.snap.$$
	local sch="TABLE_SCHEMA = '$db'"
	# Statements generated by SQL itself, so that any identifier is quoted
	# right (backticks doubled).
	local qdb qt
	qdb=$(sql_ident "'$db'")
	qt=$(sql_ident TABLE_NAME)
	{
		echo "== database"
		db_q -e "SHOW CREATE DATABASE \`$db\`"
		echo "== checksum"
		db_q -e "SELECT CONCAT('CHECKSUM TABLE ', $qdb, '.', $qt, ' EXTENDED;')
			FROM information_schema.TABLES WHERE $sch AND TABLE_TYPE = 'BASE TABLE'" | db_q
		echo "== count"
		db_q -e "SELECT CONCAT('SELECT ', QUOTE(TABLE_NAME), ', COUNT(*) FROM ', $qdb, '.', $qt, ';')
			FROM information_schema.TABLES WHERE $sch AND TABLE_TYPE = 'BASE TABLE'" | db_q
		echo "== table"
		db_q -e "SELECT CONCAT('SHOW CREATE TABLE ', $qdb, '.', $qt, ';')
			FROM information_schema.TABLES WHERE $sch AND TABLE_TYPE = 'BASE TABLE'" | db_q
		echo "== view"
		db_q -e "SELECT CONCAT('SHOW CREATE VIEW ', $qdb, '.', $qt, ';')
			FROM information_schema.TABLES WHERE $sch AND TABLE_TYPE = 'VIEW'" | db_q
		echo "== trigger"
		# Columns: name, sql_mode, statement, charset, collation, db
		# collation, Created; the creation time differs after any restore.
		db_q -e "SELECT CONCAT('SHOW CREATE TRIGGER ', $qdb, '.', $(sql_ident TRIGGER_NAME), ';')
			FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '$db'" | db_q | cut -f 1-6
		echo "== trigger order"
		db_q -e "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER
			FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '$db'"
		echo "== routine"
		db_q -e "SELECT CONCAT('SHOW CREATE ', ROUTINE_TYPE, ' ', $qdb, '.', $(sql_ident ROUTINE_NAME), ';')
			FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '$db'" | db_q
		echo "== event"
		db_q -e "SELECT CONCAT('SHOW CREATE EVENT ', $qdb, '.', $(sql_ident EVENT_NAME), ';')
			FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '$db'" | db_q
		echo "== event status"
		db_q -e "SELECT EVENT_NAME, STATUS, ON_COMPLETION, TIME_ZONE, EXECUTE_AT, INTERVAL_VALUE,
			INTERVAL_FIELD, STARTS, ENDS
			FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '$db'"
	} > "$raw" || fail "cannot snapshot database $db"
	# The name appears bare (CHECKSUM TABLE's first column, SHOW CREATE
	# DATABASE's first column) or quoted (`db`.`t` in view definitions).
	sed -e "s/\`$db\`/\`@DB@\`/g" -e "s/^$db\([.$'\t']\)/@DB@\1/" "$raw" |
		awk '/^== / { sec = $0; next } { print sec "\t" $0 }' | LC_ALL=C sort > "$out"
	rm -f "$raw"
	[ -s "$out" ] || fail "empty snapshot of $db"
}

# same_snapshot A B WHAT: the two snapshot files are identical.
same_snapshot() {
	CHECKS=$((CHECKS + 1))
	if ! cmp -s "$1" "$2"; then
		diff -u "$1" "$2" | cut -c 1-300 | head -n 60 >&2
		fail "$3: snapshots differ"
	fi
}

# bg_run TAG JOB: `run JOB --here` in the background with config $CFG; its
# output in $TMP/TAG.out/.err, exit status in $TMP/TAG.rc and the time it
# ended in $TMP/TAG.end.  Sets BG (the subshell) and JOBPID (the lifeboat
# process, once it exists).
bg_run() {
	local tag=$1 name=$2
	rm -f "$TMP/$tag".*
	(
		set +e
		"$LIFEBOAT" -c "$CFG" run "$name" --here >"$TMP/$tag.out" 2>"$TMP/$tag.err"
		echo $? >"$TMP/$tag.rc"
		date +%s.%N >"$TMP/$tag.end"
	) &
	BG=$!
	kill_later "$BG"
	JOBPID=""
	for _ in $(seq 100); do
		JOBPID=$(ps -o pid= --ppid "$BG" 2>/dev/null | tr -d ' ' | head -n 1)
		[ -n "$JOBPID" ] && return 0
		[ -f "$TMP/$tag.rc" ] && fail "run $name ended at once: $(cat "$TMP/$tag.err")"
		sleep 0.02
	done
	fail "run $name did not start"
}

# bg_wait TAG WHAT: waits for bg_run TAG; it must have succeeded.  Sets ID.
bg_wait() {
	wait "$BG" || true
	CHECKS=$((CHECKS + 1))
	[ "$(cat "$TMP/$1.rc" 2>/dev/null)" = 0 ] ||
		fail "$2: the run failed: $(cat "$TMP/$1.out" "$TMP/$1.err" 2>/dev/null)"
	ID=$(id_of "$(cat "$TMP/$1.out")")
	[ -n "$ID" ] || fail "$2: no backup id in: $(cat "$TMP/$1.out")"
}

# The database password never shows: not in any process's command line
# (ps) nor in the environment of the job's processes while a dump runs, not
# in its output, the record, the state file or the dump, not in the error of
# a failed connection; and a defaults_file ([client] user/password/socket)
# works in place of user + password_file.
# Drives: lib/config/config.c, lib/db/dbconn.c, lib/db/dbdump.c, lib/run/jobrun.c.
set -e
# shellcheck source=tests/e2e/db-lib.sh
. "$(dirname "$0")/db-lib.sh"

db=sec_$$
user=lbsecret_$$
pw="Zq9-secret-$$-xyzzy"
drop_db_later "$db"
drop_user_later "$user"

# The password only ever goes into files and on stdin, never on a command
# line: grep reads it from a file (-f).
printf '%s\n' "$pw" > "$TMP/needle"
printf '%s' "$pw" > "$TMP/secret.password"
chmod 600 "$TMP/secret.password"
db_q <<SQL
SET SESSION max_recursive_iterations = 1000000;
CREATE DATABASE \`$db\`;
CREATE TABLE \`$db\`.rows200k (id INT PRIMARY KEY, pad VARCHAR(100)) ENGINE=InnoDB;
INSERT INTO \`$db\`.rows200k
  WITH RECURSIVE s AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM s WHERE n < 200000)
  SELECT n, CONCAT('row ', n, ' ', REPEAT('s', 60)) FROM s;
CREATE USER '$user'@'localhost' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'localhost';
GRANT RELOAD, PROCESS, BINLOG MONITOR ON *.* TO '$user'@'localhost';
SQL

# leaks FILE...: the lines of FILEs that hold the password.
leaks() {
	grep -aF -f "$TMP/needle" "$@" 2>/dev/null || true
}

# no_leak WHAT FILE...
no_leak() {
	local what=$1 found
	shift
	found=$(leaks "$@")
	CHECKS=$((CHECKS + 1))
	[ -z "$found" ] || fail "the password appears in $what: $found"
}

# descendants PID: PID and all its descendants.
descendants() {
	local c
	echo "$1"
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		descendants "$c"
	done
}

# ------------------------------------------- while a dump runs: ps, environ
# The dump waits 3 s at a locked table: connected, credentials in use.
make_config sec "$db" "user = $user" "password_file = $TMP/secret.password"
gate_table "$db" rows200k 3
"$LIFEBOAT" -c "$CFG" run sec --here > "$TMP/run.out" 2> "$TMP/run.err" &
lbpid=$!
kill_later "$lbpid"
samples=0
connected=0
while kill -0 "$lbpid" 2>/dev/null; do
	ps -eo args > "$TMP/ps.txt"
	no_leak "ps -eo args" "$TMP/ps.txt"
	for p in $(descendants "$lbpid"); do
		tr '\0' '\n' 2>/dev/null < "/proc/$p/environ" > "$TMP/environ" || continue
		tr '\0' ' ' 2>/dev/null < "/proc/$p/cmdline" > "$TMP/cmdline" || continue
		no_leak "the environment of process $p" "$TMP/environ"
		no_leak "the command line of process $p" "$TMP/cmdline"
	done
	samples=$((samples + 1))
	if [ -n "$(db_q -e "SELECT 1 FROM information_schema.PROCESSLIST WHERE USER = '$user' LIMIT 1")" ]; then
		connected=$((connected + 1))
	fi
	sleep 0.05
done
rc=0
wait "$lbpid" || rc=$?
[ "$rc" = 0 ] || fail "run sec --here exited $rc: $(cat "$TMP/run.err")"
echo "sampled ps and /proc $samples times, $connected of them while connected"
[ "$connected" -ge 5 ] || fail "only $connected samples while the job was connected: the dump was too quick to watch"
CHECKS=$((CHECKS + 2))
ID=$(id_of "$(cat "$TMP/run.out")")
[ -n "$ID" ] || fail "no backup id in: $(cat "$TMP/run.out")"

# ------------------------------------------------ after: outputs, files
no_leak "the run's stdout" "$TMP/run.out"
no_leak "the run's stderr" "$TMP/run.err"
no_leak "the record" "$(record_of sec "$ID")"
no_leak "the checksum file" "$STORE/sec/$ID.sha256"
no_leak "the state file" "$(state_of sec)"
zstd -dc "$(artifact_of sec "$ID")" > "$TMP/dump.sql"
no_leak "the dump" "$TMP/dump.sql"
rm -f "$TMP/dump.sql"
find "$STATE" -type f > "$TMP/statefiles"
while read -r f; do no_leak "$f" "$f"; done < "$TMP/statefiles"
expect_rc 0 lb list --json
printf '%s' "$OUT$ERR" > "$TMP/list.out"
no_leak "lifeboat list" "$TMP/list.out"
run lb check-config
printf '%s' "$OUT$ERR" > "$TMP/check.out"
no_leak "lifeboat check-config" "$TMP/check.out"

# --------------------------------------------------- errors of failed runs
# No server at that address.
make_config sec "$db" "-socket" "host = 127.0.0.1" "port = 1" \
	"user = $user" "password_file = $TMP/secret.password"
expect_rc 1 lb run sec --here
printf '%s\n%s' "$OUT" "$ERR" > "$TMP/fail.out"
no_leak "the error of a run against a wrong host" "$TMP/fail.out" "$(state_of sec)"
contains "$ERR" "lifeboat: " "stderr of a run against a wrong host"
# A server that refuses the account (it exists only @localhost).
if [ -n "${LIFEBOAT_TEST_MYSQL_PORT:-}" ]; then
	make_config sec "$db" "-socket" "host = 127.0.0.1" "port = $LIFEBOAT_TEST_MYSQL_PORT" \
		"user = $user" "password_file = $TMP/secret.password"
	expect_rc 1 lb run sec --here
	printf '%s\n%s' "$OUT" "$ERR" > "$TMP/fail.out"
	contains "$ERR" "Access denied" "stderr of a run as an account the server refuses"
	no_leak "the error of a refused login" "$TMP/fail.out" "$(state_of sec)"
fi

# ----------------------------------------------------------- defaults_file
printf '[client]\nuser=%s\npassword=%s\nsocket=%s\n' "$user" "$pw" "$SOCK" > "$TMP/sec.cnf"
chmod 600 "$TMP/sec.cnf"
make_config sec "$db" "-socket" "-user" "-password_file" "defaults_file = $TMP/sec.cnf"
expect_run_ok sec
printf '%s\n%s' "$OUT" "$ERR" > "$TMP/run2.out"
no_leak "the output of a run with defaults_file" "$TMP/run2.out"
no_leak "the record of a run with defaults_file" "$(record_of sec "$ID")" "$(state_of sec)"
equals "$(json_get "$(record_of sec "$ID")" '[t["rows"] for t in j["db"]["tables"]]')" "[200000]" \
	"rows dumped with defaults_file"

done_ok

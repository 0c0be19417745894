# The private MariaDB server of the test harness is up, private, and usable by
# the tests' lifeboat account over the socket and over TCP.
# Drives: tests/mariadb.sh and tests/e2e/db-lib.sh (no lib module).
set -e
. "$(dirname "$0")/lib.sh"

: "${LIFEBOAT_TEST_MYSQL_SOCKET:?the harness (tests/run-tests.sh) did not start MariaDB}"
: "${LIFEBOAT_TEST_MYSQL_DIR:?}"
: "${LIFEBOAT_TEST_MYSQL_PORT:?}"

pw="$LIFEBOAT_TEST_MYSQL_DIR/lifeboat.password"
[ -S "$LIFEBOAT_TEST_MYSQL_SOCKET" ] || fail "no socket at $LIFEBOAT_TEST_MYSQL_SOCKET"
equals "$(stat -c %a "$pw")" "600" "mode of the password file"

q() { mariadb --no-defaults --batch --skip-column-names "$@"; }

# Root over the private socket; the data dir is the harness's own.
expect_rc 0 q --socket="$LIFEBOAT_TEST_MYSQL_SOCKET" -uroot -e 'SELECT @@datadir'
contains "$OUT" "$LIFEBOAT_TEST_MYSQL_DIR" "datadir"
expect_rc 0 q --socket="$LIFEBOAT_TEST_MYSQL_SOCKET" -uroot -e 'SELECT @@log_bin'
equals "$OUT" "1" "binary log enabled"

# The lifeboat account, over TCP on the private port too.  The password goes
# through a defaults file, never the command line.
printf '[client]\npassword=%s\n' "$(cat "$pw")" > "$TMP/my.cnf"
chmod 600 "$TMP/my.cnf"
expect_rc 0 mariadb --defaults-file="$TMP/my.cnf" --batch --skip-column-names \
	-h127.0.0.1 -P"$LIFEBOAT_TEST_MYSQL_PORT" -ulifeboat -e 'SELECT CURRENT_USER()'
contains "$OUT" "lifeboat@"
expect_rc 1 q -h127.0.0.1 -P"$LIFEBOAT_TEST_MYSQL_PORT" -ulifeboat -pwrong -e 'SELECT 1'
contains "$ERR" "Access denied"

# A scratch database can be made and dropped (later tests restore into new ones).
db="e2e_harness_$$"
expect_rc 0 q --socket="$LIFEBOAT_TEST_MYSQL_SOCKET" -uroot -e "CREATE DATABASE $db; CREATE TABLE $db.t (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO $db.t VALUES (1),(2); SELECT COUNT(*) FROM $db.t; DROP DATABASE $db"
equals "$OUT" "2" "rows in scratch table"

done_ok

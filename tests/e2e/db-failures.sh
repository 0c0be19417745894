# A db run that fails — server down, wrong password, a password file others
# can read, no SELECT on one table, a database that does not exist, the
# server gone mid-dump, the store's disk full — exits 1 with one line naming
# what failed, leaves nothing in the store (no artifact, record or temporary
# file), keeps the older backups intact and listed, and records the failure
# in the job's state file.  A good run afterwards works again.
# Drives: lib/db/dbconn.c, lib/db/dbdump.c, lib/run/jobrun.c, lib/run/jobstate.c, lib/store/store_txn.c, lib/store/store_clean.c.
set -e
# shellcheck source=tests/e2e/db-lib.sh
. "$(dirname "$0")/db-lib.sh"

db=fail_$$          # small: t1, t2, secret_t
big=failbig_$$      # 200000 rows, for the kill mid-dump
full=failfull_$$    # ~5 MB of random bytes, for the full disk
user=lbtest_$$      # may not SELECT from secret_t
killer=lbkill_$$    # the account whose connection gets killed
for d in "$db" "$big" "$full"; do drop_db_later "$d"; done
drop_user_later "$user"

db_q <<SQL
SET SESSION max_recursive_iterations = 1000000;
CREATE DATABASE \`$db\`;
USE \`$db\`;
CREATE TABLE t1 (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;
INSERT INTO t1 VALUES (1, 'one'), (2, 'two');
CREATE TABLE t2 (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;
INSERT INTO t2 VALUES (1, 'uno');
CREATE TABLE secret_t (id INT PRIMARY KEY, s VARCHAR(20)) ENGINE=InnoDB;
INSERT INTO secret_t VALUES (1, 'hidden');
CREATE DATABASE \`$big\`;
CREATE TABLE \`$big\`.rows200k (id INT PRIMARY KEY, pad VARCHAR(100)) ENGINE=InnoDB;
INSERT INTO \`$big\`.rows200k
  WITH RECURSIVE s AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM s WHERE n < 200000)
  SELECT n, CONCAT('row ', n, ' ', REPEAT('p', 60)) FROM s;
SQL

# ------------------------------------------------------ the good backup
make_config fail "$db"
expect_run_ok fail
good=$ID

# --------------------------------------------------------- server down
make_config fail "$db" "socket = $TMP/nonexistent.sock"
expect_failed_run fail "$good" "cannot connect" "nonexistent.sock"

# ------------------------------------------------------ wrong password
printf 'wrong-%s' "$$" > "$TMP/wrong.password"
chmod 600 "$TMP/wrong.password"
make_config fail "$db" "password_file = $TMP/wrong.password"
expect_failed_run fail "$good" "Access denied"
not_contains "$ERR" "wrong-$$" "stderr"

# --------------------------------- password file readable by others
# Refused before connecting: the socket does not exist either, and the
# message is about the file, not the connection.
cp "$PWFILE" "$TMP/open.password"
chmod 644 "$TMP/open.password"
make_config fail "$db" "password_file = $TMP/open.password" "socket = $TMP/nonexistent.sock"
expect_failed_run fail "$good" "$TMP/open.password" "644"
not_contains "$ERR" "cannot connect" "stderr"

# ---------------------------------------- no SELECT on one table
new_password "$user"
db_q <<SQL
CREATE USER '$user'@'localhost' IDENTIFIED BY '$(cat "$TMP/$user.password")';
GRANT SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON \`$db\`.* TO '$user'@'localhost';
GRANT SELECT ON \`$db\`.t1 TO '$user'@'localhost';
GRANT SELECT ON \`$db\`.t2 TO '$user'@'localhost';
GRANT RELOAD, PROCESS, BINLOG MONITOR ON *.* TO '$user'@'localhost';
SQL
make_config fail "$db" "user = $user" "password_file = $TMP/$user.password"
expect_failed_run fail "$good" "secret_t" "~denied|privilege"

# ------------------------------------------- a database that is not there
make_config fail "$db, nosuch_$$"
expect_failed_run fail "$good" "nosuch_$$"

# ------------------------------------------------- server gone mid-dump
# The big table is locked for up to 20 s, so the job waits there, having
# dumped the first database.  As root, once the job's dump reads the big
# database, kill every connection the job has, as a server that goes away
# would; polling every 20 ms; give up after 60 s.  The dump's connection is
# told from the adaptive throttle's canary by the canary's statements (its
# MIN/MAX of the key when it opens, then lookups that end in LIMIT 1): the
# canary reads the largest table too, and a job rides out its failures.
new_account "$killer"
kill_when_dumping() {
	local end=$((SECONDS + 60)) id killed
	while [ "$SECONDS" -lt "$end" ]; do
		# Not the run's short-lived size estimate (a query on
		# information_schema naming the databases) nor the canary.
		if [ -n "$(db_q -e "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '$killer'
			AND (DB <=> '$big' OR INFO LIKE '%$big%') AND INFO NOT LIKE '%information_schema%'
			AND INFO NOT LIKE 'SELECT MIN(%' AND INFO NOT LIKE '% LIMIT 1' LIMIT 1")" ]; then
			killed=0
			for id in $(db_q -e "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '$killer'"); do
				# One that ended meanwhile is not counted.
				db_q -e "KILL CONNECTION $id" 2>/dev/null && killed=$((killed + 1))
			done
			if [ $killed -gt 0 ]; then
				echo "$killed" > "$TMP/killed"
				return 0
			fi
		fi
		sleep 0.02
	done
	return 1
}
# The server's table sizes (the canary picks the largest) are up to date.
db_q -e "ANALYZE TABLE \`$big\`.rows200k" >/dev/null
gate_table "$big" rows200k 20
kill_when_dumping &
kpid=$!
kill_later "$kpid"
make_config fail "$db, $big" "user = $killer" "password_file = $TMP/$killer.password"
# The canary chooses the locked table (the largest: ANALYZE TABLE above
# makes the server's figures say so), gives up on it after a second and says
# so; the job goes on and fails when its own connection is killed.
FAILED_RUN_WARNING="the throttle's canary cannot read the key range of $big.rows200k" \
	expect_failed_run fail "$good" "~lost connection|gone away|killed|interrupted"
wait "$kpid" || true
release_gate
[ -s "$TMP/killed" ] || fail "the job's connection was never killed, yet the run failed: $ERR"
CHECKS=$((CHECKS + 1))

# ------------------------------------------------------------ disk full
# A 2 MB tmpfs as the store of another job: one small good backup fits,
# then ~5 MB of random bytes do not.
mkdir -p "$TMP/fullstore"
if mount -t tmpfs -o size=2m,mode=0700 tmpfs "$TMP/fullstore" 2>"$TMP/mount.err"; then
	umount_later "$TMP/fullstore"
	main_store=$STORE
	STORE=$TMP/fullstore
	db_q -e "CREATE DATABASE \`$full\`;
		CREATE TABLE \`$full\`.small (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;
		INSERT INTO \`$full\`.small VALUES (1, 'fits')"
	make_config full "$full"
	expect_run_ok full
	goodfull=$ID
	db_q <<SQL
SET SESSION max_recursive_iterations = 1000000;
CREATE TABLE \`$full\`.noise (id INT PRIMARY KEY, b BLOB) ENGINE=InnoDB;
INSERT INTO \`$full\`.noise
  WITH RECURSIVE s AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM s WHERE n < 5000)
  SELECT n, RANDOM_BYTES(1024) FROM s;
SQL
	expect_failed_run full "$goodfull" "No space left on device"
	STORE=$main_store
else
	echo "skip: disk full (cannot mount a tmpfs: $(cat "$TMP/mount.err"))"
fi

# ------------------------------------------------- and a good run again
make_config fail "$db"
expect_run_ok fail
[ "$ID" != "$good" ] || fail "the new backup has the old id $good"
CHECKS=$((CHECKS + 1))
equals "$(json_get "$(state_of fail)" 'j["last_run"]["result"]')" "ok" "last_run.result after a good run"
expect_rc 0 lb list fail --json
equals "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(" ".join(r["id"] for r in json.load(sys.stdin)))')" \
	"$good $ID" "backups listed at the end"

done_ok

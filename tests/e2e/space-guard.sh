# The space guard: a db run whose estimated size (the tables' data and index
# size on the server, times the last good run's stored/estimated ratio, or 1)
# would leave less than min_free on the store's filesystem is refused before
# anything is written — exit 1, one line naming the store, the failure in the
# state file — and nothing in the store changes: no file written, no backup
# deleted to make room.  The small filesystem is a 3 MB tmpfs.
# Drives: lib/run/jobrun.c, lib/db/jobkind_db.c (the estimate), lib/store/store.c.
set -e
# shellcheck source=tests/e2e/db-lib.sh
. "$(dirname "$0")/db-lib.sh"

small=$TMP/store-small
mkdir -p "$small"
if ! mount -t tmpfs -o size=3m,mode=0700 tmpfs "$small" 2>"$TMP/mount.err"; then
	echo "skip: cannot mount a tmpfs: $(cat "$TMP/mount.err")"
	exit 77	# meson: skipped
fi
umount_later "$small"
big_store=$STORE

# set_min_free VALUE: min_free (a [lifeboat] key) in the config CFG.
set_min_free() {
	sed -i "/^\[lifeboat\]\$/a min_free = $1" "$CFG"
}

# snapshot FILE: every path in the store with size, mtime and mode, and the
# SHA-256 of every file.
snapshot() {
	(cd "$STORE" && {
		find . -printf '%p %s %T@ %m\n' | LC_ALL=C sort
		find . -type f -exec sha256sum {} + | LC_ALL=C sort
	}) > "$1"
}

same_files() {
	CHECKS=$((CHECKS + 1))
	if ! cmp -s "$1" "$2"; then
		diff -u "$1" "$2" | head -n 40 >&2
		fail "$3"
	fi
}

# expect_refused NAME GOOD_ID WHAT...: the run of job NAME is refused by the
# space guard: expect_failed_run's checks (exit 1, one line, only GOOD_ID in
# the job's part of the store, the state file says failed), and not one byte
# of the whole store changed, the other job's backup included.
expect_refused() {
	local name=$1 good=$2
	shift 2
	snapshot "$TMP/before"
	expect_failed_run "$name" "$good" "not enough space in $STORE:" "nothing was written" "$@"
	snapshot "$TMP/after"
	same_files "$TMP/before" "$TMP/after" "a refused run changed the store"
	contains "$(json_get "$(state_of "$name")" 'j["last_run"]["error"]')" \
		"not enough space in $STORE:" "last_run.error"
}

# ~8 MB of incompressible InnoDB data, sizes in information_schema current.
db=guard_$$
tiny=guardtiny_$$
drop_db_later "$db"
drop_db_later "$tiny"
db_q <<SQL >/dev/null
SET SESSION max_recursive_iterations = 1000000;
CREATE DATABASE \`$db\`;
CREATE TABLE \`$db\`.noise (id INT PRIMARY KEY, b BLOB) ENGINE=InnoDB;
INSERT INTO \`$db\`.noise
  WITH RECURSIVE s AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM s WHERE n < 8000)
  SELECT n, RANDOM_BYTES(1000) FROM s;
ANALYZE TABLE \`$db\`.noise;
CREATE DATABASE \`$tiny\`;
CREATE TABLE \`$tiny\`.t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;
INSERT INTO \`$tiny\`.t VALUES (1, 'one');
ANALYZE TABLE \`$tiny\`.t;
SQL
size=$(db_q -e "SELECT SUM(DATA_LENGTH + INDEX_LENGTH) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$db'")
[ "$size" -gt $((6 * 1024 * 1024)) ] || fail "information_schema says $db has only $size bytes"
CHECKS=$((CHECKS + 1))

# ------------------------------------------------ the small store, min_free 0
# A committed backup of another job, and one of this job (fabricated, so its
# record has no db.estimated_bytes: the ratio is 1 and the estimate is the
# whole ~8 MB, more than the 3 MB tmpfs holds).
STORE=$small
yesterday=$(($(date +%s) - 86400))
expect_rc 0 "$MKBACKUP" "$STORE" other db --time "$yesterday"
other_id=$OUT
expect_rc 0 "$MKBACKUP" "$STORE" guard db --time "$yesterday"
guard_id=$OUT
make_config guard "$db"
set_min_free 0
expect_refused guard "$guard_id"
equals "$(printf '%s' "$(ls -A "$STATE/jobs")")" "guard.json" "state files"
[ -f "$(record_of other "$other_id")" ] || fail "the other job's backup is gone"
CHECKS=$((CHECKS + 1))

# -------------------------- a store with room, min_free 1%: the same run works
STORE=$big_store
make_config guard "$db"
set_min_free 1%
expect_run_ok guard
rec=$(record_of guard "$ID")
equals "$(json_get "$rec" 'j["result"]')" "ok" "result of the run with room"
[ "$(json_get "$rec" 'j["db"]["estimated_bytes"]')" -gt $((6 * 1024 * 1024)) ] ||
	fail "db.estimated_bytes of $ID: $(json_get "$rec" 'j["db"].get("estimated_bytes")')"
CHECKS=$((CHECKS + 1))
equals "$(json_get "$(state_of guard)" 'j["last_run"]["result"]')" "ok" "last_run.result after the run with room"

# ------------------- min_free as a size: more than the tmpfs has refuses all
# Even a one-row database does not go to the small store when min_free asks
# for 10 MiB to stay free there; with 1 MiB it does.
STORE=$small
make_config tiny "$tiny"
set_min_free 10M
snapshot "$TMP/before"
expect_rc 1 lb run tiny --here
equals "$(printf '%s\n' "$ERR" | grep -c .)" "1" "lines on stderr (stderr: $ERR)"
contains "$ERR" "lifeboat: "
contains "$ERR" "job tiny: not enough space in $STORE:"
contains "$ERR" "min_free keeps 10"
snapshot "$TMP/after"
same_files "$TMP/before" "$TMP/after" "a refused run changed the store"
[ ! -e "$STORE/tiny" ] || fail "the refused run created $STORE/tiny"
CHECKS=$((CHECKS + 1))
equals "$(json_get "$(state_of tiny)" 'j["last_run"]["result"]')" "failed" "last_run.result of tiny"
make_config tiny "$tiny"
set_min_free 1M
expect_run_ok tiny
for f in "$(record_of other "$other_id")" "$(record_of guard "$guard_id")"; do
	[ -f "$f" ] || fail "$f is gone from the small store"
done
CHECKS=$((CHECKS + 1))

done_ok

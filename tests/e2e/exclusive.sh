# exclusive (issue 8): a files job with `exclusive = yes` (the default) does
# not run while a db dump of this host runs: it waits for the dump's end, and
# says how long in its record (throttle.waited_seconds).  With
# `exclusive = no` it runs beside the dump.  parallel_jobs = 2 throughout, so
# only the dump lock can hold it back.
# Drives: lib/run/throttle.c, lib/run/jobrun.c.
set -e
# shellcheck source=tests/e2e/db-lib.sh
. "$(dirname "$0")/db-lib.sh"

db="excl_$$"
drop_db_later "$db"
db_q -e "CREATE DATABASE \`$db\`"
db_q -e "CREATE TABLE \`$db\`.t (id INT PRIMARY KEY, v VARCHAR(200))"
db_q -D "$db" -e "INSERT INTO t SELECT seq, REPEAT('x', 180) FROM seq_1_to_20000"
mkdir -p "$TMP/www/sub"
echo "<?php echo 'hi';" >"$TMP/www/index.php"
echo "secret" >"$TMP/www/sub/.htaccess"

# ~4 MB of SQL at 500K/s: the dump runs for several seconds.
make_config slowdump "$db" "io_limit = 500K" "chunk_rows = 1000"
sed -i 's/^\[lifeboat\]$/[lifeboat]\nparallel_jobs = 2/' "$CFG"
cat >>"$CFG" <<INI

[files:site]
schedule = @daily
path = $TMP/www
keep_last = 1000

[files:loose]
schedule = @daily
path = $TMP/www
exclusive = no
keep_last = 1000
INI
expect_rc 0 lb check-config

# run_bg TAG JOB: lifeboat run JOB --here in the background; end time in TAG.end.
run_bg() {
	(
		set +e
		lb run "$2" --here >"$TMP/$1.out" 2>"$TMP/$1.err"
		echo $? >"$TMP/$1.rc"
		date +%s.%N >"$TMP/$1.end"
	) &
	kill_later $!
}
dumping() { [ -n "$(find "$STORE/slowdump" -name '.backup-*.tmp' 2>/dev/null)" ]; }
wait_dumping() {
	for _ in $(seq 250); do
		dumping && return 0
		sleep 0.02
	done
	fail "the dump never started writing"
}
wait_rc() {
	for _ in $(seq 600); do
		[ -f "$TMP/$1.rc" ] && return 0
		sleep 0.05
	done
	fail "$1 did not end"
}

# ---- exclusive = yes: the files job ends after the dump, having waited.
run_bg dump1 slowdump
wait_dumping
run_bg site1 site
wait_rc site1
wait_rc dump1
equals "$(cat "$TMP/dump1.rc")" "0" "the dump's exit status"
equals "$(cat "$TMP/site1.rc")" "0" "the exclusive files job's exit status"
CHECKS=$((CHECKS + 1))
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)" \
	"$(cat "$TMP/site1.end")" "$(cat "$TMP/dump1.end")" ||
	fail "the exclusive files job ended before the dump did"
contains "$(cat "$TMP/site1.err")" "a database dump of this host is running" "the exclusive job's log"
id=$(id_of "$(cat "$TMP/site1.out")")
[ -n "$id" ] || fail "no backup id in: $(cat "$TMP/site1.out")"
equals "$(json_get "$STORE/site/$id.json" 'j["throttle"]["waited_seconds"] > 1')" "true" \
	"waited_seconds of the exclusive files job"

# ---- exclusive = no: the files job ends while the dump still runs.
rm -f "$TMP"/dump2.* "$TMP"/loose.*
run_bg dump2 slowdump
wait_dumping
run_bg loose loose
wait_rc loose
equals "$(cat "$TMP/loose.rc")" "0" "the non-exclusive files job's exit status"
CHECKS=$((CHECKS + 1))
[ -f "$TMP/dump2.rc" ] && fail "the dump ended before the non-exclusive files job (it should run beside it)"
wait_rc dump2
equals "$(cat "$TMP/dump2.rc")" "0" "the second dump's exit status"

done_ok

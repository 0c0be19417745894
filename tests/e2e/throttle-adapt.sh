#!/bin/bash
# The adaptive throttle (issue 21) against the real server and the real
# kernel: a db dump measures its baseline before its first byte (the canary's
# primary-key lookups, the CPU and I/O stall shares), backs off when the
# site gets busy in the middle of the dump (CPU-bound queries on the server:
# its lookups queue for a CPU) and speeds up again when they stop;
# past max_dump_time it stops backing off and the record says so; the dump
# is whole either way (restored and compared).  A files job gets the same
# controller with the device of its tree and a canary of small direct reads
# of its files, and max_snapshot_time ends its pacing as max_dump_time does
# a dump's.  max_latency_increase = 0% turns it
# off; a bad value is refused with its line.
# Drives: lib/throttle/adapt.c, lib/throttle/ratectl.c, lib/throttle/congestion.c,
# lib/db/dbcanary.c, lib/throttle/diskcanary.c, lib/throttle/throttle.c.
set -e
# shellcheck source=tests/e2e/db-lib.sh
. "$(dirname "$0")/db-lib.sh"

[ -r /proc/pressure/cpu ] || { echo "SKIP: no PSI (/proc/pressure/cpu) on this kernel"; exit 77; }

big="ad_b_$$"		# 200000 rows, ~17 MB of SQL
back="ad_r_$$"		# its restore
drop_db_later "$big"
db_q -e "CREATE DATABASE \`$big\`;
	CREATE TABLE \`$big\`.t (id INT PRIMARY KEY, a CHAR(32) NOT NULL, b VARCHAR(40) NOT NULL) ENGINE=InnoDB;
	INSERT INTO \`$big\`.t SELECT seq, MD5(seq), SHA1(seq) FROM \`$big\`.seq_1_to_200000;
	CREATE TABLE \`$big\`.small (name VARCHAR(20) PRIMARY KEY) ENGINE=InnoDB;
	INSERT INTO \`$big\`.small VALUES ('a'), ('b')"

# busy_start: the site gets busy: one client per CPU, and one more, each
# sending short CPU-bound statements (SELECT BENCHMARK of ~10 ms) one after
# the other, tagged so they can be killed on the server.  The canary's
# lookups then queue for a CPU behind them, and the stall share rises: not
# this job's own threads waiting, the site's.  Many statements, not one long
# one: a site that runs next to nothing is idle to the throttle.
BUSY_TAG="ad_busy_$$"
BUSY=()
busy_ids() {
	db_q -e "SELECT ID FROM information_schema.PROCESSLIST
		WHERE INFO LIKE 'SELECT BENCHMARK(%$BUSY_TAG%' AND ID <> CONNECTION_ID()"
}
busy_start() {
	local _i
	for _i in $(seq $(($(nproc) + 1))); do
		(
			while :; do echo "SELECT BENCHMARK(20000, MD5('$BUSY_TAG'));"; done |
				mariadb --no-defaults --socket="$SOCK" -u"$ADMIN" -N -B >/dev/null 2>&1
		) &
		BUSY+=("$!")
		kill_later "$!"
	done
}
busy_stop() {
	local id p
	for p in "${BUSY[@]}"; do
		kill_tree "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	for id in $(busy_ids); do
		db_q -e "KILL QUERY $id" >/dev/null 2>&1 || true
	done
	BUSY=()
}
trap 'busy_stop; db_cleanup; rm -rf "$TMP"' EXIT

rec() { json_get "$(record_of "$CHECK_JOB" "$ID")" "$1"; }
# check PYEXPR WHAT: true over the record (j) and its controller (c).
check() {
	CHECKS=$((CHECKS + 1))
	[ "$(rec "bool((lambda c: $1)(j['throttle'].get('controller', {})))")" = true ] ||
		fail "$2: $1 is false; throttle: $(rec 'j.get("throttle")')"
}
# wait_for_bytes FILE: until the run has begun its dump (its .tmp artifact exists).
wait_for_dump() {
	for _ in $(seq 300); do
		[ -n "$(find "$STORE" -name '.backup-*.tmp' 2>/dev/null)" ] && return 0
		sleep 0.05
	done
	fail "the dump did not begin"
}

# ------------------------------------------------ 1. back off under load, recover after
# io_limit = 4M is the ceiling: the dump moves ~25 MB, 6 s at full speed.
make_config adback "$big" "io_limit = 4M" "chunk_rows = 1000" "nice = 10"
bg_run back adback
wait_for_dump
sleep 1.5		# past the 1 s baseline, into the dump
busy_start
sleep 3
busy_stop
bg_wait back "a dump that backed off"
CHECK_JOB=adback
check 'j["throttle"]["paced"] is True' "an adaptive run is paced"
check 'c.get("max_latency_increase") == 25' "the default target, 25%"
check 'c["signals"]["cpu_stall"]["baseline_measured"] is True' "the CPU stall baseline was measured before the dump"
check 'c["signals"]["canary_ms"]["baseline_measured"] is True' "the canary's baseline was measured before the dump"
check 'c["canary"]["queries"] >= 50' "the canary looked up rows all along"
check 'c["canary"]["failed"] == 0' "no canary failed"
check 'c["signals"]["canary_ms"]["over_windows"] + c["signals"]["cpu_stall"]["over_windows"] >= 1' \
	"the busy server put the canary or the stall share over the target"
check 'c["cuts"] >= 1' "the controller backed off"
check 'c["rate"]["min"] < 0.75 * c["rate"]["ceiling"]' "the rate went well below the ceiling"
check 'c["rate"]["ceiling"] == 4 * 1024 * 1024' "io_limit is the ceiling"
check 'c["rate"]["floor"] == 1024 * 1024' "the floor"
check 'max(c["rate"]["series"][-3:]) > c["rate"]["min"]' "the rate climbed again once the load was gone"
check 'c["backed_off_seconds"] > 0' "time spent backed off"
check 'c["budget_reached"] is False' "max_dump_time (1h) not reached"
check 'len(c["rate"]["series"]) <= 12' "the rate over time in a few numbers"
drop_db_later "$back"
expect_rc 0 lb restore adback "$ID" --database "$back"
equals "$(db_q -e "CHECKSUM TABLE \`$back\`.t" | cut -f 2)" "$(db_q -e "CHECKSUM TABLE \`$big\`.t" | cut -f 2)" \
	"CHECKSUM TABLE of the restore of a dump that backed off"
db_q -e "DROP DATABASE \`$back\`"

# ------------------------------------------------ 2. max_dump_time ends the backing off
make_config adbudget "$big" "io_limit = 4M" "chunk_rows = 1000" "max_dump_time = 6s"
bg_run budget adbudget
wait_for_dump
sleep 1.5
busy_start
bg_wait budget "a dump past max_dump_time"
busy_stop
CHECK_JOB=adbudget
check 'c["cuts"] >= 1' "backed off before max_dump_time"
check 'c["budget_reached"] is True' "the controller says max_dump_time was reached"
check 'j["throttle"]["max_dump_time_reached"] is True' "the record says max_dump_time was reached"
check 'c["rate"]["max"] == c["rate"]["ceiling"]' "past max_dump_time the rate is the ceiling"
expect_rc 0 lb restore adbudget "$ID" --database "$back"
equals "$(db_q -e "SELECT COUNT(*) FROM \`$back\`.t")" "200000" "rows restored after max_dump_time"

# ------------------------------------------------ 3. a quiet machine: full speed
make_config adquiet "$big" "chunk_rows = 1000"
bg_run quiet adquiet
bg_wait quiet "a dump on a quiet server"
CHECK_JOB=adquiet
check 'c["rate"]["ceiling"] == 1024 ** 3' "io_limit = 0: no fixed ceiling"
# It grew from its start (slow start).  On a shared machine (the suite's
# other tests run beside this one) another client may make the site or the
# disk busy and cut the rate, even before it grew (then it must have grown
# back after) or at the very end (CI: a cut in the last span, after growing
# to 1.5x the start).
check 'c["rate"]["max"] > c["rate"]["start"] or (c["cuts"] >= 1 and c["rate"]["series"][-1] > c["rate"]["min"])' "the rate grew from its start (or after a cut)"
# (Whether its windows were judged idle depends on those tests too: the
# judging is test-ratectl's test_judge_site_idle.)
check '"site_idle_windows" in c' "the record counts the windows with nobody on the site"

# ------------------------------------------------ 4. off, and a bad value
make_config adoff "$big" "chunk_rows = 1000" "max_latency_increase = 0%"
bg_run off adoff
bg_wait off "a dump with the controller off"
CHECK_JOB=adoff
check '"controller" not in j["throttle"]' "max_latency_increase = 0%: no controller"
check 'j["throttle"]["paced"] is False' "max_latency_increase = 0% and io_limit = 0: not paced"
make_config adbad "$big" "max_latency_increase = fast"
expect_rc 2 lb check-config
contains "$ERR" "max_latency_increase" "check-config names the bad key"
contains "$ERR" "adbad.ini:" "check-config names the file and line"

# ------------------------------------------------ 5. a files job: the device of its tree
mkdir -p "$TMP/site"
head -c 3000000 /dev/urandom > "$TMP/site/blob"
CFG=$TMP/adfiles.ini
printf '[lifeboat]\nstore = %s\nstate_dir = %s\nmax_load = 0\nmin_free = 0\n[files:adfiles]\nschedule = @daily\npath = %s\n' \
	"$STORE" "$STATE" "$TMP/site" > "$CFG"
bg_run files adfiles
bg_wait files "a files snapshot"
CHECK_JOB=adfiles
check '"cpu_stall" in c["signals"]' "a files job's controller reads the CPU stall share"
# Its canary: small direct reads of the tree's files (here the one blob),
# where the filesystem allows O_DIRECT.
if python3 -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECT))' "$TMP/site/blob" 2>/dev/null; then
	check 'c["canary"]["what"].startswith("4 KiB direct read")' "a files job's canary"
	check 'c["canary"]["queries"] >= 10' "the files canary read all along"
	check 'c["canary"]["failed"] == 0' "no files canary read failed"
	check 'c["signals"]["canary_ms"]["baseline_measured"] is True' "the files canary's baseline"
else
	echo "skip: $TMP refuses O_DIRECT: no files canary to check"
fi
dev=$(stat -c '%Hd:%Ld' "$TMP/site")
if awk -v d="$dev" '{ if ($1 ":" $2 == d) f = 1 } END { exit !f }' /proc/diskstats; then
	name=$(awk -v d="$dev" '$1 ":" $2 == d { print $3 }' /proc/diskstats)
	check "c.get('device') == '$name'" "the device holding the tree"
fi

# ------------------------------------------------ 6. max_snapshot_time ends a files job's pacing
# 3 MB at io_limit = 1M would take 3 s; past max_snapshot_time (1 s) the
# snapshot goes at full speed, and the record and the log say so (the
# controller itself may end before its first window: its baseline takes 1 s).
printf '[lifeboat]\nstore = %s\nstate_dir = %s\nmax_load = 0\nmin_free = 0\nio_limit = 1M\n[files:adfbudget]\nschedule = @daily\npath = %s\nmax_snapshot_time = 1s\n' \
	"$STORE" "$STATE" "$TMP/site" > "$CFG"
expect_rc 0 lb check-config
bg_run fbudget adfbudget
bg_wait fbudget "a files snapshot past max_snapshot_time"
CHECK_JOB=adfbudget
check 'j["throttle"]["max_dump_time_reached"] is True' "the record says max_snapshot_time was reached"
contains "$(cat "$TMP/fbudget.err" "$TMP/fbudget.out")" "max_snapshot_time" "the run's messages past max_snapshot_time"

done_ok

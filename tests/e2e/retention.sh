# Retention end to end: lifeboat prune (--dry-run, --json), pin/unpin, the
# newest good backup kept through a string of partial runs, a prune killed
# half way, the automatic prune after a good run, and a policy that keeps
# nothing.  The histories are fabricated with mkbackup at chosen times (UTC);
# only the automatic prune needs the test MariaDB server.
# Drives: lib/store/retention.c, lib/store/prune.c, lib/store/record.c, lib/store/store_remove.c, lib/store/store_pins.c.
set -e
# shellcheck source=tests/e2e/db-lib.sh
. "$(dirname "$0")/db-lib.sh"

# policy NAME LAST HOURLY DAILY WEEKLY MONTHLY YEARLY WITHIN [key=value]...:
# a config for job NAME with every keep_ key set (the defaults would keep more).
policy() {
	local name=$1
	make_config "$name" "unused_$$" "keep_last = $2" "keep_hourly = $3" "keep_daily = $4" \
		"keep_weekly = $5" "keep_monthly = $6" "keep_yearly = $7" "keep_within = $8" "${@:9}"
}

# mk JOB EPOCH [mkbackup options]: one committed backup; prints nothing.
mk() {
	local job=$1 t=$2
	shift 2
	"$MKBACKUP" "$STORE" "$job" db --time "$t" "$@" >/dev/null || fail "mkbackup $job $t $*"
}

# at "YYYY-MM-DD HH:MM": that UTC time as an epoch.
at() { date -u -d "$1 UTC" +%s; }

# listed JOB: the ids `list JOB --json` shows, space-separated, in its order.
listed() {
	run lb list "$1" --json
	[ "$RC" = 0 ] || fail "list $1 --json exited $RC: $ERR"
	printf '%s' "$OUT" | python3 -c 'import json,sys; print(" ".join(r["id"] for r in json.load(sys.stdin)))'
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

# consistent JOB: the job's part of the store is exactly its listed backups,
# whole: only names of committed backups (no temporary file, reservation or
# orphan), every artifact/checksum/pin beside a record, every listed backup
# with its checksum file and artifact, and `sha256sum -c` passing for each.
consistent() {
	local job=$1 dir
	run lb list "$job" --json
	[ "$RC" = 0 ] || fail "list $job --json exited $RC: $ERR"
	printf '%s' "$OUT" > "$TMP/consistent.json"
	python3 - "$STORE/$job" "$TMP/consistent.json" <<'PY' || fail "store of $job is not consistent"
import json, os, re, sys
root, listing = sys.argv[1], sys.argv[2]
ids = [r["id"] for r in json.load(open(listing))]
groups = {}
for dp, _, fn in os.walk(root):
    for f in fn:
        rel = os.path.relpath(os.path.join(dp, f), root)
        m = re.fullmatch(r"(\d{4}/\d{2}/backup-\d{2}-\d{2,3})\.(json|sha256|sql\.zst|tar\.zst|pin)", rel)
        if not m:
            sys.exit(f"unexpected file {rel}")
        groups.setdefault(m[1], set()).add(m[2])
for stem, exts in sorted(groups.items()):
    if "json" not in exts:
        sys.exit(f"orphan: {stem} has {sorted(exts)} but no record")
    if "sha256" not in exts or not exts & {"sql.zst", "tar.zst"}:
        sys.exit(f"{stem} lacks its checksum or artifact: {sorted(exts)}")
if sorted(groups) != sorted(ids):
    sys.exit(f"listed {sorted(ids)} but the store holds {sorted(groups)}")
PY
	CHECKS=$((CHECKS + 1))
	[ -d "$STORE/$job" ] || return 0
	while IFS= read -r dir; do
		(cd "$dir" && sha256sum -c --quiet backup-*.sha256) >/dev/null ||
			fail "sha256sum -c in $dir"
	done < <(find "$STORE/$job" -name 'backup-*.sha256' -printf '%h\n' | sort -u)
	CHECKS=$((CHECKS + 1))
}

# plan_check FILE PYTHON: runs PYTHON with plan = {id: decision} from the
# `prune --json` output in FILE (each decision: action, reasons, pinned, result).
plan_check() {
	python3 - "$1" "$2" <<'PY' || fail "prune --json decisions (see above)"
import json, sys
rows = json.load(open(sys.argv[1]))
plan = {r["id"]: r for r in rows}
assert len(plan) == len(rows), "an id appears twice"
def kept():
    return sorted(i for i, r in plan.items() if r["action"] == "keep")
def reasons(i):
    return plan[i]["reasons"]
try:
    exec(sys.argv[2])
except AssertionError as e:
    print("assertion failed:", e, file=sys.stderr)
    sys.exit(1)
PY
	CHECKS=$((CHECKS + 1))
}

# ==================================================================
# 1. A 40-day history, several backups a day, some partial.
# ==================================================================
# 2026-10-01 .. 2026-11-09, backups at 03:00, 09:00, 15:00 and 21:00 UTC
# (ids backup-DD-01 .. -04).  Partial runs: 2026-10-15 09:00 (-02),
# 2026-10-31 21:00 (-04), all four on 2026-11-07, 2026-11-08 21:00 (-04) and
# 2026-11-09 15:00 (-03).  160 backups, 10 of them partial.
policy hist 2 0 3 3 2 0 0
t0=$(at "2026-10-01 00:00")
for day in $(seq 0 39); do
	date=$(date -u -d "@$((t0 + day * 86400))" +%F)
	for h in 3 9 15 21; do
		res=ok
		case "$date $h" in
		"2026-10-15 9" | "2026-10-31 21" | "2026-11-07 "* | "2026-11-08 21" | "2026-11-09 15") res=partial ;;
		esac
		mk hist $((t0 + day * 86400 + h * 3600)) --result $res
	done
done
equals "$(listed hist | wc -w)" "160" "backups of hist"

# What keep_last 2, keep_daily 3, keep_weekly 3, keep_monthly 2 keep,
# counting good backups only (newest first):
#   last 2:    09-04 (21:00) and 09-02 (09:00) — 09-03 is partial, not counted
#   daily 3:   2026-11-09 -> 09-04; 2026-11-08 -> 08-03 (its 21:00 is partial);
#              2026-11-07 has no good backup and is not a day that counts;
#              2026-11-06 -> 06-04
#   weekly 3:  2026-W46 (from Mon 11-09) -> 09-04; 2026-W45 (11-02..11-08)
#              -> 08-03; 2026-W44 (10-26..11-01) -> 2026/11/backup-01-04
#   monthly 2: 2026-11 -> 09-04; 2026-10 -> 31-03 (its 21:00 is partial)
# Everything else goes: 154 backups, the 10 partial ones among them (all
# older than the newest good backup).
expected="2026/10/backup-31-03 2026/11/backup-01-04 2026/11/backup-06-04 2026/11/backup-08-03 2026/11/backup-09-02 2026/11/backup-09-04"

snapshot "$TMP/before"
expect_rc 0 lb prune hist --dry-run --json
printf '%s' "$OUT" > "$TMP/plan.json"
plan_check "$TMP/plan.json" "
assert len(plan) == 160, len(plan)
assert kept() == '$expected'.split(), kept()
assert all(r['job'] == 'hist' and r['pinned'] is False for r in plan.values())
assert reasons('2026/11/backup-09-04') == ['keep: last 1/2', 'keep: daily 2026-11-09',
    'keep: weekly 2026-W46', 'keep: monthly 2026-11', 'keep: newest good backup'], reasons('2026/11/backup-09-04')
assert reasons('2026/11/backup-09-02') == ['keep: last 2/2'], reasons('2026/11/backup-09-02')
assert reasons('2026/11/backup-08-03') == ['keep: daily 2026-11-08', 'keep: weekly 2026-W45'], reasons('2026/11/backup-08-03')
assert reasons('2026/11/backup-06-04') == ['keep: daily 2026-11-06'], reasons('2026/11/backup-06-04')
assert reasons('2026/11/backup-01-04') == ['keep: weekly 2026-W44'], reasons('2026/11/backup-01-04')
assert reasons('2026/10/backup-31-03') == ['keep: monthly 2026-10'], reasons('2026/10/backup-31-03')
for i in ['2026/11/backup-09-03', '2026/11/backup-08-04', '2026/11/backup-07-01', '2026/10/backup-31-04', '2026/10/backup-15-02']:
    assert plan[i]['result'] == 'partial' and plan[i]['action'] == 'remove', plan[i]
    assert reasons(i) == ['remove: not a good backup'], (i, reasons(i))
for i in ['2026/11/backup-09-01', '2026/11/backup-08-02', '2026/10/backup-01-01', '2026/10/backup-31-02']:
    assert plan[i]['result'] == 'ok' and reasons(i) == ['remove: outside policy'], (i, plan[i])
assert sum(r['action'] == 'remove' for r in plan.values()) == 154
"
# The table says the same, with a summary line on stderr.
expect_rc 0 lb prune hist --dry-run
contains "$(echo "$OUT" | head -n 1)" "JOB" "table header"
contains "$(echo "$OUT" | grep 'backup-09-02 ')" "keep    keep: last 2/2"
contains "$(echo "$OUT" | grep 'backup-09-03 ')" "partial  remove  remove: not a good backup"
contains "$(echo "$OUT" | grep '2026/11/backup-01-04 ')" "keep    keep: weekly 2026-W44"
equals "$(echo "$OUT" | grep -c '^hist ')" "160" "table rows"
contains "$ERR" "lifeboat: job hist: 160 backup(s), 6 kept, 154 would be removed (dry run)"
not_contains "$ERR" "removed 2026/" "dry run stderr"

# The dry runs changed nothing in the store: names, sizes, times, modes, bytes.
snapshot "$TMP/after"
same_files "$TMP/before" "$TMP/after" "prune --dry-run changed the store"

# For real: exactly the expected backups are left, whole, and nothing else.
expect_rc 0 lb prune hist
contains "$ERR" "lifeboat: job hist: 160 backup(s), 6 kept, 154 removed"
contains "$ERR" "job hist: removed 2026/11/backup-09-03 (remove: not a good backup)"
contains "$ERR" "job hist: removed 2026/11/backup-09-01 (remove: outside policy)"
equals "$(listed hist)" "$expected" "backups of hist after prune"
consistent hist
# A second prune finds nothing more to do.
expect_rc 0 lb prune hist
contains "$ERR" "lifeboat: job hist: 6 backup(s), 6 kept, 0 removed"
equals "$(listed hist)" "$expected" "backups of hist after a second prune"

# ==================================================================
# 2. The last 10 runs partial: no good backup is pushed out.
# ==================================================================
# One good backup a day at 06:00 on 2026-11-01 .. 11-12 (backup-DD-01), a
# partial one at 18:00 on 11-05, 11-10 and 11-12 (backup-DD-02).
# keep_last 2 and keep_daily 4 keep 12-01, 11-01 (last 2, daily) and 10-01,
# 09-01 (daily); 12-02 is partial but newer than the newest good backup.
policy fails 2 0 4 0 0 0 0
for day in $(seq 1 12); do
	t=$(at "2026-11-$(printf %02d "$day") 06:00")
	mk fails "$t"
	case $day in 5 | 10 | 12) mk fails $((t + 12 * 3600)) --result partial ;; esac
done
good_kept="2026/11/backup-09-01 2026/11/backup-10-01 2026/11/backup-11-01 2026/11/backup-12-01"
expect_rc 0 lb prune fails --dry-run --json
printf '%s' "$OUT" > "$TMP/plan.json"
plan_check "$TMP/plan.json" "
assert kept() == sorted('$good_kept 2026/11/backup-12-02'.split()), kept()
assert reasons('2026/11/backup-12-02') == ['keep: newer than the last good backup'], reasons('2026/11/backup-12-02')
"
# Then ten runs in a row are partial (2026-11-13, 00:00 .. 09:00).
t=$(at "2026-11-13 00:00")
for i in $(seq 0 9); do
	mk fails $((t + i * 3600)) --result partial
done
partials="2026/11/backup-12-02"
for i in $(seq 1 10); do partials+=" 2026/11/backup-13-$(printf %02d "$i")"; done
expect_rc 0 lb prune fails --dry-run --json
printf '%s' "$OUT" > "$TMP/plan.json"
plan_check "$TMP/plan.json" "
assert kept() == sorted('$good_kept $partials'.split()), kept()
assert reasons('2026/11/backup-12-01') == ['keep: last 1/2', 'keep: daily 2026-11-12', 'keep: newest good backup'], reasons('2026/11/backup-12-01')
for i in '$partials'.split():
    assert reasons(i) == ['keep: newer than the last good backup'], (i, reasons(i))
for i in ['2026/11/backup-05-02', '2026/11/backup-10-02']:
    assert reasons(i) == ['remove: not a good backup'], (i, reasons(i))
"
expect_rc 0 lb prune fails
contains "$ERR" "lifeboat: job fails: 25 backup(s), 15 kept, 10 removed"
equals "$(listed fails)" "$good_kept $partials" "backups of fails after prune"
consistent fails
# A stricter policy still keeps the newest good backup and the partial runs
# since: keep_last 1 keeps 12-01 only, whatever failed after it.
policy fails 1 0 0 0 0 0 0
expect_rc 0 lb prune fails
equals "$(listed fails)" "2026/11/backup-12-01 $partials" "backups of fails under keep_last 1"
consistent fails

# ==================================================================
# 3. Pins survive every policy.
# ==================================================================
# Five good backups, 2026-11-01 .. 11-05 at 12:00; keep_last 1 alone keeps
# only 05-01.
policy pins 1 0 0 0 0 0 0
for day in 1 2 3 4 5; do mk pins "$(at "2026-11-0$day 12:00")"; done
old=2026/11/backup-02-01
expect_rc 0 lb pin pins "$old" --reason "evidence for ticket 42"
equals "$OUT" "pinned pins $old (evidence for ticket 42)" "pin output"
[ -f "$STORE/pins/$old.pin" ] || fail "no pin file beside the record of $old"
CHECKS=$((CHECKS + 1))
contains "$(cat "$STORE/pins/$old.pin")" "evidence for ticket 42" "pin file"
expect_rc 0 lb list pins
contains "$(echo "$OUT" | grep "$old")" "ok (pinned)" "list row of $old"
not_contains "$(echo "$OUT" | grep 2026/11/backup-03-01)" "pinned" "list row of an unpinned backup"
expect_rc 0 lb list pins --json
printf '%s' "$OUT" > "$TMP/list.json"
equals "$(json_get "$TMP/list.json" '[r["id"] for r in j if r["pinned"]]')" "[\"$old\"]" "pinned in list --json"
expect_rc 0 lb prune pins --dry-run --json
printf '%s' "$OUT" > "$TMP/plan.json"
plan_check "$TMP/plan.json" "
assert kept() == ['$old', '2026/11/backup-05-01'], kept()
assert reasons('$old') == ['keep: pinned'] and plan['$old']['pinned'] is True, plan['$old']
"
expect_rc 0 lb prune pins
contains "$ERR" "3 removed"
equals "$(listed pins)" "$old 2026/11/backup-05-01" "backups of pins after prune"
consistent pins

# Errors: no such backup, not pinned, bad usage.
expect_rc 1 lb pin pins 2026/11/backup-28-01
equals "$ERR" "lifeboat: job pins: no such backup in the store" "pin of an unknown id"
expect_rc 1 lb pin pins 2026/11/backup-03-01
contains "$ERR" "no such backup in the store" "pin of a pruned backup"
expect_rc 1 lb unpin pins 2026/11/backup-28-01
contains "$ERR" "no such backup in the store" "unpin of an unknown id"
expect_rc 1 lb unpin pins 2026/11/backup-05-01
equals "$ERR" "lifeboat: job pins: that backup is not pinned" "unpin of an unpinned backup"
expect_rc 2 lb pin pins
expect_rc 2 lb unpin pins "$old" --reason x

# `latest` is the newest good backup.
expect_rc 0 lb pin pins latest
equals "$OUT" "pinned pins 2026/11/backup-05-01" "pin latest"
expect_rc 0 lb unpin pins latest
equals "$OUT" "unpinned pins 2026/11/backup-05-01" "unpin latest"

# Unpinned, the old backup is up to the policy again: the next prune removes it.
expect_rc 0 lb unpin pins "$old"
equals "$OUT" "unpinned pins $old" "unpin output"
[ ! -e "$STORE/pins/$old.pin" ] || fail "the pin file of $old is still there"
CHECKS=$((CHECKS + 1))
expect_rc 0 lb list pins
not_contains "$OUT" "pinned" "list after unpin"
expect_rc 0 lb prune pins
contains "$ERR" "job pins: removed $old (remove: outside policy)"
equals "$(listed pins)" "2026/11/backup-05-01" "backups of pins after unpin and prune"
consistent pins

# ==================================================================
# 4a. A prune interrupted right after removing a record (crafted).
# ==================================================================
policy crash 10 0 0 0 0 0 0
for day in 1 2 3 4; do mk crash "$(at "2026-11-0$day 12:00")"; done
gone=2026/11/backup-02-01
rm "$STORE/crash/$gone.json"
equals "$(listed crash)" "2026/11/backup-01-01 2026/11/backup-03-01 2026/11/backup-04-01" "list without the record"
# A dry run only says: it does not remove the leftovers either.
snapshot "$TMP/before"
expect_rc 0 lb prune crash --dry-run
snapshot "$TMP/after"
same_files "$TMP/before" "$TMP/after" "prune --dry-run changed the store (it removed leftovers)"
expect_rc 0 lb prune crash
contains "$ERR" "job crash: removed 2 leftover file(s)"
contains "$ERR" "lifeboat: job crash: 3 backup(s), 3 kept, 0 removed"
for f in "$gone.sql.zst" "$gone.sha256"; do
	[ ! -e "$STORE/crash/$f" ] || fail "leftover $f still there after prune"
	CHECKS=$((CHECKS + 1))
done
consistent crash

# ==================================================================
# 4b. kill -9 in the middle of a real prune.
# ==================================================================
# 400 backups, four a day from 2026-01-01; keep_last 5 removes 395, one
# record then its files at a time, which takes long enough to interrupt.
policy bulk 5 0 0 0 0 0 0
bulk_t=$(at "2026-01-01 00:00")
nbulk=0
add_bulk() {
	local i
	for i in $(seq "$1"); do
		mk bulk $((bulk_t + nbulk * 21600))
		nbulk=$((nbulk + 1))
	done
}
records() { find "$STORE/bulk" -name 'backup-*.json' | wc -l; }
add_bulk 400
delay=$(printf '0.%02d' $((5 + RANDOM % 16)))	# 0.05 .. 0.20 s
interrupted=0
for try in 1 2 3 4 5 6; do
	n_before=$(records)
	"$LIFEBOAT" -c "$CFG" prune bulk >/dev/null 2>&1 &
	pid=$!
	kill_later "$pid"
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	n_after=$(records)
	if [ "$n_after" -lt "$n_before" ] && [ "$n_after" -gt 5 ]; then
		interrupted=1
		break
	fi
	if [ "$n_after" = "$n_before" ]; then
		delay=$(python3 -c "print($delay * 2)")	# killed before removing anything
	else
		delay=$(python3 -c "print(max($delay / 2, 0.005))")	# it finished: more to remove
		add_bulk 395
	fi
	echo "try $try: $n_before -> $n_after records, next delay $delay s"
done
[ $interrupted = 1 ] || fail "could not kill prune half way in 6 tries"
CHECKS=$((CHECKS + 1))
echo "prune killed after removing $((n_before - n_after)) of $((n_before - 5)) backups"
# Killed, the prune holds no lock: the lock file can be taken at once.
flock -n "$STATE/locks/bulk.lock" true || fail "the job lock is still held after kill -9"
CHECKS=$((CHECKS + 1))
# What is listed is whole even now: a backup goes record first.
run lb list bulk --json
[ "$RC" = 0 ] || fail "list after the kill exited $RC: $ERR"
printf '%s' "$OUT" > "$TMP/list.json"
equals "$(json_get "$TMP/list.json" 'len(j)')" "$n_after" "listed backups after the kill"
# verify: every listed backup's checksum file holds and its artifact is a
# valid zstd frame.
while IFS= read -r id; do
	(cd "$STORE/bulk/$(dirname "$id")" && sha256sum -c --quiet "$(basename "$id").sha256") ||
		fail "sha256sum -c of $id after the kill"
	zstd -tq "$(artifact_of bulk "$id")" || fail "zstd -t of $id after the kill"
done < <(json_get "$TMP/list.json" '"\n".join(r["id"] for r in j)')
CHECKS=$((CHECKS + 1))
# While another process holds the job's lock, prune skips the job.
exec 9>>"$STATE/locks/bulk.lock"
flock -n 9 || fail "cannot take the job lock"
expect_rc 1 lb prune bulk
contains "$ERR" "job bulk is already running"
equals "$(records)" "$n_after" "records after a prune that found the job locked"
flock -u 9
exec 9>&-
# The next prune completes and leaves a consistent store.
expect_rc 0 lb prune bulk
contains "$ERR" "lifeboat: job bulk: $n_after backup(s), 5 kept, $((n_after - 5)) removed"
equals "$(listed bulk | wc -w)" "5" "backups of bulk after the second prune"
consistent bulk

# ==================================================================
# 5. A good run prunes its job.
# ==================================================================
db=ret_auto_$$
drop_db_later "$db"
db_q -e "CREATE DATABASE \`$db\`;
	CREATE TABLE \`$db\`.t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;
	INSERT INTO \`$db\`.t VALUES (1, 'one'), (2, 'two')"
make_config auto "$db" "keep_last = 2" "keep_hourly = 0" "keep_daily = 0" "keep_weekly = 0" \
	"keep_monthly = 0" "keep_yearly = 0" "keep_within = 0"
now=$(date +%s)
for d in 4 3 2 1; do mk auto $((now - d * 86400)); done
older=$(listed auto)
newest_older=${older##* }
equals "$(echo "$older" | wc -w)" "4" "fabricated backups of auto"
expect_run_ok auto
equals "$(listed auto)" "$newest_older $ID" "backups of auto after a good run"
consistent auto

# ==================================================================
# 6. A policy that keeps nothing is a config error.
# ==================================================================
policy none 0 0 0 0 0 0 0
expect_rc 2 lb check-config
contains "$ERR" "keeps no backup"
expect_rc 2 lb prune
contains "$ERR" "keeps no backup"
# keep_within alone is a policy that keeps something.
policy none 0 0 0 0 0 0 7d
expect_rc 0 lb check-config

done_ok

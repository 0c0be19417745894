# Backups of a db job are named by the local date and a sequence number per
# day: three runs on one day are backup-DD-01, -02, -03 under YYYY/MM/; the
# next day (and month) starts again at -01; the hundredth of a day is -100;
# dates follow the local time zone while the record's times are UTC.
# The clock is set with faketime.
# Drives: lib/store/store.c, lib/store/store_txn.c, lib/base/timefmt.c.
set -e
# shellcheck source=tests/e2e/db-lib.sh
. "$(dirname "$0")/db-lib.sh"

command -v faketime >/dev/null 2>&1 || fail "faketime is not installed"
export FAKETIME_DONT_FAKE_MONOTONIC=1

db=names_$$
drop_db_later "$db"
db_q -e "CREATE DATABASE \`$db\`;
	CREATE TABLE \`$db\`.t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;
	INSERT INTO \`$db\`.t VALUES (1, 'named'), (2, 'twice')"
make_config names "$db"

# run_at 'YYYY-MM-DD HH:MM:SS': a run --here with the clock at that local time.
run_at() {
	expect_rc 0 faketime -m "$1" "$LIFEBOAT" -c "$CFG" run names --here
	ID=$(id_of "$OUT")
	[ -n "$ID" ] || fail "run at $1 printed no backup id: '$OUT'"
}

# has_backup ID: its artifact, record and checksum file are in the store.
has_backup() {
	local f
	for f in "$1.sql.zst" "$1.json" "$1.sha256"; do
		[ -f "$STORE/names/$f" ] || fail "no $f in the store (has: $(store_files names | tr '\n' ' '))"
		CHECKS=$((CHECKS + 1))
	done
	equals "$(json_get "$STORE/names/$1.json" 'j["id"]')" "$1" "id in the record of $1"
	(cd "$STORE/names/$(dirname "$1")" && sha256sum -c --quiet "$(basename "$1").sha256") ||
		fail "sha256sum -c of $1"
}

for n in 01 02 03; do
	run_at '2026-11-25 10:00:00'
	equals "$ID" "2026/11/backup-25-$n" "id of run $n on 2026-11-25"
	has_backup "$ID"
	started=$(json_get "$STORE/names/$ID.json" 'j["started"]')
	case "$started" in
	2026-11-25T10:0*Z) ;;
	*) fail "record of $ID started at '$started', not at the faked 2026-11-25T10:0x UTC" ;;
	esac
done
equals "$(json_get "$(state_of names)" 'j["last_run"]["id"]')" "2026/11/backup-25-03" "last_run.id"

# A new month, a new day: the sequence starts again.
run_at '2026-12-01 00:30:00'
equals "$ID" "2026/12/backup-01-01" "id of the first run on 2026-12-01"
has_backup "$ID"

# The date in the id is the local date; the record's times are UTC.  At
# 08:00 in Tokyo on 2 December it is still 1 December in UTC.
if [ -e /usr/share/zoneinfo/Asia/Tokyo ]; then
	TZ=Asia/Tokyo run_at '2026-12-02 08:00:00'
	equals "$ID" "2026/12/backup-02-01" "id of a run at 2026-12-02 08:00 Tokyo time"
	has_backup "$ID"
	started=$(json_get "$STORE/names/$ID.json" 'j["started"]')
	case "$started" in
	2026-12-01T23:0*Z) ;;
	*) fail "record of $ID started at '$started', expected 2026-12-01T23:0x UTC" ;;
	esac
else
	echo "skip: no tzdata for Asia/Tokyo"
	CHECKS=$((CHECKS + 1))
fi

# Past 99 in a day, three digits.
t=$(date -u -d '2026-10-31 12:00:00' +%s)
for n in $(seq 99); do
	"$MKBACKUP" "$STORE" names db --time $((t + n)) >/dev/null || fail "mkbackup $n"
done
[ -f "$STORE/names/2026/10/backup-31-99.json" ] || fail "mkbackup did not make backup-31-99"
run_at '2026-10-31 13:00:00'
equals "$ID" "2026/10/backup-31-100" "id of the hundredth run of a day"
has_backup "$ID"

# All of them listed.
expect_rc 0 lb list names --json
printf '%s' "$OUT" > "$TMP/list.json"
python3 - "$TMP/list.json" <<'PY' || fail "list --json"
import json, sys
ids = [r["id"] for r in json.load(open(sys.argv[1]))]
want = ["2026/11/backup-25-01", "2026/11/backup-25-02", "2026/11/backup-25-03",
        "2026/12/backup-01-01", "2026/10/backup-31-100"]
for w in want:
    assert w in ids, (w, ids)
tokyo = "2026/12/backup-02-01" in ids
assert len(ids) == 99 + len(want) + tokyo, ids
PY
CHECKS=$((CHECKS + 1))

done_ok

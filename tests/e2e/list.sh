# lifeboat list over a store with committed backups, crashed runs and a
# corrupt record; the table and --json carry the same facts.
# Drives: lib/store/store_list.c, lib/store/record.c, lib/store/store_clean.c (through daemon/cmd_list.c).
set -e
. "$(dirname "$0")/lib.sh"

store="$TMP/store"
cat > "$TMP/lb.ini" <<INI
[lifeboat]
store = $store
state_dir = $TMP/state
[db:shop]
schedule = every 6h
user = backup
[files:site]
schedule = @daily
path = /var/www
INI
lb() { "$LIFEBOAT" -c "$TMP/lb.ini" "$@"; }

# No store yet: an empty list, and the store is not created by looking.
expect_rc 0 lb list
contains "$OUT" "0 backups"
[ ! -e "$store" ] || fail "list created the store"

# 2026-11-25 09:00 UTC and later the same day, then a crashed run of each kind.
t=1795597200
expect_rc 0 "$MKBACKUP" "$store" shop db --time $t
equals "$OUT" "2026/11/backup-25-01" "first id"
expect_rc 0 "$MKBACKUP" "$store" shop db --time $((t + 3600)) --result partial
equals "$OUT" "2026/11/backup-25-02" "second id"
expect_rc 0 "$MKBACKUP" "$store" site files --time $((t - 86400))
equals "$OUT" "2026/11/backup-24-01" "files id"
expect_rc 3 "$MKBACKUP" "$store" shop db --time $((t + 7200)) --crash-before-record
expect_rc 3 "$MKBACKUP" "$store" site files --time $t --crash-mid-artifact
ls -A "$store/shop/2026/11" > "$TMP/files"
contains "$(cat "$TMP/files")" "backup-25-03.sql.zst" "store after a crash before the record"

# The artifacts are real zstd frames and the .sha256 files check out.
(cd "$store/shop/2026/11" && sha256sum -c --quiet backup-25-01.sha256) || fail "sha256sum -c"
zstd -tq "$store/shop/2026/11/backup-25-01.sql.zst" || fail "zstd -t"

# Exactly the committed backups are listed: the crashed ones are not.
expect_rc 0 lb list
contains "$OUT" "2026/11/backup-25-01"
contains "$OUT" "2026/11/backup-25-02"
contains "$OUT" "2026/11/backup-24-01"
not_contains "$OUT" "backup-25-03" "list"
contains "$OUT" "3 backups"
equals "$(echo "$OUT" | grep -c 'backup-')" "3" "listed rows"
contains "$(echo "$OUT" | head -1)" "JOB"
contains "$(echo "$OUT" | grep backup-25-02)" "partial"
contains "$(echo "$OUT" | grep backup-25-01)" " db "
contains "$(echo "$OUT" | grep backup-24-01)" " files "

# One job only.
expect_rc 0 lb list shop
not_contains "$OUT" "backup-24-01" "list shop"
contains "$OUT" "2 backups"

# JSON: the same facts, machine-readable.
expect_rc 0 lb list --json
echo "$OUT" > "$TMP/list.json"
python3 - "$TMP/list.json" <<'PY' || fail "list --json content"
import json, sys
rows = json.load(open(sys.argv[1]))
assert [(r["job"], r["id"]) for r in rows] == [
    ("shop", "2026/11/backup-25-01"), ("shop", "2026/11/backup-25-02"),
    ("site", "2026/11/backup-24-01")], rows
r = rows[0]
assert r["kind"] == "db" and r["result"] == "ok" and r["finished"] == "2026-11-25T09:00:00Z", r
assert r["size"] > 0 and r["age_seconds"] > 0 and r["pinned"] is False, r
assert rows[1]["result"] == "partial"
assert rows[2]["kind"] == "files"
PY
CHECKS=$((CHECKS + 1))

# A job neither configured nor in the store is a usage error; a job only in
# the store (removed from the config) is still listed.
expect_rc 2 lb list nosuch
contains "$ERR" "no job named 'nosuch'"
expect_rc 0 "$MKBACKUP" "$store" oldjob logs --time $t
expect_rc 0 lb list oldjob
contains "$OUT" "1 backup"

# A corrupt record is reported and skipped; the rest are still listed.
echo '{ "format": 1, "job": ' > "$store/shop/2026/11/backup-25-09.json"
expect_rc 0 lb list shop
contains "$ERR" "backup-25-09.json"
contains "$OUT" "2 backups"

# Modes: nothing in the store is readable by others.
bad=$(find "$store" \( -type d ! -perm 0700 \) -o \( -type f ! -perm 0600 ! -name 'backup-25-09.json' \))
equals "$bad" "" "files or dirs with modes other than 0700/0600"

# Bad usage.
expect_rc 2 lb list a b
expect_rc 2 lb list --bogus

done_ok

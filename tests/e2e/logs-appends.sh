# Logs jobs, appends: several runs over growing logs restore to exactly the
# original bytes; a partial last line waits for the next run and is then
# archived whole; each backup restores the logs as they were at its run;
# the artifact is a plain tar.zst that tar lists and sha256sum checks; the
# state rebuilds from the store when its file is lost, without duplicating
# anything; a symbolic link is not followed; restore refuses a non-empty
# directory; retention keeps the whole chain.  A log whose name is not ASCII
# (accès.log) is archived and restored under LC_ALL=C too.
# Drives: lib/logs/logship.c, lib/logs/logship_src.c, lib/logs/logship_tar.c, lib/logs/logship_state.c, lib/logs/logship_chain.c.
set -e
# shellcheck source=tests/e2e/logs-lib.sh
. "$(dirname "$0")/logs-lib.sh"

logs_config app
addlines "$LOGS/access.log" 500 a1
addlines "$LOGS/error.log" 50 e1
run_ok
first=$ID
cp "$LOGS/access.log" "$TMP/access.at1"

# A partial last line: archived only once it is complete.
addlines "$LOGS/access.log" 300 a2
printf 'half of a line' >> "$LOGS/access.log"
size_before=$(stat -c %s "$LOGS/access.log")
run_ok
second=$ID
equals "$(record "$second" "j['size_raw']")" "$(( size_before - 14 - $(stat -c %s "$TMP/access.at1") ))" \
	"bytes archived by the run that met a partial line"
restore_to "$second" "$TMP/r2"
equals "$(tail -c 1 "$TMP/r2$LOGS/access.log" | od -An -tx1 | tr -d ' ')" "0a" \
	"last byte restored from the run that met a partial line"
not_contains "$(cat "$TMP/r2$LOGS/access.log")" "half of a line" "restore of the run that met a partial line"
printf ' and the rest\n' >> "$LOGS/access.log"
addlines "$LOGS/error.log" 10 e2
run_ok
restore_to "$ID" "$TMP/r3"
same_bytes "$TMP/r3$LOGS/access.log" "$LOGS/access.log" "access.log after 3 runs"
same_bytes "$TMP/r3$LOGS/error.log" "$LOGS/error.log" "error.log after 3 runs"
equals "$(grep -c 'half of a line and the rest' "$TMP/r3$LOGS/access.log")" "1" "the completed line, once"

# An older backup restores the logs as they were then.
restore_to "$first" "$TMP/r1"
same_bytes "$TMP/r1$LOGS/access.log" "$TMP/access.at1" "access.log as of the first backup"

# The artifact is standard: tar lists one entry per segment, named by path,
# identity and byte range, and the checksum file verifies.
dir=$(dirname "$STORE/$JOB/$ID")
run tar --zstd -tvf "$STORE/$JOB/$ID.tar.zst"
equals "$RC" "0" "tar --zstd -tvf exit status"
ino=$(stat -c %i "$LOGS/access.log")
contains "$OUT" "${LOGS#/}/access.log@$(stat -c %d "$LOGS/access.log"):$ino@$(( size_before - 14 ))-$(stat -c %s "$LOGS/access.log")"
(cd "$dir" && sha256sum -c --quiet "$(basename "$ID").sha256") || fail "sha256sum -c of $ID"
CHECKS=$((CHECKS + 1))
equals "$(record "$ID" "j['parent']")" "$second" "the record names its parent"
equals "$(record "$ID" "[f['offset'] for f in j['logs']['files'] if f['name'].endswith('access.log')][0]")" \
	"$(stat -c %s "$LOGS/access.log")" "offset archived in the record"
equals "$(record "$ID" "[f['sha256'] for f in j['logs']['files'] if f['name'].endswith('access.log')][0]")" \
	"$(sha256sum < "$LOGS/access.log" | cut -d' ' -f1)" "prefix hash in the record"
equals "$(stat -c %a "$STATE/logs/$JOB.json")" "600" "state file mode"

# Nothing new: a run archives nothing.  A symbolic link matched by the glob
# is reported and not followed.
echo "secret" > "$TMP/secret"
ln -s "$TMP/secret" "$LOGS/link.log"
run_ok
equals "$(record "$ID" "j['size_raw']")" "0" "bytes archived with nothing new"
contains "$ERR" "$LOGS/link.log: a symbolic link"
rm "$LOGS/link.log"

# The state file lost: rebuilt from the newest record, nothing archived twice.
rm "$STATE/logs/$JOB.json"
addlines "$LOGS/access.log" 20 a4
run_ok
restore_to "$ID" "$TMP/r4"
same_bytes "$TMP/r4$LOGS/access.log" "$LOGS/access.log" "access.log after the state was rebuilt"
# A stale state file (naming a backup that never committed) is not trusted.
python3 - "$STATE/logs/$JOB.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
j["backup"] = "2000/01/backup-01-01"
for f in j["files"]:
    f["offset"] = 0
json.dump(j, open(sys.argv[1], "w"))
PY
addlines "$LOGS/access.log" 5 a5
run_ok
restore_to "$ID" "$TMP/r5"
same_bytes "$TMP/r5$LOGS/access.log" "$LOGS/access.log" "access.log after a stale state file"
equals "$(alert_count)" "0" "alerts after plain appends"

# Restore refuses a non-empty directory, and writes nothing there.
mkdir "$TMP/full" && echo keep > "$TMP/full/x"
expect_rc 1 lb restore "$JOB" "$ID" --to "$TMP/full"
contains "$ERR" "not empty"
equals "$(ls "$TMP/full")" "x" "non-empty target untouched"
# A logs job restores with --to only.
expect_rc 2 lb restore "$JOB" "$ID" --database x
# A corrupted artifact anywhere in the chain: refused before a byte is written.
art="$STORE/$JOB/$first.tar.zst"
cp "$art" "$TMP/art.saved"
printf 'X' | dd of="$art" bs=1 seek=100 conv=notrunc status=none
expect_rc 1 lb restore "$JOB" "$ID" --to "$TMP/r-bad"
contains "$ERR" "nothing was restored" "restore of a chain with a corrupted artifact"
[ ! -e "$TMP/r-bad" ] || fail "restore of a corrupted chain created $TMP/r-bad"
CHECKS=$((CHECKS + 1))
cp "$TMP/art.saved" "$art"

# Retention keeps the whole chain: each logs backup is needed by the next.
sed -i 's/^keep_last = 1000$/keep_last = 1\nkeep_daily = 0\nkeep_weekly = 0\nkeep_monthly = 0/' "$CFG"
n=$(find "$STORE/$JOB" -name '*.json' | wc -l)
expect_rc 0 lb prune "$JOB" --dry-run --json
printf '%s' "$OUT" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert all(r["action"] == "keep" for r in rows), rows
assert any("keep: needed by" in x for x in rows[0]["reasons"]), rows[0]
' || fail "prune would break the chain"
CHECKS=$((CHECKS + 1))
expect_rc 0 lb prune "$JOB"
equals "$(find "$STORE/$JOB" -name '*.json' | wc -l)" "$n" "backups after prune"
rm -rf "$TMP/r6"
restore_to latest "$TMP/r6"
same_bytes "$TMP/r6$LOGS/access.log" "$LOGS/access.log" "access.log after prune"
# A name past ASCII, in the C locale: stored as its bytes, restored the same.
JOB=app8
logs_config app8 "paths = $LOGS/acc*.log"
addlines "$LOGS/accès.log" 20 u1
LC_ALL=C run_ok
rm -rf "$TMP/r8"
LC_ALL=C restore_to latest "$TMP/r8"
same_bytes "$TMP/r8$LOGS/accès.log" "$LOGS/accès.log" "a log named past ASCII"
done_ok

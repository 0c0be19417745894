# verify checks what restore relies on, for every kind (db, files, logs):
# good backups of each kind (files with hard links, symlinks, a fifo, a
# sparse file, an empty file) verify ok and `sha256sum -c` passes beside
# them; then each breakage is caught, one line naming the backup, the
# artifact and what disagrees, exit 1:
#   - a record without its tar.zst (or with another file in its place),
#   - an index naming a path its tar lacks, a tar holding a path its index
#     does not name, a tar whose file differs from its index's hash,
#   - a tampered or missing .sha256 file,
#   - a db record without its sql.zst, a logs record without its tar.zst,
#     a logs tar with a segment its record does not list (and the reverse),
#   - hostile records: an artifact named "../x" or one that walks out of
#     the store through a directory (a fifo there proves nothing is opened),
#     missing fields and wrong types: a clear error, never a crash.
# Every tampering here re-seals the record and the .sha256 file, so only
# the new checks can see it.
# Drives: lib/store/verify.c, lib/store/record.c, lib/files/snaprestore.c, lib/logs/logship_chain.c (through daemon/cmd_verify.c).
set -e
# shellcheck source=tests/e2e/files-lib.sh
. "$(dirname "$0")/files-lib.sh"

# reseal JOB ID: sets the record's sha256/size of every artifact from the
# files on disk and rewrites the .sha256 file from the record.
reseal() {
	python3 - "$(record_of "$1" "$2")" <<'PY'
import hashlib, json, os, sys
rec = sys.argv[1]
d = os.path.dirname(rec)
j = json.load(open(rec))
lines = []
for a in j["artifacts"]:
    p = os.path.join(d, a["file"])
    data = open(p, "rb").read()
    a["sha256"] = hashlib.sha256(data).hexdigest()
    a["size"] = len(data)
    lines.append("%s  %s\n" % (a["sha256"], a["file"]))
json.dump(j, open(rec, "w"))
open(rec[:-len(".json")] + ".sha256", "w").write("".join(lines))
PY
}

# edit_record JOB ID PYTHON: runs PYTHON with the parsed record as j, and
# writes j back.
edit_record() {
	python3 - "$(record_of "$1" "$2")" "$3" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(j, open(sys.argv[1], "w"))
PY
}

# save/back JOB ID: keeps a copy of the backup's files / puts them back.
save() {
	local r
	r=$(record_of "$1" "$2")
	mkdir -p "$TMP/saved"
	cp -a "${r%.json}".* "$TMP/saved/"
}
back() {
	local r
	r=$(record_of "$1" "$2")
	rm -rf "${r%.json}".*
	cp -a "$TMP/saved/$(basename "${r%.json}")".* "$(dirname "$r")/"
	rm -rf "$TMP/saved"
}

# sumcheck JOB ID: `sha256sum -c --strict` from the backup's directory.
sumcheck() {
	local r
	r=$(record_of "$1" "$2")
	(cd "$(dirname "$r")" && sha256sum -c --strict "$(basename "${r%.json}").sha256")
}

# ---------------------------------------------------------------- good ones
T=$TMP/tree
mkdir -p "$T/d/sub" "$T/empty"
head -c 300000 /dev/urandom > "$T/d/big"
echo hi > "$T/d/sub/small"
: > "$T/d/zero"
ln "$T/d/big" "$T/d/big-link"
ln -s sub/small "$T/d/sym"
mkfifo "$T/d/fifo"
truncate -s 8M "$T/d/sparse"
printf x | dd of="$T/d/sparse" bs=1 seek=5000000 conv=notrunc status=none
make_files_config site "$T"
printf '\n[db:dbjob]\nschedule = @daily\nuser = backup\n' >> "$CFG"
run_job site
ID1=$ID
echo more >> "$T/d/sub/small"
echo new > "$T/d/new"
run_job site
ID2=$ID
DBID=$("$MKBACKUP" "$STORE" dbjob db)

expect_rc 0 lb verify
contains "$OUT" "ok   site $ID1 (files full, 2 artifact(s)"
contains "$OUT" "ok   site $ID2 (files incremental, 2 artifact(s)"
contains "$OUT" "ok   dbjob $DBID (db, 1 artifact(s)"
expect_rc 0 sumcheck site "$ID1"
expect_rc 0 sumcheck dbjob "$DBID"

TAR2=$(artifact_of site "$ID2" tar.zst)
IDX2=$(artifact_of site "$ID2" index.zst)
SUM2=$(record_of site "$ID2")
SUM2=${SUM2%.json}.sha256
STEM2=$(basename "${TAR2%.tar.zst}")

# ------------------------------------------------- files: the record's tar.zst
save site "$ID2"
edit_record site "$ID2" 'j["artifacts"] = [a for a in j["artifacts"] if not a["file"].endswith(".tar.zst")]'
reseal site "$ID2"
expect_rc 1 lb verify site "$ID2"
contains "$OUT" "BAD  site $ID2: $STEM2.tar.zst: not in its record's \"artifacts\", and a files backup needs it"
expect_rc 1 lb restore site "$ID2" --to "$TMP/r1"
[ ! -e "$TMP/r1" ] || fail "restore of a backup without its tar wrote $TMP/r1"
back site "$ID2"

# Another file in the tar's place (the .sha256 file, hashed right).
save site "$ID2"
edit_record site "$ID2" '
for a in j["artifacts"]:
    if a["file"].endswith(".tar.zst"):
        a["file"] = a["file"].replace(".tar.zst", ".sha256")'
reseal site "$ID2"
expect_rc 1 lb verify site "$ID2"
contains "$OUT" "\"file\" '$STEM2.sha256' is not a file a files backup has"
contains "$OUT" "$STEM2.tar.zst: not in its record's \"artifacts\""
back site "$ID2"

# --------------------------------------------- files: the index and the tar
# The index names a path its tar lacks.
save site "$ID2"
zstdcat "$IDX2" > "$TMP/idx"
line=$(grep -P '\td/new$' "$TMP/idx")
printf '%s\n' "${line%d/new}d/ghost" >> "$TMP/idx"
zstd -q -f "$TMP/idx" -o "$IDX2"
reseal site "$ID2"
expect_rc 1 lb verify site "$ID2"
contains "$OUT" "BAD  site $ID2: $TAR2 does not hold 'd/ghost', which its index says it holds"
back site "$ID2"

# The tar holds a path its index does not name.
save site "$ID2"
zstd -q -d -c "$TAR2" > "$TMP/t.tar"
python3 - "$TMP/t.tar" <<'PY'
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "a", format=tarfile.PAX_FORMAT)
ti = tarfile.TarInfo("d/stowaway")
ti.size = 5
t.addfile(ti, io.BytesIO(b"evil\n"))
t.close()
PY
zstd -q -f "$TMP/t.tar" -o "$TAR2"
reseal site "$ID2"
expect_rc 1 lb verify site "$ID2"
contains "$OUT" "BAD  site $ID2: $TAR2 holds 'd/stowaway', which its index does not name"
back site "$ID2"

# A file in the tar with other content than its index says (same length).
save site "$ID2"
zstd -q -d -c "$TAR2" > "$TMP/t.tar"
python3 - "$TMP/t.tar" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.find(b"new\n", 512)
assert i > 0
b[i:i + 4] = b"NEW\n"
open(p, "wb").write(b)
PY
zstd -q -f "$TMP/t.tar" -o "$TAR2"
reseal site "$ID2"
expect_rc 1 lb verify site "$ID2"
contains "$OUT" "BAD  site $ID2: $TAR2 holds 'd/new' with another content than its index's SHA-256"
back site "$ID2"

# ------------------------------------------------------------- the .sha256 file
cp "$SUM2" "$TMP/sum.bak"
python3 - "$SUM2" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[0] = ord("1") if b[0] == ord("0") else ord("0")
open(sys.argv[1], "wb").write(b)
PY
cmp -s "$SUM2" "$TMP/sum.bak" && fail "the .sha256 file was not changed"
expect_rc 1 sumcheck site "$ID2"
expect_rc 1 lb verify site "$ID2"
contains "$OUT" "BAD  site $ID2: $SUM2: says SHA-256"
contains "$OUT" "its record says"
printf '%s  ../../../outside\n' "$(printf '0%.0s' $(seq 64))" > "$TMP/sum.bak.2"
cat "$TMP/sum.bak" "$TMP/sum.bak.2" > "$SUM2"
expect_rc 1 lb verify site "$ID2"
contains "$OUT" "$SUM2: line 3 names '../../../outside', which is not an artifact of its record"
head -n 1 "$TMP/sum.bak" > "$SUM2"
expect_rc 1 lb verify site "$ID2"
contains "$OUT" "$SUM2: has no line for $STEM2."
rm "$SUM2"
expect_rc 1 lb verify site "$ID2"
contains "$OUT" "BAD  site $ID2: $SUM2: missing"
cp "$TMP/sum.bak" "$SUM2"
expect_rc 0 lb verify site "$ID2"

# ------------------------------------------------------------------------ db
DBREC=$(record_of dbjob "$DBID")
SQL=$(artifact_of dbjob "$DBID" sql.zst)
DBSTEM=$(basename "${SQL%.sql.zst}")
save dbjob "$DBID"
# Another file in the dump's place, hashed right.
echo 'SELECT 1;' > "${SQL%.zst}"
edit_record dbjob "$DBID" '
for a in j["artifacts"]:
    a["file"] = a["file"].replace(".sql.zst", ".sql")'
reseal dbjob "$DBID"
expect_rc 1 lb verify dbjob "$DBID"
contains "$OUT" "BAD  dbjob $DBID: $DBSTEM.sql.zst: not in its record's \"artifacts\", and a db backup needs it"
edit_record dbjob "$DBID" 'j["artifacts"] = []'
reseal dbjob "$DBID"
expect_rc 1 lb verify dbjob "$DBID"
contains "$OUT" "$DBSTEM.sql.zst: not in its record's \"artifacts\""
back dbjob "$DBID"
save dbjob "$DBID"
rm "$SQL"
expect_rc 1 lb verify dbjob "$DBID"
contains "$OUT" "BAD  dbjob $DBID: $SQL: missing"
back dbjob "$DBID"

# ---------------------------------------------------------------- hostile records
# "../x": refused by name, nothing opened.
save dbjob "$DBID"
edit_record dbjob "$DBID" 'j["artifacts"][0]["file"] = "../x"'
expect_rc 1 lb verify dbjob "$DBID"
contains "$OUT" "BAD  dbjob $DBID: its record's \"artifacts\"[0].\"file\" '../x' is not a file a db backup has ($DBSTEM.sql.zst)"
# A name that walks out through a directory to a fifo: opening it would
# block, so a verify that returns in time opened nothing there.
mkdir -p "$(dirname "$DBREC")/$DBSTEM.x"
mkfifo "$TMP/outside.fifo"
rel=$(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$TMP/outside.fifo" \
	"$(dirname "$DBREC")/$DBSTEM.x")
edit_record dbjob "$DBID" "j['artifacts'][0]['file'] = '$DBSTEM.x/$rel'"
expect_rc 1 timeout 20 "$LIFEBOAT" -c "$CFG" verify dbjob "$DBID"
contains "$OUT" "is not a file a db backup has"
# Missing fields and wrong types: each named, no crash.
edit_record dbjob "$DBID" 'j["artifacts"] = [{"file": 5, "sha256": 7}]; j["kind"] = 3; del j["id"]'
expect_rc 1 lb verify dbjob "$DBID"
contains "$OUT" "BAD  dbjob $DBID: its record has no \"kind\" string"
contains "$OUT" "BAD  dbjob $DBID: its record's \"id\" (missing) is not $DBID"
edit_record dbjob "$DBID" 'j["kind"] = "db"; j["id"] = "'"$DBID"'"'
expect_rc 1 lb verify dbjob "$DBID"
contains "$OUT" "its record's \"artifacts\"[0] has no \"file\" string"
edit_record dbjob "$DBID" 'j["artifacts"] = [{"file": "'"$DBSTEM"'.sql.zst", "sha256": "x" * 64, "size": "big"}]'
expect_rc 1 lb verify dbjob "$DBID"
contains "$OUT" "$DBSTEM.sql.zst: its record's \"artifacts\"[0].\"sha256\" (xxxx"
contains "$OUT" "$DBSTEM.sql.zst: its record's \"artifacts\"[0].\"size\" is not a byte count"
edit_record dbjob "$DBID" 'j["artifacts"] = "none"; j["kind"] = "tape"'
expect_rc 1 lb verify dbjob "$DBID"
contains "$OUT" "its record's \"kind\" 'tape' is not db, files, logs"
contains "$OUT" "its record has no \"artifacts\" array"
back dbjob "$DBID"
expect_rc 0 lb verify dbjob "$DBID"

# ---------------------------------------------------------------------- logs
LOGS=$TMP/logs
mkdir -p "$LOGS"
for i in $(seq 1 200); do echo "line $i of the access log"; done > "$LOGS/access.log"
for i in $(seq 1 50); do echo "error $i"; done > "$LOGS/error.log"
printf '[logs:weblogs]\nschedule = @hourly\npaths = %s/*.log\n' "$LOGS" >> "$CFG"
run_job weblogs
LID1=$ID
echo "line 201" >> "$LOGS/access.log"
run_job weblogs
LID2=$ID
expect_rc 0 lb verify weblogs
contains "$OUT" "ok   weblogs $LID1 (logs, 1 artifact(s)"
contains "$OUT" "ok   weblogs $LID2 (logs, 1 artifact(s)"
expect_rc 0 sumcheck weblogs "$LID1"
LTAR=$(artifact_of weblogs "$LID1" tar.zst)
LSTEM=$(basename "${LTAR%.tar.zst}")

save weblogs "$LID1"
edit_record weblogs "$LID1" 'j["artifacts"] = [a for a in j["artifacts"] if not a["file"].endswith(".tar.zst")]'
reseal weblogs "$LID1"
expect_rc 1 lb verify weblogs "$LID1"
contains "$OUT" "BAD  weblogs $LID1: $LSTEM.tar.zst: not in its record's \"artifacts\", and a logs backup needs it"
expect_rc 1 lb restore weblogs "$LID1" --to "$TMP/rl"
back weblogs "$LID1"
save weblogs "$LID1"
zstd -q -d -c "$LTAR" > "${LTAR%.zst}"
edit_record weblogs "$LID1" '
for a in j["artifacts"]:
    a["file"] = a["file"].replace(".tar.zst", ".tar")'
reseal weblogs "$LID1"
expect_rc 1 lb verify weblogs "$LID1"
contains "$OUT" "\"file\" '$LSTEM.tar' is not a file a logs backup has ($LSTEM.tar.zst)"
back weblogs "$LID1"

# The tar holds a segment the record does not list, and the reverse.
save weblogs "$LID1"
edit_record weblogs "$LID1" 'gone = j["logs"]["segments"].pop(); print(gone["entry"], file=open(sys.argv[1] + ".gone", "w"))'
gone=$(cat "$(record_of weblogs "$LID1").gone")
rm "$(record_of weblogs "$LID1").gone"
expect_rc 1 lb verify weblogs "$LID1"
contains "$OUT" "BAD  weblogs $LID1: $LTAR holds '$gone', which its record's segments do not list"
back weblogs "$LID1"
save weblogs "$LID1"
edit_record weblogs "$LID1" 's = dict(j["logs"]["segments"][0]); s["entry"] = "var/log/ghost@1:2@0-5"; s["start"] = 0; s["end"] = 5; s["gen"] = 999; j["logs"]["segments"].append(s)'
expect_rc 1 lb verify weblogs "$LID1"
contains "$OUT" "BAD  weblogs $LID1: $LTAR does not hold 'var/log/ghost@1:2@0-5', which its record's segments list"
back weblogs "$LID1"
save weblogs "$LID1"
edit_record weblogs "$LID1" 'j["logs"]["segments"][0]["end"] += 1'
expect_rc 1 lb verify weblogs "$LID1"
contains "$OUT" "its record's segment says"
edit_record weblogs "$LID1" 'j["logs"]["segments"][0]["name"] = "/var/log/../../etc/cron.d/x"'
expect_rc 1 lb verify weblogs "$LID1"
contains "$OUT" "is not an absolute path without \"..\": restore refuses it"
back weblogs "$LID1"
expect_rc 0 lb verify

done_ok

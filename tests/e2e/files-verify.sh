# verify and the safety of restore: `lifeboat verify` passes a good store
# (files and db backups alike), catches one flipped byte in an artifact
# (exit 1, naming the backup, and the incremental that depends on it), a
# missing chain member, a tar holding a path its index dropped, and an
# index entry whose content its holder does not have.  restore refuses a
# non-empty target and a crafted archive placed in the store (an absolute
# path, "..", a write through a symlink it just restored) without writing
# outside the target, and verify says BAD for each of those archives too.
# (verify-kinds.sh has the checks of every kind.)
# Drives: lib/store/verify.c, lib/store/record.c, lib/store/reader.c, lib/store/restore_target.c, lib/files/snaprestore.c (through daemon/cmd_verify.c).
set -e
# shellcheck source=tests/e2e/files-lib.sh
. "$(dirname "$0")/files-lib.sh"

T=$TMP/tree
mkdir -p "$T/a" "$T/b"
for i in $(seq 1 20); do head -c 5000 /dev/urandom > "$T/a/f$i"; done
echo one > "$T/b/one"
make_files_config site "$T"
printf '\n[files:evil]\nschedule = @daily\npath = %s\n' "$T" >> "$CFG"
run_job site
ID1=$ID
echo two > "$T/b/two"
run_job site
ID2=$ID
"$MKBACKUP" "$STORE" dbjob db > "$TMP/dbid"
DBID=$(cat "$TMP/dbid")

expect_rc 0 lb verify
contains "$OUT" "ok   site $ID1 (files full"
contains "$OUT" "ok   site $ID2 (files incremental"
contains "$OUT" "ok   dbjob $DBID (db"
contains "$OUT" "3 backup(s) verified"
expect_rc 0 lb verify site "$ID2"

# flip BYTE FILE: inverts one byte in the middle of FILE.
flip() {
	python3 - "$1" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xff
open(p, "wb").write(b)
PY
}
TAR1=$(artifact_of site "$ID1" tar.zst)
flip "$TAR1"
expect_rc 1 lb verify
contains "$OUT" "BAD  site $ID1: $TAR1: SHA-256"
contains "$OUT" "corrupted"
contains "$OUT" "BAD  site $ID2: its chain member $ID1 is bad"
contains "$OUT" "ok   dbjob $DBID"
contains "$OUT" "1 ok, 2 bad"
expect_rc 1 lb verify site "$ID2"
contains "$OUT" "BAD  site $ID2"
# Restore checks every tar of the chain first, and writes nothing at all.
expect_rc 1 lb restore site "$ID2" --to "$TMP/r-corrupt"
contains "$ERR" "$TAR1: SHA-256"
contains "$ERR" "nothing was restored"
[ ! -e "$TMP/r-corrupt" ] || fail "restore of a corrupted chain created $TMP/r-corrupt"
CHECKS=$((CHECKS + 1))
flip "$TAR1"
expect_rc 0 lb verify site

# A db artifact is checked too.
flip "$(artifact_of dbjob "$DBID" sql.zst)"
expect_rc 1 lb verify
contains "$OUT" "BAD  dbjob $DBID"
flip "$(artifact_of dbjob "$DBID" sql.zst)"

# reseal JOB ID: the record's sha256/size of every artifact from the files
# on disk, and the .sha256 file from the record: only the content checks
# can see what was changed.
reseal() {
	python3 - "$(record_of "$1" "$2")" <<'PY'
import hashlib, json, os, sys
rec = sys.argv[1]
d = os.path.dirname(rec)
j = json.load(open(rec))
lines = []
for a in j["artifacts"]:
    data = open(os.path.join(d, a["file"]), "rb").read()
    a["sha256"] = hashlib.sha256(data).hexdigest()
    a["size"] = len(data)
    lines.append("%s  %s\n" % (a["sha256"], a["file"]))
json.dump(j, open(rec, "w"))
open(rec[:-len(".json")] + ".sha256", "w").write("".join(lines))
PY
}

# The full's index loses a line its tar still holds: the full is bad, and
# so is the incremental that builds on it.
IDX1=$(artifact_of site "$ID1" index.zst)
SUM1=$(record_of site "$ID1")
SUM1=${SUM1%.json}.sha256
cp "$IDX1" "$TMP/idx1.bak"
cp "$(record_of site "$ID1")" "$TMP/rec1.bak"
cp "$SUM1" "$TMP/sum1.bak"
zstdcat "$TMP/idx1.bak" | grep -v 'a/f7$' | zstd -q -f -o "$IDX1"
reseal site "$ID1"
expect_rc 1 lb verify site
contains "$OUT" "BAD  site $ID1: $TAR1 holds 'a/f7', which its index does not name"
contains "$OUT" "BAD  site $ID2: its chain member $ID1 is bad: $TAR1 holds 'a/f7'"
cp "$TMP/idx1.bak" "$IDX1"
cp "$TMP/rec1.bak" "$(record_of site "$ID1")"
cp "$TMP/sum1.bak" "$SUM1"

# An index entry whose holder does not hold it: the incremental's index
# names a path whose content it says is in the full, which never had it.
IDX2=$(artifact_of site "$ID2" index.zst)
SUM2=$(record_of site "$ID2")
SUM2=${SUM2%.json}.sha256
cp "$IDX2" "$TMP/idx2.bak"
cp "$(record_of site "$ID2")" "$TMP/rec2.bak"
cp "$SUM2" "$TMP/sum2.bak"
zstdcat "$TMP/idx2.bak" > "$TMP/idx2"
line=$(grep -P '\ta/f7$' "$TMP/idx2")
printf '%s\n' "${line%a/f7}a/f7-ghost" >> "$TMP/idx2"
zstd -q -f "$TMP/idx2" -o "$IDX2"
reseal site "$ID2"
expect_rc 1 lb verify site "$ID2"
contains "$OUT" "the content of 'a/f7-ghost' should be in $ID1, which does not hold it"
cp "$TMP/idx2.bak" "$IDX2"
cp "$TMP/rec2.bak" "$(record_of site "$ID2")"
cp "$TMP/sum2.bak" "$SUM2"
expect_rc 0 lb verify site

# A missing chain member.
mv "$(record_of site "$ID1")" "$TMP/rec1.moved"
expect_rc 1 lb verify site
contains "$OUT" "BAD  site $ID2: its chain is broken: backup $ID1 of site is missing, needed by $ID2"
expect_rc 1 lb restore site "$ID2" --to "$TMP/r-missing"
contains "$ERR" "backup $ID1 of site is missing"
mv "$TMP/rec1.moved" "$(record_of site "$ID1")"

# restore refuses a non-empty target, and leaves it alone.
mkdir "$TMP/full"
echo keep > "$TMP/full/keep"
expect_rc 1 lb restore site "$ID2" --to "$TMP/full"
contains "$ERR" "$TMP/full is not empty"
equals "$(ls "$TMP/full")" "keep" "non-empty target untouched"
expect_rc 2 lb restore site "$ID2" --database x
contains "$ERR" "a files or logs job restores with --to DIR"

# Crafted archives, each committed as a backup of job "evil" with a
# matching index and record.
mkdir -p "$TMP/outside"
# craft SEQ KIND: writes backup 2020/01/backup-01-SEQ of job evil.
craft() {
	python3 - "$STORE/evil/2020/01" "$1" "$2" "$TMP/outside" <<'PY'
import hashlib, io, json, os, subprocess, sys, tarfile
d, seq, kind, outside = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
bid = "2020/01/backup-01-%s" % seq
os.makedirs(d, mode=0o700, exist_ok=True)
buf = io.BytesIO()
t = tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT)
def add(name, data=b"evil\n", **kw):
    ti = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(ti, k, v)
    if ti.type == tarfile.REGTYPE:
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    else:
        t.addfile(ti)
names = []
if kind == "dotdot":
    add("../evil-dotdot"); names.append(("f", "../evil-dotdot"))
elif kind == "absolute":
    add(outside + "/evil-abs"); names.append(("f", outside + "/evil-abs"))
else:
    add("link", type=tarfile.SYMTYPE, linkname=outside); names.append(("l", "link"))
    add("link/evil-through"); names.append(("f", "link/evil-through"))
t.close()
tarzst = subprocess.run(["zstd", "-q", "-c"], input=buf.getvalue(), capture_output=True, check=True).stdout
lines = ["lifeboat-index 1\t%s\t-" % bid,
         "d\t0755\t0\t0\t0\t0.000000000\t0.000000000\t1\t-\t%s\t-\t." % bid]
for typ, n in names:
    lines.append("%s\t0644\t0\t0\t5\t0.000000000\t0.000000000\t2\t%s\t%s\t-\t%s"
                 % (typ, hashlib.sha256(b"evil\n").hexdigest() if typ == "f" else "-", bid, n))
idxzst = subprocess.run(["zstd", "-q", "-c"], input=("\n".join(lines) + "\n").encode(),
                        capture_output=True, check=True).stdout
stem = os.path.join(d, "backup-01-%s" % seq)
arts = []
for ext, data in (("tar.zst", tarzst), ("index.zst", idxzst)):
    open(stem + "." + ext, "wb").write(data)
    arts.append({"file": "backup-01-%s.%s" % (seq, ext), "size": len(data),
                 "sha256": hashlib.sha256(data).hexdigest()})
rec = {"format": 1, "job": "evil", "kind": "files", "id": bid, "result": "ok",
       "started": "2020-01-01T00:00:00Z", "finished": "2020-01-01T00:00:01Z",
       "size_raw": 0, "size_stored": 0, "artifacts": arts,
       "files": {"type": "full", "full": bid, "full_time": 1577836800, "chain_length": 0}}
open(stem + ".sha256", "w").write("".join("%s  %s\n" % (a["sha256"], a["file"]) for a in arts))
json.dump(rec, open(stem + ".json", "w"))
print(bid)
PY
}
n=0
for kind in dotdot absolute symlink; do
	n=$((n + 1))
	bid=$(craft "0$n" "$kind")
	# verify says BAD where restore refuses.
	expect_rc 1 lb verify evil "$bid"
	case $kind in
	dotdot) contains "$OUT" "holds '../evil-dotdot', outside the tree: restore refuses it" ;;
	absolute) contains "$OUT" "outside the tree: restore refuses it" ;;
	symlink) contains "$OUT" "names 'link/evil-through' under 'link', which it does not give as a directory" ;;
	esac
	expect_rc 1 lb restore evil "$bid" --to "$TMP/r-$kind"
	contains "$ERR" "evil $bid:" "the refusal names the backup"
	case $kind in
	dotdot) contains "$ERR" "'../evil-dotdot'" ; contains "$ERR" "refused" ;;
	absolute) contains "$ERR" "refused" ;;
	symlink) contains "$ERR" "cannot restore 'link/evil-through'" ;;
	esac
done
[ ! -e "$TMP/evil-dotdot" ] && [ ! -e "$TMP/r-dotdot/../evil-dotdot" ] || fail "'..' was written"
[ -z "$(ls -A "$TMP/outside")" ] || fail "a crafted archive wrote outside the target: $(ls -A "$TMP/outside")"
CHECKS=$((CHECKS + 2))

done_ok

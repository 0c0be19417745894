# A restore reads each artifact once: the bytes `restore --to` reads from the
# store (its "read N bytes from the store" line, counted by the reader) equal
# the sum of the chain's artifact sizes, for a files chain (full and
# incremental: tars and indexes) and a logs chain.  A corrupted artifact
# anywhere in the chain leaves the target as it was (an empty directory
# stays empty, a missing one is not created) and no staging directory
# behind.  The target check refuses a symlink, a file and a non-empty
# directory, writing nothing.
# Drives: lib/store/reader.c, lib/store/restore_target.c, lib/files/snaprestore.c, lib/logs/logship_chain.c.
set -e
# shellcheck source=tests/e2e/files-lib.sh
. "$(dirname "$0")/files-lib.sh"

T=$TMP/tree
mkdir -p "$T/a"
for i in $(seq 1 30); do head -c 20000 /dev/urandom > "$T/a/f$i"; done
make_files_config site "$T"
run_job site
ID1=$ID
head -c 50000 /dev/urandom > "$T/a/new"
run_job site
ID2=$ID

# sizes ID...: the sum of the artifacts' sizes in the records.
sizes() {
	local total=0 id r s
	for id in "$@"; do
		r=$(record_of "$JOB_OF" "$id")
		s=$(json_get "$r" 'sum(a["size"] for a in j["artifacts"])')
		total=$((total + s))
	done
	echo "$total"
}
read_bytes() {
	grep -oE 'read [0-9]+ bytes from the store' <<<"$1" | grep -oE '[0-9]+'
}

JOB_OF=site
want=$(sizes "$ID1" "$ID2")
expect_rc 0 lb restore site "$ID2" --to "$TMP/r1"
got=$(read_bytes "$OUT")
echo "files restore of $ID2: read $got bytes, the chain's artifacts hold $want" >&2
equals "$got" "$want" "bytes read by a files restore of a 2-member chain (the artifacts' sizes, once)"
want=$(sizes "$ID1")
expect_rc 0 lb restore site "$ID1" --to "$TMP/r0"
equals "$(read_bytes "$OUT")" "$want" "bytes read by a files restore of a full snapshot"
cmp "$T/a/new" "$TMP/r1/a/new" || fail "the restored tree differs"

# The target check: a symlink, a file, a non-empty directory: refused, untouched.
mkdir "$TMP/empty" "$TMP/full"
echo keep > "$TMP/full/x"
ln -s "$TMP/empty" "$TMP/link"
echo plain > "$TMP/file"
expect_rc 1 lb restore site "$ID2" --to "$TMP/link"
contains "$ERR" "is a symlink"
expect_rc 1 lb restore site "$ID2" --to "$TMP/file"
contains "$ERR" "is not a directory"
equals "$(cat "$TMP/file")" "plain" "a file given as the target"
expect_rc 1 lb restore site "$ID2" --to "$TMP/full"
contains "$ERR" "is not empty"
equals "$(ls -A "$TMP/full")" "x" "a non-empty target"
equals "$(ls -A "$TMP/empty")" "" "the symlink's empty directory"

# A corrupted tar in the chain: the empty target stays empty, no staging left.
python3 - "$(artifact_of site "$ID1" tar.zst)" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xff
open(p, "wb").write(b)
PY
expect_rc 1 lb restore site "$ID2" --to "$TMP/empty"
contains "$ERR" "SHA-256"
contains "$ERR" "nothing was restored"
equals "$(ls -A "$TMP/empty")" "" "an empty target after a restore of a corrupted chain"
expect_rc 1 lb restore site "$ID2" --to "$TMP/new"
[ ! -e "$TMP/new" ] || fail "a restore of a corrupted chain created $TMP/new"
equals "$(find "$TMP" -maxdepth 1 -name '.lifeboat-staging-*' | wc -l)" "0" "staging directories left behind"

# A logs chain: three backups, each tar read once.
LOGS=$TMP/logs
mkdir -p "$LOGS"
head -c 100000 /dev/urandom | base64 > "$LOGS/app.log"
CFG=$TMP/logs.ini
printf '[lifeboat]\nstore = %s\nstate_dir = %s/state\nmax_load = 0\nio_limit = 0\n[logs:web]\nschedule = @hourly\npaths = %s/*.log\nkeep_last = 100\n' \
	"$STORE" "$TMP" "$LOGS" > "$CFG"
LIDS=()
for n in 1 2 3; do
	head -c 30000 /dev/urandom | base64 >> "$LOGS/app.log"
	expect_rc 0 lb run web --here
	LIDS+=("$(id_of "$OUT")")
done
JOB_OF=web
want=$(sizes "${LIDS[@]}")
expect_rc 0 lb restore web "${LIDS[2]}" --to "$TMP/l1"
equals "$(read_bytes "$OUT")" "$want" "bytes read by a logs restore of a 3-member chain"
cmp "$LOGS/app.log" "$TMP/l1$LOGS/app.log" || fail "the restored log differs"
python3 - "$(artifact_of web "${LIDS[1]}" tar.zst)" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xff
open(p, "wb").write(b)
PY
mkdir "$TMP/lempty"
expect_rc 1 lb restore web "${LIDS[2]}" --to "$TMP/lempty"
contains "$ERR" "nothing was restored"
equals "$(ls -A "$TMP/lempty")" "" "an empty target after a logs restore of a corrupted chain"
equals "$(find "$TMP" -maxdepth 1 -name '.lifeboat-staging-*' | wc -l)" "0" "staging directories left behind (logs)"
done_ok

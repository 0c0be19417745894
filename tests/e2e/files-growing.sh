# A file that grows while the snapshot reads it: it is read again (up to
# three more times), then kept as read and flagged, and the tar holds that
# one read only — in its index line, in
# the record's files.changed_while_read and in the warnings — never cut
# short of its header size nor mixed: the stored content is exactly a prefix
# of the file.  The run is slowed with io_limit so the writer is sure to
# append during every read, and runs on a pseudo-terminal (script) so its
# progress display (files, bytes, rate) is drawn.  Then Ctrl-C in the middle
# of a big file stops a run and leaves nothing in the store.
# Drives: lib/files/snapshot.c, lib/files/jobkind_files.c.
set -e
# shellcheck source=tests/e2e/files-lib.sh
. "$(dirname "$0")/files-lib.sh"
command -v script >/dev/null 2>&1 || fail "script (util-linux) is not installed"

T=$TMP/tree
mkdir -p "$T"
echo "still" > "$T/still.txt"
head -c 6000000 /dev/urandom | base64 -w 100 > "$T/growing.log"
make_files_config site "$T"
SPOOL=$TMP/spool
mkdir -m 0700 "$SPOOL"
export TMPDIR=$SPOOL
sed -i 's/^io_limit = 0$/io_limit = 6M/' "$CFG"

# The writer appends a numbered line every 10 ms until told to stop.
(
	i=0
	while [ ! -e "$TMP/stop" ]; do
		i=$((i + 1))
		echo "appended line $i" >> "$T/growing.log"
		sleep 0.01
	done
) &
WRITER=$!
trap 'touch "$TMP/stop"; wait "$WRITER" 2>/dev/null; rm -rf "$TMP"' EXIT

expect_rc 0 script -qec "$LIFEBOAT -c $CFG run site --here" "$TMP/typescript"
touch "$TMP/stop"
wait "$WRITER"
contains "$OUT" "files" "progress display"
contains "$OUT" "/s" "progress rate"
ID=$(id_of "$OUT")
REC=$(record_of site "$ID")
equals "$(json_get "$REC" 'j["files"]["changed_while_read"]')" "['growing.log']" "flagged in the record"
equals "$(json_get "$REC" 'j["files"]["changed_while_read_count"]')" "1" "count"
contains "$(json_get "$REC" 'j["warnings"]')" "changed while read" "warning"
zstdcat "$(artifact_of site "$ID" index.zst)" > "$TMP/index"
line=$(grep 'growing.log$' "$TMP/index")
equals "$(cut -f 11 <<<"$line")" "changed" "index flag"
equals "$(grep -c 'still.txt$' "$TMP/index")" "1" "the other file is there"
# Four reads, one entry: only the kept read goes into the tar (the others
# were spooled, in an unlinked file of $TMPDIR, and dropped).
TAR=$(artifact_of site "$ID" tar.zst)
equals "$(tar --zstd -tvf "$TAR" | grep -c ' growing.log$')" "1" "tar entries of the growing file"
raw=$(zstd -dc "$TAR" | wc -c)
indexed=$(cut -f 5 <<<"$line")
[ "$raw" -lt $((indexed + indexed / 10 + 100000)) ] ||
	fail "the tar holds $raw bytes for a file of $indexed bytes"
CHECKS=$((CHECKS + 1))
equals "$(find "$SPOOL" -mindepth 1 | wc -l)" "0" "nothing left in the spool directory"

expect_rc 0 lb restore site "$ID" --to "$TMP/r"
size=$(stat -c %s "$TMP/r/growing.log")
equals "$size" "$(cut -f 5 <<<"$line")" "restored size is the indexed size"
[ "$size" -gt 8000000 ] || fail "the restored file is only $size bytes"
cmp -n "$size" "$TMP/r/growing.log" "$T/growing.log" || fail "the stored content is not a prefix of the file"
equals "$(sha256sum < "$TMP/r/growing.log" | cut -d ' ' -f 1)" "$(cut -f 9 <<<"$line")" "indexed hash"
CHECKS=$((CHECKS + 2))

# Ctrl-C in the middle of a big file stops the run there and leaves nothing.
echo "more" >> "$T/growing.log"
"$LIFEBOAT" -c "$CFG" run site --here > "$TMP/cancel.out" 2> "$TMP/cancel.err" &
RUN=$!
sleep 0.5
kill -INT "$RUN"
set +e
wait "$RUN"
rc=$?
set -e
equals "$rc" "1" "exit status of a cancelled run"
contains "$(cat "$TMP/cancel.err")" "cancelled" "cancel message"
equals "$(find "$STORE/site" -name '*.json' | wc -l)" "1" "records after a cancelled run"
equals "$(find "$STORE/site" -name '.*' | wc -l)" "0" "temporary files after a cancelled run"

done_ok

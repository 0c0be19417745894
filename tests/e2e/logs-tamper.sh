# Logs jobs, tamper detection: each way of altering an archived log raises
# exactly one alert of the right kind, with the offset of the first altered
# byte where there is one; the archived copy stays as it was; legitimate
# rotation raises none; `lifeboat ack` clears alerts by job or by id, and a
# new tamper raises a new alert.
# Drives: lib/logs/logship.c, lib/logs/logship_chain.c, lib/run/alerts.c.
set -e
# shellcheck source=tests/e2e/logs-lib.sh
. "$(dirname "$0")/logs-lib.sh"

# fresh NAME [key = value]...: a job over its own directory $LOGS with an
# access.log of 300 lines, archived once; its bytes kept in $TMP/NAME.orig.
fresh() {
	LOGS=$TMP/$1 && mkdir -p "$LOGS"
	logs_config "$@"
	addlines "$LOGS/access.log" 300 "$1"
	cp "$LOGS/access.log" "$TMP/$1.orig"
	run_ok
	FIRST=$ID
	equals "$(alert_count)" "0" "$1: alerts after the first run"
}

# alert_is KIND OFFSET: the job has exactly one open alert, this one.
alert_is() {
	equals "$(open_alerts)" "$1:$2:$LOGS/access.log" "$JOB: open alerts"
}

# archived_intact: the first backup still restores the original bytes.
archived_intact() {
	rm -rf "$TMP/intact"
	restore_to "$FIRST" "$TMP/intact"
	same_bytes "$TMP/intact$LOGS/access.log" "$TMP/$JOB.orig" "$JOB: the archived copy"
}

# ----------------------------------------- a byte changed in place (idle log)
# Same size, same inode: the log changed without growing, so the whole
# archived prefix is re-hashed at once, whatever verify_every says.
fresh bytechange
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(12345); f.write(b"#"); f.close()' "$LOGS/access.log"
run_ok
contains "$ERR" "ALERT bytechange-1"
alert_is rewritten 12345
archived_intact
# Reported once: the next run has nothing new to say.
run_ok
alert_is rewritten 12345

# ---------------------- a byte changed while the log grows (verify_every = 0)
fresh busychange "verify_every = 0"
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(777); f.write(b"#"); f.close()' "$LOGS/access.log"
addlines "$LOGS/access.log" 10 more
run_ok
alert_is rewritten 777
archived_intact

# ------------------------------------------ lines deleted from the middle
# sed -i writes a new file under the same name.
fresh middle
sed -i '/^middle 15[0-9] /d' "$LOGS/access.log"
# The first byte that differs: in line 150, where line 160 now starts.
off=$(python3 -c '
import sys
a, b = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
print(next(i for i in range(len(a)) if a[i] != b[i]))' "$TMP/middle.orig" "$LOGS/access.log")
[ "$off" -gt 4096 ] || fail "the deleted lines should lie past the first 4 KiB (at $off)"
run_ok
alert_is rewritten "$off"
archived_intact

# ------------------------------------------------------- truncated to half
fresh half
size=$(stat -c %s "$LOGS/access.log")
truncate -s $((size / 2)) "$LOGS/access.log"
run_ok
alert_is truncated $((size / 2))
archived_intact
# A run that found it but never committed (its backup gone, as after a crash
# before the record): the next run finds it again, and does not raise it twice.
rm "$STORE/$JOB/$ID".*
run_ok
alert_is truncated $((size / 2))
contains "$ERR" "still open as half-1"

# ------------------------------------------------------------------ deleted
fresh deleted
rm "$LOGS/access.log"
run_ok
alert_is deleted -1
archived_intact
run_ok
alert_is deleted -1

# ----------------------------------- replaced by a different file, same name
fresh replaced
addlines "$TMP/other" 100 intruder
mv "$TMP/other" "$LOGS/access.log"
run_ok
alert_is replaced 0
archived_intact
# The file as it now is, is archived too (evidence), as a new generation.
rm -rf "$TMP/both"
restore_to "$ID" "$TMP/both"
cat "$TMP/replaced.orig" "$LOGS/access.log" > "$TMP/replaced.both"
same_bytes "$TMP/both$LOGS/access.log" "$TMP/replaced.both" "replaced: original then replacement"

# ------------------------------------------- legitimate rotation: no alert
fresh legit "verify_every = 0"
mv "$LOGS/access.log" "$LOGS/access.log.1"
addlines "$LOGS/access.log" 5 after
run_ok
gzip "$LOGS/access.log.1"
run_ok
equals "$(alert_count)" "0" "alerts after a rotation"

# ---------------------------------------------- ack, and a new tamper after
JOB=deleted
LOGS=$TMP/deleted
logs_config deleted
expect_rc 0 lb ack deleted
contains "$OUT" "acknowledged deleted-1: deleted $LOGS/access.log"
contains "$OUT" "1 alert(s) acknowledged"
equals "$(alert_count)" "0" "open alerts after ack"
expect_rc 1 lb ack deleted
contains "$ERR" "no open alert matches 'deleted'"
# The job goes on; a new log is archived, then tampered with: a new alert.
addlines "$LOGS/access.log" 50 again
run_ok
equals "$(alert_count)" "0" "alerts after a new log appears"
truncate -s 100 "$LOGS/access.log"
run_ok
equals "$(open_alerts)" "truncated:100:$LOGS/access.log" "the new alert"
test -f "$STATE/alerts/open/deleted-2.json" || fail "the new alert is deleted-2"
CHECKS=$((CHECKS + 1))
# Acknowledged by id; the other jobs' alerts stay open.
expect_rc 0 lb ack deleted-2
contains "$OUT" "acknowledged deleted-2: truncated $LOGS/access.log at offset 100"
equals "$(alert_count)" "0" "open alerts after ack by id"
JOB=half
equals "$(alert_count)" "1" "another job's alert is untouched"
expect_rc 2 lb ack
done_ok

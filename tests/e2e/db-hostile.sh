# A database built as an attacker with SQL injection would build it: names,
# comments and bodies holding backticks, quotes, newlines, "*/", "--" before
# a control character, "#", ";", DELIMITER, "\!", "\g", "\u", under
# ANSI_QUOTES and NO_BACKSLASH_ESCAPES too (created with rawsql, which sends
# the bytes as PHP's mysqli does).  Its dump must:
#   - restore with `lifeboat restore --database NEW` with every name, body,
#     comment and row identical (information_schema, db name substituted),
#     the unrelated database `victim` untouched (issue 13, hole 2), a view's
#     string holding `db`.x unchanged (bug 4), table `a*/b` restored (bug 3);
#   - restore with the plain client (zstd -dc | mariadb) with no client
#     command run (no marker file), no other database touched, and the
#     database identical to before (hole 1);
# and a dump of the old format (no sandbox and format lines) is refused.
# Drives: lib/db/dbdump.c, lib/db/dbrestore.c, lib/db/sqlsplit.c, lib/db/sqltext.c, lib/db/dbcanary.c (through lifeboat run --here and restore --database).
set -e
# shellcheck source=tests/e2e/db-lib.sh
. "$(dirname "$0")/db-lib.sh"

: "${RAWSQL:?}"
db="h\`o'st\"*/;#_$$"
copy=hostile_copy_$$
victim=victim_$$
MARK=$TMP/pwned
drop_db_later "$db"
drop_db_later "$copy"
drop_db_later "$victim"
db_q -e "CREATE DATABASE \`$victim\`; CREATE TABLE \`$victim\`.keep (i INT); INSERT INTO \`$victim\`.keep VALUES (42)"
db_q -e "GRANT ALL ON *.* TO '$LBUSER'@'localhost'" 2>/dev/null || true

# raw STATEMENT...: each argument is one statement, sent as is into $db.
raw() {
	printf '%s\0' "$@" | "$RAWSQL" "$SOCK" "$ADMIN" "$db" || fail "rawsql: $*"
}
C1=$'\x01'
NL=$'\n'
printf 'CREATE DATABASE `%s`\0' "${db//\`/\`\`}" | "$RAWSQL" "$SOCK" "$ADMIN" || fail "create $db"
qdb="\`${db//\`/\`\`}\`"
raw "CREATE TABLE \`a*/b\` (id INT PRIMARY KEY, \`c\`\`ol${NL}--${C1} \\! touch $MARK\` VARCHAR(80) COMMENT 'it''s */ --${C1} \\\\! ;', v TEXT) COMMENT 'tbl */ # ;\\nDELIMITER ;;'" \
	"INSERT INTO \`a*/b\` VALUES (1, 'x;;\\n\\\\! touch $MARK', 'DELIMITER ;\\n--${C1} \\\\! touch $MARK'), (2, '\\\\g DROP DATABASE $victim', NULL)" \
	"CREATE TABLE \`t${NL}DELIMITER ;${NL}\\! touch $MARK\` (id INT PRIMARY KEY, \`s;${NL};;\` VARCHAR(20))" \
	"INSERT INTO \`t${NL}DELIMITER ;${NL}\\! touch $MARK\` VALUES (1, ';;'), (2, '${NL}')" \
	"CREATE VIEW \`v*/;${NL}#\` AS SELECT 'x ${qdb//\'/\'\'}.y ${db//\'/\'\'}.z' AS s, \`a*/b\`.id AS id FROM \`a*/b\`" \
	"SET sql_mode = 'ANSI_QUOTES'" \
	"CREATE PROCEDURE p_ansi() SELECT 1 AS \"a\\\" # \" ;; DROP DATABASE $victim ;;" \
	"SET sql_mode = ''" \
	"CREATE PROCEDURE p_inj() BEGIN SELECT 1; END --${C1} ;; DROP DATABASE $victim ;;" \
	"CREATE PROCEDURE cc1() BEGIN --${C1} \\! touch $MARK${NL} SELECT 1; END" \
	"CREATE PROCEDURE cc2() SELECT 1 --${C1} \\g DROP DATABASE $victim \\g${NL} + 1" \
	"CREATE PROCEDURE cc3() BEGIN --${C1} \\u $victim${NL} SELECT 1; END" \
	"SET sql_mode = 'NO_BACKSLASH_ESCAPES'" \
	"CREATE PROCEDURE \`p${NL}DELIMITER ;\`() COMMENT 'c */ --${C1} #' SELECT 'a\\' AS \`x\` --${C1} \\! touch $MARK" \
	"CREATE TRIGGER \`tr;#\` BEFORE INSERT ON \`a*/b\` FOR EACH ROW SET NEW.v = CONCAT(NEW.v, '\\', '--${C1} */')" \
	"CREATE FUNCTION \`f\"*/\`() RETURNS INT DETERMINISTIC RETURN 1 #${C1} \\! touch $MARK" \
	"SET sql_mode = ''" \
	"CREATE EVENT \`ev${NL}--${C1}\` ON SCHEDULE EVERY 1 DAY DISABLE COMMENT 'e */ \\\\! ;;' DO SELECT 'DELIMITER ;;' --${C1} \\! touch $MARK"

# snap DB FILE: every name, definition, comment, sql_mode and row of DB, hex,
# with DB's quoted name in view definitions replaced by `@DB@`.
snap() {
	local s h
	h=$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n')
	s="CONVERT(0x$h USING utf8mb4)"
	local q="CONCAT('\`', REPLACE($s, '\`', '\`\`'), '\`')"
	db_q -e "
	SELECT 'table', HEX(TABLE_NAME), HEX(TABLE_COMMENT), TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = $s
	UNION ALL SELECT 'column', HEX(TABLE_NAME), HEX(COLUMN_NAME), HEX(CONCAT(COLUMN_TYPE, '|', COLUMN_COMMENT)) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = $s
	UNION ALL SELECT 'view', HEX(TABLE_NAME), HEX(REPLACE(VIEW_DEFINITION, $q, '\`@DB@\`')), '' FROM information_schema.VIEWS WHERE TABLE_SCHEMA = $s
	UNION ALL SELECT 'trigger', HEX(TRIGGER_NAME), HEX(ACTION_STATEMENT), SQL_MODE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = $s
	UNION ALL SELECT 'routine', HEX(ROUTINE_NAME), HEX(ROUTINE_DEFINITION), HEX(CONCAT(SQL_MODE, '|', ROUTINE_COMMENT)) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = $s
	UNION ALL SELECT 'event', HEX(EVENT_NAME), HEX(EVENT_DEFINITION), HEX(CONCAT(SQL_MODE, '|', EVENT_COMMENT)) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = $s
	UNION ALL SELECT 'rows1', id, HEX(\`c\`\`ol${NL}--${C1} \\! touch $MARK\`), HEX(v) FROM $(printf '`%s`' "${1//\`/\`\`}").\`a*/b\`
	UNION ALL SELECT 'rows2', id, HEX(\`s;${NL};;\`), '' FROM $(printf '`%s`' "${1//\`/\`\`}").\`t${NL}DELIMITER ;${NL}\\! touch $MARK\`
	" | LC_ALL=C sort > "$2" || fail "cannot snapshot $1"
	[ "$(grep -c . "$2")" -gt 20 ] || fail "snapshot of $1 too small: $(cat "$2")"
}
snap "$db" "$TMP/orig.snap"
grep -q "^routine	$(printf p_inj | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" "$TMP/orig.snap" || fail "fixture: no p_inj"

make_config hostile "$db"
expect_rc 0 lb run hostile --here
ID=$(id_of "$OUT")
FILE=$(artifact_of hostile "$ID")
equals "$(zstd -dc "$FILE" | head -n 1)" '/*M!999999\- enable the sandbox mode */' "first line of the dump"
# The adaptive throttle's canary looked up rows of one of these tables by
# their hostile names (quoted as identifiers; the \! in them is no client
# command through the C API): every lookup answered, none failed.
equals "$(json_get "$(record_of hostile "$ID")" 'j["throttle"]["controller"]["canary"]["failed"]')" "0" \
	"canary lookups that failed on the hostile tables"
[ "$(json_get "$(record_of hostile "$ID")" 'j["throttle"]["controller"]["canary"]["queries"]')" -ge 10 ] ||
	fail "the canary did not look up rows of the hostile tables: $(json_get "$(record_of hostile "$ID")" 'j["throttle"]')"
CHECKS=$((CHECKS + 1))

# Hole 2, bugs 3 and 4: restore into a new database.
expect_rc 0 lb restore hostile "$ID" --database "$copy"
db_exists "$victim" || fail "restore --database dropped the unrelated database $victim"
equals "$(db_q -e "SELECT i FROM \`$victim\`.keep")" "42" "$victim.keep after restore --database"
snap "$copy" "$TMP/copy.snap"
same_snapshot "$TMP/orig.snap" "$TMP/copy.snap" "restore --database of the hostile database"
[ ! -e "$MARK" ] || fail "a client command ran during restore --database"
# The routines byte for byte, as SHOW CREATE PROCEDURE gives them.
for p in p_inj p_ansi cc2; do
	a=$(db_q -e "SHOW CREATE PROCEDURE $qdb.$p" | cut -f 2,3 | od -An -tx1)
	b=$(db_q -e "SHOW CREATE PROCEDURE \`$copy\`.$p" | cut -f 2,3 | od -An -tx1)
	equals "$b" "$a" "SHOW CREATE PROCEDURE $p (sql_mode and text, hex) after restore --database"
done
contains "$(db_q -e "SELECT s FROM \`$copy\`.\`v*/;${NL}#\`")" "x $qdb.y" "the view's string after the rename"

# Hole 1: the plain client, over the original database.
zstd -dc "$FILE" | db_restore > "$TMP/plain.out" 2>&1 || fail "plain-client restore failed: $(head -c 600 "$TMP/plain.out")"
[ ! -e "$MARK" ] || fail "the plain client ran a client command from the dump"
db_exists "$victim" || fail "the plain-client restore dropped $victim"
equals "$(db_q -e "SELECT i FROM \`$victim\`.keep")" "42" "$victim.keep after the plain-client restore"
equals "$(db_q -e "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '$victim'")" "0" "routines created in $victim"
snap "$db" "$TMP/plain.snap"
same_snapshot "$TMP/orig.snap" "$TMP/plain.snap" "plain-client restore of the hostile database"

# A dump of the old format (no sandbox and format lines) is refused.
rec=$(record_of hostile "$ID")
zstd -dc "$FILE" | tail -n +3 | zstd -q -o "$TMP/old.zst"
cp "$TMP/old.zst" "$FILE"
python3 - "$rec" "$(sha256sum "$FILE" | cut -d' ' -f1)" "$(stat -c %s "$FILE")" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); j["artifacts"][0]["sha256"] = sys.argv[2]
j["artifacts"][0]["size"] = int(sys.argv[3])  # the reader checks the size too
json.dump(j, open(sys.argv[1], "w"))
PY
expect_rc 1 lb restore hostile "$ID" --database "${copy}_old"
contains "$ERR" "older Lifeboat" "refusal of an old-format dump"
contains "$ERR" "$ID" "refusal names the backup"
db_exists "${copy}_old" && fail "an old-format dump was partly restored"
CHECKS=$((CHECKS + 1))

done_ok

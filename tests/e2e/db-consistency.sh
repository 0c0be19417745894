# A db job dumps one consistent snapshot while a writer keeps moving money
# between accounts in transactions: in every dump the total is the invariant
# 200000 over 200 accounts, and every balance agrees with the transfers table
# (dumped later, in other chunks) — five dumps in a row, each taken while the
# writer was committing.
# Drives: lib/db/jobkind_db.c, lib/db/dbdump.c.
set -e
# shellcheck source=tests/e2e/db-lib.sh
. "$(dirname "$0")/db-lib.sh"

db=cons_$$
drop_db_later "$db"
db_q <<SQL
SET SESSION max_recursive_iterations = 1000000;
CREATE DATABASE \`$db\`;
USE \`$db\`;
CREATE TABLE accounts (
  id INT NOT NULL PRIMARY KEY,
  balance INT NOT NULL
) ENGINE=InnoDB;
INSERT INTO accounts
  WITH RECURSIVE s AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM s WHERE n < 200)
  SELECT n, 1000 FROM s;
-- Locked during each dump, so that a dump taking its tables in name order
-- waits between accounts and transfers while the writer goes on.
CREATE TABLE b_gate (id INT PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO b_gate VALUES (1);
-- Every move is also written here, so a dump that is not one snapshot shows
-- balances that disagree with the transfers.  20000 old zero transfers make
-- it span hundreds of chunks.
CREATE TABLE transfers (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  src INT NOT NULL,
  dst INT NOT NULL,
  amount INT NOT NULL
) ENGINE=InnoDB;
INSERT INTO transfers (src, dst, amount)
  WITH RECURSIVE s AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM s WHERE n < 20000)
  SELECT n % 200 + 1, n * 7 % 200 + 1, 0 FROM s;
SQL

# check_invariant DB WHAT: prints the number of transfers in DB.
check_invariant() {
	local r
	r=$(db_q "$1" -e "SELECT COALESCE(SUM(balance), -1), COUNT(*) FROM accounts;
		SELECT COUNT(*) FROM accounts a LEFT JOIN (
			SELECT id, SUM(delta) AS d FROM (
				SELECT dst AS id, amount AS delta FROM transfers
				UNION ALL SELECT src, -amount FROM transfers) AS x
			GROUP BY id) AS t ON t.id = a.id
		WHERE a.balance <> 1000 + COALESCE(t.d, 0);
		SELECT COUNT(*) FROM transfers;" | tr '\n' ' ') || fail "cannot query $1"
	# shellcheck disable=SC2086
	set -- $r "$2"
	equals "$1" "200000" "total balance in $5"
	equals "$2" "200" "accounts in $5"
	equals "$3" "0" "accounts whose balance disagrees with the transfers in $5"
	N_TRANSFERS=$4
}

# The writer: batches of 50 transfers, one client per batch, each transfer
# its own transaction.  Stops when told, and after 60 s whatever happens.
writer() {
	local end=$((SECONDS + 60)) i a b n sql
	while [ ! -e "$TMP/stop" ] && [ "$SECONDS" -lt "$end" ]; do
		sql=""
		for i in $(seq 50); do
			a=$((RANDOM % 200 + 1))
			b=$((RANDOM % 200 + 1))
			n=$((RANDOM % 100 + 1))
			sql+="START TRANSACTION;
UPDATE accounts SET balance = balance - $n WHERE id = $a;
UPDATE accounts SET balance = balance + $n WHERE id = $b;
INSERT INTO transfers (src, dst, amount) VALUES ($a, $b, $n);
COMMIT;
"
		done
		printf '%s' "$sql" | db_q "$db" || sleep 0.1
	done
}

count_transfers() { db_q "$db" -e "SELECT COUNT(*) FROM transfers"; }

make_config cons "$db"
writer &
wpid=$!
kill_later "$wpid"

# Wait for the writer to get going.
for _ in $(seq 100); do
	[ "$(count_transfers)" -gt 20000 ] && break
	sleep 0.1
done
[ "$(count_transfers)" -gt 20000 ] || fail "the writer made no transfer"

first=$(count_transfers)
prev=0
for i in 1 2 3 4 5; do
	before=$(count_transfers)
	gate_table "$db" b_gate 1
	expect_run_ok cons
	release_gate
	after=$(count_transfers)
	rec=$(record_of cons "$ID")
	target=cons_r${i}_$$
	drop_db_later "$target"
	if [ $((i % 2)) = 1 ]; then
		# The plain client, renaming the database on the way.
		zstd -dc "$(artifact_of cons "$ID")" |
			sed -E "s/(^|[^A-Za-z0-9_\$])$db([^A-Za-z0-9_\$]|\$)/\\1$target\\2/g" |
			db_restore || fail "plain restore of dump $i ($ID)"
	else
		expect_rc 0 lb restore cons "$ID" --database "$target"
	fi
	check_invariant "$target" "dump $i ($ID)"
	dumped=$N_TRANSFERS
	# The dump is of a moment during the run, later than the previous dump.
	if [ "$dumped" -lt "$before" ] || [ "$dumped" -gt "$after" ]; then
		fail "dump $i holds $dumped transfers; the run started at $before and ended at $after"
	fi
	[ "$after" -gt "$before" ] || fail "the writer made no transfer during dump $i"
	[ "$dumped" -gt "$prev" ] || fail "dump $i holds $dumped transfers, no more than dump $((i - 1)) ($prev)"
	CHECKS=$((CHECKS + 3))
	prev=$dumped
	equals "$(json_get "$rec" '[t["rows"] for t in j["db"]["tables"] if t["table"] == "accounts"]')" \
		"[200]" "rows of accounts in the record of dump $i"
	equals "$(json_get "$rec" '[t["rows"] for t in j["db"]["tables"] if t["table"] == "transfers"]')" \
		"[$dumped]" "rows of transfers in the record of dump $i"
	db_q -e "DROP DATABASE \`$target\`"
done
last=$(count_transfers)
[ "$last" -gt "$first" ] || fail "the writer made no progress during the dumps"
CHECKS=$((CHECKS + 1))
echo "writer committed $((last - first)) transfers during the five dumps"

touch "$TMP/stop"
wait "$wpid" || true
# The live database holds the invariant too (the writer itself is sound).
check_invariant "$db" "the live database"

done_ok

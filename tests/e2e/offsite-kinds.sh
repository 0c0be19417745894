# Offsite copies of every kind: a db dump, a files snapshot and its
# incremental child, and a logs archive go offsite with `offsite sync`
# (signed requests to s3rver, which checks signatures), encrypted: no object
# holds a known plaintext line or any 64-byte run of the local files.  list
# and verify (--download: decrypted and re-hashed) see them.  Then the local
# store is deleted and each restores exactly from offsite alone (restore
# --from): the database identical to the original, the tree and the logs
# byte for byte; nothing is left of the private restore store.
# Drives: lib/offsite/offsite_sync.c, lib/offsite/offsite_upload.c, lib/offsite/offsite_fetch.c, lib/offsite/offsite_download.c, lib/offsite/offsite_list.c, lib/offsite/offsite_verify.c, lib/offsite/s3.c, lib/offsite/secstream.c, lib/offsite/offsite_conn.c, daemon/cmd_offsite.c.
set -e
# shellcheck source=tests/e2e/db-lib.sh
. "$(dirname "$0")/db-lib.sh"
# shellcheck source=tests/e2e/offsite-lib.sh
. "$(dirname "$0")/offsite-lib.sh"

db=off_$$
db2=off2_$$
drop_db_later "$db2"
drop_db_later "$db"
# a small shop: the dump's exactness is db-roundtrip's; here it must survive the trip offsite
db_q -e "CREATE DATABASE \`$db\`"
db_q "$db" -e "CREATE TABLE customers (id INT PRIMARY KEY AUTO_INCREMENT, email VARCHAR(200), pw VARBINARY(60), note BLOB);
	CREATE TABLE orders (id BIGINT PRIMARY KEY, customer INT, total DECIMAL(10,2), placed DATETIME(6), KEY (customer));
	CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;"
python3 - <<'PY' | db_q "$db"
import random
random.seed(7)
print("INSERT INTO customers (email, pw, note) VALUES " + ",".join(
    "('c%d@example.com', UNHEX('%s'), UNHEX('%s'))" % (i, "%064x" % random.getrandbits(256), "%0400x" % random.getrandbits(1600))
    for i in range(3000)) + ";")
print("INSERT INTO orders VALUES " + ",".join(
    "(%d, %d, %d.%02d, '2026-11-%02d 10:%02d:%02d.%06d')" % (i, i % 3000 + 1, random.randint(1, 500), i % 100, i % 28 + 1, i % 60, i % 60, i)
    for i in range(20000)) + ";")
PY

mark="KNOWN-PLAINTEXT-$$-a-line-that-must-never-be-seen-offsite"
mkdir -p "$TMP/www/sub" "$TMP/logs"
echo "<?php echo '$mark files'; ?>" > "$TMP/www/index.php"
head -c 3000000 /dev/urandom > "$TMP/www/sub/blob.bin"
echo "hidden $mark" > "$TMP/www/.htaccess"
for i in $(seq 1 2000); do echo "10.0.0.$((i % 250)) - - [04/Dec/2026] \"GET /p$i HTTP/1.1\" 200 $mark logs"; done > "$TMP/logs/access.log"
db_q "$db" -e "CREATE TABLE marker (t TEXT); INSERT INTO marker VALUES ('$mark db')"
snapshot_db "$db" "$TMP/snap.orig"

make_config offdb "$db"
cat >> "$CFG" <<EOC
[files:site]
schedule = @daily
path = $TMP/www
keep_last = 1000
[logs:web]
schedule = @daily
paths = $TMP/logs/access.log
keep_last = 1000
EOC
offsite_config "$CFG"
s3_start

expect_rc 0 lb offsite init s3
contains "$OUT" "Keep a copy away from this server"
equals "$(stat -c %a "$KEYFILE")" "600" "key file mode"
expect_rc 1 lb offsite init s3
contains "$ERR" "never replaced"

expect_rc 0 lb run offdb --here
expect_rc 0 lb run site --here
site1=$(id_of "$OUT")
echo "changed $mark" > "$TMP/www/sub/new.txt"
expect_rc 0 lb run site --here
site2=$(id_of "$OUT")
[ "$site1" != "$site2" ] || fail "the second files run has the first's id"
expect_rc 0 lb run web --here

expect_rc 0 lb offsite sync s3
contains "$OUT" "4 backups copied"
contains "$OUT" "0 not copied"
# nothing new: nothing sent
expect_rc 0 lb offsite sync s3
contains "$OUT" "0 backups copied (0 objects"

expect_rc 0 lb list --offsite s3
contains "$OUT" "offdb"
contains "$OUT" "$site2"
equals "$(printf '%s\n' "$OUT" | grep -c complete)" "4" "complete backups listed"
expect_rc 0 lb list --offsite s3 --json
equals "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(sum(1 for b in json.load(sys.stdin) if b["complete"]))')" "4" "complete in --json"

# Encrypted: no known line, and no 64-byte run of any local file, in any object.
CHECKS=$((CHECKS + 1))
python3 - "$STORE" "$S3_DIR/$S3_BUCKET" "$mark" <<'PY' || fail "an object holds plaintext"
import os, sys
store, bucket, mark = sys.argv[1], sys.argv[2], sys.argv[3].encode()
objs = []
for d, _, fs in os.walk(bucket):
    for f in fs:
        if f.endswith("._S3rver_object"):
            objs.append(open(os.path.join(d, f), "rb").read())
assert len(objs) >= 13, "expected at least 13 objects, found %d" % len(objs)
for o in objs:
    if mark in o:
        sys.exit("the known line is in an object")
for d, _, fs in os.walk(store):
    for f in fs:
        data = open(os.path.join(d, f), "rb").read()
        for at in (0, len(data) // 2, max(0, len(data) - 64)):
            piece = data[at:at + 64]
            if len(piece) >= 16 and any(piece in o for o in objs):
                sys.exit("bytes of %s at %d are in an object" % (f, at))
PY

expect_rc 0 lb verify --offsite s3
contains "$OUT" "4 offsite backups checked, 0 bad"
expect_rc 0 lb verify --offsite s3 site "$site2" --download
contains "$OUT" "decrypted and re-hashed"
contains "$OUT" "1 offsite backup checked, 0 bad"

# The disaster: no local store and no state dir; only the config, the
# credentials and the key file.
rm -rf "$STORE" "$STATE"
expect_rc 0 lb restore offdb latest --from s3 --database "$db2"
snapshot_db "$db2" "$TMP/snap.restored"
CHECKS=$((CHECKS + 1))
cmp -s "$TMP/snap.orig" "$TMP/snap.restored" || { diff "$TMP/snap.orig" "$TMP/snap.restored" | head -20 >&2; fail "the database restored from offsite differs"; }
equals "$(db_q "$db2" -e 'SELECT t FROM marker')" "$mark db" "marker row"

expect_rc 0 lb restore site "$site2" --from s3 --to "$TMP/site-restored"
contains "$ERR" "fetched site $site2 from offsite s3"
CHECKS=$((CHECKS + 1))
diff -r "$TMP/www" "$TMP/site-restored" >&2 || fail "the tree restored from offsite differs"
expect_rc 0 lb restore web latest --from s3 --to "$TMP/web-restored"
CHECKS=$((CHECKS + 1))
restored_log=$(find "$TMP/web-restored" -type f -name 'access.log*' | head -n 1)
[ -n "$restored_log" ] || { find "$TMP/web-restored" >&2; fail "no access.log restored"; }
cmp "$TMP/logs/access.log" "$restored_log" || fail "the log restored from offsite differs"

left=$(find "$STORE" -mindepth 1 2>/dev/null | head -n 5)
equals "$left" "" "what the restores left in the store"
done_ok

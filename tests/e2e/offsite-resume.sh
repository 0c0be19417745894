# A 200 MB artifact's multipart upload resumes after a crash: the upload
# (throttled by upload_limit) and s3rver are both killed with SIGKILL in the
# middle; s3rver restarts on the same data, and the next sync goes on with
# the same upload id from the parts already sent (the client encrypts them
# again without sending them): of all parts s3rver stored, at most one was
# sent twice.  The object then verifies (--download) and restores exactly.
# Drives: lib/offsite/offsite_upload.c, lib/offsite/secstream.c, lib/offsite/s3.c, lib/offsite/offsite_sync.c.
set -e
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/offsite-lib.sh
. "$(dirname "$0")/offsite-lib.sh"

STORE=$TMP/store
mkdir -p "$TMP/www"
head -c 200000000 /dev/urandom > "$TMP/www/big.bin"
CFG=$TMP/l.ini
cat > "$CFG" <<EOC
[lifeboat]
store = $STORE
state_dir = $TMP/state
max_load = 0
io_limit = 0
[files:site]
schedule = @daily
path = $TMP/www
EOC
offsite_config "$CFG" "upload_limit = 25M" "single_put_max = 0"
lb() { "$LIFEBOAT" -c "$CFG" "$@"; }
s3_start
expect_rc 0 lb offsite init s3
expect_rc 0 lb run site --here

# The first sync, killed (with s3rver) once 5 parts are stored.
"$LIFEBOAT" -c "$CFG" offsite sync s3 > "$TMP/sync1.out" 2>&1 &
sync_pid=$!
for i in $(seq 1 600); do
	[ "$(s3_parts_stored)" -ge 5 ] && break
	kill -0 "$sync_pid" 2>/dev/null || { cat "$TMP/sync1.out" >&2; fail "the sync ended before 5 parts"; }
	sleep 0.05
done
kill -9 "$sync_pid"
wait "$sync_pid" 2>/dev/null || true
s3_kill
before=$(s3_parts_stored)
[ "$before" -ge 5 ] && [ "$before" -lt 20 ] || fail "killed after $before parts, expected 5..19"
CHECKS=$((CHECKS + 1))
ls "$TMP/state/offsite/s3/uploads/"*.json >/dev/null 2>&1 || fail "no upload state kept"
s3_start
expect_rc 0 lb list --offsite s3
contains "$OUT" "no backups offsite" "the listing while the upload is cut"

expect_rc 0 lb offsite sync s3
contains "$OUT" "1 backup copied"
resumed=$(printf '%s\n' "$OUT" | sed -n 's/.*sent, \([0-9]*\) parts resumed.*/\1/p')
[ "${resumed:-0}" -ge $((before - 1)) ] || fail "only ${resumed:-0} parts resumed after $before were stored"
CHECKS=$((CHECKS + 1))

# Every part stored once, but for at most one; all of one upload.
CHECKS=$((CHECKS + 1))
python3 - "$S3_LOG" <<'PY' || fail "parts sent twice"
import re, sys
seen = {}
ids = set()
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"Stored part (\d+) of (\S+)", line)
    if m:
        seen[m.group(1)] = seen.get(m.group(1), 0) + 1
        ids.add(m.group(2))
twice = sum(n - 1 for n in seen.values())
print("parts: %d distinct, %d sent twice, upload ids: %d" % (len(seen), twice, len(ids)))
if twice > 1 or len(ids) != 1:
    sys.exit(1)
PY
equals "$(ls "$TMP/state/offsite/s3/uploads/" | wc -l)" "0" "upload states left"

expect_rc 0 lb verify --offsite s3 --download
contains "$OUT" "1 offsite backup checked, 0 bad"
rm -rf "$STORE"
expect_rc 0 lb restore site latest --from s3 --to "$TMP/restored"
CHECKS=$((CHECKS + 1))
cmp "$TMP/www/big.bin" "$TMP/restored/big.bin" || fail "the restored 200 MB file differs"
done_ok

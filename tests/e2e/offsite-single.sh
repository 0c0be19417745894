#!/bin/bash
# An artifact larger than one part but under single_put_max goes as one
# streamed PUT (no multipart parts on the server), whose object has the
# encrypted size computed from the plaintext's, verifies (--download) and
# restores exactly.  A sync killed during that PUT leaves no upload state,
# and the next sync sends the object whole.  The same artifact with
# single_put_max below its size goes multipart.
# Drives: lib/offsite/offsite_single.c, lib/offsite/offsite_upload.c, lib/offsite/s3.c.
set -e
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/offsite-lib.sh
. "$(dirname "$0")/offsite-lib.sh"

STORE=$TMP/store
mkdir -p "$TMP/www"
head -c 30000000 /dev/urandom > "$TMP/www/big.bin"
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
cp "$CFG" "$TMP/base.ini"
offsite_config "$CFG" "upload_limit = 4M"
lb() { "$LIFEBOAT" -c "$CFG" "$@"; }
s3_start
expect_rc 0 lb offsite init s3
expect_rc 0 lb run site --here
ART=$(find "$STORE" -name '*.tar.zst' | head -n 1)
[ -n "$ART" ] || fail "no artifact"
SIZE=$(stat -c %s "$ART")

# Killed in the middle of the streamed PUT (30 MB at 4 MB/s).
# (its own process group: the upload child dies with it)
setsid "$LIFEBOAT" -c "$CFG" offsite sync s3 > "$TMP/sync1.out" 2>&1 &
sync_pid=$!
sleep 2
kill -0 "$sync_pid" 2>/dev/null || { cat "$TMP/sync1.out" >&2; fail "the sync ended within 2 s at 4 MB/s"; }
kill -9 -- "-$sync_pid"
wait "$sync_pid" 2>/dev/null || true
equals "$(ls "$TMP/state/offsite/s3/uploads/" 2>/dev/null | wc -l)" "0" "upload states after a killed streamed PUT"
expect_rc 0 lb list --offsite s3
contains "$OUT" "incomplete" "the listing after a cut PUT (s3rver keeps what it got; S3 would keep nothing)"

cp "$TMP/base.ini" "$CFG"
offsite_config "$CFG"
expect_rc 0 lb offsite sync s3
contains "$OUT" "1 backup copied"
equals "$(s3_parts_stored)" "0" "multipart parts stored for a 30 MB artifact under single_put_max"
OBJ=$(object_of site "$(basename "$(dirname "$(dirname "$ART")")")/$(basename "$(dirname "$ART")")/$(basename "$ART" .tar.zst)" tar.zst)
[ -f "$OBJ" ] || OBJ=$(find "$S3_DIR" -name '*.tar.zst._S3rver_object' | head -n 1)
[ -f "$OBJ" ] || fail "no object for the artifact"
# secstream: 44-byte header, 17 bytes per 64 KiB chunk and one more
equals "$(stat -c %s "$OBJ")" "$((44 + (SIZE / 65536 + 1) * 17 + SIZE))" "the object's size"
if cmp -s -n 4096 "$ART" "$OBJ"; then fail "the object is not encrypted"; fi
expect_rc 0 lb verify --offsite s3 --download
contains "$OUT" "1 offsite backup checked, 0 bad"
mv "$STORE" "$TMP/store.kept"
expect_rc 0 lb restore site latest --from s3 --to "$TMP/restored"
CHECKS=$((CHECKS + 1))
cmp "$TMP/www/big.bin" "$TMP/restored/big.bin" || fail "the restored file differs"
rm -rf "$STORE"
mv "$TMP/store.kept" "$STORE"

# The same artifact with single_put_max below its size: multipart.
s3_stop
rm -rf "$S3_DIR" "$TMP/state/offsite"
s3_start
cp "$TMP/base.ini" "$CFG"
offsite_config "$CFG" "single_put_max = 10M"
expect_rc 0 lb offsite sync s3
contains "$OUT" "1 backup copied"
n=$(s3_parts_stored)
[ "$n" -ge 3 ] || fail "$n multipart parts stored with single_put_max = 10M, expected 4"
CHECKS=$((CHECKS + 1))
expect_rc 0 lb verify --offsite s3 --download
contains "$OUT" "1 offsite backup checked, 0 bad"
done_ok

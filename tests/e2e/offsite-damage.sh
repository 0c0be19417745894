# What goes wrong offsite is said clearly and touches nothing local: a wrong
# key, a truncated object, a flipped byte, a reordered object (two objects'
# bytes swapped) and a missing object each make verify --download and
# restore --from fail with an error naming the object; the restore target
# is not created, the local store and state are unchanged.  A key or
# credentials file readable by others is refused, naming it.  And the
# secret never shows: not in the argv or environment of the upload, not in
# any log line, record, state file or object.
# Drives: lib/offsite/secstream.c, lib/offsite/offsite_download.c, lib/offsite/offsite_fetch.c, lib/offsite/offsite_verify.c, lib/offsite/credentials.c, lib/offsite/offsite_key.c.
set -e
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/offsite-lib.sh
. "$(dirname "$0")/offsite-lib.sh"

STORE=$TMP/store
mkdir -p "$TMP/www"
head -c 1500000 /dev/urandom > "$TMP/www/a.bin"
echo "index" > "$TMP/www/index.php"
# a secret that s3rver does not check, so that it can be looked for: the
# session token (sent, signed, never to be logged or stored)
TOKEN="TOKEN-$$-never-to-be-seen"
printf 'aws_session_token = %s\n' "$TOKEN" >> "$CRED"
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
offsite_config "$CFG"
lb() { "$LIFEBOAT" -c "$CFG" "$@"; }
s3_start
expect_rc 0 lb offsite init s3
expect_rc 0 lb run site --here
id=$(printf '%s\n' "$OUT" | grep -oE '[0-9]{4}/[0-9]{2}/backup-[0-9]{2}-[0-9]{2}' | head -n 1)

# The upload's argv and environment, seen while it runs (throttled to last a moment).
sed -i 's/^key_file.*/&\nupload_limit = 1M/' "$CFG"
"$LIFEBOAT" -c "$CFG" offsite sync s3 > "$TMP/sync.out" 2>&1 &
pid=$!
sleep 0.3
CHECKS=$((CHECKS + 1))
if kill -0 "$pid" 2>/dev/null; then
	tr '\0' '\n' < "/proc/$pid/cmdline" > "$TMP/cmdline"
	tr '\0' '\n' < "/proc/$pid/environ" > "$TMP/environ"
	! grep -qF -e "$S3_SECRET" -e "$TOKEN" "$TMP/cmdline" "$TMP/environ" || fail "a secret in the upload's argv or environment"
fi
wait "$pid" || { cat "$TMP/sync.out" >&2; fail "the sync failed"; }
sed -i '/^upload_limit = 1M/d' "$CFG"
contains "$(cat "$TMP/sync.out")" "1 backup copied"

snapshot() { (cd "$TMP" && find store state -type f -printf '%p %s %T@\n' | sort; sha256sum $(find store -type f | sort)) ; }
snapshot > "$TMP/local.before"
art=$(object_of site "$id" tar.zst)
idx=$(object_of site "$id" index.zst)
[ -f "$art" ] && [ -f "$idx" ] || fail "no objects at $art"
cp "$art" "$TMP/art.good"
cp "$idx" "$TMP/idx.good"

# expect_damage WHAT NEEDLE: verify --download and restore --from both fail naming the object
expect_damage() {
	local what=$1 needle=$2
	expect_rc 1 lb verify --offsite s3 site "$id" --download
	contains "$OUT" "$needle" "verify of $what"
	expect_rc 1 lb restore site "$id" --from s3 --to "$TMP/target"
	contains "$ERR" "$needle" "restore of $what"
	CHECKS=$((CHECKS + 1))
	[ ! -e "$TMP/target" ] || fail "$what: the restore target was created"
	snapshot > "$TMP/local.after"
	cmp -s "$TMP/local.before" "$TMP/local.after" || { diff "$TMP/local.before" "$TMP/local.after" >&2; fail "$what: local files changed"; }
}

name="s3://$S3_BUCKET/pre/fix/site/$id.tar.zst"
# a flipped byte
python3 - "$art" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x20
open(p, "wb").write(bytes(b))
PY
expect_damage "a flipped byte" "$name: chunk "
contains "$ERR" "does not decrypt: the object was altered, reordered or damaged"
# truncated at a chunk boundary past the header: the final mark is missing
cp "$TMP/art.good" "$art"
truncate -s $((44 + 3 * (65536 + 17))) "$art"
expect_damage "a truncated object" "$name: "
# (verify sees the size first; the restore sees the missing final chunk)
contains "$ERR" "truncated: it ends after 3 chunks"
# the objects' bytes swapped (an attacker renaming objects)
cp "$TMP/idx.good" "$art"
cp "$TMP/art.good" "$idx"
expect_damage "swapped objects" "s3://$S3_BUCKET/pre/fix/site/$id."
cp "$TMP/art.good" "$art"
cp "$TMP/idx.good" "$idx"
# a missing object
mv "$art" "$TMP/art.moved"
expect_damage "a missing object" "$name: HTTP 404"
mv "$TMP/art.moved" "$art"
# a wrong key (another init'ed key in its place)
mv "$KEYFILE" "$TMP/key.good"
expect_rc 0 lb offsite init s3
expect_damage "a wrong key" "encrypted with another key"
contains "$ERR" "s3://$S3_BUCKET/pre/fix/site/$id.json: encrypted with another key"
mv "$TMP/key.good" "$KEYFILE"
# all well again
expect_rc 0 lb verify --offsite s3 site "$id" --download
expect_rc 0 lb restore site "$id" --from s3 --to "$TMP/target"
CHECKS=$((CHECKS + 1))
diff -r "$TMP/www" "$TMP/target" || fail "the restore after the damage was undone differs"

# files others may read are refused, naming them
chmod 640 "$KEYFILE"
expect_rc 1 lb verify --offsite s3 --download
contains "$ERR" "$KEYFILE: the key file is readable by others (mode 0640)"
chmod 600 "$KEYFILE"
chmod 644 "$CRED"
expect_rc 1 lb list --offsite s3
contains "$ERR" "$CRED: the credentials file is readable by others (mode 0644)"
chmod 600 "$CRED"

# the secret and the token are nowhere on disk but the credentials file
CHECKS=$((CHECKS + 1))
! grep -rlF -e "$S3_SECRET" -e "$TOKEN" "$STORE" "$TMP/state" "$TMP/sync.out" "$S3_DIR" 2>/dev/null || fail "a secret on disk"
CHECKS=$((CHECKS + 1))
! grep -qF "$TOKEN" "$S3_LOG" || fail "the token in s3rver's log (so in a request line)"
done_ok

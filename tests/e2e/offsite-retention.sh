# Offsite retention removes what its own policy says and nothing else: 5
# full backups, kept locally (keep_last = 1000), all copied; then the
# target keeps 2 (keep_last = 2) and the one pinned locally (evidence).
# While object_lock_days says the copies are locked, nothing is removed;
# then the 2 that the policy drops go, the local store is untouched, and an
# object under the prefix that is not a backup's stays.  A new backup goes
# and pushes the oldest out.  A target that sets no keep_* key uses the
# job's own, and copies what its own policy had dropped; with prune = no
# nothing is removed offsite.
# Drives: lib/offsite/offsite_prune.c, lib/offsite/offsite_list.c, lib/offsite/offsite_sync.c, lib/store/retention.c.
set -e
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/offsite-lib.sh
. "$(dirname "$0")/offsite-lib.sh"

STORE=$TMP/store
mkdir -p "$TMP/www"
echo "v0" > "$TMP/www/index.php"
base() {
	cat <<EOC
[lifeboat]
store = $STORE
state_dir = $TMP/state
max_load = 0
io_limit = 0
[files:site]
schedule = @daily
path = $TMP/www
max_chain = 0
keep_last = 1000
EOC
}
CFG=$TMP/l.ini
base > "$CFG"
offsite_config "$CFG" "keep_last = 5" "keep_daily = 0" "keep_weekly = 0" "keep_monthly = 0" "object_lock_days = 1"
lb() { "$LIFEBOAT" -c "$CFG" "$@"; }
s3_start
expect_rc 0 lb offsite init s3
ids=()
for i in 1 2 3 4 5; do
	echo "v$i" > "$TMP/www/index.php"
	expect_rc 0 lb run site --here
	ids+=("$(printf '%s\n' "$OUT" | grep -oE '[0-9]{4}/[0-9]{2}/backup-[0-9]{2}-[0-9]{2}' | head -n 1)")
done
expect_rc 0 lb pin site "${ids[1]}" --reason evidence
# a foreign object under the prefix (put with curl's own SigV4)
echo "not ours" > "$TMP/readme.txt"
curl -sSf --aws-sigv4 "aws:amz:us-east-1:s3" -u "S3RVER:$S3_SECRET" \
	-H "x-amz-content-sha256: $(sha256sum "$TMP/readme.txt" | cut -c 1-64)" \
	-T "$TMP/readme.txt" "http://127.0.0.1:$S3_PORT/$S3_BUCKET/pre/fix/site/readme.txt" || fail "cannot put the foreign object"
[ -f "$S3_DIR/$S3_BUCKET/pre/fix/site/readme.txt._S3rver_object" ] || fail "the foreign object is not where s3rver keeps objects"

# all 5 copied; then the policy keeps 2 but the copies are locked: nothing removed
expect_rc 0 lb offsite sync s3
contains "$OUT" "5 backups copied"
contains "$OUT" "0 removed by retention"
sed -i 's/^keep_last = 5$/keep_last = 2/' "$CFG"
expect_rc 0 lb offsite sync s3
contains "$OUT" "0 removed by retention"
expect_rc 0 lb list --offsite s3
equals "$(printf '%s\n' "$OUT" | grep -c complete)" "5" "backups offsite while locked"

# the lock over: the policy applies
sed -i 's/^object_lock_days = 1$/object_lock_days = 0/' "$CFG"
expect_rc 0 lb offsite sync s3
contains "$OUT" "2 removed by retention"
expect_rc 0 lb list --offsite s3 --json
kept=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(" ".join(b["id"] for b in json.load(sys.stdin)))')
equals "$kept" "${ids[1]} ${ids[3]} ${ids[4]}" "backups kept offsite (pinned, and the 2 newest)"
CHECKS=$((CHECKS + 1))
for gone in "${ids[0]}" "${ids[2]}"; do
	for s in json sha256 tar.zst index.zst; do
		[ ! -e "$(object_of site "$gone" "$s")" ] || fail "$gone.$s still offsite"
	done
done
CHECKS=$((CHECKS + 1))
[ -f "$S3_DIR/$S3_BUCKET/pre/fix/site/readme.txt._S3rver_object" ] || fail "retention removed the foreign object"
expect_rc 0 lb list site
equals "$(printf '%s\n' "$OUT" | grep -c 'backup-')" "5" "local backups (untouched)"
# idempotent
expect_rc 0 lb offsite sync s3
contains "$OUT" "0 backups copied (0 objects"
contains "$OUT" "0 removed by retention"

# a new backup the policy keeps goes, and pushes the oldest unpinned out;
# none the policy would drop at once is sent
echo "v6" > "$TMP/www/index.php"
expect_rc 0 lb run site --here
expect_rc 0 lb offsite sync s3
contains "$OUT" "1 backup copied"
contains "$OUT" "1 removed by retention"

# no keep_* in the target: the job's own (keep_last = 1000) keeps everything
base > "$CFG"
offsite_config "$CFG"
expect_rc 0 lb offsite sync s3
contains "$OUT" "3 backups copied"
contains "$OUT" "0 removed by retention"
expect_rc 0 lb verify --offsite s3
contains "$OUT" "6 offsite backups checked, 0 bad"

# prune = no (an upload-only key): a policy that would drop most removes nothing
base > "$CFG"
offsite_config "$CFG" "prune = no" "keep_last = 1" "keep_daily = 0" "keep_weekly = 0" "keep_monthly = 0"
expect_rc 0 lb offsite sync s3
contains "$OUT" "0 removed by retention"
expect_rc 0 lb verify --offsite s3
contains "$OUT" "6 offsite backups checked, 0 bad"
done_ok

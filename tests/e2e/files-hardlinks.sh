# Hard links across a chain: a file's first name (the one the full's tar
# stores the content under) is deleted in a later backup, while its directory
# and a second name stay (the link count, so the ctime, changed: the second
# name is stored again).  Restoring the later backup gives the tree as it was:
# the emptied directory stays, the first name does not come back; restoring
# the full gives both names on one inode.
# Drives: lib/files/snapshot.c, lib/files/fileindex.c, lib/files/snaprestore.c.
set -e
# shellcheck source=tests/e2e/files-lib.sh
. "$(dirname "$0")/files-lib.sh"

T=$TMP/tree
mkdir -p "$T/a" "$T/b/deep"
echo "shared content" > "$T/a/first"
ln "$T/a/first" "$T/b/deep/second"
echo other > "$T/b/other"
make_files_config site "$T"
run_job site
full=$ID

rm "$T/a/first"
echo changed > "$T/b/other"
run_job site
incr=$ID
equals "$(json_get "$(record_of site "$incr")" 'j["files"]["type"]')" "incremental" "the second backup's type"
cp -a "$T" "$TMP/copy"

expect_rc 0 lb restore site "$incr" --to "$TMP/r"
same_tree "$TMP/copy" "$TMP/r" "restore of the backup without the first name"
[ -d "$TMP/r/a" ] || fail "the directory a/ (in the tree, now empty) was removed with the anchor"
CHECKS=$((CHECKS + 1))
[ ! -e "$TMP/r/a/first" ] || fail "the deleted first name came back"
CHECKS=$((CHECKS + 1))
equals "$(cat "$TMP/r/b/deep/second")" "shared content" "the second name's content"

# The full restores with both names, one inode.
expect_rc 0 lb restore site "$full" --to "$TMP/r-full"
equals "$(stat -c %i "$TMP/r-full/a/first")" "$(stat -c %i "$TMP/r-full/b/deep/second")" "inodes of the two names"
done_ok

# A files restore by a user who is not root: what that user cannot create
# (a device node, an owner other than its own, the setuid bit of a file it
# cannot give to root, trusted.* and security.* xattrs) is skipped and
# listed, everything else restores exactly, and the restore exits 3
# (partial).  As root the same backup restores everything, exit 0.  A
# restore that stops in the middle of a file (here: a file-size limit)
# leaves no half-written file under a tree name, no temporary file, and
# its directories with their final modes.
# Drives: lib/files/snaprestore.c, lib/files/jobkind_files.c (through lifeboat restore --to).
set -e
# shellcheck source=tests/e2e/files-lib.sh
. "$(dirname "$0")/files-lib.sh"
[ "$(id -u)" = 0 ] || { echo "skip: needs root to build the tree and to drop to nobody"; exit 77; }
command -v setpriv >/dev/null 2>&1 || fail "setpriv (util-linux) is not installed"
NOBODY_UID=$(id -u nobody)
NOGROUP_GID=$(getent group nogroup | cut -d: -f3)
[ -n "$NOBODY_UID" ] && [ -n "$NOGROUP_GID" ] || fail "no user nobody or group nogroup"

# What nobody reads and writes lives in its own directory.
NB=$(mktemp -d /tmp/lifeboat-nonroot.XXXXXX)
trap 'rm -rf "$TMP" "$NB"' EXIT
chown nobody:nogroup "$NB"
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}
as_nobody test -x "$LIFEBOAT" || { echo "skip: nobody cannot run $LIFEBOAT"; exit 77; }

T=$TMP/tree
mkdir -p "$T/dev" "$T/bin" "$T/ro" "$T/www" "$T/shared"
mknod "$T/dev/null0" c 1 3 || { echo "skip: mknod is not permitted here"; exit 77; }
mkfifo "$T/dev/fifo"
echo "someone else's" > "$T/www/other.txt"
chown 1234:1234 "$T/www/other.txt"
echo "nobody's own" > "$T/www/mine.txt"
chown nobody:nogroup "$T/www/mine.txt"
printf '#!/bin/sh\necho hi\n' > "$T/bin/tool"
chmod 4755 "$T/bin/tool"
echo "with attributes" > "$T/www/attrs.txt"
chown nobody:nogroup "$T/www/attrs.txt"
setfattr -n user.note -v kept "$T/www/attrs.txt"
setfattr -n trusted.secret -v dropped "$T/www/attrs.txt"
setfattr -n security.mark -v dropped "$T/www/attrs.txt"
echo "read only" > "$T/ro/file"
chmod 0400 "$T/ro/file"
chmod 0555 "$T/ro"
chmod 2775 "$T/shared"
echo "linked" > "$T/www/a"
ln "$T/www/a" "$T/www/b"
ln -s ../www/mine.txt "$T/bin/link"
head -c 3000000 /dev/urandom > "$T/www/big.bin"
chown -R nobody:nogroup "$T/www/big.bin" "$T/www/a" "$T/bin/link"
make_files_config site "$T"
run_job site

# nobody's own copy of the store and config.
cp -a "$STORE" "$NB/store"
sed "s|$STORE|$NB/store|; s|$STATE|$NB/state|" "$CFG" > "$NB/site.ini"
chown -R nobody:nogroup "$NB"

expect_rc 3 as_nobody "$LIFEBOAT" -c "$NB/site.ini" restore site "$ID" --to "$NB/r"
contains "$OUT" "partial" "summary"
contains "$OUT" "dev/null0: device node not created" "device node listed"
contains "$OUT" "www/other.txt: owner 1234:1234 not set" "foreign owner listed"
contains "$OUT" "bin/tool: setuid bit not set" "setuid listed"
contains "$OUT" "www/attrs.txt: extended attribute trusted.secret not set" "trusted xattr listed"
contains "$OUT" "www/attrs.txt: extended attribute security.mark not set" "security xattr listed"
not_contains "$OUT" "www/mine.txt" "nobody's own file is not listed"
not_contains "$OUT" "user.note" "a user xattr is not listed"
R=$NB/r
[ ! -e "$R/dev/null0" ] || fail "a device node was created by nobody"
[ -p "$R/dev/fifo" ] || fail "the FIFO was not restored"
equals "$(stat -c %U:%G "$R/www/mine.txt")" "nobody:nogroup" "nobody's file keeps its owner"
equals "$(stat -c %a "$R/bin/tool")" "755" "setuid bit dropped, the rest of the mode kept"
equals "$(getfattr --absolute-names --only-values -n user.note "$R/www/attrs.txt")" "kept" "user xattr restored"
equals "$(stat -c %a "$R/ro")" "555" "read-only directory has its final mode"
equals "$(stat -c %a "$R/ro/file")" "400" "read-only file"
equals "$(stat -c %i "$R/www/a")" "$(stat -c %i "$R/www/b")" "hard link"
equals "$(readlink "$R/bin/link")" "../www/mine.txt" "symlink"
equals "$(find "$R" -name '.lifeboat-restore.*' | wc -l)" "0" "temporary files left"
# Everything else is exact: contents, modes, times, links and xattrs (the
# owners and the entries listed above aside).
for d in "$T" "$R"; do
	manifest "$d" --skip dev/null0 --skip bin/tool --skip www/attrs.txt --skip shared |
		awk '{ $3 = "-"; $4 = "-"; print }' > "$d.manifest"
done
CHECKS=$((CHECKS + 1))
cmp -s "$T.manifest" "$R.manifest" || { diff -u "$T.manifest" "$R.manifest" >&2; fail "the trees differ"; }
cmp -s "$T/bin/tool" "$R/bin/tool" || fail "bin/tool content"
cmp -s "$T/www/attrs.txt" "$R/www/attrs.txt" || fail "www/attrs.txt content"

# As root nothing is skipped.
expect_rc 0 lb restore site "$ID" --to "$TMP/rr"
not_contains "$OUT" "partial" "root restore"
same_tree "$T" "$TMP/rr" "root restore"

# Stopped in the middle of a file: a 1 MiB file-size limit makes the write
# of big.bin fail.  No half of it under its name, no temporary file, and
# the directories already made have their final modes.
expect_rc 1 as_nobody bash -c 'trap "" XFSZ; ulimit -f 1024; exec "$@"' - \
	"$LIFEBOAT" -c "$NB/site.ini" restore site "$ID" --to "$NB/cut"
contains "$ERR" "big.bin" "the failing file is named"
[ ! -e "$NB/cut/www/big.bin" ] || fail "a half-written big.bin was left: $(stat -c %s "$NB/cut/www/big.bin") bytes"
equals "$(find "$NB/cut" -name '.lifeboat-restore.*' | wc -l)" "0" "temporary files left by a stopped restore"
for f in $(cd "$NB/cut" && find . -type f); do
	cmp -s "$T/$f" "$NB/cut/$f" || fail "$f is not complete after a stopped restore"
done
CHECKS=$((CHECKS + 1))
if [ -d "$NB/cut/ro" ]; then
	equals "$(stat -c %a "$NB/cut/ro")" "555" "a directory's final mode after a stopped restore"
fi

done_ok

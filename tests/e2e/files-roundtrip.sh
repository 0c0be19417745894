# A files job round trip on a tree with everything a web root can hold:
# hidden files and directories, a 0-byte file, a sparse 100 MB file, a hard
# link pair, symlinks (relative, absolute, dangling, pointing outside), a
# FIFO, a device node, a socket (skipped), names with spaces, a newline, non-UTF-8 bytes and
# 255 bytes, a path deeper than 4096 bytes, xattrs, an ACL and a directory's default ACL, a mode 4755
# file, an unreadable file and an excluded cache/ dir.  The snapshot runs
# without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH so root cannot read the
# unreadable file either.  Restore into a new dir gives the same content,
# types, modes, owners, mtimes, symlink targets, link counts and xattrs; the
# excluded dir is absent; the unreadable file is reported and the result is
# partial.  `tar --zstd -xf` of the snapshot gives the same tree too.
# Drives: lib/files/jobkind_files.c, lib/files/snapshot.c, lib/files/fileindex.c, lib/files/snaprestore.c, lib/run/jobstate.c.
set -e
# shellcheck source=tests/e2e/files-lib.sh
. "$(dirname "$0")/files-lib.sh"

T=$TMP/tree
mkdir -p "$T/.hidden-dir/sub" "$T/cache/deep" "$T/www/cgi-bin" "$T/empty-dir"
echo "secret" > "$T/.htaccess"
echo "in hidden" > "$T/.hidden-dir/sub/.also-hidden"
: > "$T/www/zero"
truncate -s 100M "$T/www/sparse"
printf 'middle' | dd of="$T/www/sparse" bs=1 seek=52428800 conv=notrunc status=none
echo "linked" > "$T/www/link-a"
ln "$T/www/link-a" "$T/www/cgi-bin/link-b"
ln -s ../.htaccess "$T/www/rel-link"
ln -s /etc/hostname "$T/www/abs-link"
ln -s does/not/exist "$T/www/dangling"
ln -s ../../../outside "$T/www/outside-link"
mkfifo "$T/www/fifo"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/www/sock"
echo "spaces" > "$T/www/name with spaces"
echo "newline" > "$T/www/new
line"
echo "latin1" > "$T/www/caf$(printf '\351')"
echo "utf8" > "$T/www/café"
long=$(printf 'n%.0s' $(seq 255))
echo "long" > "$T/www/$long"
printf '#!/bin/sh\necho hi\n' > "$T/www/cgi-bin/suid.cgi"
chmod 4755 "$T/www/cgi-bin/suid.cgi"
setfattr -n user.lifeboat -v "tagged" "$T/www/link-a"
setfattr -n user.dir -v "d" "$T/www/cgi-bin"
setfacl -m u:nobody:r "$T/.htaccess"
setfacl -d -m u:nobody:rx "$T/www/cgi-bin"
mknod "$T/www/null-device" c 1 3
echo "cached" > "$T/cache/deep/item"
echo "nobody reads me" > "$T/www/unreadable"
chmod 000 "$T/www/unreadable"
touch -d '2020-02-02 02:02:02.123456789' "$T/www/zero"
# A path deeper than 4096 bytes: 20 levels of 230-byte names.
python3 - "$T/deep" <<'PY'
import os, sys
os.mkdir(sys.argv[1])
fd = os.open(sys.argv[1], os.O_RDONLY)
for i in range(20):
    name = ("d%02d" % i) + "x" * 227
    os.mkdir(name, dir_fd=fd)
    nfd = os.open(name, os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = nfd
f = os.open("bottom.txt", os.O_WRONLY | os.O_CREAT, 0o640, dir_fd=fd)
os.write(f, b"at the bottom\n")
os.close(f)
os.close(fd)
PY

make_files_config site "$T" "exclude = cache"
# Without the capabilities that let root read anything.
expect_rc 0 setpriv --bounding-set=-dac_override,-dac_read_search "$LIFEBOAT" -c "$CFG" run site --here
ID=$(id_of "$OUT")
contains "$OUT" "partial" "run output"
contains "$ERR" "www/unreadable" "run warnings"
contains "$ERR" "Permission denied" "run warnings"
REC=$(record_of site "$ID")
equals "$(json_get "$REC" 'j["result"]')" "partial" "result"
equals "$(json_get "$REC" 'j["files"]["type"]')" "full" "type"
equals "$(json_get "$REC" 'j["files"]["errors"][0]["path"]')" "www/unreadable" "error path"
equals "$(json_get "$REC" 'j["files"]["errors"][0]["errno"]')" "13" "error errno"
equals "$(json_get "$REC" 'j["files"]["excluded"]')" "1" "excluded count"
equals "$(json_get "$REC" 'j["files"]["sockets_skipped"]')" "1" "sockets skipped"
contains "$(json_get "$REC" 'j["warnings"]')" "www/unreadable" "record warnings"
# The job's state file says so too (the record's result, checked above, cannot stand in for it).
[ -f "$STATE/jobs/site.json" ] || fail "no state file $STATE/jobs/site.json"
equals "$(json_get "$STATE/jobs/site.json" 'j["last_run"]["result"]')" "partial" "state last_run.result"
equals "$(json_get "$STATE/jobs/site.json" 'j["last_run"]["id"]')" "$ID" "state last_run.id"
# The hard link pair is stored once: one content entry and one link.
TAR=$(artifact_of site "$ID" tar.zst)
tar --zstd -tvf "$TAR" > "$TMP/listing"
contains "$(grep 'link-b' "$TMP/listing")" "link to www/link-a" "tar listing"
not_contains "$(cat "$TMP/listing")" "www/sock" "tar listing"
not_contains "$(cat "$TMP/listing")" "cache/" "tar listing"
# The 100 MB sparse file takes little room in the artifact.
size=$(stat -c %s "$TAR")
[ "$size" -lt 1000000 ] || fail "the artifact is $size bytes: the sparse file was stored whole"
CHECKS=$((CHECKS + 1))

# Restore into a new directory.
R=$TMP/restored
expect_rc 0 lb restore site "$ID" --to "$R"
contains "$OUT" "restored site $ID into $R"
contains "$OUT" "1 path(s) were unreadable" "restore output"
same_tree "$T" "$R" "restore" --skip cache --skip www/unreadable --skip www/sock
[ ! -e "$R/cache" ] || fail "the excluded cache/ was restored"
[ ! -e "$R/www/unreadable" ] || fail "the unreadable file was restored"
CHECKS=$((CHECKS + 2))
equals "$(getfattr --only-values -n user.lifeboat "$R/www/link-a")" "tagged" "xattr"
contains "$(getfacl -p "$R/.htaccess" 2>/dev/null)" "user:nobody:r--" "ACL"
contains "$(getfacl -p "$R/www/cgi-bin" 2>/dev/null)" "default:user:nobody:r-x" "default ACL"
equals "$(stat -c '%F %t:%T' "$R/www/null-device")" "character special file 1:3" "device node"
equals "$(stat -c %h "$R/www/link-a")" "2" "link count"
equals "$(stat -c %i "$R/www/link-a")" "$(stat -c %i "$R/www/cgi-bin/link-b")" "hard link inode"
equals "$(stat -c %a "$R/www/cgi-bin/suid.cgi")" "4755" "suid mode"
equals "$(readlink "$R/www/outside-link")" "../../../outside" "outside symlink"
equals "$(stat -c %y "$R/www/zero")" "$(stat -c %y "$T/www/zero")" "mtime with ns"
blocks=$(stat -c %b "$R/www/sparse")
[ "$blocks" -lt 1000 ] || fail "the restored sparse file uses $blocks blocks"
CHECKS=$((CHECKS + 1))

# --path restores a part of the tree.
expect_rc 0 lb restore site "$ID" --to "$TMP/part" --path www/cgi-bin
same_tree "$T/www/cgi-bin" "$TMP/part/www/cgi-bin" "restore --path" --no-links
# The hard link whose other name is outside the subpath keeps its content.
equals "$(cat "$TMP/part/www/cgi-bin/link-b")" "linked" "hard link outside --path"
[ ! -e "$TMP/part/www/link-a" ] || fail "--path restored more than the subpath"
CHECKS=$((CHECKS + 1))
expect_rc 1 lb restore site "$ID" --to "$TMP/part2" --path no/such/dir
contains "$ERR" "no path 'no/such/dir'"

# A full snapshot is a plain tar.zst.  GNU tar cannot create names longer
# than PATH_MAX (the deep path), so those are its only errors allowed here.
X=$TMP/extracted
mkdir "$X"
run tar --zstd -xpf "$TAR" -C "$X" --xattrs --xattrs-include='*' --acls --numeric-owner
errors=$(grep -v -e 'Ignoring unknown extended header keyword' -e '^tar: deep/' \
	-e 'Exiting with failure status' <<<"$ERR" || true)
equals "$errors" "" "tar --zstd -xf errors"
same_tree "$T" "$X" "tar --zstd -xf" --skip cache --skip www/unreadable --skip www/sock --skip deep

done_ok

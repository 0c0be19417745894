#!/bin/bash
# The Lifeboat demo, from a fresh Debian 12 machine:
#   tests/demo.sh
# Installs what it needs, builds, starts a private MariaDB holding a small
# sample shop database and a sample web root (all under ./demo-run, never the
# system server), writes a demo config for them and shows what Lifeboat does
# with it.  It grows with each job kind; today it shows the config check and
# the store listing.  Everything it starts is stopped when it ends.
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

step "lifeboat list: the backups in the store"
"$lifeboat" -c "$demo/lifeboat.ini" list

cat <<'TXT'

This build has the foundation: config, store and listing.  Taking db, files
and logs backups, the daemon and `lifeboat status` arrive with the next
issues, and this demo will run them.
TXT

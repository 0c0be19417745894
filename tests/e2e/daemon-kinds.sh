# lifeboatd with one job of each kind on `every 2s` schedules (issue 7): the
# daemon takes several backups of each, named YYYY/MM/backup-DD-NN with NN
# counting up; `status --json` shows each job's last good id and
# `status --check` says OK.  Then the database server stops: the db job's
# next run fails and --check is CRITICAL, naming the job and the cause; the
# server starts again and --check is OK again.
# Drives: lib/run/jobrun.c, lib/db/jobkind_db.c, lib/files/jobkind_files.c, lib/logs/jobkind_logs.c, lib/run/alerts.c.
set -e
# shellcheck source=tests/e2e/daemon-lib.sh
. "$(dirname "$0")/daemon-lib.sh"

# A MariaDB of this test's own, since it is stopped half-way (the suite's
# shared one serves other tests at the same time).  /tmp, not $TMP: the
# server's user must reach it.
own=$(mktemp -d /tmp/lifeboat-kinds-db.XXXXXX)
own_cleanup() {
	"$SRCDIR/tests/mariadb.sh" stop "$own" >/dev/null 2>&1
	rm -rf "$own"
}
trap 'daemon_cleanup; own_cleanup; db_cleanup; rm -rf "$TMP"' EXIT
"$SRCDIR/tests/mariadb.sh" start "$own" >"$TMP/own-db.log" 2>&1 || { cat "$TMP/own-db.log" >&2; fail "cannot start a private MariaDB"; }
OWNSOCK=$own/mysql.sock
install -m 600 "$own/lifeboat.password" "$TMP/own.password"
mariadb --no-defaults --socket="$OWNSOCK" -uroot -e "CREATE DATABASE kinds;
	CREATE TABLE kinds.t (id INT PRIMARY KEY, v TEXT);
	INSERT INTO kinds.t VALUES (1, 'one'), (2, 'two')"

mkdir -p "$TMP/www/.hidden" "$TMP/logs"
echo "<?php echo 1;" >"$TMP/www/index.php"
echo secret >"$TMP/www/.hidden/.htaccess"
echo "first line" >"$TMP/logs/access.log"

CFG=$TMP/kinds.ini
{
	daemon_globals "parallel_jobs = 3"
	cat <<INI

[db:shop]
schedule = every 2s
socket = $OWNSOCK
user = lifeboat
password_file = $TMP/own.password
databases = kinds
max_threads_running = 0
keep_last = 1000

[files:site]
schedule = every 2s
path = $TMP/www
exclusive = no
keep_last = 1000

[logs:web]
schedule = every 2s
paths = $TMP/logs/*.log
exclusive = no
keep_last = 1000
INI
} >"$CFG"
expect_rc 0 lb check-config

start_daemon
three_of_each() {
	local j
	echo "line at $(date +%s.%N)" >>"$TMP/logs/access.log"
	for j in shop site web; do
		[ "$(backup_count "$j")" -ge 3 ] || return 1
	done
}
wait_until 60 "three backups of each job" three_of_each

# Names: YYYY/MM/backup-DD-NN, NN counting up within a day, for every job.
for j in shop site web; do
	lb list "$j" --json >"$TMP/list.json"
	python3 - "$TMP/list.json" "$j" <<'PY' || fail "the backup ids of $j"
import json, re, sys
rows = json.load(open(sys.argv[1]))
ids = [r["id"] for r in rows]
keys = []
for i in ids:
    m = re.fullmatch(r"(\d{4})/(\d{2})/backup-(\d{2})-(\d{2,3})", i)
    assert m, f"{sys.argv[2]}: bad id {i}"
    keys.append(tuple(int(x) for x in m.groups()))
assert len(keys) >= 3, ids
assert keys == sorted(keys) and len(set(keys)) == len(keys), ids
first_day = [k for k in keys if k[:3] == keys[0][:3]]
assert [k[3] for k in first_day] == list(range(first_day[0][3], first_day[0][3] + len(first_day))), ids
PY
	CHECKS=$((CHECKS + 1))
	good=$(status_json "[x for x in j['jobs'] if x['name'] == '$j'][0]['last_good']['id']")
	contains "$(backups "$j")" "$good" "status --json last_good.id of $j among its backups"
done
check_is() {
	"$LIFEBOAT" -c "$CFG" status --check >"$TMP/check.out" 2>&1
	[ $? = "$1" ]
}
wait_until 20 "status --check OK" check_is 0
contains "$(cat "$TMP/check.out")" "LIFEBOAT OK" "--check with every job good"

# The server goes away: the db job's next run fails, and --check says why.
"$SRCDIR/tests/mariadb.sh" stop "$own" >/dev/null 2>&1 || fail "cannot stop the private MariaDB"
# A run cut off mid-dump says "Server has gone away"; the first run started
# after the stop names the server it cannot reach: wait for that one.
critical_names_server() {
	check_is 2 && grep -qF "$OWNSOCK" "$TMP/check.out"
}
wait_until 30 "status --check CRITICAL, naming the server" critical_names_server
contains "$(cat "$TMP/check.out")" "LIFEBOAT CRITICAL" "--check with the server down"
contains "$(cat "$TMP/check.out")" "shop: last run failed" "--check names the failed job"
contains "$(cat "$TMP/check.out")" "$OWNSOCK" "--check names the cause (the server it could not reach)"
not_contains "$(cat "$TMP/check.out")" "site:" "--check with the server down (the files job)"
n_failed=$(backup_count shop)

# Back again: the next run is good and --check is OK.
"$SRCDIR/tests/mariadb.sh" start "$own" >>"$TMP/own-db.log" 2>&1 || { cat "$TMP/own-db.log" >&2; fail "cannot restart the private MariaDB"; }
wait_until 30 "status --check OK after the server is back" check_is 0
is_more() { [ "$(backup_count shop)" -gt "$n_failed" ]; }
wait_until 10 "a new db backup after the server is back" is_more
stop_daemon 20
equals "$DRC" "0" "lifeboatd's exit status"
done_ok

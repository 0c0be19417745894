# Shared by the db benchmarks (sourced, bash): a private MariaDB and the
# sysbench data they measure on.  The caller sets SRCDIR, WORK, MDIR, SIZE_MB,
# TABLES, ROW_BYTES, defines log and die, and sets SERVER_STARTED=0 before
# (its cleanup stops the server when that is 1).
#
#   bench_need_pkgs PKG...  installs the Debian packages missing (apt-get),
#                        never letting a server package start its service
#   bench_start_server   starts tests/mariadb.sh in $MDIR; sets SOCK, ADMIN,
#                        CNF (the lifeboat user's client defaults file);
#                        defines sql QUERY (admin account, -N -B output)
#   bench_build_sbtest   fills database sbtest with sysbench (ROWS per table),
#                        drops the binlog, flushes the dirty pages and the page
#                        cache, analyzes the tables; sets ROWS, PREP_S,
#                        TABLE_LIST, QTABLES, DATA_BYTES, INDEX_BYTES

bench_start_server() {
    log "starting a private MariaDB in $MDIR"
    SERVER_STARTED=1        # stop is safe after a half-finished start
    "$SRCDIR/tests/mariadb.sh" start "$MDIR" > "$WORK/mariadb-start.log" 2>&1 || {
        cat "$WORK/mariadb-start.log" >&2
        die "tests/mariadb.sh start failed"
    }
    # shellcheck disable=SC1091
    . "$MDIR/env"
    SOCK=$LIFEBOAT_TEST_MYSQL_SOCKET
    ADMIN=$LIFEBOAT_TEST_MYSQL_ADMIN_USER
    CNF=$MDIR/lifeboat.cnf  # [client] user/password/socket of the lifeboat user, mode 0600
}

# sql QUERY: run as the admin account (unix_socket auth, no password); -N -B output.
sql() {
    mariadb --no-defaults --socket="$SOCK" -u"$ADMIN" -N -B -e "$1"
}

# bench_db_section: the [db:bench] section of a Lifeboat config that dumps
# sbtest from the bench's server as the test account.
bench_db_section() {
    echo "[db:bench]"
    echo "schedule = @daily"
    echo "socket = $SOCK"
    echo "user = $LIFEBOAT_TEST_MYSQL_USER"
    echo "password_file = $LIFEBOAT_TEST_MYSQL_PASSWORD_FILE"
    echo "databases = sbtest"
}

bench_build_sbtest() {
    local t0 threads old_pct old_lwm dirty
    ROWS=$(( (SIZE_MB * 1000000 / ROW_BYTES + TABLES - 1) / TABLES ))
    [ "$ROWS" -ge 1 ] || ROWS=1
    threads=$(nproc)
    [ "$threads" -le "$TABLES" ] || threads=$TABLES
    sql "CREATE DATABASE sbtest" || die "cannot create database sbtest"
    log "building ~${SIZE_MB} MB with sysbench: $TABLES table(s) x $ROWS rows, $threads thread(s)"
    t0=$EPOCHREALTIME
    # sysbench runs as OS root over the socket as MariaDB's root: unix_socket
    # auth, so no password is needed (none appears in argv).
    if ! sysbench oltp_read_write --db-driver=mysql --mysql-socket="$SOCK" \
            --mysql-user="$ADMIN" --mysql-db=sbtest \
            --tables="$TABLES" --table-size="$ROWS" --threads="$threads" \
            prepare > "$WORK/sysbench-prepare.log" 2>&1; then
        tail -n 30 "$WORK/sysbench-prepare.log" >&2
        die "sysbench prepare failed"
    fi
    PREP_S=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
    log "sysbench prepare took ${PREP_S}s; flushing InnoDB's dirty pages"

    # The prepare wrote about as much binlog as data: drop it.  Then let
    # InnoDB flush its dirty pages so no background flushing overlaps what is
    # measured.
    sql "RESET MASTER" || die "RESET MASTER failed"
    old_pct=$(sql "SELECT @@GLOBAL.innodb_max_dirty_pages_pct")
    old_lwm=$(sql "SELECT @@GLOBAL.innodb_max_dirty_pages_pct_lwm")
    sql "SET GLOBAL innodb_max_dirty_pages_pct_lwm = 0; SET GLOBAL innodb_max_dirty_pages_pct = 0" ||
        die "cannot set innodb_max_dirty_pages_pct"
    for _ in $(seq 1 240); do
        dirty=$(sql "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
                     WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_DIRTY'")
        [ "${dirty:-1}" -le 10 ] && break
        sleep 0.5
    done
    sql "SET GLOBAL innodb_max_dirty_pages_pct = $old_pct; SET GLOBAL innodb_max_dirty_pages_pct_lwm = $old_lwm"
    sync                    # and the page cache's, before anything is measured

    TABLE_LIST=$(sql "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES
                      WHERE TABLE_SCHEMA = 'sbtest'")
    QTABLES="sbtest.${TABLE_LIST//,/,sbtest.}"
    sql "ANALYZE TABLE $QTABLES" > /dev/null || die "ANALYZE TABLE failed"
    read -r DATA_BYTES INDEX_BYTES < <(sql "SELECT SUM(DATA_LENGTH), SUM(INDEX_LENGTH)
                                   FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'sbtest'")
}

bench_need_pkgs() {
    local p missing=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    log "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null || die "apt-get update failed"
    # mariadb-server's postinst would start the system server; we never use it.
    local made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing >/dev/null
    local rc=$?
    [ "$made_policy" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
    [ "$rc" -eq 0 ] || die "apt-get install$missing failed"
}

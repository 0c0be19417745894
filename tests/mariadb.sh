#!/bin/bash
# tests/mariadb.sh — a private, throw-away MariaDB server for Lifeboat's tests
# and demo.
#
#   tests/mariadb.sh start DIR    initialise DIR/data and start a server on it
#   tests/mariadb.sh stop DIR     shut that server down (DIR is left in place)
#
# DIR is a directory the caller owns and later deletes (typically from
# `mktemp -d /tmp/lbmdb.XXXXXX`).  The server never reads /etc/mysql or
# ~/.my.cnf (--no-defaults everywhere), listens on a Unix socket inside DIR and
# on 127.0.0.1 at the first free port from 33306 up, writes binary logs, and
# never touches the system's own MariaDB.  After `start`, DIR holds:
#
#   env                 sourceable; exports LIFEBOAT_TEST_MYSQL_SOCKET,
#                       LIFEBOAT_TEST_MYSQL_PORT, LIFEBOAT_TEST_MYSQL_DIR,
#                       LIFEBOAT_TEST_MYSQL_USER, LIFEBOAT_TEST_MYSQL_PASSWORD_FILE,
#                       LIFEBOAT_TEST_MYSQL_ADMIN_USER
#   lifeboat.password   password of lifeboat@localhost and lifeboat@127.0.0.1
#                       (mode 0600, no trailing newline); ALL PRIVILEGES ON *.*
#   lifeboat.cnf        a client defaults file (mode 0600) for that user
#   mysql.sock, mariadbd.pid, server.pid, error.log, binlog.*, data/, tmp/
#
# A second `start` on a DIR whose server was stopped reuses its data.
#
# The administrative account is root@localhost, authenticated by unix_socket,
# so `mariadb --no-defaults --socket=DIR/mysql.sock -uroot` works for the OS
# user root.  (Run as another OS user, the server runs as that user and the
# admin account is that user's name instead; see LIFEBOAT_TEST_MYSQL_ADMIN_USER.)
#
# `stop` is safe to call after a half-finished start or when the server is
# already gone: it exits 0 whenever no server of DIR is left running.

set -u

PROG="mariadb.sh"
PORT_FIRST=33306
PORT_LAST=33505
START_TIMEOUT=60        # seconds to wait for the server to answer a ping
SHUTDOWN_TIMEOUT=30     # seconds for a clean shutdown before SIGTERM
TERM_TIMEOUT=10         # seconds after SIGTERM before SIGKILL

die() {
    echo "$PROG: $*" >&2
    exit 1
}

warn() {
    echo "$PROG: $*" >&2
}

usage() {
    echo "usage: $PROG start DIR | stop DIR" >&2
    exit 2
}

# show_log FILE [BYTE_OFFSET]: print the tail of a server log to stderr.
show_log() {
    local f=$1 off=${2:-0}
    if [ -s "$f" ]; then
        echo "---- last lines of $f ----" >&2
        tail -c +"$((off + 1))" "$f" | tail -n 30 >&2
        echo "----" >&2
    else
        echo "($f is empty or missing)" >&2
    fi
}

file_size() {
    if [ -e "$1" ]; then wc -c < "$1"; else echo 0; fi
}

# is_alive PID: the process exists and is not a zombie.
is_alive() {
    local pid=$1 state
    [ -n "$pid" ] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) || return 1
    [ "$state" != Z ]
}

# is_our_server PID: PID is a live mariadbd serving $DATA.  Guards against
# signalling an unrelated process that reused a stale pid.
is_our_server() {
    local pid=$1 cwd data
    is_alive "$pid" || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = mariadbd ] || return 1
    tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null |
        grep -qxF -- "--datadir=$DATA" && return 0
    # mariadbd chdirs into its datadir; covers DIR spelt differently.
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || return 1
    data=$(readlink -f "$DATA" 2>/dev/null) || return 1
    [ -n "$cwd" ] && [ "$cwd" = "$data" ]
}

# wait_gone PID SECONDS: wait until PID has exited; 0 if it did.
wait_gone() {
    local pid=$1 n=$(($2 * 10))
    while [ "$n" -gt 0 ]; do
        is_alive "$pid" || return 0
        sleep 0.1
        n=$((n - 1))
    done
    ! is_alive "$pid"
}

# run_timeout SECONDS CMD...: CMD, killed after SECONDS if timeout(1) exists.
run_timeout() {
    local t=$1
    shift
    if command -v timeout >/dev/null 2>&1; then
        timeout "$t" "$@"
    else
        "$@"
    fi
}

port_in_use() {
    local p=$1
    if command -v ss >/dev/null 2>&1; then
        [ -n "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] && return 0
    fi
    # A connect that succeeds means someone listens there.
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
}

ping_server() {
    mariadb-admin --no-defaults --connect-timeout=2 --socket="$SOCK" \
        -u"$ADMIN_USER" ping >/dev/null 2>&1
}

# set_paths DIR: DIR made absolute, and the paths derived from it.
set_paths() {
    [ -n "$1" ] || usage
    case $1 in
        /*) DIR=$1 ;;
        *) DIR=$(pwd)/$1 ;;
    esac
    DIR=${DIR%/}
    [ -n "$DIR" ] || die "refusing to use / as DIR"
    DATA=$DIR/data
    TMPD=$DIR/tmp
    SOCK=$DIR/mysql.sock
    PIDFILE=$DIR/mariadbd.pid
    OURPID=$DIR/server.pid
    ERRLOG=$DIR/error.log
    PWFILE=$DIR/lifeboat.password
    if [ "$(id -u)" -eq 0 ]; then
        RUN_USER=mysql
        ADMIN_USER=root
    else
        RUN_USER=$(id -un)
        ADMIN_USER=$RUN_USER
    fi
}

# check_traversable: the mysql user must reach DIR through all its ancestors;
# names the first one, from /, that stops it.
check_traversable() {
    local p="" comp rest
    [ "$RUN_USER" = mysql ] || return 0
    runuser -u mysql -- test -w "$DIR" -a -x "$DIR" 2>/dev/null && return 0
    rest=${DIR#/}
    while [ -n "$rest" ]; do
        comp=${rest%%/*}
        if [ "$comp" = "$rest" ]; then rest=""; else rest=${rest#*/}; fi
        p=$p/$comp
        if ! runuser -u mysql -- test -x "$p" 2>/dev/null; then
            die "the mysql user cannot enter $p (mode $(stat -c %A "$p")," \
                "owner $(stat -c %U "$p")), so mariadbd cannot use $DIR;" \
                "use a DIR under /tmp, or chmod o+x $p"
        fi
    done
    die "the mysql user cannot write to $DIR"
}

write_env() {
    local tmp=$DIR/env.tmp
    {
        printf 'export LIFEBOAT_TEST_MYSQL_SOCKET=%q\n' "$SOCK"
        printf 'export LIFEBOAT_TEST_MYSQL_PORT=%q\n' "$PORT"
        printf 'export LIFEBOAT_TEST_MYSQL_DIR=%q\n' "$DIR"
        printf 'export LIFEBOAT_TEST_MYSQL_USER=%q\n' lifeboat
        printf 'export LIFEBOAT_TEST_MYSQL_PASSWORD_FILE=%q\n' "$PWFILE"
        printf 'export LIFEBOAT_TEST_MYSQL_ADMIN_USER=%q\n' "$ADMIN_USER"
    } > "$tmp" || die "cannot write $tmp"
    mv -f "$tmp" "$DIR/env" || die "cannot write $DIR/env"
}

# launch PORT: start mariadbd in the background; sets SERVER_PID.
launch() {
    local user_opt=()
    [ "$RUN_USER" = mysql ] && user_opt=(--user=mysql)
    mariadbd --no-defaults "${user_opt[@]}" \
        --datadir="$DATA" \
        --tmpdir="$TMPD" \
        --socket="$SOCK" \
        --port="$1" \
        --bind-address=127.0.0.1 \
        --pid-file="$PIDFILE" \
        --log-error="$ERRLOG" \
        --log-bin="$DIR/binlog" \
        --server-id=1 \
        --innodb-buffer-pool-size=64M \
        --innodb-log-file-size=16M \
        --innodb-flush-log-at-trx-commit=2 \
        --skip-name-resolve \
        --character-set-server=utf8mb4 \
        --collation-server=utf8mb4_unicode_ci \
        --max-allowed-packet=64M \
        < /dev/null > "$DIR/mariadbd.out" 2>&1 &
    SERVER_PID=$!
    echo "$SERVER_PID" > "$OURPID"
}

cmd_start() {
    local user_opt=() pw port log_off n

    command -v mariadbd >/dev/null 2>&1 ||
        die "mariadbd not found (install mariadb-server: tests/install-deps.sh)"
    command -v mariadb-install-db >/dev/null 2>&1 ||
        die "mariadb-install-db not found (install mariadb-server)"
    command -v mariadb-admin >/dev/null 2>&1 ||
        die "mariadb-admin not found (install mariadb-client)"
    command -v mariadb >/dev/null 2>&1 ||
        die "mariadb client not found (install mariadb-client)"
    if [ "$RUN_USER" = mysql ]; then
        id mysql >/dev/null 2>&1 || die "no 'mysql' OS user (install mariadb-server)"
        user_opt=(--user=mysql)
    fi

    # A Unix socket path is limited to 107 bytes.
    [ "${#SOCK}" -le 100 ] || die "DIR path too long for a Unix socket: $SOCK"

    mkdir -p "$DIR" || die "cannot create $DIR"
    # A private tmpdir: concurrent bootstraps sharing /tmp can collide.
    mkdir -p "$TMPD" || die "cannot create $TMPD"
    if [ -f "$OURPID" ] && is_our_server "$(cat "$OURPID")"; then
        die "a server is already running in $DIR (pid $(cat "$OURPID"))"
    fi
    if [ "$RUN_USER" = mysql ]; then
        chown mysql: "$DIR" "$TMPD" || die "cannot chown $DIR to mysql"
        chmod 0750 "$DIR" || die "cannot chmod $DIR"
        check_traversable
    fi

    # Initialise the data directory, unless a previous start did so fully.
    if [ -e "$DIR/.initialised" ]; then
        echo "$PROG: reusing initialised $DATA"
    else
        if [ -e "$DATA" ]; then
            die "$DATA exists but was not fully initialised; remove it (or DIR) and retry"
        fi
        if ! mariadb-install-db --no-defaults "${user_opt[@]}" \
                --datadir="$DATA" \
                --tmpdir="$TMPD" \
                --auth-root-authentication-method=socket \
                --auth-root-socket-user="$ADMIN_USER" \
                --skip-test-db --skip-name-resolve \
                --innodb-log-file-size=16M \
                --innodb-buffer-pool-size=64M \
                > "$DIR/install-db.log" 2>&1; then
            warn "mariadb-install-db failed"
            show_log "$DIR/install-db.log"
            rm -rf "$DATA"      # ours: it did not exist before; allows a retry
            exit 1
        fi
    fi

    # Pick a port, start; if another server grabbed the port first, try the next.
    port=$PORT_FIRST
    while :; do
        while [ "$port" -le "$PORT_LAST" ] && port_in_use "$port"; do
            port=$((port + 1))
        done
        [ "$port" -le "$PORT_LAST" ] ||
            die "no free TCP port in $PORT_FIRST-$PORT_LAST on 127.0.0.1"

        log_off=$(file_size "$ERRLOG")
        rm -f "$SOCK"
        launch "$port"

        n=$((START_TIMEOUT * 10))
        while [ "$n" -gt 0 ]; do
            ping_server && break
            is_alive "$SERVER_PID" || break
            sleep 0.1
            n=$((n - 1))
        done
        if is_alive "$SERVER_PID" && ping_server; then
            break
        fi
        if ! is_alive "$SERVER_PID" &&
           tail -c +"$((log_off + 1))" "$ERRLOG" 2>/dev/null |
               grep -qiE 'bind on tcp/ip port|address already in use'; then
            echo "$PROG: port $port taken meanwhile, trying the next one"
            port=$((port + 1))
            continue
        fi
        if is_alive "$SERVER_PID"; then
            warn "mariadbd (pid $SERVER_PID) did not answer within ${START_TIMEOUT}s"
            show_log "$ERRLOG" "$log_off"
            cmd_stop >/dev/null 2>&1
        else
            warn "mariadbd exited during startup"
            show_log "$ERRLOG" "$log_off"
            show_log "$DIR/mariadbd.out"
        fi
        exit 1
    done
    PORT=$port

    # The lifeboat account, for both the socket and TCP.
    if [ ! -s "$PWFILE" ]; then
        pw=$(head -c 18 /dev/urandom | base64 | tr '+/' 'Aa') ||
            die "cannot generate a password"
        (umask 077 && printf '%s' "$pw" > "$PWFILE.tmp" && mv -f "$PWFILE.tmp" "$PWFILE") ||
            die "cannot write $PWFILE"
    fi
    chmod 0600 "$PWFILE"
    pw=$(cat "$PWFILE")
    if ! mariadb --no-defaults --socket="$SOCK" -u"$ADMIN_USER" > "$DIR/setup.log" 2>&1 <<EOF
SET SESSION sql_log_bin = 0;
CREATE USER IF NOT EXISTS 'lifeboat'@'localhost' IDENTIFIED BY '$pw';
CREATE USER IF NOT EXISTS 'lifeboat'@'127.0.0.1' IDENTIFIED BY '$pw';
ALTER USER 'lifeboat'@'localhost' IDENTIFIED BY '$pw';
ALTER USER 'lifeboat'@'127.0.0.1' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON *.* TO 'lifeboat'@'localhost';
GRANT ALL PRIVILEGES ON *.* TO 'lifeboat'@'127.0.0.1';
EOF
    then
        warn "cannot create the lifeboat user"
        show_log "$DIR/setup.log"
        cmd_stop >/dev/null 2>&1
        exit 1
    fi
    (umask 077 && printf '[client]\nuser=lifeboat\npassword=%s\nsocket=%s\n' \
        "$pw" "$SOCK" > "$DIR/lifeboat.cnf") || die "cannot write $DIR/lifeboat.cnf"
    : > "$DIR/.initialised"

    write_env
    echo "$PROG: MariaDB (pid $SERVER_PID) up on $SOCK and 127.0.0.1:$PORT; source $DIR/env"
}

cmd_stop() {
    local pid="" p asked
    if [ ! -d "$DIR" ]; then
        echo "$PROG: $DIR does not exist; nothing to stop"
        return 0
    fi
    # Our own record of the pid is written at launch; the server's pid file
    # appears only once it is up.  Either may be missing after a failed start.
    for p in "$OURPID" "$PIDFILE"; do
        if [ -s "$p" ] && is_our_server "$(cat "$p")"; then
            pid=$(cat "$p")
            break
        fi
    done

    # Ask politely over the socket; a server still starting up (no socket
    # yet) or not answering gets SIGTERM, which mariadbd also treats as a
    # clean shutdown; one that ignores both gets SIGKILL.
    asked=0
    if [ -S "$SOCK" ] && ping_server &&
       run_timeout 15 \
           mariadb-admin --no-defaults --connect-timeout=5 --socket="$SOCK" \
           -u"$ADMIN_USER" --shutdown-timeout=0 shutdown \
           >/dev/null 2>&1; then
        asked=1
    fi

    if [ -n "$pid" ]; then
        if [ "$asked" -eq 0 ]; then
            kill -TERM "$pid" 2>/dev/null
        fi
        if ! wait_gone "$pid" "$SHUTDOWN_TIMEOUT"; then
            if [ "$asked" -eq 1 ]; then
                warn "mariadbd (pid $pid) still running; sending SIGTERM"
                kill -TERM "$pid" 2>/dev/null
            fi
            if ! wait_gone "$pid" "$TERM_TIMEOUT"; then
                warn "mariadbd (pid $pid) still running; sending SIGKILL"
                kill -KILL "$pid" 2>/dev/null
                wait_gone "$pid" 10 || die "cannot stop mariadbd (pid $pid)"
            fi
        fi
    elif [ -S "$SOCK" ] && ping_server; then
        die "a server answers on $SOCK but its pid is unknown; not stopped"
    fi
    rm -f "$OURPID"
    echo "$PROG: stopped MariaDB in $DIR"
    return 0
}

[ $# -eq 2 ] || usage
set_paths "$2"
case $1 in
    start) cmd_start ;;
    stop) cmd_stop ;;
    *) usage ;;
esac

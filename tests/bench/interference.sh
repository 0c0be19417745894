#!/bin/bash
# tests/bench/interference.sh — which kinds of background work delay a
# database's clients on this machine, and which do not (issue 8's p99).
#
# The same fixed-rate read workload (sysbench oltp_point_select, one thread)
# runs for a window while, in turn, each background load below runs beside it.
# The data is small and fully in the buffer pool, so the workload does no disk
# I/O: what shows is what the load does to the workload's CPU scheduling and
# to the kernel's shared paths, not to the disk.
#
#   tests/bench/interference.sh [--window-s S] [--rate TPS] [--write-mbs N] [--keep]
#
#   --window-s S    seconds per phase (default 20)
#   --rate TPS      workload transactions per second (default 200)
#   --write-mbs N   rate of the two file-writing loads, MB/s (default 40,
#                   about lifeboat's default io_limit)
#   --keep          leave the work directory in place
#
# Run as root on Debian 12: installs what it needs with apt-get, builds the
# project if build/daemon/lifeboat is missing, starts a private MariaDB with
# tests/mariadb.sh in a fresh /tmp/lifeboat-interference.XXXXXX and stops it
# whatever happens.  Not part of the test suite.  Exit status: 0 every phase
# ran, 1 setup or a phase failed, 2 bad usage.

set -u

PROG="interference.sh"
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)

WINDOW_S=20
RATE=200
WRITE_MBS=40
KEEP=0
SIZE_MB=200             # sysbench data; the buffer pool is made to hold it all
TABLES=2
ROW_BYTES=225
BUFFER_POOL_MB=1024

die() {
    echo "$PROG: $*" >&2
    exit 1
}

usage() {
    sed -n '9,15p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

is_uint() {
    case $1 in '' | *[!0-9]*) return 1 ;; esac
    [ "$1" -ge 1 ]
}

while [ $# -gt 0 ]; do
    case $1 in
        --window-s) [ $# -ge 2 ] || usage; WINDOW_S=$2; shift 2 ;;
        --rate) [ $# -ge 2 ] || usage; RATE=$2; shift 2 ;;
        --write-mbs) [ $# -ge 2 ] || usage; WRITE_MBS=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h | --help) usage ;;
        *) echo "$PROG: unknown argument: $1" >&2; usage ;;
    esac
done
for v in "$WINDOW_S" "$RATE" "$WRITE_MBS"; do
    is_uint "$v" || { echo "$PROG: --window-s, --rate and --write-mbs want positive integers" >&2; exit 2; }
done
[ "$(id -u)" -eq 0 ] || die "run me as root (apt-get; tests/mariadb.sh runs mariadbd as mysql; chrt)"

log() {
    printf '[%s] %s\n' "$(date +%T)" "$*" >&2
}

# shellcheck source=tests/bench/lib.sh
. "$SRCDIR/tests/bench/lib.sh"
bench_need_pkgs sysbench mariadb-server mariadb-client python3 pv util-linux coreutils

LIFEBOAT=$SRCDIR/build/daemon/lifeboat
if [ ! -x "$LIFEBOAT" ]; then
    log "building lifeboat ($LIFEBOAT is missing)"
    "$SRCDIR/tests/install-deps.sh" || die "tests/install-deps.sh failed"
    [ -d "$SRCDIR/build" ] || (cd "$SRCDIR" && meson setup build >/dev/null) || die "meson setup build failed"
    ninja -C "$SRCDIR/build" >/dev/null || die "ninja -C build failed"
fi

WORK=$(mktemp -d /tmp/lifeboat-interference.XXXXXX) || die "mktemp failed"
chmod 0755 "$WORK"
MDIR=$WORK/mysql
OUT=$WORK/out
mkdir -p "$OUT"
SERVER_STARTED=0
LOAD_PGID=""

# shellcheck disable=SC2317  # invoked by the traps
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    [ -n "$LOAD_PGID" ] && kill -- "-$LOAD_PGID" 2>/dev/null
    if [ "$SERVER_STARTED" -eq 1 ]; then
        "$SRCDIR/tests/mariadb.sh" stop "$MDIR" >/dev/null 2>&1 ||
            echo "$PROG: could not stop the MariaDB in $MDIR" >&2
    fi
    if [ "$KEEP" -eq 1 ]; then
        echo "$PROG: kept $WORK" >&2
    else
        case $WORK in /tmp/lifeboat-interference.?*) rm -rf -- "$WORK" ;; esac
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

bench_start_server
bench_build_sbtest
sql "SET GLOBAL innodb_buffer_pool_size = $((BUFFER_POOL_MB * 1048576))" || die "cannot resize the buffer pool"
for _ in $(seq 1 300); do
    st=$(sql "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_resize_status'" | cut -f2-)
    case $st in '' | *[Cc]ompleted* | *[Ff]inished*) break ;; esac
    sleep 0.2
done
sql "CHECKSUM TABLE $QTABLES" > /dev/null || die "warm-up CHECKSUM TABLE failed"

# The busy and duty-cycled loops: python, one process per CPU, each as its
# own scheduling entity.  duty BUSY_US SLEEP_US POLICY: POLICY is idle (SCHED_IDLE)
# or a nice value; SLEEP_US 0 = never sleep.
DUTY=$WORK/duty.py
cat > "$DUTY" <<'EOF'
import os, sys, time
busy, nap, policy = int(sys.argv[1]) / 1e6, int(sys.argv[2]) / 1e6, sys.argv[3]
if policy == "idle":
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
else:
    os.setpriority(os.PRIO_PROCESS, 0, int(policy))
clock = time.perf_counter
while True:
    t = clock()
    while clock() - t < busy:
        pass
    if nap:
        time.sleep(nap)
EOF
NCPU=$(nproc)

# load_start CMD: start a background load in its own process group.
load_start() {
    setsid bash -c "$1" > "$OUT/load.log" 2>&1 &
    LOAD_PGID=$!
}

load_stop() {
    [ -n "$LOAD_PGID" ] && kill -- "-$LOAD_PGID" 2>/dev/null
    wait "$LOAD_PGID" 2>/dev/null
    LOAD_PGID=""
}

duty_cmd() {
    local i cmd=""
    for ((i = 0; i < NCPU; i++)); do
        cmd="$cmd python3 $DUTY $1 $2 $3 &"
    done
    echo "$cmd wait"
}

# A file written at WRITE_MBS for the whole window, through the page cache
# (with dd's default buffered writes) or with O_DIRECT.
write_cmd() {
    local bytes=$((WRITE_MBS * 1000000 * (WINDOW_S + 5)))
    echo "head -c $bytes /dev/zero | pv -q -L ${WRITE_MBS}m | dd of=$WORK/written bs=1M iflag=fullblock $1 status=none"
}

lifeboat_cmd() {
    local d=$WORK/lb
    rm -rf "$d"
    mkdir -p "$d/state" && chmod 0700 "$d"
    cat > "$d/lifeboat.ini" <<EOF
[lifeboat]
store = $d/store
state_dir = $d/state
socket = $d/lifeboatd.sock
[db:bench]
schedule = @daily
socket = $SOCK
user = $LIFEBOAT_TEST_MYSQL_USER
password_file = $LIFEBOAT_TEST_MYSQL_PASSWORD_FILE
databases = sbtest
EOF
    echo "while :; do rm -rf $d/store; $LIFEBOAT -c $d/lifeboat.ini run bench --here < /dev/null || exit 1; done"
}

# phase NAME CMD: the workload for WINDOW_S seconds, CMD beside it (none: -).
phase() {
    local name=$1 cmd=$2 out
    out=$OUT/$(printf '%s' "$name" | tr -c 'a-zA-Z0-9.-' '_').sysbench
    log "phase: $name"
    [ "$cmd" = - ] || { load_start "$cmd"; sleep 1; }
    sysbench oltp_point_select --db-driver=mysql --mysql-socket="$SOCK" \
        --mysql-user="$ADMIN" --mysql-db=sbtest --tables="$TABLES" --table-size="$ROWS" \
        --threads=1 --rate="$RATE" --time="$WINDOW_S" --histogram=on --percentile=99 \
        run > "$out" 2>&1
    local st=$?
    [ "$cmd" = - ] || load_stop
    rm -f "$WORK/written"
    [ "$st" -eq 0 ] || { tail -n 20 "$out" >&2; die "phase $name: sysbench failed"; }
    printf '%s\t%s\n' "$name" "$out" >> "$OUT/phases.tsv"
}

: > "$OUT/phases.tsv"
phase "idle" -
phase "busy loops, nice 19" "$(duty_cmd 1000000 0 19)"
phase "busy loops, SCHED_IDLE" "$(duty_cmd 1000000 0 idle)"
phase "20ms on/10ms off, IDLE" "$(duty_cmd 20000 10000 idle)"
phase "2ms on/1ms off, IDLE" "$(duty_cmd 2000 1000 idle)"
phase "0.2ms on/0.1ms off, IDLE" "$(duty_cmd 200 100 idle)"
phase "write, page cache" "$(write_cmd "")"
phase "write, O_DIRECT" "$(write_cmd oflag=direct)"
phase "lifeboat default" "$(lifeboat_cmd)"

echo
echo "== Interference benchmark =="
KCONF=$( (zcat /proc/config.gz 2>/dev/null || cat "/boot/config-$(uname -r)" 2>/dev/null) |
         grep -E '^CONFIG_(HZ|PREEMPT_NONE|PREEMPT_VOLUNTARY|PREEMPT|PREEMPT_LAZY)=' | tr '\n' ' ')
echo "machine:  $NCPU CPU(s), kernel $(uname -r) ${KCONF:-(kernel config not readable)}"
echo "data:     sbtest $TABLES x $ROWS rows in a ${BUFFER_POOL_MB} MiB buffer pool (no disk reads)"
echo "workload: sysbench oltp_point_select, 1 thread, --rate=$RATE, ${WINDOW_S}s per phase"
echo "loads:    one python loop per CPU (busy, or on/off duty cycles); file writes at ${WRITE_MBS} MB/s;"
echo "          lifeboat run --here with no throttle key set, over and over"
echo
python3 - "$OUT/phases.tsv" <<'EOF' || die "the report failed"
import math, re, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
def parse(path):
    h, inh = [], False
    for line in open(path, errors="replace"):
        if line.startswith("Latency histogram"):
            inh = True
            continue
        if inh:
            m = re.match(r"^\s*([0-9.]+)\s+\|\**\s+(\d+)\s*$", line)
            if m:
                h.append((float(m.group(1)), int(m.group(2))))
                continue
            if "distribution" in line:
                continue
            inh = False
    n = sum(c for _, c in h)
    def pct(q):
        want, cum = math.ceil(q * n), 0
        for v, c in h:
            cum += c
            if cum >= want:
                return v
        return float("nan")
    return n, pct(.5), pct(.95), pct(.99), sum(c for v, c in h if v > 2)
res = [(name,) + parse(path) for name, path in rows]
idle = res[0][4]
print("%-26s %6s %6s %6s %6s %8s %6s" % ("phase", "n", "p50", "p95", "p99", "p99/idle", ">2ms"))
for name, n, p50, p95, p99, gt2 in res:
    print("%-26s %6d %6.2f %6.2f %6.2f %7.2fx %6d" % (name, n, p50, p95, p99, p99 / idle, gt2))
print()
print("Latencies in ms from sysbench's histogram.  Read: a load hurts the workload when it keeps")
print("a CPU for long stretches, whatever its priority; short stretches do not, and neither do")
print("writes that bypass the page cache.")
EOF

#!/bin/bash
# tests/bench/db-impact.sh — what a db dump does to the database's own clients
# (issues 8 and 21).  For each of several workloads (sysbench, one thread, at a
# fixed rate), in one run: the workload alone (idle), then beside
# mysqldump | gzip, then beside lifeboat with its default throttling; the
# workload's latency in each window is set against the same round's idle
# window, and each dump's time against the same round's gzip pipeline.  The
# whole set is repeated --runs times.  Once per invocation, with no workload,
# lifeboat's default dump is timed against today's fixed 40 MB/s paced dump
# (the controller of issue 21 must speed up when nobody is there).
#
#   tests/bench/db-impact.sh [--workload LIST] [--runs N] [--phases LIST]
#                            [--size-mb N] [--rate TPS] [--rw-rate TPS]
#                            [--window-s S] [--tables N] [--buffer-pool-mb N]
#                            [--no-quiet] [--json FILE] [--lifeboat PATH] [--keep]
#
#   --workload LIST     comma list of point, read_only, read_write, in_memory
#                       (default: all four; read_write always runs last)
#   --runs N            rounds; each runs every workload's phases (default 3)
#   --phases LIST       extra dump phases, comma list: zstd (mysqldump|zstd-3),
#                       unthrottled (lifeboat, all throttling off), all
#   --size-mb N         table data to build, in MB (10^6 bytes; default 1000)
#   --rate TPS          point, read_only and in_memory rate (default 200)
#   --rw-rate TPS       read_write rate (default 50; see below)
#   --window-s S        length of the idle window, seconds (default 30)
#   --tables N          sysbench tables (default: one per 125 MB, 1..16)
#   --buffer-pool-mb N  InnoDB buffer pool for every workload but in_memory,
#                       resized online at the start (default 128: Debian's)
#   --no-quiet          skip the two phases with no workload
#   --json FILE         also write every figure and the summary as JSON
#   --lifeboat PATH     the lifeboat binary (default: build/daemon/lifeboat)
#   --keep              leave the work directory (data, logs) in place
#
# Workloads (sysbench 1.0, one thread, Poisson arrivals at the rate):
#   point       oltp_point_select (one primary-key lookup per transaction)
#   read_only   oltp_read_only: 10 point lookups, a range scan, a SUM, an
#               ORDER BY and a DISTINCT over 100-row ranges (a CMS page)
#   read_write  oltp_read_write: read_only plus 2 UPDATEs, a DELETE and an
#               INSERT.  On the project's 2-core VM (1 GB of data, 128 MiB
#               pool, 20 s per rate) one thread ran 430-460 tps flat out (p99
#               10-13 ms), but at a fixed rate p99 was 9.4 ms at 50 tps,
#               19 ms at 100, 56-89 ms at 200-300 (InnoDB's flushing falls
#               behind): it holds about 100 tps, and the default, 50, is half
#   in_memory   oltp_read_only with the buffer pool resized online to
#               (data+index)*1.3 MiB and warmed (CHECKSUM TABLE and a
#               SELECT COUNT(*) by the primary key of every table); resized
#               back afterwards
#
# Run as root on Debian 12.  Installs what it needs with apt-get, builds the
# project if build/daemon/lifeboat is missing, starts a private MariaDB with
# tests/mariadb.sh in a fresh /tmp/lifeboat-impact.XXXXXX (never the system
# server) and stops it whatever happens.  Not part of the test suite.
#
# Exit status: 0 every phase ran (whether or not the targets were met); 1 the
# setup, the workload or a dumper failed; 2 bad usage.

set -u

PROG="db-impact.sh"
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)

SIZE_MB=1000
RATE=200
RW_RATE=50
WINDOW_S=30
TABLES=""
BUFFER_POOL_MB=128
WORKLOADS="point,read_only,read_write,in_memory"
RUNS=3
PHASES=""
QUIET=1
JSON_OUT=""
LIFEBOAT=""
KEEP=0
ROW_BYTES=225           # DATA_LENGTH per sysbench row, roughly (as db-dump.sh); lib.sh sizes the tables by it
LEAD_S=3                # workload runs this long before a dump starts
TAIL_S=2                # ... and this long after the dump (and its sync) ended
WARM_WL_S=5             # each workload runs this long, unmeasured, before its idle window
WARM_MEM_S=15           # ... in_memory this long, after its resize and warm-up
SETTLE_LOAD=0.6         # before a throttled lifeboat phase, wait for the 1-min load per CPU
SETTLE_MAX_S=120        # to fall to this (3/4 of its max_load gate), but no longer than this
DUMP_TIMEOUT_S=1800     # a dump running longer is killed and its phase fails
# sysbench runs with this --time and is ended early (see workload_stop): the
# value is also the marker looked for in its memory, so keep it unusual.
WL_TIME=86399

die() {
    echo "$PROG: $*" >&2
    exit 1
}

usage() {
    sed -n '12,32p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

is_uint() {
    case $1 in '' | *[!0-9]*) return 1 ;; esac
    return 0
}

while [ $# -gt 0 ]; do
    case $1 in
        --size-mb) [ $# -ge 2 ] || usage; SIZE_MB=$2; shift 2 ;;
        --size-mb=*) SIZE_MB=${1#*=}; shift ;;
        --rate) [ $# -ge 2 ] || usage; RATE=$2; shift 2 ;;
        --rate=*) RATE=${1#*=}; shift ;;
        --rw-rate) [ $# -ge 2 ] || usage; RW_RATE=$2; shift 2 ;;
        --rw-rate=*) RW_RATE=${1#*=}; shift ;;
        --window-s) [ $# -ge 2 ] || usage; WINDOW_S=$2; shift 2 ;;
        --window-s=*) WINDOW_S=${1#*=}; shift ;;
        --tables) [ $# -ge 2 ] || usage; TABLES=$2; shift 2 ;;
        --tables=*) TABLES=${1#*=}; shift ;;
        --buffer-pool-mb) [ $# -ge 2 ] || usage; BUFFER_POOL_MB=$2; shift 2 ;;
        --buffer-pool-mb=*) BUFFER_POOL_MB=${1#*=}; shift ;;
        --workload | --workloads) [ $# -ge 2 ] || usage; WORKLOADS=$2; shift 2 ;;
        --workload=* | --workloads=*) WORKLOADS=${1#*=}; shift ;;
        --runs) [ $# -ge 2 ] || usage; RUNS=$2; shift 2 ;;
        --runs=*) RUNS=${1#*=}; shift ;;
        --phases) [ $# -ge 2 ] || usage; PHASES=$2; shift 2 ;;
        --phases=*) PHASES=${1#*=}; shift ;;
        --no-quiet) QUIET=0; shift ;;
        --json) [ $# -ge 2 ] || usage; JSON_OUT=$2; shift 2 ;;
        --json=*) JSON_OUT=${1#*=}; shift ;;
        --lifeboat) [ $# -ge 2 ] || usage; LIFEBOAT=$2; shift 2 ;;
        --lifeboat=*) LIFEBOAT=${1#*=}; shift ;;
        --keep) KEEP=1; shift ;;
        -h | --help) usage ;;
        *) echo "$PROG: unknown argument: $1" >&2; usage ;;
    esac
done
# positive NAME VALUE: exit 2 unless VALUE is a positive integer.
positive() {
    if ! is_uint "$2" || [ "$2" -lt 1 ]; then
        echo "$PROG: $1 wants a positive integer" >&2
        exit 2
    fi
}
positive --size-mb "$SIZE_MB"
positive --rate "$RATE"
positive --rw-rate "$RW_RATE"
positive --window-s "$WINDOW_S"
positive --runs "$RUNS"
positive --buffer-pool-mb "$BUFFER_POOL_MB"
if [ -n "$TABLES" ]; then
    positive --tables "$TABLES"
else
    TABLES=$((SIZE_MB / 125))
    [ "$TABLES" -ge 1 ] || TABLES=1
    [ "$TABLES" -le 16 ] || TABLES=16
fi
# The workloads in the order they run: the read-only ones first (in the order
# given), read_write last, since it changes the data the others read.
WL_LIST=""
WL_RW=0
IFS=, read -r -a _wl <<< "$WORKLOADS"
for w in "${_wl[@]}"; do
    case $w in
        point | read_only | in_memory)
            case " $WL_LIST " in *" $w "*) ;; *) WL_LIST="$WL_LIST $w" ;; esac ;;
        read_write) WL_RW=1 ;;
        *) echo "$PROG: --workload: unknown workload '$w' (point, read_only, read_write, in_memory)" >&2; exit 2 ;;
    esac
done
[ "$WL_RW" -eq 1 ] && WL_LIST="$WL_LIST read_write"
WL_LIST=${WL_LIST# }
[ -n "$WL_LIST" ] || { echo "$PROG: --workload: no workload given" >&2; exit 2; }
EXTRA_ZSTD=0
EXTRA_UNTHR=0
IFS=, read -r -a _ph <<< "$PHASES"
for p in "${_ph[@]}"; do
    case $p in
        zstd | zstd-3) EXTRA_ZSTD=1 ;;
        unthrottled) EXTRA_UNTHR=1 ;;
        all) EXTRA_ZSTD=1; EXTRA_UNTHR=1 ;;
        '') ;;
        *) echo "$PROG: --phases: unknown phase '$p' (zstd, unthrottled, all)" >&2; exit 2 ;;
    esac
done
if [ -n "$JSON_OUT" ]; then
    : > "$JSON_OUT" 2>/dev/null || { echo "$PROG: --json: cannot write $JSON_OUT" >&2; exit 2; }
    JSON_OUT=$(cd "$(dirname "$JSON_OUT")" && pwd)/$(basename "$JSON_OUT")
fi
[ "$(id -u)" -eq 0 ] || die "run me as root (apt-get, tests/mariadb.sh runs mariadbd as mysql, and the workload is stopped through /proc/PID/mem)"

log() {
    printf '[%s] %s\n' "$(date +%T)" "$*" >&2
}

# ---------------------------------------------------------------- packages
# shellcheck source=tests/bench/lib.sh
. "$SRCDIR/tests/bench/lib.sh"

# binutils: nm, to find sysbench's sb_globals (see workload_stop).
bench_need_pkgs sysbench mariadb-server mariadb-client zstd gzip python3 coreutils binutils

# ---------------------------------------------------------------- lifeboat
if [ -z "$LIFEBOAT" ]; then
    LIFEBOAT=$SRCDIR/build/daemon/lifeboat
    if [ ! -x "$LIFEBOAT" ]; then
        log "building lifeboat ($LIFEBOAT is missing)"
        "$SRCDIR/tests/install-deps.sh" || die "tests/install-deps.sh failed"
        if [ ! -d "$SRCDIR/build" ]; then
            (cd "$SRCDIR" && meson setup build >/dev/null) || die "meson setup build failed"
        fi
        ninja -C "$SRCDIR/build" >/dev/null || die "ninja -C build failed"
        [ -x "$LIFEBOAT" ] || die "the build made no $LIFEBOAT"
    fi
fi
[ -x "$LIFEBOAT" ] || die "$LIFEBOAT: not an executable"
"$LIFEBOAT" --help 2>&1 | grep -qE '^[[:space:]]+run[[:space:]]' ||
    die "$LIFEBOAT has no 'run' command (see its --help)"

# ---------------------------------------------------------------- work dir, server
WORK=$(mktemp -d /tmp/lifeboat-impact.XXXXXX) || die "mktemp failed"
chmod 0755 "$WORK"      # the mysql user must traverse it to reach $MDIR
MDIR=$WORK/mysql
OUT=$WORK/out
mkdir -p "$OUT" && chmod 0700 "$OUT"
SERVER_STARTED=0
WL_PID=""               # the running workload (sysbench), if any

# shellcheck disable=SC2317  # invoked by the traps
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [ -n "$WL_PID" ] && kill -0 "$WL_PID" 2>/dev/null; then
        kill "$WL_PID" 2>/dev/null
        wait "$WL_PID" 2>/dev/null
    fi
    if [ "$SERVER_STARTED" -eq 1 ]; then
        "$SRCDIR/tests/mariadb.sh" stop "$MDIR" >/dev/null 2>&1 ||
            echo "$PROG: could not stop the MariaDB in $MDIR" >&2
    fi
    if [ "$KEEP" -eq 1 ]; then
        echo "$PROG: kept $WORK" >&2
    else
        case $WORK in
            /tmp/lifeboat-impact.?*) rm -rf -- "$WORK" ;;
        esac
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

bench_start_server


# ---------------------------------------------------------------- data
bench_build_sbtest

# bp_resize MIB: resize InnoDB's buffer pool online and wait until it is done.
# The SET only asks for it (a thread of the server resizes), and MariaDB 10.11
# clears the resize status when done, so "done" is: the pool's pages come to
# the size asked for (within -5%/+50%: the server may round up to whole
# chunks) and the status shows no resize in progress.  Sets BP_NOW (MiB).
bp_resize() {
    local want=$(($1 * 1048576)) st=- ok i
    sql "SET GLOBAL innodb_buffer_pool_size = $want" ||
        die "cannot resize the buffer pool to $1 MiB"
    for ((i = 0; i < 1800; i++)); do
        ok=$(sql "SELECT VARIABLE_VALUE * @@innodb_page_size BETWEEN $want * 0.95 AND $want * 1.5
                  FROM information_schema.GLOBAL_STATUS
                  WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_TOTAL'")
        st=$(sql "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_resize_status'" | cut -f2-)
        if [ "$ok" = 1 ]; then
            case $st in
                *[Rr]equest* | *[Rr]esizing\ buffer\ pool\ from* | *[Ww]ithdraw* | *[Ll]atching* | *[Rr]esizing\ hash* | *[Rr]esizing\ also*) ;;
                *) break ;;
            esac
        fi
        sleep 0.2
    done
    [ "$i" -lt 1800 ] || die "the buffer pool did not come to $1 MiB in 360 s (status: $st)"
    BP_NOW=$(sql "SELECT @@innodb_buffer_pool_size DIV 1048576")
}

log "resizing the buffer pool to ${BUFFER_POOL_MB} MiB"
bp_resize "$BUFFER_POOL_MB"
BUFFER_POOL=$BP_NOW
# in_memory: a pool a third larger than the data and its indexes.
MEM_POOL_MB=$(awk -v d="$DATA_BYTES" -v i="$INDEX_BYTES" -v b="$BUFFER_POOL_MB" \
    'BEGIN { m = int((d + i) * 1.3 / 1048576 + 0.999); if (m < b) m = b; print m }')
FLUSH_METHOD=$(sql "SELECT @@innodb_flush_method")
SERVER_VERSION=$(sql "SELECT VERSION()")

# Warm-up: one full read of every table before the first phase, so no phase
# pays for first reads the others do not.  The page cache is NOT dropped
# between phases (that could not be fair to both the pipelines and lifeboat);
# each phase starts from what the one before left.
log "warm-up: CHECKSUM TABLE of every table"
t0=$EPOCHREALTIME
sql "CHECKSUM TABLE $QTABLES" > "$WORK/checksums.txt" || die "warm-up CHECKSUM TABLE failed"
WARM_S=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')

# ---------------------------------------------------------------- controller?
# Issue 21's controller is configured by max_latency_increase (a throttle key:
# [lifeboat] for every job, or a job's section).  A binary without it refuses
# the key; then the fixed-rate quiet phase runs without it (io_limit alone
# then is today's paced dump).
CTRL_SECTION=""
ctrl_probe() {
    local sect=$1 d=$WORK/ctrl-probe
    mkdir -p "$d" && chmod 0700 "$d"
    {
        echo "[lifeboat]"
        echo "store = $d/store"
        echo "state_dir = $d/state"
        echo "socket = $d/lifeboatd.sock"
        [ "$sect" = lifeboat ] && echo "max_latency_increase = 25%"
        bench_db_section
        [ "$sect" = db ] && echo "max_latency_increase = 25%"
    } > "$d/lifeboat.ini"
    "$LIFEBOAT" -c "$d/lifeboat.ini" check-config > "$d/$sect.out" 2>&1
}
if ctrl_probe lifeboat; then
    CTRL_SECTION=lifeboat
elif ctrl_probe db; then
    CTRL_SECTION=db
fi
if [ -n "$CTRL_SECTION" ]; then
    CTRL_NOTE="controller: max_latency_increase accepted (in [$CTRL_SECTION])"
else
    CTRL_NOTE="no controller in this binary (check-config: $(head -n 1 "$WORK/ctrl-probe/lifeboat.out" | sed 's/^[^ ]*: //'))"
fi
log "$CTRL_NOTE"

# ---------------------------------------------------------------- helpers
NCPU=$(nproc)

elapsed() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'
}

load_per_cpu() {
    awk -v n="$NCPU" '{ printf "%.2f", $1 / n }' /proc/loadavg
}

# settle: wait (up to SETTLE_MAX_S) for the 1-minute load average per CPU to
# fall to SETTLE_LOAD.  Only lifeboat's throttling reads the load average
# (its gate holds a job back above max_load = 0.8 per CPU, and it pauses
# above it), and a load average lags by a minute: without this it would be
# held back by the load the phases before it left, which the other phases,
# which do not look at the load average, never are.
settle() {
    local i l
    for ((i = 0; i < SETTLE_MAX_S; i++)); do
        l=$(load_per_cpu)
        awk -v l="$l" -v t="$SETTLE_LOAD" 'BEGIN { exit !(l <= t) }' && break
        [ "$i" -eq 0 ] && log "  waiting for the load to settle (now $l per CPU)"
        sleep 1
    done
    [ "$i" -lt "$SETTLE_MAX_S" ] || log "  the load is still $l per CPU after ${SETTLE_MAX_S}s: going on"
}

# counters: one line "reads requests made_young made_not_young psi_cpu_us
# psi_io_us" — the server's buffer-pool counters and the kernel's PSI
# "some" totals (microseconds; '-' without /proc/pressure).
counters() {
    local bp cpu io
    bp=$(sql "SELECT GROUP_CONCAT(VARIABLE_VALUE ORDER BY FIELD(VARIABLE_NAME,
                'INNODB_BUFFER_POOL_READS', 'INNODB_BUFFER_POOL_READ_REQUESTS',
                'INNODB_BUFFER_POOL_PAGES_MADE_YOUNG', 'INNODB_BUFFER_POOL_PAGES_MADE_NOT_YOUNG')
                SEPARATOR ' ')
              FROM information_schema.GLOBAL_STATUS
              WHERE VARIABLE_NAME IN ('INNODB_BUFFER_POOL_READS', 'INNODB_BUFFER_POOL_READ_REQUESTS',
                'INNODB_BUFFER_POOL_PAGES_MADE_YOUNG', 'INNODB_BUFFER_POOL_PAGES_MADE_NOT_YOUNG')")
    case $bp in *[0-9]' '*[0-9]' '*[0-9]' '*[0-9]*) ;; *) bp="- - - -" ;; esac
    cpu=$(awk '/^some/ { sub("total=", "", $5); print $5 }' /proc/pressure/cpu 2>/dev/null)
    io=$(awk '/^some/ { sub("total=", "", $5); print $5 }' /proc/pressure/io 2>/dev/null)
    echo "$bp ${cpu:--} ${io:--}"
}

# workload_start WORKLOAD FILE-SLUG: start the workload in the background:
# WL_PID, WL_OUT.  sysbench logs in as MariaDB's root over the socket
# (unix_socket auth: no password).  --histogram prints every latency bucket
# at the end, which gives exact counts above 10 and 50 ms;
# --report-interval=1 gives p99 for every second.
workload_start() {
    local test rate
    case $1 in
        point) test=oltp_point_select; rate=$RATE ;;
        read_only | in_memory) test=oltp_read_only; rate=$RATE ;;
        read_write) test=oltp_read_write; rate=$RW_RATE ;;
    esac
    WL_OUT=$OUT/$2.sysbench
    sysbench "$test" --db-driver=mysql --mysql-socket="$SOCK" \
        --mysql-user="$ADMIN" --mysql-db=sbtest \
        --tables="$TABLES" --table-size="$ROWS" \
        --threads=1 --rate="$rate" --time="$WL_TIME" --forced-shutdown=3600 \
        --report-interval=1 --percentile=99 --histogram=on \
        run > "$WL_OUT" 2>&1 &
    WL_PID=$!
    for _ in $(seq 1 300); do
        grep -q '^Threads started!' "$WL_OUT" && return 0
        kill -0 "$WL_PID" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$WL_OUT" >&2
    die "the workload (sysbench) did not start"
}

# workload_stop: end the workload so that it still prints its report.
# sysbench 1.0 has no signal that does that: SIGINT/SIGTERM kill it without
# a report, and its SIGALRM forced shutdown prints no histogram.  Its event
# loop ends when the elapsed time reaches sb_globals.max_time_ns, so that
# field (found by its value, WL_TIME in ns, in the exported sb_globals) is
# set to 1 ns through /proc/PID/mem; the run then ends after the transaction
# in flight and prints everything.  If that fails, SIGALRM (armed by
# --forced-shutdown) still gives max and p99, without the histogram.
WL_STOPPED_BY=""
workload_stop() {
    local i
    WL_STOPPED_BY=mem
    if ! python3 - "$WL_PID" "$WL_TIME" 2> "$WL_OUT.poke" <<'EOF'
import os, struct, subprocess, sys
pid, secs = int(sys.argv[1]), int(sys.argv[2])
exe = os.readlink("/proc/%d/exe" % pid)
with open(exe, "rb") as f:
    e_type = struct.unpack("<H", f.read(18)[16:18])[0]
base = 0
if e_type == 3:   # ET_DYN (PIE): symbol values are offsets from the load base
    for line in open("/proc/%d/maps" % pid):
        f = line.split()
        if len(f) >= 6 and f[5] == exe and int(f[2], 16) == 0:
            base = int(f[0].split("-")[0], 16)
            break
    else:
        sys.exit("no mapping of %s at offset 0" % exe)
nm = subprocess.run(["nm", "-D", "--defined-only", exe], capture_output=True, text=True)
syms = [l.split() for l in nm.stdout.splitlines()]
off = [int(s[0], 16) for s in syms if len(s) == 3 and s[2] == "sb_globals"]
if not off:
    sys.exit("%s exports no sb_globals" % exe)
addr = base + off[0]
want = struct.pack("<Q", secs * 10**9)
with open("/proc/%d/mem" % pid, "r+b", buffering=0) as m:
    m.seek(addr)
    buf = m.read(256)
    at = buf.find(want)
    if at < 0 or buf.find(want, at + 1) >= 0:
        sys.exit("max_time_ns not found once in sb_globals")
    m.seek(addr + at)
    m.write(struct.pack("<Q", 1))
EOF
    then
        WL_STOPPED_BY=alarm
        log "  could not end sysbench through /proc/$WL_PID/mem ($(tail -n 1 "$WL_OUT.poke")); SIGALRM: no histogram"
        kill -ALRM "$WL_PID" 2>/dev/null
    fi
    for ((i = 0; i < 100; i++)); do
        kill -0 "$WL_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$WL_PID" 2>/dev/null; then
        if [ "$WL_STOPPED_BY" = mem ]; then
            WL_STOPPED_BY=alarm
            log "  sysbench did not end; SIGALRM: no histogram"
            kill -ALRM "$WL_PID" 2>/dev/null
            sleep 2
        fi
        kill -0 "$WL_PID" 2>/dev/null && kill -KILL "$WL_PID" 2>/dev/null
    fi
    wait "$WL_PID" 2>/dev/null
    WL_PID=""
    grep -q '^General statistics:' "$WL_OUT" || {
        tail -n 20 "$WL_OUT" >&2
        die "the workload (sysbench) ended without its report"
    }
}

# The manifest the report reads: one tab-separated line per phase.
MANIFEST=$OUT/phases.tsv
: > "$MANIFEST"
FAILED=0

# manifest ROUND WORKLOAD NAME DUMP_S SYSBENCH_FILE RECORD_FILE START_LOAD
#          STOPPED_BY FAILURE WINDOW_S COUNTERS_BEFORE COUNTERS_AFTER
manifest() {
    local IFS=$'\t'
    printf '%s\n' "$*" >> "$MANIFEST"
}

# fail_phase NAME MESSAGE STDERR-FILE...: report a dumper's failure.
PHASE_FAIL=""
fail_phase() {
    local n=$1 f
    PHASE_FAIL=$2
    FAILED=1
    echo "$PROG: $n: $2" >&2
    shift 2
    for f in "$@"; do
        if [ -s "$f" ]; then
            echo "---- $(basename "$f") (last 20 lines) ----" >&2
            tail -n 20 "$f" >&2
        fi
    done
    [ $# -gt 0 ] && echo "----" >&2
}

slug() {
    printf '%s' "$1" | tr -c 'a-zA-Z0-9.-' '_'
}

# dump_pipeline SLUG NAME EXT COMPRESSOR-ARGV...: mariadb-dump | COMPRESSOR >
# file, then sync of the file.  Sets DUMP_S (or PHASE_FAIL) and DUMP_FILE.
dump_pipeline() {
    local s=$1 n=$2 ext=$3 t0 st
    shift 3
    DUMP_FILE=$OUT/$s.sql.$ext
    t0=$EPOCHREALTIME
    timeout "$DUMP_TIMEOUT_S" mariadb-dump --defaults-file="$CNF" \
            --single-transaction --routines --triggers --events --databases sbtest \
            2> "$OUT/$s.dump.err" |
        "$@" > "$DUMP_FILE" 2> "$OUT/$s.comp.err"
    st=("${PIPESTATUS[@]}")
    sync -- "$DUMP_FILE"
    DUMP_S=$(elapsed "$t0" "$EPOCHREALTIME")
    if [ "${st[0]}" -ne 0 ] || [ "${st[1]}" -ne 0 ]; then
        fail_phase "$n" "failed (mariadb-dump exit ${st[0]}, $1 exit ${st[1]})" \
            "$OUT/$s.dump.err" "$OUT/$s.comp.err"
    fi
}

# check_pipeline SLUG NAME: untimed, after the window: the output is complete.
check_pipeline() {
    local s=$1 n=$2
    case $DUMP_FILE in
        *.gz) gzip -dc "$DUMP_FILE" 2> "$OUT/$s.check.err" | tail -n 1 > "$OUT/$s.last" ;;
        *.zst) zstd -dcq "$DUMP_FILE" 2> "$OUT/$s.check.err" | tail -n 1 > "$OUT/$s.last" ;;
    esac
    grep -q '^-- Dump completed' "$OUT/$s.last" ||
        fail_phase "$n" "its output does not decompress to a complete dump" "$OUT/$s.check.err"
    rm -f "$DUMP_FILE"
}

# dump_lifeboat SLUG NAME MODE: lifeboat -c CFG run bench --here, then sync of
# what it wrote.  MODE: default (no throttle key), unthrottled (all
# throttling off), fixed (io_limit = 40M and, with a controller,
# max_latency_increase = 0%: today's paced dump).  Sets DUMP_S (or
# PHASE_FAIL) and LB_DIR.
dump_lifeboat() {
    local s=$1 n=$2 mode=$3 cfg t0 st
    LB_DIR=$OUT/$s
    rm -rf "$LB_DIR"
    mkdir -p "$LB_DIR/state" && chmod 0700 "$LB_DIR"
    cfg=$LB_DIR/lifeboat.ini
    {
        echo "[lifeboat]"
        echo "store = $LB_DIR/store"
        echo "state_dir = $LB_DIR/state"
        echo "socket = $LB_DIR/lifeboatd.sock"
        case $mode in
            unthrottled)
                echo "max_load = 0"
                echo "max_io_pressure = 0%"
                echo "io_limit = 0"
                [ "$CTRL_SECTION" = lifeboat ] && echo "max_latency_increase = 0%"
                echo "nice = 0"
                echo "ionice = none" ;;
            fixed)
                echo "io_limit = 40M"
                [ "$CTRL_SECTION" = lifeboat ] && echo "max_latency_increase = 0%" ;;
        esac
        bench_db_section
        [ "$mode" = unthrottled ] && echo "max_threads_running = 0"
        [ "$mode" = unthrottled ] && [ "$CTRL_SECTION" = db ] && echo "max_latency_increase = 0%"
        [ "$mode" = fixed ] && [ "$CTRL_SECTION" = db ] && echo "max_latency_increase = 0%"
    } > "$cfg"
    t0=$EPOCHREALTIME
    timeout "$DUMP_TIMEOUT_S" "$LIFEBOAT" -c "$cfg" run bench --here \
        > "$LB_DIR/stdout" 2> "$LB_DIR/stderr" < /dev/null
    st=$?
    # lifeboat fsyncs its own files; this sync is for symmetry with the pipelines.
    find "$LB_DIR/store" -type f -exec sync -- {} + 2>/dev/null
    DUMP_S=$(elapsed "$t0" "$EPOCHREALTIME")
    [ "$st" -eq 0 ] ||
        fail_phase "$n" "lifeboat run bench --here exited $st" "$LB_DIR/stderr" "$LB_DIR/stdout"
}

# check_lifeboat SLUG NAME: untimed, after the window: an artifact that
# decompresses and a record (copied to LB_RECORD).
check_lifeboat() {
    local s=$1 n=$2 art rec
    art=$(find "$LB_DIR/store" -type f -name '*.sql.zst' 2>/dev/null | head -n 1)
    rec=$(find "$LB_DIR/store" -type f -name '*.json' 2>/dev/null | head -n 1)
    LB_RECORD=-
    if [ -z "$art" ] || [ -z "$rec" ]; then
        fail_phase "$n" "exited 0 but left no .sql.zst + .json in $LB_DIR/store" "$LB_DIR/stderr"
        return
    fi
    LB_RECORD=$OUT/$s.record.json
    cp "$rec" "$LB_RECORD"
    zstd -tq "$art" 2> "$LB_DIR/zstd-t.err" ||
        fail_phase "$n" "its artifact does not decompress: $art" "$LB_DIR/zstd-t.err"
    [ "$KEEP" -eq 1 ] || rm -rf "$LB_DIR/store"
}

# phase ROUND WORKLOAD NAME KIND [ARGS...]: one window of the workload around
# one dump (KIND idle, pipeline EXT ARGV..., lifeboat MODE).
phase() {
    local r=$1 w=$2 n=$3 kind=$4 load s t0 c0 c1 win
    shift 4
    s=r$r-$w-$(slug "$n")
    log "round $r, $w: $n"
    [ "$kind" = lifeboat ] && [ "$1" != unthrottled ] && settle
    load=$(load_per_cpu)
    PHASE_FAIL=""
    DUMP_S=-
    LB_RECORD=-
    c0=$(counters)
    t0=$EPOCHREALTIME
    workload_start "$w" "$s"
    if [ "$kind" = idle ]; then
        sleep "$WINDOW_S"
    else
        sleep "$LEAD_S"
        case $kind in
            pipeline) dump_pipeline "$s" "$n" "$@" ;;
            lifeboat) dump_lifeboat "$s" "$n" "$@" ;;
        esac
        sleep "$TAIL_S"
    fi
    workload_stop
    c1=$(counters)
    win=$(elapsed "$t0" "$EPOCHREALTIME")
    if [ -z "$PHASE_FAIL" ]; then
        case $kind in
            pipeline) check_pipeline "$s" "$n" ;;
            lifeboat) check_lifeboat "$s" "$n" ;;
        esac
    fi
    [ "$kind" = idle ] || log "  dump ${DUMP_S}s${PHASE_FAIL:+ (FAILED)}"
    manifest "$r" "$w" "$n" "$DUMP_S" "$WL_OUT" "$LB_RECORD" "$load" "$WL_STOPPED_BY" \
        "$PHASE_FAIL" "$win" "$c0" "$c1"
}

# quiet_phase NAME MODE: a lifeboat dump with no workload at all.
quiet_phase() {
    local n=$1 mode=$2 load s t0 c0 c1 win
    s=quiet-$(slug "$n")
    log "quiet: $n"
    settle
    load=$(load_per_cpu)
    PHASE_FAIL=""
    LB_RECORD=-
    c0=$(counters)
    t0=$EPOCHREALTIME
    dump_lifeboat "$s" "$n" "$mode"
    c1=$(counters)
    win=$(elapsed "$t0" "$EPOCHREALTIME")
    [ -z "$PHASE_FAIL" ] && check_lifeboat "$s" "$n"
    log "  dump ${DUMP_S}s${PHASE_FAIL:+ (FAILED)}"
    manifest 0 quiet "$n" "$DUMP_S" - "$LB_RECORD" "$load" - "$PHASE_FAIL" "$win" "$c0" "$c1"
}

# warm_workload WORKLOAD: run it unmeasured for WARM_WL_S, so its idle window
# does not start on pages the phase before it left in the pool; in_memory
# for WARM_MEM_S (in a small run its first idle seconds after the resize
# and the warm-up were 10-30x slower than the rest).
warm_workload() {
    workload_start "$1" "warm-$1"
    if [ "$1" = in_memory ]; then
        sleep "$WARM_MEM_S"
    else
        sleep "$WARM_WL_S"
    fi
    kill "$WL_PID" 2>/dev/null
    wait "$WL_PID" 2>/dev/null
    WL_PID=""
}

# in_memory_pool: grow the pool past the data and read every table into it.
in_memory_pool() {
    local t
    log "in_memory: buffer pool to ${MEM_POOL_MB} MiB, warming it"
    bp_resize "$MEM_POOL_MB"
    MEM_POOL="${BP_NOW}M"
    sql "CHECKSUM TABLE $QTABLES" > /dev/null || die "in_memory warm-up: CHECKSUM TABLE failed"
    for t in ${QTABLES//,/ }; do
        sql "SELECT COUNT(*) FROM $t FORCE INDEX (PRIMARY)" > /dev/null ||
            die "in_memory warm-up: SELECT COUNT(*) FROM $t failed"
    done
}

# ---------------------------------------------------------------- the phases
MEM_POOL="not run"
T0=$EPOCHREALTIME
if [ "$QUIET" -eq 1 ]; then
    quiet_phase "lifeboat default, quiet" default
    quiet_phase "lifeboat fixed 40M, quiet" fixed
fi
for ((r = 1; r <= RUNS; r++)); do
    for w in $WL_LIST; do
        [ "$w" = in_memory ] && in_memory_pool
        warm_workload "$w"
        phase "$r" "$w" "idle" idle
        phase "$r" "$w" "mysqldump|gzip" pipeline gz gzip -6 -c
        [ "$EXTRA_ZSTD" -eq 1 ] && phase "$r" "$w" "mysqldump|zstd-3" pipeline zst zstd -3 -q -c
        [ "$EXTRA_UNTHR" -eq 1 ] && phase "$r" "$w" "lifeboat unthrottled" lifeboat unthrottled
        phase "$r" "$w" "lifeboat default" lifeboat default
        if [ "$w" = in_memory ]; then
            log "in_memory: buffer pool back to ${BUFFER_POOL_MB} MiB"
            bp_resize "$BUFFER_POOL_MB"
        fi
    done
done
PHASES_S=$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')

# ---------------------------------------------------------------- report
echo
echo "== Lifeboat db impact benchmark =="
echo "machine:   $NCPU CPU(s) ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r)"
echo "server:    MariaDB $SERVER_VERSION (private, tests/mariadb.sh), innodb_buffer_pool_size=${BUFFER_POOL}M"
echo "           (in_memory: $MEM_POOL), innodb_flush_method=$FLUSH_METHOD"
echo "data:      sbtest: $TABLES table(s) x $ROWS rows; DATA_LENGTH $(awk -v b="$DATA_BYTES" 'BEGIN { printf "%.1f", b / 1e6 }') MB, INDEX_LENGTH $(awk -v b="$INDEX_BYTES" 'BEGIN { printf "%.1f", b / 1e6 }') MB; built in ${PREP_S}s"
echo "warm-up:   CHECKSUM TABLE of every table once (${WARM_S}s); each workload runs ${WARM_WL_S}s (in_memory ${WARM_MEM_S}s) unmeasured"
echo "           before its idle window; the page cache is not dropped between phases"
echo "workloads: $WL_LIST (sysbench, 1 thread, Poisson arrivals; point/read_only/in_memory"
echo "           at $RATE tps, read_write at $RW_RATE tps), $RUNS round(s)"
echo "windows:   idle = ${WINDOW_S}s; dump phases = ${LEAD_S}s + dump + sync of its output + ${TAIL_S}s"
echo "           (each phase has its own sysbench run; phases took ${PHASES_S}s in all); before a"
echo "           throttled lifeboat phase the 1-min load average is let fall to $SETTLE_LOAD per CPU"
echo "           (at most ${SETTLE_MAX_S}s), below its max_load gate of 0.8"
echo "lifeboat:  $LIFEBOAT; default = no throttle key set; fixed 40M = io_limit 40M"
echo "           (+ max_latency_increase 0% with a controller); $CTRL_NOTE"
echo
export MANIFEST RATE RW_RATE JSON_OUT WINDOW_S RUNS WL_LIST NCPU SERVER_VERSION BUFFER_POOL \
    MEM_POOL TABLES ROWS DATA_BYTES INDEX_BYTES LIFEBOAT CTRL_SECTION CTRL_NOTE SIZE_MB PHASES_S
python3 - <<'EOF' || die "the report failed"
import json, math, os, re, statistics, sys

E = os.environ

def parse(path):
    """sysbench 1.0 run output -> dict of figures (None where absent)."""
    r = {"hist": [], "p99_1s": [], "window": None, "events": None,
         "max": None, "p99_sb": None}
    if path == "-":
        return r
    lines = open(path, errors="replace").read().splitlines()
    in_hist = False
    for line in lines:
        if line.startswith("Latency histogram"):
            in_hist = True
            continue
        if in_hist:
            m = re.match(r"^\s*([0-9.]+)\s+\|\**\s+(\d+)\s*$", line)
            if m:
                r["hist"].append((float(m.group(1)), int(m.group(2))))
                continue
            if "distribution" in line:
                continue
            in_hist = False
        m = re.match(r"^\[\s*\d+s \] thds: .*lat \(ms,99%\): ([0-9.]+)", line)
        if m:
            r["p99_1s"].append(float(m.group(1)))
        m = re.match(r"^\s+total time:\s+([0-9.]+)s", line)
        if m:
            r["window"] = float(m.group(1))
        m = re.match(r"^\s+total number of events:\s+(\d+)", line)
        if m:
            r["events"] = int(m.group(1))
        m = re.match(r"^\s+max:\s+([0-9.]+)", line)
        if m:
            r["max"] = float(m.group(1))
        m = re.match(r"^\s+99th percentile:\s+([0-9.]+)", line)
        if m:
            r["p99_sb"] = float(m.group(1))
    h = r["hist"]
    n = sum(c for _, c in h)
    def pct(q):
        if not n:
            return None
        want, cum = math.ceil(q * n), 0
        for v, c in h:
            cum += c
            if cum >= want:
                return v
        return h[-1][0]
    r["n"] = n
    r["p50"], r["p95"], r["p99"] = pct(0.50), pct(0.95), pct(0.99)
    if r["p99"] is None:
        r["p99"] = r["p99_sb"]
    r["gt10"] = sum(c for v, c in h if v > 10) if n else None
    r["gt50"] = sum(c for v, c in h if v > 50) if n else None
    r["share10"] = r["gt10"] / n if n else None
    r["tps"] = r["events"] / r["window"] if r["events"] is not None and r["window"] else None
    del r["hist"]
    return r

def record_throttle(path):
    if path == "-":
        return None
    try:
        return json.load(open(path)).get("throttle")
    except (OSError, ValueError):
        return None

BP = ("bp_reads", "bp_read_requests", "bp_made_young", "bp_made_not_young")
phases = []
for line in open(E["MANIFEST"]):
    (rnd, wl, name, dump_s, sb, rec, load, stop, fail, win, c0, c1) = line.rstrip("\n").split("\t")
    p = {"round": int(rnd), "workload": wl, "name": name,
         "dump_s": None if dump_s == "-" else float(dump_s),
         "load_per_cpu_at_start": float(load), "stopped_by": stop, "failure": fail,
         "wall_window_s": float(win), "throttle": record_throttle(rec)}
    a, b = c0.split(), c1.split()
    for i, k in enumerate(BP):
        p[k] = int(b[i]) - int(a[i]) if a[i] != "-" and b[i] != "-" else None
    for i, k in ((4, "psi_cpu_some"), (5, "psi_io_some")):
        p[k] = ((int(b[i]) - int(a[i])) / (p["wall_window_s"] * 1e6)
                if a[i] != "-" and b[i] != "-" and p["wall_window_s"] > 0 else None)
    p.update(parse(sb))
    phases.append(p)

def f(x, fmt="%.2f"):
    return "-" if x is None else fmt % x

def compact(v):
    """A JSON value with floats to 3 significant digits and long lists cut."""
    if isinstance(v, float):
        return float("%.3g" % v)
    if isinstance(v, dict):
        return {k: compact(x) for k, x in v.items()}
    if isinstance(v, list):
        if len(v) > 24:
            return [compact(x) for x in v[:16]] + ["...(%d in all)" % len(v)] + [compact(x) for x in v[-4:]]
        return [compact(x) for x in v]
    return v

def brief(v):
    """compact() output as short text: keys unquoted, floats to 3 digits."""
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, float):
        return "%.3g" % v
    if isinstance(v, dict):
        return "{" + ",".join("%s:%s" % (k, brief(x)) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(brief(x) for x in v) + "]"
    if isinstance(v, str) and v.startswith("...("):
        return v
    return json.dumps(v)

def throttle_notes(t):
    notes = []
    if not t:
        return notes
    for k, label in (("waited_seconds", "gate wait"), ("paused_seconds", "paused"),
                     ("io_limit_seconds", "io_limit sleeps")):
        if isinstance(t.get(k), (int, float)) and t[k]:
            notes.append("%s %.1f s" % (label, t[k]))
    if t.get("paused_by"):
        notes.append("paused_by %s" % json.dumps(t["paused_by"], sort_keys=True))
    if t.get("started_anyway"):
        notes.append("started anyway after max_wait")
    if t.get("max_dump_time_reached"):
        notes.append("max_dump_time reached")
    if isinstance(t.get("effective_rate"), (int, float)):
        notes.append("effective rate %.1f MB/s" % (t["effective_rate"] / 1e6))
    return notes

def print_controller(t, indent):
    c = t.get("controller") if t else None
    if c is None:
        return
    s = brief(compact(c))
    # wrapped after commas, about 100 columns a line
    line, out = indent + "controller: ", []
    for part in s.split(","):
        if len(line) + len(part) > 99 and line.strip():
            out.append(line)
            line = indent + "  "
        line += part + ","
    out.append(line[:-1])
    print("\n".join(out))

def held_back(p):
    """Seconds lifeboat's gate and load pauses held a dump back (record's throttle)."""
    t = p.get("throttle") or {}
    return sum(t[k] for k in ("waited_seconds", "paused_seconds")
               if isinstance(t.get(k), (int, float)))

def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

# ---- per workload and round
workloads = []
for p in phases:
    if p["workload"] != "quiet" and p["workload"] not in workloads:
        workloads.append(p["workload"])
rounds = sorted({p["round"] for p in phases if p["round"] > 0})
by = {}
for p in phases:
    by[(p["workload"], p["round"], p["name"])] = p

hdr = ("%-22s %6s %5s %6s %6s %6s %6s %5s %5s %8s %9s %7s %8s %5s %5s"
       % ("phase", "dump s", "/gzip", "tps", "p99", "xidle", ">10ms%", "xidle", ">50ms",
          "bp_reads", "bp_reqs", "young", "notyoung", "cpu%", "io%"))
for w in workloads:
    for r in rounds:
        rows = [p for p in phases if p["workload"] == w and p["round"] == r]
        if not rows:
            continue
        idle, gz = by.get((w, r, "idle")), by.get((w, r, "mysqldump|gzip"))
        print("%s, round %d" % (w, r))
        print(hdr)
        print("-" * len(hdr))
        for p in rows:
            p["p99_x_idle"] = (p["p99"] / idle["p99"]
                               if idle and idle["p99"] and p["p99"] is not None else None)
            p["share10_x_idle"] = (p["share10"] / idle["share10"]
                                   if idle and idle["share10"] and p["share10"] is not None else None)
            p["dump_x_gzip"] = (p["dump_s"] / gz["dump_s"]
                                if gz and gz["dump_s"] and p["dump_s"] is not None and not gz["failure"]
                                else None)
            row = ("%-22s %6s %5s %6s %6s %6s %6s %5s %5s %8s %9s %7s %8s %5s %5s"
                   % (p["name"], f(p["dump_s"], "%.1f"), f(p["dump_x_gzip"], "%.2f"),
                      f(p["tps"], "%.0f"), f(p["p99"]), f(p["p99_x_idle"], "%.2fx"),
                      f(None if p["share10"] is None else 100 * p["share10"], "%.2f"),
                      f(p["share10_x_idle"], "%.1fx"), f(p["gt50"], "%d"),
                      f(p["bp_reads"], "%d"), f(p["bp_read_requests"], "%d"),
                      f(p["bp_made_young"], "%d"), f(p["bp_made_not_young"], "%d"),
                      f(None if p["psi_cpu_some"] is None else 100 * p["psi_cpu_some"], "%.1f"),
                      f(None if p["psi_io_some"] is None else 100 * p["psi_io_some"], "%.1f")))
            if p["failure"]:
                row += "  FAILED: " + p["failure"]
            print(row)
        for p in rows:
            notes = ["load %.2f/CPU at start" % p["load_per_cpu_at_start"]]
            if p["stopped_by"] not in ("mem", "-"):
                notes.append("stopped by SIGALRM: no histogram")
            rate = int(E["RW_RATE"] if w == "read_write" else E["RATE"])
            if p["tps"] is not None and p["tps"] < 0.95 * rate:
                notes.append("BEHIND its rate (%.0f of %d tps)" % (p["tps"], rate))
            notes += throttle_notes(p["throttle"])
            print("  %-22s %s" % (p["name"] + ":", ", ".join(notes)))
            print_controller(p["throttle"], "    ")
        print()

print("""Per phase: dump s = wall time of the dump and the sync of its output; /gzip = that over the
same round's mysqldump|gzip; tps, p99 (ms), >10ms% (share of transactions) and >50ms (count) of
the workload in the phase's window (sysbench histogram, buckets ~2% wide); xidle = against the
same round's idle window; bp_* = deltas over the window of Innodb_buffer_pool_reads,
_read_requests, _pages_made_young, _pages_made_not_young; cpu%/io% = PSI 'some' stall time
(/proc/pressure/cpu, io) as a share of the window.  sysbench times a transaction from when it
starts, not from when it was due: a stall counts as one slow transaction.
""")

# ---- summary over rounds, targets
def cell(vals, fmt):
    med = median(vals)
    return "%s (%s)" % (f(med, fmt), " ".join(f(v, fmt) for v in vals))

summary = {}
for w in workloads:
    print("== %s: median over %d round(s) (each round's value) ==" % (w, len(rounds)))
    names = []
    for p in phases:
        if p["workload"] == w and p["name"] not in names:
            names.append(p["name"])
    print("  %-22s %-24s %-26s %-18s %-22s %s" % ("phase", "p99/idle", ">10ms share %",
                                                 ">50ms", "dump s", "dump/gzip"))
    ws = {}
    for n in names:
        ps = [by.get((w, r, n)) for r in rounds]
        ps = [p for p in ps if p]
        col = lambda k, scale=1: [None if p.get(k) is None else p[k] * scale for p in ps]
        ws[n] = {k: {"median": median(col(k)), "rounds": col(k)}
                 for k in ("p99", "p99_x_idle", "share10", "gt50", "dump_s", "dump_x_gzip",
                           "bp_reads", "bp_made_young", "psi_cpu_some", "psi_io_some")}
        print("  %-22s %-24s %-26s %-18s %-22s %s"
              % (n, cell(col("p99_x_idle"), "%.2f"), cell(col("share10", 100), "%.2f"),
                 cell(col("gt50"), "%d"), cell(col("dump_s"), "%.1f"),
                 cell(col("dump_x_gzip"), "%.2f")))
    # targets for lifeboat default, per round and on the medians
    t = {}
    lb = [by.get((w, r, "lifeboat default")) for r in rounds]
    idle = [by.get((w, r, "idle")) for r in rounds]
    ok = lambda p: p is not None and not p["failure"]
    r1 = [(p["p99_x_idle"], None if p["p99_x_idle"] is None else p["p99_x_idle"] <= 1.25)
          for p in lb if ok(p)]
    r2 = []
    for p, i in zip(lb, idle):
        if ok(p) and i and p["share10"] is not None and i["share10"] is not None:
            lim = max(2 * i["share10"], 0.01)
            r2.append((p["share10"], lim, p["share10"] <= lim))
    r3 = [(p["dump_x_gzip"], p["dump_x_gzip"] <= 1.0) for p in lb
          if ok(p) and p["dump_x_gzip"] is not None]
    def verdict(good):
        return "-" if good is None else ("PASS" if good else "MISS")
    m1 = median([v for v, _ in r1])
    g1 = None if m1 is None else m1 <= 1.25
    m2 = median([v for v, _, _ in r2])
    mi = median([i["share10"] for i in idle if i and i["share10"] is not None])
    lim2 = None if mi is None else max(2 * mi, 0.01)
    g2 = None if m2 is None or lim2 is None else m2 <= lim2
    m3 = median([v for v, _ in r3])
    g3 = None if m3 is None else m3 <= 1.0
    print("  targets, lifeboat default (median; rounds passing):")
    print("    p99 <= 1.25x idle                      %-4s %s x idle; %d/%d rounds"
          % (verdict(g1), f(m1), sum(1 for _, g in r1 if g), len(r1)))
    print("    >10 ms share <= max(2x idle share, 1%%) %-4s %s%% vs limit %s%%; %d/%d rounds"
          % (verdict(g2), f(None if m2 is None else 100 * m2),
             f(None if lim2 is None else 100 * lim2), sum(1 for *_, g in r2 if g), len(r2)))
    print("    dump time <= mysqldump|gzip's          %-4s %s x gzip; %d/%d rounds"
          % (verdict(g3), f(m3), sum(1 for _, g in r3 if g), len(r3)))
    held = [held_back(p) for p in lb if ok(p)]
    held = [h for h in held if h >= 1]
    if held:
        print("    (%d round(s) waited at lifeboat's gate or paused for load, %s s, counted in\n"
              "     its dump time: on a shared machine that is others' load, not the workload's)"
              % (len(held), " ".join("%.0f" % x for x in held)))
    print()
    summary[w] = {"phases": ws, "targets": {
        "p99_le_1.25x_idle": {"pass": g1, "median": m1, "rounds": [v for v, _ in r1]},
        "share10_le_max_2x_idle_1pct": {"pass": g2, "median": m2, "limit": lim2,
                                        "rounds": [{"share": v, "limit": l} for v, l, _ in r2]},
        "dump_le_gzip": {"pass": g3, "median": m3, "rounds": [v for v, _ in r3]}}}

# ---- quiet phases
quiet = [p for p in phases if p["workload"] == "quiet"]
qsum = None
if quiet:
    print("== no workload (once) ==")
    for p in quiet:
        notes = ["load %.2f/CPU at start" % p["load_per_cpu_at_start"]] + throttle_notes(p["throttle"])
        print("  %-26s dump %6s s  bp_reads %s  young %s  notyoung %s  cpu%% %s  io%% %s%s"
              % (p["name"], f(p["dump_s"], "%.1f"), f(p["bp_reads"], "%d"),
                 f(p["bp_made_young"], "%d"), f(p["bp_made_not_young"], "%d"),
                 f(None if p["psi_cpu_some"] is None else 100 * p["psi_cpu_some"], "%.1f"),
                 f(None if p["psi_io_some"] is None else 100 * p["psi_io_some"], "%.1f"),
                 "  FAILED: " + p["failure"] if p["failure"] else ""))
        print("    " + ", ".join(notes))
        print_controller(p["throttle"], "    ")
    qd = next((p for p in quiet if p["name"].startswith("lifeboat default")), None)
    qf = next((p for p in quiet if p["name"].startswith("lifeboat fixed")), None)
    ratio = (qd["dump_s"] / qf["dump_s"]
             if qd and qf and not qd["failure"] and not qf["failure"] and qf["dump_s"] else None)
    g = None if ratio is None else ratio <= 1.0
    print("  target: default no slower than the fixed 40M pacing: %s (%s x)"
          % ("-" if g is None else ("PASS" if g else "MISS"), f(ratio)))
    if ratio is not None and (held_back(qd) >= 1 or held_back(qf) >= 1):
        a, b = qd["dump_s"] - held_back(qd), qf["dump_s"] - held_back(qf)
        print("  (gate waits and load pauses held them back %.0f s and %.0f s; without them"
              " %.1f s vs %.1f s = %s x)" % (held_back(qd), held_back(qf), a, b,
                                             f(a / b if b > 0 else None)))
    print("  (%s)" % E["CTRL_NOTE"])
    print()
    qsum = {"default_x_fixed": ratio, "pass": g}

if E.get("JSON_OUT"):
    meta = {k.lower(): E.get(k) for k in ("SIZE_MB", "RATE", "RW_RATE", "WINDOW_S", "RUNS",
            "WL_LIST", "NCPU", "SERVER_VERSION", "BUFFER_POOL", "MEM_POOL", "TABLES", "ROWS",
            "DATA_BYTES", "INDEX_BYTES", "LIFEBOAT", "CTRL_SECTION", "CTRL_NOTE", "PHASES_S")}
    meta["controller"] = bool(E.get("CTRL_SECTION"))
    with open(E["JSON_OUT"], "w") as out:
        json.dump({"meta": meta, "phases": phases, "summary": summary, "quiet": qsum},
                  out, indent=1)
        out.write("\n")
    print("JSON: %s" % E["JSON_OUT"])
EOF

exit "$FAILED"

#!/bin/bash
# tests/bench/db-dump.sh — db dump benchmark: `lifeboat run JOB --here` against
# `mysqldump --single-transaction ... | zstd -3` and `| gzip -6` (what
# automysqlbackup does), on the same sysbench data in the same run.
#
#   tests/bench/db-dump.sh [--size-mb N] [--repeat N] [--tables N]
#                          [--lifeboat PATH] [--sync-outputs] [--keep]
#
#   --size-mb N       table data to build, in MB (10^6 bytes; default 1000)
#   --repeat N        time every tool N times and keep the fastest (default 2)
#   --tables N        sysbench tables (default: one per 125 MB, 1..16)
#   --lifeboat PATH   the lifeboat binary (default: build/daemon/lifeboat)
#   --sync-outputs    also fsync the mysqldump pipelines' output files inside
#                     their timed section (lifeboat always fsyncs its artifact;
#                     by default the comparators are NOT made to, which favours
#                     them slightly)
#   --keep            leave the work directory (data, dumps) in place
#
# Run as root on Debian 12.  Installs what it needs with apt-get, builds the
# project if build/daemon/lifeboat is missing, starts a private MariaDB with
# tests/mariadb.sh in a fresh /tmp/lifeboat-bench.XXXXXX (never the system
# server) and stops it whatever happens.  Not part of the test suite.
#
# Exit status: 0 all tools ran; 1 a tool (lifeboat included) failed or the
# setup failed; 2 bad usage.

set -u

PROG="db-dump.sh"
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)

SIZE_MB=1000
REPEAT=2
TABLES=""
LIFEBOAT=""
SYNC_OUTPUTS=0
KEEP=0
ROW_BYTES=225           # DATA_LENGTH per sysbench row, roughly (calibrated below)

die() {
    echo "$PROG: $*" >&2
    exit 1
}

usage() {
    sed -n '5,16p' "$0" | sed 's/^# \{0,1\}//' >&2
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
        --repeat) [ $# -ge 2 ] || usage; REPEAT=$2; shift 2 ;;
        --repeat=*) REPEAT=${1#*=}; shift ;;
        --tables) [ $# -ge 2 ] || usage; TABLES=$2; shift 2 ;;
        --tables=*) TABLES=${1#*=}; shift ;;
        --lifeboat) [ $# -ge 2 ] || usage; LIFEBOAT=$2; shift 2 ;;
        --lifeboat=*) LIFEBOAT=${1#*=}; shift ;;
        --sync-outputs) SYNC_OUTPUTS=1; shift ;;
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
positive --repeat "$REPEAT"
if [ -n "$TABLES" ]; then
    positive --tables "$TABLES"
else
    TABLES=$((SIZE_MB / 125))
    [ "$TABLES" -ge 1 ] || TABLES=1
    [ "$TABLES" -le 16 ] || TABLES=16
fi
[ "$(id -u)" -eq 0 ] || die "run me as root (apt-get, and tests/mariadb.sh runs mariadbd as mysql)"

log() {
    printf '[%s] %s\n' "$(date +%T)" "$*" >&2
}

# ---------------------------------------------------------------- packages
# shellcheck source=tests/bench/lib.sh
. "$SRCDIR/tests/bench/lib.sh"

bench_need_pkgs sysbench mariadb-server mariadb-client zstd gzip time python3 coreutils

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
LIFEBOAT_HAS_RUN=0
if "$LIFEBOAT" --help 2>&1 | grep -qE '^[[:space:]]+run[[:space:]]'; then
    LIFEBOAT_HAS_RUN=1
fi

# ---------------------------------------------------------------- work dir, server
WORK=$(mktemp -d /tmp/lifeboat-bench.XXXXXX) || die "mktemp failed"
chmod 0755 "$WORK"      # the mysql user must traverse it to reach $MDIR
MDIR=$WORK/mysql
OUT=$WORK/out
mkdir -p "$OUT" && chmod 0700 "$OUT"
SERVER_STARTED=0

# shellcheck disable=SC2317  # invoked by the traps
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [ "$SERVER_STARTED" -eq 1 ]; then
        "$SRCDIR/tests/mariadb.sh" stop "$MDIR" >/dev/null 2>&1 ||
            echo "$PROG: could not stop the MariaDB in $MDIR" >&2
    fi
    if [ "$KEEP" -eq 1 ]; then
        echo "$PROG: kept $WORK" >&2
    else
        case $WORK in
            /tmp/lifeboat-bench.?*) rm -rf -- "$WORK" ;;
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
EXACT_ROWS=$((ROWS * TABLES))
DATA_MB=$(awk -v b="$DATA_BYTES" 'BEGIN { printf "%.1f", b / 1e6 }')
FLUSH_METHOD=$(sql "SELECT @@innodb_flush_method")
BUFFER_POOL=$(sql "SELECT @@innodb_buffer_pool_size DIV 1048576")
SERVER_VERSION=$(sql "SELECT VERSION()")

log "warm-up: CHECKSUM TABLE of every table"
sql "CHECKSUM TABLE $QTABLES" > "$WORK/checksums.txt" ||
    die "warm-up CHECKSUM TABLE failed"

# ---------------------------------------------------------------- timing helpers
# Per tool NAME, the best run's figures: WALL[NAME], CPU[NAME] (client user+sys
# seconds), RSS[NAME] (KiB, the dumper), CRSS[NAME] (KiB, the compressor),
# SIZE[NAME] (bytes of output); FAIL[NAME] is set when a run failed.
declare -A WALL CPU RSS CRSS SIZE FAIL SQL_OF
FAILED=0
ORDER=()

# slug NAME: NAME as a file name (no spaces or pipes).
slug() {
    printf '%s' "$1" | tr -c 'a-zA-Z0-9.-' '_'
}

elapsed() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'
}

# keep_best NAME WALL CPU RSS CRSS SIZE
keep_best() {
    local n=$1
    if [ -z "${WALL[$n]:-}" ] || awk -v a="$2" -v b="${WALL[$n]}" 'BEGIN { exit !(a < b) }'; then
        WALL[$n]=$2; CPU[$n]=$3; RSS[$n]=$4; CRSS[$n]=$5; SIZE[$n]=$6
    fi
}

# fail NAME MESSAGE STDERR-FILE...
fail() {
    local n=$1 msg=$2 f
    shift 2
    FAIL[$n]=$msg
    FAILED=1
    echo "$PROG: $n: $msg" >&2
    for f in "$@"; do
        if [ -s "$f" ]; then
            echo "---- $(basename "$f") (last 20 lines) ----" >&2
            tail -n 20 "$f" >&2
        fi
    done
    [ $# -gt 0 ] && echo "----" >&2
}

# time_fields FILE: "wall rss cpu" from a /usr/bin/time -f '%e %M %U %S' file
# (its last line: earlier lines may be "Command exited with non-zero status").
time_fields() {
    tail -n 1 "$1" | awk '{ printf "%s %s %.2f", $1, $2, $3 + $4 }'
}

# run_dump NAME COMPRESSOR-ARGV...: mysqldump | COMPRESSOR > file, timed.
run_dump() {
    local n=$1 ext t0 t1 wall st d_rss d_cpu c_rss c_cpu f s
    shift
    ext=${1}
    s=$(slug "$n")
    f=$OUT/$s.sql.$ext
    rm -f "$f"
    sync
    t0=$EPOCHREALTIME
    /usr/bin/time -f '%e %M %U %S' -o "$OUT/$s.dump.time" \
        mariadb-dump --defaults-file="$CNF" \
            --single-transaction --routines --triggers --events --databases sbtest \
            2> "$OUT/$s.dump.err" |
    /usr/bin/time -f '%e %M %U %S' -o "$OUT/$s.comp.time" \
        "${@:2}" > "$f" 2> "$OUT/$s.comp.err"
    st=("${PIPESTATUS[@]}")
    [ "$SYNC_OUTPUTS" -eq 1 ] && sync "$f"
    t1=$EPOCHREALTIME
    if [ "${st[0]}" -ne 0 ] || [ "${st[1]}" -ne 0 ]; then
        fail "$n" "failed (mariadb-dump exit ${st[0]}, $2 exit ${st[1]})" \
            "$OUT/$s.dump.err" "$OUT/$s.comp.err"
        return 1
    fi
    wall=$(elapsed "$t0" "$t1")
    read -r _ d_rss d_cpu < <(time_fields "$OUT/$s.dump.time")
    read -r _ c_rss c_cpu < <(time_fields "$OUT/$s.comp.time")
    keep_best "$n" "$wall" "$(awk -v a="$d_cpu" -v b="$c_cpu" 'BEGIN { printf "%.2f", a + b }')" \
        "$d_rss" "$c_rss" "$(stat -c %s "$f")"
    log "  $n: ${wall}s"
}

# run_lifeboat NAME [EXTRA-CONFIG-LINE...]: lifeboat run bench --here, timed.
LB_RECORD=""
run_lifeboat() {
    local n=$1 d cfg t0 t1 st wall rss cpu art rec line s
    shift
    s=$(slug "$n")
    if [ "$LIFEBOAT_HAS_RUN" -ne 1 ]; then
        fail "$n" "$LIFEBOAT has no 'run' command yet (see its --help)"
        return 1
    fi
    d=$OUT/$s
    rm -rf "$d"
    mkdir -p "$d/state" && chmod 0700 "$d"
    cfg=$d/lifeboat.ini
    {
        echo "[lifeboat]"
        echo "store = $d/store"
        echo "state_dir = $d/state"
        echo "socket = $d/lifeboatd.sock"
        echo "max_load = 0"
        echo "max_io_pressure = 0%"
        echo "io_limit = 0"
        echo "max_latency_increase = 0%"   # no adaptive pace: this measures raw speed
        echo "nice = 0"             # the comparators run at nice 0 and best-effort I/O too
        echo "ionice = none"
        echo "compress_level = 3"
        for line in "$@"; do echo "$line"; done
        bench_db_section
        echo "max_threads_running = 0"
    } > "$cfg"
    sync
    t0=$EPOCHREALTIME
    /usr/bin/time -f '%e %M %U %S' -o "$d/time" \
        "$LIFEBOAT" -c "$cfg" run bench --here > "$d/stdout" 2> "$d/stderr" < /dev/null
    st=$?
    t1=$EPOCHREALTIME
    if [ "$st" -ne 0 ]; then
        fail "$n" "lifeboat run bench --here exited $st" "$d/stderr" "$d/stdout"
        return 1
    fi
    art=$(find "$d/store" -type f -name '*.sql.zst' 2>/dev/null | head -n 1)
    rec=$(find "$d/store" -type f -name '*.json' 2>/dev/null | head -n 1)
    if [ -z "$art" ] || [ -z "$rec" ]; then
        fail "$n" "exited 0 but left no .sql.zst + .json in $d/store" "$d/stderr"
        return 1
    fi
    # Untimed sanity: the artifact decompresses, to about as much SQL as
    # mysqldump writes (checked in the report).
    if ! SQL_OF[$n]=$(set -o pipefail; zstd -dcq "$art" 2> "$d/zstd-d.err" | wc -c); then
        fail "$n" "its artifact does not decompress: $art" "$d/zstd-d.err"
        return 1
    fi
    wall=$(elapsed "$t0" "$t1")
    read -r _ rss cpu < <(time_fields "$d/time")
    keep_best "$n" "$wall" "$cpu" "$rss" "-" "$(stat -c %s "$art")"
    cp "$rec" "$OUT/$s.record.json"
    [ -n "$LB_RECORD" ] || LB_RECORD=$OUT/$s.record.json
    log "  $n: ${wall}s"
    # Free the space; keep the record (copied above).
    [ "$KEEP" -eq 1 ] || rm -rf "$d/store"
}

# ---------------------------------------------------------------- the runs
LB1="lifeboat"
LB2="lifeboat t=2"
ZS="mysqldump|zstd-3"
GZ="mysqldump|gzip-6"
ORDER=("$LB1" "$LB2" "$ZS" "$GZ")

for r in $(seq 1 "$REPEAT"); do
    log "run $r/$REPEAT"
    [ -n "${FAIL[$LB1]:-}" ] || run_lifeboat "$LB1"
    [ -n "${FAIL[$LB2]:-}" ] || run_lifeboat "$LB2" "compress_threads = 2"
    [ -n "${FAIL[$ZS]:-}" ] || run_dump "$ZS" zst zstd -3 -q -c
    [ -n "${FAIL[$GZ]:-}" ] || run_dump "$GZ" gz gzip -6 -c
    # Only the comparators' outputs of the last run are kept (sizes are the same).
done

mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# Sanity of the comparators' outputs (untimed), and the SQL text size.
SQL_BYTES=""
if [ -z "${FAIL[$ZS]:-}" ]; then
    SQL_BYTES=$(zstd -dc "$OUT/$(slug "$ZS").sql.zst" | wc -c)
    zstd -dc "$OUT/$(slug "$ZS").sql.zst" | tail -n 1 | grep -q '^-- Dump completed' ||
        fail "$ZS" "output has no '-- Dump completed' trailer"
fi
for n in "$LB1" "$LB2"; do
    if [ -z "${SQL_OF[$n]:-}" ] || [ -z "$SQL_BYTES" ]; then continue; fi
    if awk -v a="${SQL_OF[$n]}" -v b="$SQL_BYTES" 'BEGIN { exit !(a < b / 2) }'; then
        fail "$n" "its artifact holds only $(mb "${SQL_OF[$n]}") MB of SQL, mysqldump's $(mb "$SQL_BYTES") MB: incomplete?"
    fi
done
if [ -z "${FAIL[$GZ]:-}" ]; then
    gzip -t "$OUT/$(slug "$GZ").sql.gz" 2> "$OUT/gzip-t.err" || fail "$GZ" "output does not decompress" "$OUT/gzip-t.err"
fi

# ---------------------------------------------------------------- report

echo
echo "== Lifeboat db dump benchmark =="
echo "machine:   $(nproc) CPU(s) ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r)"
echo "server:    MariaDB $SERVER_VERSION (private, tests/mariadb.sh), innodb_buffer_pool_size=${BUFFER_POOL}M, innodb_flush_method=$FLUSH_METHOD"
echo "           the buffer pool is far smaller than the data, so every dump re-reads the"
echo "           tables from the .ibd files: a realistically I/O-bound dump, not a RAM-resident one"
echo "data:      sbtest: $TABLES sysbench table(s) x $ROWS rows = $EXACT_ROWS rows;"
echo "           DATA_LENGTH $DATA_MB MB ($(awk -v b="$DATA_BYTES" -v r="$EXACT_ROWS" 'BEGIN { printf "%.0f", b / r }') B/row), INDEX_LENGTH $(mb "$INDEX_BYTES") MB; built in ${PREP_S}s"
[ -n "$SQL_BYTES" ] && echo "SQL text:  mysqldump $(mb "$SQL_BYTES") MB${SQL_OF[$LB1]:+, lifeboat $(mb "${SQL_OF[$LB1]}") MB} (uncompressed)"
if [ -n "$LB_RECORD" ]; then
    raw=$(python3 - "$LB_RECORD" <<'EOF'
import json, sys
rec = json.load(open(sys.argv[1]))
found = []
def walk(o, path):
    if isinstance(o, dict):
        for k, v in o.items():
            p = path + "." + k if path else k
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                if "raw" in k.lower():
                    found.append("%s=%s (%.1f MB)" % (p, v, v / 1e6))
                elif p.startswith("throttle."):
                    found.append("%s=%s" % (p, v))
            walk(v, p)
walk(rec, "")
print(", ".join(found) if found else "no *raw* size or throttle field in the record")
EOF
)
    echo "lifeboat:  record $(basename "$LB_RECORD"): $raw"
fi
echo "timing:    wall = whole pipeline, best of $REPEAT; MB/s = DATA_LENGTH / wall;"
echo "           RSS = peak of the dumper (lifeboat / mariadb-dump); comp RSS = zstd / gzip;"
echo "           CPU = client user+sys s (server CPU not included); x zstd / x gzip = their wall / this wall"
if [ "$SYNC_OUTPUTS" -eq 1 ]; then
    echo "           comparators' outputs fsynced inside the timing (lifeboat fsyncs its own)"
else
    echo "           comparators' outputs NOT fsynced (lifeboat fsyncs its own; use --sync-outputs)"
fi
echo
printf '%-18s %8s %8s %9s %9s %8s %9s %7s %8s %8s\n' \
    tool "wall s" "MB/s" "out MB" "RSS MiB" "comp RSS" "CPU s" compr "x zstd" "x gzip"
printf '%-18s %8s %8s %9s %9s %8s %9s %7s %8s %8s\n' \
    ------------------ -------- -------- --------- --------- -------- --------- ------- -------- --------
for n in "${ORDER[@]}"; do
    if [ -n "${FAIL[$n]:-}" ] || [ -z "${WALL[$n]:-}" ]; then
        printf '%-18s %s\n' "$n" "FAILED: ${FAIL[$n]:-did not run}"
        continue
    fi
    w=${WALL[$n]}
    rate=$(awk -v b="$DATA_BYTES" -v w="$w" 'BEGIN { printf "%.1f", b / 1e6 / w }')
    cr="-"
    [ "${CRSS[$n]}" = "-" ] || cr=$(mib "${CRSS[$n]}")
    ratio="-"
    [ -n "$SQL_BYTES" ] && ratio=$(awk -v s="$SQL_BYTES" -v o="${SIZE[$n]}" 'BEGIN { printf "%.2f", s / o }')
    xz="-"; xg="-"
    [ -n "${WALL[$ZS]:-}" ] && xz=$(awk -v a="${WALL[$ZS]}" -v b="$w" 'BEGIN { printf "%.2f", a / b }')
    [ -n "${WALL[$GZ]:-}" ] && xg=$(awk -v a="${WALL[$GZ]}" -v b="$w" 'BEGIN { printf "%.2f", a / b }')
    printf '%-18s %8.2f %8s %9s %9s %8s %9s %7s %8s %8s' \
        "$n" "$w" "$rate" "$(mb "${SIZE[$n]}")" "$(mib "${RSS[$n]}")" "$cr" "${CPU[$n]}" "$ratio" "$xz" "$xg"
    echo
done
echo
echo "compr = mysqldump's SQL text size / output size.  lifeboat t=2: compress_threads = 2."
echo "Targets (issue 3): lifeboat >= 1.0x (aim 1.5x) mysqldump|zstd-3, well ahead of gzip, RSS < 64 MiB."

exit "$FAILED"

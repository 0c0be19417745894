#!/bin/bash
# tests/bench/incident.sh — `lifeboat incident open` on the bench site: the
# sysbench database (default ~1000 MB), a generated web root (webroot-gen.py,
# ~600 MB for 20000 files) with a files backup as the baseline, and access
# logs (live, .1, .2.gz ...).  Measures the evidence capture's wall time
# (target: under 2 minutes on 2 cores) while a fixed-rate read workload
# (sysbench oltp_point_select, one thread) runs, and the workload's per-second
# p99 latency during the capture against an idle window of the same length.
#
#   tests/bench/incident.sh [--size-mb N] [--files N] [--logs-mb N]
#                           [--rate TPS] [--idle-s S] [--keep]
#
# Run as root on Debian 12; installs sysbench and MariaDB with apt-get if
# missing, starts a private MariaDB with tests/mariadb.sh in a fresh
# /tmp/lifeboat-incident.XXXXXX (never the system server) and stops it and
# removes the directory (unless --keep) whatever happens.  Not part of the
# test suite.  Prints the figures; exit 0 when every phase ran.

set -u
PROG="incident.sh"
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
SIZE_MB=1000
FILES=20000
LOGS_MB=200
RATE=200
IDLE_S=30
KEEP=0
ROW_BYTES=225

die() { echo "$PROG: $*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
while [ $# -gt 0 ]; do
    case $1 in
        --size-mb) SIZE_MB=$2; shift 2 ;;
        --files) FILES=$2; shift 2 ;;
        --logs-mb) LOGS_MB=$2; shift 2 ;;
        --rate) RATE=$2; shift 2 ;;
        --idle-s) IDLE_S=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        *) sed -n '10,11p' "$0" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || die "run me as root"
TABLES=$((SIZE_MB / 125)); [ "$TABLES" -ge 1 ] || TABLES=1; [ "$TABLES" -le 16 ] || TABLES=16

# shellcheck source=tests/bench/lib.sh
. "$SRCDIR/tests/bench/lib.sh"
bench_need_pkgs sysbench mariadb-server mariadb-client zstd gzip python3
LIFEBOAT=$SRCDIR/build/daemon/lifeboat
[ -x "$LIFEBOAT" ] || die "no $LIFEBOAT (build first)"

WORK=$(mktemp -d /tmp/lifeboat-incident.XXXXXX) || die "mktemp failed"
chmod 0755 "$WORK"
MDIR=$WORK/mysql
SERVER_STARTED=0
WL_PID=""
cleanup() {
    [ -n "$WL_PID" ] && kill "$WL_PID" 2>/dev/null
    [ "$SERVER_STARTED" = 1 ] && "$SRCDIR/tests/mariadb.sh" stop "$MDIR" >/dev/null 2>&1
    [ "$KEEP" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

bench_start_server
bench_build_sbtest

log "generating the web root ($FILES files) and ${LOGS_MB} MB of logs"
python3 "$SRCDIR/tests/bench/webroot-gen.py" "$WORK/www" --files "$FILES" >/dev/null || die "webroot-gen failed"
mkdir -p "$WORK/log"
python3 - "$WORK/log" "$LOGS_MB" <<'PY'
import gzip, random, sys
root, mb = sys.argv[1], int(sys.argv[2])
rnd = random.Random(1)
pool = [('%d.%d.%d.%d - - [25/Nov/2026:%02d:%02d:%02d +0000] "GET /p/%d HTTP/1.1" 200 %d "-" "Mozilla/5.0"\n' % (
    rnd.randrange(1, 255), rnd.randrange(256), rnd.randrange(256), rnd.randrange(256), rnd.randrange(24),
    rnd.randrange(60), rnd.randrange(60), rnd.randrange(100000), rnd.randrange(100, 99999))).encode()
    for _ in range(20000)]
def fill(f, size):
    n = 0
    while n < size:
        line = pool[rnd.randrange(len(pool))]
        f.write(line)
        n += len(line)
share = mb * 10**6 // 4
for name in ("access.log", "access.log.1", "error.log"):
    with open("%s/%s" % (root, name), "wb") as f:
        fill(f, share)
with gzip.open("%s/access.log.2.gz" % root, "wb", 6) as f:
    fill(f, share)
PY
STORE=$WORK/store
cat > "$WORK/lb.ini" <<EOF
[lifeboat]
store = $STORE
state_dir = $WORK/state
max_load = 0
io_limit = 0
max_latency_increase = 0%
nice = 0
ionice = none
[files:site]
schedule = @daily
path = $WORK/www
compress_threads = 2
[db:bench]
schedule = @daily
socket = $SOCK
defaults_file = $CNF
databases = sbtest
max_threads_running = 0
compress_threads = 2
[logs:web]
schedule = @hourly
paths = $WORK/log/*.log
compress_threads = 2
EOF
CFG=$WORK/lb.ini
log "the baseline: a files backup of the web root"
"$LIFEBOAT" -c "$CFG" run site --here > "$WORK/baseline.log" 2>&1 || { tail "$WORK/baseline.log"; die "baseline backup failed"; }
sync; echo 3 > /proc/sys/vm/drop_caches

# workload NAME SECONDS: the read workload, per-second p99 reports in $WORK/NAME.sb.
workload() {
    sysbench oltp_point_select --db-driver=mysql --mysql-socket="$SOCK" --mysql-user="$ADMIN" \
        --mysql-db=sbtest --tables="$TABLES" --table-size="$ROWS" --threads=1 --rate="$RATE" \
        --time="$2" --report-interval=1 --percentile=99 run > "$WORK/$1.sb" 2>&1
}
log "idle window: ${IDLE_S}s of the workload alone"
workload idle "$IDLE_S" || die "the workload failed"
log "capture window: the workload during lifeboat incident open"
workload capture 3600 &
WL_PID=$!
sleep 3
T0=$EPOCHREALTIME
"$LIFEBOAT" -c "$CFG" incident open --note "bench" > "$WORK/incident.log" 2>&1
RC=$?
T1=$EPOCHREALTIME
sleep 2
kill "$WL_PID" 2>/dev/null; wait "$WL_PID" 2>/dev/null; WL_PID=""
[ $RC = 0 ] || { cat "$WORK/incident.log"; die "incident open failed"; }
INC=$(ls "$STORE/incidents")

python3 - "$WORK" "$T0" "$T1" "$STORE/incidents/$INC" "$SIZE_MB" "$FILES" "$LOGS_MB" <<'PY'
import os, re, statistics, sys
work, t0, t1, inc = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
def p99s(name, skip_head=0, keep=None):
    vals = []
    for line in open(os.path.join(work, name + ".sb")):
        m = re.match(r"^\[ (\d+)s \].*lat \(ms,99%\): ([0-9.]+)", line)
        if m:
            s = int(m.group(1))
            if s > skip_head and (keep is None or s <= keep):
                vals.append(float(m.group(2)))
    return vals
wall = t1 - t0
idle = p99s("idle")
cap = p99s("capture", skip_head=3, keep=3 + int(wall))
def desc(v):
    if not v:
        return "no samples"
    v = sorted(v)
    return "median %.2f ms, 90th %.2f ms, max %.2f ms (%d s)" % (statistics.median(v), v[int(0.9 * (len(v) - 1))], v[-1], len(v))
total = sum(os.path.getsize(os.path.join(inc, f)) for f in os.listdir(inc) if os.path.isfile(os.path.join(inc, f)))
print("incident bench: db ~%s MB, web root %s files, logs %s MB" % (sys.argv[5], sys.argv[6], sys.argv[7]))
print("  evidence capture wall time : %.1f s (target < 120 s)  %s" % (wall, "MET" if wall < 120 else "NOT MET"))
print("  evidence written           : %.1f MB in %s" % (total / 1e6, inc))
for f in sorted(os.listdir(inc)):
    print("    %-28s %10.1f MB" % (f, os.path.getsize(os.path.join(inc, f)) / 1e6))
print("  workload per-second p99, idle    : " + desc(idle))
print("  workload per-second p99, capture : " + desc(cap))
if idle and cap:
    print("  ratio capture/idle (median p99)  : %.2f" % (statistics.median(cap) / statistics.median(idle)))
PY
grep -E "evidence|complete" "$STORE/incidents/$INC/journal.txt" | cut -f1,4,5 | cut -c1-200

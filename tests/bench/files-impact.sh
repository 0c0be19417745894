#!/bin/bash
# tests/bench/files-impact.sh — what a files snapshot does to the site's own
# disk reads (issue 21, item 4: the adaptive pace for files jobs).
#
# A probe (tests/bench/files-probe.py) reads 4 KiB at random places of a
# file of random bytes on the same device as the web root, with O_DIRECT (so
# every read reaches the device, as a site's reads of cold uploads and its
# database's misses do), at a fixed rate; the web root is a generated tree
# (tests/bench/webroot-gen.py) read from a cold page cache each time.  Per
# round, the probe's latency in each phase:
#   idle          nothing else runs (a window as long as the tar|gzip phase)
#   tar|gzip      tar -cf - TREE | gzip > file, the classic cron backup
#   lb off        lifeboat run --here, throttling off (io_limit = 0,
#                 max_latency_increase = 0%, max_load = 0, nice 0, ionice none)
#   lb fixed40    the default before the adaptive pace: a fixed io_limit =
#                 40M (max_latency_increase = 0%), nice 10, ionice idle
#   lb default    lifeboat run --here with the default throttling (adaptive
#                 pace, nice 10, ionice idle, max_load 0.8)
#   lb quiet      the same with the probe off: the speed on a quiet disk
# and prints, per phase, the backup's seconds and ratio to tar|gzip's, the
# probe's p50 and p99 and their ratio to idle's, and the share of reads
# slower than idle's p99 (1% in idle by definition); and, for lb default,
# what the controller did (its record's throttle.controller).
#
#   tests/bench/files-impact.sh [--files N] [--rounds R] [--rate R/s] [--probe-mb M] [--keep]
#
#   --files N      files in the tree (default 20000, about 600 MB)
#   --rounds R     rounds of the four phases (default 3)
#   --rate R       probe reads a second (default 100)
#   --probe-mb M   size of the probe's file (default 2048)
#   --keep         leave the work directory in place
#
# Run as root on Debian 12 (drops the page cache between phases; uses gzip,
# python3, tar).  Builds nothing: build/daemon/lifeboat must exist.  The
# machine should be quiet: anything else on the disk is in every figure.
# Not part of the test suite.  Exit status: 0 all ran, 1 a tool failed or
# setup failed, 2 bad usage.
set -u
PROG=files-impact.sh
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
LIFEBOAT=$SRCDIR/build/daemon/lifeboat
FILES=20000
ROUNDS=3
RATE=100
PROBE_MB=2048
KEEP=0
while [ $# -gt 0 ]; do
	case $1 in
	--files) FILES=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--rate) RATE=$2; shift 2 ;;
	--probe-mb) PROBE_MB=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	*) sed -n '2,34p' "$0" >&2; exit 2 ;;
	esac
done
die() { echo "$PROG: $*" >&2; exit 1; }
log() { echo "[$(date +%T)] $*" >&2; }
[ "$(id -u)" = 0 ] || die "run as root (it drops the page cache)"
for t in gzip python3 tar; do
	command -v "$t" >/dev/null || die "$t is missing"
done
[ -x "$LIFEBOAT" ] || die "no $LIFEBOAT (build first)"

W=$(mktemp -d /tmp/lifeboat-fimpact.XXXXXX)
PROBE_PID=""
cleanup() {
	[ -z "$PROBE_PID" ] || kill "$PROBE_PID" 2>/dev/null
	[ "$KEEP" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT

log "generating $FILES files in $W/tree"
python3 "$SRCDIR/tests/bench/webroot-gen.py" "$W/tree" --files "$FILES" > /dev/null || die "webroot-gen.py failed"
log "writing the probe's file ($PROBE_MB MiB of random bytes)"
head -c $((PROBE_MB * 1048576)) /dev/urandom > "$W/site.bin" || die "cannot write $W/site.bin"
sync
TREE_BYTES=$(du -sb "$W/tree" | cut -f 1)

# config MODE: a Lifeboat config for one phase, its store fresh.
config() {
	rm -rf "$W/store" "$W/state"
	{
		echo "[lifeboat]"
		echo "store = $W/store"
		echo "state_dir = $W/state"
		echo "min_free = 0"
		case $1 in
		off)
			echo "io_limit = 0"
			echo "max_latency_increase = 0%"
			echo "max_load = 0"
			echo "nice = 0"
			echo "ionice = none" ;;
		fixed40)
			echo "io_limit = 40M"
			echo "max_latency_increase = 0%" ;;
		esac
		echo "[files:bench]"
		echo "schedule = @daily"
		echo "path = $W/tree"
	} > "$W/lb.ini"
}

cold() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	sleep 1
}

probe_start() {
	python3 "$SRCDIR/tests/bench/files-probe.py" "$W/site.bin" "$W/probe.$1" --rate "$RATE" &
	PROBE_PID=$!
	sleep 2		# its first reads, out of the window
}

probe_stop() {
	kill "$PROBE_PID" 2>/dev/null
	wait "$PROBE_PID" || die "the probe failed"
	PROBE_PID=""
}

# phase ROUND NAME CMD...: cold cache, the probe, CMD timed; one line
# "NAME START END STATUS" to $W/phases; the record of a lifeboat run kept.
phase() {
	local r=$1 name=$2 t0 t1 st
	shift 2
	cold
	: > "$W/probe.$r-$name"
	[ "${NOPROBE:-0}" = 1 ] || probe_start "$r-$name"
	t0=$EPOCHREALTIME
	"$@" > "$W/out.$r-$name" 2> "$W/err.$r-$name"
	st=$?
	t1=$EPOCHREALTIME
	[ "${NOPROBE:-0}" = 1 ] || probe_stop
	[ "$st" = 0 ] || { cat "$W/err.$r-$name" >&2; log "round $r: $name exited $st"; }
	echo "$r $name $t0 $t1 $st" >> "$W/phases"
	if [ -d "$W/store" ]; then
		find "$W/store" -name '*.json' -path '*backup-*' -exec cp {} "$W/record.$r-$name" \; -quit
	fi
	log "round $r: $name $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", b - a }')"
}

idle() { sleep "$1"; }

: > "$W/phases"
for r in $(seq "$ROUNDS"); do
	rm -f "$W/tar.gz"
	phase "$r" "tar|gzip" sh -c "tar -cf - -C '$W/tree' . | gzip > '$W/tar.gz'"
	rm -f "$W/tar.gz"
	tg=$(awk -v r="$r" '$1 == r && $2 == "tar|gzip" { printf "%.1f", $4 - $3 }' "$W/phases")
	phase "$r" idle idle "$tg"
	config off
	phase "$r" "lb off" "$LIFEBOAT" -c "$W/lb.ini" run bench --here
	config fixed40
	phase "$r" "lb fixed40" "$LIFEBOAT" -c "$W/lb.ini" run bench --here
	config default
	phase "$r" "lb default" "$LIFEBOAT" -c "$W/lb.ini" run bench --here
	config default
	NOPROBE=1 phase "$r" "lb quiet" "$LIFEBOAT" -c "$W/lb.ini" run bench --here
done

python3 - "$W" "$TREE_BYTES" "$RATE" <<'EOF'
import json, os, sys
W, tree_bytes, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
phases = [l.split() for l in open(os.path.join(W, "phases"))]
# "tar|gzip" is one field; "lb off" and "lb default" are two
rows = []
for p in phases:
    r, rest = p[0], p[1:]
    name = " ".join(rest[:-3])
    t0, t1, st = float(rest[-3]), float(rest[-2]), int(rest[-1])
    lat = []
    for line in open(os.path.join(W, "probe.%s-%s" % (r, name))):
        w, ms = line.split()
        if t0 <= float(w) <= t1:
            lat.append(float(ms))
    lat.sort()
    rows.append((r, name, t1 - t0, st, lat))

def q(a, f):
    return a[min(len(a) - 1, int(f * len(a)))] if a else float("nan")

order = ["idle", "tar|gzip", "lb off", "lb fixed40", "lb default", "lb quiet"]
print("tree: %.0f MiB; probe: %g reads/s of 4 KiB, O_DIRECT, random" % (tree_bytes / 1048576, rate))
print("%-6s %-11s %8s %7s %6s %8s %8s %7s %7s %8s" %
      ("round", "phase", "seconds", "vs-tar", "reads", "p50-ms", "p99-ms", "p50/id", "p99/id", ">id-p99"))
summary = {n: [] for n in order}
for r in sorted({x[0] for x in rows}, key=int):
    by = {x[1]: x for x in rows if x[0] == r}
    idle = by.get("idle")
    tar = by.get("tar|gzip")
    if not idle or not idle[4]:
        continue
    ip50, ip99 = q(idle[4], 0.5), q(idle[4], 0.99)
    for n in order:
        if n not in by:
            continue
        _, _, secs, st, lat = by[n]
        slow = sum(1 for v in lat if v > ip99) / len(lat) if lat else float("nan")
        vs = "-" if n == "idle" or not tar else "%.2fx" % (secs / tar[2])
        if not lat:     # no probe in this phase: its time only
            print("%-6s %-11s %8.1f %7s %6s%s" % (r, n, secs, vs, "-", "" if st == 0 else "  (exit %d)" % st))
            summary[n].append((secs / tar[2] if tar else None, float("nan"), float("nan")))
            continue
        print("%-6s %-11s %8.1f %7s %6d %8.3f %8.3f %6.2fx %6.2fx %7.1f%%%s" %
              (r, n, secs, vs, len(lat), q(lat, 0.5), q(lat, 0.99), q(lat, 0.5) / ip50,
               q(lat, 0.99) / ip99, slow * 100, "" if st == 0 else "  (exit %d)" % st))
        summary[n].append((secs / tar[2] if tar else None, q(lat, 0.99) / ip99, slow))
print()
print("medians over the rounds: phase, seconds vs tar|gzip, p99 vs idle, share over idle's p99")
med = lambda a: sorted(a)[len(a) // 2] if a else float("nan")
for n in order[1:]:
    s = summary[n]
    if s:
        print("  %-11s %6.2fx %6.2fx %6.1f%%" % (n, med([x[0] for x in s]), med([x[1] for x in s]),
                                               100 * med([x[2] for x in s])))
print()
print("what the controller did (record's throttle.controller):")
for r, n in [(x[0], x[1]) for x in rows if x[1] in ("lb default", "lb quiet")]:
    path = os.path.join(W, "record.%s-%s" % (r, n))
    if not os.path.exists(path):
        print("  round %s, %s: no record" % (r, n))
        continue
    t = json.load(open(path)).get("throttle") or {}
    c = t.get("controller")
    if not c:
        print("  round %s, %s: no controller in the record (paced=%s)" % (r, n, t.get("paced")))
        continue
    sig = c.get("signals", {})
    d = sig.get("disk_read_ms", {})
    io = sig.get("io_stall", {})
    k = sig.get("canary_ms", {})
    print("  round %s, %s: rate MB/s start %.1f min %.1f mean %.1f max %.1f; cuts %d; backed off %.1f s;"
          " canary %d reads, base %.3f ms, mean %.3f (over %d/%d windows, tail over %d);"
          " disk_read_ms base %.3f mean %.3f (over %d/%d windows); io_stall over %d/%d; site idle %d windows;"
          " budget reached %s; waited %.1f s, paused %.1f s"
          % (r, n, c["rate"]["start"] / 1e6, c["rate"]["min"] / 1e6, c["rate"]["mean"] / 1e6,
             c["rate"]["max"] / 1e6, c["cuts"], c["backed_off_seconds"], (c.get("canary") or {}).get("queries", 0),
             k.get("baseline", 0), k.get("mean", 0), k.get("over_windows", 0), k.get("windows", 0),
             (k.get("tail") or {}).get("over_windows", 0), d.get("baseline", 0),
             d.get("mean", 0), d.get("over_windows", 0), d.get("windows", 0),
             io.get("over_windows", 0), io.get("windows", 0), c.get("site_idle_windows", 0),
             c.get("budget_reached"), t.get("waited_seconds", 0),
             t.get("paused_seconds", 0)))
EOF
[ "$(awk '$NF != 0' "$W/phases" | wc -l)" = 0 ]

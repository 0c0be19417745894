#!/bin/bash
# tests/bench/logs-archive.sh — logs job benchmark: a first `lifeboat run
# JOB --here` archiving ~1 GB of access-log lines spread over 50 files,
# against `cat FILES | zstd -3 > OUT` on the same files in the same run.
#
#   tests/bench/logs-archive.sh [--size-mb N] [--files N] [--repeat N]
#                               [--lifeboat PATH] [--keep]
#
#   --size-mb N       log data to generate, in MB (10^6 bytes; default 1000)
#   --files N         number of log files (default 50)
#   --repeat N        time each tool N times and keep the fastest (default 2)
#   --lifeboat PATH   the lifeboat binary (default: build/daemon/lifeboat)
#   --threads "N..."  compress_threads values to time lifeboat with (default
#                     "1 0 2": the config default, in-thread, two workers)
#   --keep            leave the work directory in place
#
# The logs are generated once (combined log format, varied addresses, paths,
# statuses, sizes and agents) and read once before timing, so both tools
# read from the page cache: the figure is the archiving pipeline's own
# (read, SHA-256 of the lines, tar, zstd -3, SHA-256 of the artifact, fsync),
# not the disk's.  Each lifeboat repeat starts from an empty store and state
# dir, so it archives everything.  Prints MB/s for each, the ratio to the
# pipeline (target >= 0.9) and lifeboat's peak RSS (target < 64 MiB).
# lifeboat fsyncs its artifact; the pipeline's output is not fsynced.  Not part of
# the test suite.  Exit status: 0 both ran; 1 a tool failed; 2 bad usage.
set -u

SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
SIZE_MB=1000
FILES=50
REPEAT=2
LIFEBOAT=$SRCDIR/build/daemon/lifeboat
THREADS="1 0 2"
KEEP=0

while [ $# -gt 0 ]; do
	case "$1" in
	--size-mb) SIZE_MB=$2; shift ;;
	--files) FILES=$2; shift ;;
	--repeat) REPEAT=$2; shift ;;
	--lifeboat) LIFEBOAT=$2; shift ;;
	--threads) THREADS=$2; shift ;;
	--keep) KEEP=1 ;;
	-h|--help) sed -n '2,26p' "$0"; exit 0 ;;
	*) echo "logs-archive.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
for tool in zstd python3 /usr/bin/time; do
	command -v "$tool" >/dev/null 2>&1 || { echo "logs-archive.sh: $tool is missing" >&2; exit 1; }
done
[ -x "$LIFEBOAT" ] || { echo "logs-archive.sh: no $LIFEBOAT (build first)" >&2; exit 1; }

W=$(mktemp -d /tmp/lifeboat-bench.XXXXXX)
[ $KEEP = 1 ] || trap 'rm -rf "$W"' EXIT
mkdir -p "$W/logs"

echo "generating $SIZE_MB MB of access-log lines in $FILES files under $W/logs ..."
python3 - "$W/logs" "$FILES" "$SIZE_MB" <<'PY'
import os, random, sys
root, nfiles, size_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
per_file = size_mb * 10**6 // nfiles
rnd = random.Random(1)
paths = ["/", "/index.php", "/wp-login.php", "/cart", "/product/%d", "/static/app.%d.js",
         "/images/p%d.jpg", "/api/v1/orders/%d", "/search?q=item%d", "/blog/%d/comments"]
agents = ["Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/119.0 Safari/537.36",
          "curl/7.88.1", "Googlebot/2.1 (+http://www.google.com/bot.html)"]
# A pool of lines, drawn from at random: realistic variety at generator speed.
pool = []
for i in range(20000):
    p = rnd.choice(paths)
    if "%d" in p:
        p = p % rnd.randrange(100000)
    pool.append(('%d.%d.%d.%d - - [25/Nov/2026:%02d:%02d:%02d +0000] "GET %s HTTP/1.1" %d %d "-" "%s"\n' % (
        rnd.randrange(1, 255), rnd.randrange(256), rnd.randrange(256), rnd.randrange(256),
        rnd.randrange(24), rnd.randrange(60), rnd.randrange(60), p,
        rnd.choice([200, 200, 200, 304, 404, 500]), rnd.randrange(100, 100000),
        rnd.choice(agents))).encode())
for n in range(nfiles):
    with open(os.path.join(root, "site%02d.access.log" % n), "wb") as f:
        written = 0
        while written < per_file:
            chunk = b"".join(rnd.choice(pool) for _ in range(2000))
            f.write(chunk)
            written += len(chunk)
PY
bytes=$(cat "$W"/logs/*.log | wc -c)
echo "$bytes bytes in $FILES files"

cat > "$W/bench.ini" <<EOF2
[lifeboat]
store = $W/store
state_dir = $W/state
max_load = 0
io_limit = 0
max_latency_increase = 0%
nice = 0
ionice = none
compress_level = 3
compress_threads = 1
min_free = 0
[logs:bench]
schedule = @hourly
paths = $W/logs/*.log
EOF2

now() { date +%s.%N; }
# best OLD T0 T1: the smaller of OLD (may be empty) and T1 - T0.
best() { awk -v a="$2" -v b="$3" -v best="$1" 'BEGIN { s = b - a; print (best == "" || s < best) ? s : best }'; }
best_zstd=""
declare -A best_lb rss lsize
for _ in $(seq 1 "$REPEAT"); do
	cat "$W"/logs/*.log > /dev/null
	t0=$(now)
	cat "$W"/logs/*.log | zstd -3 -q > "$W/zstd.out" || { echo "zstd pipeline failed" >&2; exit 1; }
	t1=$(now)
	best_zstd=$(best "$best_zstd" "$t0" "$t1")
	zsize=$(stat -c %s "$W/zstd.out")
	rm -f "$W/zstd.out"
	for t in $THREADS; do
		sed -i "s/^compress_threads = .*/compress_threads = $t/" "$W/bench.ini"
		rm -rf "$W/store" "$W/state"
		cat "$W"/logs/*.log > /dev/null
		t0=$(now)
		/usr/bin/time -v -o "$W/time" "$LIFEBOAT" -c "$W/bench.ini" run bench --here > "$W/lb.out" 2>&1 ||
			{ cat "$W/lb.out" >&2; echo "lifeboat failed" >&2; exit 1; }
		t1=$(now)
		best_lb[$t]=$(best "${best_lb[$t]:-}" "$t0" "$t1")
		r=$(sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$W/time")
		[ -n "${rss[$t]:-}" ] && [ "${rss[$t]}" -ge "$r" ] || rss[$t]=$r
		lsize[$t]=$(find "$W/store" -name '*.tar.zst' -printf '%s\n' | head -n 1)
	done
done

rows=""
for t in $THREADS; do
	rows="$rows $t:${best_lb[$t]}:${rss[$t]}:${lsize[$t]}"
done
# shellcheck disable=SC2086 # one argument per row
python3 - "$bytes" "$best_zstd" "$zsize" $rows <<'PY'
import sys
b, tz, zs = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print(f"{'tool':<34}{'seconds':>9}{'MB/s':>9}{'output MB':>11}{'peak RSS':>11}{'vs zstd':>9}")
print(f"{'cat | zstd -3':<34}{tz:>9.2f}{b / tz / 1e6:>9.1f}{zs / 1e6:>11.1f}{'':>11}{'1.00x':>9}")
for row in sys.argv[4:]:
    t, tl, rss, ls = row.split(":")
    tl, rss, ls = float(tl), int(rss), int(ls)
    print(f"{'lifeboat run, compress_threads=' + t:<34}{tl:>9.2f}{b / tl / 1e6:>9.1f}{ls / 1e6:>11.1f}"
          f"{rss / 1024:>8.1f} MiB{tz / tl:>8.2f}x")
print("targets: >= 0.90x the zstd pipeline's throughput, peak RSS < 64 MiB")
PY

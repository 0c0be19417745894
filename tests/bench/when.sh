#!/bin/bash
# tests/bench/when.sh — `lifeboat when` over a year of daily snapshots (issue
# 18): a generated web root (tests/bench/webroot-gen.py) snapshotted once a
# day for DAYS days under faketime (one full, then incrementals; a few files
# change every day and the asked-about file on day DAYS/2), then, in one run:
#   lifeboat when PATH     the windows of one file over every snapshot's index
#   zstdcat|grep           the same lookup with the standard tools: every
#                          index decompressed and searched for the path
# and prints wall seconds, peak RSS and the ratio.  `when` reads only the
# indexes (each once, hash-checked), never a tar.
#
#   tests/bench/when.sh [--days N] [--files N] [--lifeboat PATH] [--keep]
#
# Run as root on Debian 12 (uses faketime, /usr/bin/time, zstd, python3, bc).
# Exit status: 0 all ran, 1 a tool failed, 2 bad usage.
set -u
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
DAYS=365
FILES=5000
LIFEBOAT=$SRCDIR/build/daemon/lifeboat
KEEP=0
while [ $# -gt 0 ]; do
	case $1 in
	--days) DAYS=$2; shift 2 ;;
	--files) FILES=$2; shift 2 ;;
	--lifeboat) LIFEBOAT=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	*) sed -n '2,15p' "$0" >&2; exit 2 ;;
	esac
done
for t in faketime /usr/bin/time zstd python3 bc; do
	[ -x "$t" ] || command -v "$t" >/dev/null || { echo "when.sh: $t is missing" >&2; exit 1; }
done
[ -x "$LIFEBOAT" ] || { echo "when.sh: no $LIFEBOAT (build first)" >&2; exit 1; }
W=$(mktemp -d /tmp/lifeboat-wbench.XXXXXX)
[ $KEEP = 1 ] || trap 'rm -rf "$W"' EXIT
python3 "$SRCDIR/tests/bench/webroot-gen.py" "$W/tree" --files "$FILES" || exit 1
cat > "$W/lb.ini" <<EOC
[lifeboat]
store = $W/store
state_dir = $W/state
max_load = 0
io_limit = 0
max_latency_increase = 0%
nice = 0
ionice = none
min_free = 0
[files:bench]
schedule = @daily
path = $W/tree
full_every = 400d
max_chain = 254
keep_last = 1000
EOC
target=$(cd "$W/tree" && find . -type f -name '*.php' | sort | head -n 1 | cut -c3-)
[ -n "$target" ] || { echo "when.sh: no .php file in the generated tree" >&2; exit 1; }
echo "snapshotting $FILES files daily for $DAYS days under faketime (the file asked about: $target)"
t0=$(date +%s)
for d in $(seq 0 $((DAYS - 1))); do
	day=$(date -u -d "2025-01-01 + $d days" +%Y-%m-%d)
	python3 "$SRCDIR/tests/bench/webroot-gen.py" "$W/tree" --change-percent 0.1 --seed "$d" >/dev/null || exit 1
	[ "$d" = $((DAYS / 2)) ] && echo "// changed on $day" >> "$W/tree/$target"
	TZ=UTC faketime -f "@$day 02:30:00" "$LIFEBOAT" -c "$W/lb.ini" run bench --here \
		> "$W/run.log" 2>&1 || { cat "$W/run.log" >&2; exit 1; }
done
echo "built in $(( $(date +%s) - t0 )) s: $(find "$W/store" -name '*.index.zst' | wc -l) indexes," \
	"$(du -cb "$W"/store/bench/*/*/*.index.zst | tail -n 1 | cut -f 1 | awk '{printf "%.1f", $1 / 1048576}') MiB of them"
sync
# Warm the page cache for both the same way.
cat "$W"/store/bench/*/*/*.index.zst > /dev/null
printf '%-16s %8s %8s %9s\n' tool seconds ratio rss-MiB
BASE=""
row() {
	local name=$1 t0 t1 secs rss
	shift
	t0=$(date +%s.%N)
	/usr/bin/time -f '%M' -o "$W/rss" "$@" > "$W/$name.out" 2> "$W/row.err" ||
		{ echo "$name failed:" >&2; cat "$W/row.err" >&2; exit 1; }
	t1=$(date +%s.%N)
	secs=$(echo "$t1 - $t0" | bc -l)
	rss=$(( $(tail -n 1 "$W/rss") / 1024 ))
	[ -n "$BASE" ] || BASE=$secs
	printf '%-16s %8.3f %7.2fx %9d\n' "$name" "$secs" "$(echo "$secs / $BASE" | bc -l)" "$rss"
}
row zstdcat-grep sh -c "for f in '$W'/store/bench/*/*/*.index.zst; do zstdcat -q \"\$f\" | grep -F -- '$target' >/dev/null; done"
row lifeboat-when "$LIFEBOAT" -c "$W/lb.ini" when "$target"
grep -c 'change ' "$W/lifeboat-when.out" | sed 's/^/changes found by when: /'

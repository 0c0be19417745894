#!/bin/bash
# tests/bench/files-snapshot.sh — files snapshot benchmark (issue 4): on a
# generated web-root-like tree (tests/bench/webroot-gen.py), in one run, times
#   tar|zstd-3        tar -cf - DIR | zstd -3 > file
#   lifeboat full     lifeboat run --here, the first (full) snapshot, with its index
#   lifeboat nochg    a second run with nothing changed (an incremental)
#   lifeboat 1%       a third run after 1% of the files changed
#   restic first / restic 1%   the same two points with restic, when installed
# and prints wall seconds, the ratio to tar|zstd-3, output size and peak RSS.
# A second tar|zstd-3 row also fsyncs its output, as lifeboat does.
#
#   tests/bench/files-snapshot.sh [--files N] [--lifeboat PATH] [--keep]
#
# Run as root on Debian 12 (uses /usr/bin/time, zstd, python3).  The tree is
# read once before timing so every tool sees a warm page cache.  Throttling
# is off for lifeboat (io_limit 0, max_load 0, nice 0, ionice none).
# Exit status: 0 all ran, 1 a tool failed, 2 bad usage.
set -u
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
FILES=20000
LIFEBOAT=$SRCDIR/build/daemon/lifeboat
KEEP=0
while [ $# -gt 0 ]; do
	case $1 in
	--files) FILES=$2; shift 2 ;;
	--lifeboat) LIFEBOAT=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	*) sed -n '2,17p' "$0" >&2; exit 2 ;;
	esac
done
for t in /usr/bin/time zstd python3 tar; do
	[ -x "$t" ] || command -v "$t" >/dev/null || { echo "files-snapshot.sh: $t is missing" >&2; exit 1; }
done
[ -x "$LIFEBOAT" ] || { echo "files-snapshot.sh: no $LIFEBOAT (build first)" >&2; exit 1; }
W=$(mktemp -d /tmp/lifeboat-fbench.XXXXXX)
[ $KEEP = 1 ] || trap 'rm -rf "$W"' EXIT
python3 "$SRCDIR/tests/bench/webroot-gen.py" "$W/tree" --files "$FILES" || exit 1
tar -cf - -C "$W/tree" . > /dev/null
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
EOC
TREE_BYTES=$(du -sb "$W/tree" | cut -f 1)
printf '%-17s %8s %8s %10s %9s\n' tool seconds vs-tar output-MiB rss-MiB
BASE=""
FAILED=0
# row NAME OUTPUT-FILE-OR-DIR CMD...: times CMD, prints a row.
row() {
	local name=$1 out=$2 t0 t1 secs rss size ratio
	shift 2
	t0=$(date +%s.%N)
	if ! /usr/bin/time -f '%M' -o "$W/rss" "$@" > "$W/row.out" 2> "$W/row.err"; then
		echo "$name failed:" >&2; cat "$W/row.err" >&2; FAILED=1; return
	fi
	t1=$(date +%s.%N)
	secs=$(echo "$t1 - $t0" | bc -l)
	rss=$(( $(tail -n 1 "$W/rss") / 1024 ))
	size=$(du -sb "$out" 2>/dev/null | cut -f 1)
	[ -n "$BASE" ] || BASE=$secs
	ratio=$(echo "$secs / $BASE" | bc -l)
	printf '%-17s %8.2f %7.2fx %10.1f %9d\n' "$name" "$secs" "$ratio" "$(echo "${size:-0} / 1048576" | bc -l)" "$rss"
}
command -v bc >/dev/null || { echo "files-snapshot.sh: bc is missing" >&2; exit 1; }
row "tar|zstd-3" "$W/tar.zst" sh -c "tar -cf - -C '$W/tree' . | zstd -3 -q -o '$W/tar.zst'"
# lifeboat fsyncs its artifacts (and paces their write-back): the fair twin.
row "tar|zstd-3+sync" "$W/tar.zst" sh -c "tar -cf - -C '$W/tree' . | zstd -3 -q -f -o '$W/tar.zst' && sync '$W/tar.zst'"
row "lifeboat full" "$W/store" "$LIFEBOAT" -c "$W/lb.ini" run bench --here
if command -v restic >/dev/null; then
	export RESTIC_PASSWORD=bench RESTIC_REPOSITORY=$W/restic
	restic init -q >/dev/null
	row "restic first" "$W/restic" restic backup -q "$W/tree"
fi
row "lifeboat nochg" "$W/store" "$LIFEBOAT" -c "$W/lb.ini" run bench --here
python3 "$SRCDIR/tests/bench/webroot-gen.py" "$W/tree" --change-percent 1 > /dev/null
row "lifeboat 1%" "$W/store" "$LIFEBOAT" -c "$W/lb.ini" run bench --here
if command -v restic >/dev/null; then
	row "restic 1%" "$W/restic" restic backup -q "$W/tree"
fi
printf 'tree: %d files, %.0f MiB; output-MiB is the whole store (cumulative) for lifeboat\n' \
	"$FILES" "$(echo "$TREE_BYTES / 1048576" | bc -l)"
exit $FAILED

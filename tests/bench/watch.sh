#!/bin/bash
# tests/bench/watch.sh — watch check benchmark (issue 16): on the generated
# web root of tests/bench/webroot-gen.py (20,000 files, ~600 MiB), in one run:
#   aide --check          Debian's AIDE, with a config that checks SHA-256 of
#                         every file (and perms, inode, owner, size, times)
#   lifeboat check        lifeboat run WATCHJOB --here: stat trust, hash on mismatch
#   lifeboat paranoid     the same with paranoid = yes (every file rehashed)
# first on the unchanged tree, then after 1% of the files changed; wall
# seconds, the ratio to aide --check of the same tree state, peak RSS
# (/usr/bin/time -v's maximum resident set).  Then an idle lifeboatd with an
# on_change watch job: its CPU time over 10 s with no file events.
#
#   tests/bench/watch.sh [--files N] [--lifeboat DIR] [--keep]
#
# Run as root on Debian 12; installs aide with apt-get when it is missing.
# The tree is read once before timing (warm page cache for every tool).
# Throttling is off for lifeboat.  Exit status: 0 all ran, 1 a tool failed.
set -u
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
FILES=20000
BUILD=$SRCDIR/build
KEEP=0
while [ $# -gt 0 ]; do
	case $1 in
	--files) FILES=$2; shift 2 ;;
	--lifeboat) BUILD=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	*) sed -n '2,17p' "$0" >&2; exit 2 ;;
	esac
done
LIFEBOAT=$BUILD/daemon/lifeboat
LIFEBOATD=$BUILD/daemon/lifeboatd
if ! command -v aide >/dev/null; then
	echo "watch.sh: installing aide (apt-get)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q aide >/dev/null || { echo "watch.sh: cannot install aide" >&2; exit 1; }
fi
for t in /usr/bin/time python3 bc aide; do
	command -v "$t" >/dev/null || { echo "watch.sh: $t is missing" >&2; exit 1; }
done
[ -x "$LIFEBOAT" ] || { echo "watch.sh: no $LIFEBOAT (build first)" >&2; exit 1; }
W=$(mktemp -d /tmp/lifeboat-wbench.XXXXXX)
DPID=""
cleanup() { [ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null; [ $KEEP = 1 ] || rm -rf "$W"; }
trap cleanup EXIT
python3 "$SRCDIR/tests/bench/webroot-gen.py" "$W/tree" --files "$FILES" || exit 1
cat > "$W/lb.ini" <<EOC
[lifeboat]
store = $W/store
state_dir = $W/state
socket = $W/lifeboatd.sock
socket_group = root
max_load = 0
io_limit = 0
max_latency_increase = 0%
nice = 0
ionice = none
min_free = 0
[files:site]
schedule = @daily
path = $W/tree
[watch:check]
schedule = @daily
files = site
[watch:paranoid]
schedule = @daily
files = site
paranoid = yes
[watch:live]
schedule = @daily
files = site
on_change = yes
max_watches = 100000
EOC
cat > "$W/aide.conf" <<EOC
database_in=file:$W/aide.db
database_out=file:$W/aide.db.new
gzip_dbout=no
report_url=stdout
Checks = p+i+n+u+g+s+m+c+sha256
$W/tree Checks
EOC
"$LIFEBOAT" -c "$W/lb.ini" run site --here > /dev/null 2>&1 || { echo "watch.sh: the baseline snapshot failed" >&2; exit 1; }
aide --init -c "$W/aide.conf" > /dev/null 2>&1
mv "$W/aide.db.new" "$W/aide.db" || { echo "watch.sh: aide --init failed" >&2; exit 1; }
"$LIFEBOAT" -c "$W/lb.ini" run check --here > /dev/null 2>&1	# chooses the baseline
"$LIFEBOAT" -c "$W/lb.ini" run paranoid --here > /dev/null 2>&1
"$LIFEBOAT" -c "$W/lb.ini" run live --here > /dev/null 2>&1
tar -cf - -C "$W/tree" . > /dev/null
FAILED=0
BASE=""
printf '%-22s %8s %9s %9s\n' what seconds vs-aide rss-MiB
row() {
	local name=$1 t0 t1 secs rss ratio
	shift
	t0=$(date +%s.%N)
	if ! /usr/bin/time -v -o "$W/rss" "$@" > "$W/row.out" 2> "$W/row.err"; then
		echo "$name failed:" >&2; tail -5 "$W/row.err" >&2; FAILED=1; return
	fi
	t1=$(date +%s.%N)
	secs=$(echo "$t1 - $t0" | bc -l)
	rss=$(( $(awk -F': ' '/Maximum resident/ {print $2}' "$W/rss") / 1024 ))
	[ -n "$BASE" ] || BASE=$secs
	ratio=$(echo "$secs / $BASE" | bc -l)
	printf '%-22s %8.2f %8.3fx %9d\n' "$name" "$secs" "$ratio" "$rss"
}
# aide --check exits 1..7 when it found changes: not a failure.
AIDE=(sh -c "aide --check -c '$W/aide.conf'; [ \$? -lt 14 ]")
BASE=""; row "aide --check unchanged" "${AIDE[@]}"
row "lifeboat unchanged" "$LIFEBOAT" -c "$W/lb.ini" run check --here
row "lifeboat paranoid unch" "$LIFEBOAT" -c "$W/lb.ini" run paranoid --here
python3 "$SRCDIR/tests/bench/webroot-gen.py" "$W/tree" --change-percent 1 > /dev/null
tar -cf - -C "$W/tree" . > /dev/null
BASE=""; row "aide --check 1%" "${AIDE[@]}"
row "lifeboat 1%" "$LIFEBOAT" -c "$W/lb.ini" run check --here
grep -o '[0-9]* changed' "$W/row.out" | sed 's/^/  lifeboat found: /'
row "lifeboat paranoid 1%" "$LIFEBOAT" -c "$W/lb.ini" run paranoid --here

# An idle daemon with an on_change watch job: CPU over 10 s with no events.
if [ -x "$LIFEBOATD" ]; then
	"$LIFEBOATD" -c "$W/lb.ini" > "$W/d.log" 2>&1 &
	DPID=$!
	sleep 3
	c0=$(awk '{print $14 + $15}' "/proc/$DPID/stat")
	sleep 10
	c1=$(awk '{print $14 + $15}' "/proc/$DPID/stat")
	printf 'idle lifeboatd with on_change (%s): %d clock ticks of CPU in 10 s (%s ticks/s)\n' \
		"$(grep -o 'watching [0-9]* directories' "$W/d.log" | head -1)" "$((c1 - c0))" "$(getconf CLK_TCK)"
	kill -TERM "$DPID"; wait "$DPID" 2>/dev/null; DPID=""
fi
printf 'tree: %d files, %.0f MiB\n' "$FILES" "$(echo "$(du -sb "$W/tree" | cut -f 1) / 1048576" | bc -l)"
exit $FAILED

#!/bin/bash
# tests/bench/daemon-idle.sh [--seconds N] [--jobs N] [--lifeboatd PATH]
# What an idle lifeboatd costs (issue 7): it starts the daemon with N jobs
# (default 10: db, files and logs jobs on schedules that do not fire during
# the window), lets it settle, then for N seconds (default 60) reads its CPU
# time (utime + stime from /proc/PID/stat) and its resident memory (VmRSS and
# the peak VmHWM), and prints them.  Targets: RSS under 8 MiB, no measurable
# CPU (it sleeps in the loop: no polling; the only timers are the jobs' and,
# under systemd, the watchdog's).  No database is needed: nothing runs.
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_WANTED=60
JOBS=10
LIFEBOATD=$src/build/daemon/lifeboatd
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) SECONDS_WANTED=$2; shift 2 ;;
	--jobs) JOBS=$2; shift 2 ;;
	--lifeboatd) LIFEBOATD=$2; shift 2 ;;
	-h|--help) sed -n '2,10p' "$0"; exit 0 ;;
	*) echo "daemon-idle: unknown option '$1'" >&2; exit 2 ;;
	esac
done
if [ ! -x "$LIFEBOATD" ]; then
	"$src/tests/install-deps.sh"
	[ -d "$src/build/meson-private" ] || meson setup "$src/build" "$src"
	ninja -C "$src/build"
fi

work=$(mktemp -d /tmp/lifeboat-idle.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/www" "$work/logs"
printf 'x\n' >"$work/logs/a.log"
printf 'secret\n' >"$work/pw"
chmod 600 "$work/pw"
{
	printf '[lifeboat]\nstore = %s/store\nstate_dir = %s/state\nsocket = %s/sock\nsocket_group = root\n' \
		"$work" "$work" "$work"
	for i in $(seq 1 "$JOBS"); do
		case $((i % 3)) in
		0) printf '\n[db:db%d]\nschedule = @yearly\nsocket = %s/none.sock\nuser = backup\npassword_file = %s/pw\n' "$i" "$work" "$work" ;;
		1) printf '\n[files:site%d]\nschedule = @monthly\npath = %s/www\n' "$i" "$work" ;;
		2) printf '\n[logs:logs%d]\nschedule = @weekly\npaths = %s/logs/*.log\n' "$i" "$work" ;;
		esac
	done
} >"$work/lifeboat.ini"

"$LIFEBOATD" -c "$work/lifeboat.ini" 2>"$work/log" &
pid=$!
for _ in $(seq 100); do
	[ -S "$work/sock" ] && break
	sleep 0.1
done
[ -S "$work/sock" ] || { cat "$work/log" >&2; echo "lifeboatd did not start" >&2; exit 1; }
sleep 2
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
sleep "$SECONDS_WANTED"
t1=$(ticks)
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
wakeups=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$pid/status")
printf 'idle lifeboatd, %d jobs, %d s\n' "$JOBS" "$SECONDS_WANTED"
printf '  CPU time:        %d ticks (%s s; 1 tick = 1/%d s)\n' "$((t1 - t0))" \
	"$(python3 -c "print(($t1 - $t0) / $hz)")" "$hz"
printf '  RSS now:         %d KiB (%.1f MiB)\n' "$rss" "$(python3 -c "print($rss / 1024)")"
printf '  RSS peak:        %d KiB (%.1f MiB)\n' "$hwm" "$(python3 -c "print($hwm / 1024)")"
printf '  context switches since start (voluntary): %s\n' "$wakeups"
printf 'targets: RSS under 8 MiB: %s; no measurable CPU: %s\n' \
	"$([ "$hwm" -lt 8192 ] && echo met || echo 'NOT met')" \
	"$([ $((t1 - t0)) -le 1 ] && echo met || echo 'NOT met')"

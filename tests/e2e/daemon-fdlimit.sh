# lifeboatd's control socket under a flood of idle connections (issue 13,
# item 7).  With the soft open files limit of a systemd service (1024) and
# 2,000 idle connections held by one process, `lifeboat status` answers and
# `status --check` is not UNKNOWN: lifeboatd raised its soft limit to the
# hard one, serves a capped number of connections in full and keeps room for
# status beyond them.  With a hard limit of 200 (nothing to raise) the caps
# shrink to fit and status still answers; idle connections are closed after
# the idle timeout (--idle-timeout 2 here), a client that trickles bytes
# without a newline too, but not one that keeps sending requests nor one
# that follows a run; a 10 MB line without a newline is cut off; a hook gets
# the usual soft limit of 1024 back.
# Drives: daemon/control.c, daemon/lifeboatd.c, lib/base/protocol.c.
set -e
# shellcheck source=tests/e2e/daemon-lib.sh
. "$(dirname "$0")/daemon-lib.sh"

command -v prlimit >/dev/null 2>&1 || fail "prlimit (util-linux) is not installed"
[ "$(id -u)" = 0 ] || fail "this test runs as root (it sets hard limits on open files)"

N=2000
small="dfl_s_$$"
big="dfl_b_$$"
make_rows "$small" 50
make_rows "$big" 3000
CFG=$TMP/fdlimit.ini
{
	daemon_globals
	db_job quick "$small" "on_success = grep 'open files' /proc/self/limits > $TMP/hook-limits"
	db_job slow "$big" "io_limit = 50K"
} >"$CFG"

# with_nofile SOFT:HARD CMD...: CMD under that open files limit.
with_nofile() {
	local lim=$1
	shift
	prlimit --nofile="$lim" -- "$@"
}
# The daemon's limit as /proc shows it: "SOFT HARD".
daemon_nofile() { awk '/^Max open files/ { print $4, $5 }' "/proc/$DPID/limits"; }
daemon_fds() { find "/proc/$DPID/fd" -mindepth 1 | wc -l; }

# hold N STATE: a background process that opens N connections and leaves
# them idle; STATE says "CONNECTED CLOSED" (how many the daemon closed so
# far), updated every 0.2 s.  Sets HOLDER.
hold() {
	rm -f "$2"
	python3 - "$CTLSOCK" "$1" "$2" <<'PY' &
import os, resource, select, socket, sys, time
path, n, state = sys.argv[1], int(sys.argv[2]), sys.argv[3]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < n + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (n + 64, max(hard, n + 64)))
socks = {}
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    socks[s.fileno()] = s
def report(closed):
    with open(state + ".tmp", "w") as f:
        f.write("%d %d\n" % (n, closed))
    os.rename(state + ".tmp", state)
p = select.poll()
for fd in socks:
    p.register(fd, select.POLLIN)
closed = 0
report(closed)
end = time.time() + 120
while time.time() < end:
    for fd, ev in p.poll(200):
        try:
            data = socks[fd].recv(65536)
        except OSError:
            data = b""
        if not data:
            p.unregister(fd)
            socks.pop(fd).close()
            closed += 1
    report(closed)
PY
	HOLDER=$!
	kill_later "$HOLDER"
	wait_until 60 "$1 connections opened" test -s "$2"
}
unhold() {
	kill "$HOLDER" 2>/dev/null || true
	wait "$HOLDER" 2>/dev/null || true
}
held_closed() { cut -d' ' -f2 "$1"; }
# at_least N CMD...: the number CMD prints is N or more (for wait_until).
at_least() { local n=$1; shift; [ "$("$@")" -ge "$n" ]; }
below() { local n=$1; shift; [ "$("$@")" -lt "$n" ]; }

# answers WHAT: status and status --check answer, and say so.
answers() {
	expect_rc 0 lb status
	contains "$OUT" "quick" "lifeboat status $1"
	run lb status --check
	[ "$RC" != 3 ] || { printf '%s\n%s\n' "$OUT" "$ERR" >&2; fail "status --check $1: UNKNOWN"; }
	contains "$OUT" "LIFEBOAT OK" "status --check $1"
}

# The unit gives the daemon more than systemd's default of 1024.
unit_nofile=$(sed -n 's/^LimitNOFILE=//p' "$SRCDIR/systemd/lifeboat.service.in")
CHECKS=$((CHECKS + 1))
[ "${unit_nofile:-0}" -ge 4096 ] 2>/dev/null || fail "LimitNOFILE= of the unit: '$unit_nofile', expected 4096 or more"

# ------------------------------------------------------------ a systemd-like limit
# Soft 1024 (systemd's default for a service), hard 8192: lifeboatd raises
# the soft limit to the hard one at start, and says so.
LIFEBOATD_REAL=$LIFEBOATD
LIFEBOATD="$TMP/lifeboatd-1024"
printf '#!/bin/sh\nexec prlimit --nofile=1024:8192 -- %q "$@"\n' "$LIFEBOATD_REAL" >"$LIFEBOATD"
chmod 755 "$LIFEBOATD"
start_daemon
equals "$(daemon_nofile)" "8192 8192" "the daemon's open files limit (soft hard)"
log_has "open files limit: 8192 (raised from 1024)"
log_has "control: at most 128 connections served in full and 32 more for status only; idle ones closed after 60 s"

hold $N "$TMP/held"
answers "with $N idle connections open"
fds=$(daemon_fds)
CHECKS=$((CHECKS + 1))
[ "$fds" -lt 250 ] || fail "the daemon holds $fds descriptors with $N idle clients (the caps allow 160 + its own)"
# The clients beyond the caps were closed at once, not left to time out.
wait_until 10 "all but the 160 connections the caps allow closed" at_least $((N - 160)) held_closed "$TMP/held"
log_has "control: 128 connections open, the most served in full; new ones may only ask for status"
# A full slot is what a run needs: it is refused, clearly.
expect_rc 1 lb run quick
contains "$ERR" "too many connections to lifeboatd" "lifeboat run with every slot taken"
equals "$(backups quick)" "" "backups after a refused run"
not_contains "$(cat "$DLOG")" "cannot accept" "the daemon's log (never out of descriptors)"
unhold
# Once they have gone, everything is served again.
wait_until 10 "the held connections closed" below 40 daemon_fds
expect_rc 0 lb run quick --wait
contains "$OUT" "quick:" "run --wait after the flood"
# The hook has the usual soft limit, not lifeboatd's raised one.
wait_until 10 "the on_success hook" test -s "$TMP/hook-limits"
equals "$(awk '{ print $4, $5 }' "$TMP/hook-limits")" "1024 8192" "a hook's open files limit (soft hard)"
stop_daemon 10
equals "$DRC" "0" "lifeboatd's exit status after the flood"

# ------------------------------------------------------------ a low hard limit
# Hard 200: nothing to raise; the caps shrink to leave 64 descriptors free.
LIFEBOATD="$TMP/lifeboatd-200"
printf '#!/bin/sh\nexec prlimit --nofile=200:200 -- %q "$@"\n' "$LIFEBOATD_REAL" >"$LIFEBOATD"
chmod 755 "$LIFEBOATD"
: >"$DLOG"
start_daemon --idle-timeout 2
equals "$(daemon_nofile)" "200 200" "the daemon's open files limit (soft hard)"
log_has "open files limit: 200 (already the hard limit)"
log_has "control: the open files limit is 200: serving at most 136 connections at once"
log_has "control: at most 104 connections served in full and 32 more for status only; idle ones closed after 2 s"
hold $N "$TMP/held2"
answers "with $N idle connections open and a hard limit of 200"
fds=$(daemon_fds)
CHECKS=$((CHECKS + 1))
[ "$fds" -lt 180 ] || fail "the daemon holds $fds descriptors (limit 200)"
# All of them are closed: beyond the caps at once, the rest when idle.
wait_until 15 "all $N idle connections closed" at_least $N held_closed "$TMP/held2"
log_has "idle connections (no complete request for 2 s)"
not_contains "$(cat "$DLOG")" "cannot accept" "the daemon's log (never out of descriptors)"
unhold
answers "after the idle connections were closed"

# A client that trickles bytes without ever ending a line is idle too; one
# that sends a request a second is not; each is told why it is closed.
reply=$(python3 - "$CTLSOCK" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(0.3)
start, got = time.time(), b""
while time.time() - start < 10:
    try:
        s.sendall(b"x")
    except OSError:
        pass
    try:
        c = s.recv(65536)
    except socket.timeout:
        continue
    except OSError:
        c = b""
    if not c:
        print("EOF after %.1f s" % (time.time() - start))
        break
    got += c
print(got.decode(errors="replace"))
PY
)
contains "$reply" "EOF after " "a client trickling bytes"
contains "$reply" "no request for 2 s" "the reply to a client trickling bytes"
secs=$(printf '%s\n' "$reply" | sed -n 's/^EOF after \([0-9]*\)\..*/\1/p')
CHECKS=$((CHECKS + 1))
[ "$secs" -ge 2 ] && [ "$secs" -le 4 ] || fail "a trickling client closed after $secs s, expected 2-4"
reply=$(python3 - "$CTLSOCK" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(3)
f = s.makefile("rb")
for i in range(6):
    s.sendall(b'{"cmd":"status"}\n')
    line = f.readline().decode()
    print("reply ok" if '"ok":true' in line else "reply: " + line[-200:])
    time.sleep(1)
PY
)
equals "$(printf '%s\n' "$reply" | grep -c '^reply ok$')" "6" "replies to a request a second for 6 s ($reply)"

# A client following a run is not idle, however long the run stays quiet.
t0=$(date +%s)
expect_rc 0 lb run slow --wait
t=$(($(date +%s) - t0))
contains "$OUT" "slow:" "run --wait of the slow job"
CHECKS=$((CHECKS + 1))
[ "$t" -ge 4 ] || fail "the slow run took ${t}s: too quick to show a follower outliving the 2 s idle timeout"

# A 10 MB line without a newline is cut off at the line limit.
reply=$(python3 - "$CTLSOCK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(10)
sent = 0
try:
    while sent < 10 * 1024 * 1024:
        s.sendall(b"a" * 65536)
        sent += 65536
except OSError:
    pass
print("sent", sent)
buf = b""
try:
    while True:
        c = s.recv(65536)
        if not c:
            break
        buf += c
except socket.timeout:
    print("TIMEOUT")
except OSError:
    pass
print(buf.decode(errors="replace"))
print("EOF")
PY
)
contains "$reply" "request too long (at most 65536 bytes per line)" "the reply to a 10 MB line"
contains "$reply" "EOF" "the connection after a 10 MB line"
not_contains "$reply" "TIMEOUT" "the connection after a 10 MB line (cut off)"
not_contains "$reply" "sent 10485760" "the sender of a 10 MB line (cut off before the end)"
answers "after a 10 MB line"

stop_daemon 10
equals "$DRC" "0" "lifeboatd's exit status"
done_ok

# lifeboatd's control socket (issue 7): mode 0660 and group socket_group;
# a peer that is not root, the daemon's user or in the group is refused with
# a clear reply even when the file permissions let it connect (and one in
# the group is let in); garbage, unknown requests, a 100 KB and a 10 MB line
# without a newline, a half-closed connection and an idle one leave the
# daemon answering; a second lifeboatd on the same socket refuses to start
# (and leaves the first one's socket alone); a stale socket is replaced.
# Drives: lib/base/protocol.c (through daemon/control.c).
set -e
# shellcheck source=tests/e2e/daemon-lib.sh
. "$(dirname "$0")/daemon-lib.sh"

command -v setpriv >/dev/null 2>&1 || fail "setpriv is not installed"
[ "$(id -u)" = 0 ] || fail "this test runs as root (it switches to uid 65534)"

db="dmk_$$"
make_rows "$db" 50
CFG=$TMP/socket.ini
{
	daemon_globals
	db_job shop "$db"
} >"$CFG"
chmod 644 "$CFG"

answers() {
	expect_rc 0 lb status --check
	contains "$OUT" "LIFEBOAT OK" "${1:-status} (the daemon still answers)"
	daemon_alive || fail "lifeboatd is gone"
}

start_daemon

# ------------------------------------------------------------ the file
equals "$(stat -c %a "$CTLSOCK")" "660" "mode of the control socket"
equals "$(stat -c %G "$CTLSOCK")" "root" "group of the control socket (socket_group)"
equals "$(stat -c %F "$CTLSOCK")" "socket" "type of $CTLSOCK"

# ------------------------------------------------------------ peers
# Open the way for everyone, so that only the peer check stands.
chmod 755 "$TMP" "$TMP/run"
chmod 666 "$CTLSOCK"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# as_nobody_in_root: uid 65534 with root (the socket_group) as a supplementary group.
as_nobody_in_root() { setpriv --reuid=65534 --regid=65534 --groups=0 "$@"; }

reply=$(as_nobody bash -c "$(declare -f ctl_send); CTLSOCK='$CTLSOCK' ctl_send '{\"cmd\":\"status\"}\\n'")
contains "$reply" '"ok":false' "the reply to uid 65534"
contains "$reply" "permission denied" "the reply to uid 65534"
contains "$reply" "uid 65534" "the reply to uid 65534"
contains "$reply" "EOF" "the connection of uid 65534 (dropped)"
not_contains "$reply" '"jobs"' "the reply to uid 65534"
log_has "control: refused uid 65534"

expect_rc 1 as_nobody "$LIFEBOAT" -c "$CFG" status
contains "$ERR" "permission denied" "lifeboat status as uid 65534"
not_contains "$OUT" "shop" "lifeboat status as uid 65534"
expect_rc 1 as_nobody "$LIFEBOAT" -c "$CFG" run shop
contains "$ERR" "permission denied" "lifeboat run as uid 65534"
equals "$(backups shop)" "" "backups after a refused run request"
run as_nobody "$LIFEBOAT" -c "$CFG" status --check
equals "$RC" "3" "status --check as uid 65534 (UNKNOWN)"
contains "$OUT" "LIFEBOAT UNKNOWN" "status --check as uid 65534"

# A member of socket_group is let in.
reply=$(as_nobody_in_root bash -c "$(declare -f ctl_send); CTLSOCK='$CTLSOCK' ctl_send '{\"cmd\":\"status\"}\\n' 1")
contains "$reply" '"ok":true' "the reply to uid 65534 in group root"
contains "$reply" '"jobs"' "the reply to uid 65534 in group root"
reply=$(setpriv --reuid=65534 --regid=0 --clear-groups bash -c "$(declare -f ctl_send); CTLSOCK='$CTLSOCK' ctl_send '{\"cmd\":\"status\"}\\n' 1")
contains "$reply" '"ok":true' "the reply to uid 65534 with primary group root"
answers "after the peer checks"
chmod 700 "$TMP"

# ------------------------------------------------------------ garbage
reply=$(ctl_send 'this is not json\n' 1)
contains "$reply" '"ok":false' "the reply to garbage"
contains "$reply" '"error":' "the reply to garbage"
answers "after garbage"
reply=$(ctl_send '{"cmd": "status"\n' 1)
contains "$reply" '"ok":false' "the reply to malformed JSON"
reply=$(ctl_send '[1, 2, 3]\n"status"\n{}\n{"cmd": 42}\n' 4)
equals "$(printf '%s\n' "$reply" | grep -c '"ok":false')" "4" "error replies to non-requests ($reply)"
reply=$(ctl_send '{"cmd":"frobnicate"}\n' 1)
contains "$reply" '"ok":false' "the reply to an unknown request"
contains "$reply" "unknown request 'frobnicate'" "the reply to an unknown request"
reply=$(ctl_send '{"cmd":"run"}\n{"cmd":"run","job":"nosuch"}\n{"cmd":"run","job":["shop"]}\n{"cmd":"follow","job":"shop"}\n{"cmd":"cancel","job":"shop"}\n{"cmd":"ack"}\n' 6)
equals "$(printf '%s\n' "$reply" | grep -c '"ok":false')" "6" "error replies to bad run/follow/cancel/ack requests ($reply)"
contains "$reply" "no job named 'nosuch'" "the reply to a run of an unknown job"
contains "$reply" "not running" "the reply to a follow of an idle job"
equals "$(backups shop)" "" "backups after bad run requests"
# Binary junk, NUL bytes included, then a good request on the same line
# stream: the junk line is an error, the next line is served.
reply=$(ctl_send '\x01\xff\xfe\x00 junk\n{"cmd":"status"}\n' 2)
contains "$(printf '%s\n' "$reply" | head -n 1)" '"ok":false' "the reply to binary junk"
contains "$(printf '%s\n' "$reply" | sed -n 2p)" '"ok":true' "the reply to a status after junk"
# Empty lines are skipped; several requests in one write are all answered.
reply=$(ctl_send '\n\n{"cmd":"status"}\n{"cmd":"status"}\n' 2)
equals "$(printf '%s\n' "$reply" | grep -c '"ok":true')" "2" "replies to two requests in one write"
answers "after bad requests"

# ------------------------------------------------------------ long lines
# big_line BYTES: sends BYTES of 'a' without a newline, then reads; prints
# the reply lines and EOF when the daemon dropped the connection.
big_line() {
	python3 - "$CTLSOCK" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(10)
left = int(sys.argv[2])
chunk = b"a" * 65536
try:
    while left > 0:
        n = min(left, len(chunk))
        s.sendall(chunk[:n])
        left -= n
except (BrokenPipeError, ConnectionResetError):
    print("send stopped early")
buf = b""
try:
    while True:
        c = s.recv(65536)
        if not c:
            break
        buf += c
except ConnectionResetError:
    pass
except socket.timeout:
    print("TIMEOUT")
print(buf.decode(errors="replace"), end="")
print("EOF")
PY
}
reply=$(big_line 102400)
contains "$reply" '"ok":false' "the reply to a 100 KB line"
contains "$reply" "request too long" "the reply to a 100 KB line"
contains "$reply" "EOF" "the connection after a 100 KB line"
not_contains "$reply" "TIMEOUT" "the connection after a 100 KB line (dropped)"
answers "after a 100 KB line"
reply=$(big_line 10485760)
contains "$reply" "EOF" "the connection after a 10 MB line"
not_contains "$reply" "TIMEOUT" "the connection after a 10 MB line (dropped)"
answers "after a 10 MB line"
# A line just under the limit is read as one (and refused as bad JSON).
reply=$(ctl_send "$(head -c 60000 /dev/zero | tr '\0' 'x')\\n" 1)
contains "$reply" '"ok":false' "the reply to a 60 KB line"
not_contains "$reply" "too long" "the reply to a 60 KB line"
answers "after a 60 KB line"

# ------------------------------------------------------------ half-closed
# A request and then the end of the client's writing (nc -N): answered.
reply=$(python3 - "$CTLSOCK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(5)
s.sendall(b'{"cmd":"status"}\n')
s.shutdown(socket.SHUT_WR)
buf = b""
try:
    while True:
        c = s.recv(65536)
        if not c:
            break
        buf += c
except socket.timeout:
    print("TIMEOUT")
print(buf.decode(errors="replace"))
PY
)
contains "$reply" '"ok":true' "the reply to a half-closed connection's request"
not_contains "$reply" "TIMEOUT" "a half-closed connection (closed by the daemon)"
# Half a request, then half-closed: dropped without a crash.
reply=$(python3 - "$CTLSOCK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(5)
s.sendall(b'{"cmd":"sta')
s.shutdown(socket.SHUT_WR)
try:
    print(repr(s.recv(65536)))
except socket.timeout:
    print("TIMEOUT")
PY
)
not_contains "$reply" "TIMEOUT" "half a request, half-closed"
answers "after half-closed connections"

# An idle client (connected, silent) blocks no one; nor does one that left
# without reading its reply.
python3 - "$CTLSOCK" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
time.sleep(30)
PY
IDLE=$!
kill_later "$IDLE"
python3 - "$CTLSOCK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b'{"cmd":"status"}\n' * 50)
s.close()
PY
answers "with an idle client connected"
kill "$IDLE" 2>/dev/null || true
wait "$IDLE" 2>/dev/null || true

# ------------------------------------------------------------ a second daemon
ino=$(stat -c %i "$CTLSOCK")
set +e
timeout 10 "$LIFEBOATD" -c "$CFG" >"$TMP/second.out" 2>"$TMP/second.err"
rc=$?
set -e
equals "$rc" "1" "exit status of a second lifeboatd on the same socket"
contains "$(cat "$TMP/second.err")" "another lifeboatd" "the second lifeboatd's complaint"
not_contains "$(cat "$TMP/second.err")" "Sanitizer" "the second lifeboatd's stderr"
equals "$(stat -c %i "$CTLSOCK" 2>/dev/null)" "$ino" "the first daemon's socket after the second tried"
answers "after a second lifeboatd tried"

# ------------------------------------------------------------ stale socket
# The daemon that took all of the above stops cleanly (and, in the
# sanitizer build, without a leak).
stop_daemon 10
equals "$DRC" "0" "lifeboatd's exit status after the abuse"
# A daemon that died leaves its socket; the next one replaces it.
start_daemon
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null || true
DPID=""
[ -S "$CTLSOCK" ] || fail "no socket left by a killed daemon (the test expected one)"
expect_rc 3 lb status --check
contains "$OUT" "LIFEBOAT UNKNOWN" "--check with a stale socket"
start_daemon
answers "after replacing a stale socket"
equals "$(stat -c %a "$CTLSOCK")" "660" "mode of the replaced control socket"

# Something that is not a socket at the path is never removed.
stop_daemon 10
echo precious >"$CTLSOCK"
set +e
timeout 10 "$LIFEBOATD" -c "$CFG" >"$TMP/third.out" 2>"$TMP/third.err"
rc=$?
set -e
equals "$rc" "1" "exit status of lifeboatd with a regular file at the socket path"
contains "$(cat "$TMP/third.err")" "not a socket" "lifeboatd with a regular file at the socket path"
not_contains "$(cat "$TMP/third.err")" "Sanitizer" "the stderr of lifeboatd with a regular file at the socket path"
equals "$(cat "$CTLSOCK")" "precious" "the file at the socket path"

done_ok

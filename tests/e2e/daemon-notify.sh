# lifeboatd's systemd notify protocol, without systemd (issue 7): a test
# listener on a datagram socket passed as NOTIFY_SOCKET — once a path, once
# an abstract "@name" — receives READY=1, STATUS=, WATCHDOG=1 at half of
# WATCHDOG_USEC, RELOADING=1 then READY=1 around a SIGHUP, and STOPPING=1
# after SIGTERM.  A hook proves that what the daemon starts does not inherit
# NOTIFY_SOCKET or WATCHDOG_*, and gets the job, result and id (never the
# password) in its environment.
# Drives: daemon/notify.c (no lib module beyond lib/base/log.c).
set -e
# shellcheck source=tests/e2e/daemon-lib.sh
. "$(dirname "$0")/daemon-lib.sh"

db="dmn_$$"
make_rows "$db" 200

LISTENER_PID=""
stop_listener() {
	if [ -n "$LISTENER_PID" ]; then
		kill "$LISTENER_PID" 2>/dev/null || true
		wait "$LISTENER_PID" 2>/dev/null || true
	fi
	LISTENER_PID=""
}
trap 'stop_listener; daemon_cleanup; db_cleanup; rm -rf "$TMP"' EXIT

# start_listener ADDR OUT: a datagram socket bound at ADDR ("@name" for the
# abstract namespace) that writes each message it gets as "<monotonic> <msg>"
# (newlines as "|") to OUT.
start_listener() {
	rm -f "$2" "$2.ready"
	python3 - "$1" "$2" <<'PY' &
import os, socket, sys, time
addr, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
open(out + ".ready", "w").close()
with open(out, "a") as f:
    while True:
        msg = s.recv(4096).decode(errors="replace")
        f.write("%.3f %s\n" % (time.monotonic(), msg.replace("\n", "|")))
        f.flush()
PY
	LISTENER_PID=$!
	wait_until 5 "the notify listener at $1" test -e "$2.ready"
}

# got OUT MSG: OUT has a message that starts with MSG.
got() { grep -q "^[0-9.]* $2" "$1"; }

# notify_case ADDR: the whole protocol, with NOTIFY_SOCKET=ADDR.
notify_case() {
	local addr=$1 out=$TMP/notify.$2 hookenv=$TMP/hookenv.$2 n t0 t1
	start_listener "$addr" "$out"
	CFG=$TMP/notify-$2.ini
	{
		daemon_globals
		db_job shop "$db" "on_success = env > $hookenv"
	} >"$CFG"
	NOTIFY_SOCKET=$addr WATCHDOG_USEC=200000 start_daemon
	wait_until 5 "READY=1 at $addr" got "$out" "READY=1"
	wait_until 5 "STATUS= at $addr" got "$out" "STATUS="
	contains "$(grep ' STATUS=' "$out" | head -n 1)" "next: shop in" "the first STATUS= line"
	# READY=1 comes once the socket answers: nothing was refused before it.
	log_has "watchdog: pinging systemd every 0.1 s"

	# Watchdog pings at half of WATCHDOG_USEC (0.1 s): at least 2 in ~1 s.
	n=$(grep -c ' WATCHDOG=1' "$out" || true)
	sleep 1
	n=$(( $(grep -c ' WATCHDOG=1' "$out" || true) - n ))
	[ "$n" -ge 2 ] || fail "$n WATCHDOG=1 in 1 s at $addr (expected about 10)"
	CHECKS=$((CHECKS + 1))
	[ "$n" -le 20 ] || fail "$n WATCHDOG=1 in 1 s at $addr (expected about 10)"
	CHECKS=$((CHECKS + 1))

	# A run: STATUS= says what runs; the hook's environment is clean.
	expect_rc 0 lb run shop --wait
	ID=$(id_of "$OUT")
	[ -n "$ID" ] || fail "run --wait printed no id: $OUT"
	wait_until 5 "STATUS= naming the running job" got "$out" "STATUS=running: shop"
	wait_until 5 "the on_success hook's output" test -s "$hookenv"
	log_has "job shop: running the on_success hook"
	sleep 0.2	# let env finish writing
	local envtext
	envtext=$(cat "$hookenv")
	not_contains "$envtext" "NOTIFY_SOCKET" "the hook's environment"
	not_contains "$envtext" "WATCHDOG_USEC" "the hook's environment"
	not_contains "$envtext" "WATCHDOG_PID" "the hook's environment"
	contains "$envtext" "LIFEBOAT_JOB=shop" "the hook's environment"
	contains "$envtext" "LIFEBOAT_RESULT=ok" "the hook's environment"
	contains "$envtext" "LIFEBOAT_ID=$ID" "the hook's environment"
	contains "$envtext" "LIFEBOAT_KIND=db" "the hook's environment"
	not_contains "$envtext" "$(cat "$PWFILE")" "the hook's environment (the password)"

	# SIGHUP: RELOADING=1, then READY=1 again.
	t0=$(grep -c ' READY=1' "$out")
	kill -HUP "$DPID"
	wait_until 5 "RELOADING=1 at $addr" got "$out" "RELOADING=1"
	wait_until 5 "READY=1 after the reload at $addr" \
		sh -c "[ \$(grep -c ' READY=1' '$out') -gt $t0 ]"
	[ "$(grep -n ' RELOADING=1' "$out" | tail -n 1 | cut -d: -f1)" -lt \
	  "$(grep -n ' READY=1' "$out" | tail -n 1 | cut -d: -f1)" ] ||
		fail "READY=1 did not follow RELOADING=1: $(cat "$out")"
	CHECKS=$((CHECKS + 1))

	# SIGTERM: STOPPING=1, and no more pings once it has gone.
	not_contains "$(cat "$out")" "STOPPING=1" "notify messages before SIGTERM"
	stop_daemon 10
	equals "$DRC" "0" "lifeboatd's exit status after SIGTERM"
	wait_until 2 "STOPPING=1 at $addr" got "$out" "STOPPING=1"
	t1=$(grep -c ' WATCHDOG=1' "$out")
	sleep 0.4
	equals "$(grep -c ' WATCHDOG=1' "$out")" "$t1" "WATCHDOG=1 after the daemon exited"
	stop_listener
}

notify_case "$TMP/notify.sock" path
notify_case "@lifeboat-test-notify-$$" abstract

# The daemon still works with no NOTIFY_SOCKET at all, and says nothing of a
# watchdog it was not given.
CFG=$TMP/plain.ini
{
	daemon_globals
	db_job shop "$db"
} >"$CFG"
: >"$DLOG"
start_daemon
stop_daemon 10
equals "$DRC" "0" "lifeboatd's exit status without NOTIFY_SOCKET"
CHECKS=$((CHECKS + 1))
! grep -q "watchdog" "$DLOG" || fail "a watchdog without WATCHDOG_USEC: $(cat "$DLOG")"
! grep -qi "notify" "$DLOG" || fail "notify errors without NOTIFY_SOCKET: $(cat "$DLOG")"

# ------------------------------------------- hooks shed the ambient capability
# Under systemd lifeboatd holds CAP_DAC_READ_SEARCH as an ambient capability
# (to read web roots and logs); job runs need it, hooks must not have it.
command -v setpriv >/dev/null 2>&1 || fail "setpriv is not installed"
capfile=$TMP/hook.caps
CFG=$TMP/caps.ini
{
	daemon_globals
	db_job shop "$db" "on_success = grep CapAmb /proc/self/status > $capfile"
} >"$CFG"
cat >"$TMP/lifeboatd-caps" <<EOF
#!/bin/sh
exec setpriv --inh-caps +dac_read_search --ambient-caps +dac_read_search "$LIFEBOATD" "\$@"
EOF
chmod 755 "$TMP/lifeboatd-caps"
real_lifeboatd=$LIFEBOATD
LIFEBOATD=$TMP/lifeboatd-caps
: >"$DLOG"
start_daemon
LIFEBOATD=$real_lifeboatd
amb=$(awk '/^CapAmb/ { print $2 }' "/proc/$DPID/status")
[ -n "$amb" ] && [ "$amb" != 0000000000000000 ] || fail "the test daemon has no ambient capability ($amb)"
CHECKS=$((CHECKS + 1))
expect_rc 0 lb run shop --wait
wait_until 5 "the hook's capabilities" test -s "$capfile"
equals "$(awk '{ print $2 }' "$capfile")" "0000000000000000" "the ambient capabilities of a hook"
stop_daemon 10
equals "$DRC" "0" "lifeboatd's exit status (ambient capability case)"

done_ok

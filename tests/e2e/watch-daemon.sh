#!/bin/bash
# Drives: lifeboatd's watch triggers (daemon/watch_events.c): on_change
# (inotify per directory, debounced) raises a dropped web shell's alert within
# a generous limit (the figure is printed); every_requests starts a check
# after 1,000 new lines in the logs job's access log; max_watches over the
# limit falls back to scheduled checks and says so in status; the on_alert
# hook runs; status --check is CRITICAL with an open alert and OK once acked.
. "$(dirname "$0")/files-lib.sh"
set -e
: "${LIFEBOATD:?run through meson test}"

SITE=$TMP/site
mkdir -p "$SITE/uploads" "$SITE/a/b" "$TMP/logs" "$TMP/run"
for i in 1 2 3; do printf '<?php echo %s; ?>\n' "$i" > "$SITE/page$i.php"; done
printf 'x\n' > "$SITE/a/b/deep.txt"
printf '1.2.3.4 - - "GET / HTTP/1.1" 200\n' > "$TMP/logs/access.log"
CFG=$TMP/watch.ini
cat > "$CFG" <<INI
[lifeboat]
store = $STORE
state_dir = $STATE
socket = $TMP/run/lifeboatd.sock
socket_group = root
max_load = 0
io_limit = 0
min_free = 0
on_alert = echo "\$LIFEBOAT_JOB \$LIFEBOAT_ALERTS" >> $TMP/hook.out

[files:site]
schedule = @daily
path = $SITE

[logs:web]
schedule = @daily
paths = $TMP/logs/access.log

[watch:sitew]
schedule = @daily
files = site
on_change = yes

[watch:reqw]
schedule = @daily
files = site
every_requests = 1000
requests_from = web

[watch:small]
schedule = @daily
files = site
on_change = yes
max_watches = 1
INI
DPID=""
cleanup() { [ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

expect_rc 0 lb run site --here
for j in sitew reqw small; do expect_rc 0 lb run $j --here; done

"$LIFEBOATD" -c "$CFG" >>"$TMP/d.log" 2>&1 &
DPID=$!
answers() { "$LIFEBOAT" -c "$CFG" status --check >/dev/null 2>&1; [ $? -ne 3 ]; }
for ((i = 0; i < 100; i++)); do answers && break; sleep 0.1; done
answers || { cat "$TMP/d.log" >&2; fail "lifeboatd did not answer"; }

expect_rc 0 lb status
contains "$OUT" "sitew: on_change: watching 4 directories" "status says what on_change watches"
contains "$OUT" "small: on_change: off, the tree has more than max_watches = 1 directories; scheduled checks only" \
	"over max_watches: the fallback is in status"
contains "$OUT" "sitew: baseline: site"
expect_rc 0 lb status --check
contains "$OUT" "LIFEBOAT OK"

# on_change: a web shell dropped into the tree raises its alert.
T0=$(date +%s.%N)
printf '<?php eval(base64_decode($_POST["z"])); ?>' > "$SITE/uploads/x.php"
found=""
for ((i = 0; i < 300; i++)); do
	if grep -qs 'uploads/x.php' "$STATE"/alerts/open/sitew-*.json; then found=1; break; fi
	sleep 0.05
done
T1=$(date +%s.%N)
[ -n "$found" ] || { tail -20 "$TMP/d.log" >&2; fail "on_change: no alert within 15 s"; }
LAT=$(python3 -c "print(f'{$T1 - $T0:.2f}')")
echo "on_change: web shell alert raised ${LAT} s after the write"
python3 -c "import sys; sys.exit(0 if $LAT <= 5.0 else 1)" || fail "on_change latency ${LAT} s is over the 5 s limit"
CHECKS=$((CHECKS + 1))
grep -qs 'webshell' "$STATE"/alerts/open/sitew-*.json || fail "the alert does not say webshell"
expect_rc 2 lb status --check
contains "$OUT" "LIFEBOAT CRITICAL" "--check is critical with an open alert"
for ((i = 0; i < 100; i++)); do grep -qs '^sitew [1-9]' "$TMP/hook.out" && break; sleep 0.1; done
grep -qs '^sitew [1-9]' "$TMP/hook.out" || fail "the on_alert hook did not run"
CHECKS=$((CHECKS + 1))

# every_requests: 1,000 new lines in the access log start a check of reqw.
before=$(grep -c 'job reqw: checked' "$TMP/d.log" || true)
for ((i = 0; i < 1000; i++)); do echo "5.6.7.8 - - \"GET /p$i HTTP/1.1\" 200"; done >> "$TMP/logs/access.log"
for ((i = 0; i < 150; i++)); do
	[ "$(grep -c 'job reqw: checked' "$TMP/d.log" || true)" -gt "$before" ] && break
	sleep 0.1
done
[ "$(grep -c 'job reqw: checked' "$TMP/d.log" || true)" -gt "$before" ] || { tail -20 "$TMP/d.log" >&2; fail "every_requests: no check after 1000 lines"; }
grep -q 'job reqw: 1000 new requests' "$TMP/d.log" || fail "every_requests: the daemon did not say why it checked"
CHECKS=$((CHECKS + 1))

expect_rc 0 lb ack sitew
expect_rc 0 lb ack reqw
expect_rc 0 lb status --check
contains "$OUT" "LIFEBOAT OK" "OK once acknowledged"

kill -TERM "$DPID"
for ((i = 0; i < 100; i++)); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$DPID" 2>/dev/null && fail "lifeboatd did not stop"
DPID=""
if grep -E 'Sanitizer|runtime error' "$TMP/d.log" >&2; then fail "sanitizer reports in the daemon's log"; fi
CHECKS=$((CHECKS + 1))
done_ok

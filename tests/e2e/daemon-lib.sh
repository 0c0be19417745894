# Shared helpers of the daemon end-to-end tests (sourced, bash), on top of
# db-lib.sh: a lifeboatd in the foreground on a temporary socket, with its
# log in a file, always killed on exit (with any job child it left).
#
#   daemon_globals [key = value]...   prints the [lifeboat] section: store,
#                                     state_dir, a temp socket, socket_group
#                                     root, no load gate, no io limit, extras
#   db_job NAME DBS [key = value]...  prints a [db:NAME] section over the
#                                     test server (schedule @daily unless given)
#   start_daemon [ARGS...]            starts $LIFEBOATD -c $CFG, waits until
#                                     the socket answers; sets DPID, DLOG
#   stop_daemon [SECONDS]             SIGTERM, waits (bounded) for the exit
#   wait_until SECONDS WHAT CMD...    retries CMD every 0.1 s until it succeeds
#   job_children                      pids of `lifeboatd --run-job` of $CFG
#   log_has TEXT                      the daemon's log contains TEXT (a check)
#   status_json EXPR                  `status --json` through EXPR (python, j)

# shellcheck source=tests/e2e/db-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/db-lib.sh"

: "${LIFEBOATD:?run through meson test}"

CTLSOCK=$TMP/run/lifeboatd.sock
DLOG=$TMP/lifeboatd.log
DPID=""

daemon_globals() {
	local arg
	echo "[lifeboat]"
	echo "store = $STORE"
	echo "state_dir = $STATE"
	echo "socket = $CTLSOCK"
	echo "socket_group = root"
	echo "max_load = 0"
	echo "io_limit = 0"
	for arg in "$@"; do
		echo "$arg"
	done
}

db_job() {
	local name=$1 dbs=$2 arg have_sched=0
	shift 2
	echo "[db:$name]"
	for arg in "$@"; do
		case "$arg" in schedule*) have_sched=1 ;; esac
	done
	[ $have_sched = 1 ] || echo "schedule = @daily"
	echo "socket = $SOCK"
	echo "user = $LBUSER"
	echo "password_file = $PWFILE"
	echo "databases = $dbs"
	echo "chunk_rows = 100"
	echo "max_threads_running = 0"
	echo "keep_last = 1000"
	for arg in "$@"; do
		echo "$arg"
	done
}

# wait_until SECONDS WHAT CMD...: CMD succeeds within SECONDS, or fail.
wait_until() {
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		if "$@" >/dev/null 2>&1; then
			CHECKS=$((CHECKS + 1))
			return 0
		fi
		sleep 0.1
	done
	[ -f "$DLOG" ] && { echo "--- daemon log:" >&2; tail -n 30 "$DLOG" >&2; }
	fail "$what: not within ${secs}s"
}

daemon_alive() {
	[ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null
}

daemon_answers() {
	"$LIFEBOAT" -c "$CFG" status --check >/dev/null 2>&1
	[ $? -ne 3 ]
}

# start_daemon [ARGS...]: the daemon of $CFG, in the background, logging to
# $DLOG (appended); returns once it answers on its socket.
start_daemon() {
	"$LIFEBOATD" -c "$CFG" "$@" >>"$DLOG" 2>&1 &
	DPID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		daemon_answers && return 0
		kill -0 "$DPID" 2>/dev/null || { cat "$DLOG" >&2; fail "lifeboatd exited at start"; }
		sleep 0.1
	done
	cat "$DLOG" >&2
	fail "lifeboatd did not answer on $CTLSOCK within 10 s"
}

# stop_daemon [SECONDS]: SIGTERM, then the daemon must be gone within
# SECONDS (default 10); sets DRC to its exit status.
stop_daemon() {
	local secs=${1:-10} i
	kill -TERM "$DPID" 2>/dev/null || true
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$DPID" 2>/dev/null; then
		kill -KILL "$DPID" 2>/dev/null
		tail -n 30 "$DLOG" >&2
		fail "lifeboatd still running ${secs}s after SIGTERM"
	fi
	set +e
	wait "$DPID" 2>/dev/null
	# shellcheck disable=SC2034 # for the tests
	DRC=$?
	set -e
	DPID=""
	no_sanitizer_reports
}

# no_sanitizer_reports: nothing in the daemon's log (its children's and
# hooks' stderr included) from ASan, LSan or UBSan (the --sanitize build).
no_sanitizer_reports() {
	CHECKS=$((CHECKS + 1))
	if grep -qE "Sanitizer|runtime error:" "$DLOG"; then
		grep -E -A 30 "Sanitizer|runtime error:" "$DLOG" | head -n 80 >&2
		fail "sanitizer reports in the daemon's log"
	fi
}

# Job children of this test's config (never another test's).
job_children() {
	pgrep -f -- "--run-job .* -c $CFG\$" || true
}

daemon_cleanup() {
	local p
	set +e
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -KILL "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	if [ -n "${CFG:-}" ]; then
		for p in $(job_children); do
			kill -KILL "$p" 2>/dev/null
		done
	fi
}
trap 'daemon_cleanup; db_cleanup; rm -rf "$TMP"' EXIT

log_has() {
	CHECKS=$((CHECKS + 1))
	grep -qF -- "$1" "$DLOG" || { tail -n 40 "$DLOG" >&2; fail "the daemon's log lacks '$1'"; }
}

# status_json EXPR: evaluates EXPR over `status --json` (as j) and prints it.
status_json() {
	"$LIFEBOAT" -c "$CFG" status --json >"$TMP/.status.json" || fail "status --json exited $?"
	json_get "$TMP/.status.json" "$1"
}

# backups NAME: the ids `lifeboat list NAME --json` gives, space-separated.
backups() {
	"$LIFEBOAT" -c "$CFG" list "$1" --json |
		python3 -c 'import json,sys; print(" ".join(r["id"] for r in json.load(sys.stdin)))'
}

# make_rows DB ROWS: DB.t with ROWS rows of hex strings.
make_rows() {
	drop_db_later "$1"
	db_q -e "CREATE DATABASE \`$1\`;
		CREATE TABLE \`$1\`.t (id INT PRIMARY KEY, a CHAR(32) NOT NULL, b VARCHAR(40) NOT NULL) ENGINE=InnoDB;
		INSERT INTO \`$1\`.t SELECT seq, MD5(seq), SHA1(seq) FROM \`$1\`.seq_1_to_$2"
}

# ctl_send TEXT [LINES] [SECONDS]: connects to the control socket, sends
# TEXT (with Python escapes: "\n" ends a line) and prints the reply lines
# received, stopping after LINES of them (0, the default: no limit), when
# SECONDS (default 3) pass without one, or when the daemon closes the
# connection (then the last line printed is "EOF").
ctl_send() {
	python3 - "$CTLSOCK" "$1" "${2:-0}" "${3:-3}" <<'PY'
import codecs, socket, sys
path, want, secs = sys.argv[1], int(sys.argv[3]), float(sys.argv[4])
data = codecs.escape_decode(sys.argv[2].encode())[0]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.settimeout(secs)
try:
    s.sendall(data)
except (BrokenPipeError, ConnectionResetError):
    pass
buf, n = b"", 0
while not want or n < want:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        break
    except ConnectionResetError:
        chunk = b""
    if not chunk:
        if buf:
            print(buf.decode(errors="replace"))
        print("EOF")
        break
    buf += chunk
    while b"\n" in buf and (not want or n < want):
        line, buf = buf.split(b"\n", 1)
        print(line.decode(errors="replace"))
        n += 1
PY
}

# daemon_idle: no job of the daemon is running.
daemon_idle() {
	[ "$(status_json 'all(x["running"] is None for x in j["jobs"])' 2>/dev/null)" = true ]
}

# backup_count NAME: how many backups of NAME are listed.
backup_count() {
	"$LIFEBOAT" -c "$CFG" list "$1" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

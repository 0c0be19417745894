# metrics_file: after every run and every alert change the Prometheus
# textfile is replaced whole (mode 0644, no temporary file left), parses with
# promtool (Debian's prometheus package, installed here when missing), holds
# the values `status --json` shows, and escapes the text of a hostile log name
# (a double quote, a brace) in an alert's labels.  A drill's result and an
# offsite target's queue, lag and failing sync (a server that is not there:
# no s3rver needed) are there too.
# Drives: lib/metrics/metrics.c, lib/metrics/metrics_families.c, lib/metrics/metrics_text.c, lib/run/jobrun.c, daemon/cmd_ack.c, daemon/cmd_offsite.c, daemon/cmd_status.c.
set -e
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/helpers/need-pkg.sh"
need_pkg promtool prometheus

PROM=$TMP/prom/lifeboat.prom
mkdir -p "$TMP/prom" "$TMP/www"
echo "<?php echo 1;" >"$TMP/www/index.php"
# A log directory whose name a site could choose: a quote, a brace, a
# space.  (Bytes past ASCII, which the logs kind cannot archive yet, and
# backslashes, which a glob in `paths` would eat, are in test-metrics.c.)
LOGS="$TMP/lo\"g} x"

mkdir -p "$LOGS"
for i in $(seq 1 200); do echo "line $i of the access log"; done >"$LOGS/access.log"
CFG=$TMP/c.ini
cat >"$CFG" <<INI
[lifeboat]
store = $TMP/store
state_dir = $TMP/state
socket = $TMP/sock
metrics_file = $PROM
max_load = 0
io_limit = 0
[files:site]
schedule = @daily
path = $TMP/www
[files:gone]
schedule = every 6h
path = $TMP/nonexistent
[logs:web]
schedule = @hourly
paths = $LOGS/access.log
[drill:check]
schedule = @weekly
of = site
scratch_dir = $TMP/scratch
[offsite:s3]
url = s3://bucket/pre
endpoint = http://127.0.0.1:9
credentials_file = $TMP/s3.credentials
key_file = $TMP/offsite.key
jobs = site
INI
printf '[default]\naws_access_key_id = A\naws_secret_access_key = B\n' >"$TMP/s3.credentials"
chmod 600 "$TMP/s3.credentials"
lb() { "$LIFEBOAT" -c "$CFG" "$@"; }

# check_file: promtool accepts it, mode 0644, nothing else in its directory.
check_file() {
	CHECKS=$((CHECKS + 1))
	promtool check metrics <"$PROM" >"$TMP/promtool.out" 2>&1 ||
		{ cat "$TMP/promtool.out" "$PROM" >&2; fail "promtool check metrics refused $PROM"; }
	equals "$(stat -c %a "$PROM")" "644" "mode of $PROM"
	equals "$(ls -A "$TMP/prom")" "lifeboat.prom" "files in the metrics directory"
}

# same_as_status: every per-job value in the file is what status --json says.
same_as_status() {
	run lb status --json
	CHECKS=$((CHECKS + 1))
	printf '%s' "$OUT" >"$TMP/status.json"
	python3 - "$TMP/status.json" "$PROM" <<'PY' || fail "the metrics disagree with status --json"
import json, re, sys, datetime
status = json.load(open(sys.argv[1]))
samples = {}
for line in open(sys.argv[2], encoding="utf-8"):
    if line.startswith("#"):
        continue
    m = re.match(r'(\w+)(?:\{(.*)\})? (\S+)$', line.rstrip("\n"))
    assert m, line
    labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
    key = (m.group(1), labels.get("job"), labels.get("result"), labels.get("alert"))
    samples[key] = float(m.group(3))
def ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()
def want(name, job, value, result=None, alert=None):
    got = samples.get((name, job, result, alert))
    if value is None:
        assert got is None, f"{name}{{job={job}}}: {got}, status has none"
    else:
        assert got is not None and abs(got - value) < 1e-6, f"{name}{{job={job},result={result}}}: {got}, status says {value}"
for j in status["jobs"]:
    n, run, good = j["name"], j["last_run"], j["last_good"]
    want("lifeboat_job_last_success_timestamp_seconds", n, good and ts(good["finished"]))
    want("lifeboat_job_last_run_timestamp_seconds", n, run and ts(run["finished"]))
    want("lifeboat_job_last_success_size_bytes", n, good and good["size_stored"])
    want("lifeboat_job_last_run_duration_seconds", n, run and run["duration_seconds"])
    want("lifeboat_job_last_run_throttle_waited_seconds", n, run and run["throttle"]["waited_seconds"])
    want("lifeboat_job_last_run_throttle_backed_off_seconds", n, run and run["throttle"].get("backed_off_seconds"))
    want("lifeboat_job_consecutive_failures", n, j["failures"])
    want("lifeboat_job_open_alerts", n, len(j["alerts"]))
    want("lifeboat_job_schedule_interval_seconds", n, j["interval_seconds"])
    for r in ("ok", "partial", "failed", "cancelled"):
        want("lifeboat_job_last_run_result", n, run and float(run["result"] == r), result=r)
    for a in j["alerts"]:
        want("lifeboat_alert_open_timestamp_seconds", n, ts(a["found"]), alert=a["id"])
    d = j.get("drill") or {}
    last, ok = d.get("last"), d.get("last_ok")
    want("lifeboat_job_last_drill_timestamp_seconds", n, last and ts(last["finished"]))
    want("lifeboat_job_last_drill_success_timestamp_seconds", n, ok and ts(ok["finished"]))
    want("lifeboat_job_last_drill_restore_seconds", n, last and last["restore_seconds"])
    for r in ("ok", "failed"):
        want("lifeboat_job_last_drill_result", n, last and float(last["result"] == r), result=r)
offsite = {}
for line in open(sys.argv[2], encoding="utf-8"):
    m = re.match(r'(lifeboat_offsite_\w+)\{(.*)\} (\S+)$', line.rstrip("\n"))
    if m:
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2)))
        offsite[(m.group(1), labels["offsite"], labels.get("job"))] = (float(m.group(3)), labels)
def want_off(name, target, job, value):
    got = offsite.get((name, target, job))
    if value is None:
        assert got is None, f"{name}{{offsite={target},job={job}}}: {got}, status has none"
    else:
        assert got is not None and abs(got[0] - value) < 1e-6, f"{name}{{offsite={target},job={job}}}: {got}, status says {value}"
for o in status.get("offsite", []):
    t = o["name"]
    want_off("lifeboat_offsite_last_success_timestamp_seconds", t, None, o["last_ok"])
    want_off("lifeboat_offsite_last_sync_timestamp_seconds", t, None, o["last_sync"])
    want_off("lifeboat_offsite_failing_since_timestamp_seconds", t, None, o["failing_since"])
    if o["failing_since"]:
        err = offsite[("lifeboat_offsite_failing_since_timestamp_seconds", t, None)][1]["error"]
        assert err == o["last_error"].replace("\\", "\\\\").replace('"', '\\"'), f"error label {err!r}"
    want_off("lifeboat_offsite_health", t, None, o["health"])
    for jf in o["jobs"]:
        want_off("lifeboat_offsite_queue_backups", t, jf["job"], jf["queue"])
        lag = offsite[("lifeboat_offsite_lag_seconds", t, jf["job"])][0]
        assert 0 <= jf["lag_seconds"] - lag <= 300, f"offsite lag {lag} in the metrics, {jf['lag_seconds']} in status"
print("status and metrics agree on", len(status["jobs"]), "jobs")
PY
}

# Before any run there is no file; a good run writes it.
CHECKS=$((CHECKS + 1))
[ ! -e "$PROM" ] || fail "$PROM exists before any run"
expect_rc 0 lb run site --here
check_file
contains "$(cat "$PROM")" 'lifeboat_job_last_success_timestamp_seconds{job="site",kind="files"} '
contains "$(cat "$PROM")" 'lifeboat_job_last_run_result{job="site",kind="files",result="ok"} 1'
# The adaptive pace ran (max_latency_increase's default): how long it backed off.
contains "$(cat "$PROM")" 'lifeboat_job_last_run_throttle_backed_off_seconds{job="site",kind="files"} ' \
	"the metrics after an adaptive run"
not_contains "$(cat "$PROM")" 'lifeboat_job_last_run_timestamp_seconds{job="gone"' "metrics of a job that never ran"
same_as_status

# A failed run: result failed, one failure, no success time.
expect_rc 1 lb run gone --here
check_file
contains "$(cat "$PROM")" 'lifeboat_job_last_run_result{job="gone",kind="files",result="failed"} 1'
contains "$(cat "$PROM")" 'lifeboat_job_consecutive_failures{job="gone",kind="files"} 1'
not_contains "$(cat "$PROM")" 'lifeboat_job_last_success_timestamp_seconds{job="gone"'
same_as_status

# A log rewritten after it was archived: an alert, whose file and message
# labels carry the hostile directory name escaped.
expect_rc 0 lb run web --here
sed -i 's/line 17 /line XX /' "$LOGS/access.log"
expect_rc 0 lb run web --here
contains "$ERR" "ALERT web-1"
check_file
contains "$(cat "$PROM")" 'lifeboat_job_open_alerts{job="web",kind="logs"} 1'
alert=$(grep '^lifeboat_alert_open_timestamp_seconds{' "$PROM")
contains "$alert" 'alert="web-1",type="replaced"'
contains "$alert" 'lo\"g} x/access.log"' "the escaped file label"
CHECKS=$((CHECKS + 1))
iconv -f UTF-8 -t UTF-8 "$PROM" >/dev/null || fail "$PROM is not UTF-8"
same_as_status

# Acknowledging it (no daemon: the CLI works on the state dir) rewrites the file.
expect_rc 0 lb ack web-1
check_file
contains "$(cat "$PROM")" 'lifeboat_job_open_alerts{job="web",kind="logs"} 0'
not_contains "$(cat "$PROM")" 'lifeboat_alert_open_timestamp_seconds{'
same_as_status

# A drill of site: its time, result and restore seconds.
expect_rc 0 lb run check --here
check_file
contains "$(cat "$PROM")" 'lifeboat_job_last_drill_result{job="site",kind="files",result="ok"} 1'
contains "$(cat "$PROM")" 'lifeboat_job_last_drill_restore_seconds{job="site",kind="files"} '
not_contains "$(cat "$PROM")" 'lifeboat_job_last_drill_timestamp_seconds{job="web"' "drill metrics of a job no drill covers"
# The offsite target: site's backup waits; nothing synced yet.
contains "$(cat "$PROM")" 'lifeboat_offsite_queue_backups{offsite="s3",job="site"} 1'
contains "$(cat "$PROM")" 'lifeboat_offsite_health{offsite="s3"} 0'
not_contains "$(cat "$PROM")" 'lifeboat_offsite_queue_backups{offsite="s3",job="web"' "offsite metrics of a job not sent there"
not_contains "$(cat "$PROM")" 'lifeboat_offsite_failing_since_timestamp_seconds{' "a failing target before any sync"
same_as_status
# A sync to a server that refuses everything (403, with a message holding a
# quote) fails and rewrites the file: failing since, with the error.
python3 - "$TMP/deny.port" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def refuse(self):
        body = b'<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>no "entry"</Message></Error>'
        self.send_response(403)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
    do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = refuse
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
PY
DENY_PID=$!
trap 'kill $DENY_PID 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 100); do [ -s "$TMP/deny.port" ] && break; sleep 0.1; done
[ -s "$TMP/deny.port" ] || fail "the refusing server did not start"
sed -i "s|^endpoint = .*|endpoint = http://127.0.0.1:$(cat "$TMP/deny.port")|" "$CFG"
expect_rc 0 lb offsite init s3
expect_rc 1 lb offsite sync s3
check_file
contains "$(grep '^lifeboat_offsite_failing_since_timestamp_seconds{' "$PROM")" 'offsite="s3",error="'
contains "$(cat "$PROM")" 'lifeboat_offsite_last_sync_timestamp_seconds{offsite="s3"} '
not_contains "$(cat "$PROM")" 'lifeboat_offsite_last_success_timestamp_seconds{' "a last success that never was"
same_as_status

# A metrics_file that cannot be written never fails a backup: warned, and the run is ok.
sed -i "s|^metrics_file = .*|metrics_file = $TMP/no/such/dir/lifeboat.prom|" "$CFG"
expect_rc 0 lb run site --here
contains "$ERR" "metrics_file $TMP/no/such/dir/lifeboat.prom: cannot write the metrics"

done_ok

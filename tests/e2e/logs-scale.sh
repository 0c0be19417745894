# Logs jobs at scale: 1,000 log files, 100 MB appended between two runs.
# The second run reads each file once — only what was appended, plus a few
# KiB of checks (fingerprint, tail of the archived prefix, the end of the
# last line), never the 50 KB archived before — measured per file by strace;
# its peak RSS stays under 64 MiB (/usr/bin/time; not checked under ASan,
# whose shadow memory is no measure of ours); and the restore is exact.
# Drives: lib/logs/logship.c, lib/logs/logship_src.c, lib/base/hashrun.c.
set -e
# shellcheck source=tests/e2e/logs-lib.sh
. "$(dirname "$0")/logs-lib.sh"
for tool in strace /usr/bin/time; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed"
done

NFILES=1000
# The adaptive pace off: its disk canary reads 4 KiB here and there of the
# largest logs (lib/throttle/diskcanary.c, tested on its own), which this
# count of the job's own reads would take for reading a file twice.
logs_config scale "paths = $LOGS/*/*.log" "max_latency_increase = 0%"
# fill BYTES TAG: appends about BYTES of lines to every file.
fill() {
	python3 - "$LOGS" "$NFILES" "$1" "$2" <<'PY'
import os, sys
root, n, size, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
for i in range(n):
    d = os.path.join(root, f"site{i % 20:02d}")
    os.makedirs(d, exist_ok=True)
    line = f'10.0.{i % 256}.{i // 256} - - [25/Nov/2026:10:00:00 +0000] "GET /{tag}/page HTTP/1.1" 200 5120 "-" "Mozilla/5.0"\n'.encode()
    with open(os.path.join(d, f"vhost{i:04d}.log"), "ab") as f:
        f.write(line * (size // len(line)))
PY
}
fill 50000 before
run_ok
equals "$(record "$ID" "len(j['logs']['files'])")" "$NFILES" "generations after the first run"
python3 - "$LOGS" > "$TMP/sizes.before" <<'PY'
import os, sys
for dp, _, fn in os.walk(sys.argv[1]):
    for f in fn:
        p = os.path.join(dp, f)
        print(p, os.path.getsize(p))
PY
fill 100000 after

# LeakSanitizer cannot work under ptrace: the other runs check leaks.
[ -n "${ASAN_OPTIONS:-}" ] && export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"
run strace -f --seccomp-bpf -y -s 0 -e trace=read,pread64 -o "$TMP/trace" \
	/usr/bin/time -v -o "$TMP/time" "$LIFEBOAT" -c "$CFG" run "$JOB" --here
[ "$RC" = 0 ] || { printf '%s\n' "$ERR" >&2; fail "second run exited $RC"; }
CHECKS=$((CHECKS + 1))
ID=$(printf '%s\n' "$OUT" | grep -oE '[0-9]{4}/[0-9]{2}/backup-[0-9]{2}-[0-9]{2,3}' | head -n 1)
appended=$(record "$ID" "j['size_raw']")
[ "$appended" -ge 99000000 ] || fail "the second run archived $appended bytes, expected about 100 MB"
CHECKS=$((CHECKS + 1))

# Bytes read per log file by the second run, against what was appended to it.
python3 - "$TMP/trace" "$TMP/sizes.before" "$LOGS" <<'PY' || fail "a log file was read more than once (see above)"
import collections, os, re, sys
trace, before_file, root = sys.argv[1:]
before = dict(l.rsplit(" ", 1) for l in open(before_file).read().split("\n") if l)
got = collections.Counter()
pat = re.compile(r'(?:read|pread64)\(\d+<([^>]*)>.*\) = (\d+)$')
# A read another thread interrupts (the throttle's measuring thread reads
# /proc meanwhile) comes in two lines: "PID read(FD<path>, <unfinished ...>"
# and later "PID <... read resumed>...) = N".
unfinished = re.compile(r'^(\d+)\s+(?:read|pread64)\(\d+<([^>]*)>.*<unfinished \.\.\.>$')
resumed = re.compile(r'^(\d+)\s+<\.\.\. (?:read|pread64) resumed>.*\) = (\d+)$')
pending = {}
for line in open(trace):
    line = line.rstrip()
    m = unfinished.search(line)
    if m:
        pending[m.group(1)] = m.group(2)
        continue
    m = resumed.search(line)
    if m:
        path = pending.pop(m.group(1), "")
        if path.startswith(root + "/"):
            got[path] += int(m.group(2))
        continue
    m = pat.search(line)
    if m and m.group(1).startswith(root + "/"):
        got[m.group(1)] += int(m.group(2))
bad = 0
for path, b in before.items():
    new = os.path.getsize(path) - int(b)
    extra = got[path] - new
    # The checks read at most 4 x 4 KiB; the prefix before is 50 KB.
    if got[path] < new or extra > 4 * 4096:
        bad += 1
        if bad < 5:
            print(f"{path}: appended {new}, read {got[path]}", file=sys.stderr)
if len(got) != len(before) or bad:
    print(f"{len(got)} files read of {len(before)}, {bad} read wrongly", file=sys.stderr)
    sys.exit(1)
PY
CHECKS=$((CHECKS + 1))

rss_kb=$(sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$TMP/time")
echo "peak RSS of the run: $rss_kb KiB" >&2
if [ -z "${ASAN_OPTIONS:-}" ]; then
	[ "$rss_kb" -lt 65536 ] || fail "peak RSS $rss_kb KiB, expected under 64 MiB"
	CHECKS=$((CHECKS + 1))
fi

[ -n "${ASAN_OPTIONS:-}" ] && export ASAN_OPTIONS="${ASAN_OPTIONS%:detect_leaks=0}"
restore_to "$ID" "$TMP/restored"
diff -rq "$LOGS" "$TMP/restored$LOGS" >&2 || fail "restored logs differ"
CHECKS=$((CHECKS + 1))
done_ok

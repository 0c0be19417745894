# Shared helpers of the logs end-to-end tests (sourced, bash), on top of
# lib.sh.  Logs tests need no database: each works in its own $TMP.
#
#   logs_config NAME [key = value]...   $TMP/NAME.ini for [logs:NAME] over
#                                       $LOGS/*.log (unless paths is given),
#                                       sets CFG and JOB
#   lb ARGS...                          $LIFEBOAT -c $CFG ARGS...
#   run_ok                              lb run $JOB --here, must succeed; sets ID
#   addlines FILE N TAG                 appends N lines of varied length
#   restore_to ID DIR                   restore $JOB ID --to DIR, must succeed
#   same_bytes A B WHAT                 cmp, showing the first difference
#   open_alerts                         "kind:offset:file" of $JOB's open alerts
#   alert_count                         how many open alerts $JOB has
#   record ID EXPR                      EXPR (python) over the record of ID, as j

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for tool in zstd tar gzip python3 sha256sum; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed"
done

STORE=$TMP/store
STATE=$TMP/state
LOGS=$TMP/logs
mkdir -p "$LOGS"

logs_config() {
	local name=$1 arg
	shift
	JOB=$name
	CFG=$TMP/$name.ini
	{
		echo "[lifeboat]"
		echo "store = $STORE"
		echo "state_dir = $STATE"
		echo "max_load = 0"
		echo "io_limit = 0"
		echo "[logs:$name]"
		echo "schedule = @hourly"
		case " $* " in
		*" paths ="*) ;;
		*) echo "paths = $LOGS/*.log" ;;
		esac
		echo "keep_last = 1000"
		for arg in "$@"; do
			echo "$arg"
		done
	} > "$CFG"
}

lb() {
	"$LIFEBOAT" -c "$CFG" "$@"
}

run_ok() {
	expect_rc 0 lb run "$JOB" --here
	ID=$(printf '%s\n' "$OUT" | grep -oE '[0-9]{4}/[0-9]{2}/backup-[0-9]{2}-[0-9]{2,3}' | head -n 1)
	[ -n "$ID" ] || fail "no backup id in: $OUT"
}

# addlines FILE N TAG: N lines "TAG n <filler>" of 20 to 200 bytes.
addlines() {
	python3 - "$1" "$2" "$3" <<'PY'
import sys, random
path, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(f"{path}:{tag}:{n}")
with open(path, "ab") as f:
    for i in range(n):
        f.write(f"{tag} {i} ".encode() + b"x" * rnd.randrange(5, 180) + b"\n")
PY
}

restore_to() {
	expect_rc 0 lb restore "$JOB" "$1" --to "$2"
}

same_bytes() {
	CHECKS=$((CHECKS + 1))
	if ! cmp "$1" "$2" >&2; then
		fail "$3: restored bytes differ from the expected ones"
	fi
}

open_alerts() {
	python3 - "$STATE" "$JOB" <<'PY'
import json, os, sys
d = os.path.join(sys.argv[1], "alerts", "open")
rows = []
if os.path.isdir(d):
    for n in sorted(os.listdir(d)):
        a = json.load(open(os.path.join(d, n)))
        if a["job"] == sys.argv[2]:
            rows.append(f'{a["kind"]}:{a["offset"]}:{a["file"]}')
print("\n".join(rows))
PY
}

alert_count() {
	open_alerts | grep -c . || true
}

record() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$STORE/$JOB/$1.json" "$2"
}

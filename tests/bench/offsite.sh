#!/bin/bash
# tests/bench/offsite.sh — offsite upload benchmark: `lifeboat offsite sync`
# of one backup whose artifact is ~1 GB (a files job over incompressible
# data, so the artifact is as large as the data), against `curl -T` of the
# same artifact to the same local s3rver in the same run.
#
#   tests/bench/offsite.sh [--size-mb N] [--lifeboat PATH] [--keep]
#
#   --size-mb N       data in the artifact, in MB (10^6 bytes; default 1000)
#   --lifeboat PATH   the lifeboat binary (default: build/daemon/lifeboat)
#   --keep            leave the work directory in place
#
# lifeboat encrypts (secretstream, 64 KiB chunks) and, the artifact being
# under single_put_max (default 1G), sends it as one streamed PUT after a
# first pass that hashes the encrypted bytes for x-amz-content-sha256; then
# the same sync again with single_put_max = 0: a multipart upload of 8 MiB
# parts, each hashed, sent one at a time.  curl sends the file as it is (one
# PUT, UNSIGNED-PAYLOAD).  Each upload goes to a fresh s3rver data dir.  Prints the wall time and MB/s of each, the ratio
# (target >= 0.8), lifeboat's CPU time (user+sys: encryption, hashing,
# HTTP), the CPU time of encryption alone (secstream over the same bytes
# in memory, measured by lifeboat's test helper), and lifeboat's peak RSS
# (target <= 64 MiB).  s3rver (node) shares the 2 cores with the client.
# Not part of the test suite.  Exit status: 0 both ran; 1 a tool failed; 2 usage.
set -u

SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
SIZE_MB=1000
LIFEBOAT=$SRCDIR/build/daemon/lifeboat
KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
    --size-mb) SIZE_MB=$2; shift 2 ;;
    --lifeboat) LIFEBOAT=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: $0 [--size-mb N] [--lifeboat PATH] [--keep]" >&2; exit 2 ;;
    esac
done
log() { echo "offsite-bench: $*" >&2; }
die() { log "$*"; exit 1; }
command -v s3rver >/dev/null || die "s3rver is not installed (tests/install-deps.sh)"
[ -x "$LIFEBOAT" ] || die "no $LIFEBOAT: build first"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"

WORK=$(mktemp -d /var/tmp/lifeboat-offsite-bench.XXXXXX)
S3PID=
cleanup() {
    [ -n "$S3PID" ] && kill "$S3PID" 2>/dev/null && wait "$S3PID" 2>/dev/null
    [ "$KEEP" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

s3_fresh() {
    [ -n "$S3PID" ] && kill "$S3PID" 2>/dev/null && wait "$S3PID" 2>/dev/null
    rm -rf "$WORK/s3"
    s3rver -d "$WORK/s3" -a 127.0.0.1 -p "$PORT" --silent --configure-bucket bench > "$WORK/s3.log" 2>&1 &
    S3PID=$!
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$PORT/" && return 0
        sleep 0.1
    done
    die "s3rver did not start"
}

mkdir -p "$WORK/www" "$WORK/store" "$WORK/state"
log "generating $SIZE_MB MB of incompressible data"
head -c $((SIZE_MB * 1000000)) /dev/urandom > "$WORK/www/data.bin"
printf '[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' > "$WORK/cred"
chmod 600 "$WORK/cred"
cat > "$WORK/l.ini" <<EOC
[lifeboat]
store = $WORK/store
state_dir = $WORK/state
max_load = 0
io_limit = 0
max_latency_increase = 0%
[files:site]
schedule = @daily
path = $WORK/www
[offsite:bench]
url = s3://bench/pre
endpoint = http://127.0.0.1:$PORT
credentials_file = $WORK/cred
key_file = $WORK/key
nice = 0
EOC
"$LIFEBOAT" -c "$WORK/l.ini" offsite init bench > /dev/null || die "offsite init failed"
"$LIFEBOAT" -c "$WORK/l.ini" run site --here > /dev/null || die "the backup failed"
ART=$(find "$WORK/store" -name '*.tar.zst' | head -n 1)
BYTES=$(stat -c %s "$ART")
log "artifact $ART: $BYTES bytes"
cat "$ART" > /dev/null   # both read it from the page cache

s3_fresh
t0=$(date +%s.%N)
curl -sSf --aws-sigv4 "aws:amz:us-east-1:s3" -u "S3RVER:S3RVER" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    -T "$ART" "http://127.0.0.1:$PORT/bench/curl/artifact" -o /dev/null || die "curl -T failed"
t1=$(date +%s.%N)
CURL_S=$(echo "$t1 - $t0" | bc -l)

s3_fresh
/usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$LIFEBOAT" -c "$WORK/l.ini" offsite sync bench > "$WORK/sync.out" 2>&1 ||
    { cat "$WORK/sync.out" >&2; die "lifeboat offsite sync failed"; }
read -r LB_S LB_U LB_SYS LB_RSS < "$WORK/time"

s3_fresh
rm -rf "$WORK/state/offsite"
sed 's/^nice = 0$/nice = 0\nsingle_put_max = 0/' "$WORK/l.ini" > "$WORK/mp.ini"
/usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$LIFEBOAT" -c "$WORK/mp.ini" offsite sync bench > "$WORK/sync.out" 2>&1 ||
    { cat "$WORK/sync.out" >&2; die "lifeboat offsite sync (multipart) failed"; }
read -r MP_S MP_U MP_SYS MP_RSS < "$WORK/time"

ENC=$("$(dirname "$LIFEBOAT")/../tests/e2e/secstream-bench" "$ART") || die "secstream-bench failed"
read -r ENC_S ENC_RATE <<< "$ENC"
printf 'artifact:            %d bytes\n' "$BYTES"
printf 'curl -T:             %.2f s  %.0f MB/s\n' "$CURL_S" "$(echo "$BYTES / $CURL_S / 1000000" | bc -l)"
printf 'lifeboat sync:       %.2f s  %.0f MB/s  (encrypted, one streamed PUT, signed payload)\n' "$LB_S" "$(echo "$BYTES / $LB_S / 1000000" | bc -l)"
printf 'ratio lifeboat/curl: %.2fx (target >= 0.8)\n' "$(echo "$CURL_S / $LB_S" | bc -l)"
printf 'lifeboat CPU:        %.2f s user + %.2f s sys\n' "$LB_U" "$LB_SYS"
printf 'multipart sync:      %.2f s  %.0f MB/s  ratio %.2fx  CPU %.2f s  peak RSS %.1f MiB  (single_put_max = 0)\n' \
    "$MP_S" "$(echo "$BYTES / $MP_S / 1000000" | bc -l)" "$(echo "$CURL_S / $MP_S" | bc -l)" \
    "$(echo "$MP_U + $MP_SYS" | bc -l)" "$(echo "$MP_RSS / 1024" | bc -l)"
printf 'encryption alone:    %.2f s CPU (%.0f MB/s on one core)\n' "$ENC_S" "$ENC_RATE"
printf 'lifeboat peak RSS:   %.1f MiB (target <= 64)\n' "$(echo "$LB_RSS / 1024" | bc -l)"
printf 'load average:        %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"

#!/bin/bash
# tests/bench/s3rver-multipart.sh — is s3rver itself the limit of a
# multipart upload?  curl alone (no lifeboat, no encryption, no signing:
# s3rver does not check signatures) sends the same file to a local s3rver
# as one PUT, then as a multipart upload of 8 MiB parts with 1 and with 4
# parts in flight, timing the parts and CompleteMultipartUpload apart.
# s3rver completes an upload by reading every part back and writing the
# object again, so completion alone costs about a whole PUT.
#
#   tests/bench/s3rver-multipart.sh [--size-mb N] [--keep]
#
# Not part of the test suite.  Exit status: 0 ran; 1 a tool failed; 2 usage.
set -u
SIZE_MB=400
KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
    --size-mb) SIZE_MB=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: $0 [--size-mb N] [--keep]" >&2; exit 2 ;;
    esac
done
die() { echo "s3rver-multipart: $*" >&2; exit 1; }
command -v s3rver >/dev/null || die "s3rver is not installed (tests/install-deps.sh)"

WORK=$(mktemp -d /var/tmp/lifeboat-s3rver-mpu.XXXXXX)
S3PID=
cleanup() {
    [ -n "$S3PID" ] && kill "$S3PID" 2>/dev/null && wait "$S3PID" 2>/dev/null
    [ "$KEEP" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
U=http://127.0.0.1:$PORT/bench
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
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }

head -c $((SIZE_MB * 1000000)) /dev/urandom > "$WORK/file"
mkdir "$WORK/parts"
split -b 8388608 -d -a 4 "$WORK/file" "$WORK/parts/p"
NPARTS=$(find "$WORK/parts" -type f | wc -l)
cat "$WORK/file" "$WORK/parts"/* > /dev/null

s3_fresh
t0=$(now)
curl -sSf -T "$WORK/file" "$U/single" -o /dev/null || die "PUT failed"
t1=$(now)
printf 'single PUT:                  %6.2f s\n' "$(secs "$t0" "$t1")"

for P in 1 4; do
    s3_fresh
    t0=$(now)
    id=$(curl -sSf -X POST "$U/mpu?uploads=" | sed -n 's/.*<UploadId>\(.*\)<\/UploadId>.*/\1/p')
    [ -n "$id" ] || die "no upload id"
    find "$WORK/parts" -type f | sort | awk '{print NR, $0}' |
        xargs -P "$P" -n 2 sh -c 'curl -sSf -T "$1" "'"$U"'/mpu?partNumber=$0&uploadId='"$id"'" -o /dev/null' ||
        die "a part failed"
    t1=$(now)
    {
        echo "<CompleteMultipartUpload>"
        for i in $(seq 1 "$NPARTS"); do echo "<Part><PartNumber>$i</PartNumber><ETag>x</ETag></Part>"; done
        echo "</CompleteMultipartUpload>"
    } > "$WORK/complete.xml"
    curl -sSf -X POST --data-binary @"$WORK/complete.xml" "$U/mpu?uploadId=$id" -o /dev/null || die "complete failed"
    t2=$(now)
    printf 'multipart, %d in flight:      %6.2f s (%d parts %.2f s + complete %.2f s)\n' "$P" \
        "$(secs "$t0" "$t2")" "$NPARTS" "$(secs "$t0" "$t1")" "$(secs "$t1" "$t2")"
done
printf 'size %d MB, load average %s\n' "$SIZE_MB" "$(cut -d' ' -f1-3 /proc/loadavg)"

# shellcheck shell=bash
# Sourced (bash) by the offsite end-to-end tests (through e2e/offsite-lib.sh)
# and by tests/demo.sh: start npm's s3rver (installed by tests/install-deps.sh;
# it checks SigV4 signatures with its default keys S3RVER/S3RVER) on
# 127.0.0.1.  It does not stop it: the caller owns the process ($S3RVER_PID)
# and kills it in its own cleanup.
#
#   s3rver_port                           prints a free TCP port on 127.0.0.1
#   s3rver_start DATADIR PORT BUCKET LOG  starts it in the background (the
#       bucket created, its output appended to LOG), sets S3RVER_PID, and
#       returns once it listens; returns 1, its log on stderr, if it died or
#       did not listen within 30 s.  Starting again on the same DATADIR, PORT
#       and LOG (a restart) works: only new "listening" lines count.

s3rver_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

s3rver_start() {
	local dir=$1 port=$2 bucket=$3 log=$4 n0 _
	n0=$(grep -c "S3rver listening" "$log" 2>/dev/null || true)
	mkdir -p "$dir"
	s3rver -d "$dir" -a 127.0.0.1 -p "$port" --configure-bucket "$bucket" >>"$log" 2>&1 &
	S3RVER_PID=$!
	for _ in $(seq 1 300); do
		[ "$(grep -c "S3rver listening" "$log" 2>/dev/null || true)" -gt "${n0:-0}" ] && return 0
		if ! kill -0 "$S3RVER_PID" 2>/dev/null; then
			cat "$log" >&2
			echo "s3rver did not start" >&2
			return 1
		fi
		sleep 0.1
	done
	cat "$log" >&2
	echo "s3rver did not listen on 127.0.0.1:$port in 30 s" >&2
	return 1
}

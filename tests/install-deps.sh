#!/bin/sh
# Installs, from Debian 12's packages, everything Lifeboat's build, tests and
# demo need.  Idempotent: packages already present are not fetched again.
set -eu

PKGS="build-essential pkg-config meson ninja-build
      libuv1-dev libarchive-dev libzstd-dev default-libmysqlclient-dev
      libinih-dev libssl-dev libjansson-dev libcmocka-dev
      libsodium-dev libcurl4-openssl-dev
      mariadb-server mariadb-client zstd faketime python3 procps tzdata
      tar attr acl util-linux \
      time strace gzip systemd sleuthkit scdoc man-db"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: need root to install:$missing" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # mariadb-server's postinst would start a system server; we never use it.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    apt-get install -y -q --no-install-recommends $missing
fi

# The offsite tests run npm's s3rver (a local S3 server that checks a signed request's SigV4
# signatures) on Debian's nodejs; 3.7.1 is the version checked with Debian
# 12's Node 18.  Installed once, globally (/usr/local/bin/s3rver).
S3RVER_VERSION=3.7.1
if ! command -v s3rver >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: need root to install s3rver" >&2
        exit 1
    fi
    if ! command -v npm >/dev/null 2>&1; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends nodejs npm
    fi
    npm install -g --no-audit --no-fund --loglevel=error "s3rver@$S3RVER_VERSION"
fi

# lifeboat facts: on this machine `facts --json` names the OS (os-release),
# the kernel (uname -r), the private MariaDB's version as its db job's
# connection reports it and as the installed server binary says, the
# installed packages (count matching dpkg-query), listening sockets with the
# MariaDB process behind its port, and accounts.  A files backup keeps the
# small fact set in its record; after `dpkg -i` of a tiny package built here,
# `facts --diff` names that package as installed since the backup, and after
# its removal, nothing.  A hostile authorized_keys (a symlinked .ssh) is not
# followed.  `--diff` with no backup is a clear error.  Runs nothing through a
# shell; needs root for dpkg (skips that part otherwise).
# Drives: lib/facts/*.c, daemon/cmd_facts.c, lib/files/jobkind_files.c (keep_server_facts).
set -e
# shellcheck source=tests/e2e/db-lib.sh
. "$(dirname "$0")/db-lib.sh"

make_config facts "mysql"
{
	printf '\n[files:site]\nschedule = @daily\npath = %s\n' "$TMP/site"
} >> "$CFG"
mkdir -p "$TMP/site"
echo '<?php echo 1;' > "$TMP/site/index.php"

lb facts --json > "$TMP/facts.json" || fail "facts --json failed"
. /etc/os-release
[ "$(json_get "$TMP/facts.json" 'j["os"]["id"]')" = "$ID" ] || fail "os id is not $ID"
[ "$(json_get "$TMP/facts.json" 'j["kernel"]["release"]')" = "$(uname -r)" ] || fail "kernel is not $(uname -r)"
[ "$(json_get "$TMP/facts.json" 'j["host"]["hostname"]')" = "$(hostname)" ] || fail "hostname differs"
want=$(db_q -e "SELECT VERSION()")
got=$(json_get "$TMP/facts.json" '[d for d in j["database_servers"] if d["job"]=="facts"][0]["server_version"]')
[ "$got" = "$want" ] || fail "database server version: got '$got', want '$want'"
json_get "$TMP/facts.json" '[s["version"] for s in j["software"] if s["name"]=="mariadb-server"][0]' |
	grep -q "${want%%-*}" || fail "the mariadbd binary's version is not listed"
n=$(dpkg-query -W -f='${db:Status-Abbrev}\n' | grep -c '^.i')
[ "$(json_get "$TMP/facts.json" 'j["packages"]["count"]')" = "$n" ] || fail "package count is not $n"
json_get "$TMP/facts.json" 'len(j["packages"]["list"])' | grep -qx "$n" || fail "package list length"
json_get "$TMP/facts.json" '[a["user"] for a in j["accounts"]]' | grep -q '"root"'  || fail "root account missing"
json_get "$TMP/facts.json" 'j["mounts"]' | grep -q '"target": "/"'  || fail "root mount missing"
# The private MariaDB listens on a port when it has one, else only its socket.
port=${LIFEBOAT_TEST_MYSQL_PORT:-}
if [ -n "$port" ] && [ "$port" != 0 ]; then
	json_get "$TMP/facts.json" "[s['processes'] for s in j['listening'] if s['port']==$port]" |
		grep -q 'mariadbd\|mysqld' || fail "the process behind port $port is not named"
fi
lb facts > "$TMP/facts.txt" || fail "facts (text) failed"
grep -q "^  OS  *$PRETTY_NAME" "$TMP/facts.txt" || fail "text output has no OS line"
grep -q "^Packages" "$TMP/facts.txt" || fail "text output has no packages"

# No backup with facts yet: a clear error, exit 1.
set +e
lb facts --diff > "$TMP/out" 2>&1
rc=$?
set -e
[ $rc = 1 ] || fail "facts --diff with no backup: exit $rc"
grep -q 'no good files backup with server facts' "$TMP/out" || fail "facts --diff error unclear: $(cat "$TMP/out")"

out=$(lb run site --here 2>&1) || fail "run site: $out"
id=$(id_of "$out")
rec=$(record_of site "$id")
json_get "$rec" 'j["server_facts"]["packages"]["sha256"]' | grep -qE '^[0-9a-f]{64}$' ||
	fail "the files record holds no server facts"
json_get "$rec" '"list" in j["server_facts"]["packages"]' | grep -qx false ||
	fail "the record holds the whole package list (it should hold the hash only)"
ls "$STATE"/facts/packages-*.json >/dev/null || fail "the package list is not kept in the state dir"

lb facts --diff > "$TMP/diff0" || fail "facts --diff failed"
grep -q '^  none$' "$TMP/diff0" || fail "facts --diff right after the backup is not empty: $(cat "$TMP/diff0")"

if [ "$(id -u)" = 0 ] && command -v dpkg-deb >/dev/null; then
	pkg=lifeboat-facts-probe$$
	mkdir -p "$TMP/deb/DEBIAN" "$TMP/deb/usr/share/doc/$pkg"
	printf 'Package: %s\nVersion: 1.2-3\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: test\n' \
		"$pkg" > "$TMP/deb/DEBIAN/control"
	echo probe > "$TMP/deb/usr/share/doc/$pkg/README"
	dpkg-deb -b "$TMP/deb" "$TMP/probe.deb" >/dev/null
	trap 'dpkg -r '"$pkg"' >/dev/null 2>&1 || true; db_cleanup; rm -rf "$TMP"' EXIT
	dpkg -i "$TMP/probe.deb" >/dev/null || fail "dpkg -i of the probe package failed"
	lb facts --diff site "$id" > "$TMP/diff1" || fail "facts --diff site ID failed"
	grep -q "package installed: $pkg:all 1.2-3" "$TMP/diff1" ||
		fail "facts --diff does not name the installed package: $(cat "$TMP/diff1")"
	lb facts --diff --json > "$TMP/diff1.json"
	json_get "$TMP/diff1.json" 'j["changes"]' | grep -q "$pkg" || fail "--diff --json misses the package"
	dpkg -r "$pkg" >/dev/null
	lb facts --diff > "$TMP/diff2"
	grep -q '^  none$' "$TMP/diff2" || fail "after dpkg -r the diff is not empty: $(cat "$TMP/diff2")"
else
	echo "not root or no dpkg-deb: the dpkg -i part is skipped"
fi

# A hostile home: .ssh a symlink to a directory holding an authorized_keys.
if [ "$(id -u)" = 0 ]; then
	u=lbfacts$$
	useradd -m -d "$TMP/home-$u" -s /bin/bash "$u"
	trap 'userdel '"$u"' >/dev/null 2>&1 || true; dpkg -r '"${pkg:-none}"' >/dev/null 2>&1 || true; db_cleanup; rm -rf "$TMP"' EXIT
	mkdir -p "$TMP/elsewhere"
	echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB planted' \
		> "$TMP/elsewhere/authorized_keys"
	ln -s "$TMP/elsewhere" "$TMP/home-$u/.ssh"
	lb facts --json > "$TMP/facts2.json"
	json_get "$TMP/facts2.json" "[a['authorized_keys'] for a in j['accounts'] if a['user']=='$u'][0]" |
		grep -q planted && fail "a symlinked .ssh was followed"
	rm "$TMP/home-$u/.ssh"
	mkdir -m 700 "$TMP/home-$u/.ssh"
	cp "$TMP/elsewhere/authorized_keys" "$TMP/home-$u/.ssh/"
	printf 'no-pty,command="/bin/x" ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 with opts\n\xff\xfe garbage line\n' \
		>> "$TMP/home-$u/.ssh/authorized_keys"
	lb facts --json > "$TMP/facts3.json" || fail "facts with a hostile authorized_keys failed"
	keys=$(json_get "$TMP/facts3.json" "[a['authorized_keys'] for a in j['accounts'] if a['user']=='$u'][0]")
	grep -q '"comment": "planted"'  <<<"$keys" || fail "the real authorized_keys is not read: $keys"
	grep -q '"fingerprint": "SHA256:'  <<<"$keys" || fail "no fingerprint: $keys"
	grep -q '"options": true'  <<<"$keys" || fail "options not seen: $keys"
	grep -q "no key type" <<<"$keys" || fail "the garbage line is not reported: $keys"
	want_fp=$(ssh-keygen -lf "$TMP/elsewhere/authorized_keys" 2>/dev/null | awk '{print $2}') || true
	if [ -n "$want_fp" ]; then
		grep -q "$want_fp" <<<"$keys" || fail "fingerprint differs from ssh-keygen's $want_fp: $keys"
	fi
fi
done_ok

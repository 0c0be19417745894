# --json where a command prints data: check-config --json holds every key of
# the key tables (the keytable helper) in its section with the value the INI
# output shows, or the errors of a bad config (exit 2); verify --json says
# what the text says for good and corrupted backups, with the same exit
# status; --version of both programs.
# Drives: daemon/cmd_check_config.c, daemon/cmd_verify.c (no lib module).
set -e
. "$(dirname "$0")/lib.sh"
: "${KEYTABLE:?run through meson test}"

mkdir -p "$TMP/www"
echo "<?php" >"$TMP/www/index.php"
CFG=$TMP/c.ini
cat >"$CFG" <<INI
[lifeboat]
store = $TMP/store
state_dir = $TMP/state
max_load = 0
io_limit = 0
on_failure = echo "failed: \$LIFEBOAT_JOB" ; a comment
[files:site]
schedule = @daily
path = $TMP/www
exclude = cache, *.tmp
[db:shop]
schedule = every 6h
user = backup
[logs:web]
schedule = @hourly
paths = $TMP/*.log
INI
lb() { "$LIFEBOAT" -c "$CFG" "$@"; }

equals "$("$LIFEBOAT" --version)" "lifeboat $(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$SRCDIR/meson.build" | head -n 1)" "lifeboat --version"
contains "$("$LIFEBOATD" --version)" "lifeboatd "

# check-config --json: the text's every key, in its section.
expect_rc 0 lb check-config
printf '%s\n' "$OUT" >"$TMP/config.ini"
expect_rc 0 lb check-config --json
printf '%s\n' "$OUT" >"$TMP/config.json"
"$KEYTABLE" >"$TMP/keys.tsv"
CHECKS=$((CHECKS + 1))
python3 - "$TMP/config.json" "$TMP/config.ini" "$TMP/keys.tsv" "$CFG" <<'PY' || fail "check-config --json disagrees"
import json, sys, configparser
j = json.load(open(sys.argv[1]))
assert j["ok"] is True and j["config"] == sys.argv[4], j.get("config")
secs = {s["section"]: s["keys"] for s in j["sections"]}
assert list(secs) == ["lifeboat", "files:site", "db:shop", "logs:web"], list(secs)
ini = configparser.ConfigParser(interpolation=None, comment_prefixes=(";",), inline_comment_prefixes=None)
ini.optionxform = str
ini.read(sys.argv[2])
for sec, keys in secs.items():
    for k, v in keys.items():
        if v is None:
            assert not ini.has_option(sec, k), (sec, k)
        else:
            assert ini.get(sec, k) == v, (sec, k, ini.get(sec, k), v)
kinds = {"site": "files", "shop": "db", "web": "logs"}
for line in open(sys.argv[3]):
    place, key, _ = line.rstrip("\n").split("\t")
    if place in ("lifeboat", "tuning"):
        assert key in secs["lifeboat"], ("[lifeboat]", key)
    elif place == "job":
        for s in secs:
            if s != "lifeboat":
                assert key in secs[s], (s, key)
    elif place in kinds.values():
        s = next(f"{k}:{n}" for n, k in kinds.items() if k == place)
        assert key in secs[s], (s, key)
assert secs["lifeboat"]["on_failure"] == 'echo "failed: $LIFEBOAT_JOB"', secs["lifeboat"]["on_failure"]
assert secs["lifeboat"]["on_success"] is None
print("check-config --json: every key of", sum(len(k) for k in secs.values()), "agrees")
PY

# A bad config: its errors, exit 2, nothing on stderr.
printf '[lifeboat]\nio_limit = lots\n[files:x]\nschedule = @daily\n' >"$TMP/bad.ini"
expect_rc 2 "$LIFEBOAT" -c "$TMP/bad.ini" check-config --json
equals "$ERR" "" "stderr of check-config --json"
CHECKS=$((CHECKS + 1))
printf '%s' "$OUT" | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["ok"] is False and len(j["errors"]) == 2, j
assert j["errors"][0].endswith(":2: [lifeboat] io_limit: expected a size like 512K, 40M or 2G (got '"'"'lots'"'"')"), j["errors"][0]
assert "path: missing" in j["errors"][1], j["errors"][1]' || fail "the errors of check-config --json"
expect_rc 2 lb check-config --bogus

# verify --json: good backups, then one corrupted.
expect_rc 0 lb run site --here
echo "<?php echo 2;" >"$TMP/www/index.php"
expect_rc 0 lb run site --here
expect_rc 0 lb verify --json
printf '%s' "$OUT" >"$TMP/v1.json"
CHECKS=$((CHECKS + 1))
python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert (j["verified"], j["ok"], j["bad"]) == (2, 2, 0), j
assert [b["type"] for b in j["backups"]] == ["full", "incremental"], j
assert all(b["ok"] and b["problems"] == [] and b["kind"] == "files" and b["artifacts"] == 2 for b in j["backups"]), j
assert j["bytes_read"] > 0' "$TMP/v1.json" || fail "verify --json of good backups"
first=$(ls "$TMP"/store/site/*/*/backup-*-01.tar.zst)
printf 'X' | dd of="$first" bs=1 seek=30 conv=notrunc 2>/dev/null
expect_rc 1 lb verify
printf '%s\n' "$OUT" | grep '^BAD' | sed 's/^BAD  [^ ]* [^ ]*: //' >"$TMP/bad.txt"
expect_rc 1 lb verify --json
printf '%s' "$OUT" >"$TMP/v2.json"
CHECKS=$((CHECKS + 1))
python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read().splitlines()
assert (j["verified"], j["ok"], j["bad"]) == (2, 0, 2), j
problems = [p for b in j["backups"] for p in b["problems"]]
assert problems == text, (problems, text)
assert "the artifact is corrupted" in problems[0] and problems[1].startswith("its chain member")' "$TMP/v2.json" "$TMP/bad.txt" ||
	fail "verify --json of a corrupted backup"
expect_rc 2 lb verify --json --json

done_ok

# lifeboat incident's change list (changes.json) is the watch module's: for
# a files job a watch job covers, the check's findings against the watch
# job's baseline (not the newest backup), with the risk flags and the
# web-shell signature; for a files job none covers, the evidence snapshot
# against its newest good backup, with what differs; a hostile file name
# stays one escaped JSON string.  No database.
# Drives: lib/incident/changes.c, lib/watch/watch_baseline.c (watch_baseline_index).
set -e
. "$(dirname "$0")/lib.sh"
command -v tar >/dev/null || exit 77

WWW=$TMP/www
DOCS=$TMP/docs
mkdir -p "$WWW/uploads" "$DOCS"
echo '<?php echo "home"; ?>' > "$WWW/index.php"
echo 'v1' > "$DOCS/readme.txt"
echo 'keep' > "$DOCS/other.txt"
CFG=$TMP/lb.ini
cat > "$CFG" <<INI
[lifeboat]
store = $TMP/store
state_dir = $TMP/state
socket = $TMP/sock
max_load = 0
io_limit = 0
[files:site]
schedule = @daily
path = $WWW
[files:docs]
schedule = @daily
path = $DOCS
[watch:site-watch]
files = site
schedule = every 15m
on_change = no
INI
lb() { "$LIFEBOAT" -c "$CFG" "$@"; }
last_id() { lb list "$1" | grep -oE '[0-9]{4}/[0-9]{2}/backup-[0-9]{2}-[0-9]{2,3}' | tail -n 1; }

expect_rc 0 lb run site --here
BASE=$(last_id site)
expect_rc 0 lb baseline site-watch "$BASE"
# A newer good backup of site: the change list still compares with the baseline.
sleep 1.1
echo 'new page' > "$WWW/new.html"
expect_rc 0 lb run site --here
expect_rc 0 lb run docs --here
DOCS_ID=$(last_id docs)

# The attack.
sleep 1.1
printf '<?php eval(base64_decode($_POST["c"])); ?>\n' > "$WWW/uploads/.cache.php"
printf 'x' > "$WWW/uploads/$(printf 'evil"\nname.php')"
echo 'v2 defaced' > "$DOCS/readme.txt"
rm "$DOCS/other.txt"

expect_rc 0 lb incident open
INC=$(ls "$TMP/store/incidents" | head -n 1)
CH=$TMP/store/incidents/$INC/changes.json
[ -f "$CH" ] || fail "no changes.json"
CHECKS=$((CHECKS + 1))
python3 - "$CH" "$BASE" "$DOCS_ID" <<'PY' || fail "changes.json is not what the watch compare finds"
import json, sys
d = json.load(open(sys.argv[1]))
jobs = {(j["job"], j.get("watch")): j for j in d["jobs"]}
assert set(jobs) == {("site", "site-watch"), ("docs", None)}, jobs.keys()
w = jobs[("site", "site-watch")]
assert w["baseline"] == sys.argv[2], w["baseline"]
assert w["baseline_how"] == "marked", w["baseline_how"]
ch = {c["path"]: c for c in w["changes"]}
# new.html came after the baseline: a check lists it, the newest backup would not.
assert ch["new.html"]["change"] == "added", ch.get("new.html")
shell = ch["uploads/.cache.php"]
assert shell["change"] == "added" and shell["severity"] == "critical" and shell["signature"], shell
assert "webshell" in shell["flags"], shell["flags"]
assert isinstance(shell["mtime"], int) and shell["type"] == "f" and len(shell["sha256"]) == 64, shell
evil = [p for p in ch if p.startswith("uploads/evil")]
assert len(evil) == 1 and "\n" not in evil[0], evil
assert w["added"] == 3 and w["removed"] == 0, (w["added"], w["removed"])
f = jobs[("docs", None)]
assert f["baseline"] == sys.argv[3], f["baseline"]
assert "evidence snapshot" in f["compared"], f["compared"]
dc = {c["path"]: c for c in f["changes"]}
assert dc["readme.txt"]["change"] == "changed" and "content" in dc["readme.txt"]["differs"], dc["readme.txt"]
assert dc["other.txt"]["change"] == "removed", dc.get("other.txt")
assert (f["added"], f["changed"], f["removed"]) == (0, 1, 1), f
print("changes.json:", sum(len(j["changes"]) for j in d["jobs"]), "changes")
PY
# The incident moved no baseline.
contains "$(lb baseline site-watch 2>&1)" "$BASE"
expect_rc 0 lb incident close
done_ok

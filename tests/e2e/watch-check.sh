#!/bin/bash
# Drives: lifeboat run WATCHJOB --here, lifeboat watch report, lifeboat status,
# lifeboat ack, lifeboat baseline [ID|--accept], lifeboat diff [--path].
# A sample site with a baseline; every attack of the issue's list is found
# with its flags; no false positives on an unchanged tree (five checks, one
# after reading every file) nor after reading; an editor-style save is one
# content change; an unchanged finding raises no second alert, a further
# change does; diff between snapshots, against live, and --path; --accept
# makes the next check clean; hostile names stay one escaped line.
. "$(dirname "$0")/files-lib.sh"
set -e

SITE=$TMP/site
mkdir -p "$SITE/uploads" "$SITE/lib"
for i in 1 2 3 4; do printf '<?php echo "page %s"; ?>\n' "$i" > "$SITE/page$i.php"; done
printf 'RewriteEngine On\n' > "$SITE/.htaccess"
printf 'plain text\n' > "$SITE/readme.txt"
printf 'GIF89a....\n' > "$SITE/uploads/logo.gif"
printf '<?php function f() {} ?>\n' > "$SITE/lib/util.php"
touch -d '2026-01-01 00:00' "$SITE"/*.php
make_files_config site "$SITE"
printf '\n[watch:sitew]\nschedule = every 15m\nfiles = site\n' >> "$CFG"

report() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); exec(sys.argv[2])' "$STATE/watch/sitew/report.json" "$1"; }
counts() { report 'c=j["counts"]; print(c["added"], c["removed"], c["changed"])'; }
item() { python3 - "$STATE/watch/sitew/report.json" "$1" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
m = [i for i in j["items"] if i["path"] == sys.argv[2]]
print(" ".join([m[0]["change"], m[0]["what"] or "-", m[0]["flags"] or "-", m[0].get("signature") or "-"]) if m else "missing")
PY
}

expect_rc 0 lb run site --here
BASE=$(id_of "$OUT")
expect_rc 0 lb run sitew --here
contains "$OUT" "0 added, 0 removed, 0 changed" "first check of an unchanged tree"
expect_rc 1 lb status	# 1: no daemon; the state dir is shown
contains "$OUT" "baseline: site $BASE, chosen automatically" "status names the automatic baseline"

# No false positives: five checks of an unchanged tree, one after a cat of every file.
for n in 1 2 3 4; do
	expect_rc 0 lb run sitew --here
	contains "$OUT" "0 added, 0 removed, 0 changed" "unchanged check $n"
done
find "$SITE" -type f -exec cat {} + > /dev/null
expect_rc 0 lb run sitew --here
contains "$OUT" "0 added, 0 removed, 0 changed" "check after reading every file (atime only)"
[ -z "$(ls "$STATE/alerts/open" 2>/dev/null)" ] || fail "an alert on an unchanged tree"

# The attacks.
cp -p "$SITE/page1.php" "$TMP/page1.ref"
sed -i 's/page 1/PAGE 1/' "$SITE/page1.php"
touch -r "$TMP/page1.ref" "$SITE/page1.php"
[ "$(stat -c %s "$SITE/page1.php")" = "$(stat -c %s "$TMP/page1.ref")" ] || fail "the test's edit changed the size"
printf '<?php @eval(base64_decode($_POST["c"])); ?>\n' > "$SITE/uploads/.cache.php"
printf 'RewriteEngine On\nAddType application/x-httpd-php .gif\n' > "$SITE/.htaccess"
chmod u+s "$SITE/readme.txt"
ln -s /etc "$SITE/etc-link"
rm "$SITE/page4.php"
mkdir "$SITE/.hidden-dir"
printf 'GIF89a<?php system($_GET["x"]); ?>' > "$SITE/uploads/avatar.gif"
expect_rc 0 lb run sitew --here
contains "$OUT" "new alert(s)"
contains "$(item page1.php)" "changed content," "PHP file changed, size and mtime put back"
contains "$(item page1.php)" " script,timestomp -" "PHP file changed, size and mtime put back: flags"
not_contains "$(item page1.php)" "size" "the size was put back"
equals "$(item uploads/.cache.php)" "added - script,script_in_upload_dir,hidden,webshell exec-decoded" "hidden web shell in uploads"
contains "$(item .htaccess)" "changed content,size" ".htaccess changed"
contains "$(item .htaccess)" "script,hidden" ".htaccess is a script"
contains "$(item readme.txt)" "changed mode" "setuid file"
contains "$(item readme.txt)" "setid" "setuid file flagged"
equals "$(item etc-link)" "added - symlink_outside -" "symlink to /etc"
equals "$(item page4.php)" "removed - - -" "deleted file"
equals "$(item .hidden-dir)" "added - hidden -" "new hidden directory"
contains "$(item uploads/avatar.gif)" "webshell image-php" "image header followed by PHP"
equals "$(counts)" "4 1 3" "nothing else reported"

# Alerts: in status, CRITICAL in --check, ackable; not raised twice.
expect_rc 1 lb status	# 1: no daemon; the state dir is shown
contains "$OUT" "uploads/.cache.php" "status lists the web shell alert"
NALERTS=$(ls "$STATE/alerts/open" | wc -l)
expect_rc 0 lb ack sitew
expect_rc 0 lb run sitew --here
contains "$OUT" "0 new alert(s)" "the same unchanged findings raise no new alert"
[ -z "$(ls "$STATE/alerts/open")" ] || fail "an alert was raised again for an unchanged finding"
printf '<?php @eval(gzinflate($_REQUEST["d"])); ?>\n' > "$SITE/uploads/.cache.php"
expect_rc 0 lb run sitew --here
contains "$OUT" "1 new alert(s)" "a further change to a finding raises a new alert"
expect_rc 1 lb status	# 1: no daemon; the state dir is shown
contains "$OUT" "uploads/.cache.php" "the new alert names the file"
expect_rc 0 lb watch report sitew
contains "$OUT" "marker exec-decoded"
expect_rc 0 lb watch report sitew --json
python3 -c 'import json,sys; json.loads(sys.argv[1])' "$OUT" || fail "watch report --json is not JSON"
echo "baseline and attacks: $NALERTS alerts raised for the attacks"

# diff: two snapshots, a snapshot and live, one file's content.
expect_rc 0 lb run site --here
SECOND=$(id_of "$OUT")
expect_rc 0 lb diff site "$BASE" "$SECOND"
contains "$OUT" "removed  page4.php"
contains "$OUT" "added    uploads/.cache.php"
contains "$OUT" "changed  page1.php  (content"
expect_rc 0 lb diff site "$SECOND" live
contains "$OUT" "0 difference(s)" "the newest snapshot is the live tree"
echo '<?php // edited ?>' >> "$SITE/page2.php"
expect_rc 0 lb diff site "$BASE" live --json
contains "$OUT" '"page2.php"' "diff against live sees the new edit"
expect_rc 0 lb diff site "$BASE" "$SECOND" --path page1.php
contains "$OUT" '-<?php echo "page 1"; ?>' "unified diff: the old line"
contains "$OUT" '+<?php echo "PAGE 1"; ?>' "unified diff: the new line"
expect_rc 0 lb diff site "$BASE" live --path page2.php
contains "$OUT" '+<?php // edited ?>' "unified diff against live"
ls /tmp | grep -q '^lifeboat-diff-' && fail "diff --path left its temporary directory"

# --accept: the current tree becomes the baseline; the next check is clean.
expect_rc 0 lb ack sitew
expect_rc 0 lb baseline sitew --accept
contains "$OUT" "accepted"
expect_rc 0 lb run sitew --here
contains "$OUT" "0 added, 0 removed, 0 changed" "clean after --accept"

# An editor-style save (write a temp file, rename it over) is one content change.
printf '<?php echo "page 3, edited"; ?>\n' > "$SITE/.page3.php.swp"
mv "$SITE/.page3.php.swp" "$SITE/page3.php"
expect_rc 0 lb run sitew --here
equals "$(counts)" "0 0 1" "editor save: one change"
contains "$(item page3.php)" "changed content" "editor save: a content change"

# Marking a backup as the baseline pins it.
expect_rc 0 lb baseline sitew "$SECOND"
contains "$OUT" "baseline site $SECOND, marked"
expect_rc 0 lb list site
contains "$(grep "$SECOND" <<<"$OUT")" "pinned" "the baseline is pinned"

# Hostile names: a newline and bytes that are not UTF-8 stay one escaped path.
expect_rc 0 lb ack sitew
printf '<?php eval($_POST[1]); ?>' > "$SITE/uploads/"$'evil\nname\xff.php'
expect_rc 0 lb run sitew --here
report 'import sys; assert any(i["path"]=="uploads/evil\\nname\\xff.php" for i in j["items"]), [i["path"] for i in j["items"]]' \
	|| fail "the hostile name is not in the report, escaped"
expect_rc 1 lb status	# 1: no daemon; the state dir is shown
contains "$OUT" 'uploads/evil\nname\xff.php' "status shows the escaped name"

# diff --path never follows a symlink in the live tree.
mkdir "$TMP/elsewhere" && printf 'not the site\n' > "$TMP/elsewhere/util.php"
mv "$SITE/lib" "$TMP/lib.moved" && ln -s "$TMP/elsewhere" "$SITE/lib"
expect_rc 1 lb diff site "$BASE" live --path lib/util.php
not_contains "$OUT" "not the site" "diff --path followed a symlink"
contains "$ERR" "without a symlink"

# path + originals: a trusted copy is the baseline; a copy with other times
# and inodes is clean, a changed file and a dropped shell are found.
ORIG=$TMP/originals LIVE=$TMP/live
mkdir -p "$ORIG/inc" && printf '<?php echo 1; ?>\n' > "$ORIG/index.php" && printf 'x\n' > "$ORIG/inc/a.txt"
cp -r "$ORIG" "$LIVE"
touch -d '2020-01-01' "$LIVE/index.php"
printf '\n[watch:orig]\nschedule = @daily\npath = %s\noriginals = %s\n' "$LIVE" "$ORIG" >> "$CFG"
expect_rc 0 lb run orig --here
contains "$OUT" "0 added, 0 removed, 0 changed" "a copy with other times and inodes is clean"
printf '<?php echo 2; ?>\n' > "$LIVE/index.php"
printf '<?php eval($_POST[0]); ?>' > "$LIVE/inc/.x.php"
expect_rc 0 lb run orig --here
contains "$OUT" "1 added, 0 removed, 1 changed" "originals: the change and the shell"
expect_rc 0 lb watch report orig
contains "$OUT" "changed  index.php  (content)"
contains "$OUT" "inc/.x.php  [script,hidden,webshell]"
expect_rc 2 lb baseline orig

done_ok

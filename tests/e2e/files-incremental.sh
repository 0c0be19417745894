# Incremental snapshots: a tree of 300 files; then 1% of them changed, some
# deleted, some added, one renamed.  The second snapshot reads and stores
# only the changed content (the others are not even opened: their lines
# name the full as holder); its record counts added/changed/removed/
# unchanged; restoring each backup of the chain gives the tree as it was
# then (compared with saved copies), and so does the tar recipe of README
# (each tar of the chain in order, the deletions in its index applied
# first).  max_chain and full_every start a new full chain.
# Drives: lib/files/jobkind_files.c, lib/files/snapshot.c, lib/files/fileindex.c, lib/store/record.c, lib/store/reader.c, lib/store/restore_target.c, lib/files/snaprestore.c.
set -e
# shellcheck source=tests/e2e/files-lib.sh
. "$(dirname "$0")/files-lib.sh"

T=$TMP/tree
mkdir -p "$T"
for d in $(seq -w 1 10); do
	mkdir -p "$T/dir$d/sub"
	for f in $(seq -w 1 30); do
		head -c $((1000 + 10#$f * 37)) /dev/urandom | base64 > "$T/dir$d/sub/file$f.php"
	done
done
make_files_config site "$T" "max_chain = 2"

# snapshot NAME: runs the job, keeps a copy of the tree as it was.
snapshot() {
	run_job site
	cp -a "$T" "$TMP/copy-$1"
	eval "ID_$1=\$ID"
}

snapshot 1
REC1=$(record_of site "$ID_1")
equals "$(json_get "$REC1" 'j["files"]["type"]')" "full" "first type"
equals "$(json_get "$REC1" 'j["files"]["stored"]')" "300" "full stored"

# 1% changed (3 files), 4 deleted, 5 added, 1 renamed; and a chmod.
sleep 0.05
echo "changed" >> "$T/dir01/sub/file01.php"
echo "changed" >> "$T/dir05/sub/file10.php"
echo "changed" >> "$T/dir09/sub/file30.php"
rm "$T/dir02/sub/file0"[1-4].php
for i in 1 2 3 4 5; do echo "new $i" > "$T/dir03/new$i.php"; done
mv "$T/dir04/sub/file07.php" "$T/dir04/renamed.php"
snapshot 2
REC2=$(record_of site "$ID_2")
equals "$(json_get "$REC2" 'j["files"]["type"]')" "incremental" "second type"
equals "$(json_get "$REC2" 'j["files"]["parent"]')" "$ID_1" "second parent"
equals "$(json_get "$REC2" 'j["parent"]')" "$ID_1" "record parent (retention)"
equals "$(json_get "$REC2" 'j["files"]["added"]')" "6" "added (5 new, 1 renamed)"
equals "$(json_get "$REC2" 'j["files"]["removed"]')" "5" "removed (4 deleted, 1 renamed)"
# Changed: 3 files, and the directories whose entries changed.
equals "$(json_get "$REC2" 'j["files"]["stored"]')" "9" "stored: 3 changed + 6 added"
# Only the changed content was read and is in the tar.
tar --zstd -tf "$(artifact_of site "$ID_2" tar.zst)" | grep '\.php$' | sort > "$TMP/in-tar"
printf '%s\n' dir01/sub/file01.php dir03/new1.php dir03/new2.php dir03/new3.php dir03/new4.php \
	dir03/new5.php dir04/renamed.php dir05/sub/file10.php dir09/sub/file30.php | sort > "$TMP/want"
equals "$(cat "$TMP/in-tar")" "$(cat "$TMP/want")" "files in the incremental tar"
read_bytes=$(json_get "$REC2" 'j["files"]["bytes_read"]')
[ "$read_bytes" -lt 20000 ] || fail "the incremental read $read_bytes bytes"
CHECKS=$((CHECKS + 1))
# The index names the full as the holder of an unchanged file, lists removals.
zstdcat "$(artifact_of site "$ID_2" index.zst)" > "$TMP/index2"
contains "$(grep 'dir06/sub/file06.php$' "$TMP/index2")" "$ID_1" "unchanged line"
contains "$(grep 'dir01/sub/file01.php$' "$TMP/index2")" "$ID_2" "changed line"
contains "$(grep '^-' "$TMP/index2")" "dir04/sub/file07.php" "removed lines"
equals "$(head -n 1 "$TMP/index2")" "lifeboat-index 1	$ID_2	$ID_1" "index header"

# A third, small change.
sleep 0.05
rm -r "$T/dir10"
echo "again" >> "$T/dir03/new1.php"
snapshot 3
equals "$(json_get "$(record_of site "$ID_3")" 'j["files"]["chain_length"]')" "2" "chain length"

# Every backup of the chain restores to the tree as it was.
for n in 1 2 3; do
	eval "id=\$ID_$n"
	expect_rc 0 lb restore site "$id" --to "$TMP/restore-$n"
	same_tree "$TMP/copy-$n" "$TMP/restore-$n" "restore of backup $n"
done
contains "$OUT" "from 3 tar(s)" "restore output"

# The recipe with plain tools: for each backup of the chain in order, remove
# the paths its index lists as removed, then extract its tar.
R=$TMP/recipe
mkdir "$R"
for n in 1 2 3; do
	eval "id=\$ID_$n"
	(cd "$R" && zstdcat "$(artifact_of site "$id" index.zst)" | awk -F'\t' 'NR > 1 && $1 == "-" { print $NF }' |
		while IFS= read -r p; do printf '%b\0' "$p"; done | xargs -0 -r rm -rf --)
	tar --zstd -xpf "$(artifact_of site "$id" tar.zst)" -C "$R"
done
same_tree "$TMP/copy-3" "$R" "the tar recipe"

# max_chain = 2: the fourth is a full again, and says why.
echo "four" > "$T/four.php"
snapshot 4
REC4=$(record_of site "$ID_4")
equals "$(json_get "$REC4" 'j["files"]["type"]')" "full" "fourth type"
contains "$(json_get "$REC4" 'j["files"]["full_reason"]')" "max_chain" "full reason"
# full_every = 0s: every run a full.
make_files_config site "$T" "full_every = 1s"
sleep 1.1
run_job site
contains "$(json_get "$(record_of site "$ID")" 'j["files"]["full_reason"]')" "full_every" "full_every reason"

# A missing parent: the next run is a full, and says which member is missing.
make_files_config site "$T"
run_job site
PREV=$ID
echo "five" > "$T/five.php"
rm "$(artifact_of site "$PREV" tar.zst)"
run_job site
REC=$(record_of site "$ID")
equals "$(json_get "$REC" 'j["files"]["type"]')" "full" "type after a broken chain"
contains "$(json_get "$REC" 'j["files"]["full_reason"]')" "$PREV" "full reason names the broken backup"

expect_rc 0 lb list site
done_ok

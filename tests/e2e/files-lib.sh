# Shared helpers of the files end-to-end tests (sourced, bash), on top of
# lib.sh.  No MariaDB: the trees are real files under $TMP.
#
#   make_files_config NAME PATH [key = value]...   writes $TMP/NAME.ini, sets CFG
#   lb ARGS...                 $LIFEBOAT -c $CFG ARGS...
#   id_of TEXT                 the backup id (YYYY/MM/backup-DD-NN) in TEXT
#   record_of NAME ID, artifact_of NAME ID EXT
#   json_get FILE EXPR         prints EXPR (python, over the parsed FILE as j)
#   manifest DIR [opts]        tests/helpers/tree-manifest.py
#   same_tree A B WHAT [opts]  the manifests of A and B are equal

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

: "${SRCDIR:?run through meson test}"
for tool in python3 zstd tar setfattr getfattr setfacl; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (tests/install-deps.sh)"
done
STORE=$TMP/store
STATE=$TMP/state

make_files_config() {
	local name=$1 path=$2
	shift 2
	CFG=$TMP/$name.ini
	{
		printf '[lifeboat]\nstore = %s\nstate_dir = %s\nmax_load = 1000\nio_limit = 0\nmin_free = 0\n\n' \
			"$STORE" "$STATE"
		printf '[files:%s]\nschedule = @daily\npath = %s\n' "$name" "$path"
		for kv in "$@"; do
			printf '%s\n' "$kv"
		done
	} > "$CFG"
}

lb() {
	"$LIFEBOAT" -c "$CFG" "$@"
}

id_of() {
	grep -oE '[0-9]{4}/[0-9]{2}/backup-[0-9]{2}-[0-9]{2,3}' <<<"$1" | head -n 1
}

# record_of NAME ID: the record file of backup ID of job NAME.
record_of() {
	local y m rest
	IFS=/ read -r y m rest <<<"$2"
	echo "$STORE/$1/$y/$m/$rest.json"
}

artifact_of() {
	local r
	r=$(record_of "$1" "$2")
	echo "${r%.json}.$3"
}

json_get() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

manifest() {
	python3 "$SRCDIR/tests/helpers/tree-manifest.py" "$@"
}

# same_tree A B WHAT [manifest options]
same_tree() {
	local a=$1 b=$2 what=$3
	shift 3
	CHECKS=$((CHECKS + 1))
	manifest "$a" "$@" > "$TMP/.manifest-a" || fail "manifest of $a"
	manifest "$b" "$@" > "$TMP/.manifest-b" || fail "manifest of $b"
	if ! cmp -s "$TMP/.manifest-a" "$TMP/.manifest-b"; then
		diff -u "$TMP/.manifest-a" "$TMP/.manifest-b" | cut -c 1-220 | head -n 60 >&2
		fail "$what: the trees differ"
	fi
}

# run_job NAME: runs the job here; sets ID.
run_job() {
	expect_rc 0 lb run "$1" --here
	ID=$(id_of "$OUT")
	[ -n "$ID" ] || fail "no backup id in: $OUT"
}

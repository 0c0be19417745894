# bash completion: sourced in a bash, `complete -p lifeboat` names its
# function, and with COMP_WORDS/COMP_CWORD set it offers the commands of
# `lifeboat --help`, each command's options, the job names of the config
# (given with -c or $LIFEBOAT_CONFIG; not the [offsite:NAME] sections), the
# backup ids of a job from the store, the open alerts' ids, and nothing from
# a config or store it cannot read; the options --help leaves out, the
# values of --job, --offsite and --from, and the arguments of watch,
# baseline, diff, offsite and incident; meson installs it.
# Drives: daemon/completion/lifeboat.bash (no lib module).
set -e
. "$(dirname "$0")/lib.sh"
: "${BUILDDIR:?run through meson test}"
MESON=${MESON:-meson}
SCRIPT=$SRCDIR/daemon/completion/lifeboat.bash
PATH=$(dirname "$LIFEBOAT"):$PATH
export PATH

mkdir -p "$TMP/www"
echo "<?php" >"$TMP/www/index.php"
CFG=$TMP/c.ini
cat >"$CFG" <<INI
[lifeboat]
store = $TMP/store            ; a comment after the value
state_dir = $TMP/state
max_load = 0
io_limit = 0
[files:site]
schedule = @daily
path = $TMP/www
[files:shop-files]
schedule = @daily
path = $TMP/www
  [logs:web_1]
schedule = @hourly
paths = $TMP/*.log
INI
echo "[offsite:s3]" >"$TMP/offsite.ini"
expect_rc 0 "$LIFEBOAT" -c "$CFG" run site --here
expect_rc 0 "$LIFEBOAT" -c "$CFG" run site --here

# complete_words WORD...: the completions offered for the last WORD (the one
# being typed) after the others, one a line, sorted.
complete_words() {
	bash -c '
		. "$0"
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		_lifeboat
		printf "%s\n" "${COMPREPLY[@]}" | sort' "$SCRIPT" "$@"
}
lines() { printf '%s\n' "$@" | sort; }

equals "$(bash -c '. "$0"; complete -p lifeboat' "$SCRIPT")" "complete -F _lifeboat lifeboat" "complete -p"

# The commands, from --help.
help_cmds=$("$LIFEBOAT" --help | awk '/^commands:/ {on=1; next} on && /^$/ {exit} on && /^  [a-z]/ {print $1}' | sort -u)
equals "$(complete_words lifeboat "")" "$help_cmds" "the commands offered"
equals "$(complete_words lifeboat -c "$CFG" pr)" "prune" "lifeboat -c FILE pr<TAB>"
equals "$(complete_words lifeboat --)" "$(lines --config --help --version)" "global options"

# A command's options.
equals "$(complete_words lifeboat status --)" "$(lines --check --json)" "status --<TAB>"
equals "$(complete_words lifeboat -c "$CFG" run site --)" "$(lines --here --wait)" "run JOB --<TAB>"
contains "$(complete_words lifeboat restore site latest --)" "--database"
contains "$(complete_words lifeboat restore site latest --)" "--to"

# Job names from the config, by -c or $LIFEBOAT_CONFIG.
equals "$(complete_words lifeboat -c "$CFG" run "")" "$(lines site shop-files web_1)" "run <TAB>"
equals "$(complete_words lifeboat -c "$CFG" list s)" "$(lines site shop-files)" "list s<TAB>"
equals "$(LIFEBOAT_CONFIG=$CFG complete_words lifeboat verify "")" "$(lines site shop-files web_1)" "verify <TAB> with \$LIFEBOAT_CONFIG"
equals "$(complete_words lifeboat -c "$TMP/offsite.ini" run "")" "" "[offsite:NAME] is not a job"
equals "$(complete_words lifeboat -c "$CFG" run site "")" "" "run takes one job"

# Backup ids of the job from the store, and latest.
ids=$(cd "$TMP/store/site" && ls -1 ./*/*/backup-*.json | sed 's|^\./||; s|\.json$||')
CHECKS=$((CHECKS + 1))
[ "$(printf '%s\n' "$ids" | wc -l)" -eq 2 ] || fail "expected two backups: $ids"
equals "$(complete_words lifeboat -c "$CFG" restore site "")" "$(lines latest $ids)" "restore site <TAB>"
equals "$(complete_words lifeboat -c "$CFG" pin site --reason "why" "")" "$(lines latest $ids)" "pin site --reason X <TAB>"
equals "$(complete_words lifeboat -c "$CFG" restore web_1 "")" "" "ids of a job with no backup"
# A file in the store named to run a command when expanded is not offered
# (compgen -W would expand it).
month=$(dirname "$(printf '%s\n' $ids | head -n 1)")
touch "$TMP/store/site/$month/backup-\$(touch pwned)-01.json" "$TMP/store/site/$month/backup-\`touch pwned\`.json"
equals "$(cd "$TMP" && complete_words lifeboat -c "$CFG" restore site "")" "$(lines latest $ids)" "ids with hostile files in the store"
CHECKS=$((CHECKS + 1))
[ ! -e "$TMP/pwned" ] || fail "completing ran a command from a file name in the store"
# --to completes directories.
mkdir -p "$TMP/restore-here"
equals "$(complete_words lifeboat -c "$CFG" restore site latest --to "$TMP/restore-h")" "$TMP/restore-here" "--to DIR"

# Alert ids for ack.
mkdir -p "$TMP/state/alerts/open"
echo '{}' >"$TMP/state/alerts/open/web_1-3.json"
touch "$TMP/state/alerts/open/\$(touch pwned2)-4.json"
equals "$(cd "$TMP" && complete_words lifeboat -c "$CFG" ack "w")" "$(lines web_1 web_1-3)" "ack w<TAB>"
CHECKS=$((CHECKS + 1))
[ ! -e "$TMP/pwned2" ] || fail "completing ran a command from an alert file name"

# What cannot be read offers nothing (and says nothing).
if [ "$(id -u)" -eq 0 ] && getent passwd nobody >/dev/null; then
	chmod 0755 "$TMP"
	chmod 0644 "$CFG"
	chmod 0700 "$TMP/store"
	out=$(su -s /bin/bash nobody -c '. "$0"; COMP_WORDS=(lifeboat -c "$1" restore site ""); COMP_CWORD=5; _lifeboat 2>&1; printf "%s\n" "${COMPREPLY[@]}"' "$SCRIPT" "$CFG")
	equals "$(printf '%s' "$out" | tr -d '\n')" "" "ids from a store nobody cannot read"
	chmod 0600 "$CFG"
	out=$(su -s /bin/bash nobody -c '. "$0"; COMP_WORDS=(lifeboat -c "$1" run ""); COMP_CWORD=4; _lifeboat 2>&1; printf "%s\n" "${COMPREPLY[@]}"' "$SCRIPT" "$CFG")
	equals "$(printf '%s' "$out" | tr -d '\n')" "" "jobs from a config nobody cannot read"
fi

# The newer commands: the options their --help usage lines leave out, the
# values of --job/--offsite/--from, watch jobs, offsite targets, subcommands.
cat >"$TMP/more.ini" <<INI
[files:site]
[logs:web]
[watch:site-watch]
[drill:weekly]
[offsite:s3]
INI
M=(lifeboat -c "$TMP/more.ini")
for o in --from --replace --without-evidence --database --to; do
	contains "$(complete_words "${M[@]}" restore site latest --)" "$o" "restore --<TAB>"
done
equals "$(complete_words "${M[@]}" list --)" "$(lines --json --offsite)" "list --<TAB>"
equals "$(complete_words "${M[@]}" verify --)" "$(lines --download --json --offsite)" "verify --<TAB>"
equals "$(complete_words "${M[@]}" incident --)" "$(lines --json --no-db --note --output)" "incident --<TAB>"
equals "$(complete_words "${M[@]}" when --)" "$(lines --bodyfile --job --json)" "when --<TAB>"
equals "$(complete_words "${M[@]}" list --offsite "")" "s3" "list --offsite <TAB>"
equals "$(complete_words "${M[@]}" restore site latest --from "")" "s3" "restore --from <TAB>"
equals "$(complete_words "${M[@]}" verify --offsite s3 "")" "$(lines site web site-watch weekly)" "verify --offsite NAME <TAB>"
equals "$(complete_words "${M[@]}" when --job "")" "$(lines site web site-watch weekly)" "when --job <TAB>"
equals "$(complete_words "${M[@]}" watch "")" "report" "watch <TAB>"
equals "$(complete_words "${M[@]}" watch report "")" "site-watch" "watch report <TAB>"
equals "$(complete_words "${M[@]}" baseline "")" "site-watch" "baseline <TAB>"
equals "$(complete_words "${M[@]}" offsite "")" "$(lines init sync)" "offsite <TAB>"
equals "$(complete_words "${M[@]}" offsite sync "")" "s3" "offsite sync <TAB>"
equals "$(complete_words "${M[@]}" offsite sync s3 "")" "$(lines site web site-watch weekly)" "offsite sync NAME <TAB>"
equals "$(complete_words "${M[@]}" incident "")" "$(lines open resume note status done list bundle close)" "incident <TAB>"
# diff JOB ID1 <TAB> offers live and the ids.
equals "$(complete_words lifeboat -c "$CFG" diff site "${ids%%$'\n'*}" "")" "$(lines live latest $ids)" "diff JOB ID <TAB>"

# Installed by meson.
expect_rc 0 "$MESON" install -C "$BUILDDIR" --no-rebuild --quiet --destdir "$TMP/dest"
CHECKS=$((CHECKS + 1))
installed=$(find "$TMP/dest" -path '*/bash-completion/completions/lifeboat')
[ -n "$installed" ] && cmp -s "$installed" "$SCRIPT" || fail "the completion is not installed"

done_ok

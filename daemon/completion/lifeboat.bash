# bash completion for lifeboat(1).  Installed by meson into bash-completion's
# completions directory as "lifeboat"; works with or without the
# bash-completion package (it uses none of its helpers).
#
# Commands and their options come from `lifeboat --help`, so a new command
# completes as soon as it is in the CLI's command table; the few options its
# usage lines leave out (_lifeboat_more_options) are added here.  Job names come from
# the config (-c FILE, $LIFEBOAT_CONFIG or /etc/lifeboat/lifeboat.ini) when it
# is readable, backup ids from the store (JOB/YYYY/MM/backup-DD-NN.json) and
# alert ids from the state dir when they are readable (root, or the
# daemon's user).  Nothing is ever written.  compgen -W expands the words it
# is given ($(...) included), so only names of the exact shapes Lifeboat
# writes are ever offered: a file named otherwise in the store is skipped.

# The config file this command line names.
_lifeboat_config() {
	local i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		case ${COMP_WORDS[i]} in
		-c | --config) printf '%s\n' "${COMP_WORDS[i + 1]}"; return ;;
		--config=*) printf '%s\n' "${COMP_WORDS[i]#--config=}"; return ;;
		esac
	done
	printf '%s\n' "${LIFEBOAT_CONFIG:-/etc/lifeboat/lifeboat.ini}"
}

# "KIND NAME" for each [KIND:NAME] section of the config.
_lifeboat_sections() {
	local cfg
	cfg=$(_lifeboat_config)
	[ -r "$cfg" ] || return 0
	sed -n 's/^[[:space:]]*\[\([a-z]*\):\([a-z0-9][a-z0-9_-]*\)\][[:space:]]*$/\1 \2/p' "$cfg" 2>/dev/null
}

# The names of the jobs of the config (of KIND when given): its [KIND:NAME]
# sections, offsite targets ([offsite:NAME]) left out.
_lifeboat_jobs() {
	_lifeboat_sections | while read -r kind name; do
		[ "$kind" != offsite ] && { [ -z "$1" ] || [ "$kind" = "$1" ]; } && printf '%s\n' "$name"
	done
}

# The names of the offsite targets ([offsite:NAME]).
_lifeboat_offsites() {
	_lifeboat_sections | while read -r kind name; do
		[ "$kind" = offsite ] && printf '%s\n' "$name"
	done
}

# Options a command takes that its --help usage lines do not show.
_lifeboat_more_options() {
	case $1 in
	incident) echo --note --json --no-db --output ;;
	esac
}

# The value of KEY in [lifeboat], or DEFAULT.
_lifeboat_setting() {
	local cfg v
	cfg=$(_lifeboat_config)
	[ -r "$cfg" ] && v=$(sed -n '/^[[:space:]]*\[lifeboat\]/,/^[[:space:]]*\[/{s/^[[:space:]]*'"$1"'[[:space:]]*=[[:space:]]*\([^[:space:];]*\).*/\1/p}' "$cfg" 2>/dev/null | head -n 1)
	printf '%s\n' "${v:-$2}"
}

# The backup ids of JOB, newest last, and "latest".
_lifeboat_ids() {
	local store dir f
	store=$(_lifeboat_setting store /var/backups/lifeboat)
	dir=$store/$1
	[ -n "$1" ] && [ -r "$dir" ] || return 0
	printf 'latest\n'
	for f in "$dir"/[0-9][0-9][0-9][0-9]/[0-9][0-9]/backup-*.json; do
		f=${f#"$dir"/}
		f=${f%.json}
		[[ $f =~ ^[0-9]{4}/[0-9]{2}/backup-[0-9]{2}-[0-9]{2,3}$ ]] && printf '%s\n' "$f"
	done
}

# The ids of the open alerts.
_lifeboat_alerts() {
	local state f
	state=$(_lifeboat_setting state_dir /var/lib/lifeboat)
	for f in "$state"/alerts/open/*.json; do
		f=${f##*/}
		f=${f%.json}
		[[ $f =~ ^[a-z0-9][a-z0-9_-]*-[0-9]+$ ]] && printf '%s\n' "$f"
	done
}

# "NAME OPTIONS..." for each command of `lifeboat --help`.
_lifeboat_commands() {
	"${COMP_WORDS[0]}" --help 2>/dev/null | awk '
		/^commands:/ { on = 1; next }
		on && /^$/ { exit }
		on && /^  [a-z]/ { cmd = $1; if (!(cmd in seen)) { order[n++] = cmd; seen[cmd] = "" } }
		on && cmd != "" { for (i = 1; i <= NF; i++) if ($i ~ /^\[?--[a-z]/) { o = $i; gsub(/[][|]/, "", o); seen[cmd] = seen[cmd] " " o } }
		END { for (i = 0; i < n; i++) print order[i] seen[order[i]] }'
}

_lifeboat() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local i cmd="" w nargs=0 words=""
	COMPREPLY=()

	# Options that take a value: complete the value.
	case $prev in
	-c | --config | --bodyfile | -o | --output) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--to) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--job) COMPREPLY=($(compgen -W "$(_lifeboat_jobs)" -- "$cur")); return ;;
	--offsite | --from) COMPREPLY=($(compgen -W "$(_lifeboat_offsites)" -- "$cur")); return ;;
	--reason | --database | --path | --note) return ;;
	esac

	# The command, and how many of its arguments come before the cursor.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-c | --config | --to | --reason | --database | --path | --job | --bodyfile | --offsite | --from | --note | -o | --output) ((i++)) ;;
		-*) ;;
		*) if [ -z "$cmd" ]; then cmd=$w; else ((nargs++)); words="$words $w"; fi ;;
		esac
	done

	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-c --config --help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_lifeboat_commands | cut -d' ' -f1)" -- "$cur"))
		fi
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$({ _lifeboat_commands | awk -v c="$cmd" '$1 == c { $1 = ""; print }'; _lifeboat_more_options "$cmd"; } | tr ' ' '\n' | sort -u)" -- "$cur"))
		return
	fi
	# The command's arguments: JOB first, then for some a backup ID.
	set -- $words
	case $cmd in
	run | cancel | list | prune)
		[ "$nargs" -eq 0 ] && COMPREPLY=($(compgen -W "$(_lifeboat_jobs)" -- "$cur")) ;;
	pin | unpin | verify | restore)
		if [ "$nargs" -eq 0 ]; then
			COMPREPLY=($(compgen -W "$(_lifeboat_jobs)" -- "$cur"))
		elif [ "$nargs" -eq 1 ]; then
			COMPREPLY=($(compgen -W "$(_lifeboat_ids "$1")" -- "$cur"))
		fi ;;
	ack)
		[ "$nargs" -eq 0 ] && COMPREPLY=($(compgen -W "$(_lifeboat_jobs) $(_lifeboat_alerts)" -- "$cur")) ;;
	diff | facts)
		# diff JOB ID1 [ID2 | live]; facts --diff [JOB [ID]]
		if [ "$nargs" -eq 0 ]; then
			COMPREPLY=($(compgen -W "$(_lifeboat_jobs)" -- "$cur"))
		elif [ "$nargs" -eq 1 ]; then
			COMPREPLY=($(compgen -W "$(_lifeboat_ids "$1")" -- "$cur"))
		elif [ "$nargs" -eq 2 ] && [ "$cmd" = diff ]; then
			COMPREPLY=($(compgen -W "live $(_lifeboat_ids "$1")" -- "$cur"))
		fi ;;
	watch)
		if [ "$nargs" -eq 0 ]; then
			COMPREPLY=($(compgen -W "report" -- "$cur"))
		elif [ "$nargs" -eq 1 ]; then
			COMPREPLY=($(compgen -W "$(_lifeboat_jobs watch)" -- "$cur"))
		fi ;;
	baseline)
		[ "$nargs" -eq 0 ] && COMPREPLY=($(compgen -W "$(_lifeboat_jobs watch)" -- "$cur")) ;;
	offsite)
		if [ "$nargs" -eq 0 ]; then
			COMPREPLY=($(compgen -W "init sync" -- "$cur"))
		elif [ "$nargs" -eq 1 ]; then
			COMPREPLY=($(compgen -W "$(_lifeboat_offsites)" -- "$cur"))
		elif [ "$nargs" -eq 2 ] && [ "$1" = sync ]; then
			COMPREPLY=($(compgen -W "$(_lifeboat_jobs)" -- "$cur"))
		fi ;;
	incident)
		[ "$nargs" -eq 0 ] && COMPREPLY=($(compgen -W "open resume note status done list bundle close" -- "$cur")) ;;
	esac
}

complete -F _lifeboat lifeboat

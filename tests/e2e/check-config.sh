# lifeboat check-config and lifeboatd -n against good and broken configs.
# Drives: lib/config/config.c, lib/config/config_keys.c, lib/base/units.c, lib/base/schedule.c.
set -e
. "$(dirname "$0")/lib.sh"

example="$SRCDIR/conf/lifeboat.ini"

# The shipped example is valid and printed with defaults filled in.
expect_rc 0 "$LIFEBOAT" -c "$example" check-config
contains "$OUT" "[db:shop]"
contains "$OUT" "password_file       = /etc/lifeboat/shop.password"
contains "$OUT" "keep_daily          = 14"
contains "$OUT" "chunk_rows          = 10000" "defaults"
contains "$OUT" "full_every          = 7d"
contains "$ERR" "configuration OK"

# The printed config is itself a valid config that prints the same.
printf '%s\n' "$OUT" > "$TMP/effective.ini"
first="$OUT"
expect_rc 0 "$LIFEBOAT" -c "$TMP/effective.ini" check-config
equals "$(echo "$OUT" | tail -n +2)" "$(echo "$first" | tail -n +2)" "re-printed config"

# $LIFEBOAT_CONFIG is used when -c is absent; -c wins over it.
LIFEBOAT_CONFIG="$example" expect_rc 0 "$LIFEBOAT" check-config
LIFEBOAT_CONFIG=/nonexistent.ini expect_rc 0 "$LIFEBOAT" -c "$example" check-config

# lifeboatd -n: the same check, and "configuration OK".
expect_rc 0 "$LIFEBOATD" -n -c "$example"
contains "$ERR" "configuration OK"

# A broken config: every error, one line each, FILE:LINE: [section] key:, exit 2.
cat > "$TMP/bad.ini" <<'INI'
[lifeboat]
io_limit = lots
nice = 40

[files:site]
schedule = 30 2 * * *
exclude = cache/*

[files:site]
schedule = @daily
path = /srv
INI
expect_rc 2 "$LIFEBOAT" -c "$TMP/bad.ini" check-config
equals "$OUT" "" "stdout of a failed check"
contains "$ERR" "$TMP/bad.ini:2: [lifeboat] io_limit: expected a size"
contains "$ERR" "$TMP/bad.ini:3: [lifeboat] nice: 40 is out of range -20 to 19"
contains "$ERR" "$TMP/bad.ini:5: [files:site] path: missing (required for files jobs)"
contains "$ERR" "$TMP/bad.ini:9: [files:site]: duplicate job name 'site' (first on line 5)"
equals "$(echo "$ERR" | wc -l)" "4" "number of error lines"
expect_rc 2 "$LIFEBOATD" -n -c "$TMP/bad.ini"
contains "$ERR" "$TMP/bad.ini:2: [lifeboat] io_limit"

# A missing config file.
expect_rc 2 "$LIFEBOAT" -c "$TMP/none.ini" check-config
equals "$ERR" "$TMP/none.ini: cannot open: No such file or directory"

# Bad usage is exit 2 with one clear line.
expect_rc 2 "$LIFEBOAT" -c "$example" frobnicate
contains "$ERR" "unknown command 'frobnicate'"
expect_rc 2 "$LIFEBOAT" -c "$example" check-config extra
expect_rc 2 "$LIFEBOAT"
expect_rc 0 "$LIFEBOAT" --help
contains "$OUT" "check-config"

# Nothing secret is printed: the config only names the password file, and
# check-config never reads it.
echo "s3cret-Pa55" > "$TMP/pw"
chmod 600 "$TMP/pw"
printf '[db:a]\nschedule = @daily\nuser = u\npassword_file = %s\n' "$TMP/pw" > "$TMP/pw.ini"
expect_rc 0 "$LIFEBOAT" -c "$TMP/pw.ini" check-config
not_contains "$OUT$ERR" "s3cret-Pa55" "check-config output"

done_ok

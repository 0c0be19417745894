# lock = auto | none | all: when the global read lock is taken, for which
# tables, and that non-transactional tables are dumped first (under it).
# Drives: lib/db/dbdump.c.
set -e
. "$(dirname "$0")/db-lib.sh"

inno="lk_inno_$$"
mixed="lk_mixed_$$"
drop_db_later "$inno"
drop_db_later "$mixed"
db_q -e "CREATE DATABASE $inno; CREATE TABLE $inno.a (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
	INSERT INTO $inno.a VALUES (1,1),(2,2);
	CREATE DATABASE $mixed; CREATE TABLE $mixed.a (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
	CREATE TABLE $mixed.z_my (id INT PRIMARY KEY, v INT) ENGINE=MyISAM;
	CREATE TABLE $mixed.m_aria (id INT PRIMARY KEY, v INT) ENGINE=Aria;
	INSERT INTO $mixed.a VALUES (1,1); INSERT INTO $mixed.z_my VALUES (1,1); INSERT INTO $mixed.m_aria VALUES (7,7);"

lockinfo() { json_get "$(record_of "$1" "$ID")" "$2"; }

# auto, InnoDB only: no lock at all.
make_config lkinno "$inno"
expect_run_ok lkinno
equals "$(lockinfo lkinno 'j["db"]["lock"]["global_read_lock"]')" "false" "auto, InnoDB only: global read lock"
equals "$(lockinfo lkinno 'j["db"]["lock"]["nontransactional_tables"]')" "[]" "auto, InnoDB only: non-transactional tables"

# auto, with MyISAM and Aria: the lock, naming them, released after they are dumped.
make_config lkmixed "$mixed"
expect_run_ok lkmixed
equals "$(lockinfo lkmixed 'j["db"]["lock"]["global_read_lock"]')" "true" "auto, MyISAM: global read lock"
equals "$(lockinfo lkmixed 'sorted(j["db"]["lock"]["nontransactional_tables"])')" \
	"[\"$mixed.m_aria\", \"$mixed.z_my\"]" "auto: non-transactional tables"
equals "$(lockinfo lkmixed '"held_seconds" in j["db"]["lock"]')" "true" "auto: lock duration recorded"
# The MyISAM/Aria data comes before the InnoDB data, whatever the names' order.
order=$(zstd -dc "$(latest_artifact lkmixed)" | grep -oE '^INSERT INTO `[a-z_]+`' | sed 's/INSERT INTO //' | tr '\n' ' ')
equals "$order" '`m_aria` `z_my` `a` ' "order of table data with lock = auto"

# none: no lock even with MyISAM, and a warning saying which tables are at risk.
make_config lknone "$mixed" "lock = none"
expect_run_ok lknone
equals "$(lockinfo lknone 'j["db"]["lock"]["global_read_lock"]')" "false" "none: global read lock"
contains "$ERR" "lock = none: 2 non-transactional table(s)" "warning of lock = none"

# all: the lock even for InnoDB only, held to the end.
make_config lkall "$inno" "lock = all"
expect_run_ok lkall
equals "$(lockinfo lkall 'j["db"]["lock"]["global_read_lock"]')" "true" "all: global read lock"
equals "$(lockinfo lkall 'j["db"]["lock"]["mode"]')" "all" "all: mode"

# Every one of them restores to the same data.
for job in lkmixed lknone; do
	target="lk_r_${job}_$$"
	drop_db_later "$target"
	expect_rc 0 "$LIFEBOAT" -c "$TMP/$job.ini" restore "$job" latest --database "$target"
	equals "$(db_q -e "SELECT v FROM $target.m_aria")" "7" "restored Aria row ($job)"
done

done_ok

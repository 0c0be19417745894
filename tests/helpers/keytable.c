/*
 * keytable — prints every config key Lifeboat knows, from the key tables
 * themselves (config_keys[] and each kind's table in jobkind_table[]), one
 * per line: SECTION <tab> KEY <tab> DEFAULT ("-" when none), SECTION being
 * "lifeboat" ([lifeboat] only), "tuning" ([lifeboat] and jobs), "job" (every
 * job) or a kind's name.  The man page test (tests/e2e/man-pages.sh) checks
 * lifeboat.ini(5) against it, so a key added to a table and not documented
 * fails the suite.  Sections that are not jobs (an [offsite:NAME] table,
 * say) get a loop of their own here.
 */
#include <stdio.h>

#include "config_keys.h"
#include "jobkind.h"

static void print_key(const char *section, const struct config_key *k)
{
	printf("%s\t%s\t%s\n", section, k->name, k->def ? k->def : "-");
}

int main(void)
{
	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];

		print_key(k->place == KP_GLOBAL ? "lifeboat" : k->place == KP_TUNING ? "tuning" : "job", k);
	}
	for (size_t kind = 0; kind < JOB_KIND_COUNT; kind++) {
		const struct jobkind_ops *ops = jobkind_table[kind];

		for (size_t i = 0; i < ops->nkeys; i++)
			print_key(ops->name, &ops->keys[i]);
	}
	return 0;
}

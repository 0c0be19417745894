/*
 * keytable — prints every config key Lifeboat knows, from the key tables
 * themselves (config_keys[] and each kind's table in jobkind_table[]), one
 * per line: SECTION <tab> KEY <tab> DEFAULT ("-" when none), SECTION being
 * "lifeboat" ([lifeboat] only), "tuning" ([lifeboat] and jobs), "job" (every
 * job) or a kind's name.  The man page test (tests/e2e/man-pages.sh) checks
 * lifeboat.ini(5) against it, so a key added to a table and not documented
 * fails the suite.  Sections that are not jobs get a loop of their own
 * here: [offsite:NAME] prints as section "offsite" (offsite_keys[], the only
 * keys such a section takes).
 */
#include <stdio.h>

#include "config_keys.h"
#include "jobkind.h"
#include "offsite_config.h"

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
	for (size_t i = 0; i < offsite_nkeys; i++)
		print_key("offsite", &offsite_keys[i]);
	return 0;
}

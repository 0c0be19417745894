/*
 * cli_owner — the commands that write the store or the state dir (run
 * --here, prune, pin, unpin, ack without a daemon) call cli_as_store_owner()
 * once their config is loaded: run as root, they then create files as the
 * owner of the store (the daemon's user), so `sudo lifeboat prune` leaves no
 * root-owned file that lifeboatd could not change.  How is fsowner's
 * business (lib/base/fsowner.h); which directory decides is this file's.
 */
#include <errno.h>
#include <stdio.h>

#include "cli.h"
#include "fsowner.h"

int cli_as_store_owner(const struct config *cfg)
{
	uid_t su = 0, tu = 0;
	gid_t sg, tg;
	bool store = fsowner_of(cfg->store, &su, &sg) == 0 && su != 0;
	bool state = fsowner_of(cfg->state_dir, &tu, &tg) == 0 && tu != 0;
	int r;

	if (!store && !state)
		return EXIT_OK;		/* root's, or not there yet: nothing to keep */
	if (store && state && su != tu) {
		fprintf(stderr, "lifeboat: the store %s belongs to uid %u but the state dir %s to uid %u; "
			"give both to the daemon's user\n", cfg->store, (unsigned)su, cfg->state_dir, (unsigned)tu);
		return EXIT_FAILED;
	}
	r = fsowner_adopt(store ? cfg->store : cfg->state_dir, NULL, NULL);
	return r < 0 ? EXIT_FAILED : EXIT_OK;
}

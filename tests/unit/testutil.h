/* Helpers shared by the unit tests. */
#ifndef LIFEBOAT_TESTUTIL_H
#define LIFEBOAT_TESTUTIL_H

/* Removes PATH and everything below it, like rm -rf; errors are ignored. */
void test_rm_rf(const char *path);

#endif

/* Helpers shared by the unit tests. */
#ifndef LIFEBOAT_TESTUTIL_H
#define LIFEBOAT_TESTUTIL_H

/* Removes PATH and everything below it, like rm -rf; errors are ignored. */
void test_rm_rf(const char *path);

/* cmocka setup/teardown pair: *state becomes a fresh mkdtemp directory under
 * /tmp (malloc'd path), removed with everything in it afterwards. */
int test_tmpdir_setup(void **state);
int test_tmpdir_teardown(void **state);

#endif

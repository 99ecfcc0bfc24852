// SPDX-License-Identifier: GPL-2.0
/*
 * A device-DAX mapping is shared across fork(): the child reads what the
 * parent wrote before the fork, and the parent reads what the child
 * wrote after it, at every alignment.
 */
#include "lib/dax_test.h"

FIXTURE(devdax) { struct devdax dax; };
DEVDAX_VARIANTS(devdax);
FIXTURE_SETUP(devdax) { DEVDAX_SETUP(&self->dax, variant); }
FIXTURE_TEARDOWN(devdax) { devdax_close(&self->dax); }

TEST_F(devdax, child_and_parent_see_each_others_writes)
{
	size_t len = devdax_test_len(&self->dax);
	uint8_t *p;
	int status;
	pid_t pid;

	p = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, len, 41);

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (check_pattern(p, len, 41) != -1)
			_exit(1);
		fill_pattern(p, len / 2, 42);
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0) TH_LOG("child saw stale data");
	EXPECT_EQ(check_pattern(p, len / 2, 42), -1);
	/* the half the child did not touch keeps the parent's data */
	for (size_t i = len / 2; i < len; i += 4093)
		ASSERT_EQ(p[i], pattern_byte(i, 41));
	ASSERT_EQ(munmap(p, len), 0);
}

TEST_F(devdax, child_exit_leaves_parent_mapping_intact)
{
	size_t len = devdax_test_len(&self->dax);
	uint8_t *p;
	int status;

	p = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, len, 43);
	for (int i = 0; i < 8; i++) {
		pid_t pid = fork();

		ASSERT_GE(pid, 0);
		if (pid == 0)
			_exit(p[i * SZ_4K] == pattern_byte(i * SZ_4K, 43) ? 0 : 1);
		ASSERT_EQ(waitpid(pid, &status, 0), pid);
		ASSERT_EQ(status, 0);
	}
	EXPECT_EQ(check_pattern(p, len, 43), -1);
	ASSERT_EQ(munmap(p, len), 0);
}

TEST_HARNESS_MAIN

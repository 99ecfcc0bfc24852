// SPDX-License-Identifier: GPL-2.0
/*
 * mprotect() on a populated device-DAX mapping takes effect at every
 * alignment: a write to a read-only mapping raises SIGSEGV and changes
 * nothing, and making it writable again lets writes through.
 */
#include <signal.h>
#include "lib/dax_test.h"

FIXTURE(devdax) { struct devdax dax; };
DEVDAX_VARIANTS(devdax);
FIXTURE_SETUP(devdax) { DEVDAX_SETUP(&self->dax, variant); }
FIXTURE_TEARDOWN(devdax) { devdax_close(&self->dax); }

TEST_F(devdax, read_only_then_writable_again)
{
	size_t len = devdax_test_len(&self->dax);
	uint8_t *p;

	p = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, len, 71);

	ASSERT_EQ(mprotect(p, len, PROT_READ), 0);
	EXPECT_EQ(access_signal(p + len / 2, 1), SIGSEGV);
	EXPECT_EQ(check_pattern(p, len, 71), -1);

	ASSERT_EQ(mprotect(p, len, PROT_READ | PROT_WRITE), 0);
	fill_pattern(p, len, 72);
	EXPECT_EQ(check_pattern(p, len, 72), -1);

	ASSERT_EQ(mprotect(p, len, PROT_NONE), 0);
	EXPECT_EQ(access_signal(p, 0), SIGSEGV);
	ASSERT_EQ(munmap(p, len), 0);
}

TEST_HARNESS_MAIN

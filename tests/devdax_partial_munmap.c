// SPDX-License-Identifier: GPL-2.0
/*
 * Unmapping one aligned unit of a device-DAX mapping leaves the rest
 * mapped with its data, the unmapped part faults with SIGSEGV, and a
 * split at an address that is not a multiple of the alignment is
 * refused with EINVAL.
 */
#include <signal.h>
#include "lib/dax_test.h"
#include "lib/page_refs.h"

FIXTURE(devdax) { struct devdax dax; };
DEVDAX_VARIANTS(devdax);
FIXTURE_SETUP(devdax) { DEVDAX_SETUP(&self->dax, variant); }
FIXTURE_TEARDOWN(devdax) { devdax_close(&self->dax); }

TEST_F(devdax, unmap_first_unit_keeps_the_rest)
{
	size_t len = devdax_test_len(&self->dax), unit = self->dax.align;
	uint8_t *p;

	if (len < 2 * unit)
		SKIP(return, "device holds only one %zu-byte unit", unit);
	p = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, len, 51);

	ASSERT_EQ(munmap(p, unit), 0);
	EXPECT_EQ(probe_access(p, 0), SIGSEGV);
	for (size_t i = unit; i < len; i += 4093)
		ASSERT_EQ(p[i], pattern_byte(i, 51));
	ASSERT_EQ(munmap(p + unit, len - unit), 0);
}

TEST_F(devdax, unaligned_split_is_refused)
{
	size_t len = devdax_test_len(&self->dax), unit = self->dax.align;
	uint8_t *p;

	if (unit == SZ_4K)
		SKIP(return, "every page boundary is aligned at 4K");
	p = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, len, 52);

	EXPECT_EQ(munmap(p + SZ_4K, SZ_4K), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(check_pattern(p, len, 52), -1);
	ASSERT_EQ(munmap(p, len), 0);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * MADV_DONTNEED on a device-DAX mapping only drops the page table
 * entries: the memory belongs to the device, so the next access faults
 * the same data back in, and pagemap shows the entry gone, then back.
 */
#include "lib/dax_test.h"

FIXTURE(devdax) { struct devdax dax; };
DEVDAX_VARIANTS(devdax);
FIXTURE_SETUP(devdax) { DEVDAX_SETUP(&self->dax, variant); }
FIXTURE_TEARDOWN(devdax) { devdax_close(&self->dax); }

TEST_F(devdax, data_survives_dontneed)
{
	size_t len = devdax_test_len(&self->dax);
	uint8_t *p;

	p = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, len, 81);
	ASSERT_EQ(madvise(p, len, MADV_DONTNEED), 0)
		TH_LOG("madvise: %s", strerror(errno));
	EXPECT_EQ(pagemap_entry(p) & PM_PRESENT, 0)
		TH_LOG("entry still present after MADV_DONTNEED");
	EXPECT_EQ(check_pattern(p, len, 81), -1);
	/* a pagemap walk splits (zaps) a PUD mapping: see devdax_smaps_pagemap */
	if (self->dax.align != SZ_1G)
		EXPECT_NE(pagemap_entry(p) & PM_PRESENT, 0);
	ASSERT_EQ(munmap(p, len), 0);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Device DAX at 4K, 2M and 1G alignment: a fault installs one page table
 * entry of the device's alignment (PTE, PMD or PUD), write faults store
 * data that a later, separate mapping reads back, and a mapping smaller
 * than the device's alignment is refused.
 */
#include "lib/dax_test.h"

FIXTURE(devdax) { struct devdax dax; };
DEVDAX_VARIANTS(devdax);
FIXTURE_SETUP(devdax) { DEVDAX_SETUP(&self->dax, variant); }
FIXTURE_TEARDOWN(devdax) { devdax_close(&self->dax); }

TEST_F(devdax, write_then_read_back_in_new_mapping)
{
	size_t len = devdax_test_len(&self->dax);
	uint8_t *p;

	p = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(p, MAP_FAILED) TH_LOG("mmap: %s", strerror(errno));
	fill_pattern(p, len, 7);
	EXPECT_EQ(mapped_page_size(p, NULL), (long)self->dax.align);
	EXPECT_EQ(mapped_page_size(p + len - 1, NULL), (long)self->dax.align);
	ASSERT_EQ(munmap(p, len), 0);

	p = devdax_map(&self->dax, len, PROT_READ);
	ASSERT_NE(p, MAP_FAILED);
	EXPECT_EQ(check_pattern(p, len, 7), -1);
	ASSERT_EQ(munmap(p, len), 0);
}

TEST_F(devdax, read_fault_first_then_write)
{
	size_t len = devdax_test_len(&self->dax);
	volatile uint8_t *p;
	uint8_t sum = 0;

	p = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(p, MAP_FAILED);
	for (size_t i = 0; i < len; i += SZ_4K)
		sum += p[i];
	(void)sum;
	fill_pattern((uint8_t *)p, len, 8);
	EXPECT_EQ(check_pattern((uint8_t *)p, len, 8), -1);
	ASSERT_EQ(munmap((void *)p, len), 0);
}

TEST_F(devdax, mapping_smaller_than_alignment_is_refused)
{
	void *p;

	if (self->dax.align == SZ_4K)
		SKIP(return, "every length is aligned at 4K");
	p = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED, self->dax.fd, 0);
	EXPECT_EQ(p, MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
}

TEST_HARNESS_MAIN

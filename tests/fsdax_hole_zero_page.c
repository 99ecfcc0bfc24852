// SPDX-License-Identifier: GPL-2.0
/*
 * A read fault on a hole in an FS DAX file maps a zero page: the shared
 * zero page for a 4K hole (two holes show the same pfn in pagemap) and
 * the huge zero page for a 2M hole (a read-only PMD in the page table
 * dump). A later
 * write fault to the same place replaces it with real storage, the data
 * persists, and the rest of the hole still reads as zeros.
 */
#include "lib/dax_test.h"

#define FILE_LEN	(4 * SZ_2M)

FIXTURE(fsdax) { struct fsdax_file f; };
FSDAX_VARIANTS(fsdax);
FIXTURE_SETUP(fsdax)
{
	FSDAX_SETUP(&self->f, variant, "hole", 0);
	ASSERT_EQ(ftruncate(self->f.fd, FILE_LEN), 0);	/* all hole */
}
FIXTURE_TEARDOWN(fsdax) { fsdax_file_close(&self->f); }

TEST_F(fsdax, pte_hole_maps_shared_zero_page_then_write_upgrades)
{
	uint8_t *area, *p, buf[SZ_4K];
	uint64_t a, b;

	/* misaligned on purpose, so only PTEs fit */
	area = mmap_aligned(FILE_LEN + SZ_2M, SZ_2M, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(area, MAP_FAILED);
	p = mmap(area + SZ_4K, FILE_LEN, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, self->f.fd, 0);
	ASSERT_NE(p, MAP_FAILED);

	ASSERT_TRUE(is_zero(p, SZ_4K));
	ASSERT_TRUE(is_zero(p + 9 * SZ_4K, SZ_4K));
	a = pagemap_entry(p);
	b = pagemap_entry(p + 9 * SZ_4K);
	ASSERT_NE(a & PM_PRESENT, 0);
	EXPECT_NE(a & PM_PFN_MASK, 0);
	EXPECT_EQ(a & PM_PFN_MASK, b & PM_PFN_MASK)
		TH_LOG("two holes do not share the zero page");

	memset(p, 0x77, SZ_4K);
	EXPECT_NE(pagemap_entry(p) & PM_PFN_MASK, b & PM_PFN_MASK)
		TH_LOG("write left the zero page mapped");
	EXPECT_TRUE(is_zero(p + 9 * SZ_4K, SZ_4K));
	ASSERT_EQ(pread(self->f.fd, buf, SZ_4K, 0), SZ_4K);
	EXPECT_EQ(buf[0], 0x77);
	EXPECT_EQ(buf[SZ_4K - 1], 0x77);
	munmap(area, FILE_LEN + SZ_2M);
}

TEST_F(fsdax, pmd_hole_maps_huge_zero_page_then_write_upgrades)
{
	uint8_t *p, buf[SZ_4K];
	int rw = 1;

	p = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->f.fd, 0);
	ASSERT_NE(p, MAP_FAILED);

	ASSERT_TRUE(is_zero(p + SZ_2M, SZ_2M));
	EXPECT_EQ(mapped_page_size(p + SZ_2M, &rw), SZ_2M)
		TH_LOG("the 2M hole was not mapped by the huge zero page");
	EXPECT_FALSE(rw) TH_LOG("the huge zero page is mapped writable");

	memset(p + SZ_2M + SZ_4K, 0x66, SZ_4K);
	EXPECT_TRUE(is_zero(p + SZ_2M, SZ_4K));
	EXPECT_TRUE(is_zero(p + SZ_2M + 2 * SZ_4K, SZ_2M - 2 * SZ_4K));
	ASSERT_EQ(pread(self->f.fd, buf, SZ_4K, SZ_2M + SZ_4K), SZ_4K);
	EXPECT_EQ(buf[0], 0x66);
	EXPECT_EQ(buf[SZ_4K - 1], 0x66);
	EXPECT_NE(mapped_page_size(p + SZ_2M, &rw), 0);
	EXPECT_TRUE(rw) TH_LOG("the write left the zero page mapped");
	ASSERT_EQ(munmap(p, FILE_LEN), 0);
}

TEST_HARNESS_MAIN

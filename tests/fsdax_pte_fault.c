// SPDX-License-Identifier: GPL-2.0
/*
 * PTE-sized FS DAX faults on ext4 and xfs: a small file maps with 4K
 * entries, writes through the mapping land in the file (read() sees
 * them), and write() is visible through an existing mapping at once,
 * because both go to the same persistent memory with no page cache.
 */
#include "lib/dax_test.h"

#define FILE_LEN	(64 * SZ_4K)

FIXTURE(fsdax) { struct fsdax_file f; };
FSDAX_VARIANTS_AND_EXT2(fsdax);
FIXTURE_SETUP(fsdax) { FSDAX_SETUP(&self->f, variant, "pte_fault", FILE_LEN); }
FIXTURE_TEARDOWN(fsdax) { fsdax_file_close(&self->f); }

TEST_F(fsdax, mapping_and_syscalls_share_the_same_bytes)
{
	uint8_t *p, buf[SZ_4K];

	p = mmap(NULL, FILE_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->f.fd, 0);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, FILE_LEN, 5);
	for (size_t off = 0; off < FILE_LEN; off += SZ_4K) {
		ASSERT_EQ(pread(self->f.fd, buf, SZ_4K, off), SZ_4K);
		ASSERT_EQ(memcmp(buf, p + off, SZ_4K), 0);
	}
	memset(buf, 0x3c, sizeof(buf));
	ASSERT_EQ(pwrite(self->f.fd, buf, SZ_4K, 7 * SZ_4K), SZ_4K);
	EXPECT_EQ(memcmp(p + 7 * SZ_4K, buf, SZ_4K), 0);
	EXPECT_NE(pagemap_entry(p) & PM_PRESENT, 0);
	ASSERT_EQ(munmap(p, FILE_LEN), 0);
}

TEST_F(fsdax, file_offset_maps_the_right_page)
{
	uint8_t *p;

	{
		uint8_t buf[SZ_4K];

		for (size_t off = 0; off < FILE_LEN; off += SZ_4K) {
			memset(buf, (int)(off / SZ_4K), sizeof(buf));
			ASSERT_EQ(pwrite(self->f.fd, buf, SZ_4K, off), SZ_4K);
		}
	}
	/* map a window that starts 5 pages into the file */
	p = mmap(NULL, 8 * SZ_4K, PROT_READ, MAP_SHARED, self->f.fd, 5 * SZ_4K);
	ASSERT_NE(p, MAP_FAILED);
	for (int i = 0; i < 8; i++)
		ASSERT_EQ(p[i * SZ_4K + 100], 5 + i);
	ASSERT_EQ(munmap(p, 8 * SZ_4K), 0);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * On ext4 and xfs mounted with -o dax=always, a write fault on a 2 MiB
 * aligned mapping of a 2 MiB aligned extent is served by one PMD (the
 * page table dump shows a writable PMD for every 2 MiB), and the data goes
 * straight to persistent memory: read() sees it. A mapping whose address
 * is not 2 MiB aligned against the file offset falls back to PTEs.
 */
#include "lib/dax_test.h"

#define FILE_LEN	(4 * SZ_2M)

FIXTURE(fsdax) { struct fsdax_file f; };
FSDAX_VARIANTS(fsdax);
FIXTURE_SETUP(fsdax) { FSDAX_SETUP(&self->f, variant, "pmd_fault", FILE_LEN); }
FIXTURE_TEARDOWN(fsdax) { fsdax_file_close(&self->f); }

TEST_F(fsdax, write_fault_maps_pmd_and_data_persists)
{
	uint8_t *p, *buf;

	p = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->f.fd, 0);
	ASSERT_NE(p, MAP_FAILED) TH_LOG("mmap: %s", strerror(errno));

	fill_pattern(p, FILE_LEN, 3);
	for (size_t off = 0; off < FILE_LEN; off += SZ_2M) {
		int rw = 0;

		EXPECT_EQ(mapped_page_size(p + off, &rw), SZ_2M)
			TH_LOG("offset %zu is not mapped by a PMD", off);
		EXPECT_TRUE(rw);
	}
	ASSERT_EQ(munmap(p, FILE_LEN), 0);

	buf = malloc(FILE_LEN);
	ASSERT_NE(buf, NULL);
	ASSERT_EQ(pread(self->f.fd, buf, FILE_LEN, 0), FILE_LEN);
	EXPECT_EQ(check_pattern(buf, FILE_LEN, 3), -1);
	free(buf);
}

TEST_F(fsdax, misaligned_mapping_falls_back_to_ptes)
{
	uint8_t *area, *p;

	/* file offset 0 at an address 4K past a 2M boundary: no PMD fits */
	area = mmap_aligned(FILE_LEN + SZ_2M, SZ_2M, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(area, MAP_FAILED);
	p = mmap(area + SZ_4K, FILE_LEN, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, self->f.fd, 0);
	ASSERT_NE(p, MAP_FAILED);

	fill_pattern(p, FILE_LEN, 4);
	EXPECT_EQ(mapped_page_size(p + SZ_2M, NULL), SZ_4K);
	EXPECT_EQ(check_pattern(p, FILE_LEN, 4), -1);
	munmap(area, FILE_LEN + SZ_2M);
}

TEST_HARNESS_MAIN

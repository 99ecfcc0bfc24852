// SPDX-License-Identifier: GPL-2.0
/*
 * FS DAX on virtio-pmem (ext4, -o dax=always): files are DAX, PMD and
 * PTE faults store data that read() sees, and MAP_SYNC is refused with
 * EOPNOTSUPP, because the device flushes asynchronously through the
 * host and cannot promise that a store is durable when it retires.
 */
#include "lib/dax_test.h"

#define FILE_LEN	(2 * SZ_2M)

FIXTURE(vpmem) { struct fsdax_file f; };
FIXTURE_SETUP(vpmem)
{
	int rc = fsdax_file_open(&self->f, ENV_VPMEM_DIR, "vpmem", FILE_LEN);

	if (rc > 0)
		SKIP(return, "%s not set", ENV_VPMEM_DIR);
	ASSERT_EQ(rc, 0) TH_LOG("%s: %s", self->f.path, strerror(errno));
}
FIXTURE_TEARDOWN(vpmem) { fsdax_file_close(&self->f); }

TEST_F(vpmem, pmd_fault_and_data_reaches_file)
{
	uint8_t *p, buf[SZ_4K];

	p = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->f.fd, 0);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, FILE_LEN, 181);
	EXPECT_EQ(mapped_page_size(p, NULL), SZ_2M);
	EXPECT_EQ(mapped_page_size(p + SZ_2M, NULL), SZ_2M);
	ASSERT_EQ(pread(self->f.fd, buf, SZ_4K, SZ_2M), SZ_4K);
	EXPECT_EQ(memcmp(buf, p + SZ_2M, SZ_4K), 0);
	ASSERT_EQ(munmap(p, FILE_LEN), 0);
}

TEST_F(vpmem, pte_fault_and_data_reaches_file)
{
	uint8_t *p, buf[SZ_4K];

	p = mmap(NULL, 8 * SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->f.fd, 3 * SZ_4K);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, 8 * SZ_4K, 182);
	ASSERT_EQ(pread(self->f.fd, buf, SZ_4K, 5 * SZ_4K), SZ_4K);
	EXPECT_EQ(memcmp(buf, p + 2 * SZ_4K, SZ_4K), 0);
	ASSERT_EQ(munmap(p, 8 * SZ_4K), 0);
}

TEST_F(vpmem, map_sync_is_refused)
{
	void *p = mmap(NULL, FILE_LEN, PROT_READ | PROT_WRITE,
		       MAP_SHARED_VALIDATE | MAP_SYNC, self->f.fd, 0);

	EXPECT_EQ(p, MAP_FAILED);
	EXPECT_EQ(errno, EOPNOTSUPP);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * MAP_SYNC is accepted for a shared mapping of an FS DAX file on
 * synchronous pmem, and a write fault through it lands in the file. A
 * file that is not DAX (tmpfs) refuses MAP_SYNC with EOPNOTSUPP.
 */
#include "lib/dax_test.h"

#define FILE_LEN	(2 * SZ_2M)

FIXTURE(fsdax) { struct fsdax_file f; };
FSDAX_VARIANTS(fsdax);
FIXTURE_SETUP(fsdax) { FSDAX_SETUP(&self->f, variant, "map_sync", FILE_LEN); }
FIXTURE_TEARDOWN(fsdax) { fsdax_file_close(&self->f); }

TEST_F(fsdax, map_sync_write_fault_reaches_file)
{
	uint8_t *p, buf[SZ_4K];

	p = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE,
			 MAP_SHARED_VALIDATE | MAP_SYNC, self->f.fd, 0);
	ASSERT_NE(p, MAP_FAILED) TH_LOG("MAP_SYNC: %s", strerror(errno));
	fill_pattern(p, FILE_LEN, 13);
	ASSERT_EQ(pread(self->f.fd, buf, SZ_4K, SZ_2M + SZ_4K), SZ_4K);
	EXPECT_EQ(memcmp(buf, p + SZ_2M + SZ_4K, SZ_4K), 0);
	ASSERT_EQ(munmap(p, FILE_LEN), 0);
}

TEST(non_dax_file_refuses_map_sync)
{
	char path[] = "/dev/shm/map_sync.XXXXXX";
	int fd = mkstemp(path);
	void *p;

	ASSERT_GE(fd, 0);
	unlink(path);
	ASSERT_EQ(ftruncate(fd, SZ_4K), 0);
	p = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
		 MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	EXPECT_EQ(p, MAP_FAILED);
	EXPECT_EQ(errno, EOPNOTSUPP);
	close(fd);
}

TEST_HARNESS_MAIN

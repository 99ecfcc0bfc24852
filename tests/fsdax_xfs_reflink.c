// SPDX-License-Identifier: GPL-2.0
/*
 * On xfs with reflink, two files that share extents (FICLONE) map the
 * same persistent memory: both mappings read the same bytes from the
 * same pfn. Writing through one copies the extent first, so the other
 * file keeps its data and the two now map different pfns.
 *
 * Expected difference (tests/README.md): the base kernel maps shared
 * extents by PMDs like any other; the series maps them by PTEs, since
 * the folio of a shared block is made by whichever file maps it first.
 */
#include <linux/fs.h>
#include <sys/ioctl.h>
#include "lib/dax_test.h"

#define FILE_LEN	(2 * SZ_2M)

FIXTURE(reflink) { struct fsdax_file a, b; };
FIXTURE_SETUP(reflink)
{
	int rc = fsdax_file_open(&self->a, ENV_XFS_DIR, "reflink_a", FILE_LEN);

	self->b.fd = -1;
	self->b.path[0] = 0;
	if (rc > 0)
		SKIP(return, "%s not set", ENV_XFS_DIR);
	ASSERT_EQ(rc, 0);
	ASSERT_EQ(fsdax_file_open(&self->b, ENV_XFS_DIR, "reflink_b", 0), 0);
}
FIXTURE_TEARDOWN(reflink)
{
	fsdax_file_close(&self->a);
	fsdax_file_close(&self->b);
}

TEST_F(reflink, shared_extent_then_copy_on_write)
{
	uint8_t *pa, *pb, buf[SZ_4K];
	uint64_t before_a, before_b;

	pa = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->a.fd, 0);
	ASSERT_NE(pa, MAP_FAILED);
	fill_pattern(pa, FILE_LEN, 121);
	ASSERT_EQ(fsync(self->a.fd), 0);

	ASSERT_EQ(ioctl(self->b.fd, FICLONE, self->a.fd), 0)
		TH_LOG("FICLONE: %s", strerror(errno));
	pb = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->b.fd, 0);
	ASSERT_NE(pb, MAP_FAILED);

	EXPECT_EQ(check_pattern(pb, FILE_LEN, 121), -1);
	EXPECT_EQ(check_pattern(pa, FILE_LEN, 121), -1);
	before_a = pagemap_entry(pa + SZ_4K) & PM_PFN_MASK;
	before_b = pagemap_entry(pb + SZ_4K) & PM_PFN_MASK;
	EXPECT_NE(before_a, 0);
	EXPECT_EQ(before_a, before_b) TH_LOG("clone does not share storage");

	memset(pb + SZ_4K, 0xbb, SZ_4K);			/* unshare */
	EXPECT_EQ(pa[SZ_4K], pattern_byte(SZ_4K, 121));
	ASSERT_EQ(pread(self->a.fd, buf, SZ_4K, SZ_4K), SZ_4K);
	EXPECT_EQ(buf[0], pattern_byte(SZ_4K, 121));
	ASSERT_EQ(pread(self->b.fd, buf, SZ_4K, SZ_4K), SZ_4K);
	EXPECT_EQ(buf[0], 0xbb);
	EXPECT_NE(pagemap_entry(pb + SZ_4K) & PM_PFN_MASK,
		  pagemap_entry(pa + SZ_4K) & PM_PFN_MASK);

	ASSERT_EQ(munmap(pb, FILE_LEN), 0);
	ASSERT_EQ(munmap(pa, FILE_LEN), 0);
}

TEST_F(reflink, shared_extent_mapping_size)
{
	int refcounted = dax_pages_refcounted();
	long size_b;
	uint8_t *pa, *pb;

	pa = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->a.fd, 0);
	ASSERT_NE(pa, MAP_FAILED);
	fill_pattern(pa, FILE_LEN, 122);
	ASSERT_EQ(fsync(self->a.fd), 0);
	EXPECT_EQ(mapped_page_size(pa, NULL), SZ_2M);
	ASSERT_EQ(munmap(pa, FILE_LEN), 0);

	ASSERT_EQ(ioctl(self->b.fd, FICLONE, self->a.fd), 0)
		TH_LOG("FICLONE: %s", strerror(errno));
	pb = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ, MAP_SHARED,
			  self->b.fd, 0);
	ASSERT_NE(pb, MAP_FAILED);
	EXPECT_EQ(check_pattern(pb, FILE_LEN, 122), -1);
	size_b = mapped_page_size(pb, NULL);
	TH_LOG("%s kernel: the clone's shared extent is mapped by %ld kB pages",
	       refcounted ? "refcounted-DAX" : "base", size_b >> 10);
	EXPECT_EQ(size_b, refcounted ? SZ_4K : SZ_2M);
	ASSERT_EQ(munmap(pb, FILE_LEN), 0);
}

TEST_HARNESS_MAIN

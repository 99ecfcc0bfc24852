// SPDX-License-Identifier: GPL-2.0
/*
 * On xfs with reflink, two files that share extents (FICLONE) map the
 * same persistent memory: both mappings read the same bytes from the
 * same pfn. Writing through one copies the extent first, so the other
 * file keeps its data and the two now map different pfns.
 *
 * Shared extents are mapped by PMDs where the blocks allow it, on the
 * base kernel and on the series alike: the series makes the folio of a
 * shared block at the size of the first file's entry, and a second file
 * maps that folio at the same size. A copy on write of one page inside a
 * PMD entry replaces the entry with PTE entries without losing data or
 * the page count (an error there is a BUG_ON in clear_inode() at
 * eviction). The base kernel has that bug: the case is skipped there.
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
	EXPECT_EQ(size_b, SZ_2M);
	ASSERT_EQ(munmap(pb, FILE_LEN), 0);
}

/* Both files map the shared extent at once, by PMDs, the same pfns. */
TEST_F(reflink, shared_extent_mapped_by_both)
{
	uint8_t *pa, *pb;

	pa = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->a.fd, 0);
	ASSERT_NE(pa, MAP_FAILED);
	fill_pattern(pa, FILE_LEN, 123);
	ASSERT_EQ(fsync(self->a.fd), 0);
	ASSERT_EQ(ioctl(self->b.fd, FICLONE, self->a.fd), 0);
	EXPECT_EQ(check_pattern(pa, FILE_LEN, 123), -1);	/* refault A */

	pb = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ, MAP_SHARED,
			  self->b.fd, 0);
	ASSERT_NE(pb, MAP_FAILED);
	EXPECT_EQ(check_pattern(pb, FILE_LEN, 123), -1);
	EXPECT_EQ(mapped_page_size(pa, NULL), SZ_2M);
	EXPECT_EQ(mapped_page_size(pb, NULL), SZ_2M);
	EXPECT_EQ(pagemap_entry(pa + SZ_4K) & PM_PFN_MASK,
		  pagemap_entry(pb + SZ_4K) & PM_PFN_MASK);
	ASSERT_EQ(munmap(pb, FILE_LEN), 0);
	ASSERT_EQ(munmap(pa, FILE_LEN), 0);
}

/*
 * A's PMD entry is dirty when the extent becomes shared (dirty entries
 * survive the clone), then one page is written through a PTE: the copy
 * on write moves that page only. Everything reads back after fsync, and
 * both files are evicted (close, unlink) without a page count left over.
 */
TEST_F(reflink, pte_copy_on_write_inside_dirty_pmd_entry)
{
	uint8_t *pa, *pa4k, buf[SZ_4K];
	size_t off = SZ_2M + 5 * SZ_4K;

	if (!dax_base_bugs_fixed())
		SKIP(return, "base kernel: the copy stores a PTE entry over the PMD entry, and eviction hits BUG_ON(nrpages) in clear_inode()");

	pa = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->a.fd, 0);
	ASSERT_NE(pa, MAP_FAILED);
	fill_pattern(pa, FILE_LEN, 124);		/* dirty, no fsync */
	EXPECT_EQ(mapped_page_size(pa + SZ_2M, NULL), SZ_2M);
	ASSERT_EQ(ioctl(self->b.fd, FICLONE, self->a.fd), 0);

	/* a mapping of one page can only be served by a PTE */
	pa4k = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED,
		    self->a.fd, off);
	ASSERT_NE(pa4k, MAP_FAILED);
	memset(pa4k, 0xcd, SZ_4K);
	EXPECT_EQ(mapped_page_size(pa4k, NULL), SZ_4K);
	ASSERT_EQ(fsync(self->a.fd), 0);
	ASSERT_EQ(munmap(pa4k, SZ_4K), 0);

	EXPECT_EQ(pa[off], 0xcd);
	EXPECT_EQ(pa[off - 1], pattern_byte(off - 1, 124));
	EXPECT_EQ(pa[off + SZ_4K], pattern_byte(off + SZ_4K, 124));
	ASSERT_EQ(munmap(pa, FILE_LEN), 0);
	ASSERT_EQ(pread(self->b.fd, buf, SZ_4K, off), SZ_4K);
	EXPECT_EQ(buf[0], pattern_byte(off, 124)) TH_LOG("the clone changed");
	ASSERT_EQ(pread(self->a.fd, buf, SZ_4K, off), SZ_4K);
	EXPECT_EQ(buf[0], 0xcd);
	/* eviction of both: clear_inode() checks the page count */
	fsdax_file_close(&self->a);
	fsdax_file_close(&self->b);
}

TEST_HARNESS_MAIN

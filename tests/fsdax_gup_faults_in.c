// SPDX-License-Identifier: GPL-2.0
/*
 * GUP faults FS DAX pages in, or upgrades them, as the access needs: an
 * O_DIRECT read into an unfaulted, a read-only-faulted or a hole
 * (zero-page) buffer of a shared FS DAX mapping leaves the buffer mapped
 * writable by the file's own pages with the data in the file, an
 * O_DIRECT write from an unfaulted or hole buffer maps it read-only and
 * writes its data, and MADV_POPULATE_READ/WRITE map every page
 * read-only/writable (the write allocating a hole's blocks), each with
 * the counts of one mapping afterwards (ext4 and xfs, PTE-sized).
 *
 * Counts differ by kernel (lib/page_refs.h): one reference and one
 * mapcount per entry on the series, refcount 1 and mapcount 0 on the
 * base kernel. A zero-page entry has no DAX page, so its counts are not
 * read.
 */
#include "lib/dax_test.h"
#include "lib/page_refs.h"

#define LEN	(16 * SZ_4K)	/* too short for a PMD: PTEs only */

FIXTURE(gup) {
	struct fsdax_file f;
	uint8_t *m;
	int blk;		/* DAX_BLOCKDEV, O_DIRECT */
	uint8_t *io;		/* an aligned anonymous buffer */
};
FSDAX_VARIANTS(gup);

FIXTURE_SETUP(gup)
{
	const char *blk = dax_env(ENV_BLOCKDEV);

	self->m = MAP_FAILED;
	self->io = MAP_FAILED;
	self->blk = -1;
	FSDAX_SETUP(&self->f, variant, "gup_faults_in", 0);
	if (access(GUP_TEST_FILE, R_OK | W_OK))
		SKIP(return, "%s: %s (CONFIG_GUP_TEST, debugfs, root)",
		     GUP_TEST_FILE, strerror(errno));
	if (!blk)
		SKIP(return, "%s not set", ENV_BLOCKDEV);
	self->blk = open(blk, O_RDWR | O_DIRECT);
	ASSERT_GE(self->blk, 0) TH_LOG("%s: %s", blk, strerror(errno));
	self->io = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(self->io, MAP_FAILED);
}

FIXTURE_TEARDOWN(gup)
{
	if (self->m != MAP_FAILED)
		munmap(self->m, LEN);
	if (self->io != MAP_FAILED)
		munmap(self->io, LEN);
	if (self->blk >= 0)
		close(self->blk);
	fsdax_file_close(&self->f);
}

/* The file holds data of @seed (written, so no unwritten extents). */
static int file_fill(int fd, uint8_t *tmp, unsigned int seed)
{
	fill_pattern(tmp, LEN, seed);
	return pwrite(fd, tmp, LEN, 0) == LEN ? 0 : -1;
}

/* The file is a hole of LEN bytes: read faults map the zero page. */
static int file_hole(int fd)
{
	return ftruncate(fd, LEN);
}

static uint8_t *map_file(int fd)
{
	return mmap_aligned(LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
}

static void read_touch(uint8_t *p)
{
	for (size_t off = 0; off < LEN; off += SZ_4K)
		(void)((volatile uint8_t *)p)[off];
}

/* 1 when no 4K page of @p is present (nothing mapped yet). */
static int none_present(uint8_t *p)
{
	for (size_t off = 0; off < LEN; off += SZ_4K)
		if (pagemap_entry(p + off) & PM_PRESENT)
			return 0;
	return 1;
}

/* The pfn at @off, or 0 when not present. */
static uint64_t pfn_at(uint8_t *p, size_t off)
{
	uint64_t e = pagemap_entry(p + off);

	return e & PM_PRESENT ? e & PM_PFN_MASK : 0;
}

/*
 * Every page mapped by a PTE with @rw, each at its own pfn (none of
 * them the zero page), with the counts of one mapping.
 */
#define EXPECT_MAPPED(p, want_rw, what) do {					\
	for (size_t __o = 0; __o < LEN; __o += SZ_4K) {				\
		int __rw = -1;							\
									\
		ASSERT_EQ(mapped_page_size((p) + __o, &__rw), (long)SZ_4K)	\
			TH_LOG("%s: offset %#zx not mapped by a PTE", what, __o); \
		EXPECT_EQ(__rw, (want_rw))					\
			TH_LOG("%s: offset %#zx rw=%d, want %d", what, __o,	\
			       __rw, (want_rw));				\
		if (__o) {							\
			EXPECT_NE(pfn_at(p, __o), pfn_at(p, __o - SZ_4K))	\
				TH_LOG("%s: offset %#zx shares a pfn with the page before", \
				       what, __o);				\
		}								\
		EXPECT_PAGE_REFS((p) + __o, fsdax_expected(1), 0, what);	\
	}									\
} while (0)

/* The file's data, read with read(2), has @seed. */
#define EXPECT_FILE_DATA(self, seed, what) do {				\
	ASSERT_EQ(pread((self)->f.fd, (self)->io, LEN, 0), (ssize_t)LEN);	\
	EXPECT_EQ(check_pattern((self)->io, LEN, seed), -1)			\
		TH_LOG("%s: read(2) of the file differs", what);		\
} while (0)

/* Put data of @seed on the block device at 0. */
static int blk_fill(int blk, uint8_t *io, unsigned int seed)
{
	fill_pattern(io, LEN, seed);
	return pwrite(blk, io, LEN, 0) == LEN ? 0 : -1;
}

TEST_F(gup, odirect_read_into_unfaulted_buffer)
{
	ASSERT_EQ(file_fill(self->f.fd, self->io, 1), 0);
	ASSERT_EQ(blk_fill(self->blk, self->io, 2), 0);
	self->m = map_file(self->f.fd);
	ASSERT_NE(self->m, MAP_FAILED);
	ASSERT_TRUE(none_present(self->m));
	ASSERT_EQ(pread(self->blk, self->m, LEN, 0), (ssize_t)LEN)
		TH_LOG("O_DIRECT read into the mapping: %s", strerror(errno));
	EXPECT_MAPPED(self->m, 1, "after O_DIRECT read into unfaulted pages");
	EXPECT_EQ(check_pattern(self->m, LEN, 2), -1);
	EXPECT_FILE_DATA(self, 2, "O_DIRECT read into unfaulted pages");
}

TEST_F(gup, odirect_read_into_read_only_buffer)
{
	uint64_t before[LEN / SZ_4K];

	ASSERT_EQ(file_fill(self->f.fd, self->io, 1), 0);
	ASSERT_EQ(blk_fill(self->blk, self->io, 2), 0);
	self->m = map_file(self->f.fd);
	ASSERT_NE(self->m, MAP_FAILED);
	read_touch(self->m);
	EXPECT_MAPPED(self->m, 0, "read-faulted");
	for (size_t i = 0; i < LEN / SZ_4K; i++)
		before[i] = pfn_at(self->m, i * SZ_4K);
	ASSERT_EQ(pread(self->blk, self->m, LEN, 0), (ssize_t)LEN)
		TH_LOG("O_DIRECT read into the mapping: %s", strerror(errno));
	/* GUP upgraded the read-only entries in place */
	EXPECT_MAPPED(self->m, 1, "after O_DIRECT read into read-only pages");
	for (size_t i = 0; i < LEN / SZ_4K; i++) {
		EXPECT_EQ(pfn_at(self->m, i * SZ_4K), before[i])
			TH_LOG("page %zu moved", i);
	}
	EXPECT_EQ(check_pattern(self->m, LEN, 2), -1);
	EXPECT_FILE_DATA(self, 2, "O_DIRECT read into read-only pages");
}

TEST_F(gup, odirect_read_into_hole_buffer)
{
	uint64_t zero;
	struct stat st;

	ASSERT_EQ(file_hole(self->f.fd), 0);
	ASSERT_EQ(blk_fill(self->blk, self->io, 2), 0);
	self->m = map_file(self->f.fd);
	ASSERT_NE(self->m, MAP_FAILED);
	read_touch(self->m);
	zero = pfn_at(self->m, 0);
	ASSERT_NE(zero, 0);
	for (size_t off = 0; off < LEN; off += SZ_4K) {
		int rw = -1;

		ASSERT_EQ(mapped_page_size(self->m + off, &rw), (long)SZ_4K);
		EXPECT_EQ(rw, 0);
		EXPECT_EQ(pfn_at(self->m, off), zero)
			TH_LOG("offset %#zx of the hole is not the zero page", off);
	}
	ASSERT_EQ(pread(self->blk, self->m, LEN, 0), (ssize_t)LEN)
		TH_LOG("O_DIRECT read into the hole: %s", strerror(errno));
	EXPECT_MAPPED(self->m, 1, "after O_DIRECT read into the hole");
	for (size_t off = 0; off < LEN; off += SZ_4K) {
		EXPECT_NE(pfn_at(self->m, off), zero)
			TH_LOG("offset %#zx is still the zero page", off);
	}
	EXPECT_EQ(check_pattern(self->m, LEN, 2), -1);
	EXPECT_FILE_DATA(self, 2, "O_DIRECT read into the hole");
	ASSERT_EQ(fstat(self->f.fd, &st), 0);
	EXPECT_GE(st.st_blocks * 512, (long)LEN) TH_LOG("the hole has no blocks");
}

TEST_F(gup, odirect_write_from_unfaulted_buffer)
{
	ASSERT_EQ(file_fill(self->f.fd, self->io, 3), 0);
	self->m = map_file(self->f.fd);
	ASSERT_NE(self->m, MAP_FAILED);
	ASSERT_TRUE(none_present(self->m));
	ASSERT_EQ(pwrite(self->blk, self->m, LEN, 0), (ssize_t)LEN)
		TH_LOG("O_DIRECT write from the mapping: %s", strerror(errno));
	/* a read GUP maps the pages read-only */
	EXPECT_MAPPED(self->m, 0, "after O_DIRECT write from unfaulted pages");
	memset(self->io, 0, LEN);
	ASSERT_EQ(pread(self->blk, self->io, LEN, 0), (ssize_t)LEN);
	EXPECT_EQ(check_pattern(self->io, LEN, 3), -1)
		TH_LOG("the block device did not get the file's data");
}

TEST_F(gup, odirect_write_from_hole_buffer)
{
	ASSERT_EQ(file_hole(self->f.fd), 0);
	ASSERT_EQ(blk_fill(self->blk, self->io, 4), 0);
	self->m = map_file(self->f.fd);
	ASSERT_NE(self->m, MAP_FAILED);
	ASSERT_TRUE(none_present(self->m));
	ASSERT_EQ(pwrite(self->blk, self->m, LEN, 0), (ssize_t)LEN)
		TH_LOG("O_DIRECT write from the hole: %s", strerror(errno));
	/* the hole is mapped read-only by the zero page, counts untouched */
	for (size_t off = 0; off < LEN; off += SZ_4K) {
		int rw = -1;

		ASSERT_EQ(mapped_page_size(self->m + off, &rw), (long)SZ_4K);
		EXPECT_EQ(rw, 0);
		EXPECT_EQ(pfn_at(self->m, off), pfn_at(self->m, 0));
	}
	ASSERT_EQ(pread(self->blk, self->io, LEN, 0), (ssize_t)LEN);
	EXPECT_TRUE(is_zero(self->io, LEN))
		TH_LOG("the block device did not get the hole's zeroes");
}

TEST_F(gup, madv_populate_read)
{
	ASSERT_EQ(file_fill(self->f.fd, self->io, 5), 0);
	self->m = map_file(self->f.fd);
	ASSERT_NE(self->m, MAP_FAILED);
	ASSERT_TRUE(none_present(self->m));
	ASSERT_EQ(madvise(self->m, LEN, MADV_POPULATE_READ), 0)
		TH_LOG("MADV_POPULATE_READ: %s", strerror(errno));
	EXPECT_MAPPED(self->m, 0, "after MADV_POPULATE_READ");
	EXPECT_EQ(check_pattern(self->m, LEN, 5), -1);
	/* a second populate on present pages changes nothing */
	ASSERT_EQ(madvise(self->m, LEN, MADV_POPULATE_READ), 0);
	EXPECT_MAPPED(self->m, 0, "after a second MADV_POPULATE_READ");
}

TEST_F(gup, madv_populate_write)
{
	ASSERT_EQ(file_fill(self->f.fd, self->io, 6), 0);
	self->m = map_file(self->f.fd);
	ASSERT_NE(self->m, MAP_FAILED);
	read_touch(self->m);
	EXPECT_MAPPED(self->m, 0, "read-faulted");
	ASSERT_EQ(madvise(self->m, LEN, MADV_POPULATE_WRITE), 0)
		TH_LOG("MADV_POPULATE_WRITE: %s", strerror(errno));
	EXPECT_MAPPED(self->m, 1, "after MADV_POPULATE_WRITE on read-only pages");
	EXPECT_EQ(check_pattern(self->m, LEN, 6), -1);
	ASSERT_EQ(madvise(self->m, LEN, MADV_POPULATE_WRITE), 0);
	EXPECT_MAPPED(self->m, 1, "after a second MADV_POPULATE_WRITE");
	EXPECT_FILE_DATA(self, 6, "MADV_POPULATE_WRITE");
}

TEST_F(gup, madv_populate_write_fills_a_hole)
{
	struct stat st;

	ASSERT_EQ(file_hole(self->f.fd), 0);
	self->m = map_file(self->f.fd);
	ASSERT_NE(self->m, MAP_FAILED);
	ASSERT_EQ(madvise(self->m, LEN, MADV_POPULATE_WRITE), 0)
		TH_LOG("MADV_POPULATE_WRITE: %s", strerror(errno));
	EXPECT_MAPPED(self->m, 1, "after MADV_POPULATE_WRITE on a hole");
	EXPECT_TRUE(is_zero(self->m, LEN));
	ASSERT_EQ(fstat(self->f.fd, &st), 0);
	EXPECT_GE(st.st_blocks * 512, (long)LEN) TH_LOG("the hole has no blocks");
	fill_pattern(self->m, LEN, 7);
	EXPECT_MAPPED(self->m, 1, "written after populating");
	EXPECT_FILE_DATA(self, 7, "written after MADV_POPULATE_WRITE");
}

TEST_HARNESS_MAIN

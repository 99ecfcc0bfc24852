// SPDX-License-Identifier: GPL-2.0
/*
 * mprotect(), MADV_DONTNEED and mremap() of 4K inside a PMD-mapped FS
 * DAX range (ext4, xfs) act on that 4K alone: the PMD gives way, the
 * page gets the new protection, is dropped or moves, every other byte
 * keeps its data, the neighbouring PMD stays a PMD; an mremap() of a
 * whole PMD moves it as one PMD; and afterwards a fresh mapping of the
 * file counts exactly one mapping per page (no reference left behind or
 * lost; lib/page_refs.h).
 */
#include "lib/dax_test.h"
#include "lib/page_refs.h"

#define FILE_LEN	(2 * SZ_2M)
#define SEED		51
#define IN_PMD		(3 * SZ_4K)	/* the 4K inside the first PMD */

/* Write-fault @p, storing the byte already there. */
static void touch(uint8_t *p)
{
	volatile uint8_t *v = p;

	*v = *v;
}

FIXTURE(pmd) {
	struct fsdax_file f;
	uint8_t *m;
};
FSDAX_VARIANTS(pmd);

FIXTURE_SETUP(pmd)
{
	uint8_t *buf;

	self->m = MAP_FAILED;
	FSDAX_SETUP(&self->f, variant, "remap_inside_pmd", FILE_LEN);
	if (access(GUP_TEST_FILE, R_OK | W_OK))
		SKIP(return, "%s: %s (CONFIG_GUP_TEST, debugfs, root)",
		     GUP_TEST_FILE, strerror(errno));
	buf = malloc(FILE_LEN);
	ASSERT_NE(buf, NULL);
	fill_pattern(buf, FILE_LEN, SEED);
	ASSERT_EQ(pwrite(self->f.fd, buf, FILE_LEN, 0), FILE_LEN);
	free(buf);
	self->m = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE,
			       MAP_SHARED, self->f.fd, 0);
	ASSERT_NE(self->m, MAP_FAILED);
	for (size_t off = 0; off < FILE_LEN; off += SZ_2M) {
		int rw = -1;

		touch(self->m + off);
		ASSERT_EQ(mapped_page_size(self->m + off, &rw), (long)SZ_2M)
			TH_LOG("offset %#zx is not mapped by a PMD", off);
		ASSERT_EQ(rw, 1);
	}
}

FIXTURE_TEARDOWN(pmd)
{
	if (self->m != MAP_FAILED)
		munmap(self->m, FILE_LEN);
	fsdax_file_close(&self->f);
}

/* The 4K at file offset @off, seen at @p, has the file's pattern. */
static int page_has_pattern(const uint8_t *p, size_t off)
{
	for (size_t b = 0; b < SZ_4K; b++)
		if (p[b] != pattern_byte(off + b, SEED))
			return 0;
	return 1;
}

/* Bytes [from, to) of the file, through @m, have the pattern. */
static int range_has_pattern(const uint8_t *m, size_t from, size_t to)
{
	for (size_t off = from; off < to; off += SZ_4K)
		if (!page_has_pattern(m + off, off))
			return 0;
	return 1;
}

/*
 * Unmapped entirely, the file maps afresh with one mapping per page:
 * the operations left no reference behind and took none away.
 */
static void expect_fresh_mapping_counts_one(struct __test_metadata *_metadata,
					    int fd)
{
	uint8_t *m = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE,
				  MAP_SHARED, fd, 0);

	ASSERT_NE(m, MAP_FAILED);
	for (size_t off = 0; off < FILE_LEN; off += SZ_2M) {
		touch(m + off);
		touch(m + off + IN_PMD);
		EXPECT_PAGE_REFS(m + off, fsdax_expected(1),
				 mapped_page_size(m + off, NULL) == (long)SZ_2M,
				 "a fresh mapping afterwards");
		EXPECT_PAGE_REFS(m + off + IN_PMD, fsdax_expected(1),
				 mapped_page_size(m + off + IN_PMD, NULL) == (long)SZ_2M,
				 "a fresh mapping afterwards (inside)");
	}
	munmap(m, FILE_LEN);
}

#define EXPECT_SECOND_PMD_KEPT(self) do {					\
	EXPECT_EQ(mapped_page_size((self)->m + SZ_2M, NULL), (long)SZ_2M)	\
		TH_LOG("the neighbouring PMD did not stay");			\
	EXPECT_PAGE_REFS((self)->m + SZ_2M, fsdax_expected(1), 1,		\
			 "the neighbouring PMD");				\
} while (0)

TEST_F(pmd, mprotect_4k_inside_pmd)
{
	uint8_t *p = self->m + IN_PMD;
	int rw = -1;

	ASSERT_EQ(mprotect(p, SZ_4K, PROT_READ), 0);
	EXPECT_NE(mapped_page_size(p, NULL), (long)SZ_2M)
		TH_LOG("mprotect of 4K left the PMD in place");
	EXPECT_EQ(probe_access(p, 1), SIGSEGV);
	EXPECT_EQ(probe_access(p, 0), 0);
	EXPECT_EQ(mapped_page_size(p, &rw), (long)SZ_4K);
	EXPECT_EQ(rw, 0);
	EXPECT_EQ(probe_access(p + SZ_4K, 1), 0);
	EXPECT_EQ(probe_access(p - SZ_4K, 1), 0);
	EXPECT_EQ(mapped_page_size(p + SZ_4K, &rw), (long)SZ_4K);
	EXPECT_EQ(rw, 1);
	EXPECT_SECOND_PMD_KEPT(self);
	EXPECT_TRUE(range_has_pattern(self->m, 0, FILE_LEN));
	ASSERT_EQ(mprotect(p, SZ_4K, PROT_READ | PROT_WRITE), 0);
	EXPECT_EQ(probe_access(p, 1), 0);
	ASSERT_EQ(munmap(self->m, FILE_LEN), 0);
	self->m = MAP_FAILED;
	expect_fresh_mapping_counts_one(_metadata, self->f.fd);
}

TEST_F(pmd, madv_dontneed_4k_inside_pmd)
{
	uint8_t *p = self->m + IN_PMD;

	ASSERT_EQ(madvise(p, SZ_4K, MADV_DONTNEED), 0);
	EXPECT_EQ(mapped_page_size(p, NULL), 0)
		TH_LOG("MADV_DONTNEED of 4K left an entry there");
	EXPECT_NE(mapped_page_size(self->m, NULL), (long)SZ_2M)
		TH_LOG("MADV_DONTNEED of 4K left the PMD in place");
	EXPECT_SECOND_PMD_KEPT(self);
	/* a shared file mapping loses no data: it refaults */
	EXPECT_TRUE(range_has_pattern(self->m, 0, FILE_LEN));
	EXPECT_NE(mapped_page_size(p, NULL), 0);
	ASSERT_EQ(munmap(self->m, FILE_LEN), 0);
	self->m = MAP_FAILED;
	expect_fresh_mapping_counts_one(_metadata, self->f.fd);
}

TEST_F(pmd, mremap_4k_out_of_pmd)
{
	uint8_t *p = self->m + IN_PMD, *target, *q, buf[SZ_4K];

	target = mmap(NULL, SZ_4K, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(target, MAP_FAILED);
	q = mremap(p, SZ_4K, SZ_4K, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	ASSERT_EQ(q, target) TH_LOG("mremap: %s", strerror(errno));
	EXPECT_EQ(probe_access(p, 0), SIGSEGV) TH_LOG("the old 4K is still mapped");
	EXPECT_TRUE(page_has_pattern(q, IN_PMD));
	EXPECT_TRUE(range_has_pattern(self->m, 0, IN_PMD));
	EXPECT_TRUE(range_has_pattern(self->m, IN_PMD + SZ_4K, FILE_LEN));
	EXPECT_SECOND_PMD_KEPT(self);
	memset(q, 0x5a, SZ_4K);		/* still the file's page */
	ASSERT_EQ(pread(self->f.fd, buf, SZ_4K, IN_PMD), SZ_4K);
	EXPECT_EQ(buf[0], 0x5a);
	EXPECT_EQ(buf[SZ_4K - 1], 0x5a);
	ASSERT_EQ(munmap(q, SZ_4K), 0);
	ASSERT_EQ(munmap(self->m, FILE_LEN), 0);
	self->m = MAP_FAILED;
	expect_fresh_mapping_counts_one(_metadata, self->f.fd);
}

TEST_F(pmd, mremap_whole_pmd)
{
	uint8_t *target, *q;
	int rw = -1;

	target = mmap_aligned(SZ_2M, SZ_2M, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(target, MAP_FAILED);
	q = mremap(self->m + SZ_2M, SZ_2M, SZ_2M, MREMAP_MAYMOVE | MREMAP_FIXED,
		   target);
	ASSERT_EQ(q, target) TH_LOG("mremap: %s", strerror(errno));
	/* moved as one PMD, not refaulted: present before any access */
	EXPECT_EQ(mapped_page_size(q, &rw), (long)SZ_2M)
		TH_LOG("the PMD did not move whole");
	EXPECT_EQ(rw, 1);
	EXPECT_PAGE_REFS(q, fsdax_expected(1), 1, "the moved PMD");
	EXPECT_EQ(probe_access(self->m + SZ_2M, 0), SIGSEGV);
	EXPECT_EQ(mapped_page_size(self->m, NULL), (long)SZ_2M)
		TH_LOG("the PMD that stayed did not stay a PMD");
	EXPECT_TRUE(range_has_pattern(self->m, 0, SZ_2M));
	for (size_t off = 0; off < SZ_2M; off += SZ_4K) {
		EXPECT_TRUE(page_has_pattern(q + off, SZ_2M + off))
			TH_LOG("moved page at %#zx differs", off);
	}
	ASSERT_EQ(munmap(q, SZ_2M), 0);
	ASSERT_EQ(munmap(self->m, SZ_2M), 0);
	self->m = MAP_FAILED;
	expect_fresh_mapping_counts_one(_metadata, self->f.fd);
}

TEST_HARNESS_MAIN

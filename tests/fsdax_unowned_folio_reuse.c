// SPDX-License-Identifier: GPL-2.0
/*
 * Blocks whose PMD-sized folio lost its file keep the folio whole for
 * their next owner (the series), and every later mapping of those blocks
 * still holds exactly one reference and one mapcount:
 *  - a PMD fault takes the folio whole: the same pfn, order 9, one
 *    entire mapping; a second mapping counts two; a munmap that ends
 *    inside the folio leaves a PTE mapping of part of it with its own
 *    reference and mapcount;
 *  - a PTE fault splits it first: each page mapped is an order-0 folio
 *    with one reference and one mapcount, and a PMD mapping of the same
 *    range then maps by PTEs, with two mappings each;
 *  - once those order-0 pages lose their file too, a PMD fault makes them
 *    one folio again (checked and built in one pass): the same pfn,
 *    order 9, one reference and one entire mapping.
 *
 * The folio loses its owner by FALLOC_FL_ZERO_RANGE, which deletes the
 * DAX entries of the range and keeps its blocks where they are (as
 * unwritten extents), so the next fault finds the same pfns. Only ext4
 * does that; xfs frees and allocates the range again.
 *
 * Expected difference: the base kernel maps FS DAX by devmap entries,
 * order 0 (refcount 1, mapcount 0, lib/page_refs.h); both kernels map
 * the same pfns and read the range back as zeros.
 */
#include "lib/page_refs.h"

#define FILE_LEN	(2 * SZ_2M)
#define TOUCHED		(SZ_2M / 2)

FIXTURE(reuse) { struct fsdax_file f; };
FIXTURE_VARIANT(reuse) { const char *env; };
FIXTURE_VARIANT_ADD(reuse, ext4) { .env = ENV_EXT4_DIR };

FIXTURE_SETUP(reuse)
{
	if (getuid())
		SKIP(return, "pfns in /proc/self/pagemap need root");
	if (access(GUP_TEST_FILE, R_OK | W_OK))
		SKIP(return, "%s: %s (CONFIG_GUP_TEST, debugfs, root)",
		     GUP_TEST_FILE, strerror(errno));
	FSDAX_SETUP(&self->f, variant, "unowned_reuse", FILE_LEN);
}

FIXTURE_TEARDOWN(reuse) { fsdax_file_close(&self->f); }

static unsigned long pfn_of(void *addr)
{
	uint64_t e = pagemap_entry(addr);

	return e & PM_PRESENT ? e & PM_PFN_MASK : 0;
}

/* The folio order a PMD-mapped FS DAX page shows on this kernel. */
static int pmd_folio_order(void)
{
	return dax_pages_refcounted() ? 9 : 0;
}

/* A shared mapping of the whole file at a 2M boundary, first 2M written. */
static uint8_t *map_pmd_written(int fd, uint8_t byte)
{
	uint8_t *p = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE,
				  MAP_SHARED, fd, 0);

	if (p != MAP_FAILED)
		memset(p, byte, SZ_2M);
	return p;
}

#define EXPECT_ORDER(addr, want, what) do {					\
	struct page_refs __r;							\
										\
	ASSERT_EQ(page_refs_read(addr, &__r), 0) TH_LOG("%s", what);		\
	EXPECT_EQ(__r.order, (want)) TH_LOG("%s: order %d, want %d (%s)",	\
					    what, __r.order, (want),		\
					    dax_model_name());			\
} while (0)

/*
 * Map the first 2M by a PMD and write it, note its pfn, unmap it and
 * zero the range: the entry goes, the folio is left with no owner.
 */
static unsigned long orphan_first_pmd(struct __test_metadata *_metadata,
				      int fd)
{
	uint8_t *p = map_pmd_written(fd, 0x5a);
	unsigned long pfn;

	if (p == MAP_FAILED) {
		ksft_print_msg("mmap: %s\n", strerror(errno));
		return 0;
	}
	if (mapped_page_size(p, NULL) != SZ_2M) {
		ksft_print_msg("the first fault did not map a PMD\n");
		munmap(p, FILE_LEN);
		return 0;
	}
	pfn = pfn_of(p);
	EXPECT_PAGE_REFS(p, fsdax_expected(1), 1, "first PMD mapping");
	EXPECT_ORDER(p, pmd_folio_order(), "first PMD mapping");
	munmap(p, FILE_LEN);
	if (fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0,
		      SZ_2M)) {
		ksft_print_msg("FALLOC_FL_ZERO_RANGE: %s\n", strerror(errno));
		return 0;
	}
	return pfn;
}

/*
 * The first 2M of @fd, 4K past a 2M boundary: no PMD fits, every fault
 * maps a PTE. *@area is what to unmap (FILE_LEN + SZ_2M) afterwards.
 */
static uint8_t *map_first_2m_by_ptes(int fd, uint8_t **area)
{
	*area = mmap_aligned(FILE_LEN + SZ_2M, SZ_2M, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*area == MAP_FAILED)
		return MAP_FAILED;
	return mmap(*area + SZ_4K, SZ_2M, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, fd, 0);
}

TEST_F(reuse, pmd_fault_takes_the_folio_whole)
{
	unsigned long pfn = orphan_first_pmd(_metadata, self->f.fd);
	uint8_t *p, *q;

	ASSERT_NE(pfn, 0);
	p = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->f.fd, 0);
	ASSERT_NE(p, MAP_FAILED);
	p[0] = 1;
	ASSERT_EQ(mapped_page_size(p, NULL), SZ_2M);
	EXPECT_EQ(pfn_of(p), pfn) TH_LOG("the blocks moved: pfn %#lx, was %#lx",
					 pfn_of(p), pfn);
	EXPECT_TRUE(is_zero(p + 1, SZ_2M - 1)) TH_LOG("old data after ZERO_RANGE");
	EXPECT_PAGE_REFS(p, fsdax_expected(1), 1, "PMD fault on the orphan");
	EXPECT_ORDER(p, pmd_folio_order(), "PMD fault on the orphan");
	EXPECT_PAGE_REFS(p + SZ_2M - SZ_4K, fsdax_expected(1), 1, "its last page");

	q = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->f.fd, 0);
	ASSERT_NE(q, MAP_FAILED);
	q[SZ_4K] = 2;
	EXPECT_PAGE_REFS(p, fsdax_expected(2), 1, "a second PMD mapping");

	/* a munmap that ends inside the folio: q keeps its second half */
	ASSERT_EQ(munmap(q, TOUCHED), 0);
	EXPECT_PAGE_REFS(p, fsdax_expected(1), 1, "second mapping cut");
	EXPECT_EQ(q[TOUCHED], 0);
	EXPECT_LT(mapped_page_size(q + TOUCHED, NULL), SZ_2M);
	EXPECT_PAGE_REFS(q + TOUCHED, fsdax_expected(2), 0,
			 "a PTE of the cut mapping and the PMD");
	EXPECT_ORDER(q + TOUCHED, pmd_folio_order(), "a page of the cut mapping");
	munmap(q + TOUCHED, FILE_LEN - TOUCHED);
	EXPECT_PAGE_REFS(p, fsdax_expected(1), 1, "cut mapping gone");
	munmap(p, FILE_LEN);
	EXPECT_EQ(ftruncate(self->f.fd, 0), 0);
}

TEST_F(reuse, pte_fault_splits_the_folio)
{
	static const size_t pages[] = { 0, 1, 2, 255, 511 };
	unsigned long pfn = orphan_first_pmd(_metadata, self->f.fd);
	uint8_t *area, *p, *q;
	char what[64];

	ASSERT_NE(pfn, 0);
	p = map_first_2m_by_ptes(self->f.fd, &area);
	ASSERT_NE(p, MAP_FAILED);
	for (size_t i = 0; i < ARRAY_SIZE(pages); i++)
		p[pages[i] * SZ_4K] = 1;
	for (size_t i = 0; i < ARRAY_SIZE(pages); i++) {
		uint8_t *page = p + pages[i] * SZ_4K;

		snprintf(what, sizeof(what), "PTE fault on page %zu", pages[i]);
		ASSERT_EQ(mapped_page_size(page, NULL), SZ_4K) TH_LOG("%s", what);
		EXPECT_EQ(pfn_of(page), pfn + pages[i]) TH_LOG("%s", what);
		EXPECT_PAGE_REFS(page, fsdax_expected(1), 0, what);
		EXPECT_ORDER(page, 0, what);
	}
	EXPECT_TRUE(is_zero(p + 3 * SZ_4K, SZ_4K)) TH_LOG("old data after ZERO_RANGE");

	/* the range holds PTE entries now: an aligned mapping maps PTEs too */
	q = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->f.fd, 0);
	ASSERT_NE(q, MAP_FAILED);
	q[0] = 2;
	EXPECT_EQ(mapped_page_size(q, NULL), SZ_4K);
	EXPECT_PAGE_REFS(p, fsdax_expected(2), 0, "page 0, mapped twice");
	EXPECT_PAGE_REFS(p + SZ_4K, fsdax_expected(1), 0, "page 1, mapped once");
	munmap(q, FILE_LEN);
	EXPECT_PAGE_REFS(p, fsdax_expected(1), 0, "page 0, second mapping gone");
	munmap(area, FILE_LEN + SZ_2M);
	EXPECT_EQ(ftruncate(self->f.fd, 0), 0);
}

TEST_F(reuse, pmd_fault_joins_pages_that_ptes_split)
{
	static const size_t pages[] = { 0, 1, 255, 511 };
	unsigned long pfn = orphan_first_pmd(_metadata, self->f.fd);
	uint8_t *area, *p;
	char what[64];

	ASSERT_NE(pfn, 0);
	/* split the orphan by PTE faults, as pte_fault_splits_the_folio */
	p = map_first_2m_by_ptes(self->f.fd, &area);
	ASSERT_NE(p, MAP_FAILED);
	for (size_t i = 0; i < ARRAY_SIZE(pages); i++) {
		p[pages[i] * SZ_4K] = 3;
		snprintf(what, sizeof(what), "PTE fault on page %zu", pages[i]);
		EXPECT_ORDER(p + pages[i] * SZ_4K, 0, what);
	}
	munmap(area, FILE_LEN + SZ_2M);
	/* the order-0 pages lose their file as the folio did */
	ASSERT_EQ(fallocate(self->f.fd, FALLOC_FL_ZERO_RANGE |
			    FALLOC_FL_KEEP_SIZE, 0, SZ_2M), 0);

	p = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->f.fd, 0);
	ASSERT_NE(p, MAP_FAILED);
	p[SZ_4K] = 4;
	ASSERT_EQ(mapped_page_size(p, NULL), SZ_2M);
	EXPECT_EQ(pfn_of(p), pfn) TH_LOG("the blocks moved: pfn %#lx, was %#lx",
					 pfn_of(p), pfn);
	EXPECT_TRUE(is_zero(p, SZ_4K)) TH_LOG("old data after ZERO_RANGE");
	EXPECT_TRUE(is_zero(p + SZ_4K + 1, SZ_2M - SZ_4K - 1))
		TH_LOG("old data after ZERO_RANGE");
	for (size_t i = 0; i < ARRAY_SIZE(pages); i++) {
		snprintf(what, sizeof(what), "PMD fault, page %zu", pages[i]);
		EXPECT_PAGE_REFS(p + pages[i] * SZ_4K, fsdax_expected(1), 1,
				 what);
		EXPECT_ORDER(p + pages[i] * SZ_4K, pmd_folio_order(), what);
	}
	munmap(p, FILE_LEN);
	EXPECT_EQ(ftruncate(self->f.fd, 0), 0);
}

TEST_HARNESS_MAIN

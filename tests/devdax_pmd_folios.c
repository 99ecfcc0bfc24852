// SPDX-License-Identifier: GPL-2.0
/*
 * A 4K-aligned device-DAX device keeps its pages in PMD-order folios on
 * the series (PGMAP_PMD_FOLIOS): one folio on every PMD-aligned 2 MiB
 * stretch that one of the device's ranges holds whole, order 0 at
 * unaligned ends. Faults still map 4K pages with PTEs, each with one
 * reference on the folio and one mapcount on the page, and unmapping
 * drops a run of PTEs of one folio at once (folio_pte_batch()).
 *
 * These cases check the layout and the exact counts on that batched
 * path: a munmap inside the folio, one that ends inside it,
 * MADV_DONTNEED and refault, a child's own mappings and its exit. The
 * base kernel has order-0 pages and legacy counts (refcount 1,
 * mapcount 0), and passes with those.
 */
#include "lib/dax_test.h"
#include "lib/page_refs.h"
#include "lib/refs_round_trips.h"

#define STRETCH_PAGES	(SZ_2M / SZ_4K)

FIXTURE(devdax) {
	struct devdax dax;
	off_t off;		/* device offset of a PMD stretch it holds */
	unsigned long pfn;	/* the stretch's first page */
};

/* The physical page at device offset @off, faulted in through @whole. */
static int pfn_at(uint8_t *whole, off_t off, unsigned long *pfn)
{
	struct page_refs r;
	int rc = page_refs_read(whole + off, &r);

	*pfn = r.pfn;
	return rc;
}

FIXTURE_SETUP(devdax)
{
	uint8_t *whole;
	unsigned long first;
	int rc;

	rc = devdax_open(&self->dax, ENV_DEVDAX_4K, SZ_4K);
	if (rc > 0)
		SKIP(return, "%s not set", ENV_DEVDAX_4K);
	ASSERT_EQ(rc, 0) TH_LOG("%s: %s", self->dax.path, strerror(errno));
	if (access(GUP_TEST_FILE, R_OK | W_OK))
		SKIP(return, "%s: %s (CONFIG_GUP_TEST, debugfs, root)",
		     GUP_TEST_FILE, strerror(errno));
	if (self->dax.size < 2 * SZ_2M)
		SKIP(return, "%s is smaller than two PMD stretches", self->dax.path);

	/* The first PMD-aligned stretch, by the physical page at offset 0. */
	whole = devdax_map(&self->dax, self->dax.size, PROT_READ | PROT_WRITE);
	ASSERT_NE(whole, MAP_FAILED);
	ASSERT_EQ(pfn_at(whole, 0, &first), 0);
	self->off = (off_t)((STRETCH_PAGES - first % STRETCH_PAGES) %
			    STRETCH_PAGES) * SZ_4K;
	ASSERT_EQ(pfn_at(whole, self->off, &self->pfn), 0);
	ASSERT_EQ(munmap(whole, self->dax.size), 0);
	if (self->pfn % STRETCH_PAGES || !devdax_holds_pmd_stretch(&self->dax, self->pfn))
		SKIP(return, "no PMD stretch of %s starts at offset %#lx (pfn %#lx)",
		     self->dax.path, (unsigned long)self->off, self->pfn);
}

FIXTURE_TEARDOWN(devdax)
{
	devdax_close(&self->dax);
}

/* What a folio of this stretch holds with @maps of its pages mapped. */
static struct dax_expect stretch_expected(int maps)
{
	if (dax_pages_refcounted())
		return (struct dax_expect){ 1 + maps, maps };
	return (struct dax_expect){ 1, 0 };
}

/*
 * The page at @p, page @index of the stretch, is itself mapped once and
 * its folio @maps times in all.
 */
static void expect_stretch_page(struct __test_metadata *_metadata,
				const FIXTURE_DATA(devdax) *self, uint8_t *p,
				int index, int maps, const char *what)
{
	struct dax_expect e = stretch_expected(maps);
	int order = devdax_4k_folio_order(&self->dax, self->pfn);
	struct page_refs r;
	int rc = page_refs_read(p, &r);

	ASSERT_EQ(rc, 0) TH_LOG("%s: reading the counts: %s", what, strerror(-rc));
	EXPECT_EQ(r.pfn, self->pfn + index) TH_LOG("%s: page %d", what, index);
	EXPECT_EQ(r.order, order) TH_LOG("%s: page %d, order %d, want %d (%s kernel)",
					 what, index, r.order, order, dax_model_name());
	EXPECT_EQ(r.refcount, e.refcount)
		TH_LOG("%s: page %d, refcount %d, want %d (%s kernel)", what,
		       index, r.refcount, e.refcount, dax_model_name());
	EXPECT_EQ(r.mapcount, e.maps ? 1 : 0)
		TH_LOG("%s: page %d, own mapcount %d", what, index, r.mapcount);
	EXPECT_EQ(page_refs_maps(&r), order ? e.maps : (e.maps ? 1 : 0))
		TH_LOG("%s: page %d, folio mapcount %d, want %d", what, index,
		       page_refs_maps(&r), e.maps);
	EXPECT_EQ(r.entire_mapcount, 0);
	EXPECT_EQ(r.pincount, 0);
}

/* How many pages of the folio are mapped: on order 0, only the page. */
static int folio_maps(const FIXTURE_DATA(devdax) *self, int mapped)
{
	return devdax_4k_folio_order(&self->dax, self->pfn) ? mapped : 1;
}

static uint8_t *map_stretch(const FIXTURE_DATA(devdax) *self)
{
	return mmap_aligned(SZ_2M, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			    self->dax.fd, self->off);
}

TEST_F(devdax, layout_follows_pmd_stretches)
{
	uint8_t *whole = devdax_map(&self->dax, self->dax.size, PROT_READ);
	off_t last = (off_t)self->dax.size - SZ_4K;
	off_t probes[] = { 0, SZ_4K, self->off ? self->off - SZ_4K : 0,
			   self->off, self->off + SZ_2M - SZ_4K, last };

	ASSERT_NE(whole, MAP_FAILED);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct page_refs r;

		ASSERT_EQ(page_refs_read(whole + probes[i], &r), 0);
		EXPECT_EQ(r.order, devdax_4k_folio_order(&self->dax, r.pfn))
			TH_LOG("offset %#lx, pfn %#lx: order %d (%s kernel)",
			       (unsigned long)probes[i], r.pfn, r.order,
			       dax_model_name());
	}
	ASSERT_EQ(munmap(whole, self->dax.size), 0);
}

TEST_F(devdax, batched_unmaps_keep_exact_counts)
{
	struct rmap_counts before, now;
	uint8_t *m, *q;
	int status;
	pid_t pid;

	rmap_quiesce();
	ASSERT_EQ(rmap_snapshot(&before), 0);
	m = map_stretch(self);
	ASSERT_NE(m, MAP_FAILED);
	touch_units(m, SZ_2M, SZ_4K);
	expect_stretch_page(_metadata, self, m, 0, folio_maps(self, 512), "all 512 mapped");
	expect_stretch_page(_metadata, self, m + SZ_4K, 1, folio_maps(self, 512), "all 512 mapped");
	expect_stretch_page(_metadata, self, m + 511 * SZ_4K, 511, folio_maps(self, 512),
			    "all 512 mapped");
	ASSERT_EQ(rmap_snapshot(&now), 0);
	EXPECT_RMAP_DELTA(before, now, rmap_expected_rise(SZ_2M, SZ_4K), "all mapped");

	/* a run in the middle of the folio */
	ASSERT_EQ(munmap(m + 100 * SZ_4K, 200 * SZ_4K), 0);
	EXPECT_EQ(mapped_page_size(m + 99 * SZ_4K, NULL), (long)SZ_4K);
	EXPECT_EQ(mapped_page_size(m + 300 * SZ_4K, NULL), (long)SZ_4K);
	expect_stretch_page(_metadata, self, m + 511 * SZ_4K, 511, folio_maps(self, 312),
			    "after a munmap of pages 100-299");

	/* a munmap that ends inside the folio, from its head */
	ASSERT_EQ(munmap(m, 50 * SZ_4K), 0);
	expect_stretch_page(_metadata, self, m + 50 * SZ_4K, 50, folio_maps(self, 262),
			    "after a munmap of pages 0-49");

	/* MADV_DONTNEED of a run, then refault */
	ASSERT_EQ(madvise(m + 300 * SZ_4K, 100 * SZ_4K, MADV_DONTNEED), 0);
	EXPECT_EQ(mapped_page_size(m + 350 * SZ_4K, NULL), 0);
	expect_stretch_page(_metadata, self, m + 511 * SZ_4K, 511, folio_maps(self, 162),
			    "after MADV_DONTNEED of pages 300-399");
	touch_units(m + 300 * SZ_4K, 100 * SZ_4K, SZ_4K);
	expect_stretch_page(_metadata, self, m + 300 * SZ_4K, 300, folio_maps(self, 262),
			    "refaulted");

	/* a child's own mappings of the folio, and its exit */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct page_refs r;

		q = map_stretch(self);
		if (q == MAP_FAILED)
			_exit(2);
		touch_units(q, 16 * SZ_4K, SZ_4K);
		if (page_refs_read(q, &r))
			_exit(3);
		_exit(r.refcount == stretch_expected(folio_maps(self, 262 + 16)).refcount ?
		      0 : 4);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_EQ(status, 0) TH_LOG("child: exit %d (4: its 16 pages were not counted)",
				    WEXITSTATUS(status));
	expect_stretch_page(_metadata, self, m + 300 * SZ_4K, 300, folio_maps(self, 262),
			    "after the child exited");

	ASSERT_EQ(munmap(m + 50 * SZ_4K, 50 * SZ_4K), 0);
	ASSERT_EQ(munmap(m + 300 * SZ_4K, 212 * SZ_4K), 0);
	ASSERT_EQ(rmap_snapshot(&now), 0);
	EXPECT_RMAP_DELTA(before, now, ((struct rmap_counts){ 0, 0 }), "all unmapped");

	/* nothing leaked: one page mapped again counts one mapping */
	m = map_stretch(self);
	ASSERT_NE(m, MAP_FAILED);
	touch_units(m + 7 * SZ_4K, SZ_4K, SZ_4K);
	expect_stretch_page(_metadata, self, m + 7 * SZ_4K, 7, 1, "remapped");
	ASSERT_EQ(munmap(m, SZ_2M), 0);
}

TEST_HARNESS_MAIN

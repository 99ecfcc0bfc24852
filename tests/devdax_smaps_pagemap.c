// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/PID/smaps and /proc/PID/pagemap for a populated device-DAX
 * mapping, at 4K and 2M alignment, and what a PUD (1G) mapping does to
 * a pagemap walk.
 *
 * Base kernel and series differ on purpose:
 *  - base:   DAX entries carry the devmap bit and vm_normal_page()
 *            ignores them, so smaps shows Rss 0; pagemap shows the pfn
 *            but, for PTEs, neither "file" nor "exclusive" (no page was
 *            found), and for PMDs "file" (pmd_page() is used directly)
 *            but not "exclusive" (mapcount 0);
 *  - series: DAX pages are mapped with a reference and a mapcount like
 *            page-cache pages, so smaps counts them in Rss and pagemap
 *            reports file-backed and exclusively mapped.
 *  - both:   a pagemap walk splits a PUD device-DAX mapping (the walk
 *            has no PUD handler), so the entry reads as not present and
 *            the next access faults it back with the same data.
 */
#include "lib/dax_test.h"

FIXTURE(devdax) { struct devdax dax; };
DEVDAX_VARIANTS(devdax);
FIXTURE_SETUP(devdax) { DEVDAX_SETUP(&self->dax, variant); }
FIXTURE_TEARDOWN(devdax) { devdax_close(&self->dax); }

TEST_F(devdax, accounting_of_populated_mapping)
{
	size_t len = devdax_test_len(&self->dax);
	int refcounted = dax_pages_refcounted();
	long rss;
	uint64_t pm;
	uint8_t *p;

	p = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, len, 131);

	rss = smaps_field_kb(p, "Rss");
	pm = pagemap_entry(p + SZ_4K);
	TH_LOG("%s kernel, align %zu: Rss %ld kB of %zu kB; pagemap present %d file %d exclusive %d",
	       refcounted ? "refcounted-DAX" : "base", self->dax.align, rss,
	       len >> 10, !!(pm & PM_PRESENT), !!(pm & PM_FILE),
	       !!(pm & PM_MMAP_EXCLUSIVE));

	if (self->dax.align == SZ_1G) {
		EXPECT_EQ(pm & PM_PRESENT, 0) TH_LOG("PUD was not split by the walk");
		EXPECT_EQ(check_pattern(p, len, 131), -1);
		ASSERT_EQ(munmap(p, len), 0);
		return;
	}

	ASSERT_NE(pm & PM_PRESENT, 0);
	EXPECT_NE(pm & PM_PFN_MASK, 0);
	if (refcounted) {
		EXPECT_EQ(rss, (long)(len >> 10));
		EXPECT_NE(pm & PM_FILE, 0);
		EXPECT_NE(pm & PM_MMAP_EXCLUSIVE, 0);
	} else {
		EXPECT_EQ(rss, 0);
		EXPECT_EQ(!!(pm & PM_FILE), self->dax.align == SZ_2M);
		EXPECT_EQ(pm & PM_MMAP_EXCLUSIVE, 0);
	}
	ASSERT_EQ(munmap(p, len), 0);
}

TEST_HARNESS_MAIN

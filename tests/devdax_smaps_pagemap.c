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
 *            reports file-backed and exclusively mapped; smaps counts a
 *            2M mapping in FilePmdMapped.
 *  - both:   smaps' FilePmdMapped is what the mapping added to that of
 *            /proc/meminfo (base: 0, it sees no devmap entry).
 *  - the fixes: KernelPageSize is the device's alignment, also in a
 *            kernel without CONFIG_HUGETLB_PAGE (0009; the base kernel
 *            says 4 kB there).
 *  - both:   a pagemap walk splits a PUD device-DAX mapping (the walk
 *            has no PUD handler), so the entry reads as not present and
 *            the next access faults it back with the same data.
 *
 * The process's RssFile counter follows the same rule (series: grows by
 * the mapping, base: does not move) and is back where it was once the
 * mapping is gone, on both kernels; the series takes huge entries off it
 * once per unmapped range.
 *
 * Unmapping a young entry does not mark a device-DAX page referenced on
 * either kernel: the base kernel's unmap does not see the page, and with
 * the series a ZONE_DEVICE folio has no LRU recency. smaps shows it: a
 * second mapping of the same page whose own entry is old (clear_refs)
 * counts as Referenced only through the page's PG_referenced.
 */
#include "lib/dax_test.h"

/* RssFile of this process in kB, or -1. */
static long status_rss_file_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "RssFile:", 8))
			kb = strtol(line + 8, NULL, 10);
	fclose(f);
	return kb;
}

/* Clear the accessed bits of this process (and PG_referenced). */
static int clear_refs(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, "1", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

FIXTURE(devdax) { struct devdax dax; };
DEVDAX_VARIANTS(devdax);
FIXTURE_SETUP(devdax) { DEVDAX_SETUP(&self->dax, variant); }
FIXTURE_TEARDOWN(devdax) { devdax_close(&self->dax); }

TEST_F(devdax, accounting_of_populated_mapping)
{
	long meminfo_pmd_before = meminfo_field_kb("FilePmdMapped");
	size_t len = devdax_test_len(&self->dax);
	int refcounted = dax_pages_refcounted();
	long rss, pmd_kb, meminfo_pmd_kb, page_kb;
	uint64_t pm;
	uint8_t *p;

	ASSERT_GE(meminfo_pmd_before, 0);
	p = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, len, 131);

	meminfo_pmd_kb = meminfo_field_kb("FilePmdMapped") - meminfo_pmd_before;
	rss = smaps_field_kb(p, "Rss");
	pmd_kb = smaps_field_kb(p, "FilePmdMapped");
	page_kb = smaps_field_kb(p, "KernelPageSize");
	pm = pagemap_entry(p + SZ_4K);
	TH_LOG("%s kernel, align %zu: Rss %ld kB of %zu kB, FilePmdMapped %ld kB (meminfo +%ld kB), KernelPageSize %ld kB; pagemap present %d file %d exclusive %d",
	       refcounted ? "refcounted-DAX" : "base", self->dax.align, rss,
	       len >> 10, pmd_kb, meminfo_pmd_kb, page_kb, !!(pm & PM_PRESENT),
	       !!(pm & PM_FILE), !!(pm & PM_MMAP_EXCLUSIVE));
	if (dax_base_bugs_fixed())
		EXPECT_EQ(page_kb, (long)(self->dax.align >> 10))
			TH_LOG("KernelPageSize is not the device's alignment");

	if (self->dax.align == SZ_1G) {
		EXPECT_EQ(pm & PM_PRESENT, 0) TH_LOG("PUD was not split by the walk");
		EXPECT_EQ(check_pattern(p, len, 131), -1);
		ASSERT_EQ(munmap(p, len), 0);
		return;
	}

	ASSERT_NE(pm & PM_PRESENT, 0);
	EXPECT_NE(pm & PM_PFN_MASK, 0);
	EXPECT_EQ(pmd_kb, refcounted && self->dax.align == SZ_2M ?
			  (long)(len >> 10) : 0);
	EXPECT_EQ(meminfo_pmd_kb, pmd_kb)
		TH_LOG("meminfo and smaps disagree on FilePmdMapped");
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

TEST_F(devdax, rss_counter_across_munmap)
{
	size_t len = devdax_test_len(&self->dax);
	int refcounted = dax_pages_refcounted();
	/* /proc/PID/status reads the per-CPU counters without summing them */
	long slack = 2 * sysconf(_SC_NPROCESSORS_ONLN) * 32 * 4;
	long before, mapped, after;
	uint8_t *p;

	before = status_rss_file_kb();
	ASSERT_GE(before, 0);
	/* twice, so that a counter left behind by the first unmap shows */
	for (int round = 0; round < 2; round++) {
		p = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
		ASSERT_NE(p, MAP_FAILED);
		fill_pattern(p, len, 17 + round);
		mapped = status_rss_file_kb();
		ASSERT_EQ(munmap(p, len), 0);
		after = status_rss_file_kb();
		TH_LOG("round %d: RssFile %ld kB before, %ld kB mapped, %ld kB after",
		       round, before, mapped, after);
		if (refcounted) {
			EXPECT_LE(labs(mapped - before - (long)(len >> 10)), slack);
		} else {
			EXPECT_LE(labs(mapped - before), slack);
		}
		EXPECT_LE(labs(after - before), slack);
	}
}

TEST_F(devdax, unmap_of_young_entry_leaves_page_unreferenced)
{
	size_t len = self->dax.align == SZ_1G ? SZ_1G : SZ_2M;
	uint8_t *young, *old;
	long referenced;

	young = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(young, MAP_FAILED);
	old = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(old, MAP_FAILED);
	fill_pattern(young, len, 23);
	ASSERT_EQ(check_pattern(old, len, 23), -1);
	ASSERT_EQ(clear_refs(), 0);
	/* only the first mapping's entries are young again */
	fill_pattern(young, len, 29);
	ASSERT_EQ(munmap(young, len), 0);
	referenced = smaps_field_kb(old, "Referenced");
	TH_LOG("align %zu: Referenced %ld kB of the old mapping", self->dax.align,
	       referenced);
	if (self->dax.align != SZ_1G) {	/* a PUD is not in smaps either */
		EXPECT_EQ(referenced, 0);
	}
	ASSERT_EQ(munmap(old, len), 0);
}

TEST_HARNESS_MAIN

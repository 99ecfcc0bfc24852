// SPDX-License-Identifier: GPL-2.0
/*
 * What /proc/self/smaps (Rss, FilePmdMapped) and pagemap (file and
 * exclusive flags) report for a populated FS DAX mapping, mapped by PMDs
 * and by PTEs, on ext4 and xfs.
 *
 * Expected difference (tests/README.md): the base kernel maps FS DAX with
 * devmap entries, which vm_normal_page() does not see, so smaps counts
 * nothing and a PTE-mapped page is neither file nor exclusive in pagemap;
 * a PMD-mapped one is file (pagemap reads the page) but has no mapcount.
 * With the series the folios are mapped like other file folios: Rss counts
 * them and pagemap says file and exclusive.
 *
 * On both kernels, smaps' FilePmdMapped of the mapping is what it added
 * to FilePmdMapped in /proc/meminfo: with the series the full size of a
 * PMD-mapped file (meminfo counts the rmap of DAX folios, and smaps counts
 * them too), on the base kernel 0 (neither sees devmap entries); 0 on
 * both for a PTE-mapped file.
 */
#include "lib/dax_test.h"

#define FILE_LEN	(2 * SZ_2M)

struct accounting {
	long rss_kb;
	long pmd_kb;
	long meminfo_pmd_kb;	/* what the mapping added to meminfo's */
	uint64_t pm;
};

/* @meminfo_before: FilePmdMapped of /proc/meminfo before @p was mapped */
static struct accounting accounting_of(uint8_t *p, long meminfo_before)
{
	struct accounting a = {
		.rss_kb = smaps_field_kb(p, "Rss"),
		.pmd_kb = smaps_field_kb(p, "FilePmdMapped"),
		.meminfo_pmd_kb = meminfo_field_kb("FilePmdMapped") - meminfo_before,
		.pm = pagemap_entry(p + SZ_4K),
	};

	return a;
}

/* smaps and meminfo agree on the mapping's FilePmdMapped, at @want kB. */
#define EXPECT_PMD_MAPPED(a, want) do {						\
	EXPECT_EQ((a).pmd_kb, (long)(want))					\
		TH_LOG("smaps FilePmdMapped %ld kB, want %ld", (a).pmd_kb,	\
		       (long)(want));						\
	EXPECT_EQ((a).meminfo_pmd_kb, (a).pmd_kb)				\
		TH_LOG("meminfo FilePmdMapped rose by %ld kB, smaps says %ld",\
		       (a).meminfo_pmd_kb, (a).pmd_kb);				\
} while (0)

FIXTURE(fsdax) { struct fsdax_file f; };
FSDAX_VARIANTS(fsdax);
FIXTURE_SETUP(fsdax) { FSDAX_SETUP(&self->f, variant, "smaps", FILE_LEN); }
FIXTURE_TEARDOWN(fsdax) { fsdax_file_close(&self->f); }

TEST_F(fsdax, pmd_mapped_file)
{
	long meminfo_before = meminfo_field_kb("FilePmdMapped");
	int refcounted = dax_pages_refcounted();
	struct accounting a;
	uint8_t *p;

	ASSERT_GE(meminfo_before, 0);
	p = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->f.fd, 0);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, FILE_LEN, 171);
	ASSERT_EQ(mapped_page_size(p, NULL), SZ_2M);

	a = accounting_of(p, meminfo_before);
	TH_LOG("%s kernel: Rss %ld kB, FilePmdMapped %ld kB (meminfo +%ld kB) of %ld kB; pagemap present %d file %d exclusive %d",
	       refcounted ? "refcounted-DAX" : "base", a.rss_kb, a.pmd_kb,
	       a.meminfo_pmd_kb, (long)(FILE_LEN >> 10), !!(a.pm & PM_PRESENT),
	       !!(a.pm & PM_FILE), !!(a.pm & PM_MMAP_EXCLUSIVE));
	ASSERT_NE(a.pm & PM_PRESENT, 0);
	EXPECT_NE(a.pm & PM_FILE, 0);
	EXPECT_PMD_MAPPED(a, refcounted ? FILE_LEN >> 10 : 0);
	if (refcounted) {
		EXPECT_EQ(a.rss_kb, (long)(FILE_LEN >> 10));
		EXPECT_NE(a.pm & PM_MMAP_EXCLUSIVE, 0);
	} else {
		EXPECT_EQ(a.rss_kb, 0);
		EXPECT_EQ(a.pm & PM_MMAP_EXCLUSIVE, 0);
	}
	EXPECT_EQ(check_pattern(p, FILE_LEN, 171), -1);
	ASSERT_EQ(munmap(p, FILE_LEN), 0);
	EXPECT_EQ(meminfo_field_kb("FilePmdMapped"), meminfo_before)
		TH_LOG("meminfo FilePmdMapped is not back after munmap");
}

TEST_F(fsdax, pte_mapped_file)
{
	long meminfo_before = meminfo_field_kb("FilePmdMapped");
	int refcounted = dax_pages_refcounted();
	struct accounting a;
	uint8_t *area, *p;

	/* file offset 0 at an address 4K past a 2M boundary: no PMD fits */
	area = mmap_aligned(FILE_LEN + SZ_2M, SZ_2M, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(area, MAP_FAILED);
	p = mmap(area + SZ_4K, FILE_LEN, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, self->f.fd, 0);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, FILE_LEN, 172);
	ASSERT_EQ(mapped_page_size(p + SZ_2M, NULL), SZ_4K);

	a = accounting_of(p, meminfo_before);
	TH_LOG("%s kernel: Rss %ld kB, FilePmdMapped %ld kB (meminfo +%ld kB) of %ld kB; pagemap present %d file %d exclusive %d",
	       refcounted ? "refcounted-DAX" : "base", a.rss_kb, a.pmd_kb,
	       a.meminfo_pmd_kb, (long)(FILE_LEN >> 10), !!(a.pm & PM_PRESENT),
	       !!(a.pm & PM_FILE), !!(a.pm & PM_MMAP_EXCLUSIVE));
	ASSERT_NE(a.pm & PM_PRESENT, 0);
	EXPECT_PMD_MAPPED(a, 0);
	if (refcounted) {
		EXPECT_EQ(a.rss_kb, (long)(FILE_LEN >> 10));
		EXPECT_NE(a.pm & PM_FILE, 0);
		EXPECT_NE(a.pm & PM_MMAP_EXCLUSIVE, 0);
	} else {
		EXPECT_EQ(a.rss_kb, 0);
		EXPECT_EQ(a.pm & PM_FILE, 0);
		EXPECT_EQ(a.pm & PM_MMAP_EXCLUSIVE, 0);
	}
	EXPECT_EQ(check_pattern(p, FILE_LEN, 172), -1);
	munmap(area, FILE_LEN + SZ_2M);
}

TEST_HARNESS_MAIN

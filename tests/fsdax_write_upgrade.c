// SPDX-License-Identifier: GPL-2.0
/*
 * A write to an FS DAX page that a read fault mapped read-only (by a
 * PTE or a PMD, on ext4 and xfs) upgrades that very entry to writable in
 * place: the same pfns, no second entry, Rss not doubled and the
 * refcount and mapcount unchanged; msync() write-protects the entries
 * again and the next write upgrades them once more, with the data of
 * every write read back.
 *
 * Counts and Rss differ by kernel (lib/page_refs.h): on the series each
 * entry holds one reference and one mapcount and Rss counts the mapping;
 * on the base kernel a devmap entry holds neither (refcount 1, mapcount
 * 0) and Rss stays 0. What both kernels must agree on is that the write
 * changes none of it.
 */
#include "lib/dax_test.h"
#include "lib/page_refs.h"

FIXTURE(upgrade) {
	struct fsdax_file f;
	size_t unit, len;
	uint8_t *m;
	uint64_t *pfns;		/* the pfn of every 4K page after the read */
};
FIXTURE_VARIANT(upgrade) { const char *env; size_t unit; };
FIXTURE_VARIANT_ADD(upgrade, ext4_pte) { .env = ENV_EXT4_DIR, .unit = SZ_4K };
FIXTURE_VARIANT_ADD(upgrade, ext4_pmd) { .env = ENV_EXT4_DIR, .unit = SZ_2M };
FIXTURE_VARIANT_ADD(upgrade, xfs_pte) { .env = ENV_XFS_DIR, .unit = SZ_4K };
FIXTURE_VARIANT_ADD(upgrade, xfs_pmd) { .env = ENV_XFS_DIR, .unit = SZ_2M };

/*
 * The file holds written data (not unwritten extents, which a read fault
 * would map as the zero page). A PTE-sized case maps 64K, too short for
 * a PMD; a PMD-sized one 4M at a 2M aligned address.
 */
FIXTURE_SETUP(upgrade)
{
	uint8_t *buf;

	self->m = MAP_FAILED;
	self->pfns = NULL;
	self->unit = variant->unit;
	self->len = variant->unit == SZ_4K ? 16 * SZ_4K : 2 * SZ_2M;
	FSDAX_SETUP(&self->f, variant, "write_upgrade", self->len);
	if (access(GUP_TEST_FILE, R_OK | W_OK))
		SKIP(return, "%s: %s (CONFIG_GUP_TEST, debugfs, root)",
		     GUP_TEST_FILE, strerror(errno));
	buf = malloc(self->len);
	ASSERT_NE(buf, NULL);
	fill_pattern(buf, self->len, 1);
	ASSERT_EQ(pwrite(self->f.fd, buf, self->len, 0), (ssize_t)self->len);
	free(buf);
	self->pfns = calloc(self->len / SZ_4K, sizeof(*self->pfns));
	ASSERT_NE(self->pfns, NULL);
	self->m = mmap_aligned(self->len, SZ_2M, PROT_READ | PROT_WRITE,
			       MAP_SHARED, self->f.fd, 0);
	ASSERT_NE(self->m, MAP_FAILED);
}

FIXTURE_TEARDOWN(upgrade)
{
	if (self->m != MAP_FAILED)
		munmap(self->m, self->len);
	free(self->pfns);
	fsdax_file_close(&self->f);
}

/* The pfn of every 4K page of [p, p + len), from one pagemap read. */
static int read_pfns(uint8_t *p, size_t len, uint64_t *pfns)
{
	size_t n = len / SZ_4K;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	ssize_t got;

	if (fd < 0)
		return -1;
	got = pread(fd, pfns, n * sizeof(*pfns),
		    (uintptr_t)p / SZ_4K * sizeof(*pfns));
	close(fd);
	if (got != (ssize_t)(n * sizeof(*pfns)))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!(pfns[i] & PM_PRESENT))
			return -1;
		pfns[i] &= PM_PFN_MASK;
	}
	return 0;
}

static long rss_expected_kb(size_t len)
{
	return dax_pages_refcounted() ? (long)(len >> 10) : 0;
}

/*
 * Every unit is mapped by one entry of the unit's size, writable or not
 * as @rw says, at the pfns recorded after the read, with Rss and the
 * counts of one mapping.
 */
#define EXPECT_ENTRIES(self, want_rw, what) do {				\
	uint64_t *__now = calloc((self)->len / SZ_4K, sizeof(*__now));		\
									\
	ASSERT_NE(__now, NULL);							\
	for (size_t __o = 0; __o < (self)->len; __o += (self)->unit) {		\
		int __rw = -1;							\
									\
		ASSERT_EQ(mapped_page_size((self)->m + __o, &__rw),		\
			  (long)(self)->unit)					\
			TH_LOG("%s: offset %#zx is not mapped by a %zu-byte entry", \
			       what, __o, (self)->unit);			\
		EXPECT_EQ(__rw, (want_rw))					\
			TH_LOG("%s: offset %#zx has rw=%d, want %d", what,	\
			       __o, __rw, (want_rw));				\
	}									\
	ASSERT_EQ(read_pfns((self)->m, (self)->len, __now), 0)			\
		TH_LOG("%s: pagemap shows a page not present", what);		\
	for (size_t __i = 0; __i < (self)->len / SZ_4K; __i++) {		\
		EXPECT_EQ(__now[__i], (self)->pfns[__i])			\
			TH_LOG("%s: page %zu moved from pfn %#llx to %#llx",	\
			       what, __i, (unsigned long long)(self)->pfns[__i], \
			       (unsigned long long)__now[__i]);			\
	}									\
	free(__now);								\
	EXPECT_EQ(smaps_field_kb((self)->m, "Rss"), rss_expected_kb((self)->len)) \
		TH_LOG("%s: Rss %ld kB, want %ld kB (%s kernel)", what,		\
		       smaps_field_kb((self)->m, "Rss"),			\
		       rss_expected_kb((self)->len), dax_model_name());	\
	for (size_t __o = 0; __o < (self)->len; __o += (self)->unit) {	\
		EXPECT_PAGE_REFS((self)->m + __o, fsdax_expected(1),		\
				 (self)->unit > SZ_4K, what);			\
	}									\
} while (0)

TEST_F(upgrade, write_upgrades_the_read_only_entry_in_place)
{
	volatile uint8_t *v = self->m;

	/* read every 4K page: read faults map the entries read-only */
	for (size_t off = 0; off < self->len; off += SZ_4K)
		(void)v[off];
	ASSERT_EQ(check_pattern(self->m, self->len, 1), -1)
		TH_LOG("the read did not return the file's data");
	ASSERT_EQ(read_pfns(self->m, self->len, self->pfns), 0)
		TH_LOG("pagemap shows a page not present after the read");
	for (size_t i = 1; i < self->len / SZ_4K; i++) {
		ASSERT_NE(self->pfns[i], self->pfns[i - 1])
			TH_LOG("pages %zu and %zu share pfn %#llx (zero page?)",
			       i - 1, i, (unsigned long long)self->pfns[i]);
	}
	EXPECT_ENTRIES(self, 0, "read-faulted");

	/* write every page: each entry is upgraded, not replaced */
	fill_pattern(self->m, self->len, 2);
	EXPECT_ENTRIES(self, 1, "written after the read");
	EXPECT_EQ(check_pattern(self->m, self->len, 2), -1);

	/* msync cleans the entries: they are write-protected again */
	ASSERT_EQ(msync(self->m, self->len, MS_SYNC), 0);
	EXPECT_ENTRIES(self, 0, "after msync");

	/* and the next write upgrades them once more */
	fill_pattern(self->m, self->len, 3);
	EXPECT_ENTRIES(self, 1, "written again after msync");
	ASSERT_EQ(msync(self->m, self->len, MS_SYNC), 0);

	/* the data reached the file, not a copy */
	{
		uint8_t *buf = malloc(self->len);

		ASSERT_NE(buf, NULL);
		ASSERT_EQ(pread(self->f.fd, buf, self->len, 0), (ssize_t)self->len);
		EXPECT_EQ(check_pattern(buf, self->len, 3), -1)
			TH_LOG("read(2) does not see the last write through the mapping");
		free(buf);
	}
}

TEST_HARNESS_MAIN

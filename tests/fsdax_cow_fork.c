// SPDX-License-Identifier: GPL-2.0
/*
 * After fork() of a MAP_PRIVATE FS DAX mapping in which some pages were
 * copied on write and the rest only read, parent and child each see
 * their own copies and the file's data, a write in either touches
 * neither the other nor the file, the child's entries for the DAX pages
 * count as one more mapping each, and once the child has exited the DAX
 * pages' counts are back to the parent's one mapping (ext4 and xfs,
 * PTE-sized).
 *
 * Counts differ by kernel (lib/page_refs.h): one reference and one
 * mapcount per entry on the series, refcount 1 and mapcount 0 on the
 * base kernel. The copied pages are anonymous and sit in per-CPU LRU
 * batches whose references come and go, so only their data is checked.
 */
#include "lib/dax_test.h"
#include "lib/page_refs.h"

#define NPAGES	16		/* 64K: too short for a PMD */
#define LEN	(NPAGES * SZ_4K)
#define NCOW	(NPAGES / 2)	/* pages [0, NCOW) are copied before fork */

FIXTURE(cow) {
	struct fsdax_file f;
	uint8_t *m;
};
FSDAX_VARIANTS_AND_EXT2(cow);

FIXTURE_SETUP(cow)
{
	uint8_t *buf;

	self->m = MAP_FAILED;
	FSDAX_SETUP(&self->f, variant, "cow_fork", 0);
	if (access(GUP_TEST_FILE, R_OK | W_OK))
		SKIP(return, "%s: %s (CONFIG_GUP_TEST, debugfs, root)",
		     GUP_TEST_FILE, strerror(errno));
	buf = malloc(LEN);
	ASSERT_NE(buf, NULL);
	fill_pattern(buf, LEN, 1);
	ASSERT_EQ(pwrite(self->f.fd, buf, LEN, 0), (ssize_t)LEN);
	free(buf);
	self->m = mmap_aligned(LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			       self->f.fd, 0);
	ASSERT_NE(self->m, MAP_FAILED);
}

FIXTURE_TEARDOWN(cow)
{
	if (self->m != MAP_FAILED)
		munmap(self->m, LEN);
	fsdax_file_close(&self->f);
}

static uint8_t *page(uint8_t *m, int i)
{
	return m + (size_t)i * SZ_4K;
}

/* Page @i of the file's data (seed 1) or of a private copy (seed 2, 3). */
static int page_has(uint8_t *m, int i, unsigned int seed)
{
	uint8_t want[SZ_4K];

	/* the pattern depends on the offset: build it for page @i */
	for (size_t b = 0; b < SZ_4K; b++)
		want[b] = pattern_byte((size_t)i * SZ_4K + b, seed);
	return !memcmp(page(m, i), want, SZ_4K);
}

static void page_fill(uint8_t *m, int i, unsigned int seed)
{
	for (size_t b = 0; b < SZ_4K; b++)
		page(m, i)[b] = pattern_byte((size_t)i * SZ_4K + b, seed);
}

static uint64_t pfn_of(uint8_t *m, int i)
{
	return pagemap_entry(page(m, i)) & PM_PFN_MASK;
}

/* What the child saw, reported through shared memory. */
struct child_view {
	int data_ok[NPAGES];
	struct page_refs refs[NPAGES];	/* of the DAX pages [NCOW, NPAGES) */
	int refs_rc;
	uint64_t pfn[NPAGES];
	int after_write_ok;
};

TEST_F(cow, both_processes_keep_their_data_and_counts_return)
{
	struct child_view *v;
	uint64_t parent_pfn[NPAGES];
	uint8_t buf[SZ_4K];
	int status;
	pid_t pid;

	for (int i = 0; i < NPAGES; i++) {
		ASSERT_TRUE(page_has(self->m, i, 1)) TH_LOG("page %d", i);
	}
	for (int i = 0; i < NCOW; i++)
		page_fill(self->m, i, 2);	/* copy on write */
	for (int i = 0; i < NPAGES; i++) {
		int rw = -1;

		ASSERT_EQ(mapped_page_size(page(self->m, i), &rw), (long)SZ_4K);
		EXPECT_EQ(rw, i < NCOW) TH_LOG("page %d: rw=%d", i, rw);
		parent_pfn[i] = pfn_of(self->m, i);
	}
	for (int i = NCOW; i < NPAGES; i++)
		EXPECT_PAGE_REFS(page(self->m, i), fsdax_expected(1), 0,
				 "the parent's read-only DAX page before fork");

	v = mmap(NULL, sizeof(*v), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(v, MAP_FAILED);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		for (int i = 0; i < NPAGES; i++) {
			v->data_ok[i] = page_has(self->m, i, i < NCOW ? 2 : 1);
			v->pfn[i] = pfn_of(self->m, i);
		}
		for (int i = NCOW; i < NPAGES && !v->refs_rc; i++)
			v->refs_rc = page_refs_read(page(self->m, i), &v->refs[i]);
		/* the child's own copies: one copied page, one DAX page */
		page_fill(self->m, 0, 3);
		page_fill(self->m, NPAGES - 1, 3);
		v->after_write_ok = page_has(self->m, 0, 3) &&
				    page_has(self->m, NPAGES - 1, 3);
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_EQ(status, 0);
	ASSERT_EQ(v->refs_rc, 0) TH_LOG("the child could not read the counts: %s",
					strerror(-v->refs_rc));
	for (int i = 0; i < NPAGES; i++) {
		EXPECT_TRUE(v->data_ok[i])
			TH_LOG("the child sees wrong data in page %d (%s)", i,
			       i < NCOW ? "copied" : "DAX");
		if (i >= NCOW) {
			EXPECT_EQ(v->pfn[i], parent_pfn[i])
				TH_LOG("the child maps DAX page %d elsewhere", i);
		}
	}
	EXPECT_TRUE(v->after_write_ok);
	for (int i = NCOW; i < NPAGES; i++) {
		EXPECT_EQ(v->refs[i].refcount, fsdax_expected(2).refcount)
			TH_LOG("DAX page %d in the child: refcount %d (%s kernel)",
			       i, v->refs[i].refcount, dax_model_name());
		EXPECT_EQ(page_refs_maps(&v->refs[i]), fsdax_expected(2).maps)
			TH_LOG("DAX page %d in the child: mapcount %d", i,
			       page_refs_maps(&v->refs[i]));
	}

	/* the child's writes reached neither the parent nor the file */
	for (int i = 0; i < NPAGES; i++) {
		EXPECT_TRUE(page_has(self->m, i, i < NCOW ? 2 : 1))
			TH_LOG("the parent's page %d changed", i);
		EXPECT_EQ(pfn_of(self->m, i), parent_pfn[i])
			TH_LOG("the parent's page %d moved", i);
	}
	for (int i = NCOW; i < NPAGES; i++)
		EXPECT_PAGE_REFS(page(self->m, i), fsdax_expected(1), 0,
				 "the parent's DAX page after the child exited");
	ASSERT_EQ(pread(self->f.fd, buf, SZ_4K, 0), SZ_4K);
	EXPECT_EQ(buf[1], pattern_byte(1, 1));
	ASSERT_EQ(pread(self->f.fd, buf, SZ_4K, LEN - SZ_4K), SZ_4K);
	EXPECT_EQ(buf[1], pattern_byte(LEN - SZ_4K + 1, 1));

	/* the parent's copies are its own again: written in place */
	page_fill(self->m, 0, 4);
	EXPECT_TRUE(page_has(self->m, 0, 4));
	EXPECT_EQ(pfn_of(self->m, 0), parent_pfn[0])
		TH_LOG("the parent's copy was copied again after the child exited");
	/* and a DAX page it writes now is copied, leaving the file alone */
	page_fill(self->m, NPAGES - 1, 4);
	EXPECT_NE(pfn_of(self->m, NPAGES - 1), parent_pfn[NPAGES - 1]);
	ASSERT_EQ(pread(self->f.fd, buf, SZ_4K, LEN - SZ_4K), SZ_4K);
	EXPECT_EQ(buf[1], pattern_byte(LEN - SZ_4K + 1, 1));
	munmap(v, sizeof(*v));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Every page table mapping of an FS DAX page holds exactly one reference
 * and one mapcount (the series; the base kernel's devmap entries hold
 * none), on ext4 and xfs, mapped by PTEs and by PMDs, every round trip
 * (a second mapping, fork and exit, mremap, mprotect, MADV_DONTNEED and
 * refault, partial munmap, read then write, O_DIRECT, process_vm_readv,
 * a refused long-term pin) returns the counts and the rmap counters
 * exactly to where they were, and after the last munmap the page is
 * idle: a truncate does not wait for it.
 *
 * Counts are read through an "observer" mapping that stays populated
 * (lib/page_refs.h). An idle page cannot be read that way (GUP would
 * map it), so idleness is shown by what waits for it: truncate waits
 * until the page is idle (refcount 0 on the series, 1 on the base
 * kernel) and must finish at once; and a fresh mapping must count one.
 */
#include "lib/dax_test.h"
#include "lib/page_refs.h"
#include "lib/refs_round_trips.h"
#include "lib/io_uring_pin.h"

FIXTURE(fsdax) {
	struct fsdax_file f;
	struct refs_audit a;
};
FIXTURE_VARIANT(fsdax) { const char *env; size_t unit; };
FIXTURE_VARIANT_ADD(fsdax, ext4_pte) { .env = ENV_EXT4_DIR, .unit = SZ_4K };
FIXTURE_VARIANT_ADD(fsdax, ext4_pmd) { .env = ENV_EXT4_DIR, .unit = SZ_2M };
FIXTURE_VARIANT_ADD(fsdax, xfs_pte) { .env = ENV_XFS_DIR, .unit = SZ_4K };
FIXTURE_VARIANT_ADD(fsdax, xfs_pmd) { .env = ENV_XFS_DIR, .unit = SZ_2M };
FIXTURE_VARIANT_ADD(fsdax, ext2_pte) { .env = ENV_EXT2_DIR, .unit = SZ_4K };

/*
 * A shared mapping of the whole file. A PTE-sized test maps it 2M
 * aligned but only 8K long, too short for a PMD; a PMD-sized one maps
 * 4M at a 2M aligned address.
 */
static uint8_t *fsdax_audit_map(const struct refs_audit *a)
{
	const struct fsdax_file *f = a->backing;

	return mmap_aligned(a->len, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			    f->fd, 0);
}

/*
 * Create the file, map the observer and check that it got entries of
 * the size asked for: a test that relies on PMDs asserts it has them.
 */
#define AUDIT_SETUP(self, variant, unit_) do {					\
	struct refs_audit *__a = &(self)->a;					\
										\
	__a->obs = MAP_FAILED;							\
	__a->unit = (unit_);							\
	__a->len = 2 * __a->unit;						\
	__a->huge = __a->unit > SZ_4K;						\
	__a->map = fsdax_audit_map;						\
	__a->expected = fsdax_expected;						\
	__a->backing = &(self)->f;						\
	FSDAX_SETUP(&(self)->f, variant, "refcount_audit", __a->len);		\
	if (access(GUP_TEST_FILE, R_OK | W_OK))					\
		SKIP(return, "%s: %s (CONFIG_GUP_TEST, debugfs, root)",		\
		     GUP_TEST_FILE, strerror(errno));				\
	__a->obs = audit_map_touched(__a);					\
	ASSERT_NE(__a->obs, MAP_FAILED);					\
	for (size_t __o = 0; __o < __a->len; __o += __a->unit)			\
		ASSERT_EQ(mapped_page_size(__a->obs + __o, NULL),		\
			  (long)__a->unit)					\
			TH_LOG("the observer is not mapped by %zu-byte entries",	\
			       __a->unit);					\
} while (0)

#define AUDIT_TEARDOWN(self) do {						\
	if ((self)->a.obs != MAP_FAILED)					\
		munmap((self)->a.obs, (self)->a.len);				\
	fsdax_file_close(&(self)->f);						\
} while (0)

FIXTURE_SETUP(fsdax) { AUDIT_SETUP(self, variant, variant->unit); }
FIXTURE_TEARDOWN(fsdax) { AUDIT_TEARDOWN(self); }

/* The same, PMD-sized only, for what needs a PMD-sized folio. */
FIXTURE(mixed) {
	struct fsdax_file f;
	struct refs_audit a;
};
FSDAX_VARIANTS(mixed);
FIXTURE_SETUP(mixed) { AUDIT_SETUP(self, variant, SZ_2M); }
FIXTURE_TEARDOWN(mixed) { AUDIT_TEARDOWN(self); }

REFS_ROUND_TRIP_TESTS(fsdax)

/* truncate in a child with a time limit: 0 when it completed */
static int truncate_within(int fd, unsigned int seconds)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		alarm(seconds);
		_exit(ftruncate(fd, 0) ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return WTERMSIG(status);
	return WEXITSTATUS(status) ? -1 : 0;
}

TEST_F(fsdax, idle_after_last_munmap)
{
	struct refs_audit *a = &self->a;

	ASSERT_EQ(munmap(a->obs, a->len), 0);
	/* a fresh mapping counts one: the last munmap left nothing behind */
	a->obs = audit_map_touched(a);
	ASSERT_NE(a->obs, MAP_FAILED);
	EXPECT_UNITS(a, 1, "remapped after the last munmap");
	ASSERT_EQ(munmap(a->obs, a->len), 0);
	a->obs = MAP_FAILED;
	/* truncate breaks layouts: it waits until the pages are idle */
	EXPECT_EQ(truncate_within(self->f.fd, 20), 0)
		TH_LOG("truncate after the last munmap did not complete (SIGALRM: "
		       "it waited 20 s for a page that should be idle)");
}

TEST_F(fsdax, mremap_moves_the_references)
{
	rt_mremap_moves_the_references(_metadata, &self->a);
}

TEST_F(fsdax, read_then_write)
{
	rt_read_then_write(_metadata, &self->a, 1);
}

TEST_F(fsdax, refused_longterm_pin_takes_nothing)
{
	struct refs_audit *a = &self->a;

	/* FS DAX is never pinned long-term; a refused pin must let go */
	EXPECT_NE(io_uring_pin_buffer(a->obs, SZ_4K), 0)
		TH_LOG("FS DAX was pinned long-term");
	EXPECT_UNITS(a, 1, "after the refused pin");
}

/* Expect @r to show @pte PTE and @pmd PMD mappings of one PMD-sized folio. */
static void expect_mixed(struct __test_metadata *_metadata,
			 const struct page_refs *r, int pte, int pmd,
			 const char *what)
{
	int want_ref = pte + pmd, want_map = pte + pmd;

	if (!dax_pages_refcounted()) {
		/* devmap entries: no reference, no mapcount, order 0 */
		EXPECT_EQ(r->refcount, 1) TH_LOG("%s: refcount %d", what, r->refcount);
		EXPECT_EQ(page_refs_maps(r), 0) TH_LOG("%s: mapcount %d", what,
							page_refs_maps(r));
		return;
	}
	EXPECT_EQ(r->order, 9) TH_LOG("%s: order %d", what, r->order);
	EXPECT_EQ(r->refcount, want_ref)
		TH_LOG("%s: refcount %d, want %d (%d PTEs + %d PMDs)", what,
		       r->refcount, want_ref, pte, pmd);
	EXPECT_EQ(r->folio_mapcount, want_map)
		TH_LOG("%s: folio mapcount %d, want %d", what, r->folio_mapcount,
		       want_map);
	EXPECT_EQ(r->entire_mapcount, pmd)
		TH_LOG("%s: entire_mapcount %d, want %d", what,
		       r->entire_mapcount, pmd);
}

/*
 * One PMD-sized folio mapped by a PMD (the observer) and by 512 PTEs (a
 * second mapping whose first 2M was split into three VMAs by an
 * mprotect() of one page, so it can only fault PTEs): each PTE holds
 * its own reference and mapcount, the PMD one entire mapping; then the
 * PMD goes first, and the PTEs alone keep the folio.
 */
TEST_F(mixed, pte_and_pmd_mappings_of_one_folio)
{
	struct refs_audit *a = &self->a;
	struct page_refs r;
	uint8_t *m;
	int rw = -1;

	m = a->map(a);
	ASSERT_NE(m, MAP_FAILED);
	ASSERT_EQ(mprotect(m + SZ_4K, SZ_4K, PROT_READ), 0);
	for (size_t off = 0; off < SZ_2M; off += SZ_4K)
		if (off == SZ_4K)
			(void)((volatile uint8_t *)m)[off];
		else
			((volatile uint8_t *)m)[off] = ((volatile uint8_t *)m)[off];
	EXPECT_EQ(mapped_page_size(m, &rw), (long)SZ_4K);
	EXPECT_EQ(rw, 1);
	EXPECT_EQ(mapped_page_size(m + SZ_4K, &rw), (long)SZ_4K);
	EXPECT_EQ(rw, 0);
	EXPECT_EQ(mapped_page_size(a->obs, NULL), (long)SZ_2M);
	/* both mappings see each other's writes */
	a->obs[5 * SZ_4K] ^= 0x5a;
	EXPECT_EQ(m[5 * SZ_4K], a->obs[5 * SZ_4K]);
	m[6 * SZ_4K] ^= 0xa5;
	EXPECT_EQ(a->obs[6 * SZ_4K], m[6 * SZ_4K]);

	ASSERT_EQ(page_refs_read(a->obs, &r), 0);
	expect_mixed(_metadata, &r, 512, 1, "512 PTEs and a PMD");
	if (dax_pages_refcounted())
		EXPECT_EQ(r.mapcount, 1) TH_LOG("page 0: mapcount %d, want its one PTE",
						r.mapcount);
	EXPECT_PAGE_REFS(a->obs + a->unit, fsdax_expected(1), a->huge,
			 "the second folio, mapped by the observer alone");

	/* the PMD goes first: the PTEs keep the folio */
	ASSERT_EQ(munmap(a->obs, a->len), 0);
	a->obs = MAP_FAILED;
	ASSERT_EQ(page_refs_read(m + 7 * SZ_4K, &r), 0);
	expect_mixed(_metadata, &r, 512, 0, "512 PTEs, no PMD");
	ASSERT_EQ(munmap(m + SZ_2M, SZ_2M), 0);
	ASSERT_EQ(munmap(m + SZ_4K, SZ_4K), 0);
	ASSERT_EQ(page_refs_read(m + 7 * SZ_4K, &r), 0);
	expect_mixed(_metadata, &r, 511, 0, "511 PTEs after munmap of one");
	ASSERT_EQ(munmap(m, SZ_2M), 0);

	/* nothing left behind: a fresh mapping counts one, truncate is free */
	a->obs = audit_map_touched(a);
	ASSERT_NE(a->obs, MAP_FAILED);
	EXPECT_UNITS(a, 1, "remapped after all of it went");
	ASSERT_EQ(munmap(a->obs, a->len), 0);
	a->obs = MAP_FAILED;
	EXPECT_EQ(truncate_within(self->f.fd, 20), 0)
		TH_LOG("truncate after the last munmap did not complete");
}

TEST_HARNESS_MAIN

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
#include <sys/uio.h>
#include "lib/dax_test.h"
#include "lib/page_refs.h"
#include "lib/io_uring_pin.h"

FIXTURE(fsdax) {
	struct fsdax_file f;
	size_t unit, len;
	int huge;
	uint8_t *obs;		/* the observer mapping */
};
FIXTURE_VARIANT(fsdax) { const char *env; size_t unit; };
FIXTURE_VARIANT_ADD(fsdax, ext4_pte) { .env = ENV_EXT4_DIR, .unit = SZ_4K };
FIXTURE_VARIANT_ADD(fsdax, ext4_pmd) { .env = ENV_EXT4_DIR, .unit = SZ_2M };
FIXTURE_VARIANT_ADD(fsdax, xfs_pte) { .env = ENV_XFS_DIR, .unit = SZ_4K };
FIXTURE_VARIANT_ADD(fsdax, xfs_pmd) { .env = ENV_XFS_DIR, .unit = SZ_2M };
FIXTURE_VARIANT_ADD(fsdax, ext2_pte) { .env = ENV_EXT2_DIR, .unit = SZ_4K };

/* Write-fault every unit of [p, p + len), leaving the data as it was. */
static void touch_units(uint8_t *p, size_t len, size_t unit)
{
	for (size_t off = 0; off < len; off += unit)
		((volatile uint8_t *)p)[off] = ((volatile uint8_t *)p)[off];
}

/*
 * A shared mapping of the whole file. A PTE-sized test maps it 2M
 * aligned but only 8K long, too short for a PMD; a PMD-sized one maps
 * 4M at a 2M aligned address.
 */
static uint8_t *map_file(int fd, size_t len)
{
	return mmap_aligned(len, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
}

static uint8_t *map_touched(int fd, size_t len, size_t unit)
{
	uint8_t *p = map_file(fd, len);

	if (p != MAP_FAILED)
		touch_units(p, len, unit);
	return p;
}

/*
 * Create the file, map the observer and check that it got entries of
 * the size asked for: a test that relies on PMDs asserts it has them.
 */
#define AUDIT_SETUP(self, variant, unit_) do {					\
	(self)->obs = MAP_FAILED;						\
	(self)->unit = (unit_);							\
	(self)->len = 2 * (self)->unit;						\
	(self)->huge = (self)->unit > SZ_4K;					\
	FSDAX_SETUP(&(self)->f, variant, "refcount_audit", (self)->len);	\
	if (access(GUP_TEST_FILE, R_OK | W_OK))					\
		SKIP(return, "%s: %s (CONFIG_GUP_TEST, debugfs, root)",		\
		     GUP_TEST_FILE, strerror(errno));				\
	(self)->obs = map_touched((self)->f.fd, (self)->len, (self)->unit);	\
	ASSERT_NE((self)->obs, MAP_FAILED);					\
	for (size_t __o = 0; __o < (self)->len; __o += (self)->unit)		\
		ASSERT_EQ(mapped_page_size((self)->obs + __o, NULL),		\
			  (long)(self)->unit)					\
			TH_LOG("the observer is not mapped by %zu-byte entries",	\
			       (self)->unit);					\
} while (0)

#define AUDIT_TEARDOWN(self) do {						\
	if ((self)->obs != MAP_FAILED)						\
		munmap((self)->obs, (self)->len);				\
	fsdax_file_close(&(self)->f);						\
} while (0)

FIXTURE_SETUP(fsdax) { AUDIT_SETUP(self, variant, variant->unit); }
FIXTURE_TEARDOWN(fsdax) { AUDIT_TEARDOWN(self); }

/* The same, PMD-sized only, for what needs a PMD-sized folio. */
FIXTURE(mixed) {
	struct fsdax_file f;
	size_t unit, len;
	int huge;
	uint8_t *obs;
};
FSDAX_VARIANTS(mixed);
FIXTURE_SETUP(mixed) { AUDIT_SETUP(self, variant, SZ_2M); }
FIXTURE_TEARDOWN(mixed) { AUDIT_TEARDOWN(self); }

#define EXPECT_UNITS(self, maps, what) do {					\
	EXPECT_PAGE_REFS((self)->obs, fsdax_expected(maps), (self)->huge,	\
			 what " (first unit)");					\
	EXPECT_PAGE_REFS((self)->obs + (self)->unit, fsdax_expected(maps),	\
			 (self)->huge, what " (second unit)");			\
} while (0)

TEST_F(fsdax, one_and_two_mappings)
{
	uint8_t *m;

	EXPECT_UNITS(self, 1, "one mapping");
	m = map_touched(self->f.fd, self->len, self->unit);
	ASSERT_NE(m, MAP_FAILED);
	EXPECT_UNITS(self, 2, "two mappings");
	EXPECT_PAGE_REFS(m, fsdax_expected(2), self->huge, "two, through the second");
	ASSERT_EQ(munmap(m, self->len), 0);
	EXPECT_UNITS(self, 1, "after munmap of the second");
}

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
	ASSERT_EQ(munmap(self->obs, self->len), 0);
	/* a fresh mapping counts one: the last munmap left nothing behind */
	self->obs = map_touched(self->f.fd, self->len, self->unit);
	ASSERT_NE(self->obs, MAP_FAILED);
	EXPECT_UNITS(self, 1, "remapped after the last munmap");
	ASSERT_EQ(munmap(self->obs, self->len), 0);
	self->obs = MAP_FAILED;
	/* truncate breaks layouts: it waits until the pages are idle */
	EXPECT_EQ(truncate_within(self->f.fd, 20), 0)
		TH_LOG("truncate after the last munmap did not complete (SIGALRM: "
		       "it waited 20 s for a page that should be idle)");
}

TEST_F(fsdax, fork_and_exit)
{
	struct page_refs *seen;
	int status;
	pid_t pid;

	seen = mmap(NULL, 2 * sizeof(*seen), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(seen, MAP_FAILED);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* a shared file mapping's page tables are not copied */
		touch_units(self->obs, self->len, self->unit);
		_exit(page_refs_read(self->obs, &seen[0]) ||
		      page_refs_read(self->obs + self->unit, &seen[1]));
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_EQ(status, 0) TH_LOG("the child could not read the counts");
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(seen[i].refcount, fsdax_expected(2).refcount)
			TH_LOG("unit %d in the child: refcount %d (%s kernel)",
			       i, seen[i].refcount, dax_model_name());
		EXPECT_EQ(page_refs_maps(&seen[i]), fsdax_expected(2).maps)
			TH_LOG("unit %d in the child: mapcount %d", i,
			       page_refs_maps(&seen[i]));
	}
	EXPECT_UNITS(self, 1, "after the child exited");
	munmap(seen, 2 * sizeof(*seen));
}

TEST_F(fsdax, mremap_moves_the_references)
{
	uint8_t *m, *target, *q;

	m = map_touched(self->f.fd, self->len, self->unit);
	ASSERT_NE(m, MAP_FAILED);
	target = mmap_aligned(self->len, SZ_2M, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(target, MAP_FAILED);
	q = mremap(m, self->len, self->len, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	ASSERT_EQ(q, target) TH_LOG("mremap: %s", strerror(errno));
	EXPECT_UNITS(self, 2, "after mremap");
	touch_units(q, self->len, self->unit);
	EXPECT_UNITS(self, 2, "after touching the moved mapping");
	ASSERT_EQ(munmap(q, self->len), 0);
	EXPECT_UNITS(self, 1, "after munmap of the moved mapping");
}

TEST_F(fsdax, mprotect_round_trip)
{
	uint8_t *m;
	int rw = -1;

	m = map_touched(self->f.fd, self->len, self->unit);
	ASSERT_NE(m, MAP_FAILED);
	ASSERT_EQ(mprotect(m, self->len, PROT_READ), 0);
	EXPECT_EQ(mapped_page_size(m, &rw), (long)self->unit);
	EXPECT_EQ(rw, 0);
	EXPECT_EQ(probe_access(m, 1), SIGSEGV);
	EXPECT_UNITS(self, 2, "read-only");
	ASSERT_EQ(mprotect(m, self->len, PROT_READ | PROT_WRITE), 0);
	touch_units(m, self->len, self->unit);
	EXPECT_EQ(mapped_page_size(m, &rw), (long)self->unit);
	EXPECT_EQ(rw, 1);
	EXPECT_UNITS(self, 2, "writable again, written");
	/*
	 * PROT_NONE last: changing a PROT_NONE PUD again warns on x86
	 * (pud_present() ignores _PAGE_PROTNONE; see devdax_mprotect).
	 */
	ASSERT_EQ(mprotect(m, self->len, PROT_NONE), 0);
	EXPECT_EQ(probe_access(m, 0), SIGSEGV);
	EXPECT_UNITS(self, 2, "PROT_NONE (the entries stay)");
	ASSERT_EQ(munmap(m, self->len), 0);
	EXPECT_UNITS(self, 1, "after munmap");
}

TEST_F(fsdax, madv_dontneed_and_refault)
{
	uint8_t *m;

	m = map_touched(self->f.fd, self->len, self->unit);
	ASSERT_NE(m, MAP_FAILED);
	ASSERT_EQ(madvise(m, self->len, MADV_DONTNEED), 0);
	EXPECT_EQ(mapped_page_size(m, NULL), 0) TH_LOG("MADV_DONTNEED left the entry");
	EXPECT_UNITS(self, 1, "after MADV_DONTNEED");
	touch_units(m, self->len, self->unit);
	EXPECT_UNITS(self, 2, "refaulted");
	ASSERT_EQ(munmap(m, self->len), 0);
	EXPECT_UNITS(self, 1, "after munmap");
}

TEST_F(fsdax, partial_munmap)
{
	uint8_t *m;

	m = map_touched(self->f.fd, self->len, self->unit);
	ASSERT_NE(m, MAP_FAILED);
	ASSERT_EQ(munmap(m + self->unit, self->unit), 0);
	EXPECT_PAGE_REFS(self->obs, fsdax_expected(2), self->huge,
			 "first unit, still mapped twice");
	EXPECT_PAGE_REFS(self->obs + self->unit, fsdax_expected(1), self->huge,
			 "second unit, unmapped from the second mapping");
	ASSERT_EQ(munmap(m, self->unit), 0);
	EXPECT_UNITS(self, 1, "after munmap of the rest");
}

TEST_F(fsdax, read_then_write)
{
	uint8_t *m;
	int rw = -1;

	m = map_file(self->f.fd, self->len);
	ASSERT_NE(m, MAP_FAILED);
	for (size_t off = 0; off < self->len; off += self->unit)
		(void)((volatile uint8_t *)m)[off];
	EXPECT_EQ(mapped_page_size(m, &rw), (long)self->unit);
	EXPECT_EQ(rw, 0) TH_LOG("a read fault mapped the page writable");
	EXPECT_UNITS(self, 2, "read-faulted");
	touch_units(m, self->len, self->unit);
	EXPECT_EQ(mapped_page_size(m, &rw), (long)self->unit);
	EXPECT_EQ(rw, 1);
	/* the write upgrades the entry in place: no second reference */
	EXPECT_UNITS(self, 2, "written after the read");
	ASSERT_EQ(msync(m, self->len, MS_SYNC), 0);
	touch_units(m, self->len, self->unit);
	EXPECT_UNITS(self, 2, "written again after msync");
	ASSERT_EQ(munmap(m, self->len), 0);
	EXPECT_UNITS(self, 1, "after munmap");
}

TEST_F(fsdax, odirect_round_trip)
{
	const char *blk = dax_env(ENV_BLOCKDEV);
	size_t io = self->len < (64 << 10) ? self->len : 64 << 10;
	int fd;

	if (!blk)
		SKIP(return, "%s not set", ENV_BLOCKDEV);
	fd = open(blk, O_RDWR | O_DIRECT);
	ASSERT_GE(fd, 0) TH_LOG("%s: %s", blk, strerror(errno));
	EXPECT_EQ(pwrite(fd, self->obs, io, 0), (ssize_t)io)
		TH_LOG("O_DIRECT write: %s", strerror(errno));
	EXPECT_UNITS(self, 1, "after an O_DIRECT write from the mapping");
	EXPECT_EQ(pread(fd, self->obs, io, 0), (ssize_t)io)
		TH_LOG("O_DIRECT read: %s", strerror(errno));
	EXPECT_UNITS(self, 1, "after an O_DIRECT read into the mapping");
	close(fd);
}

TEST_F(fsdax, process_vm_readv_round_trip)
{
	static uint8_t buf[8 << 10];
	struct iovec local = { buf, sizeof(buf) };
	struct iovec remote = { self->obs + self->unit - sizeof(buf) / 2, sizeof(buf) };
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(process_vm_readv(getppid(), &local, 1, &remote, 1, 0) !=
		      (ssize_t)sizeof(buf));
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_EQ(status, 0);
	EXPECT_UNITS(self, 1, "after process_vm_readv");
	EXPECT_EQ(process_vm_writev(getpid(), &local, 1, &remote, 1, 0),
		  (ssize_t)sizeof(buf));
	EXPECT_UNITS(self, 1, "after process_vm_writev");
}

TEST_F(fsdax, refused_longterm_pin_takes_nothing)
{
	/* FS DAX is never pinned long-term; a refused pin must let go */
	EXPECT_NE(io_uring_pin_buffer(self->obs, SZ_4K), 0)
		TH_LOG("FS DAX was pinned long-term");
	EXPECT_UNITS(self, 1, "after the refused pin");
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
	struct page_refs r;
	uint8_t *m;
	int rw = -1;

	m = map_file(self->f.fd, self->len);
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
	EXPECT_EQ(mapped_page_size(self->obs, NULL), (long)SZ_2M);
	/* both mappings see each other's writes */
	self->obs[5 * SZ_4K] ^= 0x5a;
	EXPECT_EQ(m[5 * SZ_4K], self->obs[5 * SZ_4K]);
	m[6 * SZ_4K] ^= 0xa5;
	EXPECT_EQ(self->obs[6 * SZ_4K], m[6 * SZ_4K]);

	ASSERT_EQ(page_refs_read(self->obs, &r), 0);
	expect_mixed(_metadata, &r, 512, 1, "512 PTEs and a PMD");
	if (dax_pages_refcounted())
		EXPECT_EQ(r.mapcount, 1) TH_LOG("page 0: mapcount %d, want its one PTE",
						r.mapcount);
	EXPECT_PAGE_REFS(self->obs + self->unit, fsdax_expected(1), self->huge,
			 "the second folio, mapped by the observer alone");

	/* the PMD goes first: the PTEs keep the folio */
	ASSERT_EQ(munmap(self->obs, self->len), 0);
	self->obs = MAP_FAILED;
	ASSERT_EQ(page_refs_read(m + 7 * SZ_4K, &r), 0);
	expect_mixed(_metadata, &r, 512, 0, "512 PTEs, no PMD");
	ASSERT_EQ(munmap(m + SZ_2M, SZ_2M), 0);
	ASSERT_EQ(munmap(m + SZ_4K, SZ_4K), 0);
	ASSERT_EQ(page_refs_read(m + 7 * SZ_4K, &r), 0);
	expect_mixed(_metadata, &r, 511, 0, "511 PTEs after munmap of one");
	ASSERT_EQ(munmap(m, SZ_2M), 0);

	/* nothing left behind: a fresh mapping counts one, truncate is free */
	self->obs = map_touched(self->f.fd, self->len, self->unit);
	ASSERT_NE(self->obs, MAP_FAILED);
	EXPECT_UNITS(self, 1, "remapped after all of it went");
	ASSERT_EQ(munmap(self->obs, self->len), 0);
	self->obs = MAP_FAILED;
	EXPECT_EQ(truncate_within(self->f.fd, 20), 0)
		TH_LOG("truncate after the last munmap did not complete");
}

TEST_F(fsdax, rmap_counters_balance)
{
	struct rmap_counts before, mapped, after;
	uint8_t *m;

	ASSERT_EQ(munmap(self->obs, self->len), 0);
	self->obs = MAP_FAILED;
	rmap_quiesce();
	ASSERT_EQ(rmap_snapshot(&before), 0);
	m = map_touched(self->f.fd, self->len, self->unit);
	ASSERT_NE(m, MAP_FAILED);
	ASSERT_EQ(rmap_snapshot(&mapped), 0);
	ASSERT_EQ(munmap(m, self->len), 0);
	ASSERT_EQ(rmap_snapshot(&after), 0);
	EXPECT_RMAP_DELTA(before, mapped, rmap_expected_rise(self->len, self->unit),
			  "mapped");
	EXPECT_RMAP_DELTA(before, after, ((struct rmap_counts){ 0, 0 }),
			  "after munmap");
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Every page table mapping of a device-DAX page holds exactly one
 * reference and one mapcount (the series; the base kernel's devmap
 * entries hold none), at 4K, 2M and 1G alignment, and every round trip
 * (a second mapping, fork and exit, mremap, mprotect, MADV_DONTNEED and
 * refault, partial munmap, read then write, O_DIRECT, process_vm_readv,
 * an io_uring pin) returns the counts and the rmap counters exactly to
 * where they were.
 *
 * Counts are read through an "observer" mapping of the same page that
 * stays populated, so that reading them never faults in the mapping
 * whose teardown is checked (lib/page_refs.h). The device keeps the
 * driver's reference: with one mapping a page shows refcount 2 and
 * mapcount 1 on the series, refcount 1 and mapcount 0 on the base
 * kernel. This program runs before devdax_unbind_while_mapped and
 * devdax_reconfigure_system_ram, which recreate the struct pages (and
 * with them reset any leaked count).
 */
#include <sys/uio.h>
#include "lib/dax_test.h"
#include "lib/page_refs.h"
#include "lib/io_uring_pin.h"

FIXTURE(devdax) {
	struct devdax dax;
	size_t unit, len;
	int huge;
	uint8_t *obs;		/* the observer mapping */
};
DEVDAX_VARIANTS(devdax);

/* Write-fault every unit of [p, p + len), leaving the data as it was. */
static void touch_units(uint8_t *p, size_t len, size_t unit)
{
	for (size_t off = 0; off < len; off += unit)
		((volatile uint8_t *)p)[off] = ((volatile uint8_t *)p)[off];
}

static uint8_t *map_touched(struct devdax *d, size_t len, size_t unit)
{
	uint8_t *p = devdax_map(d, len, PROT_READ | PROT_WRITE);

	if (p != MAP_FAILED)
		touch_units(p, len, unit);
	return p;
}

FIXTURE_SETUP(devdax)
{
	self->obs = MAP_FAILED;
	DEVDAX_SETUP(&self->dax, variant);
	if (access(GUP_TEST_FILE, R_OK | W_OK))
		SKIP(return, "%s: %s (CONFIG_GUP_TEST, debugfs, root)",
		     GUP_TEST_FILE, strerror(errno));
	self->unit = self->dax.align;
	self->len = 2 * self->unit;
	self->huge = self->unit > SZ_4K;
	if (self->len > self->dax.size)
		SKIP(return, "%s holds one %zu-byte unit, the audit needs two",
		     self->dax.path, self->unit);
	self->obs = map_touched(&self->dax, self->len, self->unit);
	ASSERT_NE(self->obs, MAP_FAILED);
	ASSERT_EQ(mapped_page_size(self->obs, NULL), (long)self->unit)
		TH_LOG("the observer is not mapped by %zu-byte entries", self->unit);
}

FIXTURE_TEARDOWN(devdax)
{
	if (self->obs != MAP_FAILED)
		munmap(self->obs, self->len);
	devdax_close(&self->dax);
}

/* Both units of the observer show @maps mappings. */
#define EXPECT_UNITS(self, maps, what) do {					\
	EXPECT_PAGE_REFS((self)->obs, devdax_expected(maps), (self)->huge,	\
			 what " (first unit)");					\
	EXPECT_PAGE_REFS((self)->obs + (self)->unit, devdax_expected(maps),	\
			 (self)->huge, what " (second unit)");			\
} while (0)

TEST_F(devdax, one_and_two_mappings)
{
	uint8_t *m;

	EXPECT_UNITS(self, 1, "one mapping");
	m = map_touched(&self->dax, self->len, self->unit);
	ASSERT_NE(m, MAP_FAILED);
	EXPECT_UNITS(self, 2, "two mappings");
	EXPECT_PAGE_REFS(m, devdax_expected(2), self->huge, "two, through the second");
	ASSERT_EQ(munmap(m, self->len), 0);
	EXPECT_UNITS(self, 1, "after munmap of the second");
}

TEST_F(devdax, unmapped_page_returns_to_the_driver_reference)
{
	/* unmap everything, then count a fresh mapping: nothing leaked */
	ASSERT_EQ(munmap(self->obs, self->len), 0);
	self->obs = map_touched(&self->dax, self->len, self->unit);
	ASSERT_NE(self->obs, MAP_FAILED);
	EXPECT_UNITS(self, 1, "remapped after the last munmap");
}

TEST_F(devdax, fork_and_exit)
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
		/* a shared mapping's page tables are not copied: fault here */
		touch_units(self->obs, self->len, self->unit);
		_exit(page_refs_read(self->obs, &seen[0]) ||
		      page_refs_read(self->obs + self->unit, &seen[1]));
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_EQ(status, 0) TH_LOG("the child could not read the counts");
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(seen[i].refcount, devdax_expected(2).refcount)
			TH_LOG("unit %d in the child: refcount %d (%s kernel)",
			       i, seen[i].refcount, dax_model_name());
		EXPECT_EQ(page_refs_maps(&seen[i]), devdax_expected(2).maps)
			TH_LOG("unit %d in the child: mapcount %d", i,
			       page_refs_maps(&seen[i]));
	}
	EXPECT_UNITS(self, 1, "after the child exited");
	munmap(seen, 2 * sizeof(*seen));
}

TEST_F(devdax, mremap_moves_the_references)
{
	uint8_t *m, *target, *q;

	if (self->unit == SZ_1G && !dax_pages_refcounted())
		SKIP(return, "the base kernel clears a moved 1G PUD as \"bad pud\" "
		     "(mm/mremap.c get_old_pud(); fixed by patch 0020)");
	m = map_touched(&self->dax, self->len, self->unit);
	ASSERT_NE(m, MAP_FAILED);
	target = mmap_aligned(self->len, self->unit, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(target, MAP_FAILED);
	q = mremap(m, self->len, self->len, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	ASSERT_EQ(q, target) TH_LOG("mremap: %s", strerror(errno));
	/* moved entries keep their reference; refaulted ones take one */
	EXPECT_UNITS(self, 2, "after mremap");
	touch_units(q, self->len, self->unit);
	EXPECT_UNITS(self, 2, "after touching the moved mapping");
	ASSERT_EQ(munmap(q, self->len), 0);
	EXPECT_UNITS(self, 1, "after munmap of the moved mapping");
}

TEST_F(devdax, mprotect_round_trip)
{
	uint8_t *m;
	int rw = -1;

	m = map_touched(&self->dax, self->len, self->unit);
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

TEST_F(devdax, madv_dontneed_and_refault)
{
	uint8_t *m;

	m = map_touched(&self->dax, self->len, self->unit);
	ASSERT_NE(m, MAP_FAILED);
	ASSERT_EQ(madvise(m, self->len, MADV_DONTNEED), 0);
	EXPECT_EQ(mapped_page_size(m, NULL), 0) TH_LOG("MADV_DONTNEED left the entry");
	EXPECT_UNITS(self, 1, "after MADV_DONTNEED");
	touch_units(m, self->len, self->unit);
	EXPECT_UNITS(self, 2, "refaulted");
	ASSERT_EQ(munmap(m, self->len), 0);
	EXPECT_UNITS(self, 1, "after munmap");
}

TEST_F(devdax, partial_munmap)
{
	uint8_t *m;

	m = map_touched(&self->dax, self->len, self->unit);
	ASSERT_NE(m, MAP_FAILED);
	ASSERT_EQ(munmap(m + self->unit, self->unit), 0);
	EXPECT_PAGE_REFS(self->obs, devdax_expected(2), self->huge,
			 "first unit, still mapped twice");
	EXPECT_PAGE_REFS(self->obs + self->unit, devdax_expected(1), self->huge,
			 "second unit, unmapped from the second mapping");
	ASSERT_EQ(munmap(m, self->unit), 0);
	EXPECT_UNITS(self, 1, "after munmap of the rest");
}

TEST_F(devdax, read_then_write)
{
	uint8_t *m;
	int rw = -1;

	m = devdax_map(&self->dax, self->len, PROT_READ | PROT_WRITE);
	ASSERT_NE(m, MAP_FAILED);
	for (size_t off = 0; off < self->len; off += self->unit)
		(void)((volatile uint8_t *)m)[off];
	/*
	 * Device DAX does no dirty tracking (no page_mkwrite, no
	 * writeback), so vm_page_prot of a shared writable mapping is
	 * writable and a read fault maps the page writable, on both
	 * kernels. The write that follows takes no fault.
	 */
	EXPECT_EQ(mapped_page_size(m, &rw), (long)self->unit);
	EXPECT_EQ(rw, 1);
	EXPECT_UNITS(self, 2, "read-faulted");
	touch_units(m, self->len, self->unit);
	EXPECT_UNITS(self, 2, "written after the read");
	ASSERT_EQ(munmap(m, self->len), 0);
	EXPECT_UNITS(self, 1, "after munmap");
}

TEST_F(devdax, odirect_round_trip)
{
	const char *blk = dax_env(ENV_BLOCKDEV);
	size_t io = self->len < (64 << 10) ? self->len : 64 << 10;
	int fd;

	if (!blk)
		SKIP(return, "%s not set", ENV_BLOCKDEV);
	fd = open(blk, O_RDWR | O_DIRECT);
	ASSERT_GE(fd, 0) TH_LOG("%s: %s", blk, strerror(errno));
	/* GUP takes the buffer's pages for the I/O and puts them after */
	EXPECT_EQ(pwrite(fd, self->obs, io, 0), (ssize_t)io)
		TH_LOG("O_DIRECT write: %s", strerror(errno));
	EXPECT_UNITS(self, 1, "after an O_DIRECT write from the mapping");
	EXPECT_EQ(pread(fd, self->obs, io, 0), (ssize_t)io)
		TH_LOG("O_DIRECT read: %s", strerror(errno));
	EXPECT_UNITS(self, 1, "after an O_DIRECT read into the mapping");
	close(fd);
}

TEST_F(devdax, process_vm_readv_round_trip)
{
	static uint8_t buf[8 << 10];	/* across the two units */
	struct iovec local = { buf, sizeof(buf) };
	struct iovec remote = { self->obs + self->unit - sizeof(buf) / 2, sizeof(buf) };
	pid_t pid;
	int status;

	/* a child reads the parent's mapping: GUP on a remote mm */
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

TEST_F(devdax, io_uring_pin_round_trip)
{
	struct io_uring_params params = { 0 };
	struct iovec iov = { self->obs, SZ_4K };
	struct page_refs r;
	struct dax_expect e = devdax_expected(1);
	int ring;

	ring = syscall(__NR_io_uring_setup, 4, &params);
	if (ring < 0)
		SKIP(return, "io_uring_setup: %s", strerror(errno));
	ASSERT_EQ(syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS,
			  &iov, 1), 0) TH_LOG("register: %s", strerror(errno));
	/*
	 * A FOLL_PIN pin of one page: a small folio takes
	 * GUP_PIN_COUNTING_BIAS (1024) references, a large one takes one
	 * reference and one pincount. The same on both kernels.
	 */
	ASSERT_EQ(page_refs_read(self->obs, &r), 0);
	if (self->huge) {
		EXPECT_EQ(r.refcount, e.refcount + 1);
		EXPECT_EQ(r.pincount, 1);
	} else {
		EXPECT_EQ(r.refcount, e.refcount + 1024);
	}
	TH_LOG("pinned: refcount %d pincount %d (%s kernel)", r.refcount,
	       r.pincount, dax_model_name());
	/* unregistering is synchronous; closing the ring is not */
	ASSERT_EQ(syscall(__NR_io_uring_register, ring, IORING_UNREGISTER_BUFFERS,
			  NULL, 0), 0) TH_LOG("unregister: %s", strerror(errno));
	EXPECT_UNITS(self, 1, "after the pin is released");
	close(ring);
}

TEST_F(devdax, rmap_counters_balance)
{
	struct rmap_counts before, mapped, after;
	uint8_t *m;

	/* the observer maps the same pages: drop it, count from nothing */
	ASSERT_EQ(munmap(self->obs, self->len), 0);
	self->obs = MAP_FAILED;
	rmap_quiesce();
	ASSERT_EQ(rmap_snapshot(&before), 0);
	m = map_touched(&self->dax, self->len, self->unit);
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

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The round trips that the device-DAX and FS DAX reference audits share
 * (devdax_refcount_audit.c, fsdax_refcount_audit.c). Each maps the
 * observer's pages a second time, does one thing to that mapping (or
 * through it), and checks that the refcount and mapcount of both units
 * are what that many mappings hold, and back where they were after.
 *
 * The caller fills a struct refs_audit: the observer mapping, its entry
 * size, and two callbacks, one that makes another mapping of the same
 * pages and one that says what @maps mappings of a page hold on the
 * booted kernel (devdax_expected() or fsdax_expected()).
 */
#ifndef REFS_ROUND_TRIPS_H
#define REFS_ROUND_TRIPS_H

#include <sys/uio.h>

#include "dax_test.h"
#include "page_refs.h"

struct refs_audit {
	uint8_t *obs;		/* the observer: two units, kept populated */
	size_t unit;		/* the size of one entry: 4K, 2M or 1G */
	size_t len;		/* the observer's length: two units */
	int huge;		/* a PMD or PUD maps each unit whole */
	/*
	 * The units are pages of one folio, each mapped by PTEs (4K device
	 * DAX in PMD folios, the series): the folio's refcount and mapcount
	 * then count the mappings of both units, the page's own mapcount
	 * those of its unit.
	 */
	int one_folio;
	int order;		/* of each unit's folio, with one_folio */
	/* a new shared read-write mapping of the observer's pages, unfaulted */
	uint8_t *(*map)(const struct refs_audit *a);
	/* what @maps mappings of one page hold on this kernel */
	struct dax_expect (*expected)(int maps);
	const void *backing;	/* for map(): the device or the file */
};

/* Write-fault every unit of [p, p + len), leaving the data as it was. */
static inline void touch_units(uint8_t *p, size_t len, size_t unit)
{
	for (size_t off = 0; off < len; off += unit)
		((volatile uint8_t *)p)[off] = ((volatile uint8_t *)p)[off];
}

/* Another mapping of the observer's pages, every unit write-faulted. */
static inline uint8_t *audit_map_touched(const struct refs_audit *a)
{
	uint8_t *p = a->map(a);

	if (p != MAP_FAILED)
		touch_units(p, a->len, a->unit);
	return p;
}

/*
 * The counts @r read of a unit mapped @maps times, while the other unit
 * is mapped @other times, in a folio that holds both (a->one_folio).
 */
static inline void expect_one_folio_counts(struct __test_metadata *_metadata,
					   const struct refs_audit *a,
					   const struct page_refs *r, int maps,
					   int other, const char *what)
{
	struct dax_expect e = a->expected(maps), o = a->expected(other);

	EXPECT_EQ(r->order, a->order) TH_LOG("%s: order %d, want %d", what,
					     r->order, a->order);
	EXPECT_EQ(r->refcount, e.refcount + o.maps)
		TH_LOG("%s: refcount %d, want %d (%d + %d mappings of the other unit)",
		       what, r->refcount, e.refcount + o.maps, e.refcount, o.maps);
	EXPECT_EQ(r->mapcount, e.maps)
		TH_LOG("%s: page mapcount %d, want %d", what, r->mapcount, e.maps);
	EXPECT_EQ(r->folio_mapcount, e.maps + o.maps)
		TH_LOG("%s: folio mapcount %d, want %d", what, r->folio_mapcount,
		       e.maps + o.maps);
	EXPECT_EQ(r->entire_mapcount, 0);
	EXPECT_EQ(r->pincount, 0);
}

/* The unit at @addr is mapped @maps times, the other unit @other times. */
static inline void expect_unit(struct __test_metadata *_metadata,
			       const struct refs_audit *a, uint8_t *addr,
			       int maps, int other, const char *what)
{
	struct page_refs r;
	int rc;

	if (!a->one_folio) {
		EXPECT_PAGE_REFS(addr, a->expected(maps), a->huge, what);
		return;
	}
	rc = page_refs_read(addr, &r);
	ASSERT_EQ(rc, 0) TH_LOG("%s: reading the counts: %s", what, strerror(-rc));
	expect_one_folio_counts(_metadata, a, &r, maps, other, what);
}

/* Both units of the observer show @maps mappings. */
#define EXPECT_UNITS(a, maps, what) do {					\
	expect_unit(_metadata, (a), (a)->obs, (maps), (maps),			\
		    what " (first unit)");					\
	expect_unit(_metadata, (a), (a)->obs + (a)->unit, (maps), (maps),	\
		    what " (second unit)");					\
} while (0)

static inline void rt_one_and_two_mappings(struct __test_metadata *_metadata,
					   struct refs_audit *a)
{
	uint8_t *m;

	EXPECT_UNITS(a, 1, "one mapping");
	m = audit_map_touched(a);
	ASSERT_NE(m, MAP_FAILED);
	EXPECT_UNITS(a, 2, "two mappings");
	expect_unit(_metadata, a, m, 2, 2, "two, through the second");
	ASSERT_EQ(munmap(m, a->len), 0);
	EXPECT_UNITS(a, 1, "after munmap of the second");
}

static inline void rt_fork_and_exit(struct __test_metadata *_metadata,
				    struct refs_audit *a)
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
		touch_units(a->obs, a->len, a->unit);
		_exit(page_refs_read(a->obs, &seen[0]) ||
		      page_refs_read(a->obs + a->unit, &seen[1]));
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_EQ(status, 0) TH_LOG("the child could not read the counts");
	for (int i = 0; i < 2 && a->one_folio; i++)
		expect_one_folio_counts(_metadata, a, &seen[i], 2, 2,
					i ? "second unit in the child" :
					    "first unit in the child");
	for (int i = 0; i < 2 && !a->one_folio; i++) {
		EXPECT_EQ(seen[i].refcount, a->expected(2).refcount)
			TH_LOG("unit %d in the child: refcount %d (%s kernel)",
			       i, seen[i].refcount, dax_model_name());
		EXPECT_EQ(page_refs_maps(&seen[i]), a->expected(2).maps)
			TH_LOG("unit %d in the child: mapcount %d", i,
			       page_refs_maps(&seen[i]));
	}
	EXPECT_UNITS(a, 1, "after the child exited");
	munmap(seen, 2 * sizeof(*seen));
}

static inline void rt_mremap_moves_the_references(struct __test_metadata *_metadata,
						  struct refs_audit *a)
{
	size_t align = a->unit > SZ_2M ? a->unit : SZ_2M;
	uint8_t *m, *target, *q;

	m = audit_map_touched(a);
	ASSERT_NE(m, MAP_FAILED);
	target = mmap_aligned(a->len, align, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(target, MAP_FAILED);
	q = mremap(m, a->len, a->len, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	ASSERT_EQ(q, target) TH_LOG("mremap: %s", strerror(errno));
	/* moved entries keep their reference; refaulted ones take one */
	EXPECT_UNITS(a, 2, "after mremap");
	touch_units(q, a->len, a->unit);
	EXPECT_UNITS(a, 2, "after touching the moved mapping");
	ASSERT_EQ(munmap(q, a->len), 0);
	EXPECT_UNITS(a, 1, "after munmap of the moved mapping");
}

static inline void rt_mprotect_round_trip(struct __test_metadata *_metadata,
					  struct refs_audit *a)
{
	uint8_t *m;
	int rw = -1;

	m = audit_map_touched(a);
	ASSERT_NE(m, MAP_FAILED);
	ASSERT_EQ(mprotect(m, a->len, PROT_READ), 0);
	EXPECT_EQ(mapped_page_size(m, &rw), (long)a->unit);
	EXPECT_EQ(rw, 0);
	EXPECT_EQ(probe_access(m, 1), SIGSEGV);
	EXPECT_UNITS(a, 2, "read-only");
	ASSERT_EQ(mprotect(m, a->len, PROT_READ | PROT_WRITE), 0);
	touch_units(m, a->len, a->unit);
	EXPECT_EQ(mapped_page_size(m, &rw), (long)a->unit);
	EXPECT_EQ(rw, 1);
	EXPECT_UNITS(a, 2, "writable again, written");
	/*
	 * PROT_NONE last: changing a PROT_NONE PUD again warns on x86
	 * (pud_present() ignores _PAGE_PROTNONE; see devdax_mprotect).
	 */
	ASSERT_EQ(mprotect(m, a->len, PROT_NONE), 0);
	EXPECT_EQ(probe_access(m, 0), SIGSEGV);
	EXPECT_UNITS(a, 2, "PROT_NONE (the entries stay)");
	ASSERT_EQ(munmap(m, a->len), 0);
	EXPECT_UNITS(a, 1, "after munmap");
}

static inline void rt_madv_dontneed_and_refault(struct __test_metadata *_metadata,
						struct refs_audit *a)
{
	uint8_t *m;

	m = audit_map_touched(a);
	ASSERT_NE(m, MAP_FAILED);
	ASSERT_EQ(madvise(m, a->len, MADV_DONTNEED), 0);
	EXPECT_EQ(mapped_page_size(m, NULL), 0) TH_LOG("MADV_DONTNEED left the entry");
	EXPECT_UNITS(a, 1, "after MADV_DONTNEED");
	touch_units(m, a->len, a->unit);
	EXPECT_UNITS(a, 2, "refaulted");
	ASSERT_EQ(munmap(m, a->len), 0);
	EXPECT_UNITS(a, 1, "after munmap");
}

static inline void rt_partial_munmap(struct __test_metadata *_metadata,
				     struct refs_audit *a)
{
	uint8_t *m;

	m = audit_map_touched(a);
	ASSERT_NE(m, MAP_FAILED);
	ASSERT_EQ(munmap(m + a->unit, a->unit), 0);
	expect_unit(_metadata, a, a->obs, 2, 1, "first unit, still mapped twice");
	expect_unit(_metadata, a, a->obs + a->unit, 1, 2,
		    "second unit, unmapped from the second mapping");
	ASSERT_EQ(munmap(m, a->unit), 0);
	EXPECT_UNITS(a, 1, "after munmap of the rest");
}

/*
 * Read-fault, then write. With @dirty_tracked (FS DAX: page_mkwrite and
 * writeback) the read maps the pages read-only, the write upgrades the
 * same entries in place (no second reference), and after msync() the
 * next write does so again. Device DAX tracks nothing: vm_page_prot of
 * a shared writable mapping is writable, a read fault maps the page
 * writable on both kernels, and the write that follows takes no fault.
 */
static inline void rt_read_then_write(struct __test_metadata *_metadata,
				      struct refs_audit *a, int dirty_tracked)
{
	uint8_t *m;
	int rw = -1;

	m = a->map(a);
	ASSERT_NE(m, MAP_FAILED);
	for (size_t off = 0; off < a->len; off += a->unit)
		(void)((volatile uint8_t *)m)[off];
	EXPECT_EQ(mapped_page_size(m, &rw), (long)a->unit);
	EXPECT_EQ(rw, !dirty_tracked)
		TH_LOG("a read fault mapped the page %s",
		       rw ? "writable" : "read-only");
	EXPECT_UNITS(a, 2, "read-faulted");
	touch_units(m, a->len, a->unit);
	EXPECT_EQ(mapped_page_size(m, &rw), (long)a->unit);
	EXPECT_EQ(rw, 1);
	EXPECT_UNITS(a, 2, "written after the read");
	if (dirty_tracked) {
		ASSERT_EQ(msync(m, a->len, MS_SYNC), 0);
		touch_units(m, a->len, a->unit);
		EXPECT_UNITS(a, 2, "written again after msync");
	}
	ASSERT_EQ(munmap(m, a->len), 0);
	EXPECT_UNITS(a, 1, "after munmap");
}

/* GUP takes the buffer's pages for the I/O and puts them after. */
static inline void rt_odirect_round_trip(struct __test_metadata *_metadata,
					 struct refs_audit *a)
{
	const char *blk = dax_env(ENV_BLOCKDEV);
	size_t io = a->len < (64 << 10) ? a->len : 64 << 10;
	int fd;

	if (!blk)
		SKIP(return, "%s not set", ENV_BLOCKDEV);
	fd = open(blk, O_RDWR | O_DIRECT);
	ASSERT_GE(fd, 0) TH_LOG("%s: %s", blk, strerror(errno));
	EXPECT_EQ(pwrite(fd, a->obs, io, 0), (ssize_t)io)
		TH_LOG("O_DIRECT write: %s", strerror(errno));
	EXPECT_UNITS(a, 1, "after an O_DIRECT write from the mapping");
	EXPECT_EQ(pread(fd, a->obs, io, 0), (ssize_t)io)
		TH_LOG("O_DIRECT read: %s", strerror(errno));
	EXPECT_UNITS(a, 1, "after an O_DIRECT read into the mapping");
	close(fd);
}

/* A child reads the parent's mapping (GUP on a remote mm), then we write. */
static inline void rt_process_vm_readv_round_trip(struct __test_metadata *_metadata,
						  struct refs_audit *a)
{
	static uint8_t buf[8 << 10];	/* across the two units */
	struct iovec local = { buf, sizeof(buf) };
	struct iovec remote = { a->obs + a->unit - sizeof(buf) / 2, sizeof(buf) };
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(process_vm_readv(getppid(), &local, 1, &remote, 1, 0) !=
		      (ssize_t)sizeof(buf));
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_EQ(status, 0);
	EXPECT_UNITS(a, 1, "after process_vm_readv");
	EXPECT_EQ(process_vm_writev(getpid(), &local, 1, &remote, 1, 0),
		  (ssize_t)sizeof(buf));
	EXPECT_UNITS(a, 1, "after process_vm_writev");
}

/*
 * Unmap the observer (it maps the same pages, so the count must start
 * from nothing), snapshot the counters into @before, and return a
 * fresh touched mapping (MAP_FAILED on failure; a->obs is MAP_FAILED
 * after).
 */
static inline uint8_t *rmap_counted_map(struct refs_audit *a,
					struct rmap_counts *before)
{
	if (munmap(a->obs, a->len))
		return MAP_FAILED;
	a->obs = MAP_FAILED;
	rmap_quiesce();
	if (rmap_snapshot(before))
		return MAP_FAILED;
	return audit_map_touched(a);
}

/*
 * nr_mapped and nr_file_pmdmapped rise by what one mapping maps and come
 * back exactly after munmap. The observer maps the same pages, so it
 * goes first (a->obs is MAP_FAILED after) and the count starts from
 * nothing.
 */
static inline void rt_rmap_counters_balance(struct __test_metadata *_metadata,
					    struct refs_audit *a)
{
	struct rmap_counts before, mapped, after;
	uint8_t *m;

	m = rmap_counted_map(a, &before);
	ASSERT_NE(m, MAP_FAILED);
	ASSERT_EQ(rmap_snapshot(&mapped), 0);
	ASSERT_EQ(munmap(m, a->len), 0);
	ASSERT_EQ(rmap_snapshot(&after), 0);
	EXPECT_RMAP_DELTA(before, mapped, rmap_expected_rise(a->len, a->unit),
			  "mapped");
	EXPECT_RMAP_DELTA(before, after, ((struct rmap_counts){ 0, 0 }),
			  "after munmap");
}

/*
 * The counters come back exactly after a munmap of part of the mapping
 * (a unit is left), of the rest, and after the exit of a child that
 * mapped the whole range. A range's huge PMD zaps take theirs off once,
 * at the end of the range (zap_pmd_range()), so each of these is one
 * range to settle.
 */
static inline void rt_rmap_counters_partial_and_exit(
		struct __test_metadata *_metadata, struct refs_audit *a)
{
	struct rmap_counts before, part, after;
	int status;
	uint8_t *m;
	pid_t pid;

	m = rmap_counted_map(a, &before);
	ASSERT_NE(m, MAP_FAILED);
	ASSERT_EQ(munmap(m + a->unit, a->len - a->unit), 0);
	ASSERT_EQ(rmap_snapshot(&part), 0);
	EXPECT_RMAP_DELTA(before, part, rmap_expected_rise(a->unit, a->unit),
			  "one unit left mapped");
	ASSERT_EQ(munmap(m, a->unit), 0);
	ASSERT_EQ(rmap_snapshot(&after), 0);
	EXPECT_RMAP_DELTA(before, after, ((struct rmap_counts){ 0, 0 }),
			  "after munmap of the rest");

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(audit_map_touched(a) == MAP_FAILED);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_EQ(status, 0) TH_LOG("the child could not map the range");
	ASSERT_EQ(rmap_snapshot(&after), 0);
	EXPECT_RMAP_DELTA(before, after, ((struct rmap_counts){ 0, 0 }),
			  "after a child that mapped the range exited");
}

/*
 * The TEST_F()s of the shared round trips, for a fixture whose audit is
 * self->a. The including program adds its own (mremap, read then
 * write, pins, idleness), whose rules differ between device DAX and
 * FS DAX.
 */
#define REFS_ROUND_TRIP_TESTS(fixture)						\
	TEST_F(fixture, one_and_two_mappings)					\
	{ rt_one_and_two_mappings(_metadata, &self->a); }			\
	TEST_F(fixture, fork_and_exit)						\
	{ rt_fork_and_exit(_metadata, &self->a); }				\
	TEST_F(fixture, mprotect_round_trip)					\
	{ rt_mprotect_round_trip(_metadata, &self->a); }			\
	TEST_F(fixture, madv_dontneed_and_refault)				\
	{ rt_madv_dontneed_and_refault(_metadata, &self->a); }			\
	TEST_F(fixture, partial_munmap)						\
	{ rt_partial_munmap(_metadata, &self->a); }				\
	TEST_F(fixture, odirect_round_trip)					\
	{ rt_odirect_round_trip(_metadata, &self->a); }				\
	TEST_F(fixture, process_vm_readv_round_trip)				\
	{ rt_process_vm_readv_round_trip(_metadata, &self->a); }		\
	TEST_F(fixture, rmap_counters_balance)					\
	{ rt_rmap_counters_balance(_metadata, &self->a); }			\
	TEST_F(fixture, rmap_counters_partial_and_exit)				\
	{ rt_rmap_counters_partial_and_exit(_metadata, &self->a); }

#endif /* REFS_ROUND_TRIPS_H */

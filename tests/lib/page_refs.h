/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Detectors for what the series changes: who holds references to a DAX
 * page. Checking data and errnos cannot see a reference that leaks or
 * goes missing; these can.
 *
 *  - page_refs_read(): a page's refcount and mapcount, read through the
 *    in-tree gup_test (CONFIG_GUP_TEST) and the kernel log;
 *  - rmap_snapshot(): the rmap counters of /proc/vmstat, made exact by
 *    /proc/sys/vm/stat_refresh first;
 *  - probe_access(): does an access from this very process fault, with
 *    which signal (fork()ing a prober tests the child's page tables,
 *    which for a shared mapping are empty after fork).
 *
 * All three need root, debugfs and /dev/kmsg, as in the test guest.
 */
#ifndef PAGE_REFS_H
#define PAGE_REFS_H

#include <setjmp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <linux/types.h>

#include "dax_test.h"
#include "kmsg.h"

/* From mm/gup_test.h of the pinned tree (the debugfs ABI of gup_test). */
#define GUP_TEST_FILE			"/sys/kernel/debug/gup_test"
#define GUP_TEST_MAX_PAGES_TO_DUMP	8
struct gup_test {
	__u64 get_delta_usec;
	__u64 put_delta_usec;
	__u64 addr;
	__u64 size;
	__u32 nr_pages_per_call;
	__u32 gup_flags;
	__u32 test_flags;
	__u32 which_pages[GUP_TEST_MAX_PAGES_TO_DUMP];
};
#define DUMP_USER_PAGES_TEST	_IOWR('g', 6, struct gup_test)

/* What dump_page() printed for one page, less the dump's own reference. */
struct page_refs {
	unsigned long pfn;
	int refcount;		/* the folio's refcount */
	int mapcount;		/* this page's own mapcount (its PTE mappings) */
	int order;		/* 0 for a small folio */
	int folio_mapcount;	/* large folio: mappings of any of its pages */
	int entire_mapcount;	/* large folio: PMD or PUD mappings of it */
	int pincount;		/* large folio: FOLL_PIN pins */
	int head_hwpoison;	/* the folio's flags (its head page's): hwpoison */
};

/* Mappings of the folio: for a small folio, the page's own mapcount. */
static inline int page_refs_maps(const struct page_refs *r)
{
	return r->order ? r->folio_mapcount : r->mapcount;
}

/*
 * Read the counts of the page mapped at @addr in this process.
 *
 * gup_test's DUMP_USER_PAGES_TEST takes the page with get_user_pages()
 * (FOLL_GET, read access, so a read-only entry stays read-only), calls
 * dump_page() on it, and puts it again. dump_page() prints
 *   page: refcount:R mapcount:M mapping:... index:... pfn:P
 *   head: order:O mapcount:F entire_mapcount:E nr_pages_mapped:N pincount:C
 *   flags: 0x...(name|...)
 * (the second line for large folios only; the flags are the folio's, that
 * is its head page's) as kernel log records, read
 * back here from /dev/kmsg. The refcount printed includes the one
 * reference the dump itself holds (FOLL_GET takes exactly one per page,
 * also on large folios: we dump one page); that reference is subtracted,
 * so @r->refcount is what the page holds outside the dump. Mapcounts are
 * not touched by GUP and are reported as printed.
 *
 * GUP faults the page in when nothing maps @addr, so read the counts of
 * a page through a mapping that is already populated (an "observer"),
 * not through the one whose teardown is being checked.
 *
 * Returns 0, or -errno (-ENOENT: no dump in the log).
 */
static inline int page_refs_read(void *addr, struct page_refs *r)
{
	struct gup_test gup = {
		.addr = (uintptr_t)addr & ~(SZ_4K - 1),
		.size = SZ_4K,
		.nr_pages_per_call = 1,
		.which_pages = { 1 },
	};
	char rec[8192], *msg;
	int gfd, kfd, got = 0, ret = 0;

	memset(r, 0, sizeof(*r));
	gfd = open(GUP_TEST_FILE, O_RDWR);
	if (gfd < 0)
		return -errno;
	kfd = kmsg_watch_start();	/* only records from now on */
	if (kfd < 0) {
		ret = -errno;
		close(gfd);
		return ret;
	}
	if (ioctl(gfd, DUMP_USER_PAGES_TEST, &gup))
		ret = -errno;
	else if (gup.size != SZ_4K)
		ret = -EFAULT;		/* GUP did not take the page */
	close(gfd);
	while (!ret && (msg = kmsg_watch_next(kfd, rec, sizeof(rec)))) {
		if (!got && sscanf(msg, "page: refcount:%d mapcount:%d",
				   &r->refcount, &r->mapcount) == 2) {
			char *pfn = strstr(msg, " pfn:");

			if (pfn)
				r->pfn = strtoul(pfn + 5, NULL, 16);
			got = 1;
		} else if (got && sscanf(msg,
			   "head: order:%d mapcount:%d entire_mapcount:%d nr_pages_mapped:%*d pincount:%d",
			   &r->order, &r->folio_mapcount, &r->entire_mapcount,
			   &r->pincount) == 4) {
			continue;
		} else if (got && strstr(msg, "flags: 0x")) {
			r->head_hwpoison = !!strstr(msg, "hwpoison");
		} else if (got && !strncmp(msg, "page dumped because:", 20)) {
			break;		/* the dump's last line */
		}
	}
	close(kfd);
	if (!ret && !got)
		ret = -ENOENT;
	r->refcount--;			/* the dump's own reference */
	return ret;
}

/*
 * The counts a DAX page should show with @maps page table mappings (PTE,
 * PMD or PUD: one each), on the kernel that is running:
 *
 *                  the series (refcounted)   the base kernel (legacy)
 *   device DAX     refcount 1 + maps         refcount 1
 *                  mapcount maps             mapcount 0
 *   FS DAX         refcount maps             refcount 1
 *                  mapcount maps             mapcount 0
 *
 * Device DAX pages keep the driver's reference of 1 (DESIGN.md,
 * invariant 3); an FS DAX page is idle at 0 on the series and at 1 on
 * the base kernel, where devmap entries take no reference and no rmap.
 */
struct dax_expect {
	int refcount;
	int maps;
};

static inline struct dax_expect devdax_expected(int maps)
{
	if (dax_pages_refcounted())
		return (struct dax_expect){ 1 + maps, maps };
	return (struct dax_expect){ 1, 0 };
}

static inline struct dax_expect fsdax_expected(int maps)
{
	if (dax_pages_refcounted())
		return (struct dax_expect){ maps, maps };
	return (struct dax_expect){ 1, 0 };
}

static inline const char *dax_model_name(void)
{
	return dax_pages_refcounted() ? "refcounted (series)" : "legacy (base)";
}

/*
 * EXPECT_PAGE_REFS(addr, expect, what): the page at @addr has the
 * expected refcount and number of mappings; @what names the step in the
 * log. With @huge set (a PMD or PUD maps the folio whole), every mapping
 * of a refcounted folio must be an entire one.
 */
#define EXPECT_PAGE_REFS(addr, expect, huge, what) do {			\
	struct page_refs __r;							\
	struct dax_expect __e = (expect);					\
	int __rc = page_refs_read(addr, &__r);					\
									\
	ASSERT_EQ(__rc, 0) TH_LOG("%s: reading the counts: %s", what,		\
				  strerror(-__rc));				\
	EXPECT_EQ(__r.refcount, __e.refcount)					\
		TH_LOG("%s: refcount %d, want %d (%s kernel; pfn %#lx order %d)",	\
		       what, __r.refcount, __e.refcount, dax_model_name(),	\
		       __r.pfn, __r.order);					\
	EXPECT_EQ(page_refs_maps(&__r), __e.maps)				\
		TH_LOG("%s: mapcount %d (page %d, entire %d), want %d (%s kernel)", \
		       what, page_refs_maps(&__r), __r.mapcount,		\
		       __r.entire_mapcount, __e.maps, dax_model_name());	\
	if ((huge) && __r.order)						\
		EXPECT_EQ(__r.entire_mapcount, __e.maps)			\
			TH_LOG("%s: entire_mapcount %d, want %d", what,		\
			       __r.entire_mapcount, __e.maps);			\
	EXPECT_EQ(__r.pincount, 0) TH_LOG("%s: pincount %d", what,		\
					  __r.pincount);			\
} while (0)

/*
 * rmap counters: nr_mapped in pages, nr_file_pmdmapped in PMD-sized
 * units (/proc/vmstat prints the THP counters that way). stat_refresh folds the per-CPU deltas in (so
 * the figures are exact) and logs "vmstat_refresh: NAME -N" for every
 * counter below zero, which the runner's splat check catches.
 */
struct rmap_counts {
	long nr_mapped;		/* file pages mapped at least once */
	long nr_file_pmdmapped;	/* PMD-sized file folios mapped by a PMD */
};

static inline long vmstat_read(const char *name)
{
	char line[128], key[64];
	long v, val = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", key, &v) == 2 && !strcmp(key, name)) {
			val = v;
			break;
		}
	fclose(f);
	return val;
}

/*
 * Faults on this process's own text and libraries map page cache pages
 * and move nr_mapped. Populating every mapping that exists before the
 * DAX ones are made (mlockall, then munlockall, which leaves the pages
 * mapped) keeps those faults out of the figures.
 */
static inline void rmap_quiesce(void)
{
	if (!mlockall(MCL_CURRENT))
		munlockall();
}

static inline int rmap_snapshot(struct rmap_counts *c)
{
	if (write_str("/proc/sys/vm/stat_refresh", "1"))
		return -1;
	c->nr_mapped = vmstat_read("nr_mapped");
	c->nr_file_pmdmapped = vmstat_read("nr_file_pmdmapped");
	return c->nr_mapped < 0 || c->nr_file_pmdmapped < 0 ? -1 : 0;
}

/*
 * The rise a mapping of @len bytes fully populated by entries of @entry
 * bytes should cause: the series adds file rmap for every DAX mapping
 * (PMD-sized entries also count as PMD-mapped; PUD-sized ones do not);
 * the base kernel adds none.
 */
static inline struct rmap_counts rmap_expected_rise(size_t len, size_t entry)
{
	struct rmap_counts c = { 0, 0 };

	if (dax_pages_refcounted()) {
		c.nr_mapped = len / SZ_4K;
		c.nr_file_pmdmapped = entry == SZ_2M ? len / SZ_2M : 0;
	}
	return c;
}

#define EXPECT_RMAP_DELTA(before, after, want, what) do {			\
	EXPECT_EQ((after).nr_mapped - (before).nr_mapped, (want).nr_mapped)	\
		TH_LOG("%s: nr_mapped moved by %ld pages, want %ld (%s kernel)", \
		       what, (after).nr_mapped - (before).nr_mapped,		\
		       (want).nr_mapped, dax_model_name());			\
	EXPECT_EQ((after).nr_file_pmdmapped - (before).nr_file_pmdmapped,	\
		  (want).nr_file_pmdmapped)					\
		TH_LOG("%s: nr_file_pmdmapped moved by %ld PMDs, want %ld (%s kernel)", \
		       what, (after).nr_file_pmdmapped - (before).nr_file_pmdmapped, \
		       (want).nr_file_pmdmapped, dax_model_name());		\
} while (0)

/*
 * probe_access(addr, write): touch @addr from this process and return 0
 * when the access completed, or the signal (SIGSEGV, SIGBUS) it raised.
 * A write stores the byte that is already there, so a probe that goes
 * through changes nothing. Unlike access_signal(), which forks, this
 * tests the page tables of the process that owns the mapping.
 */
static inline sigjmp_buf *probe_jmp(void)
{
	static sigjmp_buf jmp;

	return &jmp;
}

static inline void probe_handler(int sig)
{
	siglongjmp(*probe_jmp(), sig);
}

static inline int probe_access(volatile uint8_t *addr, int write)
{
	struct sigaction sa = { .sa_handler = probe_handler }, old_segv, old_bus;
	volatile int sig;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	sig = sigsetjmp(*probe_jmp(), 1);
	if (!sig) {
		uint8_t v = *addr;

		if (write)
			*addr = v;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return sig;
}

#endif /* PAGE_REFS_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Memory failure of one 4K page of a 4K-aligned device-DAX mapping
 * (MADV_HWPOISON, root only) stays page-sized, also where the series
 * keeps the page in a PMD folio (PGMAP_PMD_FOLIOS):
 *  - the process gets SIGBUS with BUS_MCEERR_AR, si_addr the poisoned
 *    page's address and si_addr_lsb 12;
 *  - only that page is unmapped: its neighbours stay mapped with their
 *    data, and the folio's counts drop by exactly that one mapping;
 *  - the flag lands on that page, not on its folio's head;
 *  - one MADV_HWPOISON over several pages of a folio poisons and unmaps
 *    each of them, not only the first (the call must step by the page
 *    that memory failure acts on, not by the folio).
 *
 * The poison stays in the struct page until the device is unbound, so
 * this runs late (before devdax_unbind_while_mapped), on a page of the
 * device's last PMD stretch.
 */
#include <signal.h>
#include "lib/dax_test.h"
#include "lib/page_refs.h"

#define STRETCH_PAGES	(SZ_2M / SZ_4K)
#define MAPPED_PAGES	4
#define POISONED	1	/* the page of the mapping to poison */
/* several pages in one call, past those of the first test */
#define SPAN_MAPPED	8
#define SPAN_FIRST	4
#define SPAN_PAGES	3

static volatile sig_atomic_t bus_signals, bus_code, bus_lsb;
static void *volatile bus_addr;

static void on_sigbus(int sig, siginfo_t *info, void *uc)
{
	bus_signals++;
	bus_code = info->si_code;
	bus_addr = info->si_addr;
	bus_lsb = info->si_addr_lsb;
}

FIXTURE(devdax) {
	struct devdax dax;
	off_t off;		/* device offset of the last PMD stretch */
	unsigned long pfn;
};

FIXTURE_SETUP(devdax)
{
	struct page_refs r;
	uint8_t *whole;
	int rc;

	rc = devdax_open(&self->dax, ENV_DEVDAX_4K, SZ_4K);
	if (rc > 0)
		SKIP(return, "%s not set", ENV_DEVDAX_4K);
	ASSERT_EQ(rc, 0) TH_LOG("%s: %s", self->dax.path, strerror(errno));
	if (getuid())
		SKIP(return, "MADV_HWPOISON needs root");
	if (access(GUP_TEST_FILE, R_OK | W_OK))
		SKIP(return, "%s: %s (CONFIG_GUP_TEST, debugfs, root)",
		     GUP_TEST_FILE, strerror(errno));
	if (self->dax.size < 2 * SZ_2M)
		SKIP(return, "%s is smaller than two PMD stretches", self->dax.path);

	/* Back from the last 2 MiB to the start of its physical stretch. */
	whole = devdax_map(&self->dax, self->dax.size, PROT_READ);
	ASSERT_NE(whole, MAP_FAILED);
	self->off = (off_t)self->dax.size - SZ_2M;
	ASSERT_EQ(page_refs_read(whole + self->off, &r), 0);
	self->off -= (off_t)(r.pfn % STRETCH_PAGES) * SZ_4K;
	ASSERT_EQ(page_refs_read(whole + self->off, &r), 0);
	self->pfn = r.pfn;
	ASSERT_EQ(munmap(whole, self->dax.size), 0);
	if (dax_pages_refcounted() &&
	    (self->pfn % STRETCH_PAGES || !devdax_holds_pmd_stretch(&self->dax, self->pfn)))
		SKIP(return, "no PMD stretch of %s near its end (pfn %#lx)",
		     self->dax.path, self->pfn);
}

FIXTURE_TEARDOWN(devdax)
{
	devdax_close(&self->dax);
}

/*
 * Map @len from the start of the fixture's PMD stretch, fill its pages
 * @first to @last with their patterns and catch SIGBUS from here on.
 */
static uint8_t *map_filled(FIXTURE_DATA(devdax) *self, size_t len,
			   int first, int last)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	uint8_t *m;

	m = mmap_aligned(len, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->dax.fd, self->off);
	if (m == MAP_FAILED)
		return m;
	for (int i = first; i <= last; i++)
		fill_pattern(m + i * SZ_4K, SZ_4K, 77 + i);
	if (sigaction(SIGBUS, &sa, NULL)) {
		munmap(m, len);
		return MAP_FAILED;
	}
	return m;
}

TEST_F(devdax, one_page_of_a_folio_is_poisoned_alone)
{
	int order = devdax_4k_folio_order(&self->dax, self->pfn);
	size_t len = MAPPED_PAGES * SZ_4K;
	uint8_t *bad, *m;
	struct page_refs r;
	struct dax_expect e;

	m = map_filled(self, len, 0, MAPPED_PAGES - 1);
	ASSERT_NE(m, MAP_FAILED) TH_LOG("%s: %s", self->dax.path, strerror(errno));
	bad = m + POISONED * SZ_4K;

	ASSERT_EQ(madvise(bad, SZ_4K, MADV_HWPOISON), 0)
		TH_LOG("MADV_HWPOISON: %s", strerror(errno));
	ASSERT_EQ(bus_signals, 1) TH_LOG("SIGBUS delivered %d times", bus_signals);
	EXPECT_EQ(bus_code, BUS_MCEERR_AR);
	EXPECT_EQ(bus_addr, (void *)bad)
		TH_LOG("si_addr %p, the poisoned page is at %p", bus_addr, bad);
	EXPECT_EQ(bus_lsb, 12) TH_LOG("si_addr_lsb %d: not page-sized", bus_lsb);

	/* only the poisoned page was unmapped */
	EXPECT_EQ(mapped_page_size(bad, NULL), 0);
	for (int i = 0; i < MAPPED_PAGES; i++) {
		if (i == POISONED)
			continue;
		EXPECT_EQ(mapped_page_size(m + i * SZ_4K, NULL), (long)SZ_4K)
			TH_LOG("page %d of the mapping is gone", i);
		EXPECT_EQ(check_pattern(m + i * SZ_4K, SZ_4K, 77 + i), -1)
			TH_LOG("page %d lost its data", i);
	}

	/* the folio lost that one mapping; its head shows no poison */
	ASSERT_EQ(page_refs_read(m, &r), 0);
	EXPECT_EQ(r.pfn, self->pfn);
	EXPECT_EQ(r.order, order) TH_LOG("order %d, want %d (%s kernel)", r.order,
					 order, dax_model_name());
	e = devdax_expected(order ? MAPPED_PAGES - 1 : 1);
	EXPECT_EQ(r.refcount, e.refcount)
		TH_LOG("refcount %d, want %d (%s kernel)", r.refcount, e.refcount,
		       dax_model_name());
	EXPECT_EQ(page_refs_maps(&r), e.maps);
	EXPECT_EQ(r.head_hwpoison, 0) TH_LOG("the folio's head was marked poisoned");
	ASSERT_EQ(munmap(m, len), 0);
}

TEST_F(devdax, pages_poisoned_in_one_call_are_each_poisoned)
{
	int order = devdax_4k_folio_order(&self->dax, self->pfn);
	size_t len = SPAN_MAPPED * SZ_4K;
	uint8_t *bad, *m;
	struct page_refs r;
	struct dax_expect e;

	m = map_filled(self, len, SPAN_FIRST - 1, SPAN_FIRST + SPAN_PAGES);
	ASSERT_NE(m, MAP_FAILED) TH_LOG("%s: %s", self->dax.path, strerror(errno));
	bad = m + SPAN_FIRST * SZ_4K;

	ASSERT_EQ(madvise(bad, SPAN_PAGES * SZ_4K, MADV_HWPOISON), 0)
		TH_LOG("MADV_HWPOISON: %s", strerror(errno));
	/* one SIGBUS pending at a time: the later ones merge into it */
	ASSERT_GE(bus_signals, 1);
	EXPECT_EQ(bus_addr, (void *)bad)
		TH_LOG("si_addr %p, the first poisoned page is at %p", bus_addr, bad);
	EXPECT_EQ(bus_lsb, 12) TH_LOG("si_addr_lsb %d: not page-sized", bus_lsb);

	for (int i = SPAN_FIRST; i < SPAN_FIRST + SPAN_PAGES; i++) {
		EXPECT_EQ(mapped_page_size(m + i * SZ_4K, NULL), 0)
			TH_LOG("page %d of the %d poisoned in one call is still mapped",
			       i - SPAN_FIRST, SPAN_PAGES);
	}
	/* the pages on either side keep their mappings and data */
	for (int i = SPAN_FIRST - 1; i <= SPAN_FIRST + SPAN_PAGES; i += SPAN_PAGES + 1) {
		EXPECT_EQ(mapped_page_size(m + i * SZ_4K, NULL), (long)SZ_4K)
			TH_LOG("page %d of the mapping is gone", i);
		EXPECT_EQ(check_pattern(m + i * SZ_4K, SZ_4K, 77 + i), -1)
			TH_LOG("page %d lost its data", i);
	}

	/* the folio lost exactly the poisoned pages' mappings */
	ASSERT_EQ(page_refs_read(m + (SPAN_FIRST - 1) * SZ_4K, &r), 0);
	EXPECT_EQ(r.order, order);
	e = devdax_expected(order ? 2 : 1);
	EXPECT_EQ(r.refcount, e.refcount)
		TH_LOG("refcount %d, want %d (%s kernel)", r.refcount, e.refcount,
		       dax_model_name());
	EXPECT_EQ(r.head_hwpoison, 0) TH_LOG("the folio's head was marked poisoned");
	ASSERT_EQ(munmap(m, len), 0);
}

TEST_HARNESS_MAIN

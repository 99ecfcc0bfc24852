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
 * kernel. On the series a 4K device keeps its pages in PMD folios, so
 * where both units are pages of one folio, each shows the references of
 * both (struct refs_audit). This program runs before devdax_unbind_while_mapped and
 * devdax_reconfigure_system_ram, which recreate the struct pages (and
 * with them reset any leaked count).
 */
#include "lib/dax_test.h"
#include "lib/page_refs.h"
#include "lib/refs_round_trips.h"
#include "lib/io_uring_pin.h"

FIXTURE(devdax) {
	struct devdax dax;
	struct refs_audit a;
};
DEVDAX_VARIANTS(devdax);

static uint8_t *devdax_audit_map(const struct refs_audit *a)
{
	return devdax_map((struct devdax *)a->backing, a->len,
			  PROT_READ | PROT_WRITE);
}

/*
 * A 4K device under the series: both units are pages of one PMD folio
 * when their stretch lies in the device (devdax_4k_folio_order()), which
 * changes what the folio's counts show (struct refs_audit).
 */
static void devdax_audit_find_folio(struct __test_metadata *_metadata,
				    struct refs_audit *a, const struct devdax *d)
{
	struct page_refs first, second;

	ASSERT_EQ(page_refs_read(a->obs, &first), 0);
	ASSERT_EQ(page_refs_read(a->obs + a->unit, &second), 0);
	a->order = devdax_4k_folio_order(d, first.pfn);
	EXPECT_EQ(first.order, a->order) TH_LOG("pfn %#lx", first.pfn);
	a->one_folio = a->order && first.pfn >> a->order == second.pfn >> a->order;
	TH_LOG("units at pfn %#lx and %#lx: %s", first.pfn, second.pfn,
	       a->one_folio ? "pages of one PMD folio" : "folios of their own");
}

FIXTURE_SETUP(devdax)
{
	struct refs_audit *a = &self->a;

	a->obs = MAP_FAILED;
	DEVDAX_SETUP(&self->dax, variant);
	if (access(GUP_TEST_FILE, R_OK | W_OK))
		SKIP(return, "%s: %s (CONFIG_GUP_TEST, debugfs, root)",
		     GUP_TEST_FILE, strerror(errno));
	a->unit = self->dax.align;
	a->len = 2 * a->unit;
	a->huge = a->unit > SZ_4K;
	a->map = devdax_audit_map;
	a->expected = devdax_expected;
	a->backing = &self->dax;
	if (a->len > self->dax.size)
		SKIP(return, "%s holds one %zu-byte unit, the audit needs two",
		     self->dax.path, a->unit);
	a->obs = audit_map_touched(a);
	ASSERT_NE(a->obs, MAP_FAILED);
	ASSERT_EQ(mapped_page_size(a->obs, NULL), (long)a->unit)
		TH_LOG("the observer is not mapped by %zu-byte entries", a->unit);
	if (!a->huge)
		devdax_audit_find_folio(_metadata, a, &self->dax);
}

FIXTURE_TEARDOWN(devdax)
{
	if (self->a.obs != MAP_FAILED)
		munmap(self->a.obs, self->a.len);
	devdax_close(&self->dax);
}

REFS_ROUND_TRIP_TESTS(devdax)

TEST_F(devdax, unmapped_page_returns_to_the_driver_reference)
{
	struct refs_audit *a = &self->a;

	/* unmap everything, then count a fresh mapping: nothing leaked */
	ASSERT_EQ(munmap(a->obs, a->len), 0);
	a->obs = audit_map_touched(a);
	ASSERT_NE(a->obs, MAP_FAILED);
	EXPECT_UNITS(a, 1, "remapped after the last munmap");
}

TEST_F(devdax, mremap_moves_the_references)
{
	if (self->a.unit == SZ_1G && !dax_base_bugs_fixed())
		SKIP(return, "the base kernel clears a moved 1G PUD as \"bad pud\" "
		     "(mm/mremap.c get_old_pud(); fixed by the series' mremap fix)");
	rt_mremap_moves_the_references(_metadata, &self->a);
}

TEST_F(devdax, read_then_write)
{
	rt_read_then_write(_metadata, &self->a, 0);
}

TEST_F(devdax, io_uring_pin_round_trip)
{
	struct io_uring_params params = { 0 };
	struct refs_audit *a = &self->a;
	struct iovec iov = { a->obs, SZ_4K };
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
	 * reference and one pincount. The same on both kernels. A folio of
	 * both units also counts the other unit's mapping.
	 */
	if (a->one_folio)
		e.refcount += 1;
	ASSERT_EQ(page_refs_read(a->obs, &r), 0);
	if (r.order) {
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
	EXPECT_UNITS(a, 1, "after the pin is released");
	close(ring);
}

TEST_HARNESS_MAIN

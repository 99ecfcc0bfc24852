// SPDX-License-Identifier: GPL-2.0
/*
 * mremap() moves a device-DAX mapping to a new aligned address with its
 * data, the old range is gone afterwards, and growing a mapping in place
 * past its end is refused rather than silently mapping the wrong pages.
 */
#include <signal.h>
#include "lib/dax_test.h"
#include "lib/page_refs.h"

FIXTURE(devdax) { struct devdax dax; };
DEVDAX_VARIANTS(devdax);
FIXTURE_SETUP(devdax) { DEVDAX_SETUP(&self->dax, variant); }
FIXTURE_TEARDOWN(devdax) { devdax_close(&self->dax); }

TEST_F(devdax, move_keeps_data)
{
	size_t len = devdax_test_len(&self->dax);
	uint8_t *p, *target, *q;

	/*
	 * The base kernel's get_old_pud() runs pud_none_or_clear_bad() on
	 * a huge PUD: it logs "bad pud" and drops the mapping (the data
	 * survives, the page is faulted in again). The splat check would
	 * fail the run on a bug the series fixes first.
	 */
	if (self->dax.align == SZ_1G && !dax_base_bugs_fixed())
		SKIP(return, "the base kernel clears a moved 1G PUD as \"bad pud\" "
		     "(mm/mremap.c get_old_pud(); fixed by the series' mremap fix)");
	p = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, len, 61);

	/* an aligned, reserved destination */
	target = mmap_aligned(len, self->dax.align, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(target, MAP_FAILED);
	q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	ASSERT_EQ(q, target) TH_LOG("mremap: %s", strerror(errno));

	EXPECT_EQ(check_pattern(q, len, 61), -1);
	EXPECT_EQ(probe_access(p, 0), SIGSEGV);
	fill_pattern(q, len, 62);
	ASSERT_EQ(munmap(q, len), 0);

	/* the moved mapping wrote through to the device */
	p = devdax_map(&self->dax, len, PROT_READ);
	ASSERT_NE(p, MAP_FAILED);
	EXPECT_EQ(check_pattern(p, len, 62), -1);
	ASSERT_EQ(munmap(p, len), 0);
}

TEST_F(devdax, shrink_keeps_head)
{
	size_t len = devdax_test_len(&self->dax), unit = self->dax.align;
	uint8_t *p, *q;

	if (len < 2 * unit)
		SKIP(return, "device holds only one unit");
	p = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, len, 63);
	q = mremap(p, len, unit, 0);
	ASSERT_EQ(q, p) TH_LOG("mremap shrink: %s", strerror(errno));
	EXPECT_EQ(check_pattern(q, unit, 63), -1);
	EXPECT_EQ(probe_access(p + unit, 0), SIGSEGV);
	ASSERT_EQ(munmap(q, unit), 0);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * mprotect() on a populated device-DAX mapping changes the entries that
 * are already there, at every alignment: a write to a read-only mapping
 * raises SIGSEGV in the process that owns it and changes nothing, the
 * entries stay present at their size with write access gone, and making
 * the mapping writable again lets writes through.
 *
 * The probes run in the owning process (probe_access()): a forked child
 * of a shared mapping has no page table entries of its own and would
 * fault afresh, which passes even when mprotect() never changed the
 * parent's entries.
 */
#include "lib/dax_test.h"
#include "lib/page_refs.h"

FIXTURE(devdax) { struct devdax dax; };
DEVDAX_VARIANTS(devdax);
FIXTURE_SETUP(devdax) { DEVDAX_SETUP(&self->dax, variant); }
FIXTURE_TEARDOWN(devdax) { devdax_close(&self->dax); }

TEST_F(devdax, read_only_then_writable_again)
{
	size_t len = devdax_test_len(&self->dax);
	uint8_t *p;
	int rw = -1;

	p = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, len, 71);

	EXPECT_EQ(mapped_page_size(p + len / 2, &rw), (long)self->dax.align);
	EXPECT_EQ(rw, 1) TH_LOG("written, yet the entry is read-only");

	ASSERT_EQ(mprotect(p, len, PROT_READ), 0);
	/* the populated entry itself lost write access */
	EXPECT_EQ(mapped_page_size(p + len / 2, &rw), (long)self->dax.align)
		TH_LOG("mprotect dropped or resized the entry");
	EXPECT_EQ(rw, 0) TH_LOG("the entry is still writable after PROT_READ");
	EXPECT_EQ(probe_access(p + len / 2, 1), SIGSEGV);
	EXPECT_EQ(probe_access(p + len / 2, 0), 0);
	EXPECT_EQ(check_pattern(p, len, 71), -1);

	ASSERT_EQ(mprotect(p, len, PROT_READ | PROT_WRITE), 0);
	EXPECT_EQ(probe_access(p + len / 2, 1), 0);
	fill_pattern(p, len, 72);
	EXPECT_EQ(check_pattern(p, len, 72), -1);
	EXPECT_EQ(mapped_page_size(p + len / 2, &rw), (long)self->dax.align);
	EXPECT_EQ(rw, 1);

	ASSERT_EQ(mprotect(p, len, PROT_NONE), 0);
	EXPECT_EQ(probe_access(p, 0), SIGSEGV);
	EXPECT_EQ(probe_access(p + len - 1, 1), SIGSEGV);
	/* PROT_NONE entries are not present to the hardware */
	EXPECT_EQ(mapped_page_size(p, NULL), 0);
	/*
	 * Not at 1G: x86's pud_present() ignores _PAGE_PROTNONE, so
	 * changing a PROT_NONE PUD warns in pudp_invalidate() on the base
	 * kernel and the series alike (change_huge_pud()).
	 */
	if (self->dax.align != SZ_1G) {
		ASSERT_EQ(mprotect(p, len, PROT_READ), 0);
		EXPECT_EQ(check_pattern(p, len, 72), -1);
	}
	ASSERT_EQ(munmap(p, len), 0);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * The running kernel follows the DAX reference-count model that the
 * harness meant to boot (DAX_EXPECT_MODEL: "refcounted" for the series,
 * "legacy" for the base kernel), as the suite's probe
 * dax_pages_refcounted() sees it. Every expectation that differs
 * between the two kernels is keyed on that probe, so the runner runs
 * this first and stops when it fails.
 */
#include "lib/dax_test.h"

TEST(probe_agrees_with_the_booted_kernel)
{
	const char *want = dax_env("DAX_EXPECT_MODEL");
	const char *have = dax_pages_refcounted() ? "refcounted" : "legacy";

	ASSERT_GE(kernel_has_symbol(OLD_DAX_REFCOUNT_SYMBOL), 0)
		TH_LOG("/proc/kallsyms: %s", strerror(errno));
	if (!want)
		SKIP(return, "DAX_EXPECT_MODEL not set; this kernel: %s", have);
	ASSERT_TRUE(!strcmp(want, "refcounted") || !strcmp(want, "legacy"))
		TH_LOG("DAX_EXPECT_MODEL=%s: want refcounted or legacy", want);
	EXPECT_STREQ(have, want)
		TH_LOG("booted a %s kernel, the harness expected %s "
		       "(%s is %s in kallsyms)", have, want,
		       OLD_DAX_REFCOUNT_SYMBOL,
		       dax_pages_refcounted() ? "absent" : "present");
	TH_LOG("kernel model: %s", have);
}

TEST_HARNESS_MAIN

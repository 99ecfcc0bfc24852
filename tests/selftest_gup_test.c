// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's own gup_test (tools/testing/selftests/mm), pointed at a
 * shared device-DAX mapping and at a shared FS DAX file: GUP and pin,
 * slow and fast, take every page. A long-term pin takes every page of
 * device DAX and none of an FS DAX file (gup_test reports the pin as
 * "truncated (size: 0)").
 */
#include "lib/dax_test.h"
#include "lib/gup_test_run.h"

#define SIZE_MB		4

FIXTURE(gup) { char path[256]; struct fsdax_file f; };
FIXTURE_VARIANT(gup) { const char *env; int devdax; size_t align; };
FIXTURE_VARIANT_ADD(gup, devdax_4k) { .env = ENV_DEVDAX_4K, .devdax = 1, .align = SZ_4K };
FIXTURE_VARIANT_ADD(gup, devdax_2m) { .env = ENV_DEVDAX_2M, .devdax = 1, .align = SZ_2M };
FIXTURE_VARIANT_ADD(gup, ext4) { .env = ENV_EXT4_DIR };
FIXTURE_VARIANT_ADD(gup, xfs) { .env = ENV_XFS_DIR };

FIXTURE_SETUP(gup)
{
	self->f.fd = -1;
	if (variant->devdax) {
		struct devdax d;
		int rc = devdax_open(&d, variant->env, variant->align);

		if (rc > 0)
			SKIP(return, "%s not set", variant->env);
		ASSERT_EQ(rc, 0);
		devdax_close(&d);
		snprintf(self->path, sizeof(self->path), "%s", d.path);
	} else {
		FSDAX_SETUP(&self->f, variant, "gup_test", SIZE_MB << 20);
		snprintf(self->path, sizeof(self->path), "%s", self->f.path);
	}
}

FIXTURE_TEARDOWN(gup) { fsdax_file_close(&self->f); }

/*
 * gup_test reports "ok 1 # SKIP reason" (exit status 0) when it cannot
 * run, for instance without /sys/kernel/debug/gup_test. That is a skip
 * of this case, with gup_test's reason, not a pass.
 */
static void skip_if_gup_test_skipped(struct __test_metadata *_metadata,
				     const char *args, const char *out)
{
	const char *skip = strstr(out, "# SKIP");

	if (skip) {
		int n = strcspn(skip, "\n");

		SKIP(return, "gup_test %s skipped: %.*s", args, n, skip);
	}
}

#define GUP_TEST_SKIPPED() do {						\
	if (_metadata->exit_code == KSFT_SKIP)				\
		return;							\
} while (0)

static void expect_all_pages(struct __test_metadata *_metadata,
			     const char *args, const char *path)
{
	char out[4096] = "";

	ASSERT_EQ(run_gup_test(args, SIZE_MB, path, out, sizeof(out)), 0) TH_LOG("%s", out);
	skip_if_gup_test_skipped(_metadata, args, out);
	GUP_TEST_SKIPPED();
	EXPECT_NE(strstr(out, "\nok 1"), NULL) TH_LOG("gup_test %s: %s", args, out);
	EXPECT_EQ(strstr(out, "runcated"), NULL) TH_LOG("gup_test %s: %s", args, out);
}

TEST_F(gup, gup_basic) { expect_all_pages(_metadata, "-U", self->path); }
TEST_F(gup, pin_basic) { expect_all_pages(_metadata, "-b", self->path); }
TEST_F(gup, gup_fast) { expect_all_pages(_metadata, "-u -r 2", self->path); }
TEST_F(gup, pin_fast) { expect_all_pages(_metadata, "-a -r 2", self->path); }

TEST_F(gup, pin_longterm)
{
	char out[4096] = "";

	if (variant->devdax) {
		expect_all_pages(_metadata, "-L -r 1", self->path);
		return;
	}
	ASSERT_EQ(run_gup_test("-L -r 1", SIZE_MB, self->path, out, sizeof(out)), 0);
	skip_if_gup_test_skipped(_metadata, "-L -r 1", out);
	GUP_TEST_SKIPPED();
	EXPECT_NE(strstr(out, "truncated (size: 0)"), NULL)
		TH_LOG("FS DAX was pinned long-term: %s", out);
}

TEST_HARNESS_MAIN

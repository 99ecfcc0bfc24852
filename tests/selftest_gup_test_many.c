// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's own gup_test, taking many pages per call (-n 512, and
 * -m 1024 -n 512 on the 1G device), read-only (-W), faulting the pages
 * in from GUP itself (-z, get_user_pages*() only) and from several
 * threads at once (-j), takes every page of a shared device-DAX mapping
 * (4K, 2M, 1G) and of a shared FS DAX file (ext4, xfs), and leaves no
 * reference or pin behind: a fresh mapping afterwards counts exactly one
 * mapping (lib/page_refs.h).
 */
#include "lib/dax_test.h"
#include "lib/gup_test_run.h"
#include "lib/page_refs.h"

FIXTURE(gup) {
	char path[256];
	struct fsdax_file f;
	struct devdax d;
	int mb;
};
FIXTURE_VARIANT(gup) { const char *env; int devdax; size_t align; int mb; };
FIXTURE_VARIANT_ADD(gup, devdax_4k) {
	.env = ENV_DEVDAX_4K, .devdax = 1, .align = SZ_4K, .mb = 4 };
FIXTURE_VARIANT_ADD(gup, devdax_2m) {
	.env = ENV_DEVDAX_2M, .devdax = 1, .align = SZ_2M, .mb = 4 };
FIXTURE_VARIANT_ADD(gup, devdax_1g) {
	.env = ENV_DEVDAX_1G, .devdax = 1, .align = SZ_1G, .mb = 1024 };
FIXTURE_VARIANT_ADD(gup, ext4) { .env = ENV_EXT4_DIR, .mb = 4 };
FIXTURE_VARIANT_ADD(gup, xfs) { .env = ENV_XFS_DIR, .mb = 4 };

FIXTURE_SETUP(gup)
{
	self->f.fd = -1;
	self->d.fd = -1;
	self->mb = variant->mb;
	if (access(GUP_TEST_FILE, R_OK | W_OK))
		SKIP(return, "%s: %s (CONFIG_GUP_TEST, debugfs, root)",
		     GUP_TEST_FILE, strerror(errno));
	if (variant->devdax) {
		int rc = devdax_open(&self->d, variant->env, variant->align);

		if (rc > 0)
			SKIP(return, "%s not set", variant->env);
		ASSERT_EQ(rc, 0) TH_LOG("%s: %s", variant->env, strerror(errno));
		snprintf(self->path, sizeof(self->path), "%s", self->d.path);
	} else {
		FSDAX_SETUP(&self->f, variant, "gup_test_many", (off_t)self->mb << 20);
		snprintf(self->path, sizeof(self->path), "%s", self->f.path);
	}
}

FIXTURE_TEARDOWN(gup)
{
	devdax_close(&self->d);
	fsdax_file_close(&self->f);
}

/*
 * After gup_test has exited, map the range again and read the counts of
 * its first and last page: one mapping each, no pin.
 */
static void expect_nothing_left(struct __test_metadata *_metadata,
				FIXTURE_DATA(gup) *self,
				const FIXTURE_VARIANT(gup) *variant,
				const char *what)
{
	size_t len = (size_t)self->mb << 20;
	size_t align = variant->devdax ? variant->align : SZ_2M;
	int fd = variant->devdax ? self->d.fd : self->f.fd;
	uint8_t *m = mmap_aligned(len, align < SZ_2M ? SZ_2M : align,
				  PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	struct dax_expect e = variant->devdax ? devdax_expected(1) :
						fsdax_expected(1);
	int huge = variant->devdax ? variant->align > SZ_4K : 0;

	ASSERT_NE(m, MAP_FAILED) TH_LOG("%s: mmap: %s", what, strerror(errno));
	((volatile uint8_t *)m)[0] = ((volatile uint8_t *)m)[0];
	((volatile uint8_t *)m)[len - 1] = ((volatile uint8_t *)m)[len - 1];
	if (!variant->devdax)
		huge = mapped_page_size(m, NULL) > (long)SZ_4K;
	EXPECT_PAGE_REFS(m, e, huge, what);
	EXPECT_PAGE_REFS(m + len - 1, e, huge, what);
	munmap(m, len);
}

/*
 * gup_test passes when every thread's ioctl succeeded ("# Totals:
 * pass:N fail:0") and no call was truncated; its "# SKIP" is a skip.
 */
static void expect_all_pages(struct __test_metadata *_metadata,
			     FIXTURE_DATA(gup) *self,
			     const FIXTURE_VARIANT(gup) *variant,
			     const char *args, int threads)
{
	char out[8192] = "", totals[64];
	const char *skip;

	ASSERT_EQ(run_gup_test(args, self->mb, self->path, out, sizeof(out)), 0)
		TH_LOG("gup_test %s: %s", args, out);
	skip = strstr(out, "# SKIP");
	if (skip) {
		int n = strcspn(skip, "\n");

		SKIP(return, "gup_test %s skipped: %.*s", args, n, skip);
	}
	snprintf(totals, sizeof(totals), "# Totals: pass:%d fail:0", threads);
	EXPECT_NE(strstr(out, totals), NULL) TH_LOG("gup_test %s: %s", args, out);
	EXPECT_EQ(strstr(out, "not ok"), NULL) TH_LOG("gup_test %s: %s", args, out);
	EXPECT_EQ(strstr(out, "runcated"), NULL) TH_LOG("gup_test %s: %s", args, out);
	expect_nothing_left(_metadata, self, variant, args);
}

/*
 * -z hands the kernel gup_test's own FOLL_TOUCH (0x02), which in this
 * tree's kernel is FOLL_GET: harmless for get_user_pages*(), which set
 * it anyway, but a pin with it warns in is_valid_gup_args() (FOLL_PIN
 * and FOLL_GET together) and takes nothing. So -z goes with -u and -U
 * only.
 */
TEST_F(gup, gup_fast_512_per_call) { expect_all_pages(_metadata, self, variant, "-u -n 512", 1); }
TEST_F(gup, pin_fast_512_per_call) { expect_all_pages(_metadata, self, variant, "-a -n 512", 1); }
TEST_F(gup, gup_basic_512_per_call) { expect_all_pages(_metadata, self, variant, "-U -n 512", 1); }
TEST_F(gup, pin_basic_512_per_call) { expect_all_pages(_metadata, self, variant, "-b -n 512", 1); }
TEST_F(gup, gup_fast_read_only) { expect_all_pages(_metadata, self, variant, "-u -W -n 512", 1); }
TEST_F(gup, pin_fast_read_only) { expect_all_pages(_metadata, self, variant, "-a -W -n 512", 1); }
TEST_F(gup, gup_fast_faults_in) { expect_all_pages(_metadata, self, variant, "-z -u -n 512", 1); }
TEST_F(gup, gup_basic_faults_in) { expect_all_pages(_metadata, self, variant, "-z -U -n 512", 1); }
TEST_F(gup, gup_fast_faults_in_read_only) { expect_all_pages(_metadata, self, variant, "-z -u -W -n 512", 1); }
TEST_F(gup, pin_fast_four_threads) { expect_all_pages(_metadata, self, variant, "-j 4 -a -n 512 -r 2", 4); }
TEST_F(gup, gup_fast_four_threads_faults_in) { expect_all_pages(_metadata, self, variant, "-j 4 -z -u -n 64", 4); }

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Truncating an FS DAX file that is mapped makes later access past the
 * new end raise SIGBUS, and growing it again shows zeros, not the old
 * bytes. Punching a hole in a mapped file makes that range read as
 * zeros at once while the rest of the mapping keeps its data.
 */
#include <signal.h>
#include <linux/falloc.h>
#include "lib/dax_test.h"
#include "lib/page_refs.h"

#define FILE_LEN	(4 * SZ_2M)

FIXTURE(fsdax) { struct fsdax_file f; uint8_t *p; };
FSDAX_VARIANTS_AND_EXT2(fsdax);
FIXTURE_SETUP(fsdax)
{
	self->p = MAP_FAILED;
	FSDAX_SETUP(&self->f, variant, "trunc_mapped", FILE_LEN);
	self->p = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE,
			       MAP_SHARED, self->f.fd, 0);
	ASSERT_NE(self->p, MAP_FAILED);
	fill_pattern(self->p, FILE_LEN, 33);
}
FIXTURE_TEARDOWN(fsdax)
{
	if (self->p != MAP_FAILED)
		munmap(self->p, FILE_LEN);
	fsdax_file_close(&self->f);
}

TEST_F(fsdax, truncate_gives_sigbus_then_zeros)
{
	/* cut in the middle of a PMD, so a huge entry has to be split */
	size_t keep = SZ_2M + 5 * SZ_4K;

	ASSERT_EQ(ftruncate(self->f.fd, keep), 0);
	EXPECT_EQ(check_pattern(self->p, keep, 33), -1);
	EXPECT_EQ(probe_access(self->p + keep, 0), SIGBUS);
	EXPECT_EQ(probe_access(self->p + 3 * SZ_2M, 1), SIGBUS);

	ASSERT_EQ(ftruncate(self->f.fd, FILE_LEN), 0);
	EXPECT_TRUE(is_zero(self->p + keep, FILE_LEN - keep))
		TH_LOG("old data visible after truncate and extend");
	EXPECT_EQ(check_pattern(self->p, keep, 33), -1);
}

TEST_F(fsdax, punch_hole_reads_zeros_and_keeps_the_rest)
{
	off_t off = SZ_2M, len = SZ_2M + 3 * SZ_4K;
	int rc = fallocate(self->f.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			   off, len);

	if (rc && errno == EOPNOTSUPP && !strcmp(variant->env, ENV_EXT2_DIR))
		SKIP(return, "ext2 has no hole punch (fallocate: EOPNOTSUPP)");
	ASSERT_EQ(rc, 0) TH_LOG("fallocate: %s", strerror(errno));
	EXPECT_TRUE(is_zero(self->p + off, len))
		TH_LOG("stale data in the punched range");
	EXPECT_EQ(check_pattern(self->p, off, 33), -1);
	for (size_t i = off + len; i < FILE_LEN; i += 4093)
		ASSERT_EQ(self->p[i], pattern_byte(i, 33));
	/* the hole can be written again through the same mapping */
	memset(self->p + off, 0x42, SZ_4K);
	EXPECT_EQ(self->p[off + SZ_4K - 1], 0x42);
}

TEST_HARNESS_MAIN

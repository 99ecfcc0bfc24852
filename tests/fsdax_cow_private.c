// SPDX-License-Identifier: GPL-2.0
/*
 * A MAP_PRIVATE mapping of an FS DAX file copies on write: the writer
 * sees its own bytes, the file and a shared mapping of it keep theirs,
 * and pages the writer never touched keep following the file.
 */
#include "lib/dax_test.h"

#define FILE_LEN	(2 * SZ_2M)

FIXTURE(fsdax) { struct fsdax_file f; };
FSDAX_VARIANTS(fsdax);
FIXTURE_SETUP(fsdax) { FSDAX_SETUP(&self->f, variant, "cow", FILE_LEN); }
FIXTURE_TEARDOWN(fsdax) { fsdax_file_close(&self->f); }

TEST_F(fsdax, private_write_does_not_reach_file)
{
	uint8_t *shared, *priv, buf[SZ_4K];

	shared = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE,
			      MAP_SHARED, self->f.fd, 0);
	ASSERT_NE(shared, MAP_FAILED);
	fill_pattern(shared, FILE_LEN, 21);

	priv = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE, self->f.fd, 0);
	ASSERT_NE(priv, MAP_FAILED);
	EXPECT_EQ(check_pattern(priv, FILE_LEN, 21), -1);	/* read faults */

	memset(priv + SZ_2M, 0xee, SZ_4K);			/* COW one page */
	EXPECT_EQ(priv[SZ_2M], 0xee);
	EXPECT_EQ(shared[SZ_2M], pattern_byte(SZ_2M, 21));
	ASSERT_EQ(pread(self->f.fd, buf, SZ_4K, SZ_2M), SZ_4K);
	EXPECT_EQ(buf[0], pattern_byte(SZ_2M, 21));

	/* untouched private pages still show later file changes */
	shared[3 * SZ_4K] = 0x11;
	EXPECT_EQ(priv[3 * SZ_4K], 0x11);
	/* the copied page does not */
	shared[SZ_2M] = 0x22;
	EXPECT_EQ(priv[SZ_2M], 0xee);

	ASSERT_EQ(munmap(priv, FILE_LEN), 0);
	ASSERT_EQ(munmap(shared, FILE_LEN), 0);
}

TEST_F(fsdax, private_mapping_survives_fork)
{
	uint8_t *priv;
	int status;
	pid_t pid;

	priv = mmap(NULL, FILE_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		    self->f.fd, 0);
	ASSERT_NE(priv, MAP_FAILED);
	fill_pattern(priv, FILE_LEN, 22);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int ok = check_pattern(priv, FILE_LEN, 22) == -1;

		fill_pattern(priv, FILE_LEN, 23);	/* child's own copy */
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_EQ(status, 0);
	EXPECT_EQ(check_pattern(priv, FILE_LEN, 22), -1);
	ASSERT_EQ(munmap(priv, FILE_LEN), 0);
}

TEST_HARNESS_MAIN

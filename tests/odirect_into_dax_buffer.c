// SPDX-License-Identifier: GPL-2.0
/*
 * O_DIRECT I/O to a block device pins the user buffer with GUP. With the
 * buffer itself a DAX mapping (device DAX, or an FS DAX file), a read
 * lands the device's bytes in the DAX memory and a write sends the DAX
 * bytes to the device.
 */
#include "lib/dax_test.h"

#define IO_LEN	SZ_2M

FIXTURE(odirect)
{
	int blk;		/* O_DIRECT source and sink */
	int dax;		/* what backs the user buffer */
	char path[256];		/* set when the buffer is an FS DAX file */
	uint8_t *buf;
};

FIXTURE_VARIANT(odirect)
{
	const char *env;
	int is_devdax;
};

FIXTURE_VARIANT_ADD(odirect, devdax_2m) { .env = ENV_DEVDAX_2M, .is_devdax = 1 };
FIXTURE_VARIANT_ADD(odirect, ext4) { .env = ENV_EXT4_DIR };
FIXTURE_VARIANT_ADD(odirect, xfs) { .env = ENV_XFS_DIR };

FIXTURE_SETUP(odirect)
{
	const char *blk = dax_env(ENV_BLOCKDEV), *where = dax_env(variant->env);

	self->blk = self->dax = -1;
	self->buf = MAP_FAILED;
	if (!blk || !where)
		SKIP(return, "%s or %s not set", ENV_BLOCKDEV, variant->env);
	self->blk = open(blk, O_RDWR | O_DIRECT);
	ASSERT_GE(self->blk, 0) TH_LOG("%s: %s", blk, strerror(errno));

	if (variant->is_devdax) {
		self->dax = open(where, O_RDWR);
	} else {
		snprintf(self->path, sizeof(self->path), "%s/odirect.%d",
			 where, getpid());
		self->dax = open(self->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		ASSERT_GE(self->dax, 0);
		ASSERT_TRUE(fd_is_dax(self->dax));
		ASSERT_EQ(fallocate(self->dax, 0, 0, IO_LEN), 0);
	}
	ASSERT_GE(self->dax, 0) TH_LOG("%s: %s", where, strerror(errno));
	self->buf = mmap_aligned(IO_LEN, SZ_2M, PROT_READ | PROT_WRITE,
				 MAP_SHARED, self->dax, 0);
	ASSERT_NE(self->buf, MAP_FAILED) TH_LOG("mmap: %s", strerror(errno));
}

FIXTURE_TEARDOWN(odirect)
{
	if (self->buf != MAP_FAILED)
		munmap(self->buf, IO_LEN);
	if (self->dax >= 0)
		close(self->dax);
	if (self->path[0])
		unlink(self->path);
	if (self->blk >= 0)
		close(self->blk);
}

TEST_F(odirect, read_into_dax_buffer)
{
	void *src;

	ASSERT_EQ(posix_memalign(&src, SZ_4K, IO_LEN), 0);
	fill_pattern(src, IO_LEN, 11);
	ASSERT_EQ(pwrite(self->blk, src, IO_LEN, 0), IO_LEN);
	free(src);

	memset(self->buf, 0, IO_LEN);
	ASSERT_EQ(pread(self->blk, self->buf, IO_LEN, 0), IO_LEN)
		TH_LOG("O_DIRECT read: %s", strerror(errno));
	EXPECT_EQ(check_pattern(self->buf, IO_LEN, 11), -1);
}

TEST_F(odirect, write_from_dax_buffer)
{
	void *back;

	fill_pattern(self->buf, IO_LEN, 23);
	ASSERT_EQ(pwrite(self->blk, self->buf, IO_LEN, SZ_2M), IO_LEN)
		TH_LOG("O_DIRECT write: %s", strerror(errno));

	ASSERT_EQ(posix_memalign(&back, SZ_4K, IO_LEN), 0);
	ASSERT_EQ(pread(self->blk, back, IO_LEN, SZ_2M), IO_LEN);
	EXPECT_EQ(check_pattern(back, IO_LEN, 23), -1);
	free(back);
}

TEST_HARNESS_MAIN

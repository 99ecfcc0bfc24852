// SPDX-License-Identifier: GPL-2.0
/*
 * O_DIRECT I/O to a block device pins the user buffer with GUP. With the
 * buffer itself a DAX mapping (device DAX at 4K, 2M and 1G alignment,
 * or an FS DAX file on ext4 or xfs), a read
 * lands the device's bytes in the DAX memory and a write sends the DAX
 * bytes to the device.
 */
#include "lib/dax_test.h"

#define IO_LEN	SZ_2M

FIXTURE(odirect)
{
	int blk;		/* O_DIRECT source and sink */
	struct devdax dax;	/* the buffer's backing: device DAX ... */
	struct fsdax_file f;	/* ... or an FS DAX file */
	uint8_t *buf;
	size_t maplen;
};

FIXTURE_VARIANT(odirect)
{
	const char *env;
	size_t devdax_align;	/* 0 for FS DAX */
};

FIXTURE_VARIANT_ADD(odirect, devdax_4k) { .env = ENV_DEVDAX_4K, .devdax_align = SZ_4K };
FIXTURE_VARIANT_ADD(odirect, devdax_2m) { .env = ENV_DEVDAX_2M, .devdax_align = SZ_2M };
FIXTURE_VARIANT_ADD(odirect, devdax_1g) { .env = ENV_DEVDAX_1G, .devdax_align = SZ_1G };
FIXTURE_VARIANT_ADD(odirect, ext4) { .env = ENV_EXT4_DIR };
FIXTURE_VARIANT_ADD(odirect, xfs) { .env = ENV_XFS_DIR };

FIXTURE_SETUP(odirect)
{
	const char *blk = dax_env(ENV_BLOCKDEV);
	int rc;

	self->blk = self->dax.fd = self->f.fd = -1;
	self->buf = MAP_FAILED;
	if (!blk)
		SKIP(return, "%s not set", ENV_BLOCKDEV);
	if (variant->devdax_align) {
		rc = devdax_open(&self->dax, variant->env, variant->devdax_align);
		self->maplen = rc ? 0 : devdax_test_len(&self->dax);
	} else {
		rc = fsdax_file_open(&self->f, variant->env, "odirect", IO_LEN);
		self->maplen = IO_LEN;
	}
	if (rc > 0)
		SKIP(return, "%s not set", variant->env);
	ASSERT_EQ(rc, 0) TH_LOG("%s: %s", variant->env, strerror(errno));
	self->blk = open(blk, O_RDWR | O_DIRECT);
	ASSERT_GE(self->blk, 0) TH_LOG("%s: %s", blk, strerror(errno));
	self->buf = mmap_aligned(self->maplen, variant->devdax_align ?: SZ_2M,
				 PROT_READ | PROT_WRITE, MAP_SHARED,
				 variant->devdax_align ? self->dax.fd : self->f.fd, 0);
	ASSERT_NE(self->buf, MAP_FAILED) TH_LOG("mmap: %s", strerror(errno));
}

FIXTURE_TEARDOWN(odirect)
{
	if (self->buf != MAP_FAILED)
		munmap(self->buf, self->maplen);
	devdax_close(&self->dax);
	fsdax_file_close(&self->f);
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

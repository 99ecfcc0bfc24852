// SPDX-License-Identifier: GPL-2.0
/*
 * Data written through a 2 MiB aligned device-DAX mapping is what a new
 * mapping of the same device reads back, across the whole device.
 */
#include "lib/dax_test.h"

FIXTURE(devdax)
{
	const char *dev;
	int fd;
	size_t len;
};

FIXTURE_SETUP(devdax)
{
	self->dev = dax_env(ENV_DEVDAX_2M);
	if (!self->dev)
		SKIP(return, "%s not set: no 2M device-DAX instance", ENV_DEVDAX_2M);
	self->fd = open(self->dev, O_RDWR);
	ASSERT_GE(self->fd, 0) TH_LOG("open %s: %s", self->dev, strerror(errno));
	ASSERT_EQ(devdax_align(self->dev), (long)SZ_2M);
	self->len = devdax_size(self->dev);
	ASSERT_GE(self->len, SZ_2M);
	self->len &= ~(SZ_2M - 1);
}

FIXTURE_TEARDOWN(devdax)
{
	if (self->dev)
		close(self->fd);
}

TEST_F(devdax, write_then_read_back_in_new_mapping)
{
	uint8_t *p;

	p = mmap_aligned(self->len, SZ_2M, PROT_READ | PROT_WRITE,
			 MAP_SHARED, self->fd, 0);
	ASSERT_NE(p, MAP_FAILED) TH_LOG("mmap: %s", strerror(errno));
	fill_pattern(p, self->len, 7);
	ASSERT_EQ(munmap(p, self->len), 0);

	p = mmap_aligned(self->len, SZ_2M, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(p, MAP_FAILED);
	EXPECT_EQ(check_pattern(p, self->len, 7), -1);
	ASSERT_EQ(munmap(p, self->len), 0);
}

TEST_F(devdax, unaligned_mapping_is_refused)
{
	void *p = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED, self->fd, 0);

	/* device DAX refuses a mapping smaller than its alignment */
	EXPECT_EQ(p, MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
}

TEST_HARNESS_MAIN

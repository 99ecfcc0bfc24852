// SPDX-License-Identifier: GPL-2.0
/*
 * P2PDMA memory, the other ZONE_DEVICE user whose pages the series
 * changes to start at refcount 0: the controller memory buffer of
 * QEMU's NVMe controller, which the nvme driver publishes and
 * /sys/bus/pci/devices/BDF/p2pmem/allocate hands to userspace. Each
 * page goes back to the pool when its last reference is put, so the
 * pool's "available" is a leak counter: it falls by exactly the mapped
 * size and returns exactly to where it was after munmap, after a fork
 * (which copies the PTEs of a VM_MIXEDMAP mapping, and with them the
 * references) and after a partial munmap. An O_DIRECT read from the
 * NVMe namespace into the buffer lands the data in the buffer.
 */
#include "lib/dax_test.h"

#define ENV_P2PMEM	"DAX_P2PMEM"	/* /sys/bus/pci/devices/BDF/p2pmem */
#define ENV_NVME	"DAX_NVME"	/* the namespace of that controller */
#define BUF_LEN		(1UL << 20)

FIXTURE(p2p) { char allocate[300], available[300]; long start; };

FIXTURE_SETUP(p2p)
{
	const char *dir = dax_env(ENV_P2PMEM);

	if (!dir)
		SKIP(return, "%s not set", ENV_P2PMEM);
	snprintf(self->allocate, sizeof(self->allocate), "%s/allocate", dir);
	snprintf(self->available, sizeof(self->available), "%s/available", dir);
	self->start = read_long_file(self->available);
	ASSERT_GE(self->start, (long)(2 * BUF_LEN)) TH_LOG("%s", self->available);
}

FIXTURE_TEARDOWN(p2p) { }

static uint8_t *map_p2pmem(const char *allocate, size_t len)
{
	int fd = open(allocate, O_RDWR);
	void *p;

	if (fd < 0)
		return MAP_FAILED;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p;
}

#define EXPECT_AVAILABLE(self, want, what)					\
	EXPECT_EQ(read_long_file((self)->available), (want))			\
		TH_LOG("p2pmem available %s (started at %ld)", what, (self)->start)

TEST_F(p2p, every_page_returns_to_the_pool_after_munmap)
{
	for (int round = 0; round < 32; round++) {
		uint8_t *p = map_p2pmem(self->allocate, BUF_LEN);

		ASSERT_NE(p, MAP_FAILED) TH_LOG("mmap %s: %s", self->allocate,
						strerror(errno));
		EXPECT_AVAILABLE(self, self->start - (long)BUF_LEN, "while mapped");
		fill_pattern(p, BUF_LEN, round);
		ASSERT_EQ(check_pattern(p, BUF_LEN, round), -1) TH_LOG("round %d", round);
		ASSERT_EQ(munmap(p, BUF_LEN), 0);
		ASSERT_EQ(read_long_file(self->available), self->start)
			TH_LOG("round %d: pages did not return to the pool", round);
	}
}

TEST_F(p2p, partial_munmap_returns_exactly_the_unmapped_pages)
{
	uint8_t *p = map_p2pmem(self->allocate, BUF_LEN);

	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, BUF_LEN, 3);
	ASSERT_EQ(munmap(p + BUF_LEN / 4, BUF_LEN / 2), 0);
	EXPECT_AVAILABLE(self, self->start - (long)BUF_LEN / 2, "after unmapping half");
	EXPECT_EQ(check_pattern(p, BUF_LEN / 4, 3), -1);
	ASSERT_EQ(munmap(p, BUF_LEN / 4), 0);
	ASSERT_EQ(munmap(p + 3 * BUF_LEN / 4, BUF_LEN / 4), 0);
	EXPECT_AVAILABLE(self, self->start, "after the last munmap");
}

TEST_F(p2p, fork_shares_the_pages_and_the_child_puts_its_references)
{
	uint8_t *p = map_p2pmem(self->allocate, BUF_LEN);
	int status;
	pid_t pid;

	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, BUF_LEN, 7);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (check_pattern(p, BUF_LEN, 7) != -1)
			_exit(2);
		memset(p, 0x5a, BUF_LEN / 2);
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child saw other data (status 0x%x)", status);
	EXPECT_EQ(p[0], 0x5a);
	EXPECT_EQ(p[BUF_LEN / 2 - 1], 0x5a) TH_LOG("the child's write is lost");
	for (size_t i = BUF_LEN / 2; i < BUF_LEN; i += 4093)
		ASSERT_EQ(p[i], pattern_byte(i, 7)) TH_LOG("the half the child left alone changed");
	EXPECT_AVAILABLE(self, self->start - (long)BUF_LEN, "after the child exited");
	ASSERT_EQ(munmap(p, BUF_LEN), 0);
	EXPECT_AVAILABLE(self, self->start, "after munmap");
}

TEST_F(p2p, odirect_read_from_nvme_lands_in_the_buffer)
{
	const char *dev = dax_env(ENV_NVME);
	uint8_t *p, *src;
	int fd;

	if (!dev)
		SKIP(return, "%s not set", ENV_NVME);
	fd = open(dev, O_RDWR | O_DIRECT);
	ASSERT_GE(fd, 0) TH_LOG("%s: %s", dev, strerror(errno));
	ASSERT_EQ(posix_memalign((void **)&src, SZ_4K, BUF_LEN), 0);
	fill_pattern(src, BUF_LEN, 11);
	ASSERT_EQ(pwrite(fd, src, BUF_LEN, 0), (ssize_t)BUF_LEN)
		TH_LOG("write %s: %s", dev, strerror(errno));
	free(src);

	p = map_p2pmem(self->allocate, BUF_LEN);
	ASSERT_NE(p, MAP_FAILED);
	memset(p, 0, BUF_LEN);
	/* the block layer pins the buffer with FOLL_PCI_P2PDMA */
	EXPECT_EQ(pread(fd, p, BUF_LEN, 0), (ssize_t)BUF_LEN)
		TH_LOG("O_DIRECT read into p2pmem: %s", strerror(errno));
	EXPECT_EQ(check_pattern(p, BUF_LEN, 11), -1);
	close(fd);
	ASSERT_EQ(munmap(p, BUF_LEN), 0);
	EXPECT_AVAILABLE(self, self->start, "after the read and munmap");
}

TEST_HARNESS_MAIN

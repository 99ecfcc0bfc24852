// SPDX-License-Identifier: GPL-2.0
/*
 * A write through a MAP_SHARED mapping of a block device reaches the
 * device, also when the buffer it lands in was written and cleaned on its
 * own in between while the folio stayed dirty and the entry writable: the
 * dirty bit that unmap finds must dirty that buffer again.
 *
 * The buffer is cleaned from the kernel side by an ext2 with 1K blocks
 * mounted on the same device: fsync() of a file whose inode changed
 * writes the inode table block alone (sync_dirty_buffer()). The test
 * writes into the unused tail of that file's 256-byte on-disk inode,
 * which ext2 never writes from its in-core inode, so the bytes read back
 * from the device are the mapping's. The base kernel and the series
 * agree: the second write is on the device.
 *
 * Needs root, DAX_BLOCKDEV (the brd ram disk, a plain block device) and
 * CONFIG_BLK_DEV_WRITE_MOUNTED.
 */
#include <sys/mount.h>
#include "lib/dax_test.h"

#define BLK		1024
#define INODE_SIZE	256
#define TAIL_OFF	200	/* inside the inode, past what ext2 writes */

static uint32_t le32_at(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Read one 1K block of @dev straight from the device. */
static int read_block_direct(const char *dev, off_t block, uint8_t *out)
{
	void *buf;
	int fd, rc = -1;

	if (posix_memalign(&buf, 4096, 4096))
		return -1;
	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd >= 0) {
		off_t at = block * BLK & ~(off_t)4095;

		if (pread(fd, buf, 4096, at) == 4096) {
			memcpy(out, (uint8_t *)buf + (block * BLK - at), BLK);
			rc = 0;
		}
		close(fd);
	}
	free(buf);
	return rc;
}

/* The byte offset of inode @ino's record on the device. */
static off_t inode_offset(const char *dev, unsigned long ino)
{
	uint8_t sb[BLK], gd[BLK];
	uint32_t per_group, first, group, table;

	if (read_block_direct(dev, 1, sb))
		return -1;
	per_group = le32_at(sb + 40);
	first = le32_at(sb + 20);
	if (!per_group || le32_at(sb + 24) != 0)	/* 1K blocks */
		return -1;
	group = (ino - 1) / per_group;
	if (group >= BLK / 32 || read_block_direct(dev, first + 1, gd))
		return -1;
	table = le32_at(gd + group * 32 + 8);
	return (off_t)table * BLK + (off_t)((ino - 1) % per_group) * INODE_SIZE;
}

FIXTURE(ext2_1k)
{
	const char *dev;
	char dir[64];
	int mounted;
};

FIXTURE_SETUP(ext2_1k)
{
	char cmd[256], out[512];

	self->mounted = 0;
	self->dev = dax_env("DAX_BLOCKDEV");
	if (getuid())
		SKIP(return, "mkfs and mount need root");
	if (!self->dev)
		SKIP(return, "DAX_BLOCKDEV not set");
	snprintf(cmd, sizeof(cmd), "mkfs.ext2 -q -F -b %d -I %d %s 16M 2>&1",
		 BLK, INODE_SIZE, self->dev);
	ASSERT_EQ(run_cmd(cmd, out, sizeof(out)), 0) TH_LOG("%s: %s", cmd, out);
	snprintf(self->dir, sizeof(self->dir), "/run/bdev-dirty.%d", getpid());
	ASSERT_EQ(mkdir(self->dir, 0700), 0);
	ASSERT_EQ(mount(self->dev, self->dir, "ext2", 0, NULL), 0)
		TH_LOG("mount %s: %s", self->dev, strerror(errno));
	self->mounted = 1;
}

FIXTURE_TEARDOWN(ext2_1k)
{
	if (self->mounted && umount(self->dir))
		fprintf(stderr, "# umount %s: %s\n", self->dir, strerror(errno));
	if (self->dir[0])
		rmdir(self->dir);
}

TEST_F(ext2_1k, write_after_buffer_cleaned_reaches_device)
{
	static const char first[8] = "FIRST-1", second[8] = "SECOND2";
	uint8_t block[BLK];
	char path[128];
	struct stat st;
	off_t at, page;
	uint8_t *map;
	int fd, dev;

	snprintf(path, sizeof(path), "%s/file", self->dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(fsync(fd), 0);
	ASSERT_EQ(fstat(fd, &st), 0);
	at = inode_offset(self->dev, st.st_ino);
	ASSERT_GT(at, 0) TH_LOG("no ext2 with 1K blocks on %s", self->dev);
	at += TAIL_OFF;
	page = at & ~(off_t)4095;

	dev = open(self->dev, O_RDWR);
	ASSERT_GE(dev, 0) TH_LOG("open %s while mounted: %s (CONFIG_BLK_DEV_WRITE_MOUNTED?)",
				 self->dev, strerror(errno));
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, dev, page);
	ASSERT_NE(map, MAP_FAILED);

	/* dirties the folio and all four of its buffers */
	memcpy(map + (at - page), first, sizeof(first));
	/* ext2 writes the inode table block alone, and that buffer is clean */
	ASSERT_EQ(fchmod(fd, 0640), 0);
	ASSERT_EQ(fsync(fd), 0);
	/*
	 * Not read back here: an O_DIRECT read writes the page back first,
	 * which write-protects the entry and would hide what is tested.
	 */

	/* no fault: the entry is still writable */
	memcpy(map + (at - page), second, sizeof(second));
	ASSERT_EQ(munmap(map, 4096), 0);
	ASSERT_EQ(fsync(dev), 0);
	ASSERT_EQ(read_block_direct(self->dev, at / BLK, block), 0);
	EXPECT_EQ(memcmp(block + at % BLK, second, sizeof(second)), 0)
		TH_LOG("the device holds \"%.7s\": the write made after the buffer was cleaned is lost",
		       (char *)block + at % BLK);
	close(dev);
	close(fd);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Evicting an FS DAX inode waits for its pinned pages: with an O_DIRECT
 * read into the file's mapping held back, the mapping gone and the file
 * closed, unlinking the file (which evicts the inode) does not return
 * until the read has finished and let go, and then it succeeds.
 *
 * Base kernel: skipped. It frees the blocks of the evicted inode while
 * the read still targets them and warns in dax_disassociate_entry(). The
 * series waits, uninterruptibly, in dax_break_layout_final().
 */
#include "lib/dax_test.h"
#include "lib/fuse_stall.h"

#define FILE_LEN	SZ_2M
#define IO_LEN		(256 * 1024UL)
#define BLOCKED_MS	500

struct async_call {
	pthread_t thread;
	int fd;
	void *buf;
	const char *path;
	long ret;
	int err;
	int done;
};

static void *direct_read(void *arg)
{
	struct async_call *c = arg;

	c->ret = pread(c->fd, c->buf, IO_LEN, 0);
	c->err = errno;
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *unlink_file(void *arg)
{
	struct async_call *c = arg;

	c->ret = unlink(c->path);
	c->err = errno;
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

FIXTURE(evict)
{
	struct fsdax_file f;
	struct fuse_stall fs;
	int fuse_fd;
	uint8_t *p;
};

FSDAX_VARIANTS(evict);

FIXTURE_SETUP(evict)
{
	self->fuse_fd = -1;
	self->p = MAP_FAILED;
	if (!dax_waits_for_pins_at_eviction())
		SKIP(return, "base kernel: frees the blocks of an evicted inode under a pin");
	FSDAX_SETUP(&self->f, variant, "evict_pinned", FILE_LEN);
	ASSERT_EQ(fuse_stall_start(&self->fs), 0) TH_LOG("FUSE server");
	self->fuse_fd = open(self->fs.file, O_RDONLY | O_DIRECT);
	ASSERT_GE(self->fuse_fd, 0) TH_LOG("%s: %s", self->fs.file, strerror(errno));
	self->p = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE,
			       MAP_SHARED, self->f.fd, 0);
	ASSERT_NE(self->p, MAP_FAILED);
	fill_pattern(self->p, FILE_LEN, 5);
}

FIXTURE_TEARDOWN(evict)
{
	if (self->p != MAP_FAILED)
		munmap(self->p, FILE_LEN);
	if (self->fuse_fd >= 0) {
		close(self->fuse_fd);
		fuse_stall_stop(&self->fs);
	}
	fsdax_file_close(&self->f);
}

TEST_F_TIMEOUT(evict, eviction_waits_for_pinned_page, 60)
{
	struct async_call rd = { .fd = self->fuse_fd, .buf = self->p };
	struct async_call ul = { .path = self->f.path };

	ASSERT_EQ(pthread_create(&rd.thread, NULL, direct_read, &rd), 0);
	fuse_stall_wait_for_reads(&self->fs, 1);	/* the page is pinned */

	/* drop every reference to the inode but the name */
	ASSERT_EQ(munmap(self->p, FILE_LEN), 0);
	self->p = MAP_FAILED;
	ASSERT_EQ(close(self->f.fd), 0);
	self->f.fd = -1;

	ASSERT_EQ(pthread_create(&ul.thread, NULL, unlink_file, &ul), 0);
	usleep(BLOCKED_MS * 1000);
	EXPECT_FALSE(__atomic_load_n(&ul.done, __ATOMIC_ACQUIRE))
		TH_LOG("the inode was evicted while its page was still pinned");

	fuse_stall_release(&self->fs);
	pthread_join(rd.thread, NULL);
	pthread_join(ul.thread, NULL);
	EXPECT_EQ(rd.ret, IO_LEN) TH_LOG("O_DIRECT read: %s", strerror(rd.err));
	EXPECT_EQ(ul.ret, 0) TH_LOG("unlink: %s", strerror(ul.err));
	if (ul.ret == 0)
		self->f.path[0] = 0;
}

TEST_HARNESS_MAIN

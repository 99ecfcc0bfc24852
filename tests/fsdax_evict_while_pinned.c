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
#include "lib/pinned_file.h"
#include "lib/bounded_call.h"

#define FILE_LEN	SZ_2M
#define IO_LEN		(256 * 1024UL)
#define BLOCKED_MS	5000	/* time to fall asleep, under a busy TCG host */

FIXTURE(evict)
{
	struct pinned_file pf;
};

FSDAX_VARIANTS_AND_EXT2(evict);

FIXTURE_SETUP(evict)
{
	if (!dax_waits_for_pins_at_eviction())
		SKIP(return, "base kernel: frees the blocks of an evicted inode under a pin");
	pinned_file_setup(_metadata, &self->pf, variant->env, "evict_pinned",
			  FILE_LEN, 5);
}

FIXTURE_TEARDOWN(evict)
{
	pinned_file_teardown(&self->pf);
}

TEST_F(evict, eviction_waits_for_pinned_page)
{
	struct async_call rd = { .fd = self->pf.fuse_fd, .buf = self->pf.p,
				 .len = IO_LEN };
	struct bounded_call ul = { .fn = call_unlink, .path = self->pf.f.path };

	ASSERT_EQ(pthread_create(&rd.thread, NULL, direct_read, &rd), 0);
	fuse_stall_wait_for_reads(&self->pf.fs, 1);	/* the page is pinned */

	/* drop every reference to the inode but the name */
	ASSERT_EQ(munmap(self->pf.p, FILE_LEN), 0);
	self->pf.p = MAP_FAILED;
	ASSERT_EQ(close(self->pf.f.fd), 0);
	self->pf.f.fd = -1;

	ASSERT_EQ(bounded_call_start(&ul), 0);
	EXPECT_TRUE(bounded_call_sleeps(&ul, BLOCKED_MS))
		TH_LOG("unlink did not wait in the kernel while the page was pinned%s",
		       bounded_call_done(&ul) ? ": it returned" : "");

	fuse_stall_release(&self->pf.fs);
	pthread_join(rd.thread, NULL);
	if (!bounded_call_wait(&ul, 0))
		pthread_join(ul.thread, NULL);
	EXPECT_EQ(rd.ret, IO_LEN) TH_LOG("O_DIRECT read: %s", strerror(rd.err));
	EXPECT_EQ(ul.ret, 0) TH_LOG("unlink: %s", strerror(ul.err));
	if (ul.ret == 0)
		self->pf.f.path[0] = 0;
}

TEST_HARNESS_MAIN

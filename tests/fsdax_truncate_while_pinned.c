// SPDX-License-Identifier: GPL-2.0
/*
 * Truncating an FS DAX file waits while an O_DIRECT read still has one
 * of its pages pinned as the read's buffer (the truncating thread is
 * seen asleep in the kernel), completes once the read has finished
 * and let go, and leaves no stale data behind: the truncated range
 * reads as zeros when the file grows again. A page that is pinned
 * but already unmapped counts as busy too, also once nothing maps the
 * file at all (base kernel: skipped, since it frees the blocks under
 * the pin and warns; the series waits). A signal interrupts the
 * wait: the truncate fails with EINTR (its handler has no SA_RESTART),
 * the file keeps its size and its data, and a later truncate succeeds.
 *
 * The pin comes from a direct-I/O read of a FUSE file whose server holds
 * the answer back (lib/fuse_stall.h), so the test controls how long it
 * lasts without relying on timing.
 */
#include "lib/pinned_file.h"
#include "lib/bounded_call.h"

#define FILE_LEN	(2 * SZ_2M)
#define IO_LEN		(256 * 1024UL)
#define BLOCKED_MS	5000	/* time to fall asleep, under a busy TCG host */
#define SIGNAL_MS	5000

static void note_signal(int sig)
{
}

/* Wait for @c to return, and join it (not joined before). */
static void bounded_call_join(struct bounded_call *c)
{
	if (!bounded_call_wait(c, 0))
		pthread_join(c->thread, NULL);
}

FIXTURE(pinned)
{
	struct pinned_file pf;
};

FSDAX_VARIANTS_AND_EXT2(pinned);

FIXTURE_SETUP(pinned)
{
	/* The series' ext2 patch makes ext2 wait, as ext4 and xfs do. */
	if (!strcmp(variant->env, ENV_EXT2_DIR) && !dax_waits_for_unmapped_pins())
		SKIP(return, "base kernel: ext2 truncates a pinned page's blocks (WARN in dax_disassociate_entry)");
	pinned_file_setup(_metadata, &self->pf, variant->env, "trunc_pinned",
			  FILE_LEN, 31);
}

FIXTURE_TEARDOWN(pinned)
{
	pinned_file_teardown(&self->pf);
}

enum unmap_before_truncate { KEEP_MAPPED, UNMAP_PINNED_HALF, UNMAP_ALL };

/* Pin [p + SZ_2M, + IO_LEN) with a held read, truncate the file to SZ_2M. */
static void truncate_over_pin(struct __test_metadata *_metadata,
			      FIXTURE_DATA(pinned) *self,
			      enum unmap_before_truncate unmap)
{
	struct async_call rd = { .fd = self->pf.fuse_fd, .buf = self->pf.p + SZ_2M,
				 .len = IO_LEN };
	struct bounded_call tr = { .fn = call_ftruncate, .fd = self->pf.f.fd,
				   .len = SZ_2M };
	uint8_t zero[SZ_4K] = { 0 }, buf[SZ_4K];
	void *kept;

	ASSERT_EQ(pthread_create(&rd.thread, NULL, direct_read, &rd), 0);
	fuse_stall_wait_for_reads(&self->pf.fs, 1);	/* the buffer is pinned */
	if (unmap == UNMAP_PINNED_HALF)
		ASSERT_EQ(munmap(self->pf.p + SZ_2M, SZ_2M), 0);
	if (unmap == UNMAP_ALL) {
		ASSERT_EQ(munmap(self->pf.p, FILE_LEN), 0);
		self->pf.p = MAP_FAILED;
	}
	ASSERT_EQ(bounded_call_start(&tr), 0);
	EXPECT_TRUE(bounded_call_sleeps(&tr, BLOCKED_MS))
		TH_LOG("truncate did not wait in the kernel while the page was pinned%s",
		       bounded_call_done(&tr) ? ": it returned" : "");

	fuse_stall_release(&self->pf.fs);
	pthread_join(rd.thread, NULL);
	bounded_call_join(&tr);
	EXPECT_EQ(rd.ret, IO_LEN) TH_LOG("O_DIRECT read: %s", strerror(rd.err));
	EXPECT_EQ(tr.ret, 0) TH_LOG("ftruncate: %s", strerror(tr.err));

	/* the part that stayed is intact; the truncated part comes back zeroed */
	kept = malloc(SZ_2M);
	ASSERT_NE(kept, NULL);
	ASSERT_EQ(pread(self->pf.f.fd, kept, SZ_2M, 0), SZ_2M);
	EXPECT_EQ(check_pattern(kept, SZ_2M, 31), -1);
	free(kept);
	ASSERT_EQ(ftruncate(self->pf.f.fd, FILE_LEN), 0);
	ASSERT_EQ(pread(self->pf.f.fd, buf, SZ_4K, SZ_2M), SZ_4K);
	EXPECT_EQ(memcmp(buf, zero, SZ_4K), 0) TH_LOG("stale data after truncate");
	if (unmap == UNMAP_PINNED_HALF) {
		munmap(self->pf.p, SZ_2M);
		self->pf.p = MAP_FAILED;
	}
}

TEST_F(pinned, truncate_waits_for_pinned_page)
{
	truncate_over_pin(_metadata, self, KEEP_MAPPED);
}

TEST_F(pinned, unmapped_but_pinned_page_is_still_busy)
{
	truncate_over_pin(_metadata, self, UNMAP_PINNED_HALF);
}

TEST_F(pinned, pinned_page_of_unmapped_file_is_still_busy)
{
	if (!dax_waits_for_unmapped_pins())
		SKIP(return, "base kernel: frees the blocks of an unmapped file under a pin");
	truncate_over_pin(_metadata, self, UNMAP_ALL);
}

TEST_F(pinned, signal_interrupts_truncate_wait)
{
	struct async_call rd = { .fd = self->pf.fuse_fd, .buf = self->pf.p + SZ_2M,
				 .len = IO_LEN };
	struct bounded_call tr = { .fn = call_ftruncate, .fd = self->pf.f.fd,
				   .len = SZ_2M };
	struct sigaction sa = { .sa_handler = note_signal };
	struct stat st;
	int interrupted;

	ASSERT_EQ(sigaction(SIGUSR1, &sa, NULL), 0);	/* no SA_RESTART */
	ASSERT_EQ(pthread_create(&rd.thread, NULL, direct_read, &rd), 0);
	fuse_stall_wait_for_reads(&self->pf.fs, 1);
	ASSERT_EQ(bounded_call_start(&tr), 0);
	EXPECT_TRUE(bounded_call_sleeps(&tr, BLOCKED_MS))
		TH_LOG("truncate did not wait in the kernel while the page was pinned%s",
		       bounded_call_done(&tr) ? ": it returned" : "");

	pthread_kill(tr.thread, SIGUSR1);
	interrupted = bounded_call_wait(&tr, SIGNAL_MS);	/* joins it */
	EXPECT_TRUE(interrupted)
		TH_LOG("truncate ignored the signal while waiting for the pin");
	fuse_stall_release(&self->pf.fs);
	pthread_join(rd.thread, NULL);
	if (!interrupted)
		bounded_call_join(&tr);
	EXPECT_EQ(rd.ret, IO_LEN) TH_LOG("O_DIRECT read: %s", strerror(rd.err));
	if (interrupted) {
		EXPECT_EQ(tr.ret, -1);
		EXPECT_EQ(tr.err, EINTR) TH_LOG("ftruncate: %s", strerror(tr.err));
		ASSERT_EQ(fstat(self->pf.f.fd, &st), 0);
		EXPECT_EQ(st.st_size, FILE_LEN) TH_LOG("interrupted truncate changed the size");
	}
	/* nothing was lost, and the truncate goes through once the pin is gone */
	EXPECT_EQ(check_pattern(self->pf.p, SZ_2M, 31), -1);
	EXPECT_EQ(check_pattern(self->pf.p + SZ_2M, IO_LEN, FUSE_STALL_SEED), -1)
		TH_LOG("the O_DIRECT read did not land in the DAX buffer");
	EXPECT_EQ(ftruncate(self->pf.f.fd, SZ_2M), 0) TH_LOG("%s", strerror(errno));
}

TEST_HARNESS_MAIN

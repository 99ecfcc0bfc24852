// SPDX-License-Identifier: GPL-2.0
/*
 * On xfs with reflink, a copy on write of one page inside a PMD entry
 * must not hide a pin on another page of that entry. Half of A's second
 * PMD is cloned into B (FICLONERANGE), so only that half is shared; a
 * page of the other half, A's alone, is pinned as an O_DIRECT read's
 * buffer; then one shared page is written through a PTE, which copies
 * it. Truncating (or punching) A's unshared half must still wait for the
 * pin, and once the pin is gone everything reads back: the copied page,
 * the rest of A, B unchanged, zeros where A was cut, and both files
 * evict without a page count left over.
 *
 * The base kernel stores the copy's PTE entry over the PMD entry (see
 * fsdax_xfs_reflink): skipped there. A kernel that empties the PMD entry
 * with the pin in it lets the truncate free the pinned page's blocks
 * without waiting: that fails here. The copy on write itself may wait
 * for the pin or not; the test only logs which.
 */
#include <linux/fs.h>
#include <sys/ioctl.h>
#include "lib/pinned_file.h"
#include "lib/bounded_call.h"

#define FILE_LEN	(2 * SZ_2M)
#define SHARED_LEN	(SZ_2M / 2)		/* cloned: [2M, 3M) */
#define CUT		(SZ_2M + SHARED_LEN)	/* A's alone: [3M, 4M) */
#define COW_OFF		(SZ_2M + 5 * SZ_4K)	/* a shared page */
#define IO_LEN		(64 * 1024UL)		/* pinned at CUT */
#define COW_MS		2000	/* time for the copy to get going */
#define BLOCKED_MS	5000	/* time to fall asleep, under a busy TCG host */
#define DONE_MS		30000	/* the copy completes once the pin is gone */
#define SEED		41

FIXTURE(neighbour)
{
	struct pinned_file pf;
	struct fsdax_file b;
};

FIXTURE_VARIANT(neighbour)
{
	long (*cut)(struct bounded_call *c);
};

/* Truncate A to CUT, or punch [CUT, FILE_LEN): both free the pinned page's blocks. */
FIXTURE_VARIANT_ADD(neighbour, truncate) { .cut = call_ftruncate };
FIXTURE_VARIANT_ADD(neighbour, punch_hole) { .cut = call_fallocate };

FIXTURE_SETUP(neighbour)
{
	self->b.fd = -1;
	self->b.path[0] = 0;
	self->pf.f.fd = -1;
	self->pf.f.path[0] = 0;
	self->pf.fuse_fd = -1;
	self->pf.p = MAP_FAILED;
	if (!dax_env(ENV_XFS_DIR))
		SKIP(return, "%s not set", ENV_XFS_DIR);
	if (!dax_base_bugs_fixed())
		SKIP(return, "base kernel: the copy stores a PTE entry over the PMD entry, and eviction hits BUG_ON(nrpages) in clear_inode()");
	pinned_file_setup(_metadata, &self->pf, ENV_XFS_DIR, "pinned_nb_a",
			  FILE_LEN, SEED);
	ASSERT_EQ(fsdax_file_open(&self->b, ENV_XFS_DIR, "pinned_nb_b", 0), 0);
}

FIXTURE_TEARDOWN(neighbour)
{
	pinned_file_teardown(&self->pf);
	fsdax_file_close(&self->b);
}

/* memset(buf, 0xcd, len): the write that copies a shared page */
static void *cow_write(void *arg)
{
	struct async_call *c = arg;

	memset(c->buf, 0xcd, c->len);
	return async_call_return(c, 0);
}

/* A's [2M, CUT) holds the pattern but for the copied page; B is unchanged. */
static void check_contents(struct __test_metadata *_metadata,
			   FIXTURE_DATA(neighbour) *self)
{
	uint8_t *buf = malloc(SHARED_LEN);
	size_t i;

	ASSERT_NE(buf, NULL);
	ASSERT_EQ(pread(self->pf.f.fd, buf, SHARED_LEN, SZ_2M), SHARED_LEN);
	for (i = 0; i < SHARED_LEN; i++) {
		off_t off = SZ_2M + i;
		uint8_t want = off >= COW_OFF && off < COW_OFF + SZ_4K ?
			       0xcd : pattern_byte(off, SEED);

		if (buf[i] != want) {
			EXPECT_EQ(buf[i], want) TH_LOG("A differs at %jd", (intmax_t)off);
			break;
		}
	}
	ASSERT_EQ(pread(self->b.fd, buf, SHARED_LEN, SZ_2M), SHARED_LEN);
	for (i = 0; i < SHARED_LEN; i++)
		if (buf[i] != pattern_byte(SZ_2M + i, SEED)) {
			EXPECT_EQ(buf[i], pattern_byte(SZ_2M + i, SEED))
				TH_LOG("the clone changed at %zu", SZ_2M + i);
			break;
		}
	free(buf);
}

TEST_F_TIMEOUT(neighbour, pin_beside_copied_page_holds_the_cut, 120)
{
	struct file_clone_range range = {
		.src_fd = self->pf.f.fd, .src_offset = SZ_2M,
		.src_length = SHARED_LEN, .dest_offset = SZ_2M,
	};
	struct async_call rd = { .fd = self->pf.fuse_fd, .buf = self->pf.p + CUT,
				 .len = IO_LEN };
	struct async_call wr = { .len = SZ_4K };
	struct bounded_call cut = { .fn = variant->cut, .fd = self->pf.f.fd,
				    .mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				    .off = CUT, .len = FILE_LEN - CUT };
	uint8_t zero[SZ_4K] = { 0 }, buf[SZ_4K];
	int copied_under_pin, written;
	uint8_t *page;

	if (variant->cut == call_ftruncate)
		cut.len = CUT;
	EXPECT_EQ(mapped_page_size(self->pf.p + SZ_2M, NULL), SZ_2M)
		TH_LOG("A's second 2M is not one PMD entry: the case is not reached");
	ASSERT_EQ(ioctl(self->b.fd, FICLONERANGE, &range), 0)
		TH_LOG("FICLONERANGE: %s", strerror(errno));

	ASSERT_EQ(pthread_create(&rd.thread, NULL, direct_read, &rd), 0);
	fuse_stall_wait_for_reads(&self->pf.fs, 1);	/* A's page at CUT is pinned */

	/* a mapping of one page can only be served by a PTE */
	page = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED,
		    self->pf.f.fd, COW_OFF);
	ASSERT_NE(page, MAP_FAILED);
	wr.buf = page;
	ASSERT_EQ(pthread_create(&wr.thread, NULL, cow_write, &wr), 0);
	copied_under_pin = async_call_wait(&wr, COW_MS);
	TH_LOG("the copy on write %s while the neighbour page was pinned",
	       copied_under_pin ? "completed" : "waited");

	ASSERT_EQ(bounded_call_start(&cut), 0);
	EXPECT_TRUE(bounded_call_sleeps(&cut, BLOCKED_MS))
		TH_LOG("the cut did not wait for the page pinned beside the copy%s",
		       bounded_call_done(&cut) ? ": it returned" : "");

	fuse_stall_release(&self->pf.fs);
	pthread_join(rd.thread, NULL);
	EXPECT_EQ(rd.ret, IO_LEN) TH_LOG("O_DIRECT read: %s", strerror(rd.err));
	EXPECT_TRUE(bounded_call_wait(&cut, DONE_MS)) TH_LOG("the cut never returned");
	EXPECT_EQ(cut.ret, 0) TH_LOG("cut: %s", strerror(cut.err));
	written = async_call_wait(&wr, DONE_MS);
	ASSERT_TRUE(written) TH_LOG("the copy on write never completed");
	pthread_join(wr.thread, NULL);
	ASSERT_EQ(munmap(page, SZ_4K), 0);
	ASSERT_EQ(fsync(self->pf.f.fd), 0);

	check_contents(_metadata, self);
	if (variant->cut == call_ftruncate)
		ASSERT_EQ(ftruncate(self->pf.f.fd, FILE_LEN), 0);
	ASSERT_EQ(pread(self->pf.f.fd, buf, SZ_4K, CUT), SZ_4K);
	EXPECT_EQ(memcmp(buf, zero, SZ_4K), 0) TH_LOG("stale data where A was cut");

	/* evict both here: clear_inode() checks the page count */
	pinned_file_teardown(&self->pf);
	self->pf.p = MAP_FAILED;
	self->pf.fuse_fd = -1;
	fsdax_file_close(&self->b);
}

TEST_HARNESS_MAIN

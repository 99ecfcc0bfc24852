// SPDX-License-Identifier: GPL-2.0
/*
 * On xfs with reflink, breaking the layout of one file waits only for
 * references that no page table accounts for: truncating or evicting a
 * clone completes while another process keeps the original mapped
 * (by PTEs, or PMD-sized where the kernel maps the shared extent so),
 * while a pipe's reference to the shared block still holds the truncate
 * until the pipe lets go; and a PMD entry of the original that survives
 * the clone stays consistent through faults, copy-on-write, fsync and
 * eviction.
 *
 * The base kernel and the series agree here. The mapping process is the
 * test's child: when a call is stuck, killing it ends the wait (today's
 * series waits for it), so the test reports instead of hanging.
 */
#include <linux/fs.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include "lib/bounded_call.h"

#define CALL_MS		10000	/* a layout break with nothing busy is quick */
#define RESCUE_MS	10000

FIXTURE(clone)
{
	struct fsdax_file a, b;
	pid_t mapper;
	int go;			/* commands to the mapper; EOF: exit */
	int ack;		/* its answers */
};

FIXTURE_VARIANT(clone)
{
	size_t len;
	size_t align;
	int a_maps_first;	/* A is mapped before B's one-page fault */
};

/* the reported sequence: B faults one page first, then A stays mapped */
FIXTURE_VARIANT_ADD(clone, file_64k)
{
	.len = 64 * 1024, .align = SZ_4K, .a_maps_first = 0,
};

/* A maps the whole 2 MiB extent first, at 2 MiB alignment */
FIXTURE_VARIANT_ADD(clone, file_2m)
{
	.len = SZ_2M, .align = SZ_2M, .a_maps_first = 1,
};

/*
 * Fork a process that maps all of A shared, reads it, reports the size
 * of the page table entry mapping A's first page, and keeps the mapping
 * until self->go is closed. On command it hands a pipe a reference to
 * A's first page (vmsplice, 's') and closes that pipe again ('p').
 */
static long start_mapper(struct __test_metadata *_metadata,
			 FIXTURE_DATA(clone) *self,
			 const FIXTURE_VARIANT(clone) *variant)
{
	int ready[2], go[2];
	long size = -1;

	ASSERT_EQ(pipe(ready), 0);
	ASSERT_EQ(pipe(go), 0);
	self->mapper = fork();
	ASSERT_GE(self->mapper, 0);
	if (self->mapper == 0) {
		uint8_t *p;
		char c;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		close(go[1]);
		close(self->b.fd);	/* or B stays open, and unlink evicts nothing */
		p = mmap_aligned(variant->len, variant->align, PROT_READ,
				 MAP_SHARED, self->a.fd, 0);
		if (p == MAP_FAILED || check_pattern(p, variant->len, 171) != -1)
			_exit(1);
		size = mapped_page_size(p, NULL);
		if (write(ready[1], &size, sizeof(size)) != sizeof(size))
			_exit(2);
		while (read(go[0], &c, 1) > 0) {
			struct iovec iov = { .iov_base = p, .iov_len = SZ_4K };
			static int spliced[2] = { -1, -1 };

			if (c == 's') {
				size = pipe(spliced) ? -errno :
				       vmsplice(spliced[1], &iov, 1, 0);
			} else {
				close(spliced[0]);
				close(spliced[1]);
				size = 0;
			}
			if (write(ready[1], &size, sizeof(size)) != sizeof(size))
				_exit(3);
		}
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	self->go = go[1];
	self->ack = ready[0];
	ASSERT_EQ(read(ready[0], &size, sizeof(size)), sizeof(size))
		TH_LOG("the process mapping A failed");
	return size;
}

/* Send @cmd to the mapper; what it answered. */
static long tell_mapper(FIXTURE_DATA(clone) *self, char cmd)
{
	long ret = -1;

	if (write(self->go, &cmd, 1) != 1 ||
	    read(self->ack, &ret, sizeof(ret)) != sizeof(ret))
		return -1;
	return ret;
}

static void kill_mapper(FIXTURE_DATA(clone) *self)
{
	if (self->mapper > 0) {
		kill(self->mapper, SIGKILL);
		waitpid(self->mapper, NULL, 0);
	}
	self->mapper = 0;
}

/* Map one page of B, read it, unmap it: B now has a DAX entry for it. */
static void touch_clone(struct __test_metadata *_metadata,
			FIXTURE_DATA(clone) *self)
{
	uint8_t *p = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED, self->b.fd, 0);

	ASSERT_NE(p, MAP_FAILED);
	EXPECT_EQ(check_pattern(p, SZ_4K, 171), -1);
	ASSERT_EQ(munmap(p, SZ_4K), 0);
}

FIXTURE_SETUP(clone)
{
	uint8_t *buf;
	long size;
	int rc;

	self->mapper = 0;
	self->go = -1;
	self->ack = -1;
	self->b.fd = -1;
	self->b.path[0] = 0;
	rc = fsdax_file_open(&self->a, ENV_XFS_DIR, "rl_break_a", variant->len);
	if (rc > 0)
		SKIP(return, "%s not set", ENV_XFS_DIR);
	ASSERT_EQ(rc, 0) TH_LOG("%s: %s", self->a.path, strerror(errno));
	ASSERT_EQ(fsdax_file_open(&self->b, ENV_XFS_DIR, "rl_break_b", 0), 0);

	buf = malloc(variant->len);
	ASSERT_NE(buf, NULL);
	fill_pattern(buf, variant->len, 171);
	ASSERT_EQ(pwrite(self->a.fd, buf, variant->len, 0), variant->len);
	free(buf);
	ASSERT_EQ(fsync(self->a.fd), 0);
	ASSERT_EQ(ioctl(self->b.fd, FICLONE, self->a.fd), 0)
		TH_LOG("FICLONE: %s", strerror(errno));

	if (!variant->a_maps_first)
		touch_clone(_metadata, self);
	size = start_mapper(_metadata, self, variant);
	TH_LOG("another process maps A by %ld kB entries", size >> 10);
	if (variant->a_maps_first)
		touch_clone(_metadata, self);
}

FIXTURE_TEARDOWN(clone)
{
	if (self->go >= 0)
		close(self->go);
	if (self->ack >= 0)
		close(self->ack);
	if (self->mapper > 0)
		waitpid(self->mapper, NULL, 0);
	fsdax_file_close(&self->a);
	fsdax_file_close(&self->b);
}

/*
 * Run @c, which must return within CALL_MS; when it does not, end the
 * other process's mapping of A and report whether that released it.
 */
static int returns_while_a_is_mapped(struct __test_metadata *_metadata,
				     FIXTURE_DATA(clone) *self,
				     struct bounded_call *c, const char *what)
{
	char state;

	ASSERT_EQ(bounded_call_start(c), 0);
	if (bounded_call_wait(c, CALL_MS))
		return 1;
	state = thread_state(c->tid);
	kill_mapper(self);
	TH_LOG("%s still blocked (state %c) after %d s while another process maps A; %s",
	       what, state, CALL_MS / 1000,
	       bounded_call_wait(c, RESCUE_MS) ?
	       "it returned once that process was killed" :
	       "still blocked after that process was killed");
	return 0;
}

/* A keeps its data whatever happened to B. */
static void original_intact(struct __test_metadata *_metadata,
			    FIXTURE_DATA(clone) *self, size_t len)
{
	uint8_t *buf = malloc(len);

	ASSERT_NE(buf, NULL);
	ASSERT_EQ(pread(self->a.fd, buf, len, 0), len);
	EXPECT_EQ(check_pattern(buf, len, 171), -1);
	free(buf);
}

TEST_F_TIMEOUT(clone, truncate_clone_while_original_mapped, 60)
{
	struct bounded_call c = { .fn = call_ftruncate, .fd = self->b.fd, .len = 0 };

	EXPECT_TRUE(returns_while_a_is_mapped(_metadata, self, &c, "ftruncate(B, 0)"));
	if (bounded_call_done(&c))
		EXPECT_EQ(c.ret, 0) TH_LOG("ftruncate: %s", strerror(c.err));
	original_intact(_metadata, self, variant->len);
}

TEST_F_TIMEOUT(clone, evict_clone_while_original_mapped, 60)
{
	struct bounded_call c = { .fn = call_unlink, .path = self->b.path };

	ASSERT_EQ(close(self->b.fd), 0);
	self->b.fd = -1;
	EXPECT_TRUE(returns_while_a_is_mapped(_metadata, self, &c,
					      "unlink(B) (eviction)"));
	if (bounded_call_done(&c)) {
		EXPECT_EQ(c.ret, 0) TH_LOG("unlink: %s", strerror(c.err));
		if (c.ret == 0)
			self->b.path[0] = 0;
	}
	original_intact(_metadata, self, variant->len);
}

/*
 * The process mapping A hands a pipe a reference to A's first page,
 * which is B's first block too (vmsplice). That reference is no mapping:
 * truncating B must wait for it, and go on once the pipe is closed,
 * with A still mapped.
 */
TEST_F_TIMEOUT(clone, pipe_reference_to_shared_block_holds_truncate, 60)
{
	struct bounded_call c = { .fn = call_ftruncate, .fd = self->b.fd, .len = 0 };
	void *b_vma;
	long ret;

	/*
	 * The base kernel scans a file's pages for busy ones only while
	 * something maps the file: give B a mapping, of a page it never
	 * touches.
	 */
	b_vma = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED, self->b.fd, SZ_4K);
	ASSERT_NE(b_vma, MAP_FAILED);
	ret = tell_mapper(self, 's');
	ASSERT_EQ(ret, SZ_4K) TH_LOG("vmsplice: %s", strerror(-ret));

	ASSERT_EQ(bounded_call_start(&c), 0);
	EXPECT_TRUE(bounded_call_sleeps(&c, 5000))
		TH_LOG("ftruncate(B, 0) did not wait for the pipe's reference");

	ASSERT_EQ(tell_mapper(self, 'p'), 0);
	if (!bounded_call_wait(&c, CALL_MS)) {
		char state = thread_state(c.tid);

		kill_mapper(self);
		EXPECT_TRUE(0)
			TH_LOG("ftruncate(B, 0) still blocked (state %c) %d s after the pipe let go, while another process maps A; %s",
			       state, CALL_MS / 1000,
			       bounded_call_wait(&c, RESCUE_MS) ?
			       "it returned once that process was killed" :
			       "still blocked after that process was killed");
	}
	if (bounded_call_done(&c))
		EXPECT_EQ(c.ret, 0) TH_LOG("ftruncate: %s", strerror(c.err));
	munmap(b_vma, SZ_4K);
	original_intact(_metadata, self, variant->len);
}

/*
 * A file written through a PMD mapping keeps its PMD entry across the
 * clone (the entry is dirty when the clone breaks the layout). Faulting
 * it again, now shared, then copying one page on write, fsync and
 * eviction must all agree on what the entry covers: the data reads back
 * in both files, and both inodes go away cleanly (clear_inode() checks
 * that no page is left).
 */
FIXTURE(pmd_clone) { struct fsdax_file a, b; };
FIXTURE_SETUP(pmd_clone)
{
	int rc = fsdax_file_open(&self->a, ENV_XFS_DIR, "rl_pmd_a", SZ_2M);

	self->b.fd = -1;
	self->b.path[0] = 0;
	if (rc > 0)
		SKIP(return, "%s not set", ENV_XFS_DIR);
	ASSERT_EQ(rc, 0) TH_LOG("%s: %s", self->a.path, strerror(errno));
	ASSERT_EQ(fsdax_file_open(&self->b, ENV_XFS_DIR, "rl_pmd_b", 0), 0);
}
FIXTURE_TEARDOWN(pmd_clone)
{
	fsdax_file_close(&self->a);
	fsdax_file_close(&self->b);
}

TEST_F_TIMEOUT(pmd_clone, pmd_entry_survives_clone_consistently, 60)
{
	uint8_t *p, *buf;
	long size;

	p = mmap_aligned(SZ_2M, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->a.fd, 0);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, SZ_2M, 172);			/* dirty, not synced */
	size = mapped_page_size(p, NULL);
	EXPECT_EQ(size, SZ_2M) TH_LOG("A is mapped by %ld kB entries", size >> 10);

	ASSERT_EQ(ioctl(self->b.fd, FICLONE, self->a.fd), 0)
		TH_LOG("FICLONE: %s", strerror(errno));
	EXPECT_EQ(p[0x10000], pattern_byte(0x10000, 172));	/* fault, shared */
	EXPECT_EQ(check_pattern(p, SZ_2M, 172), -1);
	memset(p + SZ_4K, 0xcc, SZ_4K);			/* copy on write */
	ASSERT_EQ(fsync(self->a.fd), 0);
	ASSERT_EQ(munmap(p, SZ_2M), 0);

	buf = malloc(SZ_2M);
	ASSERT_NE(buf, NULL);
	ASSERT_EQ(pread(self->a.fd, buf, SZ_2M, 0), SZ_2M);
	EXPECT_EQ(check_pattern(buf, SZ_4K, 172), -1);
	for (size_t i = SZ_4K; i < 2 * SZ_4K; i++)
		if (buf[i] != 0xcc) {
			EXPECT_EQ(buf[i], 0xcc) TH_LOG("A's copied page at %zu", i);
			break;
		}
	for (size_t off = 2 * SZ_4K; off < SZ_2M; off += 8)
		if (*(uint64_t *)(buf + off) != pattern_word(off / 8, 172)) {
			EXPECT_EQ(*(uint64_t *)(buf + off), pattern_word(off / 8, 172))
				TH_LOG("A differs at offset %zu", off);
			break;
		}
	ASSERT_EQ(pread(self->b.fd, buf, SZ_2M, 0), SZ_2M);
	EXPECT_EQ(check_pattern(buf, SZ_2M, 172), -1) TH_LOG("the clone changed");
	free(buf);

	/* evict both inodes here, not in the teardown, to see it return */
	ASSERT_EQ(close(self->a.fd), 0);
	self->a.fd = -1;
	ASSERT_EQ(close(self->b.fd), 0);
	self->b.fd = -1;
	EXPECT_EQ(unlink(self->a.path), 0);
	self->a.path[0] = 0;
	EXPECT_EQ(unlink(self->b.path), 0);
	self->b.path[0] = 0;
}

TEST_HARNESS_MAIN

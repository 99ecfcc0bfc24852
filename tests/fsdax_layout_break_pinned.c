// SPDX-License-Identifier: GPL-2.0
/*
 * Every call that breaks an FS DAX file's layout (punch hole, zero
 * range, collapse range, insert range, truncate on ext4 and xfs; on xfs
 * also FICLONE and FIDEDUPERANGE with the file as source and as
 * destination) stays blocked while a page of the file is pinned by an
 * O_DIRECT read or held by an unread pipe after vmsplice(), and
 * completes, with its usual result, once the pin or the pipe is gone.
 *
 * The pin is an O_DIRECT read from a FUSE file whose server holds the
 * answer back (lib/pinned_file.h), into a shared mapping of the file
 * that stays mapped, so the base kernel's busy scan (which looks only at
 * mapped files) sees it too: both kernels are expected to wait (one
 * case, FIDEDUPERANGE from the pinned file, is skipped on the base
 * kernel: see there). The call runs on a thread of its own; "blocked"
 * is its state in /proc/self/task/TID/stat (asleep, or for the second
 * inode of an xfs remap, which polls with its locks dropped, still
 * running the call after two seconds), never just a sleep. A truncate
 * held for long backs off (it sleeps a few times, not ten times a
 * second) and, on the series, says once what it waits for.
 */
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include "lib/page_refs.h"
#include "lib/pinned_file.h"

#define FILE_LEN	(2 * SZ_2M)
#define PIN_OFF		SZ_2M		/* the pinned range, in the file */
#define IO_LEN		(256 * 1024UL)
#define SEED		41

struct op_call;
typedef long (*op_fn)(struct op_call *c);

struct op_call {
	pthread_t thread;
	pid_t tid;
	op_fn fn;
	int fd, fd2;
	long ret;
	int err;
	int done;
};

static void *op_thread(void *arg)
{
	struct op_call *c = arg;
	long ret;

	__atomic_store_n(&c->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	ret = c->fn(c);
	c->ret = ret;
	c->err = errno;
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The state letter of thread @tid (R, S, D, ...) and its wchan. */
static char thread_state(pid_t tid, char *wchan, size_t len)
{
	char path[64], buf[512], *paren;
	char state = '?';
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			paren = strrchr(buf, ')');
			if (paren && paren[1] == ' ')
				state = paren[2];
		}
	}
	wchan[0] = 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", tid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, wchan, len - 1);
		close(fd);
		wchan[n > 0 ? n : 0] = 0;
	}
	return state;
}

/*
 * Wait until the call's thread is seen asleep inside it, or has kept
 * running it for two seconds; 1 when it is blocked so, 0 when it
 * finished instead. @how says what was seen.
 */
static int call_is_blocked(struct op_call *c, char *how, size_t len)
{
	char wchan[64];

	while (!__atomic_load_n(&c->tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	for (int ms = 0; ms < 2000; ms += 10) {
		char st = thread_state(c->tid, wchan, sizeof(wchan));

		if (__atomic_load_n(&c->done, __ATOMIC_ACQUIRE))
			return 0;
		if (st == 'D' || st == 'S') {
			snprintf(how, len, "state %c, wchan %s", st, wchan);
			/* the call itself may still be on its way in: recheck */
			usleep(20 * 1000);
			if (__atomic_load_n(&c->done, __ATOMIC_ACQUIRE))
				return 0;
			if (thread_state(c->tid, wchan, sizeof(wchan)) == st)
				return 1;
		}
		usleep(10 * 1000);
	}
	snprintf(how, len, "state %c after 2 s, wchan %s",
		 thread_state(c->tid, wchan, sizeof(wchan)), wchan);
	return !__atomic_load_n(&c->done, __ATOMIC_ACQUIRE);
}

/* Wait up to @s seconds for the call to finish. */
static int call_finishes_within(struct op_call *c, int s)
{
	for (int ms = 0; ms < s * 1000; ms += 10) {
		if (__atomic_load_n(&c->done, __ATOMIC_ACQUIRE))
			return 1;
		usleep(10 * 1000);
	}
	return __atomic_load_n(&c->done, __ATOMIC_ACQUIRE);
}

static long do_punch(struct op_call *c)
{
	return fallocate(c->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 PIN_OFF, SZ_2M);
}

static long do_zero(struct op_call *c)
{
	return fallocate(c->fd, FALLOC_FL_ZERO_RANGE, PIN_OFF, SZ_2M);
}

static long do_collapse(struct op_call *c)
{
	return fallocate(c->fd, FALLOC_FL_COLLAPSE_RANGE, PIN_OFF, SZ_2M / 2);
}

static long do_insert(struct op_call *c)
{
	return fallocate(c->fd, FALLOC_FL_INSERT_RANGE, PIN_OFF, SZ_2M / 2);
}

static long do_truncate(struct op_call *c)
{
	return ftruncate(c->fd, PIN_OFF);
}

/* FICLONE: @fd takes on @fd2's data */
static long do_clone(struct op_call *c)
{
	return ioctl(c->fd, FICLONE, c->fd2);
}

/* FIDEDUPERANGE of the first 1M of @fd (source) into @fd2 (destination) */
static long do_dedupe(struct op_call *c)
{
	struct {
		struct file_dedupe_range r;
		struct file_dedupe_range_info info;
	} d = {
		.r = { .src_offset = 0, .src_length = SZ_2M / 2, .dest_count = 1 },
		.info = { .dest_fd = c->fd2, .dest_offset = 0 },
	};

	if (ioctl(c->fd, FIDEDUPERANGE, &d))
		return -1;
	if (d.info.status != FILE_DEDUPE_RANGE_SAME) {
		errno = d.info.status < 0 ? -d.info.status : EBADE;
		return -1;
	}
	return d.info.bytes_deduped;
}

struct held_files {
	struct pinned_file pf;
	struct fsdax_file other;	/* the other file of a remap (xfs) */
	int pipefd[2];
};

static void held_setup(struct __test_metadata *_metadata,
		       struct held_files *h, const char *env, int other)
{
	uint8_t *buf;

	h->other.fd = -1;
	h->other.path[0] = 0;
	h->pipefd[0] = h->pipefd[1] = -1;
	pinned_file_setup(_metadata, &h->pf, env, "layout_pinned", FILE_LEN, SEED);
	if (!other)
		return;
	ASSERT_EQ(fsdax_file_open(&h->other, env, "layout_other", 0), 0)
		TH_LOG("%s: %s", h->other.path, strerror(errno));
	/* the same data as the pinned file's, so that a dedupe finds it equal */
	buf = malloc(FILE_LEN);
	ASSERT_NE(buf, NULL);
	fill_pattern(buf, FILE_LEN, SEED);
	ASSERT_EQ(pwrite(h->other.fd, buf, FILE_LEN, 0), FILE_LEN);
	free(buf);
}

static void held_teardown(struct held_files *h)
{
	if (h->pipefd[0] >= 0)
		close(h->pipefd[0]);
	if (h->pipefd[1] >= 0)
		close(h->pipefd[1]);
	fsdax_file_close(&h->other);
	pinned_file_teardown(&h->pf);
}

/* Calls every DAX file system has: ext4 and xfs. */
FIXTURE(pinned) { struct held_files h; };
FSDAX_VARIANTS(pinned);
FIXTURE_SETUP(pinned) { held_setup(_metadata, &self->h, variant->env, 0); }
FIXTURE_TEARDOWN(pinned) { held_teardown(&self->h); }

/* Remaps between two files: xfs (ext4 has no reflink). */
FIXTURE(remap) { struct held_files h; };
FIXTURE_VARIANT(remap) { const char *env; };
FIXTURE_VARIANT_ADD(remap, xfs) { .env = ENV_XFS_DIR };
FIXTURE_SETUP(remap) { held_setup(_metadata, &self->h, variant->env, 1); }
FIXTURE_TEARDOWN(remap) { held_teardown(&self->h); }

enum hold { HOLD_PIN, HOLD_PIPE };

/*
 * Hold the page at PIN_OFF (pin or pipe), run @fn on @fd/@fd2 in a
 * thread, check that it is blocked, let go, and check that it completes
 * with @want.
 */
static void blocked_until_release(struct __test_metadata *_metadata,
				  struct held_files *self, enum hold hold,
				  op_fn fn, int fd, int fd2, long want)
{
	struct async_call rd = { .fd = self->pf.fuse_fd,
				 .buf = self->pf.p + PIN_OFF, .len = IO_LEN };
	struct op_call op = { .fn = fn, .fd = fd, .fd2 = fd2 };
	char how[128] = "";
	int blocked;

	if (hold == HOLD_PIN) {
		ASSERT_EQ(pthread_create(&rd.thread, NULL, direct_read, &rd), 0);
		fuse_stall_wait_for_reads(&self->pf.fs, 1);
	} else {
		struct iovec iov = { self->pf.p + PIN_OFF, SZ_4K };

		ASSERT_EQ(pipe(self->pipefd), 0);
		ASSERT_EQ(vmsplice(self->pipefd[1], &iov, 1, 0), (ssize_t)SZ_4K)
			TH_LOG("vmsplice: %s", strerror(errno));
	}
	ASSERT_EQ(pthread_create(&op.thread, NULL, op_thread, &op), 0);
	blocked = call_is_blocked(&op, how, sizeof(how));
	TH_LOG("while held: %s", blocked ? how : "the call finished");
	EXPECT_TRUE(blocked)
		TH_LOG("the call finished (%ld, %s) while the page was held",
		       op.ret, strerror(op.err));

	if (hold == HOLD_PIN) {
		fuse_stall_release(&self->pf.fs);
		pthread_join(rd.thread, NULL);
		EXPECT_EQ(rd.ret, IO_LEN) TH_LOG("O_DIRECT read: %s", strerror(rd.err));
	} else {
		close(self->pipefd[0]);
		close(self->pipefd[1]);
		self->pipefd[0] = self->pipefd[1] = -1;
	}
	ASSERT_TRUE(call_finishes_within(&op, 20))
		TH_LOG("the call is still blocked 20 s after the page was let go");
	pthread_join(op.thread, NULL);
	EXPECT_EQ(op.ret, want) TH_LOG("the call: %s", strerror(op.err));
}

/* The file's bytes [off, off + len) read as zeros. */
static int file_range_is_zero(int fd, off_t off, size_t len)
{
	uint8_t *buf = malloc(len);
	int ok;

	if (!buf)
		return 0;
	ok = pread(fd, buf, len, off) == (ssize_t)len && is_zero(buf, len);
	free(buf);
	return ok;
}

TEST_F(pinned, punch_hole)
{
	blocked_until_release(_metadata, &self->h, HOLD_PIN, do_punch, self->h.pf.f.fd, -1, 0);
	EXPECT_TRUE(file_range_is_zero(self->h.pf.f.fd, PIN_OFF, SZ_2M))
		TH_LOG("the punched range is not zero");
	EXPECT_EQ(check_pattern(self->h.pf.p, PIN_OFF, SEED), -1);
}

TEST_F(pinned, zero_range)
{
	blocked_until_release(_metadata, &self->h, HOLD_PIN, do_zero, self->h.pf.f.fd, -1, 0);
	EXPECT_TRUE(file_range_is_zero(self->h.pf.f.fd, PIN_OFF, SZ_2M))
		TH_LOG("the zeroed range is not zero");
	EXPECT_EQ(check_pattern(self->h.pf.p, PIN_OFF, SEED), -1);
}

TEST_F(pinned, collapse_range)
{
	struct stat st;

	blocked_until_release(_metadata, &self->h, HOLD_PIN, do_collapse, self->h.pf.f.fd, -1, 0);
	ASSERT_EQ(fstat(self->h.pf.f.fd, &st), 0);
	EXPECT_EQ(st.st_size, FILE_LEN - SZ_2M / 2);
}

TEST_F(pinned, insert_range)
{
	struct stat st;

	blocked_until_release(_metadata, &self->h, HOLD_PIN, do_insert, self->h.pf.f.fd, -1, 0);
	ASSERT_EQ(fstat(self->h.pf.f.fd, &st), 0);
	EXPECT_EQ(st.st_size, FILE_LEN + SZ_2M / 2);
	EXPECT_TRUE(file_range_is_zero(self->h.pf.f.fd, PIN_OFF, SZ_2M / 2))
		TH_LOG("the inserted range is not zero");
}

TEST_F(pinned, truncate)
{
	struct stat st;

	blocked_until_release(_metadata, &self->h, HOLD_PIN, do_truncate, self->h.pf.f.fd, -1, 0);
	ASSERT_EQ(fstat(self->h.pf.f.fd, &st), 0);
	EXPECT_EQ(st.st_size, PIN_OFF);
}

TEST_F(pinned, truncate_held_by_unread_pipe)
{
	struct stat st;

	blocked_until_release(_metadata, &self->h, HOLD_PIPE, do_truncate, self->h.pf.f.fd, -1, 0);
	ASSERT_EQ(fstat(self->h.pf.f.fd, &st), 0);
	EXPECT_EQ(st.st_size, PIN_OFF);
}

/* How many times thread @tid has gone to sleep; -1 if unknown. */
static long thread_sleeps(pid_t tid)
{
	char path[64], line[128];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/*
 * A page held for longer than the series' report delay (10 s): the call
 * stays blocked, and the waiter looks at the page less and less often,
 * not every 100 ms (140 sleeps in 14 s); it backs off to once a second,
 * some 17 sleeps. The series also says once, in the kernel log, which
 * inode waits for which pfn. Expected difference: the base kernel waits
 * for its put_page() hook without a timer (one sleep) and says nothing.
 */
#define LONG_HOLD_S	14
#define LONG_HOLD_MAX_SLEEPS	40

TEST_F(pinned, truncate_held_long_backs_off_and_says_so)
{
	struct op_call op = { .fn = do_truncate, .fd = self->h.pf.f.fd,
			      .fd2 = -1 };
	struct iovec iov = { self->h.pf.p + PIN_OFF, SZ_4K };
	char how[128] = "", rec[2048], want[96], *msg;
	int kfd, reports = 0, want_reports;
	long sleeps_before, sleeps;
	struct page_refs r;
	struct stat st;

	ASSERT_EQ(fstat(self->h.pf.f.fd, &st), 0);
	ASSERT_EQ(page_refs_read(self->h.pf.p + PIN_OFF, &r), 0);
	snprintf(want, sizeof(want), " inode %lu waits for pfn %#lx,",
		 (unsigned long)st.st_ino, r.pfn);
	ASSERT_EQ(pipe(self->h.pipefd), 0);
	ASSERT_EQ(vmsplice(self->h.pipefd[1], &iov, 1, 0), (ssize_t)SZ_4K)
		TH_LOG("vmsplice: %s", strerror(errno));
	kfd = kmsg_watch_start();
	ASSERT_GE(kfd, 0) TH_LOG("/dev/kmsg: %s", strerror(errno));

	ASSERT_EQ(pthread_create(&op.thread, NULL, op_thread, &op), 0);
	ASSERT_TRUE(call_is_blocked(&op, how, sizeof(how)))
		TH_LOG("the truncate finished while a pipe held the page");
	sleeps_before = thread_sleeps(op.tid);
	sleep(LONG_HOLD_S);
	sleeps = thread_sleeps(op.tid) - sleeps_before;
	EXPECT_FALSE(__atomic_load_n(&op.done, __ATOMIC_ACQUIRE))
		TH_LOG("the truncate finished while a pipe held the page");
	while ((msg = kmsg_watch_next(kfd, rec, sizeof(rec))))
		if (!strncmp(msg, "dax_break_layout: ", 18) && strstr(msg, want))
			reports++;
	close(kfd);
	TH_LOG("held %d s (%s): %ld sleeps, %d reports of \"%s\"",
	       LONG_HOLD_S, how, sleeps, reports, want);
	EXPECT_GE(sleeps_before, 0);
	EXPECT_LE(sleeps, LONG_HOLD_MAX_SLEEPS)
		TH_LOG("the waiter polls instead of backing off");
	want_reports = dax_pages_refcounted() ? 1 : 0;
	EXPECT_EQ(reports, want_reports)
		TH_LOG("the long wait was reported %d times, want %d (%s)",
		       reports, want_reports, dax_model_name());

	close(self->h.pipefd[0]);
	close(self->h.pipefd[1]);
	self->h.pipefd[0] = self->h.pipefd[1] = -1;
	ASSERT_TRUE(call_finishes_within(&op, 20))
		TH_LOG("the truncate is still blocked 20 s after the pipe went");
	pthread_join(op.thread, NULL);
	EXPECT_EQ(op.ret, 0) TH_LOG("ftruncate: %s", strerror(op.err));
}

TEST_F(remap, ficlone_into_pinned_file)
{
	blocked_until_release(_metadata, &self->h, HOLD_PIN, do_clone,
			      self->h.pf.f.fd, self->h.other.fd, 0);
	EXPECT_EQ(check_pattern(self->h.pf.p, FILE_LEN, SEED), -1)
		TH_LOG("the clone's data is not the source's");
}

TEST_F(remap, ficlone_from_pinned_file)
{
	blocked_until_release(_metadata, &self->h, HOLD_PIN, do_clone,
			      self->h.other.fd, self->h.pf.f.fd, 0);
	/* the clone got the pinned file's data, the O_DIRECT read included */
	{
		uint8_t *buf = malloc(IO_LEN);

		ASSERT_NE(buf, NULL);
		ASSERT_EQ(pread(self->h.other.fd, buf, IO_LEN, PIN_OFF), (ssize_t)IO_LEN);
		EXPECT_EQ(check_pattern(buf, IO_LEN, FUSE_STALL_SEED), -1)
			TH_LOG("the clone lacks the data the O_DIRECT read put in the source");
		free(buf);
	}
}

TEST_F(remap, fideduperange_into_pinned_file)
{
	blocked_until_release(_metadata, &self->h, HOLD_PIN, do_dedupe,
			      self->h.other.fd, self->h.pf.f.fd, SZ_2M / 2);
	EXPECT_EQ(check_pattern(self->h.pf.p, SZ_2M / 2, SEED), -1);
}

/*
 * Base kernel: skipped. There the case itself passes, but unlinking the
 * files afterwards hit "kernel BUG at fs/inode.c:674" (clear_inode(),
 * from evict(): a DAX entry left behind) once the pinned file's blocks
 * had been deduplicated into the other file; the series' final wait at
 * eviction (dax_break_layout_final) deletes every entry first.
 */
TEST_F(remap, fideduperange_from_pinned_file)
{
	if (!dax_waits_for_pins_at_eviction())
		SKIP(return, "base kernel: evicting the deduplicated files BUGs in clear_inode()");
	blocked_until_release(_metadata, &self->h, HOLD_PIN, do_dedupe,
			      self->h.pf.f.fd, self->h.other.fd, SZ_2M / 2);
	EXPECT_EQ(check_pattern(self->h.pf.p, SZ_2M / 2, SEED), -1);
}

TEST_HARNESS_MAIN

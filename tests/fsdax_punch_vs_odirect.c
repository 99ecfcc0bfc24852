// SPDX-License-Identifier: GPL-2.0
/*
 * Truncate and hole punch of an FS DAX file keep returning while O_DIRECT
 * reads and writes use a shared mapping of that same file as their
 * buffer, and once that I/O has stopped no reference is left over for
 * them to wait on: every call returns within STUCK_MS of the I/O's end.
 *
 * One thread does 1 MiB O_DIRECT transfers between a plain block device
 * (DAX_BLOCKDEV) and random offsets of the mapping for IO_SECONDS; the
 * other cycles ftruncate(0), ftruncate(FILE_LEN) and a 2 MiB punch. The
 * I/O meets truncated ranges and takes EFAULT there, which is expected.
 * When a call stays blocked, the test interrupts it with a signal and
 * retries the punch once, to tell a leaked reference (the retry blocks
 * too) from a missed wake-up (the retry returns), and then leaves the
 * file in place rather than hang in its eviction.
 */
#include <signal.h>
#include "lib/bounded_call.h"

#define FILE_LEN	(64UL << 20)
#define IO_LEN		(1UL << 20)
#define IO_SECONDS	3
#define STUCK_MS	20000
#define CYCLES_AFTER_IO	3
#define IO_THREADS	2
#define MAX_GAP_US	10000	/* let transfers land between the calls */

struct io_loop {
	pthread_t thread;
	int dev;
	off_t dev_len;
	uint8_t *p;
	long transfers, efault, errors;
	int first_err;
	unsigned int seed;
	long end_ms;		/* set when the loop has stopped */
	int done;
};

static void *io_main(void *arg)
{
	struct io_loop *io = arg;
	unsigned int seed = io->seed;
	long stop = now_ms() + IO_SECONDS * 1000L;

	while (now_ms() < stop) {
		off_t off = (rand_r(&seed) % ((FILE_LEN - IO_LEN) / SZ_4K)) * SZ_4K;
		off_t dev_off = (rand_r(&seed) % ((io->dev_len - IO_LEN) / SZ_4K)) * SZ_4K;
		ssize_t n;

		if (rand_r(&seed) & 1)
			n = pread(io->dev, io->p + off, IO_LEN, dev_off);
		else
			n = pwrite(io->dev, io->p + off, IO_LEN, dev_off);
		if (n >= 0) {
			io->transfers++;
		} else if (errno == EFAULT) {
			io->efault++;		/* a truncated part of the mapping */
		} else {
			if (!io->errors++)
				io->first_err = errno;
		}
	}
	__atomic_store_n(&io->end_ms, now_ms(), __ATOMIC_RELEASE);
	__atomic_store_n(&io->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

struct layout_loop {
	pthread_t thread;
	int fd;
	struct io_loop *io;	/* IO_THREADS of them */
	const char *op;		/* the call in progress */
	int op_id;		/* which of layout_call() it is */
	long op_start_ms;
	int cycles, cycles_after_io;
	int failed_err;		/* errno of a call that failed, 0 if none */
	const char *failed_op;
	int quit;
	int done;
};

static int io_done(struct io_loop *io)
{
	for (int i = 0; i < IO_THREADS; i++)
		if (!__atomic_load_n(&io[i].done, __ATOMIC_ACQUIRE))
			return 0;
	return 1;
}

static long io_end_ms(struct io_loop *io)
{
	long end = 0;

	for (int i = 0; i < IO_THREADS; i++)
		if (io[i].end_ms > end)
			end = io[i].end_ms;
	return end;
}

static const char *const op_names[] = {
	"ftruncate(fd, 0)", "ftruncate(fd, FILE_LEN)",
	"fallocate(PUNCH_HOLE | KEEP_SIZE, 2 MiB)",
};

static long layout_call(int fd, int op)
{
	switch (op) {
	case 0:
		return ftruncate(fd, 0);
	case 1:
		return ftruncate(fd, FILE_LEN);
	default:
		return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 SZ_2M, SZ_2M);
	}
}

static long retry_layout_call(struct bounded_call *c)
{
	return layout_call(c->fd, c->mode);
}

static void set_op(struct layout_loop *l, int op)
{
	__atomic_store_n(&l->op_start_ms, now_ms(), __ATOMIC_RELEASE);
	l->op_id = op;
	__atomic_store_n(&l->op, op < 0 ? NULL : op_names[op], __ATOMIC_RELEASE);
}

static int check(struct layout_loop *l, int ret)
{
	if (ret && !l->failed_err) {
		l->failed_err = errno;
		l->failed_op = l->op;
	}
	return ret;
}

static void *layout_main(void *arg)
{
	struct layout_loop *l = arg;
	unsigned int seed = 7;

	while (!__atomic_load_n(&l->quit, __ATOMIC_ACQUIRE)) {
		int stopped = io_done(l->io);

		if (stopped && l->cycles_after_io++ >= CYCLES_AFTER_IO)
			break;
		set_op(l, 0);
		if (check(l, layout_call(l->fd, 0)))
			break;
		set_op(l, 1);
		if (check(l, layout_call(l->fd, 1)))
			break;
		set_op(l, -1);
		if (!stopped)
			usleep(rand_r(&seed) % MAX_GAP_US);
		set_op(l, 2);
		if (check(l, layout_call(l->fd, 2)))
			break;
		set_op(l, -1);
		if (!stopped)
			usleep(rand_r(&seed) % MAX_GAP_US);
		l->cycles++;
	}
	__atomic_store_n(&l->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void on_sigusr1(int sig)
{
}

FIXTURE(punch)
{
	struct fsdax_file f;
	int dev;
	uint8_t *p;
	int leave_file;		/* a call is stuck: do not evict the inode */
};

FSDAX_VARIANTS(punch);

FIXTURE_SETUP(punch)
{
	const char *dev = dax_env(ENV_BLOCKDEV);

	self->dev = -1;
	self->p = MAP_FAILED;
	self->leave_file = 0;
	self->f.fd = -1;
	self->f.path[0] = 0;
	if (!dev)
		SKIP(return, "%s not set", ENV_BLOCKDEV);
	FSDAX_SETUP(&self->f, variant, "punch_odirect", FILE_LEN);
	self->dev = open(dev, O_RDWR | O_DIRECT);
	ASSERT_GE(self->dev, 0) TH_LOG("%s: %s", dev, strerror(errno));
	self->p = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE,
			       MAP_SHARED, self->f.fd, 0);
	ASSERT_NE(self->p, MAP_FAILED);
	fill_pattern(self->p, FILE_LEN, 181);
}

FIXTURE_TEARDOWN(punch)
{
	if (self->p != MAP_FAILED)
		munmap(self->p, FILE_LEN);
	if (self->dev >= 0)
		close(self->dev);
	if (self->leave_file) {
		close(self->f.fd);
		self->f.fd = -1;
		self->f.path[0] = 0;
	}
	fsdax_file_close(&self->f);
}

TEST_F_TIMEOUT(punch, layout_calls_return_after_odirect_stops, 120)
{
	struct io_loop io[IO_THREADS];
	struct layout_loop l = { .fd = self->f.fd, .io = io };
	long transfers = 0, efault = 0, errors = 0;
	int first_err = 0;
	struct sigaction sa = { .sa_handler = on_sigusr1 };	/* no SA_RESTART */
	struct bounded_call retry = { .fn = retry_layout_call, .fd = self->f.fd };
	const char *op;
	long since;

	memset(io, 0, sizeof(io));
	for (int i = 0; i < IO_THREADS; i++) {
		io[i].dev = self->dev;
		io[i].p = self->p;
		io[i].seed = i + 1;
		io[i].dev_len = lseek(self->dev, 0, SEEK_END);
		ASSERT_GT(io[i].dev_len, (off_t)(4 * IO_LEN));
	}
	ASSERT_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	for (int i = 0; i < IO_THREADS; i++)
		ASSERT_EQ(pthread_create(&io[i].thread, NULL, io_main, &io[i]), 0);
	ASSERT_EQ(pthread_create(&l.thread, NULL, layout_main, &l), 0);

	for (;;) {
		usleep(100 * 1000);
		if (__atomic_load_n(&l.done, __ATOMIC_ACQUIRE))
			break;
		if (!io_done(io))
			continue;
		since = __atomic_load_n(&l.op_start_ms, __ATOMIC_ACQUIRE);
		if (since < io_end_ms(io))
			since = io_end_ms(io);
		if (__atomic_load_n(&l.op, __ATOMIC_ACQUIRE) &&
		    now_ms() - since > STUCK_MS)
			break;
	}
	for (int i = 0; i < IO_THREADS; i++) {
		pthread_join(io[i].thread, NULL);
		transfers += io[i].transfers;
		efault += io[i].efault;
		if (!errors && io[i].errors)
			first_err = io[i].first_err;
		errors += io[i].errors;
	}
	TH_LOG("O_DIRECT: %ld transfers, %ld EFAULT, %ld other errors; %d layout cycles",
	       transfers, efault, errors, l.cycles);
	EXPECT_EQ(errors, 0) TH_LOG("first O_DIRECT error: %s", strerror(first_err));
	EXPECT_GT(transfers, 0);

	if (__atomic_load_n(&l.done, __ATOMIC_ACQUIRE)) {
		pthread_join(l.thread, NULL);
		EXPECT_EQ(l.failed_err, 0) TH_LOG("%s: %s", l.failed_op,
						  strerror(l.failed_err));
		EXPECT_GT(l.cycles, CYCLES_AFTER_IO);
		return;
	}

	op = __atomic_load_n(&l.op, __ATOMIC_ACQUIRE);
	EXPECT_TRUE(__atomic_load_n(&l.done, __ATOMIC_ACQUIRE))
		TH_LOG("%s in cycle %d still blocked %d s after the O_DIRECT thread stopped",
		       op ? op : "?", l.cycles + 1, STUCK_MS / 1000);
	self->leave_file = 1;
	__atomic_store_n(&l.quit, 1, __ATOMIC_RELEASE);
	pthread_kill(l.thread, SIGUSR1);
	usleep(5000 * 1000);
	if (!__atomic_load_n(&l.done, __ATOMIC_ACQUIRE)) {
		TH_LOG("a signal does not interrupt that wait");
		return;
	}
	pthread_join(l.thread, NULL);
	TH_LOG("a signal interrupted it (%s)", strerror(l.failed_err));
	retry.mode = l.op_id;
	ASSERT_EQ(bounded_call_start(&retry), 0);
	if (bounded_call_wait(&retry, 10000)) {
		TH_LOG("the same call again returned %ld: the pages were idle, the waiter was never woken",
		       retry.ret);
		self->leave_file = 0;
	} else {
		TH_LOG("the same call again blocks too: a page reference was left behind; leaving %s in place",
		       self->f.path);
		pthread_kill(retry.thread, SIGUSR1);
		usleep(1000 * 1000);
	}
}

TEST_HARNESS_MAIN

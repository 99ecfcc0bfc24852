// SPDX-License-Identifier: GPL-2.0
/*
 * Bounded stress: for a fixed time (DAX_STRESS_SECONDS, default 60),
 * processes fault, O_DIRECT-pin, truncate and punch holes in one FS DAX
 * file while others fork with device DAX mapped. Passing means: every
 * worker ends on its own when time is up (no hang), the data that no
 * truncate touches is always right, every forked child of a device-DAX
 * mapping sees its parent's data, and (checked by the suite) the kernel
 * log has no splat.
 */
#include <setjmp.h>
#include <signal.h>
#include <time.h>
#include <linux/falloc.h>
#include "lib/dax_test.h"

#define STABLE_LEN	SZ_2M		/* no truncate or hole punch here */
#define CHAOS_LEN	(3 * SZ_2M)	/* truncated and punched at will */
#define FILE_LEN	(STABLE_LEN + CHAOS_LEN)

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(bus_jmp, 1);
}

static int time_left(time_t end)
{
	return time(NULL) < end;
}

/* Pages past a concurrent truncate raise SIGBUS: that is expected. */
static void catch_sigbus(void)
{
	struct sigaction sa = { .sa_handler = on_sigbus };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

/* Write and check the stable range through its own mapping. */
static int verify_stable(int fd, time_t end)
{
	unsigned int seed = 1;
	uint8_t *p = mmap_aligned(STABLE_LEN, SZ_2M, PROT_READ | PROT_WRITE,
				  MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return 2;
	for (; time_left(end); seed++) {
		fill_pattern(p, STABLE_LEN, seed);
		if (check_pattern(p, STABLE_LEN, seed) != -1)
			return 1;
		madvise(p, STABLE_LEN, MADV_DONTNEED);
		if (check_pattern(p, STABLE_LEN, seed) != -1)
			return 1;
	}
	return 0;
}

/* Fault the chaos range in, at PTE and PMD size, while it changes. */
static int fault_chaos(int fd, time_t end)
{
	volatile uint8_t *p = mmap_aligned(CHAOS_LEN, SZ_2M,
					   PROT_READ | PROT_WRITE, MAP_SHARED,
					   fd, STABLE_LEN);
	volatile size_t off = 0;

	if (p == MAP_FAILED)
		return 2;
	catch_sigbus();
	while (time_left(end)) {
		if (sigsetjmp(bus_jmp, 1) == 0) {
			for (; off < CHAOS_LEN; off += SZ_4K)
				p[off] = p[off] + 1;
		}
		off = (off + SZ_4K) % CHAOS_LEN;
	}
	return 0;
}

/* O_DIRECT reads into the chaos range: GUP pins that truncate waits on. */
static int pin_chaos(int fd, const char *blkdev, time_t end)
{
	uint8_t *p = mmap_aligned(CHAOS_LEN, SZ_2M, PROT_READ | PROT_WRITE,
				  MAP_SHARED, fd, STABLE_LEN);
	int blk = open(blkdev, O_RDONLY | O_DIRECT);
	volatile unsigned int i = 0;

	if (p == MAP_FAILED || blk < 0)
		return 2;
	catch_sigbus();
	while (time_left(end)) {
		if (sigsetjmp(bus_jmp, 1) == 0)
			pread(blk, p + (i % 24) * 64 * 1024, 64 * 1024, 0);
		i++;
	}
	close(blk);
	return 0;
}

/* Shrink, grow and punch the chaos range. */
static int cut_chaos(int fd, time_t end)
{
	for (unsigned int i = 0; time_left(end); i++) {
		off_t cut = STABLE_LEN + (i * 7919 % (CHAOS_LEN / SZ_4K)) * SZ_4K;

		if (ftruncate(fd, cut) || ftruncate(fd, FILE_LEN))
			return 1;
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      cut, SZ_2M))
			return 1;
		if (fallocate(fd, 0, STABLE_LEN, CHAOS_LEN))
			return 1;
	}
	return 0;
}

/* Fork with device DAX mapped; each child checks the parent's data. */
static int fork_devdax(struct devdax *d, time_t end)
{
	size_t len = devdax_test_len(d);
	uint8_t *p = devdax_map(d, len, PROT_READ | PROT_WRITE);

	if (p == MAP_FAILED)
		return 2;
	for (unsigned int seed = 1; time_left(end); seed++) {
		int status;
		pid_t pid;

		fill_pattern(p, SZ_2M, seed);
		pid = fork();
		if (pid == 0)
			_exit(check_pattern(p, SZ_2M, seed) == -1 ? 0 : 1);
		if (pid < 0 || waitpid(pid, &status, 0) != pid || status)
			return 1;
	}
	return 0;
}

FIXTURE(stress) { struct fsdax_file f; struct devdax dax; const char *blk; };
FIXTURE_SETUP(stress)
{
	int rc;

	self->dax.fd = -1;
	self->blk = dax_env(ENV_BLOCKDEV);
	rc = fsdax_file_open(&self->f, ENV_EXT4_DIR, "stress", FILE_LEN);
	if (rc > 0)
		SKIP(return, "%s not set", ENV_EXT4_DIR);
	ASSERT_EQ(rc, 0);
	rc = devdax_open(&self->dax, ENV_DEVDAX_2M, SZ_2M);
	if (rc > 0 || !self->blk)
		SKIP(return, "%s or %s not set", ENV_DEVDAX_2M, ENV_BLOCKDEV);
	ASSERT_EQ(rc, 0);
}
FIXTURE_TEARDOWN(stress)
{
	devdax_close(&self->dax);
	fsdax_file_close(&self->f);
}

TEST_F_TIMEOUT(stress, fault_pin_truncate_fork, 600)
{
	static const char *const names[] = {
		"verify_stable", "fault_chaos", "fault_chaos", "pin_chaos",
		"cut_chaos", "fork_devdax",
	};
	const char *secs = getenv("DAX_STRESS_SECONDS");
	time_t end = time(NULL) + (secs ? atoi(secs) : 60);
	pid_t pids[ARRAY_SIZE(names)];
	int status;

	for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
		pids[i] = fork();
		ASSERT_GE(pids[i], 0);
		if (pids[i])
			continue;
		switch (i) {
		case 0: _exit(verify_stable(self->f.fd, end));
		case 1:
		case 2: _exit(fault_chaos(self->f.fd, end));
		case 3: _exit(pin_chaos(self->f.fd, self->blk, end));
		case 4: _exit(cut_chaos(self->f.fd, end));
		default: _exit(fork_devdax(&self->dax, end));
		}
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
		ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("%s: status %#x (exit 1: wrong data or failed call)",
			       names[i], status);
	}
}

TEST_HARNESS_MAIN

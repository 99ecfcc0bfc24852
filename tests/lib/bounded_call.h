/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A system call run on a thread of its own, so that a test can tell
 * "returned" from "still blocked" without hanging itself: how long it
 * may take is the test's choice, and the scheduler state of the thread
 * (/proc/self/task/TID/stat) shows when it is asleep in the kernel.
 */
#ifndef BOUNDED_CALL_H
#define BOUNDED_CALL_H

#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include "dax_test.h"

struct bounded_call {
	pthread_t thread;
	long (*fn)(struct bounded_call *c);
	int fd;
	const char *path;
	off_t off, len;
	int mode;
	pid_t tid;
	long ret;
	int err;
	int done;
};

static inline void *bounded_call_main(void *arg)
{
	struct bounded_call *c = arg;
	long ret;

	__atomic_store_n(&c->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	ret = c->fn(c);
	c->err = errno;
	c->ret = ret;
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static inline int bounded_call_start(struct bounded_call *c)
{
	c->done = 0;
	c->tid = 0;
	return pthread_create(&c->thread, NULL, bounded_call_main, c);
}

static inline int bounded_call_done(struct bounded_call *c)
{
	return __atomic_load_n(&c->done, __ATOMIC_ACQUIRE);
}

static inline long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Wait up to @ms for @c to return; true when it did (then it is joined). */
static inline int bounded_call_wait(struct bounded_call *c, long ms)
{
	long end = now_ms() + ms;

	while (!bounded_call_done(c) && now_ms() < end)
		usleep(10 * 1000);
	if (!bounded_call_done(c))
		return 0;
	pthread_join(c->thread, NULL);
	return 1;
}

/* The state letter of thread @tid of this process ('R', 'S', 'D', ...). */
static inline char thread_state(pid_t tid)
{
	char path[64], buf[512], *paren;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : 0;
}

/*
 * Wait up to @ms for @c to go to sleep in the kernel (state S or D) and
 * stay asleep for a few samples in a row; true when it did. Returns
 * false at once if the call returns instead.
 */
static inline int bounded_call_sleeps(struct bounded_call *c, long ms)
{
	long end = now_ms() + ms;
	int asleep = 0;

	while (now_ms() < end && !bounded_call_done(c)) {
		pid_t tid = __atomic_load_n(&c->tid, __ATOMIC_ACQUIRE);
		char st = tid ? thread_state(tid) : 0;

		asleep = (st == 'S' || st == 'D') ? asleep + 1 : 0;
		if (asleep >= 5)
			return !bounded_call_done(c);
		usleep(20 * 1000);
	}
	return 0;
}

static inline long call_ftruncate(struct bounded_call *c)
{
	return ftruncate(c->fd, c->len);
}

static inline long call_unlink(struct bounded_call *c)
{
	return unlink(c->path);
}

static inline long call_fallocate(struct bounded_call *c)
{
	return fallocate(c->fd, c->mode, c->off, c->len);
}

#endif /* BOUNDED_CALL_H */

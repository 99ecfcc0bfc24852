/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A DAX page pinned for as long as a test wants: an FS DAX file mapped at
 * 2M alignment and filled with a pattern, next to an O_DIRECT descriptor
 * of a FUSE file whose server holds reads back (lib/fuse_stall.h). A read
 * from that descriptor into the mapping pins the pages it targets until
 * fuse_stall_release().
 *
 * Also the calls a test runs on a thread of their own while the pin is
 * held, with what they returned.
 */
#ifndef PINNED_FILE_H
#define PINNED_FILE_H

#include <pthread.h>
#include "dax_test.h"
#include "fuse_stall.h"

struct pinned_file {
	struct fsdax_file f;
	struct fuse_stall fs;
	int fuse_fd;
	uint8_t *p;
	size_t len;
};

/* Create, map and fill @name (@len bytes) in the directory @env names. */
static inline void pinned_file_setup(struct __test_metadata *_metadata,
				     struct pinned_file *pf, const char *env,
				     const char *name, size_t len, int seed)
{
	int rc;

	pf->fuse_fd = -1;
	pf->p = MAP_FAILED;
	pf->len = len;
	rc = fsdax_file_open(&pf->f, env, name, len);
	if (rc > 0)
		SKIP(return, "%s not set", env);
	ASSERT_EQ(rc, 0) TH_LOG("%s: %s", pf->f.path, strerror(errno));
	ASSERT_EQ(fuse_stall_start(&pf->fs), 0) TH_LOG("FUSE server");
	pf->fuse_fd = open(pf->fs.file, O_RDONLY | O_DIRECT);
	ASSERT_GE(pf->fuse_fd, 0) TH_LOG("%s: %s", pf->fs.file, strerror(errno));
	pf->p = mmap_aligned(len, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			     pf->f.fd, 0);
	ASSERT_NE(pf->p, MAP_FAILED);
	fill_pattern(pf->p, len, seed);
}

static inline void pinned_file_teardown(struct pinned_file *pf)
{
	if (pf->p != MAP_FAILED)
		munmap(pf->p, pf->len);
	if (pf->fuse_fd >= 0) {
		close(pf->fuse_fd);
		fuse_stall_stop(&pf->fs);
	}
	fsdax_file_close(&pf->f);
}

struct async_call {
	pthread_t thread;
	int fd;
	void *buf;
	off_t len;
	const char *path;
	long ret;
	int err;
	int done;
};

static inline void *async_call_return(struct async_call *c, long ret)
{
	c->ret = ret;
	c->err = errno;
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static inline int async_call_done(struct async_call *c)
{
	return __atomic_load_n(&c->done, __ATOMIC_ACQUIRE);
}

/* Wait up to @ms for @c to return; true when it did (it is not joined). */
static inline int async_call_wait(struct async_call *c, long ms)
{
	for (long waited = 0; waited < ms && !async_call_done(c); waited += 10)
		usleep(10 * 1000);
	return async_call_done(c);
}

/* pread(fd, buf, len, 0): the read the FUSE server holds back */
static inline void *direct_read(void *arg)
{
	struct async_call *c = arg;

	return async_call_return(c, pread(c->fd, c->buf, c->len, 0));
}

#endif /* PINNED_FILE_H */

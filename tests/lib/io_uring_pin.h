/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Registering a fixed buffer with io_uring is the plain way for a user
 * to take a long-term (FOLL_LONGTERM) pin on memory. Raw system calls,
 * so the tests need no liburing.
 */
#ifndef IO_URING_PIN_H
#define IO_URING_PIN_H

#include <linux/io_uring.h>
#include <sys/syscall.h>
#include <sys/uio.h>

/* Returns 0 when the kernel pinned [addr, addr + len), else -errno. */
static inline int io_uring_pin_buffer(void *addr, size_t len)
{
	struct io_uring_params params = { 0 };
	struct iovec iov = { addr, len };
	int ring, ret;

	ring = syscall(__NR_io_uring_setup, 4, &params);
	if (ring < 0)
		return -errno;
	ret = syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS,
		      &iov, 1);
	ret = ret < 0 ? -errno : 0;
	close(ring);	/* unregisters and unpins */
	return ret;
}

#endif /* IO_URING_PIN_H */

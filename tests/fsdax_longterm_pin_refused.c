// SPDX-License-Identifier: GPL-2.0
/*
 * A long-term pin (io_uring fixed buffer registration) of an FS DAX
 * mapping is refused, because the file system must be able to wait for
 * its pages to go idle before truncate; the data is left untouched.
 *
 * Base kernel and series differ on purpose in how it is refused:
 *  - base:   check_vma_flags() turns FOLL_LONGTERM away for any FS DAX
 *            VMA: EOPNOTSUPP;
 *  - series: the folio itself is not long-term pinnable, whatever VMA
 *            maps it; the pin still fails, and the errno is whatever the
 *            folio check returns (recorded, and must be a refusal).
 */
#include "lib/dax_test.h"
#include "lib/io_uring_pin.h"

#define FILE_LEN	(2 * SZ_2M)

FIXTURE(fsdax) { struct fsdax_file f; };
FSDAX_VARIANTS_AND_EXT2(fsdax);
FIXTURE_SETUP(fsdax) { FSDAX_SETUP(&self->f, variant, "longterm", FILE_LEN); }
FIXTURE_TEARDOWN(fsdax) { fsdax_file_close(&self->f); }

TEST_F(fsdax, io_uring_register_buffers_is_refused)
{
	uint8_t *p;
	int ret;

	p = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->f.fd, 0);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, FILE_LEN, 111);

	ret = io_uring_pin_buffer(p, FILE_LEN);
	TH_LOG("long-term pin of FS DAX: %s", ret ? strerror(-ret) : "allowed");
	if (dax_pages_refcounted()) {
		EXPECT_LT(ret, 0);
	} else {
		EXPECT_EQ(ret, -EOPNOTSUPP);
	}
	EXPECT_EQ(check_pattern(p, FILE_LEN, 111), -1);
	ASSERT_EQ(munmap(p, FILE_LEN), 0);
}

TEST_F(fsdax, short_term_pin_is_allowed)
{
	uint8_t *p;
	int ret, pipefd[2];
	struct iovec iov;

	p = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->f.fd, 0);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, FILE_LEN, 112);
	/* vmsplice takes ordinary (not long-term) page references */
	ASSERT_EQ(pipe(pipefd), 0);
	iov.iov_base = p;
	iov.iov_len = SZ_4K;
	ret = vmsplice(pipefd[1], &iov, 1, 0);
	EXPECT_EQ(ret, SZ_4K) TH_LOG("vmsplice: %s", strerror(errno));
	close(pipefd[0]);
	close(pipefd[1]);
	ASSERT_EQ(munmap(p, FILE_LEN), 0);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * A read-only GUP-fast long-term pin (gup_test PIN_LONGTERM_TEST_START
 * with PIN_LONGTERM_TEST_FLAG_USE_FAST and no write) of present,
 * read-only FS DAX entries (PTE and PMD, ext4 and xfs) is refused and
 * leaves no reference or pin behind, while the same pin of anonymous
 * memory and of device DAX succeeds and reads back the data.
 *
 * This is the path where GUP-fast meets an FS DAX folio without the
 * write flag that makes gup_fast_folio_allowed() bail out for file
 * pages. What refuses it there is the folio type
 * (folio_is_longterm_pinnable() in try_grab_folio_fast()) and, right
 * after, gup_must_unshare(), which sends every read-only long-term pin
 * of a read-only file entry to the slow path when it has no VMA; the
 * slow path's VMA check then refuses FS DAX. Either guard alone keeps
 * this test passing (tests/README.md, "Seen failing on a kernel broken
 * on purpose"). Base kernel and series differ on purpose:
 *  - base:   GUP-fast skips devmap entries under FOLL_LONGTERM, and the
 *            slow path's check_vma_flags() refuses the FS DAX VMA:
 *            EOPNOTSUPP;
 *  - series: the FS DAX folio is not long-term pinnable, whatever maps
 *            it; the pin is refused (the errno is logged).
 * Counts as in lib/page_refs.h.
 */
#include "lib/dax_test.h"
#include "lib/page_refs.h"

#define PIN_LONGTERM_TEST_START	_IOW('g', 7, struct pin_longterm_test)
#define PIN_LONGTERM_TEST_STOP	_IO('g', 8)
#define PIN_LONGTERM_TEST_READ	_IOW('g', 9, __u64)
#define PIN_LONGTERM_TEST_FLAG_USE_WRITE	1
#define PIN_LONGTERM_TEST_FLAG_USE_FAST		2

struct pin_longterm_test {
	__u64 addr;
	__u64 size;
	__u32 flags;
};

/* Pin [p, p + len) long-term, fast, read-only: 0 or -errno. */
static int pin_fast_ro(int gfd, void *p, size_t len)
{
	struct pin_longterm_test t = {
		.addr = (uintptr_t)p, .size = len,
		.flags = PIN_LONGTERM_TEST_FLAG_USE_FAST,
	};

	return ioctl(gfd, PIN_LONGTERM_TEST_START, &t) ? -errno : 0;
}

static int pin_read(int gfd, void *dst)
{
	__u64 addr = (uintptr_t)dst;

	return ioctl(gfd, PIN_LONGTERM_TEST_READ, &addr) ? -errno : 0;
}

static int pin_stop(int gfd)
{
	return ioctl(gfd, PIN_LONGTERM_TEST_STOP) ? -errno : 0;
}

static int open_gup_test(void)
{
	return open(GUP_TEST_FILE, O_RDWR);
}

static void read_touch(uint8_t *p, size_t len)
{
	for (size_t off = 0; off < len; off += SZ_4K)
		(void)((volatile uint8_t *)p)[off];
}

FIXTURE(fsdax) {
	struct fsdax_file f;
	size_t unit, len;
	uint8_t *m;
	int gfd;
};
FIXTURE_VARIANT(fsdax) { const char *env; size_t unit; };
FIXTURE_VARIANT_ADD(fsdax, ext4_pte) { .env = ENV_EXT4_DIR, .unit = SZ_4K };
FIXTURE_VARIANT_ADD(fsdax, ext4_pmd) { .env = ENV_EXT4_DIR, .unit = SZ_2M };
FIXTURE_VARIANT_ADD(fsdax, xfs_pte) { .env = ENV_XFS_DIR, .unit = SZ_4K };
FIXTURE_VARIANT_ADD(fsdax, xfs_pmd) { .env = ENV_XFS_DIR, .unit = SZ_2M };

FIXTURE_SETUP(fsdax)
{
	uint8_t *buf;

	self->m = MAP_FAILED;
	self->gfd = -1;
	self->unit = variant->unit;
	self->len = variant->unit == SZ_4K ? 16 * SZ_4K : 2 * SZ_2M;
	FSDAX_SETUP(&self->f, variant, "longterm_fast_ro", self->len);
	self->gfd = open_gup_test();
	if (self->gfd < 0)
		SKIP(return, "%s: %s (CONFIG_GUP_TEST, debugfs, root)",
		     GUP_TEST_FILE, strerror(errno));
	buf = malloc(self->len);
	ASSERT_NE(buf, NULL);
	fill_pattern(buf, self->len, 31);
	ASSERT_EQ(pwrite(self->f.fd, buf, self->len, 0), (ssize_t)self->len);
	free(buf);
	/* a read-only mapping, populated by read faults */
	self->m = mmap_aligned(self->len, SZ_2M, PROT_READ, MAP_SHARED,
			       self->f.fd, 0);
	ASSERT_NE(self->m, MAP_FAILED);
	read_touch(self->m, self->len);
	for (size_t off = 0; off < self->len; off += self->unit) {
		int rw = -1;

		ASSERT_EQ(mapped_page_size(self->m + off, &rw), (long)self->unit)
			TH_LOG("offset %#zx is not mapped by a %zu-byte entry",
			       off, self->unit);
		ASSERT_EQ(rw, 0);
	}
}

FIXTURE_TEARDOWN(fsdax)
{
	if (self->gfd >= 0) {
		pin_stop(self->gfd);
		close(self->gfd);
	}
	if (self->m != MAP_FAILED)
		munmap(self->m, self->len);
	fsdax_file_close(&self->f);
}

TEST_F(fsdax, fast_read_only_longterm_pin_is_refused)
{
	int ret = pin_fast_ro(self->gfd, self->m, self->len);

	TH_LOG("read-only GUP-fast long-term pin of FS DAX: %s (%s kernel)",
	       ret ? strerror(-ret) : "allowed", dax_model_name());
	if (dax_pages_refcounted()) {
		EXPECT_LT(ret, 0);
	} else {
		EXPECT_EQ(ret, -EOPNOTSUPP);
	}
	/* a refused pin holds nothing: PIN_LONGTERM_TEST_READ has no pages */
	EXPECT_EQ(pin_read(self->gfd, self->m), -EINVAL);
	for (size_t off = 0; off < self->len; off += self->unit) {
		EXPECT_PAGE_REFS(self->m + off, fsdax_expected(1),
				 self->unit > SZ_4K, "after the refused pin");
	}
	EXPECT_EQ(check_pattern(self->m, self->len, 31), -1);
}

/* The controls: the same pin of memory that may be pinned long-term. */
TEST(anonymous_memory_is_pinned)
{
	size_t len = 16 * SZ_4K;
	uint8_t *p, *back;
	int gfd = open_gup_test();

	if (gfd < 0)
		SKIP(return, "%s: %s", GUP_TEST_FILE, strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	ASSERT_NE(p, MAP_FAILED);
	back = malloc(len);
	ASSERT_NE(back, NULL);
	fill_pattern(p, len, 32);
	ASSERT_EQ(mprotect(p, len, PROT_READ), 0);
	ASSERT_EQ(pin_fast_ro(gfd, p, len), 0)
		TH_LOG("pin of anonymous memory: %s", strerror(errno));
	ASSERT_EQ(pin_read(gfd, back), 0);
	EXPECT_EQ(check_pattern(back, len, 32), -1);
	EXPECT_EQ(pin_stop(gfd), 0);
	free(back);
	munmap(p, len);
	close(gfd);
}

FIXTURE(devdax) {
	struct devdax d;
	size_t len;
	uint8_t *m;
	int gfd;
};
FIXTURE_VARIANT(devdax) { const char *env; size_t align; };
FIXTURE_VARIANT_ADD(devdax, align_4k) { .env = ENV_DEVDAX_4K, .align = SZ_4K };
FIXTURE_VARIANT_ADD(devdax, align_2m) { .env = ENV_DEVDAX_2M, .align = SZ_2M };

FIXTURE_SETUP(devdax)
{
	self->m = MAP_FAILED;
	self->gfd = -1;
	DEVDAX_SETUP(&self->d, variant);
	self->gfd = open_gup_test();
	if (self->gfd < 0)
		SKIP(return, "%s: %s", GUP_TEST_FILE, strerror(errno));
	self->len = devdax_test_len(&self->d);
	self->m = devdax_map(&self->d, self->len, PROT_READ | PROT_WRITE);
	ASSERT_NE(self->m, MAP_FAILED);
	fill_pattern(self->m, self->len, 33);
	ASSERT_EQ(mprotect(self->m, self->len, PROT_READ), 0);
}

FIXTURE_TEARDOWN(devdax)
{
	if (self->gfd >= 0) {
		pin_stop(self->gfd);
		close(self->gfd);
	}
	if (self->m != MAP_FAILED)
		munmap(self->m, self->len);
	devdax_close(&self->d);
}

TEST_F(devdax, fast_read_only_longterm_pin_is_allowed)
{
	size_t len = 16 * SZ_4K;	/* of the first unit */
	struct dax_expect after = devdax_expected(1);
	struct page_refs r;
	uint8_t *back = malloc(len);
	int rw = -1;

	ASSERT_NE(back, NULL);
	ASSERT_EQ(mapped_page_size(self->m, &rw), (long)self->d.align);
	ASSERT_EQ(rw, 0);
	ASSERT_EQ(pin_fast_ro(self->gfd, self->m, len), 0)
		TH_LOG("pin of device DAX: %s", strerror(errno));
	ASSERT_EQ(pin_read(self->gfd, back), 0);
	EXPECT_EQ(check_pattern(back, len, 33), -1);
	/*
	 * pinned: +1024 on a small folio, +1 and pincount 1 per page on a
	 * large one. A PTE-mapped large folio (a 4K device's PMD folio, the
	 * series) also holds a reference per mapped page of it: the pages
	 * from the first one to the folio's end, within the mapping.
	 */
	ASSERT_EQ(page_refs_read(self->m, &r), 0);
	if (r.order) {
		long left = (1L << r.order) - (long)(r.pfn & ((1UL << r.order) - 1));
		long ptes = self->d.align > SZ_4K ? 1 :
			    left < (long)(self->len / SZ_4K) ? left :
			    (long)(self->len / SZ_4K);
		long pins = left < 16 ? left : 16;

		EXPECT_EQ(r.order, self->d.align > SZ_4K ? r.order :
				   devdax_4k_folio_order(&self->d, r.pfn));
		EXPECT_EQ(r.refcount, devdax_expected(1).refcount - 1 + ptes + pins);
		EXPECT_EQ(r.pincount, pins);
		after = devdax_expected(1);
		after.refcount += ptes - 1;
		after.maps += ptes - 1;
	} else {
		EXPECT_EQ(r.refcount, devdax_expected(1).refcount + 1024);
	}
	EXPECT_EQ(pin_stop(self->gfd), 0);
	EXPECT_PAGE_REFS(self->m, after, self->d.align > SZ_4K,
			 "after unpinning");
	free(back);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Memory failure in a page of an FS DAX file that nothing maps right now
 * is recovered: the kernel marks the page poisoned, reports "dax page:
 * Recovered" for its pfn and the injection returns 0. Nothing maps the
 * page, so no process is signalled.
 *
 * Both kernels agree. On the base kernel such a page sits at refcount 1
 * and its file is found through ->mapping; under the series it is idle
 * at refcount 0, where memory failure cannot take a reference, and must
 * still mark the page (x86 takes a recovered page out of the direct map).
 *
 * The failure is injected by pfn (CONFIG_HWPOISON_INJECT). The poisoned
 * block stays bad, so the file is kept, and the test runs late.
 */
#include "lib/page_refs.h"

#define CORRUPT_PFN	"/sys/kernel/debug/hwpoison/corrupt-pfn"
#define FILE_LEN	(4 * SZ_4K)
#define BAD		SZ_4K

FIXTURE(fsdax) { struct fsdax_file f; };
FSDAX_VARIANTS_AND_EXT2(fsdax);
FIXTURE_SETUP(fsdax) { FSDAX_SETUP(&self->f, variant, "hwpoison-idle", FILE_LEN); }
FIXTURE_TEARDOWN(fsdax)
{
	/* keep the poisoned blocks out of later files */
	if (self->f.fd >= 0)
		close(self->f.fd);
}

/* Whether the log reports @pfn recovered ("Memory failure: PFN: ..."). */
static int log_says_recovered(int kfd, unsigned long pfn, char *seen, size_t len)
{
	static const char failure[] = "Memory failure: ";
	const char *msg;
	char rec[1024];

	seen[0] = 0;
	while ((msg = kmsg_watch_next(kfd, rec, sizeof(rec)))) {
		if (strncmp(msg, failure, strlen(failure)) ||
		    strtoul(msg + strlen(failure), NULL, 16) != pfn)
			continue;
		snprintf(seen, len, "%.200s", msg);
		if (strstr(msg, "recovery action for dax page"))
			return strstr(msg, "Recovered") != NULL;
	}
	return 0;
}

TEST_F(fsdax, unmapped_page_is_recovered)
{
	char buf[32], seen[256];
	unsigned long pfn;
	uint8_t *p;
	int kfd, fd;

	if (getuid())
		SKIP(return, "injecting memory failure needs root");
	if (access(CORRUPT_PFN, W_OK))
		SKIP(return, "%s missing (CONFIG_HWPOISON_INJECT)", CORRUPT_PFN);

	/* learn the pfn of one page, then leave nothing mapping it */
	p = mmap(NULL, FILE_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, self->f.fd, 0);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, FILE_LEN, 41);
	pfn = pagemap_entry(p + BAD) & PM_PFN_MASK;
	ASSERT_NE(pfn, 0) TH_LOG("pagemap shows no pfn (root needed)");
	ASSERT_EQ(munmap(p, FILE_LEN), 0);
	ASSERT_EQ(fsync(self->f.fd), 0);

	kfd = kmsg_watch_start();
	ASSERT_GE(kfd, 0);
	fd = open(CORRUPT_PFN, O_WRONLY);
	ASSERT_GE(fd, 0);
	snprintf(buf, sizeof(buf), "%#lx\n", pfn);
	EXPECT_EQ(write(fd, buf, strlen(buf)), (ssize_t)strlen(buf))
		TH_LOG("memory failure of idle pfn %#lx: %s", pfn, strerror(errno));
	close(fd);
	EXPECT_TRUE(log_says_recovered(kfd, pfn, seen, sizeof(seen)))
		TH_LOG("the log says \"%s\"", seen);
	close(kfd);
}

TEST_HARNESS_MAIN

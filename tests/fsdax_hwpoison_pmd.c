// SPDX-License-Identifier: GPL-2.0
/*
 * Memory failure in a 2 MiB FS DAX extent names the failing page, not
 * the start of its folio: MADV_HWPOISON of one 4 KiB page inside a PMD
 * fault's range raises SIGBUS (BUS_MCEERR_AR) whose si_addr lies in that
 * page, with si_addr_lsb 12 once the PMD is split into PTEs and 21 while
 * one PMD maps it (the kernel takes the whole PMD away), and the kernel
 * log names that page's pfn; the pages around it keep their data; a
 * process whose private mapping holds its own copy of that page is not
 * told that its page is bad. One MADV_HWPOISON over several pages of the
 * extent makes memory failure act on each of them in turn, not only on
 * the first: the call steps by the page, since memory failure acts on
 * that page and not on its whole folio.
 *
 * xfs with its reverse-mapping btree (the @mapdev pass's xfs) hears of a
 * failure by file range and hands it back by index (mf_dax_kill_procs()),
 * which finds the page through its DAX entry; the series then sizes each
 * mapping only where its entry maps that very page.
 *
 * The base kernel and the series agree, but for one named difference:
 * on the base kernel that index lookup returns the first page of a PMD
 * entry, which is marked poisoned and named in the log in place of the
 * failed page (the series' fix 0008). The case that reads the log skips
 * for xfs where DAX_BASE_FIXES=0.
 *
 * Poisoned blocks stay bad, so each case poisons a file of its own,
 * leaves it in place for no later test to reuse, and the program runs
 * late in the suite (and last in the @mapdev pass).
 */
#include <setjmp.h>
#include <signal.h>
#include <sys/prctl.h>
#include "lib/dax_test.h"
#include "lib/kmsg.h"

#define FILE_LEN	SZ_2M
#define BAD		0x10000UL	/* the poisoned page, inside the extent */
#define READONLY	0x100000UL	/* mprotect()ed to split the PMD */
#define SPAN_PAGES	3		/* poisoned in one call, from BAD */

static sigjmp_buf bus_jmp;
static siginfo_t bus_info;
static volatile sig_atomic_t bus_seen;

static void on_sigbus(int sig, siginfo_t *info, void *uc)
{
	bus_info = *info;
	bus_seen = 1;
	siglongjmp(bus_jmp, 1);
}

/*
 * Poison the page at @addr and return the SIGBUS that it raised, at the
 * madvise() call or at the next access; si_signo is 0 when none came.
 */
static siginfo_t poison_page(struct __test_metadata *_metadata, uint8_t *addr)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	siginfo_t none = { 0 };

	ASSERT_EQ(sigaction(SIGBUS, &sa, NULL), 0);
	bus_seen = 0;
	if (sigsetjmp(bus_jmp, 1) == 0) {
		int err = madvise(addr, SZ_4K, MADV_HWPOISON) ? errno : 0;

		EXPECT_EQ(err, 0) TH_LOG("MADV_HWPOISON: %s", strerror(err));
		(void)*(volatile uint8_t *)addr;
	}
	signal(SIGBUS, SIG_DFL);
	return bus_seen ? bus_info : none;
}

/* True when all of [addr, addr + len) still reads back the pattern. */
static int reads_pattern(uint8_t *base, size_t off, size_t len, int seed)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	int ok = 0;

	sigaction(SIGBUS, &sa, NULL);
	bus_seen = 0;
	if (sigsetjmp(bus_jmp, 1) == 0) {
		ok = 1;
		for (size_t i = off; i < off + len; i += 8)
			if (*(uint64_t *)(base + i) != pattern_word(i / 8, seed))
				ok = 0;
	}
	signal(SIGBUS, SIG_DFL);
	return ok && !bus_seen;
}

FIXTURE(poison) { struct fsdax_file f; uint8_t *p; };
FSDAX_VARIANTS(poison);

FIXTURE_SETUP(poison)
{
	self->p = MAP_FAILED;
	if (getuid())
		SKIP(return, "MADV_HWPOISON needs root");
	FSDAX_SETUP(&self->f, variant, "hwpoison_pmd", FILE_LEN);
	self->p = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE,
			       MAP_SHARED, self->f.fd, 0);
	ASSERT_NE(self->p, MAP_FAILED);
	fill_pattern(self->p, FILE_LEN, 191);
	ASSERT_EQ(mapped_page_size(self->p, NULL), SZ_2M)
		TH_LOG("the extent is not mapped by a PMD");
}

FIXTURE_TEARDOWN(poison)
{
	if (self->p != MAP_FAILED)
		munmap(self->p, FILE_LEN);
	self->f.path[0] = 0;	/* keep the poisoned blocks allocated */
	fsdax_file_close(&self->f);
}

static void expect_sigbus_at_bad_page(struct __test_metadata *_metadata,
				      const siginfo_t *si, uint8_t *p, int lsb)
{
	uint8_t *addr = si->si_addr;

	ASSERT_EQ(si->si_signo, SIGBUS) TH_LOG("no SIGBUS");
	EXPECT_EQ(si->si_code, BUS_MCEERR_AR);
	TH_LOG("si_addr = p + %#lx, si_addr_lsb = %d (poisoned p + %#lx)",
	       (long)(addr - p), si->si_addr_lsb, BAD);
	EXPECT_TRUE(addr >= p + BAD && addr < p + BAD + SZ_4K)
		TH_LOG("si_addr is %ld bytes off the poisoned page",
		       (long)(addr - (p + BAD)));
	EXPECT_EQ(si->si_addr_lsb, lsb);
}

TEST_F(poison, pte_mapped_after_split_reports_failing_page)
{
	siginfo_t si;

	/* a 4 KiB mprotect() in the middle splits the PMD */
	ASSERT_EQ(mprotect(self->p + READONLY, SZ_4K, PROT_READ), 0);
	for (size_t off = 0; off < FILE_LEN; off += SZ_4K) {
		if (off == READONLY)
			(void)*(volatile uint8_t *)(self->p + off);
		else
			self->p[off] = pattern_byte(off, 191);
	}
	ASSERT_EQ(mapped_page_size(self->p + BAD, NULL), SZ_4K);

	si = poison_page(_metadata, self->p + BAD);
	expect_sigbus_at_bad_page(_metadata, &si, self->p, 12);
	EXPECT_TRUE(reads_pattern(self->p, 0, BAD, 191))
		TH_LOG("the pages before the poisoned one lost their data");
	EXPECT_TRUE(reads_pattern(self->p, BAD + SZ_4K, 16 * SZ_4K, 191))
		TH_LOG("the pages after the poisoned one lost their data");
}

TEST_F(poison, pmd_mapped_reports_failing_page)
{
	siginfo_t si = poison_page(_metadata, self->p + BAD);

	expect_sigbus_at_bad_page(_metadata, &si, self->p, 21);
	EXPECT_TRUE(reads_pattern(self->p, 0, BAD, 191))
		TH_LOG("the pages before the poisoned one lost their data");
}

/*
 * The pfns in the "Memory failure: <pfn>: Sending SIGBUS to <comm>:<pid>"
 * records for @pid in the kernel log after @kfd's position, in the order
 * logged: up to @max into @pfns. Returns how many there were.
 */
static int sigbus_record_pfns(int kfd, pid_t pid, unsigned long *pfns, int max)
{
	static const char failure[] = "Memory failure: ";
	char rec[1024], who[32];
	const char *msg;
	int n = 0;

	snprintf(who, sizeof(who), ":%d due to", (int)pid);
	while ((msg = kmsg_watch_next(kfd, rec, sizeof(rec)))) {
		if (strncmp(msg, failure, strlen(failure)) ||
		    !strstr(msg, "Sending SIGBUS to") || !strstr(msg, who))
			continue;
		if (n < max)
			pfns[n] = strtoul(msg + strlen(failure), NULL, 16);
		n++;
	}
	return n;
}

TEST_F(poison, pmd_mapped_failure_names_failing_pfn)
{
	unsigned long pfn = pagemap_entry(self->p + BAD) & PM_PFN_MASK;
	unsigned long named = 0;
	siginfo_t si;
	int kfd;

	if (!dax_base_bugs_fixed() && !strcmp(variant->env, ENV_XFS_DIR))
		SKIP(return, "base kernel: xfs with rmapbt names the PMD entry's first page (series fix 0008)");
	ASSERT_NE(pfn, 0) TH_LOG("no pfn in pagemap for the page to poison");
	kfd = kmsg_watch_start();
	ASSERT_GE(kfd, 0) TH_LOG("/dev/kmsg: %s", strerror(errno));

	si = poison_page(_metadata, self->p + BAD);
	expect_sigbus_at_bad_page(_metadata, &si, self->p, 21);
	sigbus_record_pfns(kfd, getpid(), &named, 1);
	close(kfd);
	EXPECT_EQ(named, pfn)
		TH_LOG("the log names pfn %#lx, the failed page is %#lx (%+ld pages)",
		       named, pfn, (long)(named - pfn));
}

/* Note a SIGBUS and return to the faulting code (no jump). */
static void on_sigbus_note(int sig, siginfo_t *info, void *uc)
{
	bus_info = *info;
	bus_seen = 1;
}

TEST_F(poison, pmd_mapped_span_poisons_each_page)
{
	unsigned long pfn = pagemap_entry(self->p + BAD) & PM_PFN_MASK;
	struct sigaction sa = { .sa_sigaction = on_sigbus_note, .sa_flags = SA_SIGINFO };
	unsigned long named[SPAN_PAGES] = { 0 };
	int kfd, err, records;

	if (!dax_base_bugs_fixed() && !strcmp(variant->env, ENV_XFS_DIR))
		SKIP(return, "base kernel: xfs with rmapbt names the PMD entry's first page (series fix 0008)");
	ASSERT_NE(pfn, 0) TH_LOG("no pfn in pagemap for the first page to poison");
	kfd = kmsg_watch_start();
	ASSERT_GE(kfd, 0) TH_LOG("/dev/kmsg: %s", strerror(errno));
	ASSERT_EQ(sigaction(SIGBUS, &sa, NULL), 0);
	bus_seen = 0;
	err = madvise(self->p + BAD, SPAN_PAGES * SZ_4K, MADV_HWPOISON) ? errno : 0;
	signal(SIGBUS, SIG_DFL);
	EXPECT_EQ(err, 0) TH_LOG("MADV_HWPOISON: %s", strerror(err));
	EXPECT_TRUE(bus_seen) TH_LOG("no SIGBUS for the poisoned pages");
	records = sigbus_record_pfns(kfd, getpid(), named, SPAN_PAGES);
	close(kfd);

	/* memory failure acted on, and told us of, each page in turn */
	EXPECT_EQ(records, SPAN_PAGES)
		TH_LOG("memory failure sent SIGBUS for %d of the %d pages", records,
		       SPAN_PAGES);
	for (int i = 0; i < SPAN_PAGES; i++) {
		EXPECT_EQ(named[i], pfn + i)
			TH_LOG("failure %d names pfn %#lx, want %#lx", i, named[i], pfn + i);
	}
	EXPECT_TRUE(reads_pattern(self->p, 0, BAD, 191))
		TH_LOG("the pages before the poisoned ones lost their data");
	EXPECT_TRUE(reads_pattern(self->p, BAD + SPAN_PAGES * SZ_4K, SZ_4K, 191))
		TH_LOG("the page after the poisoned ones lost its data");
}

/*
 * A child that asked to hear of memory failures early (PR_MCE_KILL_EARLY)
 * maps the file privately, writes the page to be poisoned, so that its
 * mapping holds an anonymous copy of it, and reads the file's first page.
 * Only the parent, whose shared mapping holds the failing page, hears
 * of the failure.
 */
TEST_F(poison, private_copy_is_not_reported)
{
	int ready[2], done[2], report[2], status;
	struct { int sigbus, code; long off; int copy_ok; } r = { 0 };
	siginfo_t si;
	pid_t pid;
	char c;

	ASSERT_EQ(pipe(ready), 0);
	ASSERT_EQ(pipe(done), 0);
	ASSERT_EQ(pipe(report), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		uint8_t *q = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE, self->f.fd, 0);
		struct sigaction sa = { .sa_sigaction = on_sigbus,
					.sa_flags = SA_SIGINFO };

		if (q == MAP_FAILED)
			_exit(2);
		/* ask to hear of failures early, as a process that could act */
		prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0);
		memset(q + BAD, 0x5a, SZ_4K);		/* copy on write */
		(void)*(volatile uint8_t *)q;		/* and map the file's page 0 */
		sigaction(SIGBUS, &sa, NULL);
		bus_seen = 0;
		if (sigsetjmp(bus_jmp, 1) == 0) {
			if (write(ready[1], "r", 1) != 1 || read(done[0], &c, 1) != 1)
				_exit(3);
		}
		/* a signal sent during the parent's madvise() is here by now */
		r.sigbus = bus_seen;
		r.code = bus_seen ? bus_info.si_code : 0;
		r.off = bus_seen ? (uint8_t *)bus_info.si_addr - q : 0;
		signal(SIGBUS, SIG_DFL);
		r.copy_ok = 1;
		for (size_t i = BAD; i < BAD + SZ_4K; i++)
			r.copy_ok &= q[i] == 0x5a;
		_exit(write(report[1], &r, sizeof(r)) == sizeof(r) ? 0 : 4);
	}
	ASSERT_EQ(read(ready[0], &c, 1), 1);
	si = poison_page(_metadata, self->p + BAD);
	expect_sigbus_at_bad_page(_metadata, &si, self->p, 21);
	ASSERT_EQ(write(done[1], "d", 1), 1);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status))
		TH_LOG("the child with the private copy was killed by signal %d",
		       WTERMSIG(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_EQ(read(report[0], &r, sizeof(r)), sizeof(r));
	EXPECT_FALSE(r.sigbus)
		TH_LOG("the child was told its private copy is bad: SIGBUS code %d at q + %#lx",
		       r.code, r.off);
	EXPECT_TRUE(r.copy_ok) TH_LOG("the child's private copy changed");
}

TEST_HARNESS_MAIN

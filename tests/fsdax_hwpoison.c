// SPDX-License-Identifier: GPL-2.0
/*
 * MADV_HWPOISON on a page of an FS DAX mapping (root only) goes through
 * memory_failure() for device memory: the process that maps the page is
 * told with SIGBUS (BUS_MCEERR_AR, the kernel's "action required"), at
 * the madvise() call or at the next access, and the kernel survives.
 *
 * The poisoned block stays bad until it is rewritten, so the test runs
 * on its own file, in a child process, and late in the suite.
 */
#include <signal.h>
#include "lib/dax_test.h"

#define FILE_LEN	(2 * SZ_2M)

static volatile sig_atomic_t bus_code;

static void on_sigbus(int sig, siginfo_t *info, void *uc)
{
	bus_code = info->si_code;
	_exit(100 + (info->si_code == BUS_MCEERR_AR));
}

FIXTURE(fsdax) { struct fsdax_file f; };
FSDAX_VARIANTS(fsdax);
FIXTURE_SETUP(fsdax) { FSDAX_SETUP(&self->f, variant, "hwpoison", FILE_LEN); }
FIXTURE_TEARDOWN(fsdax) { fsdax_file_close(&self->f); }

TEST_F(fsdax, poisoned_page_raises_sigbus)
{
	int status;
	pid_t pid;

	if (getuid())
		SKIP(return, "MADV_HWPOISON needs root");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct sigaction sa = { .sa_sigaction = on_sigbus,
					.sa_flags = SA_SIGINFO };
		uint8_t *p = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE,
					  MAP_SHARED, self->f.fd, 0);

		if (p == MAP_FAILED)
			_exit(2);
		sigaction(SIGBUS, &sa, NULL);
		fill_pattern(p, FILE_LEN, 161);
		if (madvise(p + SZ_4K, SZ_4K, MADV_HWPOISON))
			_exit(3);
		(void)*(volatile uint8_t *)(p + SZ_4K);
		_exit(4);		/* no SIGBUS at all */
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status))
		TH_LOG("child killed by signal %d", WTERMSIG(status));
	EXPECT_EQ(WEXITSTATUS(status), 101)
		TH_LOG("exit %d: 100 = SIGBUS without BUS_MCEERR_AR, 3 = madvise failed, 4 = no SIGBUS",
		       WEXITSTATUS(status));
}

TEST_HARNESS_MAIN

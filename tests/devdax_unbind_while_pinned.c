// SPDX-License-Identifier: GPL-2.0
/*
 * Taking a device-DAX namespace's memory away (unbinding its dax_pmem
 * driver, which frees the struct pages) while an O_DIRECT read still
 * has one of its pages pinned is safe: the unbind either waits for the
 * pin or goes ahead, the read completes once its data arrives, the
 * unbind then returns, the reading process exits normally, and the
 * kernel logs no bug.
 *
 * Base kernel: skipped. GUP drops its pgmap reference when it returns,
 * so the unbind frees the memory under the pin and the read's completion
 * oopses in fuse_copy_page(), a bug older than the series; the series
 * must not have it (its pages hold references the teardown can see).
 *
 * The case makes its own devdax namespace on the NFIT region and destroys
 * it. The pin comes from a FUSE server that holds the read's answer back
 * (lib/fuse_stall.h).
 */
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include "lib/bounded_call.h"
#include "lib/nfit_namespace.h"
#include "lib/fuse_stall.h"

#define MAP_LEN		SZ_2M
#define IO_LEN		(256 * 1024UL)
#define UNBIND_MS	3000
#define DONE_MS		20000

#define DAX_PMEM_DRIVER	"/sys/bus/nd/drivers/dax_pmem"

FIXTURE(pinned)
{
	struct nfit_ns ns;
	char nd_dax[32];	/* the nd device that owns the memmap */
	int kmsg;
	int keep;
};

FIXTURE_SETUP(pinned)
{
	char path[PATH_MAX], link[128];

	self->kmsg = -1;
	self->keep = 0;
	self->ns.dev[0] = 0;
	if (!dax_pages_refcounted())
		SKIP(return, "base kernel: frees device-DAX memory under a pin");
	if (getuid())
		SKIP(return, "unbinding a driver needs root");
	if (access("/sys/bus/nd/devices", F_OK) || system("ndctl --version >/dev/null 2>&1"))
		SKIP(return, "no nd bus or no ndctl");
	if (access("/dev/fuse", R_OK | W_OK))
		SKIP(return, "no /dev/fuse");
	self->kmsg = kmsg_watch_start();
	ASSERT_EQ(nfit_ns_create(&self->ns, "-m devdax --map=mem -s 64M"), 0)
		TH_LOG("ndctl create-namespace: %s", self->ns.out);
	ASSERT_NE(self->ns.chardev[0], 0) TH_LOG("%s", self->ns.out);
	snprintf(link, sizeof(link), "/sys/bus/dax/devices/%s/..", self->ns.chardev);
	ASSERT_NE(realpath(link, path), NULL);
	snprintf(self->nd_dax, sizeof(self->nd_dax), "%s", strrchr(path, '/') + 1);
}

FIXTURE_TEARDOWN(pinned)
{
	if (self->keep)
		fprintf(stderr, "# leaving %s in place after a kernel bug\n", self->ns.dev);
	else if (nfit_ns_destroy(&self->ns))
		fprintf(stderr, "# destroy-namespace %s: %s\n", self->ns.dev,
			self->ns.out);
	if (self->kmsg >= 0)
		close(self->kmsg);
}

static long write_unbind(struct bounded_call *c)
{
	return write_str(DAX_PMEM_DRIVER "/unbind", c->path);
}

/* The held read: pread(fd, buf, IO_LEN, 0) from the FUSE file. */
static long held_read(struct bounded_call *c)
{
	return pread(c->fd, (void *)c->path, IO_LEN, 0);
}

struct pin_report {
	long read_ret;
	int read_err, unbind_waited, unbind_ret, unbind_err;
};

/*
 * In a process of its own: map the device, pin part of it with a held
 * O_DIRECT read, unbind, release the read. Exit status: 0 when the
 * read and the unbind both returned, 10 + step otherwise.
 */
static int pin_and_unbind(FIXTURE_DATA(pinned) *self, int report)
{
	struct bounded_call ub = { .fn = write_unbind, .path = self->nd_dax };
	struct bounded_call rd = { .fn = held_read };
	struct pin_report r = { 0 };
	struct fuse_stall fs;
	char dev[64];
	uint8_t *p;
	int fd;

	snprintf(dev, sizeof(dev), "/dev/%s", self->ns.chardev);
	fd = open(dev, O_RDWR);
	if (fd < 0)
		return 11;
	p = mmap_aligned(MAP_LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 12;
	fill_pattern(p, MAP_LEN, 211);
	if (fuse_stall_start(&fs))
		return 13;
	rd.fd = open(fs.file, O_RDONLY | O_DIRECT);
	if (rd.fd < 0)
		return 14;
	rd.path = (const char *)(p + SZ_4K);	/* the buffer */
	if (bounded_call_start(&rd))
		return 15;
	fuse_stall_wait_for_reads(&fs, 1);	/* the pages are pinned */

	if (bounded_call_start(&ub))
		return 16;
	r.unbind_waited = !bounded_call_wait(&ub, UNBIND_MS);
	fuse_stall_release(&fs);
	if (!bounded_call_wait(&rd, DONE_MS))
		return 17;
	r.read_ret = rd.ret;
	r.read_err = rd.err;
	if (!bounded_call_done(&ub) && !bounded_call_wait(&ub, DONE_MS))
		return 18;
	r.unbind_ret = ub.ret;
	r.unbind_err = ub.err;
	if (write(report, &r, sizeof(r)) != sizeof(r))
		return 19;
	munmap(p, MAP_LEN);
	close(fd);
	close(rd.fd);
	fuse_stall_stop(&fs);
	return 0;
}

TEST_F_TIMEOUT(pinned, unbind_under_a_pin_is_safe, 90)
{
	struct pin_report r;
	char splat[256] = "";
	int report[2], status, splats;
	pid_t pid;

	ASSERT_EQ(pipe(report), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(pin_and_unbind(self, report[1]));
	}
	close(report[1]);
	status = waitpid_within(pid, 2 * DONE_MS + 10000);
	EXPECT_NE(status, -1) TH_LOG("the pinning process did not finish");
	if (status == -1) {
		kill(pid, SIGKILL);
		self->keep = 1;
	} else {
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("the pinning process ended with status %#x: 17 = the read never returned, 18 = the unbind never returned, signal %d",
			       WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			       WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
	/* a process stuck in the kernel keeps the pipe open: only if it ended */
	if (status != -1 && read(report[0], &r, sizeof(r)) == sizeof(r)) {
		TH_LOG("unbind %s while the read was held; the read returned %ld (%s)",
		       r.unbind_waited ? "waited" : "went ahead", r.read_ret,
		       r.read_ret < 0 ? strerror(r.read_err) : "bytes");
		EXPECT_EQ(r.unbind_ret, 0) TH_LOG("unbind %s: %s", self->nd_dax,
						  strerror(r.unbind_err));
	}
	splats = kmsg_watch_splats(self->kmsg, splat, sizeof(splat));
	EXPECT_EQ(splats, 0) TH_LOG("kernel log: %s", splat);
	if (splats)
		self->keep = 1;
}

TEST_HARNESS_MAIN

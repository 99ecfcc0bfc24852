// SPDX-License-Identifier: GPL-2.0
/*
 * Unbinding an fsdax pmem namespace from its driver while a process has
 * a file of the mounted DAX file system mapped, and then letting that
 * process exit, is safe whether or not the file system is told (xfs has
 * holder ops, ext4 has none): the unbind returns, the process exits
 * normally, the file system then unmounts, and the kernel logs no bug.
 *
 * The xfs and ext4 cases make their own fsdax namespace on the NFIT
 * region and destroy it at the end; the ext4_on_dm and xfs_on_dm cases
 * put the file system on a dm-linear device over that namespace, whose
 * block device does not die with it. The virtio-pmem case unbinds the
 * suite's virtio-pmem namespace, which nothing uses after it; the
 * suite's teardown unmounts its file system.
 *
 * With the series, the unbind revokes the file system's DAX mappings
 * while the file is still mapped, stacked or not: it returns within
 * UNBIND_MS, and the mapper's next access gets SIGBUS.
 *
 * Expected difference (tests/README.md): the base kernel survives the
 * exit (its page tables hold no page references), but unmounting after
 * the unbind touches the freed memmap (__dax_invalidate_entry() from
 * eviction oopses), a bug older than the series. There the test checks
 * the exit only, and leaves the file system mounted and its namespace in
 * place, since any unmount would evict the inodes.
 */
#include <sys/mount.h>
#include <sys/prctl.h>
#include <signal.h>
#include "lib/bounded_call.h"
#include "lib/nfit_namespace.h"

#define FILE_LEN	(64 * 1024)
#define UNBIND_MS	5000	/* a kernel may wait for the mapping to go */
#define EXIT_MS		20000

#define ND_PMEM_UNBIND	"/sys/bus/nd/drivers/nd_pmem/unbind"

FIXTURE(unbind)
{
	struct nfit_ns ns;
	char dir[64];
	char file[96];
	int mounted;
	int kmsg;
	int keep_ns;
	int leave_mounted;	/* base kernel: an unmount would oops */
	char dm_name[48];	/* per variant: the base kernel leaves it */
	int dm_made;
};

FIXTURE_VARIANT(unbind)
{
	const char *fstype;
	const char *mkfs;
	const char *size;
	int vpmem;	/* the suite's virtio-pmem namespace, mounted again */
	int dm;		/* on dm-linear over the namespace */
};


/*
 * mkfs.xfs refuses file systems under 300 MiB unless it runs under
 * fstests, which it recognises by these variables; the NFIT region has
 * less than that to spare.
 */
FIXTURE_VARIANT_ADD(unbind, xfs)
{
	.fstype = "xfs",
	.mkfs = "TEST_DIR=/tmp TEST_DEV=/dev/null QA_CHECK_FS=1 mkfs.xfs -q -f",
	.size = "128M",
};

/* after xfs: an oops here can leave the kernel unable to add memory */
FIXTURE_VARIANT_ADD(unbind, ext4)
{
	.fstype = "ext4", .mkfs = "mkfs.ext4 -q -F -b 4096", .size = "64M",
};

FIXTURE_VARIANT_ADD(unbind, xfs_on_dm)
{
	.fstype = "xfs",
	.mkfs = "TEST_DIR=/tmp TEST_DEV=/dev/null QA_CHECK_FS=1 mkfs.xfs -q -f",
	.size = "128M", .dm = 1,
};

FIXTURE_VARIANT_ADD(unbind, ext4_on_dm)
{
	.fstype = "ext4", .mkfs = "mkfs.ext4 -q -F -b 4096", .size = "64M",
	.dm = 1,
};

/*
 * Last: virtio-pmem has one namespace, the suite's, which carries ext4
 * (no holder ops) and is not bound again afterwards.
 */
FIXTURE_VARIANT_ADD(unbind, virtio_pmem)
{
	.fstype = "ext4", .vpmem = 1,
};

/* The virtio-pmem namespace and its block device, from ndctl. */
static int vpmem_ns(struct nfit_ns *ns)
{
	memset(ns, 0, sizeof(*ns));
	if (run_cmd("ndctl list -b virtio-pmem -N 2>&1", ns->out, sizeof(ns->out)))
		return -1;
	json_field(ns->out, "dev", ns->dev, sizeof(ns->dev));
	json_field(ns->out, "blockdev", ns->blockdev, sizeof(ns->blockdev));
	return ns->blockdev[0] ? 0 : -1;
}

FIXTURE_SETUP(unbind)
{
	char cmd[256], out[1024], dev[64], args[96];
	uint8_t *buf;
	int fd;

	self->mounted = 0;
	self->keep_ns = 0;
	self->leave_mounted = 0;
	self->dm_made = 0;
	self->dir[0] = 0;
	self->ns.dev[0] = 0;
	self->kmsg = -1;
	if (getuid())
		SKIP(return, "unbinding a namespace needs root");
	if (access("/sys/bus/nd/devices", F_OK) || system("ndctl --version >/dev/null 2>&1"))
		SKIP(return, "no nd bus or no ndctl");
	if (variant->dm && system("dmsetup version >/dev/null 2>&1"))
		SKIP(return, "no dmsetup, or no device mapper in the kernel");
	if (variant->vpmem) {
		if (!dax_env(ENV_VPMEM_DIR))
			SKIP(return, "%s not set", ENV_VPMEM_DIR);
		/* the suite's own mount would be unmounted at its teardown */
		if (!dax_pages_refcounted())
			SKIP(return, "base kernel: unmounting a DAX file system after its unbind oopses in __dax_invalidate_entry()");
	}
	self->kmsg = kmsg_watch_start();

	if (variant->vpmem) {
		/* a second mount of the same file system, which stays mounted */
		ASSERT_EQ(vpmem_ns(&self->ns), 0) TH_LOG("%s", self->ns.out);
		self->keep_ns = 1;
		snprintf(dev, sizeof(dev), "/dev/%s", self->ns.blockdev);
	} else {
		snprintf(args, sizeof(args), "-m fsdax --map=mem -s %s",
			 variant->size);
		ASSERT_EQ(nfit_ns_create(&self->ns, args), 0)
			TH_LOG("ndctl create-namespace %s: %s", args, self->ns.out);
		ASSERT_NE(self->ns.blockdev[0], 0) TH_LOG("%s", self->ns.out);
		snprintf(dev, sizeof(dev), "/dev/%s", self->ns.blockdev);
		if (variant->dm) {
			/* no udev in the guest: devtmpfs makes /dev/dm-N */
			snprintf(self->dm_name, sizeof(self->dm_name),
				 "fsdax_unbind_%s", variant->fstype);
			snprintf(cmd, sizeof(cmd),
				 "dmsetup create --noudevsync %s --table \"0 $(blockdev --getsz %s) linear %s 0\" 2>&1",
				 self->dm_name, dev, dev);
			ASSERT_EQ(run_cmd(cmd, out, sizeof(out)), 0)
				TH_LOG("%s: %s", cmd, out);
			self->dm_made = 1;
			snprintf(cmd, sizeof(cmd),
				 "dmsetup info -c --noheadings -o blkdevname %s",
				 self->dm_name);
			ASSERT_EQ(run_cmd(cmd, out, sizeof(out)), 0) TH_LOG("%s", out);
			out[strcspn(out, "\n ")] = 0;
			snprintf(dev, sizeof(dev), "/dev/%s", out);
		}
		snprintf(cmd, sizeof(cmd), "%s %s 2>&1", variant->mkfs, dev);
		ASSERT_EQ(run_cmd(cmd, out, sizeof(out)), 0)
			TH_LOG("%s: %s", cmd, out);
	}

	snprintf(self->dir, sizeof(self->dir), "%s/fsdax_unbind.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ASSERT_NE(mkdtemp(self->dir), NULL);
	ASSERT_EQ(mount(dev, self->dir, variant->fstype, 0, "dax=always"), 0)
		TH_LOG("mount %s -o dax=always: %s", dev, strerror(errno));
	self->mounted = 1;

	snprintf(self->file, sizeof(self->file), "%s/mapped", self->dir);
	fd = open(self->file, O_RDWR | O_CREAT, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_TRUE(fd_is_dax(fd));
	buf = malloc(FILE_LEN);
	ASSERT_NE(buf, NULL);
	fill_pattern(buf, FILE_LEN, 201);
	ASSERT_EQ(pwrite(fd, buf, FILE_LEN, 0), FILE_LEN);
	free(buf);
	ASSERT_EQ(fsync(fd), 0);
	close(fd);
}

FIXTURE_TEARDOWN(unbind)
{
	if (self->leave_mounted)
		fprintf(stderr, "# base kernel: leaving %s mounted on the unbound %s\n",
			self->dir, self->ns.dev);
	else if (self->mounted && (self->keep_ns || umount2(self->dir, 0)))
		umount2(self->dir, MNT_DETACH);
	if (self->dir[0] && !self->leave_mounted)
		rmdir(self->dir);
	if (self->dm_made && !self->leave_mounted) {
		char cmd[96];

		snprintf(cmd, sizeof(cmd), "dmsetup remove --noudevsync %s >/dev/null 2>&1",
			 self->dm_name);
		if (system(cmd))
			fprintf(stderr, "# dmsetup remove %s failed\n", self->dm_name);
	}
	if (!self->keep_ns && nfit_ns_destroy(&self->ns))
		fprintf(stderr, "# destroy-namespace %s: %s\n", self->ns.dev,
			self->ns.out);
	if (self->kmsg >= 0)
		close(self->kmsg);
}

static long write_unbind(struct bounded_call *c)
{
	return write_str(ND_PMEM_UNBIND, c->path);
}

#define CHILD_SIGBUS	10	/* the exit status of a child whose touch failed */

static void exit_on_sigbus(int sig)
{
	_exit(CHILD_SIGBUS);
}

TEST_F_TIMEOUT(unbind, process_exits_cleanly_after_unbind, 90)
{
	struct bounded_call ub = { .fn = write_unbind };
	int refcounted = dax_pages_refcounted();
	char owner[32], splat[256] = "";
	int ready[2], go[2], status, splats;
	pid_t pid;
	char c;

	ASSERT_EQ(blockdev_parent(self->ns.blockdev, owner, sizeof(owner)), 0);
	ub.path = owner;
	ASSERT_EQ(pipe(ready), 0);
	ASSERT_EQ(pipe(go), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd = open(self->file, O_RDONLY);
		uint8_t *p;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(go[1]);
		if (fd < 0)
			_exit(2);
		p = mmap(NULL, FILE_LEN, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED || check_pattern(p, FILE_LEN, 201) != -1)
			_exit(3);
		if (write(ready[1], "r", 1) != 1)
			_exit(4);
		while (read(go[0], &c, 1) > 0)
			;
		/*
		 * Touch the mapping again: the series revoked it. The base
		 * kernel's entries still point at the memory, which is not
		 * touched there.
		 */
		if (refcounted) {
			signal(SIGBUS, exit_on_sigbus);
			c = *(volatile uint8_t *)p;
		}
		_exit(0);			/* the exit unmaps the file */
	}
	close(ready[1]);
	close(go[0]);
	ASSERT_EQ(read(ready[0], &c, 1), 1) TH_LOG("the child could not map the file");

	ASSERT_EQ(bounded_call_start(&ub), 0);
	if (!bounded_call_wait(&ub, UNBIND_MS)) {
		TH_LOG("unbind of %s waits while the file is mapped", owner);
		/* the series revokes the mapping, stacked or not */
		EXPECT_FALSE(refcounted)
			TH_LOG("unbind did not revoke the mapping within %d s",
			       UNBIND_MS / 1000);
	}
	close(go[1]);				/* now the child touches and exits */

	status = waitpid_within(pid, EXIT_MS);
	EXPECT_NE(status, -1) TH_LOG("the child did not exit within %d s of the unbind",
				     EXIT_MS / 1000);
	if (status != -1) {
		int want = refcounted ? CHILD_SIGBUS : 0;

		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == want)
			TH_LOG("the child ended with status %#x (signal %d), want exit %d (%s)",
			       status, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
			       want, want ? "SIGBUS on the revoked mapping" : "normal");
	} else {
		kill(pid, SIGKILL);
	}
	EXPECT_TRUE(bounded_call_done(&ub) || bounded_call_wait(&ub, EXIT_MS))
		TH_LOG("unbind of %s did not return", owner);
	if (bounded_call_done(&ub))
		EXPECT_EQ(ub.ret, 0) TH_LOG("unbind %s: %s", owner, strerror(ub.err));

	if (status == -1) {
		self->keep_ns = 1;	/* a stuck mapper: leave the rest */
		goto log;
	}
	if (!dax_pages_refcounted()) {
		self->keep_ns = self->leave_mounted = 1;
		goto log;
	}

	/* unmount in a child too: eviction walks the dead device's pages */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(umount2(self->dir, 0) ? errno : 0);
	status = waitpid_within(pid, EXIT_MS);
	EXPECT_NE(status, -1) TH_LOG("umount after the unbind did not return");
	if (status != -1) {
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("umount after the unbind: %s (signal %d)",
			       WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "killed",
			       WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		if (WIFEXITED(status))
			self->mounted = WEXITSTATUS(status) != 0;
	}
log:
	splats = kmsg_watch_splats(self->kmsg, splat, sizeof(splat));
	EXPECT_EQ(splats, 0) TH_LOG("kernel log: %s", splat);
	if (splats || status == -1)
		self->keep_ns = 1;	/* tearing it down could hang as well */
}

TEST_HARNESS_MAIN

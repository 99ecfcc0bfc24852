// SPDX-License-Identifier: GPL-2.0
/*
 * Every readable sysfs attribute of a pmem namespace reads without a
 * kernel bug in each namespace mode (raw, sector, fsdax, devdax): those
 * of its block device (/sys/block/pmemN, with dax/write_cache), of the
 * nd devices it is made of (namespaceX.Y and its btt, pfn or dax
 * device) and of its device-DAX instance; and dax/write_cache, which
 * ndctl reads on raw namespaces too, says "0" or "1".
 *
 * The base kernel and the series agree. Each case makes its own
 * namespace on the NFIT region and destroys it, one of them after taking
 * it through every mode in turn; the reads run in a child
 * process, so that one that oopses is reported rather than fatal.
 */
#include <dirent.h>
#include <limits.h>
#include "lib/nfit_namespace.h"

#define READ_MS		30000

/* What the reading child reports, in shared memory. */
struct sysfs_report {
	char reading[PATH_MAX];		/* the file being read, if it died */
	char write_cache[16];		/* dax/write_cache of the block device */
	int files;
	int dirs;
};

static void read_tree(struct sysfs_report *r, const char *dir, int depth)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	r->dirs++;
	while ((de = readdir(d))) {
		char path[PATH_MAX], buf[4096];
		struct stat st;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) || S_ISLNK(st.st_mode))
			continue;	/* links lead to other devices */
		if (S_ISDIR(st.st_mode)) {
			if (depth < 4)
				read_tree(r, path, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode) || !(st.st_mode & 0444))
			continue;
		snprintf(r->reading, sizeof(r->reading), "%s", path);
		__sync_synchronize();
		fd = open(path, O_RDONLY | O_NONBLOCK);
		if (fd < 0)
			continue;
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
		r->files++;
	}
	closedir(d);
}

/* The sysfs directory behind @link, which may itself be a link. */
static int real_dir(const char *link, char *dir)
{
	return realpath(link, dir) ? 0 : -1;
}

FIXTURE(ns)
{
	struct nfit_ns ns;
	int kmsg;
	int keep;
};

FIXTURE_VARIANT(ns)
{
	const char *args;
	int has_write_cache;	/* a pmem disk that DAX can map, or raw */
	const char *then[4];	/* modes to reconfigure it to, one by one */
};

FIXTURE_VARIANT_ADD(ns, sector)
{
	.args = "-m sector -s 32M", .has_write_cache = 0,
};

FIXTURE_VARIANT_ADD(ns, fsdax)
{
	.args = "-m fsdax --map=mem -s 64M", .has_write_cache = 1,
};

FIXTURE_VARIANT_ADD(ns, devdax)
{
	.args = "-m devdax --map=mem -s 64M", .has_write_cache = 0,
};

/* one namespace through every mode, and back: attributes after a change */
FIXTURE_VARIANT_ADD(ns, mode_changes)
{
	.args = "-m raw -s 64M", .has_write_cache = 1,
	.then = { "-m sector", "-m fsdax --map=mem", "-m devdax --map=mem", "-m raw" },
};

/* last: if its reads kill the reader, the namespace is left in place */
FIXTURE_VARIANT_ADD(ns, raw)
{
	.args = "-m raw -s 16M", .has_write_cache = 1,
};

FIXTURE_SETUP(ns)
{
	self->kmsg = -1;
	self->keep = 0;
	self->ns.dev[0] = 0;
	if (getuid())
		SKIP(return, "creating namespaces needs root");
	if (access("/sys/bus/nd/devices", F_OK) || system("ndctl --version >/dev/null 2>&1"))
		SKIP(return, "no nd bus or no ndctl");
	self->kmsg = kmsg_watch_start();
	ASSERT_EQ(nfit_ns_create(&self->ns, variant->args), 0)
		TH_LOG("ndctl create-namespace %s: %s", variant->args, self->ns.out);
}

FIXTURE_TEARDOWN(ns)
{
	if (self->keep)
		fprintf(stderr, "# leaving %s in place: removing its sysfs files would wait for the dead reader\n",
			self->ns.dev);
	else if (nfit_ns_destroy(&self->ns))
		fprintf(stderr, "# destroy-namespace %s: %s\n", self->ns.dev,
			self->ns.out);
	if (self->kmsg >= 0)
		close(self->kmsg);
}

/* Read every attribute of the namespace as it is now, in a child. */
static void read_namespace(struct __test_metadata *_metadata,
			   FIXTURE_DATA(ns) *self, int has_write_cache)
{
	char dirs[4][PATH_MAX], link[PATH_MAX], splat[256] = "";
	struct sysfs_report *r;
	int n = 0, status, splats;
	pid_t pid;

	snprintf(link, sizeof(link), "/sys/bus/nd/devices/%s", self->ns.dev);
	ASSERT_EQ(real_dir(link, dirs[n]), 0) TH_LOG("%s", link);
	n++;
	if (self->ns.blockdev[0]) {
		char parent[32];

		snprintf(link, sizeof(link), "/sys/block/%s", self->ns.blockdev);
		ASSERT_EQ(real_dir(link, dirs[n]), 0) TH_LOG("%s", link);
		n++;
		ASSERT_EQ(blockdev_parent(self->ns.blockdev, parent, sizeof(parent)), 0);
		if (strcmp(parent, self->ns.dev)) {	/* btt or pfn */
			snprintf(link, sizeof(link), "/sys/bus/nd/devices/%s", parent);
			ASSERT_EQ(real_dir(link, dirs[n]), 0) TH_LOG("%s", link);
			n++;
		}
	}
	if (self->ns.chardev[0]) {
		snprintf(link, sizeof(link), "/sys/bus/dax/devices/%s", self->ns.chardev);
		ASSERT_EQ(real_dir(link, dirs[n]), 0) TH_LOG("%s", link);
		n++;
		/* its nd_dax parent: daxX.Y on the nd bus */
		snprintf(link, sizeof(link), "%s/..", dirs[n - 1]);
		ASSERT_EQ(real_dir(link, dirs[n]), 0);
		n++;
	}

	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(r, MAP_FAILED);
	memset(r, 0, sizeof(*r));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char wc[PATH_MAX];
		ssize_t len;
		int fd;

		for (int i = 0; i < n; i++)
			read_tree(r, dirs[i], 0);
		if (self->ns.blockdev[0]) {
			snprintf(wc, sizeof(wc), "/sys/block/%s/dax/write_cache",
				 self->ns.blockdev);
			snprintf(r->reading, sizeof(r->reading), "%s", wc);
			fd = open(wc, O_RDONLY);
			if (fd >= 0) {
				len = read(fd, r->write_cache, sizeof(r->write_cache) - 1);
				if (len < 0)
					snprintf(r->write_cache, sizeof(r->write_cache),
						 "error %d", errno);
				close(fd);
			}
		}
		r->reading[0] = 0;
		_exit(0);
	}
	status = waitpid_within(pid, READ_MS);
	EXPECT_NE(status, -1) TH_LOG("reading %s did not return", r->reading);
	if (status == -1) {
		kill(pid, SIGKILL);
		self->keep = 1;
	} else {
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("the reader died (signal %d) reading %s",
			       WIFSIGNALED(status) ? WTERMSIG(status) : 0, r->reading);
		if (!WIFEXITED(status))
			self->keep = 1;
	}
	TH_LOG("%s: read %d files in %d directories", self->ns.dev, r->files, r->dirs);
	EXPECT_GT(r->files, 10);

	splats = kmsg_watch_splats(self->kmsg, splat, sizeof(splat));
	EXPECT_EQ(splats, 0) TH_LOG("kernel log: %s", splat);
	if (splats)
		self->keep = 1;

	if (has_write_cache && !self->keep) {
		r->write_cache[strcspn(r->write_cache, "\n")] = 0;
		TH_LOG("dax/write_cache of %s: \"%s\"", self->ns.blockdev, r->write_cache);
		EXPECT_TRUE(!strcmp(r->write_cache, "0") || !strcmp(r->write_cache, "1"));
	}
	munmap(r, sizeof(*r));
}

TEST_F_TIMEOUT(ns, every_attribute_reads_cleanly, 180)
{
	read_namespace(_metadata, self, variant->has_write_cache);
	for (int i = 0; i < 4 && variant->then[i] && !self->keep; i++) {
		char args[128];

		snprintf(args, sizeof(args), "-f -e %s %s", self->ns.dev,
			 variant->then[i]);
		ASSERT_EQ(nfit_ns_create(&self->ns, args), 0)
			TH_LOG("ndctl create-namespace %s: %s", args, self->ns.out);
		TH_LOG("reconfigured %s", args);
		read_namespace(_metadata, self,
			       !strcmp(variant->then[i], "-m raw") ||
			       !strncmp(variant->then[i], "-m fsdax", 8));
	}
}

TEST_HARNESS_MAIN

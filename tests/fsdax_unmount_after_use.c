// SPDX-License-Identifier: GPL-2.0
/*
 * After heavy use (many mapped files, PMD and PTE faults, fork,
 * truncate and hole punch, O_DIRECT-style GUP through vmsplice), an FS
 * DAX file system unmounts cleanly: umount() does not report EBUSY and
 * finds no busy DAX page, and after mounting again the data written
 * through mappings is there.
 */
#include <linux/falloc.h>
#include <sys/mount.h>
#include "lib/dax_test.h"

#define NFILES		16
#define FILE_LEN	(2 * SZ_2M)

static int mount_source(const char *dir, char *dev, size_t len)
{
	char line[512], src[256], mnt[256];
	FILE *f = fopen("/proc/mounts", "r");
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s %255s", src, mnt) == 2 && !strcmp(mnt, dir))
			found = snprintf(dev, len, "%s", src) > 0;
	if (f)
		fclose(f);
	return found ? 0 : -1;
}

static void use_heavily(const char *dir, int i)
{
	char path[300];
	int fd, pipefd[2], status;
	uint8_t *p;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/heavy.%d", dir, i);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || fallocate(fd, 0, 0, FILE_LEN))
		_exit(10);
	p = mmap_aligned(FILE_LEN, (i & 1) ? SZ_4K : SZ_2M,
			 PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		_exit(11);
	fill_pattern(p, FILE_LEN, 170 + i);
	if (pipe(pipefd) == 0) {
		struct iovec iov = { p + SZ_2M, SZ_4K };

		vmsplice(pipefd[1], &iov, 1, 0);
		close(pipefd[0]);
		close(pipefd[1]);
	}
	pid = fork();
	if (pid == 0)
		_exit(check_pattern(p, FILE_LEN, 170 + i) == -1 ? 0 : 1);
	waitpid(pid, &status, 0);
	fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, SZ_2M, SZ_4K);
	if (i % 4 == 3)
		ftruncate(fd, SZ_2M + SZ_4K);
	munmap(p, FILE_LEN);
	close(fd);
}

FIXTURE(fs) { const char *dir; char dev[256]; };
FSDAX_VARIANTS(fs);
FIXTURE_SETUP(fs)
{
	self->dir = dax_env(variant->env);
	if (!self->dir)
		SKIP(return, "%s not set", variant->env);
	ASSERT_EQ(mount_source(self->dir, self->dev, sizeof(self->dev)), 0);
}
FIXTURE_TEARDOWN(fs) { }

TEST_F_TIMEOUT(fs, unmount_is_clean_and_data_persists, 240)
{
	char path[300];
	uint8_t buf[SZ_4K];
	int fd;

	for (int i = 0; i < NFILES; i++)
		use_heavily(self->dir, i);

	sync();
	ASSERT_EQ(umount(self->dir), 0) TH_LOG("umount: %s", strerror(errno));
	ASSERT_EQ(mount(self->dev, self->dir, strstr(variant->env, "EXT4") ?
			"ext4" : "xfs", 0, "dax=always"), 0)
		TH_LOG("remount: %s", strerror(errno));

	for (int i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/heavy.%d", self->dir, i);
		fd = open(path, O_RDONLY);
		ASSERT_GE(fd, 0);
		ASSERT_TRUE(fd_is_dax(fd));
		ASSERT_EQ(pread(fd, buf, SZ_4K, 0), SZ_4K);
		EXPECT_EQ(check_pattern(buf, SZ_4K, 170 + i), -1);
		close(fd);
		unlink(path);
	}
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * On ext4 and xfs mounted with -o dax=always, a fault on a 2 MiB aligned
 * mapping of a 2 MiB aligned extent is served by one PMD (the
 * fs_dax:dax_pmd_fault_done event reports NOPAGE, not FALLBACK), and the
 * data goes straight to persistent memory: it reads back through read().
 */
#include "lib/dax_test.h"

#define FILE_LEN	(4 * SZ_2M)
#define PMD_EVENT	"fs_dax/dax_pmd_fault_done"

FIXTURE(fsdax)
{
	char path[256];
	int fd;
};

FIXTURE_VARIANT(fsdax)
{
	const char *env;
};

FIXTURE_VARIANT_ADD(fsdax, ext4) { .env = ENV_EXT4_DIR };
FIXTURE_VARIANT_ADD(fsdax, xfs) { .env = ENV_XFS_DIR };

FIXTURE_SETUP(fsdax)
{
	const char *dir = dax_env(variant->env);

	self->fd = -1;
	if (!dir)
		SKIP(return, "%s not set: no DAX file system", variant->env);
	snprintf(self->path, sizeof(self->path), "%s/pmd_fault.%d", dir, getpid());
	self->fd = open(self->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_GE(self->fd, 0) TH_LOG("%s: %s", self->path, strerror(errno));
	ASSERT_TRUE(fd_is_dax(self->fd)) TH_LOG("%s is not DAX", self->path);
	ASSERT_EQ(fallocate(self->fd, 0, 0, FILE_LEN), 0);
}

FIXTURE_TEARDOWN(fsdax)
{
	if (self->fd >= 0) {
		close(self->fd);
		unlink(self->path);
	}
}

TEST_F(fsdax, write_fault_maps_pmd_and_data_persists)
{
	uint8_t *p, *buf;
	int pmd_mapped;

	p = mmap_aligned(FILE_LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(p, MAP_FAILED) TH_LOG("mmap: %s", strerror(errno));

	ASSERT_EQ(trace_begin(PMD_EVENT), 0) TH_LOG("tracefs not usable");
	fill_pattern(p, FILE_LEN, 3);
	pmd_mapped = trace_end_count(PMD_EVENT, "NOPAGE");
	EXPECT_GE(pmd_mapped, 1) TH_LOG("no PMD fault completed with NOPAGE");
	ASSERT_EQ(munmap(p, FILE_LEN), 0);

	buf = malloc(FILE_LEN);
	ASSERT_NE(buf, NULL);
	ASSERT_EQ(pread(self->fd, buf, FILE_LEN, 0), FILE_LEN);
	EXPECT_EQ(check_pattern(buf, FILE_LEN, 3), -1);
	free(buf);
}

TEST_HARNESS_MAIN

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the DAX tests. The guest's setup script
 * (scripts/guest-pmem.sh) creates the namespaces and file systems and
 * names them in environment variables; a test whose device is missing
 * skips rather than guessing.
 */
#ifndef DAX_TEST_H
#define DAX_TEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "kselftest_harness.h"

#define SZ_4K	(4096UL)
#define SZ_2M	(2UL << 20)
#define SZ_1G	(1UL << 30)

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX	0x00200000
#endif

#define TRACEFS	"/sys/kernel/tracing"

/* Environment variables set by scripts/guest-pmem.sh. */
#define ENV_DEVDAX_4K	"DAX_DEV_4K"	/* /dev/daxX.Y, 4 KiB aligned */
#define ENV_DEVDAX_2M	"DAX_DEV_2M"
#define ENV_DEVDAX_1G	"DAX_DEV_1G"
#define ENV_EXT4_DIR	"DAX_EXT4_DIR"	/* ext4 mounted -o dax=always */
#define ENV_XFS_DIR	"DAX_XFS_DIR"	/* xfs mounted -o dax=always */
#define ENV_BLOCKDEV	"DAX_BLOCKDEV"	/* a plain block device for O_DIRECT */

static inline const char *dax_env(const char *name)
{
	const char *v = getenv(name);

	return (v && *v) ? v : NULL;
}

/* True when the kernel reports that accesses to @fd bypass the page cache. */
static inline int fd_is_dax(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx))
		return 0;
	return !!(stx.stx_attributes & STATX_ATTR_DAX);
}

static inline long read_long_file(const char *path)
{
	char buf[64];
	long v = -1;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) > 0)
		v = strtol(buf, NULL, 0);
	close(fd);
	return v;
}

/* The size of /dev/daxX.Y, from sysfs. */
static inline long devdax_size(const char *dev)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/size",
		 strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev);
	return read_long_file(path);
}

static inline long devdax_align(const char *dev)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/align",
		 strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev);
	return read_long_file(path);
}

/*
 * mmap() at an address aligned to @align, so that the kernel can use a
 * PMD or PUD for the mapping whenever the backing memory allows.
 */
static inline void *mmap_aligned(size_t len, size_t align, int prot,
				 int flags, int fd, off_t off)
{
	uint8_t *area, *want;

	area = mmap(NULL, len + align, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		return MAP_FAILED;
	want = (uint8_t *)(((uintptr_t)area + align - 1) & ~(align - 1));
	if (want > area)
		munmap(area, want - area);
	munmap(want + len, area + align - want);
	return mmap(want, len, prot, flags | MAP_FIXED, fd, off);
}

/* A byte pattern that differs per page and per run, so stale data shows. */
static inline uint8_t pattern_byte(size_t off, unsigned int seed)
{
	return (uint8_t)((off >> 12) * 31 + (off & 4095) + seed);
}

static inline void fill_pattern(void *buf, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = pattern_byte(i, seed);
}

/* Offset of the first byte that does not match, or -1 when all do. */
static inline long check_pattern(const void *buf, size_t len,
				 unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		if (((const uint8_t *)buf)[i] != pattern_byte(i, seed))
			return (long)i;
	return -1;
}

static inline int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/*
 * Trace events give the one view of the fault path that both the base
 * and the patched kernel share: fs_dax:dax_pmd_fault_done says whether
 * a PMD fault installed a PMD (NOPAGE) or fell back to PTEs.
 */
static inline int trace_begin(const char *event)
{
	char path[256];

	snprintf(path, sizeof(path), TRACEFS "/events/%s/enable", event);
	if (write_str(TRACEFS "/tracing_on", "0") ||
	    write_str(TRACEFS "/trace", "") ||
	    write_str(path, "1"))
		return -1;
	return write_str(TRACEFS "/tracing_on", "1");
}

/* Count trace lines for @event by this process that contain @needle. */
static inline int trace_end_count(const char *event, const char *needle)
{
	const char *name = strchr(event, ':') ? strchr(event, ':') + 1 :
			   strchr(event, '/') ? strchr(event, '/') + 1 : event;
	char path[256], pidtag[32], line[1024];
	int count = 0;
	FILE *f;

	write_str(TRACEFS "/tracing_on", "0");
	snprintf(path, sizeof(path), TRACEFS "/events/%s/enable", event);
	write_str(path, "0");
	snprintf(pidtag, sizeof(pidtag), "-%d ", getpid());
	f = fopen(TRACEFS "/trace", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, pidtag) && strstr(line, name) &&
		    strstr(line, needle))
			count++;
	fclose(f);
	return count;
}

#endif /* DAX_TEST_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * dax_demo_map DEVDAX FILE: map a device-DAX instance and an FS DAX file,
 * write to both, and print what /proc/self/smaps and pagemap report for
 * the two mappings. Used by 'make run'; not a test.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define LEN	(4UL << 20)
#define SZ_2M	(2UL << 20)

static void *map_2m_aligned(int fd)
{
	uint8_t *area = mmap(NULL, LEN + SZ_2M, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t want;

	if (area == MAP_FAILED)
		return MAP_FAILED;
	want = ((uintptr_t)area + SZ_2M - 1) & ~(SZ_2M - 1);
	return mmap((void *)want, LEN, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, fd, 0);
}

static void show_smaps(const char *what, void *addr)
{
	static const char *const keys[] = {
		"Size:", "Rss:", "Shared_Dirty:", "Private_Dirty:",
		"FilePmdMapped:", "KernelPageSize:", "MMUPageSize:", "VmFlags:",
	};
	char line[512], start[32];
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	snprintf(start, sizeof(start), "%lx-", (unsigned long)addr);
	printf("%s at %p:\n", what, addr);
	while (f && fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, '-') < strchr(line, ' '))
			in = !strncmp(line, start, strlen(start));
		for (unsigned int i = 0; in && i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strncmp(line, keys[i], strlen(keys[i])))
				printf("  smaps   %s", line);
	}
	if (f)
		fclose(f);
}

static void show_pagemap(void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd >= 0 && pread(fd, &e, 8, (uintptr_t)addr / 4096 * 8) == 8)
		printf("  pagemap present=%d file/shared=%d exclusive=%d pfn=%#llx\n",
		       (int)(e >> 63 & 1), (int)(e >> 61 & 1), (int)(e >> 56 & 1),
		       (unsigned long long)(e & ((1ULL << 55) - 1)));
	if (fd >= 0)
		close(fd);
}

static int demo(const char *what, int fd)
{
	uint8_t *p;

	if (fd < 0) {
		perror(what);
		return 1;
	}
	p = map_2m_aligned(fd);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(p, 0x5a, LEN);
	show_smaps(what, p);
	show_pagemap(p);
	munmap(p, LEN);
	return 0;
}

int main(int argc, char **argv)
{
	int fd, rc;

	if (argc != 3) {
		fprintf(stderr, "usage: %s /dev/daxX.Y FILE-ON-DAX-FS\n", argv[0]);
		return 2;
	}
	rc = demo("device DAX", open(argv[1], O_RDWR));
	fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0 && fallocate(fd, 0, 0, LEN)) {
		perror("fallocate");
		return 1;
	}
	rc |= demo("FS DAX file", fd);
	return rc;
}

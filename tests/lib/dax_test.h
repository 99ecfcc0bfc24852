/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the DAX tests. The guest's setup script
 * (scripts/guest-pmem.sh) creates the namespaces and file systems and
 * names them in environment variables; a test whose device is missing
 * skips rather than guessing.
 */
#ifndef DAX_TEST_H
#define DAX_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

/*
 * Under TCG a case that fills a 1 GiB mapping a few times takes ten
 * seconds or so, and three times that on a busy host. The harness's
 * 30 s default would turn load into failures; the timeout is there to
 * catch hangs, so give each case two minutes.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 120

#define SZ_4K	(4096UL)
#define SZ_2M	(2UL << 20)
#define SZ_1G	(1UL << 30)

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC	0x80000
#endif

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX	0x00200000
#endif

/* Environment variables set by scripts/guest-pmem.sh. */
#define ENV_DEVDAX_4K	"DAX_DEV_4K"	/* /dev/daxX.Y, 4 KiB aligned */
#define ENV_DEVDAX_2M	"DAX_DEV_2M"
#define ENV_DEVDAX_1G	"DAX_DEV_1G"
#define ENV_EXT4_DIR	"DAX_EXT4_DIR"	/* ext4 mounted -o dax=always */
#define ENV_XFS_DIR	"DAX_XFS_DIR"	/* xfs mounted -o dax=always */
#define ENV_BLOCKDEV	"DAX_BLOCKDEV"	/* a plain block device for O_DIRECT */
#define ENV_VPMEM_DIR	"DAX_VPMEM_DIR"	/* ext4 -o dax=always on virtio-pmem */
#define ENV_EXT2_DIR	"DAX_EXT2_DIR"	/* ext2 mounted -o dax */

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

/*
 * A pattern that differs per byte offset and per seed, so that stale
 * data, a wrong page or a wrong offset all show. It is computed per
 * 64-bit word: filling and checking a 1 GiB device-DAX mapping byte by
 * byte takes minutes under TCG.
 */
static inline uint64_t pattern_word(size_t word, unsigned int seed)
{
	return (word + 1) * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)seed << 40 | seed);
}

static inline uint8_t pattern_byte(size_t off, unsigned int seed)
{
	return (uint8_t)(pattern_word(off / 8, seed) >> (8 * (off % 8)));
}

/* @buf is 8-byte aligned; @len a multiple of 8 (both true for pages). */
static inline void fill_pattern(void *buf, size_t len, unsigned int seed)
{
	uint64_t *w = buf;

	for (size_t i = 0; i < len / 8; i++)
		w[i] = pattern_word(i, seed);
}

/* Offset of the first byte that does not match, or -1 when all do. */
static inline long check_pattern(const void *buf, size_t len,
				 unsigned int seed)
{
	const uint64_t *w = buf;

	for (size_t i = 0; i < len / 8; i++)
		if (w[i] != pattern_word(i, seed))
			for (size_t b = i * 8; ; b++)
				if (((const uint8_t *)buf)[b] != pattern_byte(b, seed))
					return (long)b;
	return -1;
}

static inline int is_zero(const void *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (((const uint8_t *)buf)[i])
			return 0;
	return 1;
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
 * Run @cmd through the shell, keeping its output in @out; its exit
 * status, or -1 when it could not start or was killed.
 */
static inline int run_cmd(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0;
	int status;

	out[0] = 0;
	if (!f)
		return -1;
	while (n + 1 < len && fgets(out + n, len - n, f))
		n += strlen(out + n);
	status = pclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define PTDUMP	"/sys/kernel/debug/page_tables/current_kernel"

/*
 * The size of the page table entry that maps @addr in this process: 4K
 * for a PTE, 2M for a PMD, 1G for a PUD; 0 when nothing is mapped there.
 * Read from the x86 page table dump (CONFIG_PTDUMP_DEBUGFS), which shows
 * what the fault path really installed on both the base kernel and the
 * series; -1 when the dump is not available. With @writable set, the
 * entry must also allow writes (a zero page is mapped read-only).
 */
static inline long mapped_page_size(void *addr, int *writable)
{
	static const struct { const char *level; long size; } levels[] = {
		{ " pte\n", SZ_4K }, { " pmd\n", SZ_2M }, { " pud\n", SZ_1G },
	};
	unsigned long a = (unsigned long)addr, start, end;
	char line[256];
	long size = 0;
	FILE *f = fopen(PTDUMP, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "0x%lx-0x%lx", &start, &end) != 2 ||
		    a < start || a >= end)
			continue;
		if (!strstr(line, " USR "))
			break;		/* not present, or not a user page */
		for (unsigned int i = 0; i < ARRAY_SIZE(levels); i++)
			if (strstr(line, levels[i].level))
				size = levels[i].size;
		if (writable)
			*writable = !!strstr(line, " RW ");
		break;
	}
	fclose(f);
	return size;
}

/*
 * Expected differences between the base kernel and the series are keyed
 * on one probe. The base kernel treats an FS DAX page as idle at
 * refcount 1 and needs a hook in put_page() to notice; the series makes
 * DAX pages follow the normal rules and removes that hook. So the hook's
 * presence in kallsyms says which model the running kernel follows.
 */
#define OLD_DAX_REFCOUNT_SYMBOL	"__put_devmap_managed_folio_refs"

static inline int kernel_has_symbol(const char *sym)
{
	char line[512], name[256];
	int found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %255s", name) == 1 && !strcmp(name, sym))
			found = 1;
	fclose(f);
	return found;
}

/*
 * 1 when DAX pages are refcounted like other pages (the series), else 0.
 * Cached: reading kallsyms takes a good part of a second under TCG, and
 * the reference audits ask for every count they check.
 */
static inline int dax_pages_refcounted(void)
{
	static int refcounted = -1;

	if (refcounted < 0)
		refcounted = kernel_has_symbol(OLD_DAX_REFCOUNT_SYMBOL) == 0;
	return refcounted;
}

/*
 * 1 when the kernel has the fixes that open the series, for bugs the base
 * kernel has: any kernel of the series, or the base with only those
 * fixes, which add no symbol to look for. The harness says which it
 * booted (DAX_BASE_FIXES=1 or 0: run-suite.sh sets 0 for the unpatched
 * base only); without it, the reference-count model decides.
 */
static inline int dax_base_bugs_fixed(void)
{
	const char *v = dax_env("DAX_BASE_FIXES");

	if (v)
		return !strcmp(v, "1");
	return dax_pages_refcounted();
}

/*
 * The series makes a pinned FS DAX page hold up truncate even after the
 * file's last munmap() (and ext2 wait at all), one of its fixes, and
 * makes inode eviction wait for it. The base kernel lets both free the
 * page's blocks under the pin and warns in dax_disassociate_entry(), so
 * those cases run only on kernels that have the fixes or the helpers
 * doing the waiting.
 */
static inline int dax_waits_for_unmapped_pins(void)
{
	return dax_base_bugs_fixed() ||
	       kernel_has_symbol("dax_break_layout") == 1;
}

static inline int dax_waits_for_pins_at_eviction(void)
{
	return kernel_has_symbol("dax_break_layout_final") == 1;
}

/* A field of the /proc/self/smaps entry that starts at @addr, in kB. */
static inline long smaps_field_kb(void *addr, const char *field)
{
	char line[512], start[32];
	size_t flen = strlen(field);
	long val = -1;
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	snprintf(start, sizeof(start), "%lx-", (unsigned long)addr);
	while (fgets(line, sizeof(line), f)) {
		char *dash = strchr(line, '-'), *sp = strchr(line, ' ');

		if (dash && sp && dash < sp) {
			if (in)
				break;
			in = !strncmp(line, start, strlen(start));
			continue;
		}
		if (in && !strncmp(line, field, flen) && line[flen] == ':') {
			val = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/* A field of /proc/meminfo, in kB; -1 if it is not there. */
static inline long meminfo_field_kb(const char *field)
{
	char line[128];
	size_t flen = strlen(field);
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, flen) && line[flen] == ':') {
			kb = strtol(line + flen + 1, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return kb;
}

#define PM_PRESENT		(1ULL << 63)
#define PM_FILE			(1ULL << 61)
#define PM_MMAP_EXCLUSIVE	(1ULL << 56)
#define PM_PFN_MASK		((1ULL << 55) - 1)

/* The /proc/self/pagemap entry for @addr. */
static inline uint64_t pagemap_entry(void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (uintptr_t)addr / SZ_4K * sizeof(e)) !=
	    sizeof(e))
		e = 0;
	close(fd);
	return e;
}

/*
 * Touch @addr in a child process and report how the child ended:
 * 0 when the access completed, or the signal that stopped it.
 */
static inline int access_signal(volatile uint8_t *addr, int write)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (write)
			*addr = 0xa5;
		else
			(void)*addr;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return WTERMSIG(status);
	return WEXITSTATUS(status) ? -1 : 0;
}

/* One device-DAX instance, opened from the variable that names it. */
struct devdax {
	const char *path;
	int fd;
	size_t align;
	size_t size;
};

/*
 * Open the device named by @env and check that it has the alignment the
 * test expects. Returns 0 on success, 1 when the variable is unset (the
 * test should skip), -1 on an error with errno set.
 */
static inline int devdax_open(struct devdax *d, const char *env, size_t align)
{
	d->fd = -1;
	d->path = dax_env(env);
	if (!d->path)
		return 1;
	d->align = devdax_align(d->path);
	d->size = devdax_size(d->path);
	if (d->align != align || d->size < align) {
		errno = EINVAL;
		return -1;
	}
	d->fd = open(d->path, O_RDWR);
	return d->fd < 0 ? -1 : 0;
}

static inline void devdax_close(struct devdax *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

/* A shared mapping of the first @len bytes, at the device's alignment. */
static inline uint8_t *devdax_map(struct devdax *d, size_t len, int prot)
{
	return mmap_aligned(len, d->align, prot, MAP_SHARED, d->fd, 0);
}

/* The sysfs name of /dev/daxX.Y: daxX.Y. */
static inline const char *devdax_name(const struct devdax *d)
{
	return strrchr(d->path, '/') ? strrchr(d->path, '/') + 1 : d->path;
}

/*
 * Does one range of @d hold the whole PMD-aligned 2 MiB stretch of the
 * physical page @pfn? The ranges are the device's mappingN (start and
 * end, inclusive) in sysfs, or, for a static device that has none, its
 * resource and size.
 */
static inline int devdax_holds_pmd_stretch(const struct devdax *d,
					   unsigned long pfn)
{
	long lo = (long)(pfn & ~(SZ_2M / SZ_4K - 1)) * (long)SZ_4K;
	long hi = lo + (long)SZ_2M - 1, start, end;
	char path[160];
	int i, ranges = 0;

	for (i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/mapping%d/start",
			 devdax_name(d), i);
		start = read_long_file(path);
		if (start < 0)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/mapping%d/end",
			 devdax_name(d), i);
		end = read_long_file(path);
		ranges++;
		if (start <= lo && hi <= end)
			return 1;
	}
	if (ranges)
		return 0;
	snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/resource",
		 devdax_name(d));
	start = read_long_file(path);
	return start >= 0 && start <= lo && hi < start + (long)d->size;
}

/*
 * The order of the folio that holds the page at @pfn of a 4K-aligned
 * device: the series lays such a device out in PMD-order folios on every
 * PMD-aligned stretch that one of its ranges holds whole, order 0 at
 * unaligned ends (PGMAP_PMD_FOLIOS); the base kernel has order 0 only.
 */
static inline int devdax_4k_folio_order(const struct devdax *d,
					unsigned long pfn)
{
	return dax_pages_refcounted() && devdax_holds_pmd_stretch(d, pfn) ? 9 : 0;
}

/*
 * The three device-DAX alignments: a 4K one maps with PTEs, 2M with
 * PMDs and 1G with PUDs. Tests use at least two "pages" of each size
 * where the device has room, so that a partial operation has a
 * neighbour to leave alone.
 */
#define DEVDAX_VARIANTS(fixture)						\
	FIXTURE_VARIANT(fixture) {						\
		const char *env;						\
		size_t align;							\
	};									\
	FIXTURE_VARIANT_ADD(fixture, align_4k) {				\
		.env = ENV_DEVDAX_4K, .align = SZ_4K };				\
	FIXTURE_VARIANT_ADD(fixture, align_2m) {				\
		.env = ENV_DEVDAX_2M, .align = SZ_2M };				\
	FIXTURE_VARIANT_ADD(fixture, align_1g) {				\
		.env = ENV_DEVDAX_1G, .align = SZ_1G }

/* Bytes a test maps: two units of the alignment, capped by the device. */
static inline size_t devdax_test_len(const struct devdax *d)
{
	size_t len = d->align < SZ_2M ? SZ_2M : 2 * d->align;

	while (len > d->size)
		len -= d->align;
	return len;
}

/* Open the variant's device in FIXTURE_SETUP, skipping when absent. */
#define DEVDAX_SETUP(dax, variant)						\
	do {									\
		int __rc = devdax_open(dax, (variant)->env, (variant)->align);	\
		if (__rc > 0)							\
			SKIP(return, "%s not set", (variant)->env);		\
		ASSERT_EQ(__rc, 0) TH_LOG("%s: %s", (variant)->env,		\
					  strerror(errno));			\
	} while (0)

/* A file on an FS DAX mount, removed again by fsdax_file_close(). */
struct fsdax_file {
	char path[256];
	int fd;
};

/*
 * Give @fd's first @len bytes blocks of their own. ext2 has no
 * fallocate(): writing zeros allocates the same blocks, more slowly.
 */
static inline int allocate_blocks(int fd, off_t len)
{
	static const uint8_t zeros[SZ_4K];

	if (!len || !fallocate(fd, 0, 0, len))
		return 0;
	if (errno != EOPNOTSUPP)
		return -1;
	for (off_t off = 0; off < len; off += SZ_4K)
		if (pwrite(fd, zeros, SZ_4K, off) != SZ_4K)
			return -1;
	return 0;
}

/*
 * Create @name (made unique per process) in the directory @env names,
 * allocated to @len bytes, and prove the kernel serves it with DAX: a
 * failed "-o dax" mount leaves a plain directory behind. Returns 0, 1
 * when @env is unset, or -1 with errno set.
 */
static inline int fsdax_file_open(struct fsdax_file *f, const char *env,
				  const char *name, off_t len)
{
	const char *dir = dax_env(env);

	f->fd = -1;
	f->path[0] = 0;
	if (!dir)
		return 1;
	snprintf(f->path, sizeof(f->path), "%s/%s.%d", dir, name, getpid());
	f->fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (f->fd < 0)
		return -1;
	if (!fd_is_dax(f->fd)) {
		errno = ENOTSUP;
		return -1;
	}
	return allocate_blocks(f->fd, len);
}

static inline void fsdax_file_close(struct fsdax_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->path[0])
		unlink(f->path);
	f->fd = -1;
	f->path[0] = 0;
}

/* The two DAX file systems. */
#define FSDAX_VARIANTS(fixture)						\
	FIXTURE_VARIANT(fixture) { const char *env; };			\
	FIXTURE_VARIANT_ADD(fixture, ext4) { .env = ENV_EXT4_DIR };	\
	FIXTURE_VARIANT_ADD(fixture, xfs) { .env = ENV_XFS_DIR }

/*
 * The same, and ext2 for the cases that apply to it: ext2 maps files by
 * PTEs only (no PMD faults) and has no fallocate() modes.
 */
#define FSDAX_VARIANTS_AND_EXT2(fixture)				\
	FSDAX_VARIANTS(fixture);					\
	FIXTURE_VARIANT_ADD(fixture, ext2) { .env = ENV_EXT2_DIR }

/* Create the test file in FIXTURE_SETUP, skipping when absent. */
#define FSDAX_SETUP(file, variant, name, len)					\
	do {									\
		int __rc = fsdax_file_open(file, (variant)->env, name, len);	\
		if (__rc > 0)							\
			SKIP(return, "%s not set", (variant)->env);		\
		ASSERT_EQ(__rc, 0) TH_LOG("%s: %s", (file)->path,		\
					  strerror(errno));			\
	} while (0)

#endif /* DAX_TEST_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * dax_bench: time the DAX paths that the series changes, in the guest.
 *
 * Prints one line per item, "NAME VALUE UNIT", where VALUE is the best
 * (lowest) of REPS runs in guest time: under QEMU -icount the guest clock
 * counts instructions, so the figures repeat from boot to boot. Lower is
 * better for every item. The devices and mounts come from the DAX_*
 * variables that scripts/guest-pmem.sh prints. An item whose device is
 * missing, or which fails, prints "NAME - error" and makes the exit
 * status non-zero.
 *
 * Usage: dax_bench [ITEM-PREFIX...]   (no argument: every item)
 */
#include <sched.h>
#include <sys/ioctl.h>
#include <time.h>
#include "lib/dax_test.h"
#include "mm/gup_test.h"

#define REPS		3
#define FORK_ROUNDS	16		/* forks per fork_exit measurement */
#define FAULT_LEN	SZ_1G		/* device DAX fault and teardown */
#define FILE_LEN	(256UL << 20)	/* FS DAX files and GUP ranges */
#define ODIRECT_LEN	(64UL << 20)
#define ODIRECT_CHUNK	(1UL << 20)
#define GUP_TEST_PATH	"/sys/kernel/debug/gup_test"

static int failures;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Write one byte in every page, so that each page is faulted in. */
static void touch_pages(uint8_t *p, size_t len)
{
	for (size_t off = 0; off < len; off += SZ_4K)
		p[off] = (uint8_t)off;
}

/* One measurement: time in ns, or 0 on failure. */
typedef uint64_t (*measure_fn)(const void *arg);

struct item {
	const char *name;
	const char *unit;	/* "ms" or "us" */
	measure_fn measure;
	const void *arg;
};

static void run_item(const struct item *it)
{
	uint64_t best = 0, div = strcmp(it->unit, "ms") ? 1000 : 1000000;

	for (int r = 0; r < REPS; r++) {
		uint64_t t = it->measure(it->arg);

		if (!t) {
			best = 0;
			break;
		}
		if (!best || t < best)
			best = t;
	}
	if (!best) {
		printf("%s - error\n", it->name);
		failures++;
	} else {
		printf("%s %.3f %s\n", it->name, (double)best / div, it->unit);
	}
	fflush(stdout);
}

/* ---- device DAX ---- */

struct devdax_arg {
	const char *env;
	size_t align;
	size_t len;
};

static int devdax_open_arg(struct devdax *d, const struct devdax_arg *a)
{
	if (devdax_open(d, a->env, a->align))
		return -1;
	if (d->size < a->len) {
		devdax_close(d);
		return -1;
	}
	return 0;
}

/* Map the device, fault every page in, unmap: the faults are timed. */
static uint64_t devdax_fault(const void *arg)
{
	const struct devdax_arg *a = arg;
	struct devdax d;
	uint64_t t0, t;
	uint8_t *p;

	if (devdax_open_arg(&d, a))
		return 0;
	p = devdax_map(&d, a->len, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED) {
		devdax_close(&d);
		return 0;
	}
	t0 = now_ns();
	touch_pages(p, a->len);
	t = now_ns() - t0;
	munmap(p, a->len);
	devdax_close(&d);
	return t;
}

/* Fault the mapping in, then time munmap() of all of it. */
static uint64_t devdax_munmap(const void *arg)
{
	const struct devdax_arg *a = arg;
	struct devdax d;
	uint64_t t0;
	uint8_t *p;

	if (devdax_open_arg(&d, a))
		return 0;
	p = devdax_map(&d, a->len, PROT_READ | PROT_WRITE);
	devdax_close(&d);
	if (p == MAP_FAILED)
		return 0;
	touch_pages(p, a->len);
	t0 = now_ns();
	if (munmap(p, a->len))
		return 0;
	return now_ns() - t0;
}

/*
 * A child faults the mapping in and tells the parent, which times the
 * child's exit: the mm teardown zaps the whole mapping.
 */
static uint64_t devdax_exit(const void *arg)
{
	const struct devdax_arg *a = arg;
	int ready[2], go[2], status;
	uint64_t t0, t;
	char c = 0;
	pid_t pid;

	if (pipe(ready) || pipe(go))
		return 0;
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		struct devdax d;
		uint8_t *p;

		if (devdax_open_arg(&d, a))
			_exit(1);
		p = devdax_map(&d, a->len, PROT_READ | PROT_WRITE);
		if (p == MAP_FAILED)
			_exit(1);
		touch_pages(p, a->len);
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		return 0;
	}
	t0 = now_ns();
	if (write(go[1], &c, 1) != 1)
		return 0;
	waitpid(pid, &status, 0);
	t = now_ns() - t0;
	close(ready[0]);
	close(go[1]);
	return WIFEXITED(status) && !WEXITSTATUS(status) ? t : 0;
}

/* One fork() with the mapping in place, the child's exit and the wait. */
static uint64_t fork_exit_once(void)
{
	uint64_t t0 = now_ns();
	int status;
	pid_t pid;

	pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		return 0;
	return now_ns() - t0;
}

/*
 * fork() with the mapping faulted in, and the child's exit: the mean of
 * FORK_ROUNDS of them, since one takes a few hundred microseconds and
 * where the scheduler puts the child moves a single one by several
 * percent.
 */
static uint64_t devdax_fork(const void *arg)
{
	const struct devdax_arg *a = arg;
	uint64_t t, total = 0;
	struct devdax d;
	uint8_t *p;

	if (devdax_open_arg(&d, a))
		return 0;
	p = devdax_map(&d, a->len, PROT_READ | PROT_WRITE);
	devdax_close(&d);
	if (p == MAP_FAILED)
		return 0;
	touch_pages(p, a->len);
	for (int i = 0; i < FORK_ROUNDS; i++) {
		t = fork_exit_once();
		if (!t) {
			total = 0;
			break;
		}
		total += t;
	}
	munmap(p, a->len);
	return total / FORK_ROUNDS;
}

/*
 * For comparison: munmap() of 1 GiB of shared memfd (shmem) pages, the
 * cost of unmapping page cache pages that the kernel refcounts and maps
 * by rmap, as it now does DAX pages.
 */
static uint64_t shmem_munmap(const void *arg)
{
	size_t len = FAULT_LEN;
	uint64_t t0, t = 0;
	uint8_t *p;
	int fd;

	fd = memfd_create("dax_bench", 0);
	if (fd < 0)
		return 0;
	if (ftruncate(fd, len)) {
		close(fd);
		return 0;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return 0;
	touch_pages(p, len);
	t0 = now_ns();
	if (!munmap(p, len))
		t = now_ns() - t0;
	return t;
}

/* ---- FS DAX ---- */

struct fsdax_arg {
	const char *env;
	int pmd;		/* map 2M aligned (PMD faults) or not (PTEs) */
};

/* A file of @len bytes whose blocks are written, so faults only map. */
static int fsdax_written_file(struct fsdax_file *f, const char *env,
			      size_t len)
{
	static uint8_t buf[1 << 20];

	if (fsdax_file_open(f, env, "bench", len))
		return -1;
	memset(buf, 0x5a, sizeof(buf));
	for (size_t off = 0; off < len; off += sizeof(buf))
		if (pwrite(f->fd, buf, sizeof(buf), off) != sizeof(buf))
			return -1;
	return fsync(f->fd);
}

/*
 * Map @len bytes of @fd at a 2M aligned address, or 4K past one, where
 * no PMD fits. Returns the mapping; *@area is what to munmap().
 */
static uint8_t *fsdax_map(int fd, size_t len, int pmd, uint8_t **area)
{
	uint8_t *p;

	*area = mmap_aligned(len + SZ_2M, SZ_2M, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*area == MAP_FAILED)
		return MAP_FAILED;
	p = mmap(*area + (pmd ? 0 : SZ_4K), len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED)
		munmap(*area, len + SZ_2M);
	return p;
}

static uint64_t fsdax_fault(const void *arg)
{
	const struct fsdax_arg *a = arg;
	struct fsdax_file f;
	uint8_t *p, *area;
	uint64_t t = 0, t0;

	if (fsdax_written_file(&f, a->env, FILE_LEN))
		goto out;
	p = fsdax_map(f.fd, FILE_LEN, a->pmd, &area);
	if (p == MAP_FAILED)
		goto out;
	t0 = now_ns();
	touch_pages(p, FILE_LEN);
	t = now_ns() - t0;
	munmap(area, FILE_LEN + SZ_2M);
out:
	fsdax_file_close(&f);
	return t;
}

/* Truncate a file while all of it is mapped and faulted in. */
static uint64_t fsdax_truncate(const void *arg)
{
	const struct fsdax_arg *a = arg;
	struct fsdax_file f;
	uint8_t *p, *area;
	uint64_t t = 0, t0;

	if (fsdax_written_file(&f, a->env, FILE_LEN))
		goto out;
	p = fsdax_map(f.fd, FILE_LEN, a->pmd, &area);
	if (p == MAP_FAILED)
		goto out;
	touch_pages(p, FILE_LEN);
	t0 = now_ns();
	if (!ftruncate(f.fd, 0))
		t = now_ns() - t0;
	munmap(area, FILE_LEN + SZ_2M);
out:
	fsdax_file_close(&f);
	return t;
}

/* ---- GUP through the kernel's gup_test ---- */

struct gup_arg {
	unsigned long cmd;
	const char *devdax_env;	/* device DAX at 2M, or else ... */
	const char *fsdax_env;	/* ... a PMD-mapped FS DAX file */
};

/*
 * A populated FILE_LEN mapping of the memory the item names: device DAX
 * at 2M, or a PMD-mapped FS DAX file. *@area and @f are what to release.
 */
static uint8_t *gup_target(const struct gup_arg *a, struct fsdax_file *f,
			   uint8_t **area)
{
	struct devdax d;
	uint8_t *p;

	f->fd = -1;
	f->path[0] = 0;
	if (a->devdax_env) {
		if (devdax_open(&d, a->devdax_env, SZ_2M) || d.size < FILE_LEN)
			return MAP_FAILED;
		p = devdax_map(&d, FILE_LEN, PROT_READ | PROT_WRITE);
		devdax_close(&d);
		*area = p;
	} else {
		if (fsdax_written_file(f, a->fsdax_env, FILE_LEN))
			return MAP_FAILED;
		p = fsdax_map(f->fd, FILE_LEN, 1, area);
	}
	if (p != MAP_FAILED)
		touch_pages(p, FILE_LEN);
	return p;
}

/* The kernel times get and put itself; report the two together. */
static uint64_t gup_bench(const void *arg)
{
	const struct gup_arg *a = arg;
	struct gup_test gup = { 0 };
	struct fsdax_file f;
	uint8_t *p, *area;
	uint64_t t = 0;
	int fd;

	fd = open(GUP_TEST_PATH, O_RDWR);
	if (fd < 0)
		return 0;
	p = gup_target(a, &f, &area);
	if (p != MAP_FAILED) {
		gup.addr = (unsigned long)p;
		gup.size = FILE_LEN;
		gup.nr_pages_per_call = 512;
		gup.gup_flags = 1;	/* FOLL_WRITE */
		if (!ioctl(fd, a->cmd, &gup))
			t = (gup.get_delta_usec + gup.put_delta_usec) * 1000;
		munmap(area, a->devdax_env ? FILE_LEN : FILE_LEN + SZ_2M);
	}
	fsdax_file_close(&f);
	close(fd);
	return t;
}

/* ---- O_DIRECT into a DAX buffer ---- */

static uint64_t odirect_read(const void *arg)
{
	const struct gup_arg *a = arg;	/* only the target fields */
	const char *dev = dax_env(ENV_BLOCKDEV);
	struct fsdax_file f;
	uint8_t *p, *area;
	uint64_t t = 0, t0;
	int fd;

	if (!dev)
		return 0;
	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0)
		return 0;
	p = gup_target(a, &f, &area);
	if (p != MAP_FAILED) {
		t0 = now_ns();
		for (size_t off = 0; off < ODIRECT_LEN; off += ODIRECT_CHUNK)
			if (pread(fd, p + off, ODIRECT_CHUNK, off) !=
			    ODIRECT_CHUNK)
				break;
			else if (off + ODIRECT_CHUNK == ODIRECT_LEN)
				t = now_ns() - t0;
		munmap(area, a->devdax_env ? FILE_LEN : FILE_LEN + SZ_2M);
	}
	fsdax_file_close(&f);
	close(fd);
	return t;
}

static const struct devdax_arg dd_4k = { ENV_DEVDAX_4K, SZ_4K, FAULT_LEN };
static const struct devdax_arg dd_2m = { ENV_DEVDAX_2M, SZ_2M, FAULT_LEN };
static const struct devdax_arg dd_1g = { ENV_DEVDAX_1G, SZ_1G, FAULT_LEN };
static const struct fsdax_arg ext4_pte = { ENV_EXT4_DIR, 0 };
static const struct fsdax_arg ext4_pmd = { ENV_EXT4_DIR, 1 };
static const struct fsdax_arg xfs_pte = { ENV_XFS_DIR, 0 };
static const struct fsdax_arg xfs_pmd = { ENV_XFS_DIR, 1 };
static const struct gup_arg gup_dd = { GUP_FAST_BENCHMARK, ENV_DEVDAX_2M, NULL };
static const struct gup_arg pin_dd = { PIN_FAST_BENCHMARK, ENV_DEVDAX_2M, NULL };
static const struct gup_arg lt_dd = { PIN_LONGTERM_BENCHMARK, ENV_DEVDAX_2M, NULL };
static const struct gup_arg gup_fs = { GUP_FAST_BENCHMARK, NULL, ENV_EXT4_DIR };
static const struct gup_arg pin_fs = { PIN_FAST_BENCHMARK, NULL, ENV_EXT4_DIR };

static const struct item items[] = {
	{ "devdax_fault_4k_1g", "ms", devdax_fault, &dd_4k },
	{ "devdax_fault_2m_1g", "ms", devdax_fault, &dd_2m },
	{ "devdax_fault_1g_1g", "ms", devdax_fault, &dd_1g },
	{ "fsdax_fault_ext4_pte", "ms", fsdax_fault, &ext4_pte },
	{ "fsdax_fault_ext4_pmd", "ms", fsdax_fault, &ext4_pmd },
	{ "fsdax_fault_xfs_pte", "ms", fsdax_fault, &xfs_pte },
	{ "fsdax_fault_xfs_pmd", "ms", fsdax_fault, &xfs_pmd },
	{ "gup_fast_devdax", "us", gup_bench, &gup_dd },
	{ "pin_fast_devdax", "us", gup_bench, &pin_dd },
	{ "pin_longterm_devdax", "us", gup_bench, &lt_dd },
	{ "gup_fast_fsdax", "us", gup_bench, &gup_fs },
	{ "pin_fast_fsdax", "us", gup_bench, &pin_fs },
	{ "odirect_read_devdax", "us", odirect_read, &gup_dd },
	{ "odirect_read_fsdax", "us", odirect_read, &gup_fs },
	{ "fork_exit_devdax_4k_1g", "us", devdax_fork, &dd_4k },
	{ "fork_exit_devdax_2m_1g", "us", devdax_fork, &dd_2m },
	{ "munmap_devdax_4k_1g", "us", devdax_munmap, &dd_4k },
	{ "munmap_devdax_2m_1g", "us", devdax_munmap, &dd_2m },
	{ "munmap_devdax_1g_1g", "us", devdax_munmap, &dd_1g },
	{ "munmap_shmem_4k_1g", "us", shmem_munmap, NULL },
	{ "exit_devdax_4k_1g", "us", devdax_exit, &dd_4k },
	{ "exit_devdax_2m_1g", "us", devdax_exit, &dd_2m },
	{ "truncate_fsdax_ext4_pmd", "us", fsdax_truncate, &ext4_pmd },
	{ "truncate_fsdax_xfs_pmd", "us", fsdax_truncate, &xfs_pmd },
	{ "truncate_fsdax_ext4_pte", "us", fsdax_truncate, &ext4_pte },
};

static int selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (!strncmp(name, argv[i], strlen(argv[i])))
			return 1;
	return 0;
}

/*
 * Run on one CPU: a child forked by an item then starts on the same CPU,
 * and each item's figure does not depend on where the scheduler put it.
 */
static void stay_on_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("dax_bench: sched_setaffinity");
}

int main(int argc, char **argv)
{
	stay_on_cpu0();
	for (size_t i = 0; i < ARRAY_SIZE(items); i++)
		if (selected(items[i].name, argc, argv))
			run_item(&items[i]);
	return failures ? 1 : 0;
}

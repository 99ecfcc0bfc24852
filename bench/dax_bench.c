// SPDX-License-Identifier: GPL-2.0
/*
 * dax_bench: time the DAX paths that the series changes, in the guest.
 *
 * Each item runs REPS times. It prints one line,
 *   NAME MEDIAN UNIT COLD WARM1 WARM2 WARM3
 * where COLD is the first repetition, which meets caches, page tables and
 * folio flags as the boot left them, and MEDIAN is the median of the warm
 * ones. Under QEMU -icount the guest clock counts instructions, so the
 * figures repeat from boot to boot. Lower is better for every timed item.
 * Items named acct_* are not times but what a process with DAX mapped is
 * charged (kB or the OOM score); the table shows them apart.
 *
 * The devices and mounts come from the DAX_* variables that
 * scripts/guest-pmem.sh prints. An item whose device is missing, or which
 * fails, prints "NAME - error" and makes the exit status non-zero.
 *
 * Usage: dax_bench [ITEM-PREFIX...]   (no argument: every item)
 *        dax_bench --scale /dev/daxX.Y GIB   (the scale items, below)
 */
#include <inttypes.h>
#include <linux/memfd.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <time.h>
#include "lib/dax_test.h"
#include "mm/gup_test.h"

#define REPS		4		/* one cold, then three warm */
#define FORK_ROUNDS	16		/* forks per fork_exit measurement */
#define FAULT_LEN	SZ_1G		/* device DAX fault and teardown */
#define FILE_LEN	(256UL << 20)	/* FS DAX files and GUP ranges */
#define ODIRECT_LEN	(64UL << 20)
#define ODIRECT_CHUNK	(1UL << 20)
#define LIFECYCLE_READS	100
#define COW_STRIDE	(16 * SZ_4K)	/* one page in 16 copied on write */
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

/* Read one byte in every page. */
static unsigned int read_pages(const uint8_t *p, size_t len)
{
	unsigned int sum = 0;

	for (size_t off = 0; off < len; off += SZ_4K)
		sum += ((volatile const uint8_t *)p)[off];
	return sum;
}

/* One measurement: ns (or the item's own quantity), negative on failure. */
typedef int64_t (*measure_fn)(const void *arg);

struct item {
	const char *name;
	const char *unit;	/* "ms", "us", "ns", or "kB"/"score" as is */
	measure_fn measure;
	const void *arg;
};

static double in_unit(int64_t v, const char *unit)
{
	if (!strcmp(unit, "ms"))
		return v / 1e6;
	if (!strcmp(unit, "us"))
		return v / 1e3;
	return v;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void run_item(const struct item *it)
{
	int64_t v[REPS], warm[REPS - 1];

	for (int r = 0; r < REPS; r++) {
		v[r] = it->measure(it->arg);
		if (v[r] < 0) {
			printf("%s - error\n", it->name);
			fflush(stdout);
			failures++;
			return;
		}
	}
	memcpy(warm, v + 1, sizeof(warm));
	qsort(warm, REPS - 1, sizeof(warm[0]), cmp_i64);
	printf("%s %.3f %s", it->name, in_unit(warm[(REPS - 1) / 2], it->unit),
	       it->unit);
	for (int r = 0; r < REPS; r++)
		printf(" %.3f", in_unit(v[r], it->unit));
	printf("\n");
	fflush(stdout);
}

/* ---- device DAX ---- */

enum fault_figure {
	FAULT_TOTAL,		/* the touch loop that faults every page in */
	FAULT_EACH,		/* that less the same loop over mapped pages,
				 * per fault */
};

struct devdax_arg {
	const char *env;
	size_t align;
	size_t len;
	enum fault_figure figure;
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

/* A fresh shared mapping of the device, not faulted in yet. */
static uint8_t *devdax_map_arg(const struct devdax_arg *a)
{
	struct devdax d;
	uint8_t *p;

	if (devdax_open_arg(&d, a))
		return MAP_FAILED;
	p = devdax_map(&d, a->len, PROT_READ | PROT_WRITE);
	devdax_close(&d);
	return p;
}

/* Write one byte in every @unit: one fault each, on a fresh mapping. */
static void touch_units(uint8_t *p, size_t len, size_t unit)
{
	for (size_t off = 0; off < len; off += unit)
		p[off] = (uint8_t)(off >> 12);
}

/*
 * FAULT_TOTAL: the time of the touch loop that faults every 4 KiB page of
 * @len bytes at @p in, as a user sees it. FAULT_EACH: what one fault costs
 * the kernel: a loop that touches one byte per @unit, so that each access
 * faults, less the same loop over the mapped units, per fault.
 */
static int64_t time_faults(uint8_t *p, size_t len, size_t unit,
			   enum fault_figure figure)
{
	uint64_t t0, faulting, touching;

	t0 = now_ns();
	if (figure == FAULT_TOTAL) {
		touch_pages(p, len);
		return now_ns() - t0;
	}
	touch_units(p, len, unit);
	faulting = now_ns() - t0;
	t0 = now_ns();
	touch_units(p, len, unit);
	touching = now_ns() - t0;
	if (faulting <= touching)
		return -1;
	return (faulting - touching) / (len / unit);
}

static int64_t devdax_fault(const void *arg)
{
	const struct devdax_arg *a = arg;
	uint8_t *p = devdax_map_arg(a);
	int64_t t;

	if (p == MAP_FAILED)
		return -1;
	t = time_faults(p, a->len, a->align, a->figure);
	munmap(p, a->len);
	return t;
}

/* Fault the mapping in, then time munmap() of all of it. */
static int64_t devdax_munmap(const void *arg)
{
	const struct devdax_arg *a = arg;
	uint8_t *p = devdax_map_arg(a);
	uint64_t t0;

	if (p == MAP_FAILED)
		return -1;
	touch_pages(p, a->len);
	t0 = now_ns();
	if (munmap(p, a->len))
		return -1;
	return now_ns() - t0;
}

/*
 * A child faults the mapping in and tells the parent, which times the
 * child's exit: the mm teardown zaps the whole mapping.
 */
static int64_t devdax_exit(const void *arg)
{
	const struct devdax_arg *a = arg;
	int ready[2], go[2], status;
	uint64_t t0, t;
	char c = 0;
	pid_t pid;

	if (pipe(ready) || pipe(go))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		uint8_t *p = devdax_map_arg(a);

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
		return -1;
	}
	t0 = now_ns();
	if (write(go[1], &c, 1) != 1)
		return -1;
	waitpid(pid, &status, 0);
	t = now_ns() - t0;
	close(ready[0]);
	close(go[1]);
	return WIFEXITED(status) && !WEXITSTATUS(status) ? (int64_t)t : -1;
}

/* One fork() with the mapping in place, the child's exit and the wait. */
static int64_t fork_exit_once(void)
{
	uint64_t t0 = now_ns();
	int status;
	pid_t pid;

	pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return now_ns() - t0;
}

/*
 * The mean of FORK_ROUNDS fork()s with the child's exit: one takes a few
 * hundred microseconds, and where the scheduler puts the child moves a
 * single one by several percent.
 */
static int64_t fork_exit_rounds(void)
{
	int64_t t, total = 0;

	for (int i = 0; i < FORK_ROUNDS; i++) {
		t = fork_exit_once();
		if (t < 0)
			return -1;
		total += t;
	}
	return total / FORK_ROUNDS;
}

/*
 * fork() with 1 GiB of device DAX faulted in. A shared file mapping
 * without an anon_vma is not copied at fork (the child faults it in
 * again), so this times fork and exit around a mapping, not the copy of
 * its page tables: hence "nocopy".
 */
static int64_t devdax_fork_nocopy(const void *arg)
{
	const struct devdax_arg *a = arg;
	uint8_t *p = devdax_map_arg(a);
	int64_t t;

	if (p == MAP_FAILED)
		return -1;
	touch_pages(p, a->len);
	t = fork_exit_rounds();
	munmap(p, a->len);
	return t;
}

/* ---- peers: memory that the kernel refcounts and rmaps ---- */

/*
 * What a page cache mapping of each size costs on the same kernel: a
 * memfd of 4K shmem pages, of shmem THP (MADV_HUGEPAGE), or of hugetlb
 * pages (2M or 1G, from the pools that scripts/bench.sh reserves at boot).
 * Device DAX now pays what these pay for a mapped page.
 */
enum peer_kind { PEER_SHMEM, PEER_THP, PEER_HUGETLB_2M, PEER_HUGETLB_1G };

struct peer_arg {
	enum peer_kind kind;
	size_t unit;		/* the size of one fault */
};

static unsigned int peer_memfd_flags(enum peer_kind kind)
{
	switch (kind) {
	case PEER_HUGETLB_2M:
		return MFD_HUGETLB | MFD_HUGE_2MB;
	case PEER_HUGETLB_1G:
		return MFD_HUGETLB | MFD_HUGE_1GB;
	default:
		return 0;
	}
}

static uint8_t *peer_map(size_t len, const struct peer_arg *a)
{
	uint8_t *p;
	int fd;

	fd = memfd_create("dax_bench", peer_memfd_flags(a->kind));
	if (fd < 0)
		return MAP_FAILED;
	if (ftruncate(fd, len)) {
		close(fd);
		return MAP_FAILED;
	}
	p = mmap_aligned(len, a->unit, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p != MAP_FAILED && a->kind == PEER_THP &&
	    madvise(p, len, MADV_HUGEPAGE)) {
		munmap(p, len);
		return MAP_FAILED;
	}
	return p;
}

static int64_t peer_munmap(const void *arg)
{
	uint8_t *p = peer_map(FAULT_LEN, arg);
	uint64_t t0;

	if (p == MAP_FAILED)
		return -1;
	touch_pages(p, FAULT_LEN);
	t0 = now_ns();
	if (munmap(p, FAULT_LEN))
		return -1;
	return now_ns() - t0;
}

/* Faults of a 1 GiB peer, per fault (each clears the page it maps). */
static int64_t peer_fault(const void *arg)
{
	const struct peer_arg *a = arg;
	uint8_t *p = peer_map(FAULT_LEN, a);
	int64_t t;

	if (p == MAP_FAILED)
		return -1;
	t = time_faults(p, FAULT_LEN, a->unit, FAULT_EACH);
	munmap(p, FAULT_LEN);
	return t;
}

static const struct peer_arg peer_shmem = { PEER_SHMEM, SZ_4K };
static const struct peer_arg peer_thp = { PEER_THP, SZ_2M };
static const struct peer_arg peer_huge_2m = { PEER_HUGETLB_2M, SZ_2M };
static const struct peer_arg peer_huge_1g = { PEER_HUGETLB_1G, SZ_1G };

/* ---- FS DAX ---- */

struct fsdax_arg {
	const char *env;
	int pmd;		/* map 2M aligned (PMD faults) or not (PTEs) */
	enum fault_figure figure;
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
static uint8_t *fsdax_map(int fd, size_t len, int pmd, int flags,
			  uint8_t **area)
{
	uint8_t *p;

	*area = mmap_aligned(len + SZ_2M, SZ_2M, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*area == MAP_FAILED)
		return MAP_FAILED;
	p = mmap(*area + (pmd ? 0 : SZ_4K), len, PROT_READ | PROT_WRITE,
		 flags | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED)
		munmap(*area, len + SZ_2M);
	return p;
}

static int64_t fsdax_fault(const void *arg)
{
	const struct fsdax_arg *a = arg;
	struct fsdax_file f;
	uint8_t *p, *area;
	int64_t t = -1;

	if (fsdax_written_file(&f, a->env, FILE_LEN))
		goto out;
	p = fsdax_map(f.fd, FILE_LEN, a->pmd, MAP_SHARED, &area);
	if (p == MAP_FAILED)
		goto out;
	t = time_faults(p, FILE_LEN, a->pmd ? SZ_2M : SZ_4K, a->figure);
	munmap(area, FILE_LEN + SZ_2M);
out:
	fsdax_file_close(&f);
	return t;
}

/* Truncate a file while all of it is mapped and faulted in. */
static int64_t fsdax_truncate(const void *arg)
{
	const struct fsdax_arg *a = arg;
	struct fsdax_file f;
	uint8_t *p, *area;
	int64_t t = -1;
	uint64_t t0;

	if (fsdax_written_file(&f, a->env, FILE_LEN))
		goto out;
	p = fsdax_map(f.fd, FILE_LEN, a->pmd, MAP_SHARED, &area);
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

/*
 * fork() of a process with a MAP_PRIVATE FS DAX file mapped by PTEs,
 * read in whole and one page in 16 copied on write: the mapping has an
 * anon_vma, so fork copies its page tables, the DAX file PTEs (one
 * reference and one mapcount each with the series) and the anonymous
 * copies alike, and the child's exit zaps them again.
 */
static int64_t fsdax_fork_cow(const void *arg)
{
	const struct fsdax_arg *a = arg;
	struct fsdax_file f;
	uint8_t *p, *area;
	int64_t t = -1;

	if (fsdax_written_file(&f, a->env, FILE_LEN))
		goto out;
	p = fsdax_map(f.fd, FILE_LEN, a->pmd, MAP_PRIVATE, &area);
	if (p == MAP_FAILED)
		goto out;
	read_pages(p, FILE_LEN);
	for (size_t off = 0; off < FILE_LEN; off += COW_STRIDE)
		p[off] = 1;
	t = fork_exit_rounds();
	munmap(area, FILE_LEN + SZ_2M);
out:
	fsdax_file_close(&f);
	return t;
}

/* ---- GUP through the kernel's gup_test ---- */

enum gup_figure { GUP_GET, GUP_PUT };

struct gup_arg {
	unsigned long cmd;
	enum gup_figure figure;
	unsigned int pages_per_call;
	const char *devdax_env;	/* device DAX, or else ... */
	size_t devdax_align;
	const char *fsdax_env;	/* ... an FS DAX file, or else ... */
	int fsdax_pmd;
	const struct peer_arg *peer;	/* ... a peer */
};

/*
 * A populated FILE_LEN mapping of the memory the item names. *@area,
 * *@len and @f are what to release.
 */
static uint8_t *gup_target(const struct gup_arg *a, struct fsdax_file *f,
			   uint8_t **area, size_t *len)
{
	struct devdax d;
	uint8_t *p;

	f->fd = -1;
	f->path[0] = 0;
	*len = FILE_LEN;
	if (a->devdax_env) {
		if (devdax_open(&d, a->devdax_env, a->devdax_align) ||
		    d.size < FILE_LEN)
			return MAP_FAILED;
		p = devdax_map(&d, FILE_LEN, PROT_READ | PROT_WRITE);
		devdax_close(&d);
		*area = p;
	} else if (a->fsdax_env) {
		if (fsdax_written_file(f, a->fsdax_env, FILE_LEN))
			return MAP_FAILED;
		p = fsdax_map(f->fd, FILE_LEN, a->fsdax_pmd, MAP_SHARED, area);
		*len = FILE_LEN + SZ_2M;
	} else {
		/* A 1G hugetlb file cannot be mapped in part. */
		*len = a->peer->unit > FILE_LEN ? a->peer->unit : FILE_LEN;
		p = peer_map(*len, a->peer);
		*area = p;
	}
	if (p != MAP_FAILED)
		touch_pages(p, FILE_LEN);
	return p;
}

/* The kernel times get and put apart; report the one asked for. */
static int64_t gup_bench(const void *arg)
{
	const struct gup_arg *a = arg;
	struct gup_test gup = { 0 };
	struct fsdax_file f;
	uint8_t *p, *area;
	int64_t t = -1;
	size_t len;
	int fd;

	fd = open(GUP_TEST_PATH, O_RDWR);
	if (fd < 0)
		return -1;
	p = gup_target(a, &f, &area, &len);
	if (p != MAP_FAILED) {
		gup.addr = (unsigned long)p;
		gup.size = FILE_LEN;
		gup.nr_pages_per_call = a->pages_per_call;
		gup.gup_flags = 1;	/* FOLL_WRITE */
		if (!ioctl(fd, a->cmd, &gup))
			t = 1000 * (a->figure == GUP_GET ? gup.get_delta_usec :
							   gup.put_delta_usec);
		munmap(area, len);
	}
	fsdax_file_close(&f);
	close(fd);
	return t;
}

/* ---- O_DIRECT into a DAX buffer ---- */

static int odirect_reads(int fd, uint8_t *p, size_t len)
{
	for (size_t off = 0; off < len; off += ODIRECT_CHUNK)
		if (pread(fd, p + off, ODIRECT_CHUNK, off) != ODIRECT_CHUNK)
			return -1;
	return 0;
}

static int64_t odirect_read(const void *arg)
{
	const struct gup_arg *a = arg;	/* only the target fields */
	const char *dev = dax_env(ENV_BLOCKDEV);
	struct fsdax_file f;
	uint8_t *p, *area;
	int64_t t = -1;
	uint64_t t0;
	size_t len;
	int fd;

	if (!dev)
		return -1;
	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0)
		return -1;
	p = gup_target(a, &f, &area, &len);
	if (p != MAP_FAILED) {
		t0 = now_ns();
		if (!odirect_reads(fd, p, ODIRECT_LEN))
			t = now_ns() - t0;
		munmap(area, len);
	}
	fsdax_file_close(&f);
	close(fd);
	return t;
}

/*
 * A mapping's whole life: map 1 GiB of device DAX, fault it in, read
 * LIFECYCLE_READS MiB into it with O_DIRECT (the ram disk holds 256 MiB,
 * so the reads go round it), unmap.
 */
static int64_t devdax_lifecycle(const void *arg)
{
	const struct devdax_arg *a = arg;
	const char *dev = dax_env(ENV_BLOCKDEV);
	int64_t t = -1;
	uint64_t t0;
	uint8_t *p;
	int fd;

	if (!dev)
		return -1;
	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0)
		return -1;
	t0 = now_ns();
	p = devdax_map_arg(a);
	if (p == MAP_FAILED)
		goto out;
	touch_pages(p, a->len);
	for (int i = 0; i < LIFECYCLE_READS; i++) {
		size_t off = (i * ODIRECT_CHUNK) % (64 * ODIRECT_CHUNK);

		if (pread(fd, p + (size_t)i * ODIRECT_CHUNK, ODIRECT_CHUNK,
			  off) != ODIRECT_CHUNK)
			goto unmap;
	}
	if (!munmap(p, a->len))
		t = now_ns() - t0;
	p = MAP_FAILED;
unmap:
	if (p != MAP_FAILED)
		munmap(p, a->len);
out:
	close(fd);
	return t;
}

/* ---- what a process with DAX mapped is charged ---- */

enum acct_figure { ACCT_VMRSS, ACCT_OOM_SCORE, ACCT_MAPPED };

struct acct_arg {
	struct devdax_arg dax;
	enum acct_figure figure;
};

/* The number after @key in @path ("VmRSS:", "Mapped:"), or -1. */
static int64_t proc_field(const char *path, const char *key)
{
	char line[256];
	int64_t v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key))) {
			v = strtoll(line + strlen(key), NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static int64_t oom_score(void)
{
	int64_t v = -1;
	FILE *f = fopen("/proc/self/oom_score", "r");

	if (f) {
		if (fscanf(f, "%" SCNd64, &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/*
 * Map and fault in 1 GiB of device DAX, then read what the process is
 * charged for it: its VmRSS, its OOM score, or how much Mapped: in
 * /proc/meminfo grew.
 */
static int64_t devdax_acct(const void *arg)
{
	const struct acct_arg *a = arg;
	int64_t before = proc_field("/proc/meminfo", "Mapped:"), v = -1;
	uint8_t *p = devdax_map_arg(&a->dax);

	if (p == MAP_FAILED || before < 0)
		return -1;
	touch_pages(p, a->dax.len);
	switch (a->figure) {
	case ACCT_VMRSS:
		v = proc_field("/proc/self/status", "VmRSS:");
		break;
	case ACCT_OOM_SCORE:
		v = oom_score();
		break;
	case ACCT_MAPPED:
		v = proc_field("/proc/meminfo", "Mapped:");
		v = v < 0 ? -1 : v - before;
		break;
	}
	munmap(p, a->dax.len);
	return v;
}

/* ---- scale: one device DAX instance of some size ---- */

/*
 * dax_bench --scale /dev/daxX.Y GIB (scripts/guest-scale.sh makes the
 * device, with its struct pages on the device): what probing the
 * device's memmap (a bind of device_dax), faulting GIB GiB in, unmapping
 * them and releasing the memmap (an unbind) cost per GiB. Each should
 * not grow with the size of the device.
 */
struct scale_dev {
	const char *path;
	const char *name;	/* daxX.Y */
	size_t size;		/* of the device */
	size_t align;
	size_t map_len;		/* GIB GiB */
};

static struct scale_dev scale;

static int device_dax_driver(const char *what)
{
	char path[96];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/dax/drivers/device_dax/%s", what);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	n = write(fd, scale.name, strlen(scale.name));
	close(fd);
	return n == (ssize_t)strlen(scale.name) ? 0 : -1;
}

static int64_t per_gib(uint64_t t, size_t bytes)
{
	return (int64_t)((double)t * SZ_1G / bytes);
}

static int64_t scale_probe(const void *arg)
{
	uint64_t t0;

	(void)arg;
	if (device_dax_driver("unbind"))
		return -1;
	t0 = now_ns();
	if (device_dax_driver("bind"))
		return -1;
	return per_gib(now_ns() - t0, scale.size);
}

static int64_t scale_release(const void *arg)
{
	uint64_t t0, t;

	(void)arg;
	t0 = now_ns();
	if (device_dax_driver("unbind"))
		return -1;
	t = now_ns() - t0;
	if (device_dax_driver("bind"))
		return -1;
	return per_gib(t, scale.size);
}

/* Fault in (one access per unit) or unmap the first GIB GiB. */
static int64_t scale_map_phase(int time_unmap)
{
	uint64_t t0, t;
	uint8_t *p;
	int fd;

	fd = open(scale.path, O_RDWR);
	if (fd < 0)
		return -1;
	p = mmap_aligned(scale.map_len, scale.align, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	t0 = now_ns();
	touch_units(p, scale.map_len, scale.align);
	t = now_ns() - t0;
	if (time_unmap)
		t0 = now_ns();
	if (munmap(p, scale.map_len))
		return -1;
	if (time_unmap)
		t = now_ns() - t0;
	return per_gib(t, scale.map_len);
}

static int64_t scale_fault(const void *arg)
{
	(void)arg;
	return scale_map_phase(0);
}

static int64_t scale_unmap(const void *arg)
{
	(void)arg;
	return scale_map_phase(1);
}

static int scale_main(const char *path, const char *gib)
{
	static const struct { const char *phase; measure_fn fn; } phases[] = {
		{ "probe", scale_probe }, { "fault", scale_fault },
		{ "unmap", scale_unmap }, { "release", scale_release },
	};
	char names[ARRAY_SIZE(phases)][64];
	long n = atol(gib);

	scale.path = path;
	scale.name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	scale.size = devdax_size(path);
	scale.align = devdax_align(path);
	scale.map_len = (size_t)n * SZ_1G;
	if (n <= 0 || (long)scale.size <= 0 || (long)scale.align <= 0 ||
	    scale.map_len > scale.size) {
		fprintf(stderr, "dax_bench: %s cannot map %s GiB\n", path, gib);
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(phases); i++) {
		struct item it = { names[i], "us", phases[i].fn, NULL };

		snprintf(names[i], sizeof(names[i]), "scale_%s_%ldg_%s",
			 scale.align == SZ_1G ? "1g" : "2m", n, phases[i].phase);
		run_item(&it);
	}
	return failures ? 1 : 0;
}

#define DEVDAX(e, al, fig)	{ .env = e, .align = al, .len = FAULT_LEN, \
				  .figure = fig }
#define GUP_DEVDAX(c, fig, n, e, al)	{ .cmd = c, .figure = fig, \
	.pages_per_call = n, .devdax_env = e, .devdax_align = al }
#define GUP_FSDAX(c, fig, n, pmd)	{ .cmd = c, .figure = fig, \
	.pages_per_call = n, .fsdax_env = ENV_EXT4_DIR, .fsdax_pmd = pmd }
#define GUP_PEER(c, fig, pr)		{ .cmd = c, .figure = fig, \
	.pages_per_call = 512, .peer = pr }

static const struct devdax_arg dd_4k = DEVDAX(ENV_DEVDAX_4K, SZ_4K, FAULT_TOTAL);
static const struct devdax_arg dd_2m = DEVDAX(ENV_DEVDAX_2M, SZ_2M, FAULT_TOTAL);
static const struct devdax_arg dd_1g = DEVDAX(ENV_DEVDAX_1G, SZ_1G, FAULT_TOTAL);
static const struct devdax_arg dd_4k_each = DEVDAX(ENV_DEVDAX_4K, SZ_4K, FAULT_EACH);
static const struct devdax_arg dd_2m_each = DEVDAX(ENV_DEVDAX_2M, SZ_2M, FAULT_EACH);
static const struct devdax_arg dd_1g_each = DEVDAX(ENV_DEVDAX_1G, SZ_1G, FAULT_EACH);
static const struct fsdax_arg ext4_pte = { ENV_EXT4_DIR, 0, FAULT_TOTAL };
static const struct fsdax_arg ext4_pmd = { ENV_EXT4_DIR, 1, FAULT_TOTAL };
static const struct fsdax_arg xfs_pte = { ENV_XFS_DIR, 0, FAULT_TOTAL };
static const struct fsdax_arg xfs_pmd = { ENV_XFS_DIR, 1, FAULT_TOTAL };
static const struct fsdax_arg ext4_pte_each = { ENV_EXT4_DIR, 0, FAULT_EACH };
static const struct fsdax_arg ext4_pmd_each = { ENV_EXT4_DIR, 1, FAULT_EACH };
static const struct fsdax_arg xfs_pte_each = { ENV_XFS_DIR, 0, FAULT_EACH };
static const struct fsdax_arg xfs_pmd_each = { ENV_XFS_DIR, 1, FAULT_EACH };

static const struct gup_arg gup_dd_get = GUP_DEVDAX(GUP_FAST_BENCHMARK, GUP_GET, 512, ENV_DEVDAX_2M, SZ_2M);
static const struct gup_arg gup_dd_put = GUP_DEVDAX(GUP_FAST_BENCHMARK, GUP_PUT, 512, ENV_DEVDAX_2M, SZ_2M);
static const struct gup_arg pin_dd_get = GUP_DEVDAX(PIN_FAST_BENCHMARK, GUP_GET, 512, ENV_DEVDAX_2M, SZ_2M);
static const struct gup_arg pin_dd_put = GUP_DEVDAX(PIN_FAST_BENCHMARK, GUP_PUT, 512, ENV_DEVDAX_2M, SZ_2M);
static const struct gup_arg lt_dd_get = GUP_DEVDAX(PIN_LONGTERM_BENCHMARK, GUP_GET, 512, ENV_DEVDAX_2M, SZ_2M);
static const struct gup_arg lt_dd_put = GUP_DEVDAX(PIN_LONGTERM_BENCHMARK, GUP_PUT, 512, ENV_DEVDAX_2M, SZ_2M);
static const struct gup_arg pin_dd_4k_get = GUP_DEVDAX(PIN_FAST_BENCHMARK, GUP_GET, 1, ENV_DEVDAX_2M, SZ_2M);
static const struct gup_arg pin_dd_4k_put = GUP_DEVDAX(PIN_FAST_BENCHMARK, GUP_PUT, 1, ENV_DEVDAX_2M, SZ_2M);
static const struct gup_arg pin_dd_16k_get = GUP_DEVDAX(PIN_FAST_BENCHMARK, GUP_GET, 4, ENV_DEVDAX_2M, SZ_2M);
static const struct gup_arg pin_dd_16k_put = GUP_DEVDAX(PIN_FAST_BENCHMARK, GUP_PUT, 4, ENV_DEVDAX_2M, SZ_2M);
static const struct gup_arg pin_dd_64k_get = GUP_DEVDAX(PIN_FAST_BENCHMARK, GUP_GET, 16, ENV_DEVDAX_2M, SZ_2M);
static const struct gup_arg pin_dd_64k_put = GUP_DEVDAX(PIN_FAST_BENCHMARK, GUP_PUT, 16, ENV_DEVDAX_2M, SZ_2M);
static const struct gup_arg pin_dd_pte_get = GUP_DEVDAX(PIN_FAST_BENCHMARK, GUP_GET, 512, ENV_DEVDAX_4K, SZ_4K);
static const struct gup_arg pin_dd_pte_put = GUP_DEVDAX(PIN_FAST_BENCHMARK, GUP_PUT, 512, ENV_DEVDAX_4K, SZ_4K);
static const struct gup_arg gup_fs_get = GUP_FSDAX(GUP_FAST_BENCHMARK, GUP_GET, 512, 1);
static const struct gup_arg gup_fs_put = GUP_FSDAX(GUP_FAST_BENCHMARK, GUP_PUT, 512, 1);
static const struct gup_arg pin_fs_get = GUP_FSDAX(PIN_FAST_BENCHMARK, GUP_GET, 512, 1);
static const struct gup_arg pin_fs_put = GUP_FSDAX(PIN_FAST_BENCHMARK, GUP_PUT, 512, 1);
static const struct gup_arg pin_fs_pte_get = GUP_FSDAX(PIN_FAST_BENCHMARK, GUP_GET, 512, 0);
static const struct gup_arg pin_fs_pte_put = GUP_FSDAX(PIN_FAST_BENCHMARK, GUP_PUT, 512, 0);
static const struct gup_arg pin_thp_get = GUP_PEER(PIN_FAST_BENCHMARK, GUP_GET, &peer_thp);
static const struct gup_arg pin_thp_put = GUP_PEER(PIN_FAST_BENCHMARK, GUP_PUT, &peer_thp);
static const struct gup_arg pin_huge_2m_get = GUP_PEER(PIN_FAST_BENCHMARK, GUP_GET, &peer_huge_2m);
static const struct gup_arg pin_huge_2m_put = GUP_PEER(PIN_FAST_BENCHMARK, GUP_PUT, &peer_huge_2m);
static const struct gup_arg pin_huge_1g_get = GUP_PEER(PIN_FAST_BENCHMARK, GUP_GET, &peer_huge_1g);
static const struct gup_arg pin_huge_1g_put = GUP_PEER(PIN_FAST_BENCHMARK, GUP_PUT, &peer_huge_1g);
static const struct acct_arg acct_rss = { DEVDAX(ENV_DEVDAX_2M, SZ_2M, FAULT_TOTAL), ACCT_VMRSS };
static const struct acct_arg acct_oom = { DEVDAX(ENV_DEVDAX_2M, SZ_2M, FAULT_TOTAL), ACCT_OOM_SCORE };
static const struct acct_arg acct_mapped = { DEVDAX(ENV_DEVDAX_2M, SZ_2M, FAULT_TOTAL), ACCT_MAPPED };

static const struct item items[] = {
	{ "devdax_fault_4k_1g", "ms", devdax_fault, &dd_4k },
	{ "devdax_fault_2m_1g", "ms", devdax_fault, &dd_2m },
	{ "devdax_fault_1g_1g", "ms", devdax_fault, &dd_1g },
	{ "devdax_fault_4k_per_pte", "ns", devdax_fault, &dd_4k_each },
	{ "devdax_fault_2m_per_pmd", "ns", devdax_fault, &dd_2m_each },
	{ "devdax_fault_1g_per_pud", "ns", devdax_fault, &dd_1g_each },
	{ "fsdax_fault_ext4_pte", "ms", fsdax_fault, &ext4_pte },
	{ "fsdax_fault_ext4_pmd", "ms", fsdax_fault, &ext4_pmd },
	{ "fsdax_fault_xfs_pte", "ms", fsdax_fault, &xfs_pte },
	{ "fsdax_fault_xfs_pmd", "ms", fsdax_fault, &xfs_pmd },
	{ "fsdax_fault_ext4_per_pte", "ns", fsdax_fault, &ext4_pte_each },
	{ "fsdax_fault_ext4_per_pmd", "ns", fsdax_fault, &ext4_pmd_each },
	{ "fsdax_fault_xfs_per_pte", "ns", fsdax_fault, &xfs_pte_each },
	{ "fsdax_fault_xfs_per_pmd", "ns", fsdax_fault, &xfs_pmd_each },
	{ "memfd_thp_fault_per_pmd", "ns", peer_fault, &peer_thp },
	{ "hugetlb_fault_2m_per_pmd", "ns", peer_fault, &peer_huge_2m },
	{ "hugetlb_fault_1g_per_pud", "ns", peer_fault, &peer_huge_1g },
	{ "gup_fast_devdax_get", "us", gup_bench, &gup_dd_get },
	{ "gup_fast_devdax_put", "us", gup_bench, &gup_dd_put },
	{ "pin_fast_devdax_get", "us", gup_bench, &pin_dd_get },
	{ "pin_fast_devdax_put", "us", gup_bench, &pin_dd_put },
	{ "pin_longterm_devdax_get", "us", gup_bench, &lt_dd_get },
	{ "pin_longterm_devdax_put", "us", gup_bench, &lt_dd_put },
	{ "pin_fast_devdax_4k_get", "us", gup_bench, &pin_dd_4k_get },
	{ "pin_fast_devdax_4k_put", "us", gup_bench, &pin_dd_4k_put },
	{ "pin_fast_devdax_16k_get", "us", gup_bench, &pin_dd_16k_get },
	{ "pin_fast_devdax_16k_put", "us", gup_bench, &pin_dd_16k_put },
	{ "pin_fast_devdax_64k_get", "us", gup_bench, &pin_dd_64k_get },
	{ "pin_fast_devdax_64k_put", "us", gup_bench, &pin_dd_64k_put },
	{ "pin_fast_devdax_pte_get", "us", gup_bench, &pin_dd_pte_get },
	{ "pin_fast_devdax_pte_put", "us", gup_bench, &pin_dd_pte_put },
	{ "gup_fast_fsdax_get", "us", gup_bench, &gup_fs_get },
	{ "gup_fast_fsdax_put", "us", gup_bench, &gup_fs_put },
	{ "pin_fast_fsdax_get", "us", gup_bench, &pin_fs_get },
	{ "pin_fast_fsdax_put", "us", gup_bench, &pin_fs_put },
	{ "pin_fast_fsdax_pte_get", "us", gup_bench, &pin_fs_pte_get },
	{ "pin_fast_fsdax_pte_put", "us", gup_bench, &pin_fs_pte_put },
	{ "pin_fast_memfd_thp_get", "us", gup_bench, &pin_thp_get },
	{ "pin_fast_memfd_thp_put", "us", gup_bench, &pin_thp_put },
	{ "pin_fast_hugetlb_2m_get", "us", gup_bench, &pin_huge_2m_get },
	{ "pin_fast_hugetlb_2m_put", "us", gup_bench, &pin_huge_2m_put },
	{ "pin_fast_hugetlb_1g_get", "us", gup_bench, &pin_huge_1g_get },
	{ "pin_fast_hugetlb_1g_put", "us", gup_bench, &pin_huge_1g_put },
	{ "odirect_read_devdax", "us", odirect_read, &gup_dd_get },
	{ "odirect_read_fsdax", "us", odirect_read, &gup_fs_get },
	{ "lifecycle_devdax_2m_1g", "us", devdax_lifecycle, &dd_2m },
	{ "fork_nocopy_devdax_4k_1g", "us", devdax_fork_nocopy, &dd_4k },
	{ "fork_nocopy_devdax_2m_1g", "us", devdax_fork_nocopy, &dd_2m },
	{ "fork_cow_fsdax_ext4_pte", "us", fsdax_fork_cow, &ext4_pte },
	{ "munmap_devdax_4k_1g", "us", devdax_munmap, &dd_4k },
	{ "munmap_devdax_2m_1g", "us", devdax_munmap, &dd_2m },
	{ "munmap_devdax_1g_1g", "us", devdax_munmap, &dd_1g },
	{ "munmap_shmem_4k_1g", "us", peer_munmap, &peer_shmem },
	{ "munmap_memfd_thp_1g", "us", peer_munmap, &peer_thp },
	{ "munmap_hugetlb_2m_1g", "us", peer_munmap, &peer_huge_2m },
	{ "munmap_hugetlb_1g_1g", "us", peer_munmap, &peer_huge_1g },
	{ "exit_devdax_4k_1g", "us", devdax_exit, &dd_4k },
	{ "exit_devdax_2m_1g", "us", devdax_exit, &dd_2m },
	{ "truncate_fsdax_ext4_pmd", "us", fsdax_truncate, &ext4_pmd },
	{ "truncate_fsdax_xfs_pmd", "us", fsdax_truncate, &xfs_pmd },
	{ "truncate_fsdax_ext4_pte", "us", fsdax_truncate, &ext4_pte },
	{ "acct_vmrss_devdax_2m_1g", "kB", devdax_acct, &acct_rss },
	{ "acct_oom_score_devdax_2m_1g", "score", devdax_acct, &acct_oom },
	{ "acct_meminfo_mapped_devdax_2m_1g", "kB", devdax_acct, &acct_mapped },
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
 * The bench guest has one vCPU anyway (scripts/qemu-run.sh -i), so that
 * nothing a second one runs lands in the instruction count.
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
	if (argc > 1 && !strcmp(argv[1], "--scale")) {
		if (argc != 4) {
			fprintf(stderr, "usage: dax_bench --scale /dev/daxX.Y GIB\n");
			return 2;
		}
		return scale_main(argv[2], argv[3]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(items); i++)
		if (selected(items[i].name, argc, argv))
			run_item(&items[i]);
	return failures ? 1 : 0;
}

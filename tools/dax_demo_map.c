// SPDX-License-Identifier: GPL-2.0
/*
 * dax_demo_map DEVDAX FILE: map 4 MiB of a device-DAX instance and of an
 * FS DAX file, write to both, and print what the kernel says about the
 * two mappings: the size of the page table entries that map them (the
 * x86 page table dump), smaps, what the mapping added to /proc/meminfo,
 * and the reference count and mapcounts of their first pages, from
 * gup_test's dump_page() (/proc/kpagecount and /proc/kpageflags have
 * nothing to say: they skip ZONE_DEVICE pages, which are not online
 * memory). Used by 'make run'; not a test: it asserts nothing, it shows
 * what the running kernel does.
 */
#include "lib/page_refs.h"

#define LEN	(4UL << 20)

static const char *entry_name(long size)
{
	switch (size) {
	case SZ_4K:
		return "PTE (4 kB)";
	case SZ_2M:
		return "PMD (2048 kB)";
	case SZ_1G:
		return "PUD (1 GiB)";
	case 0:
		return "nothing";
	default:
		return "unknown (no page table dump)";
	}
}

static void show_smaps(void *p)
{
	static const char *const fields[] = {
		"Rss", "FilePmdMapped", "KernelPageSize", "MMUPageSize",
	};

	printf("  smaps:   ");
	for (unsigned int i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		printf("%s%s %ld kB", i ? ", " : "", fields[i],
		       smaps_field_kb(p, fields[i]));
	printf("\n");
}

static void show_page(const char *name, void *addr)
{
	struct page_refs r;
	int rc = page_refs_read(addr, &r);

	if (rc) {
		printf("  %s: counts not readable (%s; needs CONFIG_GUP_TEST and debugfs)\n",
		       name, strerror(-rc));
		return;
	}
	printf("  %s, pfn %#lx: refcount %d, PTE mapcount %d", name, r.pfn,
	       r.refcount, r.mapcount);
	if (r.order)
		printf(" (folio of order %d: mapcount %d, of which PMD/PUD %d)",
		       r.order, r.folio_mapcount, r.entire_mapcount);
	printf("\n");
}

static int demo(const char *what, int fd)
{
	long pmd_before = meminfo_field_kb("FilePmdMapped");
	uint8_t *p;

	if (fd < 0) {
		perror(what);
		return 1;
	}
	p = mmap_aligned(LEN, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(p, 0x5a, LEN);
	printf("%s: 4 MiB mapped at %p, written\n", what, p);
	printf("  mapped by: %s\n", entry_name(mapped_page_size(p, NULL)));
	show_smaps(p);
	printf("  meminfo: FilePmdMapped +%ld kB while mapped\n",
	       meminfo_field_kb("FilePmdMapped") - pmd_before);
	show_page("page 0", p);
	show_page("page 1", p + SZ_4K);
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
	printf("DAX page reference model: %s\n", dax_model_name());
	rc = demo("device DAX", open(argv[1], O_RDWR));
	fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0 && fallocate(fd, 0, 0, LEN)) {
		perror("fallocate");
		return 1;
	}
	rc |= demo("FS DAX file", fd);
	return rc;
}

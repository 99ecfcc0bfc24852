#!/bin/sh
# Runs in the CXL guest (qemu-run.sh -c). Make a persistent-memory
# region on QEMU's CXL type-3 device (cxl_acpi, cxl_pci, cxl_mem and
# cxl_pmem: the region shows up as an NVDIMM region), carve it into
# device-DAX namespaces with their struct pages on the device, and print
# one KEY=VALUE line for each (the names in tests/lib/dax_test.h):
#   DAX_CXL_DEV_2M, DAX_CXL_DEV_4K
# and DAX_BLOCKDEV, the brd ram disk (a plain block device for O_DIRECT).
# The region commit needs CONFIG_CXL_REGION_INVALIDATION_TEST under QEMU
# (config/users.config says why).
set -eu

die() { printf 'guest-cxl: error: %s\n' "$*" >&2; exit 1; }

json_field() { # json_field KEY: the first "KEY":"value" on stdin
	sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | head -n 1
}

cxl list -M 2>/dev/null | grep -q '"memdev":"mem0"' ||
	die "no CXL memory device mem0 (cxl_pci and cxl_mem built in? QEMU -c?)"
# The root decoder of the fixed memory window that QEMU's cxl-fmw made.
decoder=$(cxl list -D -d root 2>/dev/null | json_field decoder)
[ -n "$decoder" ] || die "no CXL root decoder (cxl_acpi: no CFMWS?)"
cxl create-region -m -d "$decoder" -w 1 -t pmem mem0 >/dev/null 2>&1 ||
	die "cxl create-region -t pmem on $decoder failed (dmesg says why)"

# cxl_pmem's NVDIMM bridge gives the region to libnvdimm as its only one.
region=$(ndctl list -R 2>/dev/null | json_field dev)
[ -n "$region" ] || die "the CXL region has no NVDIMM region"

devdax() { # devdax ALIGN SIZE: print the new /dev/daxX.Y
	dev=$(ndctl create-namespace -r "$region" -m devdax --map=dev \
		-a "$1" -s "$2" 2>&1 | json_field chardev) ||
		die "devdax namespace at $1 alignment on $region"
	[ -n "$dev" ] || die "devdax namespace at $1 alignment on $region: no chardev"
	printf '/dev/%s\n' "$dev"
}

# No 1G device: QEMU 7.2 dispatches every access to CXL memory one by
# one (it is not mapped as RAM), so touching 1G takes minutes.
dev_2m=$(devdax 2M 512M)
dev_4k=$(devdax 4K 256M)
cat <<ENV
DAX_CXL_DEV_2M=$dev_2m
DAX_CXL_DEV_4K=$dev_4k
DAX_BLOCKDEV=/dev/ram0
ENV

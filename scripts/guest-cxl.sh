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

. "$(dirname -- "$0")/guest-lib.sh"

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

# No 1G device: QEMU 7.2 dispatches every access to CXL memory one by
# one (it is not mapped as RAM), so touching 1G takes minutes.
dev_2m=$(devdax_namespace dev 2M 512M -r "$region")
dev_4k=$(devdax_namespace dev 4K 256M -r "$region")
cat <<ENV
DAX_CXL_DEV_2M=$dev_2m
DAX_CXL_DEV_4K=$dev_4k
DAX_BLOCKDEV=/dev/ram0
ENV

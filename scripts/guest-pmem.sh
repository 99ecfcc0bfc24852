#!/bin/sh
# Runs in the guest. Carve the emulated persistent memory into what the
# tests use, and print one KEY=VALUE line for each piece (the names in
# tests/lib/dax_test.h):
#   legacy pmem (e820), two regions:  fsdax -> ext4 and xfs, -o dax=always
#   NVDIMM (ACPI NFIT), labelled:     devdax at 1G, 2M and 4K alignment
#   virtio-pmem (asynchronous flush): ext4, -o dax=always
#   brd ram disk:                     a plain block device for O_DIRECT
set -eu

die() { printf 'guest-pmem: error: %s\n' "$*" >&2; exit 1; }

json_field() { # json_field KEY: the first "KEY":"value" on stdin
	sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | head -n 1
}

ndctl list -b e820 -N >/dev/null 2>&1 || die "no legacy pmem bus (memmap=?)"
set -- $(ndctl list -b e820 -N |
	sed -n 's/.*"dev":"\(namespace[0-9.]*\)".*/\1/p' | sort -u)
[ $# -ge 2 ] || die "want two legacy pmem namespaces, found: $*"

fsdax_blockdev() { # fsdax_blockdev NAMESPACE
	ndctl create-namespace -f -e "$1" -m fsdax --map=mem 2>/dev/null |
		json_field blockdev
}

ext4_dev=$(fsdax_blockdev "$1")
xfs_dev=$(fsdax_blockdev "$2")
[ -n "$ext4_dev" ] && [ -n "$xfs_dev" ] || die "fsdax namespaces failed"

# 2 MiB stripes make both allocators hand out PMD-aligned extents.
mkdir -p /run/dax/ext4 /run/dax/xfs
mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 "/dev/$ext4_dev" ||
	die "mkfs.ext4 /dev/$ext4_dev"
mkfs.xfs -q -f -m reflink=1 -d su=2m,sw=1 "/dev/$xfs_dev" ||
	die "mkfs.xfs /dev/$xfs_dev"
mount -o dax=always "/dev/$ext4_dev" /run/dax/ext4 || die "mount ext4 dax"
mount -o dax=always "/dev/$xfs_dev" /run/dax/xfs || die "mount xfs dax"

# virtio-pmem: DAX without MAP_SYNC, since flushes go through the host.
vpmem_dev=$(ndctl list -b virtio-pmem -N | json_field blockdev)
[ -n "$vpmem_dev" ] || die "no virtio-pmem namespace"
mkdir -p /run/dax/vpmem
mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 "/dev/$vpmem_dev" ||
	die "mkfs.ext4 /dev/$vpmem_dev"
mount -o dax=always "/dev/$vpmem_dev" /run/dax/vpmem || die "mount virtio-pmem dax"

# QEMU NVDIMMs start without labels, which leaves no free space.
ndctl disable-region -b ACPI.NFIT all >/dev/null 2>&1 || die "no NFIT bus"
ndctl init-labels -f -b ACPI.NFIT all >/dev/null 2>&1 || die "init-labels"
ndctl enable-region -b ACPI.NFIT all >/dev/null 2>&1 || die "enable-region"

devdax() { # devdax ALIGN SIZE: print the new /dev/daxX.Y
	dev=$(ndctl create-namespace -b ACPI.NFIT -m devdax --map=mem \
		-a "$1" -s "$2" 2>&1 | json_field chardev) ||
		die "devdax namespace at $1 alignment"
	[ -n "$dev" ] || die "devdax namespace at $1 alignment: no chardev"
	printf '/dev/%s\n' "$dev"
}

# A 1G-aligned device loses up to 1G to its info block and padding, so
# 3G leaves the two 1G units that partial munmap and mremap need (with
# the 2M and 4K devices: 3.75G of the 4G NVDIMM). The benchmark asks for
# other sizes (and a larger NVDIMM, QEMU_NVDIMM_SIZE).
dev_1g=$(devdax 1G "${DAX_SIZE_1G:-3G}")
dev_2m=$(devdax 2M "${DAX_SIZE_2M:-512M}")
dev_4k=$(devdax 4K "${DAX_SIZE_4K:-256M}")

cat <<ENV
DAX_EXT4_DIR=/run/dax/ext4
DAX_XFS_DIR=/run/dax/xfs
DAX_VPMEM_DIR=/run/dax/vpmem
DAX_DEV_1G=$dev_1g
DAX_DEV_2M=$dev_2m
DAX_DEV_4K=$dev_4k
DAX_BLOCKDEV=/dev/ram0
ENV

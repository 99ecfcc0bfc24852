#!/bin/sh
# Runs in the guest. Carve the emulated persistent memory into what the
# tests use, and print one KEY=VALUE line for each piece (the names in
# tests/lib/dax_test.h):
#   legacy pmem (e820), two regions:  fsdax -> ext4 and xfs, -o dax=always
#   NVDIMM (ACPI NFIT), labelled:     devdax at 1G, 2M and 4K alignment;
#                                     fsdax -> ext2 -o dax; and with the
#                                     struct pages on the device
#                                     (--map=dev): devdax at 2M and 4K,
#                                     fsdax -> ext4 and xfs (rmapbt=1)
#   virtio-pmem (asynchronous flush): ext4, -o dax=always
#   brd ram disk:                     a plain block device for O_DIRECT
#   soft-reserved RAM (memmap=...%):  one device-DAX instance of
#                                     dax_hmem; two ranges handed back
#                                     for lib/test_hmm's coherent devices
#   NVMe controller memory buffer:    P2PDMA memory (p2pmem/allocate)
# PMEM_EXTRAS=0 (the benchmark) makes only the first four devdax/fsdax
# pieces and leaves the rest of the NVDIMM free, and looks for no P2PDMA
# memory (the benchmark kernels have no P2PDMA).
set -eu

. "$(dirname -- "$0")/guest-lib.sh"

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

devdax() { # devdax ALIGN SIZE [MAP]: print the new /dev/daxX.Y
	devdax_namespace "${3:-mem}" "$1" "$2" -b ACPI.NFIT
}

# A 1G-aligned device loses up to 1G to its info block and padding, so
# 3G leaves the two 1G units that partial munmap and mremap need (with
# the 2M and 4K devices: 3.75G of the 4G NVDIMM). The benchmark asks for
# other sizes (and a larger NVDIMM, QEMU_NVDIMM_SIZE).
dev_1g=$(devdax 1G "${DAX_SIZE_1G:-3G}")
dev_2m=$(devdax 2M "${DAX_SIZE_2M:-512M}")
dev_4k=$(devdax 4K "${DAX_SIZE_4K:-256M}")

if [ "${PMEM_EXTRAS:-1}" != 0 ]; then
	nfit_fsdax() { # nfit_fsdax SIZE MAP: print the new pmemX block device
		ndctl create-namespace -b ACPI.NFIT -m fsdax --map="$2" -s "$1" \
			2>/dev/null | json_field blockdev
	}
	mount_dax() { # mount_dax FS DEV DIR
		mkdir -p "$3"
		case $1 in
		ext2) mkfs.ext2 -q -F -b 4096 "/dev/$2" && mount -o dax "/dev/$2" "$3" ;;
		ext4) mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 "/dev/$2" &&
			mount -o dax=always "/dev/$2" "$3" ;;
		# with the reverse-mapping btree, xfs itself handles memory
		# failure in its files (by file range: mf_dax_kill_procs())
		xfs) mkfs.xfs -q -f -m reflink=1,rmapbt=1 -d su=2m,sw=1,agcount=2 "/dev/$2" &&
			mount -o dax=always "/dev/$2" "$3" ;;
		esac || die "$1 -o dax on /dev/$2"
	}
	ext2_dev=$(nfit_fsdax 256M mem)
	[ -n "$ext2_dev" ] || die "fsdax namespace for ext2"
	mount_dax ext2 "$ext2_dev" /run/dax/ext2
	mapdev_2m=$(devdax 2M 256M dev)
	mapdev_4k=$(devdax 4K 128M dev)
	mapdev_ext4=$(nfit_fsdax 256M dev)
	mapdev_xfs=$(nfit_fsdax 512M dev)
	[ -n "$mapdev_ext4" ] && [ -n "$mapdev_xfs" ] ||
		die "fsdax namespaces with --map=dev"
	mount_dax ext4 "$mapdev_ext4" /run/dax/ext4-mapdev
	mount_dax xfs "$mapdev_xfs" /run/dax/xfs-mapdev
	cat <<ENV
DAX_EXT2_DIR=/run/dax/ext2
DAX_MAPDEV_DEV_2M=$mapdev_2m
DAX_MAPDEV_DEV_4K=$mapdev_4k
DAX_MAPDEV_EXT4_DIR=/run/dax/ext4-mapdev
DAX_MAPDEV_XFS_DIR=/run/dax/xfs-mapdev
ENV
fi

# dax_hmem made one device-DAX instance per soft-reserved range at boot
# (scripts/qemu-run.sh places them). The first is tested as it is; the
# other two go back to lib/test_hmm as device-coherent memory.
hmem_dax() { # hmem_dax START: the daxX.Y whose memory starts at START
	for d in /sys/bus/dax/devices/dax*; do
		[ "$(cat "$d/resource" 2>/dev/null)" = "$1" ] || continue
		case $(readlink -f "$d") in */platform/hmem.*) basename "$d"; return ;; esac
	done
}
hmem_dev=$(hmem_dax 0x180000000)
[ -n "$hmem_dev" ] || die "no dax_hmem instance at 6G (memmap=...%6G-1+0xefffffff?)"
# dax_kmem claims soft-reserved memory first (as System RAM, offline).
daxctl reconfigure-device -m devdax -f "$hmem_dev" >/dev/null 2>&1 ||
	die "daxctl reconfigure-device -m devdax $hmem_dev"
for spm in 0x1a0000000 0x1c0000000; do
	d=$(hmem_dax $spm)
	[ -n "$d" ] || die "no dax_hmem instance at $spm"
	hmem=$(basename "$(dirname "$(readlink -f "/sys/bus/dax/devices/$d")")")
	echo "$hmem" >/sys/bus/platform/drivers/hmem/unbind ||
		die "cannot hand $spm back from $hmem"
done

# The benchmark's kernel has no P2PDMA (config/users.config is for the
# test kernels only).
if [ "${PMEM_EXTRAS:-1}" != 0 ]; then
	p2pmem=""
	for f in /sys/bus/pci/devices/*/p2pmem; do
		[ "$(cat "$f/published" 2>/dev/null)" = 1 ] && p2pmem=$f && break
	done
	[ -n "$p2pmem" ] || die "no published p2pmem (QEMU nvme cmb_size_mb?)"
	# QEMU has one NVMe controller: its namespace is the first nvme disk.
	nvme=$(ls /sys/block | grep -m1 '^nvme[0-9]*n[0-9]*$')
	[ -n "$nvme" ] || die "no NVMe namespace beside $p2pmem"
	echo "DAX_P2PMEM=$p2pmem"
	echo "DAX_NVME=/dev/$nvme"
fi

cat <<ENV
DAX_DEV_HMEM=/dev/$hmem_dev
DAX_HMM_SPM0=0x1a0000000
DAX_HMM_SPM1=0x1c0000000
DAX_EXT4_DIR=/run/dax/ext4
DAX_XFS_DIR=/run/dax/xfs
DAX_VPMEM_DIR=/run/dax/vpmem
DAX_DEV_1G=$dev_1g
DAX_DEV_2M=$dev_2m
DAX_DEV_4K=$dev_4k
DAX_BLOCKDEV=/dev/ram0
ENV

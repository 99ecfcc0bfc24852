#!/bin/sh
# qemu-run.sh [-t SECONDS] [-i] [-c] KERNEL OUTDIR COMMAND [ARG...]
#
# Boot KERNEL under QEMU (TCG) on emulated persistent memory and run
# COMMAND in the guest as root, on this machine's root filesystem shared
# read-only. COMMAND's output is shown as it runs. The guest copies its
# dmesg to OUTDIR, then powers off.
#
#   -t SECONDS  wall-clock limit for the whole boot (default 1500)
#   -i          -icount shift=0 and one vCPU: guest time counts the
#               instructions of the one CPU, for repeatable benchmark
#               figures
#   -c          the CXL machine instead: q35 with a CXL host bridge, a
#               root port and a persistent CXL type-3 memory device,
#               and none of the other devices below
#
# Exits non-zero when the guest does not boot, times out, when COMMAND
# fails, or when the kernel log shows a splat.
set -eu
. "$(dirname -- "$0")/lib.sh"

limit=1500
icount=""
cpus=2
machine=pmem
usage="usage: qemu-run.sh [-t SECONDS] [-i] [-c] KERNEL OUTDIR COMMAND [ARG...]"
while getopts t:ic opt; do
	case $opt in
	t) limit=$OPTARG ;;
	i) icount="-icount shift=0" cpus=1 ;;
	c) machine=cxl ;;
	*) die "$usage" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 3 ] || die "$usage"
kernel=$1
out=$2
shift 2
case $limit in '' | *[!0-9]*) die "-t wants whole seconds, got '$limit'" ;; esac
[ -f "$kernel" ] || die "no kernel image at $kernel; run 'make' first"
need_cmd qemu-system-x86_64 qemu-system-x86

# The pmem machine (pc, -m 7G: RAM at 0-3G and 4G-8G):
#   memmap=1G!4G, memmap=1G!5G  two legacy pmem regions (e820 bus)
#   memmap=256M%6G-1+0xefffffff soft-reserved RAM (EFI "specific
#               purpose"), which dax_hmem turns into a device-DAX
#               instance; the same at 6.5G and 7G for the two device-
#               coherent devices of lib/test_hmm (a gap between them,
#               or e820 would merge them into one range)
#   one 6 GiB NVDIMM (QEMU_NVDIMM_SIZE, in whole GiB; a sparse file)
#   with a label area on the ACPI NFIT bus, placed by QEMU above RAM at
#   a 1 GiB aligned address; the suite carves it into device-DAX and
#   fsdax namespaces (scripts/guest-pmem.sh)
#   one 1 GiB virtio-pmem device (asynchronous flush: no MAP_SYNC)
#   one NVMe controller with a 64 MiB controller memory buffer, which
#   the nvme driver publishes as P2PDMA memory
# which leaves the guest 4.25 GiB of RAM, enough for a 1 GiB device-DAX
# mapping plus the struct pages of every region.
NVDIMM_SIZE=${QEMU_NVDIMM_SIZE:-6G}
case $NVDIMM_SIZE in
[1-9]*G) nvdimm_gib=${NVDIMM_SIZE%G} ;;
*) nvdimm_gib=x ;;
esac
case $nvdimm_gib in *[!0-9]*) die "QEMU_NVDIMM_SIZE wants whole GiB (6G), got '$NVDIMM_SIZE'" ;; esac
LABEL_SIZE=128K
VPMEM_SIZE=1G
NVME_SIZE=256M
# The CXL machine (q35, -m 2G): one host bridge (pxb-cxl) with one root
# port and a persistent type-3 device of 1 GiB with a label area, in a
# 1 GiB fixed memory window (scripts/guest-cxl.sh makes the region).
CXL_SIZE=1G
CXL_LSA_SIZE=1M

# The guest reaches the repository at the same path, through the shared
# root, and mounts tmpfs over /run, /proc, /sys and /dev.
case $TOP in
*[[:space:]]*) die "the repository path '$TOP' has a space; the kernel command line cannot carry it" ;;
/run/* | /proc/* | /sys/* | /dev/*) die "the guest hides $TOP; clone the repository elsewhere" ;;
esac

rm -rf "$out"
mkdir -p "$out/share"
out=$(CDPATH='' cd -- "$out" && pwd)
# The guest fills up to a few GiB of the sparse pmem images.
need_space_mb "$out" 6000
images="nvdimm0.img vpmem0.img nvme0.img cxl0.img cxllsa0.img"
trap 'for i in $images; do rm -f "$out/$i"; done' EXIT

# The job: what the guest init runs, with the repository path it knows.
{
	printf 'export TOP=%s\n' "$TOP"
	printf 'exec'
	for a in "$@"; do printf " '%s'" "$(printf '%s' "$a" | sed "s/'/'\\\\''/g")"; done
	printf '\n'
} >"$out/share/job"
: >"$out/share/output.log"

cmdline="console=ttyS0 root=hostroot rootfstype=9p ro"
cmdline="$cmdline rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose"
cmdline="$cmdline init=$TOP/scripts/guest-init.sh"
cmdline="$cmdline panic=-1 loglevel=6 log_buf_len=8M ${GUEST_CMDLINE:-}"
modules=$(CDPATH='' cd -- "$(dirname -- "$kernel")/../../.." && pwd)/modroot/lib/modules
[ ! -d "$modules" ] || cmdline="$cmdline DAX_MODULES=$modules"

# Both machines have a brd ram disk, a plain block device for O_DIRECT.
cmdline="$cmdline brd.rd_nr=1 brd.rd_size=262144"
set -- qemu-system-x86_64 -accel tcg,thread=single -cpu max $icount -smp $cpus
if [ "$machine" = pmem ]; then
	truncate -s "$NVDIMM_SIZE" "$out/nvdimm0.img"
	truncate -s "+$LABEL_SIZE" "$out/nvdimm0.img"
	truncate -s "$VPMEM_SIZE" "$out/vpmem0.img"
	truncate -s "$NVME_SIZE" "$out/nvme0.img"
	cmdline="$cmdline memmap=1G!4G memmap=1G!5G"
	cmdline="$cmdline memmap=256M%6G-1+0xefffffff memmap=256M%0x1a0000000-1+0xefffffff"
	cmdline="$cmdline memmap=256M%7G-1+0xefffffff"
	set -- "$@" -machine pc,nvdimm=on -m "7G,slots=4,maxmem=$((nvdimm_gib + 10))G" \
		-object "memory-backend-file,id=nvmem0,share=on,mem-path=$out/nvdimm0.img,size=$(stat -c %s "$out/nvdimm0.img")" \
		-device "nvdimm,id=nvdimm0,memdev=nvmem0,label-size=$LABEL_SIZE" \
		-object "memory-backend-file,id=vpmem0,share=on,mem-path=$out/vpmem0.img,size=$VPMEM_SIZE" \
		-device virtio-pmem-pci,memdev=vpmem0,id=vpmem0 \
		-drive "file=$out/nvme0.img,if=none,id=nvme0,format=raw" \
		-device nvme,serial=daxcmb0,drive=nvme0,cmb_size_mb=64 \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$out/share,mount_tag=results,security_model=none"
else
	# The shares go on q35's root bus by name: once pxb-cxl exists, a
	# device without a bus could land behind the CXL host bridge.
	truncate -s "$CXL_SIZE" "$out/cxl0.img"
	truncate -s "$CXL_LSA_SIZE" "$out/cxllsa0.img"
	set -- "$@" -machine q35,cxl=on -m 2G,slots=4,maxmem=8G \
		-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot,bus=pcie.0 \
		-fsdev "local,id=results,path=$out/share,security_model=none" \
		-device virtio-9p-pci,fsdev=results,mount_tag=results,bus=pcie.0 \
		-object "memory-backend-file,id=cxlmem0,share=on,mem-path=$out/cxl0.img,size=$CXL_SIZE" \
		-object "memory-backend-file,id=cxllsa0,share=on,mem-path=$out/cxllsa0.img,size=$CXL_LSA_SIZE" \
		-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 \
		-device cxl-rp,port=0,bus=cxl.1,id=cxl_rp0,chassis=0,slot=2 \
		-device cxl-type3,bus=cxl_rp0,memdev=cxlmem0,lsa=cxllsa0,id=cxl-pmem0 \
		-M "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=$CXL_SIZE"
fi
set -- "$@" -kernel "$kernel" -append "$cmdline" \
	-display none -monitor none -serial "file:$out/console.log" -no-reboot

printf '%s\n' "$*" >"$out/qemu.cmd"
t0=$(date +%s)
timeout --foreground "$limit" "$@" >"$out/qemu.log" 2>&1 &
qpid=$!
tail -n +1 -f --pid=$qpid "$out/share/output.log" 2>/dev/null &
tpid=$!
rc=0
wait $qpid || rc=$?
sleep 1
kill $tpid 2>/dev/null || true
wait $tpid 2>/dev/null || true

cp "$out/share/dmesg.txt" "$out/dmesg.txt" 2>/dev/null ||
	cp "$out/console.log" "$out/dmesg.txt"
[ $rc -ne 124 ] || die "guest timed out after ${limit}s; console: $out/console.log"
[ $rc -eq 0 ] || die "QEMU failed (exit $rc); see $out/qemu.log and $out/console.log"
[ -f "$out/share/job.rc" ] ||
	die "the guest did not finish its job (boot failure or crash);" \
		"console: $out/console.log"

"$TOP/scripts/check-splat.sh" "$out/dmesg.txt" || exit 1
job_rc=$(cat "$out/share/job.rc")
note "guest: ran in $(elapsed "$t0"), job exit status $job_rc; logs in $out"
[ "$job_rc" -eq 0 ]

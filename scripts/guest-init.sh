#!/bin/sh
# PID 1 of the test guest. The root file system is the host's, shared
# read-only over 9p; what the guest writes goes to tmpfs (/run, and /tmp
# and /var unless the repository lives there) or to the results share.
# Runs the job the host left in the share, saves the kernel log next to
# it, and powers off. Never exits: PID 1 exiting panics the kernel.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/run/home TERM=dumb LANG=C
export TMPDIR=/run/tmp
top=$(dirname -- "$(dirname -- "$0")")

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /run
for d in /tmp /var; do
	case $top/ in "$d"/*) continue ;; esac
	mount -t tmpfs tmpfs "$d"
done
mkdir -p /dev/pts /dev/shm /run/tmp /run/home /run/results
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /run/results
# qemu-run.sh passes the kernel's modules_install tree on the command
# line (the kernel hands unknown name=value parameters to init), so that
# tools such as daxctl find the built-in drivers.
if [ -d "${DAX_MODULES:-}" ]; then
	mount --bind "$DAX_MODULES" /lib/modules
fi
hostname dax-guest 2>/dev/null

R=/run/results
sh $R/job >$R/output.log 2>&1 </dev/null
echo $? >$R/job.rc.tmp
dmesg >$R/dmesg.txt
mv $R/job.rc.tmp $R/job.rc
sync
echo o >/proc/sysrq-trigger
while :; do sleep 60; done

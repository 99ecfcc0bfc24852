#!/bin/sh
# PID 1 of the test guest. The root filesystem is the host's, shared
# read-only over 9p; everything the guest writes goes to tmpfs or to the
# results share. Runs the job the host left in the share, saves the
# kernel log next to it, and powers off. Never exits: PID 1 exiting
# panics the kernel.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
for d in /tmp /run /var /mnt /root; do mount -t tmpfs tmpfs "$d"; done
mkdir -p /dev/pts /dev/shm /var/tmp /var/lib /var/log /mnt/results
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /mnt/results
hostname dax-guest 2>/dev/null

R=/mnt/results
sh $R/job >$R/output.log 2>&1 </dev/null
echo $? >$R/job.rc.tmp
dmesg >$R/dmesg.txt
mv $R/job.rc.tmp $R/job.rc
sync
echo o >/proc/sysrq-trigger
while :; do sleep 60; done

#!/bin/sh
# Runs in the guest for 'make run': carve the emulated persistent memory,
# map a device-DAX instance and an FS DAX file, and show what the kernel
# reports about them.
set -eu
: "${TOP:?}"

say() { printf '\n### %s\n' "$*"; }

say "kernel"
uname -r

say "persistent memory the firmware described"
grep -i -e persistent -e 'nvdimm\|pmem' /proc/iomem || true

say "creating namespaces (scripts/guest-pmem.sh)"
env_lines=$(sh "$TOP/scripts/guest-pmem.sh")
for kv in $env_lines; do export "$kv"; done
printf '%s\n' "$env_lines"

say "ndctl list -N (namespaces)"
ndctl list -N | grep -E '"(dev|mode|map|size|align|blockdev|chardev)"' || true

say "daxctl list (device-DAX instances)"
daxctl list | grep -E '"(chardev|size|align|mode)"' || true

say "mounted DAX file systems"
grep -E ' /run/dax/(ext4|xfs) ' /proc/mounts

say "mapping 4 MiB of $DAX_DEV_2M and 4 MiB of an xfs DAX file"
"$TOP/build/tools/dax_demo_map" "$DAX_DEV_2M" "$DAX_XFS_DIR/demo"

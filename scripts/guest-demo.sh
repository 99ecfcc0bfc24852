#!/bin/sh
# Runs in the guest for 'make run': carve the emulated persistent memory,
# map a device-DAX instance and an FS DAX file, and show what the kernel
# reports about them.
set -eu
: "${TOP:?}"

say() { printf '\n### %s\n' "$*"; }

# one line per JSON object: key=value pairs from ndctl/daxctl's output
one_line_each() {
	tr -d '"' | awk '/{/ { line = "" } /:/ && !/[[{]$/ {
		sub(/^[ \t]+/, ""); sub(/,$/, ""); sub(/:/, "="); line = line "  " $0 }
		/}/ && line != "" { print line; line = "" }'
}

say "kernel"
uname -r

say "persistent memory the firmware described"
grep -i -e persistent -e 'nvdimm\|pmem' /proc/iomem || true

say "creating namespaces (scripts/guest-pmem.sh)"
env_lines=$(sh "$TOP/scripts/guest-pmem.sh")
for kv in $env_lines; do export "$kv"; done
printf '%s\n' "$env_lines"

say "ndctl list -N (namespaces)"
ndctl list -N -u | one_line_each

say "daxctl list (device-DAX instances)"
daxctl list -u | one_line_each

say "mounted DAX file systems"
grep -E ' /run/dax/(ext4|xfs) ' /proc/mounts

say "mapping 4 MiB of $DAX_DEV_2M and 4 MiB of an xfs DAX file"
"$TOP/build/tools/dax_demo_map" "$DAX_DEV_2M" "$DAX_XFS_DIR/demo"

#!/bin/sh
# Runs in the guest: the scale items of the benchmark. For each alignment
# (2M, 1G) and each size in SCALE_GIB (default "1 16", in GiB), make
# one device-DAX namespace on the NVDIMM with its struct pages on the
# device (--map=dev), large enough for that many GiB of data after its
# memmap, run 'dax_bench --scale' on it and destroy it again. Lines go
# to the terminal and to $RESULTS/bench.txt.
set -eu
: "${TOP:?}"
. "$TOP/scripts/guest-lib.sh"
RESULTS=${RESULTS:-/run/results}
BENCH=${BENCH:-$TOP/build/bench/dax_bench}
SCALE_GIB=${SCALE_GIB:-1 16}

[ -x "$BENCH" ] || die "no $BENCH; run 'make bench'"
ndctl disable-region -b ACPI.NFIT all >/dev/null 2>&1 || die "no NFIT bus"
ndctl init-labels -f -b ACPI.NFIT all >/dev/null 2>&1 || die "init-labels"
ndctl enable-region -b ACPI.NFIT all >/dev/null 2>&1 || die "enable-region"

: >"$RESULTS/bench.txt"
for align in 2M 1G; do
	for gib in $SCALE_GIB; do
		# The memmap takes 1/64 of the device; the rest of the 1G
		# more covers the info block and the padding to the alignment.
		size=$((gib + gib / 64 + 1))G
		dev=$(devdax_namespace dev "$align" "$size" -b ACPI.NFIT)
		"$BENCH" --scale "$dev" "$gib" >"$RESULTS/scale.txt" ||
			die "dax_bench --scale $dev $gib failed"
		tee -a "$RESULTS/bench.txt" <"$RESULTS/scale.txt"
		ndctl destroy-namespace -f -b ACPI.NFIT all >/dev/null 2>&1 ||
			die "destroy-namespace after $dev"
	done
done

#!/bin/sh
# bench.sh: the baseline and the patched kernel side by side.
#
# Builds both from the same lean config without debug options, boots
# each BENCH_RUNS times (default 2) under QEMU with -icount shift=0, so
# that guest time counts instructions, and runs bench/dax_bench in each
# boot. Prints the tables of scripts/bench-table.sh: each kernel's figure
# (the mean over its boots of the median warm repetition), the ratio
# patched/baseline, the cold ratio and the repeatability, then what a
# process is charged, the nopat attribution and every repetition. They
# also go to bench/results/RESULTS.md, and a plot of the ratios to
# bench/results/ratios.png. BENCH_ITEMS="prefix ..." runs only some items.
# One more boot of each kernel with nopat runs BENCH_NOPAT_ITEMS (default:
# the faults, unless BENCH_ITEMS narrows the run; "none": no such boot),
# and one with a large sparse NVDIMM runs the scale items over
# BENCH_SCALE_GIB (default "1 16"; none when BENCH_ITEMS is set;
# "none": no such boot), plotted to bench/results/scale.png. Larger sizes
# are asked for by name (BENCH_SCALE_GIB="1 16 64"): here the backing file
# of a 64 GiB device ended up written whole, 66 GB of host disk and more
# than 15 minutes of I/O per alignment, so a size needs that much free
# disk (256 GiB: 260 GB). BENCH_REUSE=1 keeps the boots that
# finished in an earlier run with the same settings and runs the rest:
# guest time does not depend on when a boot ran.
set -eu
. "$(dirname -- "$0")/lib.sh"

RUNS=${BENCH_RUNS:-2}
if [ -n "${BENCH_ITEMS:-}" ]; then
	NOPAT_ITEMS=${BENCH_NOPAT_ITEMS:-none}
	SCALE_GIB=${BENCH_SCALE_GIB:-none}
else
	NOPAT_ITEMS=${BENCH_NOPAT_ITEMS:-devdax_fault fsdax_fault}
	SCALE_GIB=${BENCH_SCALE_GIB:-1 16}
fi
for gib in $SCALE_GIB; do
	case $gib in none) ;; '' | *[!0-9]* | 0) die "BENCH_SCALE_GIB wants sizes in whole GiB, not '$gib'" ;; esac
done
scale_max=0
for gib in $SCALE_GIB; do
	[ "$gib" = none ] || [ "$gib" -le "$scale_max" ] || scale_max=$gib
done
case $RUNS in '' | *[!0-9]* | 0 | 1) die "BENCH_RUNS must be 2 or more, not '$RUNS'" ;; esac
need_cmd gnuplot gnuplot-nox
need_cmd qemu-system-x86_64 qemu-system-x86

out=$BUILD/bench
results=$TOP/bench/results
mkdir -p "$out" "$results"

# The series the kernels are built from, named before they are built: a
# commit made while the boots run must not be named for them.
series=$(git -C "$TOP" rev-parse --short HEAD)
[ -z "$(git -C "$TOP" status --porcelain -- patches)" ] ||
	series="$series+local"
for flavour in baseline patched; do
	sh "$TOP/scripts/build-kernel.sh" "$flavour" bench
done

step_begin "building bench/dax_bench"
run_logged "$BUILD/logs/bench-cc.log" ${CC:-gcc} -O2 -D_GNU_SOURCE -Wall \
	-Werror -Wno-unused-function -I"$TOP/tests" \
	-I"$BUILD/linux/tools/testing/selftests" -I"$BUILD/linux" \
	-o "$out/dax_bench" "$TOP/bench/dax_bench.c"
step_end

# The hugetlb peers' pools: 1 GiB of 2M pages and one 1G page.
HUGEPAGES="hugepagesz=2M hugepages=512 hugepagesz=1G hugepages=1"

# bench_boot FLAVOUR DIR WHAT GUEST-SCRIPT ARG...: one boot of the
# benchmark, on an NVDIMM of QEMU_NVDIMM_SIZE (default 5G).
bench_boot() {
	flavour=$1
	dir=$2
	if [ "${BENCH_REUSE:-0}" = 1 ] && [ "$(cat "$dir/share/job.rc" 2>/dev/null)" = 0 ]; then
		note "==> $3 on the $flavour kernel: reusing $dir (BENCH_REUSE=1)"
		return 0
	fi
	step_begin "$3 on the $flavour kernel (log: $dir/console.log)"
	script=$4
	shift 4
	rm -rf "$dir"
	GUEST_CMDLINE="$HUGEPAGES ${GUEST_CMDLINE:-}" \
	QEMU_NVDIMM_SIZE=${QEMU_NVDIMM_SIZE:-5G} \
		"$TOP/scripts/qemu-run.sh" -i -t 3600 \
		"$BUILD/out/$flavour-bench/arch/x86/boot/bzImage" "$dir" \
		env BENCH="$out/dax_bench" SCALE_GIB="$SCALE_GIB" \
		sh "$TOP/scripts/$script" "$@" >"$dir.log" 2>&1 ||
		{ tail -n 20 "$dir.log" >&2; die "bench run failed; see $dir.log"; }
	step_end
}

# Alternate the kernels, so that each pair of runs is taken alike.
run=1
while [ "$run" -le "$RUNS" ]; do
	for flavour in baseline patched; do
		# shellcheck disable=SC2086
		bench_boot "$flavour" "$out/$flavour-$run" \
			"bench run $run of $RUNS" guest-bench.sh ${BENCH_ITEMS:-}
	done
	run=$((run + 1))
done

# Once more with nopat, for the faults only: how much of their
# difference is the base kernel's PAT lookup per inserted pfn.
for flavour in baseline patched; do
	[ "$NOPAT_ITEMS" != none ] || { rm -rf "$out/$flavour-nopat"; continue; }
	# shellcheck disable=SC2086
	GUEST_CMDLINE=nopat bench_boot "$flavour" "$out/$flavour-nopat" \
		"bench run with nopat" guest-bench.sh $NOPAT_ITEMS
done

# The scale items, on one NVDIMM that holds the largest device with its
# memmap (1/64 of it) and padding; sparse, so the host only stores what
# the guest writes (the memmap, some GiB).
rm -f "$out/scale.dat"
for flavour in baseline patched; do
	[ "$scale_max" -gt 0 ] || { rm -rf "$out/$flavour-scale"; continue; }
	QEMU_NVDIMM_SIZE=$((scale_max + scale_max / 64 + 2))G \
		bench_boot "$flavour" "$out/$flavour-scale" \
		"scale items ($SCALE_GIB GiB)" guest-scale.sh
done

base_ver=$(make -s -C "$BUILD/linux-base" kernelversion 2>/dev/null || echo unknown)
table=$results/RESULTS.md
sh "$TOP/scripts/bench-table.sh" "$out" "$RUNS" "$base_ver" "$series" >"$table"
cat "$table"

gnuplot <<EOF
set terminal pngcairo size 1000,600 noenhanced
set output '$results/ratios.png'
set title 'DAX benchmarks: patched / baseline ($base_ver, series $series; lower is better)'
set style fill solid 0.6
set boxwidth 0.7
set yrange [0:*]
set xtics rotate by -45 font ',8'
set rmargin 10
set ylabel 'time ratio patched / baseline'
set grid ytics
plot '$out/ratios.dat' using 0:2:xtic(1) with boxes notitle, 1 with lines lc 'black' notitle
EOF
if [ -s "$out/scale.dat" ]; then
	sh "$TOP/scripts/bench-scale-plot.sh" "$out/scale.dat" \
		"$results/scale.png" "$base_ver, series $series"
	note "results: $table, $results/ratios.png and $results/scale.png"
else
	rm -f "$results/scale.png"
	note "results: $table and $results/ratios.png"
fi

#!/bin/sh
# bench-table.sh DIR RUNS BASE_VERSION SERIES_ID: the Markdown tables of
# a benchmark, from DIR/{baseline,patched}-{1..RUNS}/share/bench.txt and,
# when they exist, DIR/{baseline,patched}-{nopat,scale}/share/bench.txt.
# Lines
# read "NAME MEDIAN UNIT COLD WARM...", lower is better for times. Per
# item: each kernel's median of the warm repetitions (the mean over the
# boots), the ratio patched/baseline, the ratio of the cold (first)
# repetitions, and the repeatability: the largest spread (max - min) /
# mean of the medians between the boots of either kernel. Also writes
# DIR/ratios.dat ("item ratio") and DIR/scale.dat ("align phase GiB
# baseline patched", per GiB) for the plots.
set -eu
. "$(dirname -- "$0")/lib.sh"

[ $# -eq 4 ] || die "usage: bench-table.sh DIR RUNS BASE_VERSION SERIES_ID"
dir=$1
runs=$2
files=""
for flavour in baseline patched; do
	run=1
	while [ "$run" -le "$runs" ]; do
		f=$dir/$flavour-$run/share/bench.txt
		[ -s "$f" ] || die "no benchmark output in $f"
		files="$files $f"
		run=$((run + 1))
	done
done
extra=""
for boot in nopat scale; do
	for flavour in baseline patched; do
		f=$dir/$flavour-$boot/share/bench.txt
		[ ! -s "$f" ] || extra="$extra $f"
	done
done

cat <<EOF
# DAX benchmarks: patched / baseline

- Base: Linux $3 (Debian linux-source-6.12 $(cat "$BUILD/linux/.git/dax-base-version" 2>/dev/null || echo ?)).
- Series: patches/ at $4 of this repository.
- Both kernels: config/lean.config + config/dax.config + config/bench.config,
  no debug options.
- QEMU TCG with one vCPU and -icount shift=0: guest time counts the
  instructions of that CPU.
- $runs boots per kernel, alternating. Each item runs 4 times per boot:
  the first (cold) repetition apart, then 3 warm ones. A figure is the
  mean over the boots of each boot's median of the warm repetitions.
  Lower is better everywhere, so a ratio above 1 is a slowdown. "cold"
  is the ratio of the cold repetitions. "repeat" is the largest spread
  of the medians between the boots of one kernel, relative to their mean.
- Units: ms, us and ns of guest time; "per_pte", "per_pmd" and "per_pud"
  items are per fault (the touch loop over mapped pages taken off).

EOF

# shellcheck disable=SC2086
awk '
function kernel_of(f) {
	if (f ~ /\/baseline-nopat\//) return "bn"
	if (f ~ /\/patched-nopat\//) return "pn"
	if (f ~ /\/baseline-scale\//) return "bs"
	if (f ~ /\/patched-scale\//) return "ps"
	return (f ~ /\/baseline-[0-9]+\//) ? "b" : "p"
}
function spread(k, i) {
	return (hi[k, i] - lo[k, i]) / (sum[k, i] / n[k, i])
}
function mean(k, i) { return sum[k, i] / n[k, i] }
function kernel_name(k) {
	if (k ~ /s$/) return k == "bs" ? "baseline" : "patched"
	return k == "b" ? "baseline" : k == "p" ? "patched" : k == "bn" ? "baseline nopat" : "patched nopat"
}
FNR == 1 { kernel = kernel_of(FILENAME); boot[kernel]++ }
NF >= 4 && $2 != "-" {
	if (!($1 in seen)) { order[++items] = $1; seen[$1] = 1 }
	if (!((kernel, $1) in n)) lo[kernel, $1] = hi[kernel, $1] = $2
	n[kernel, $1]++
	sum[kernel, $1] += $2
	cold[kernel, $1] += $4
	if ($2 < lo[kernel, $1]) lo[kernel, $1] = $2
	if ($2 > hi[kernel, $1]) hi[kernel, $1] = $2
	unit[$1] = $3
	line = boot[kernel] ":"
	for (f = 4; f <= NF; f++)
		line = line " " $f
	if ((kernel, $1) in reps)
		line = reps[kernel, $1] "; " line
	reps[kernel, $1] = line
}
NF == 3 && $2 == "-" { failed[$1] = 1; if (!($1 in seen)) { order[++items] = $1; seen[$1] = 1 } }
END {
	print "| item | unit | baseline | patched | ratio | cold | repeat |"
	print "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
	worst = 0
	for (j = 1; j <= items; j++) {
		i = order[j]
		if (i ~ /^(acct|scale)_/)
			continue
		if (failed[i] || n["b", i] != runs || n["p", i] != runs) {
			printf "| %s | | failed | failed | | | |\n", i
			bad++
			continue
		}
		mb = mean("b", i); mp = mean("p", i)
		r = spread("b", i); if (spread("p", i) > r) r = spread("p", i)
		if (r > worst) worst = r
		if (r > 0.02) unsteady = unsteady " " i
		if (mp / mb > 1.03) slower = slower " " i
		cr = cold["b", i] ? cold["p", i] / cold["b", i] : 0
		printf "| %s | %s | %.3f | %.3f | %.3f | %.3f | %.2f%% |\n", i, unit[i], mb, mp, mp / mb, cr, 100 * r
		printf "%s %.3f\n", i, mp / mb >ratios
	}
	printf "\nWorst repeatability: %.2f%% (limit 2%%): %s.\n", 100 * worst, unsteady ? "over the limit:" unsteady : "every item within it"
	printf "Items more than 3%% slower with the series: %s.\n", slower ? slower : "none"
	if (bad) printf "Items that failed: %d (see the run logs).\n", bad

	print "\n## What a process with 1 GiB of device DAX mapped is charged\n"
	print "Not times: VmRSS and the OOM score of the process, and how much"
	print "Mapped: in /proc/meminfo grew, with the mapping faulted in.\n"
	print "| item | unit | baseline | patched |"
	print "| --- | --- | ---: | ---: |"
	for (j = 1; j <= items; j++) {
		i = order[j]
		if (i !~ /^acct_/)
			continue
		if (failed[i] || !n["b", i] || !n["p", i])
			printf "| %s | | failed | failed |\n", i
		else
			printf "| %s | %s | %.0f | %.0f |\n", i, unit[i], mean("b", i), mean("p", i)
	}

	if (boot["bn"] && boot["pn"]) {
		print "\n## Attribution: the faults again, booted with nopat\n"
		print "One more boot of each kernel with nopat on its command line. The"
		print "base kernel inserts pfns, and looks up the PAT memory type of each"
		print "(track_pfn_insert()); the series inserts pages and does not.\n"
		print "| item | unit | baseline | baseline nopat | patched | patched nopat | ratio | ratio nopat |"
		print "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
		for (j = 1; j <= items; j++) {
			i = order[j]
			if (i ~ /^acct_/ || !n["bn", i] || !n["pn", i] || !n["b", i] || !n["p", i])
				continue
			printf "| %s | %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", i, unit[i],
				mean("b", i), mean("bn", i), mean("p", i), mean("pn", i),
				mean("p", i) / mean("b", i), mean("pn", i) / mean("bn", i)
		}
	}

	if (boot["bs"] && boot["ps"]) {
		print "\n## Scale: device DAX as it grows, struct pages on the device\n"
		print "One more boot of each kernel with a large sparse NVDIMM"
		print "(scripts/guest-scale.sh). Per GiB: probe is the bind of device_dax"
		print "(the memmap of the whole device is set up), fault one access per"
		print "2M or 1G unit of the first GiB-count GiB, unmap the munmap() of"
		print "them, release the unbind (the memmap is torn down). \"growth\" is"
		print "the patched figure over the patched figure at the smallest size:"
		print "1.00 means flat. Plot: scale.png.\n"
		print "| device | phase | GiB | baseline | patched | ratio | growth |"
		print "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
		for (j = 1; j <= items; j++) {
			i = order[j]
			if (i !~ /^scale_/)
				continue
			split(i, part, "_")
			gib = part[3]; sub(/g$/, "", gib)
			key = part[2] "_" part[4]
			if (failed[i] || !n["bs", i] || !n["ps", i]) {
				printf "| %s | %s | %s | failed | failed | | |\n", part[2], part[4], gib
				continue
			}
			if (!(key in first)) first[key] = mean("ps", i)
			printf "| %s | %s | %s | %.1f %s | %.1f %s | %.3f | %.2f |\n", part[2], part[4], gib,
				mean("bs", i), unit[i], mean("ps", i), unit[i], mean("ps", i) / mean("bs", i),
				mean("ps", i) / first[key]
			printf "%s %s %s %.3f %.3f\n", part[2], part[4], gib, mean("bs", i), mean("ps", i) >scale
		}
	}

	print "\n## Every repetition\n"
	print "Per boot (\"N:\"), the cold repetition first, then the warm ones.\n"
	print "| item | kernel | repetitions |"
	print "| --- | --- | --- |"
	split("b p bn pn bs ps", kernels, " ")
	for (j = 1; j <= items; j++)
		for (k = 1; k <= 6; k++)
			if ((kernels[k], order[j]) in reps)
				printf "| %s | %s | %s |\n", order[j], kernel_name(kernels[k]), reps[kernels[k], order[j]]
}' runs="$runs" ratios="$dir/ratios.dat" scale="$dir/scale.dat" $files $extra

#!/bin/sh
# bench-table.sh DIR RUNS BASE_VERSION SERIES_ID: the Markdown table of a
# benchmark, from DIR/{baseline,patched}-{1..RUNS}/share/bench.txt (lines
# "NAME VALUE UNIT", lower is better). Per item: each kernel's mean, the
# ratio patched/baseline, and the repeatability: the largest spread
# (max - min) / mean between the runs of either kernel.
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

cat <<EOF
# DAX benchmarks: patched / baseline

- Base: Linux $3 (Debian linux-source-6.12 $(cat "$BUILD/linux/.git/dax-base-version" 2>/dev/null || echo ?)).
- Series: patches/ at $4 of this repository.
- Both kernels: config/lean.config + config/dax.config, no debug options.
- QEMU TCG with -icount shift=0: guest time counts instructions.
- $runs boots per kernel; a figure is the mean over the boots of each
  boot's best of 3. Lower is better everywhere, so a ratio above 1 is a
  slowdown. "repeat" is the largest spread between the boots of one
  kernel, relative to their mean.

| item | unit | baseline | patched | ratio | repeat |
| --- | --- | ---: | ---: | ---: | ---: |
EOF

# shellcheck disable=SC2086
awk '
FNR == 1 { kernel = (FILENAME ~ /\/baseline-[0-9]+\//) ? "b" : "p" }
NF == 3 && $2 != "-" {
	if (!((kernel, $1) in n)) {
		if (!($1 in seen)) { order[++items] = $1; seen[$1] = 1 }
		lo[kernel, $1] = hi[kernel, $1] = $2
	}
	n[kernel, $1]++
	sum[kernel, $1] += $2
	if ($2 < lo[kernel, $1]) lo[kernel, $1] = $2
	if ($2 > hi[kernel, $1]) hi[kernel, $1] = $2
	unit[$1] = $3
}
NF == 3 && $2 == "-" { failed[$1] = 1; if (!($1 in seen)) { order[++items] = $1; seen[$1] = 1 } }
function spread(k, i) {
	return (hi[k, i] - lo[k, i]) / (sum[k, i] / n[k, i])
}
END {
	worst = 0
	for (j = 1; j <= items; j++) {
		i = order[j]
		if (failed[i] || n["b", i] != runs || n["p", i] != runs) {
			printf "| %s | | failed | failed | | |\n", i
			bad++
			continue
		}
		mb = sum["b", i] / runs; mp = sum["p", i] / runs
		r = spread("b", i); if (spread("p", i) > r) r = spread("p", i)
		if (r > worst) worst = r
		if (r > 0.02) unsteady = unsteady " " i
		if (mp / mb > 1.03) slower = slower " " i
		printf "| %s | %s | %.3f | %.3f | %.3f | %.2f%% |\n", i, unit[i], mb, mp, mp / mb, 100 * r
	}
	printf "\nWorst repeatability: %.2f%% (limit 2%%): %s.\n", 100 * worst, unsteady ? "over the limit:" unsteady : "every item within it"
	printf "Items more than 3%% slower with the series: %s.\n", slower ? slower : "none"
	if (bad) printf "Items that failed: %d (see the run logs).\n", bad
}' runs="$runs" $files

#!/bin/sh
# bench-scale-plot.sh SCALE.DAT OUT.PNG TITLE: plot the scale items of
# the benchmark, one panel per phase, guest time per GiB against the size
# of the device, for each kernel and alignment. SCALE.DAT has lines
# "align phase GiB baseline patched" (scripts/bench-table.sh).
set -eu
. "$(dirname -- "$0")/lib.sh"

[ $# -eq 3 ] || die "usage: bench-scale-plot.sh SCALE.DAT OUT.PNG TITLE"
[ -s "$1" ] || die "no scale figures in $1"
need_cmd gnuplot gnuplot-nox

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
	cat <<EOF
set terminal pngcairo size 1100,800 noenhanced
set output '$2'
set multiplot layout 2,2 title 'Device DAX, struct pages on the device: guest time per GiB ($3; flat is good)'
set logscale x 2
set xlabel 'device size (GiB)'
set ylabel 'us per GiB'
set yrange [0:*]
set grid
set key top right font ',8'
EOF
	for phase in probe fault unmap release; do
		printf "set title '%s'\nplot" "$phase"
		sep=' '
		for align in 2m 1g; do
			f=$tmp/$align-$phase.dat
			awk -v a="$align" -v p="$phase" '$1 == a && $2 == p' "$1" >"$f"
			printf "%s'%s' using 3:4 with linespoints title 'baseline %s'," \
				"$sep" "$f" "$align"
			printf " '%s' using 3:5 with linespoints title 'patched %s'" \
				"$f" "$align"
			sep=', '
		done
		printf '\n'
	done
	echo 'unset multiplot'
} >"$tmp/plot.gp"
gnuplot "$tmp/plot.gp" || die "gnuplot failed on $tmp/plot.gp"

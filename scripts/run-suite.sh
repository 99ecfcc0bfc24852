#!/bin/sh
# run-suite.sh KERNEL OUTDIR: boot KERNEL and run the DAX suite in the
# guest. Prints a line per test, then the closing line
#   N passed, N failed[, N skipped]
# A kernel splat counts as one failed test (kernel-log-clean), and so
# does a guest that does not boot or does not finish.
set -eu
. "$(dirname -- "$0")/lib.sh"

[ $# -eq 2 ] || die "usage: run-suite.sh KERNEL OUTDIR"
kernel=$1
out=$2
ls "$BUILD"/tests/* >/dev/null 2>&1 || die "no test programs in $BUILD/tests; run 'make tests'"

step_begin "booting $kernel and running the suite (log: $out/console.log)"
# The verdict comes from the results file and the kernel log below, not
# from the runner's exit status.
"$TOP/scripts/qemu-run.sh" -t "${SUITE_TIMEOUT:-2400}" "$kernel" "$out" \
	env TESTS="${TESTS:-}" "$TOP/scripts/guest-suite.sh" 2>"$out.err" || true
step_end
results=$out/share/results

if [ ! -f "$out/share/job.rc" ]; then
	cat "$out.err" >&2
	printf 'FAIL %-44s (guest did not finish; console: %s)\n' guest-run "$out/console.log"
fi
if "$TOP/scripts/check-splat.sh" "$out/dmesg.txt"; then
	printf 'PASS %s\n' kernel-log-clean
	splat=0
else
	printf 'FAIL %s (%s)\n' kernel-log-clean "$out/dmesg.txt"
	splat=1
fi

count() {
	_n=$(grep -c "^$1 " "$results" 2>/dev/null || true)
	echo "${_n:-0}"
}
passed=$(( $(count pass) + 1 - splat ))
failed=$(( $(count fail) + splat ))
skipped=$(count skip)
[ -f "$out/share/job.rc" ] || failed=$((failed + 1))

line="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || line="$line, $skipped skipped"
printf '%s\n' "$line"
[ "$failed" -eq 0 ] && [ $((passed - 1)) -gt 0 ]

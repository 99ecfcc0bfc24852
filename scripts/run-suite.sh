#!/bin/sh
# run-suite.sh KERNEL OUTDIR: boot KERNEL and run the DAX suite in the
# guest. Prints which kernel it boots, a line per test program (PASS,
# FAIL or SKIP), then two closing lines:
#   programs and checks: N PASS, N FAIL, N SKIP
#   N passed, N failed, N skipped
# The second counts test cases: every program's cases from its TAP
# totals, every KUnit case, and one each for the runner's own checks
# (kernel model, pmem setup and teardown, kernel-log-clean, a program
# that crashed, timed out or left a splat). tests/README.md says more.
#
# BASELINE=1 says KERNEL is the unpatched base: the guest then expects
# the legacy DAX reference-count model, otherwise the series' one, and
# fails the run when the booted kernel follows the other
# (DAX_EXPECT_MODEL=legacy|refcounted overrides).
set -eu
. "$(dirname -- "$0")/lib.sh"

[ $# -eq 2 ] || die "usage: run-suite.sh KERNEL OUTDIR"
kernel=$1
out=$2
ls "$BUILD"/tests/* >/dev/null 2>&1 || die "no test programs in $BUILD/tests; run 'make tests'"

case ${BASELINE:-0} in
1) model=${DAX_EXPECT_MODEL:-legacy} flavour="base kernel" ;;
*) model=${DAX_EXPECT_MODEL:-refcounted} flavour="patched kernel" ;;
esac
case $model in
legacy | refcounted) ;;
*) die "DAX_EXPECT_MODEL must be legacy or refcounted, not '$model'" ;;
esac
note "kernel: $kernel ($flavour: DAX pages $model)"

step_begin "booting $kernel and running the suite (log: $out/console.log)"
# The verdict comes from the results file and the kernel log below, not
# from the runner's exit status.
"$TOP/scripts/qemu-run.sh" -t "${SUITE_TIMEOUT:-2400}" "$kernel" "$out" \
	env TESTS="${TESTS:-}" DAX_EXPECT_MODEL="$model" \
	"$TOP/scripts/guest-suite.sh" 2>"$out.err" || true
step_end
results=$out/share/results
cases=$out/share/cases

if [ ! -f "$out/share/job.rc" ]; then
	cat "$out.err" >&2
	printf 'FAIL %-44s (guest did not finish; console: %s)\n' guest-run "$out/console.log"
fi
if "$TOP/scripts/check-splat.sh" "$out/dmesg.txt" 2>"$out/splat.txt"; then
	printf 'PASS %s\n' kernel-log-clean
	splat=0
else
	printf 'FAIL %s (%s)\n' kernel-log-clean "$out/dmesg.txt"
	sed -n '1,12p' "$out/splat.txt" | sed 's/^/    /'
	splat=1
fi

count() {
	_n=$(grep -c "^$1 " "$results" 2>/dev/null || true)
	echo "${_n:-0}"
}
sum() { # sum COLUMN: of the cases file (2 passed, 3 failed, 4 skipped)
	if [ -f "$cases" ]; then
		awk -v c="$1" '{ n += $c } END { print n + 0 }' "$cases"
	else
		echo 0
	fi
}
passed=$(( $(sum 2) + 1 - splat ))
failed=$(( $(sum 3) + splat ))
skipped=$(sum 4)
unfinished=0
[ -f "$out/share/job.rc" ] || unfinished=1
failed=$((failed + unfinished))

printf 'programs and checks: %d PASS, %d FAIL, %d SKIP\n' \
	"$(( $(count pass) + 1 - splat ))" "$(( $(count fail) + splat + unfinished ))" \
	"$(count skip)"
printf '%s passed, %s failed, %s skipped\n' "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ] && [ $((passed - 1)) -gt 0 ]

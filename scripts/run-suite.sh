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
# (DAX_EXPECT_MODEL=legacy|refcounted overrides). Tests of the base
# kernel's bugs that the series fixes first skip on the base only
# (DAX_BASE_FIXES=0|1 overrides: 1 for the base with those fixes).
set -eu
. "$(dirname -- "$0")/lib.sh"

[ $# -eq 2 ] || die "usage: run-suite.sh KERNEL OUTDIR"
kernel=$1
out=$2
ls "$BUILD"/tests/* >/dev/null 2>&1 || die "no test programs in $BUILD/tests; run 'make tests'"

# Every kernel of the series has the fixes that open it; tests of those
# bugs skip on the base kernel only (DAX_BASE_FIXES=0|1 overrides).
case ${BASELINE:-0} in
1) model=${DAX_EXPECT_MODEL:-legacy} fixes=${DAX_BASE_FIXES:-0} flavour="base kernel" ;;
*) model=${DAX_EXPECT_MODEL:-refcounted} fixes=${DAX_BASE_FIXES:-1} flavour="patched kernel" ;;
esac
case $model in
legacy | refcounted) ;;
*) die "DAX_EXPECT_MODEL must be legacy or refcounted, not '$model'" ;;
esac
case $fixes in
0 | 1) ;;
*) die "DAX_BASE_FIXES must be 0 or 1, not '$fixes'" ;;
esac
note "kernel: $kernel ($flavour: DAX pages $model)"

# boot_suite MACHINE DIR QEMU-OPTION SUFFIX: one guest running the
# suite's part for MACHINE; SUFFIX names its own checks. The verdict comes from the results file and the
# kernel log, not from the runner's exit status.
boot_suite() {
	step_begin "booting $kernel on the $1 machine (log: $2/console.log)"
	"$TOP/scripts/qemu-run.sh" -t "${SUITE_TIMEOUT:-2400}" ${3:-} "$kernel" "$2" \
		env TESTS="${TESTS:-}" DAX_EXPECT_MODEL="$model" DAX_MACHINE="$1" \
		DAX_BASE_FIXES="$fixes" \
		"$TOP/scripts/guest-suite.sh" 2>"$2.err" || true
	step_end
	if [ ! -f "$2/share/job.rc" ]; then
		cat "$2.err" >&2
		printf 'FAIL %-44s (guest did not finish; console: %s)\n' "guest-run$4" "$2/console.log"
		unfinished=$((unfinished + 1))
	fi
	if "$TOP/scripts/check-splat.sh" "$2/dmesg.txt" 2>"$2/splat.txt"; then
		printf 'PASS %s\n' "kernel-log-clean$4"
		clean=$((clean + 1))
	else
		printf 'FAIL %s (%s)\n' "kernel-log-clean$4" "$2/dmesg.txt"
		sed -n '1,12p' "$2/splat.txt" | sed 's/^/    /'
		splat=$((splat + 1))
	fi
	booted="$booted $2"
}

# The pmem machine runs the suite; the CXL machine (q35) runs the cxl
# pass, when TESTS leaves it anything to run.
unfinished=0 splat=0 clean=0 booted=""
cxl_tests=$(TOP=$TOP DAX_MACHINE=cxl sh "$TOP/scripts/guest-suite.sh" --list) ||
	die "guest-suite.sh --list failed"
boot_suite pmem "$out" "" ""
[ -z "$cxl_tests" ] || boot_suite cxl "$out/cxl" -c @cxl
results=$out/results
cases=$out/cases
: >"$results"
: >"$cases"
for dir in $booted; do
	cat "$dir/share/results" >>"$results" 2>/dev/null || true
	cat "$dir/share/cases" >>"$cases" 2>/dev/null || true
done

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
passed=$(( $(sum 2) + clean ))
failed=$(( $(sum 3) + splat + unfinished ))
skipped=$(sum 4)

printf 'programs and checks: %d PASS, %d FAIL, %d SKIP\n' \
	"$(( $(count pass) + clean ))" "$(( $(count fail) + splat + unfinished ))" \
	"$(count skip)"
printf '%s passed, %s failed, %s skipped\n' "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ] && [ $((passed - clean)) -gt 0 ]

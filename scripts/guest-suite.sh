#!/bin/sh
# Runs in the guest: set up persistent memory, then run every test
# program built from tests/*.c, each with its own time limit. Prints a line per
# test and records "pass|fail|skip NAME" in $RESULTS/results.
#
# On a real host, PMEM_SETUP=0 skips the setup (which reconfigures
# namespaces) and uses the DAX_* variables the caller exported.
set -u
: "${TOP:?}"
RESULTS=${RESULTS:-/run/results}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
mkdir -p "$RESULTS/tests"
: >"$RESULTS/results"

record() { # record pass|fail|skip NAME SECONDS [DETAIL]
	printf '%s %s\n' "$1" "$2" >>"$RESULTS/results"
	printf '%-4s %-44s %4ss%s\n' "$(echo "$1" | tr a-z A-Z)" "$2" "$3" "${4:+  $4}"
}

# KUnit suites built into the kernel ran at boot; debugfs keeps the KTAP
# of each. One result per suite. The baseline kernel has none.
kunit_suites=0
for dir in /sys/kernel/debug/kunit/*/; do
	[ -r "${dir}results" ] || continue
	suite=$(basename "$dir")
	kunit_suites=$((kunit_suites + 1))
	tap=$RESULTS/tests/kunit-$suite.tap
	cp "${dir}results" "$tap"
	totals=$(grep -m1 '# Totals:' "$tap" | sed 's/^.*# Totals: //')
	if grep -q "^ok [0-9]* $suite\$" "$tap"; then
		record pass "kunit-$suite" 0 "$totals"
	else
		record fail "kunit-$suite" 0 "$totals"
		grep -E '^ *(not ok|# .*(Expected|ASSERT|EXPECT))' "$tap" |
			head -n 20 | sed 's/^/    /'
	fi
done
[ "$kunit_suites" -gt 0 ] ||
	record skip kunit 0 "this kernel has no KUnit suites"

t0=$(date +%s)
if [ "${PMEM_SETUP:-1}" = 0 ]; then
	# Real hardware: the caller named the devices in DAX_* variables.
	record skip pmem-setup 0 "PMEM_SETUP=0: using the caller's DAX_* devices"
elif env_lines=$(sh "$TOP/scripts/guest-pmem.sh" 2>"$RESULTS/tests/pmem-setup.log"); then
	for kv in $env_lines; do export "$kv"; done
	printf '%s\n' "$env_lines" >"$RESULTS/tests/pmem-setup.env"
	record pass pmem-setup $(( $(date +%s) - t0 ))
else
	record fail pmem-setup $(( $(date +%s) - t0 )) "$(tail -n 1 "$RESULTS/tests/pmem-setup.log")"
fi

# Tests that change shared state run last, in this order: remounts,
# device unbind and reconfigure, and poison that stays in the media.
LATE="fsdax_unmount_after_use devdax_unbind_while_mapped
devdax_reconfigure_system_ram fsdax_hwpoison"

ordered_tests() {
	for src in "$TOP"/tests/*.c; do
		name=${src##*/}
		name=${name%.c}
		case " $(echo $LATE) " in *" $name "*) ;; *) echo "$name" ;; esac
	done
	for name in $LATE; do
		[ -f "$TOP/tests/$name.c" ] && echo "$name"
	done
}

for name in $(ordered_tests); do
	t=$TOP/build/tests/$name
	case " ${TESTS:-$name} " in *" $name "*) ;; *) continue ;; esac
	tap=$RESULTS/tests/$name.tap
	t0=$(date +%s)
	if [ ! -x "$t" ]; then
		record fail "$name" 0 "not built: run 'make tests'"
		continue
	fi
	(cd "${TMPDIR:-/tmp}" && timeout -k 10 "$TEST_TIMEOUT" "$t") >"$tap" 2>&1 </dev/null
	rc=$?
	secs=$(( $(date +%s) - t0 ))
	totals=$(grep '^# Totals' "$tap" | sed 's/^# Totals: //')
	case $rc in
	0) record pass "$name" "$secs" "$totals" ;;
	4) record skip "$name" "$secs" "$(grep -m1 'SKIP' "$tap")" ;;
	124 | 137) record fail "$name" "$secs" "timed out after ${TEST_TIMEOUT}s" ;;
	*)
		record fail "$name" "$secs" "exit $rc; $totals"
		grep -E '^not ok|^#' "$tap" | grep -v '^# \(PASSED\|SKIP\|Totals\|RUN\|OK\)' |
			head -n 20 | sed 's/^/    /'
		;;
	esac
done
# Tear everything down: unmounting and disabling every namespace frees
# each pgmap, which waits for the last page reference. A leaked reference
# shows up here as a hang (the time limit) or an error.
if [ "${PMEM_SETUP:-1}" != 0 ]; then
	t0=$(date +%s)
	if timeout 120 sh -c 'for m in /run/dax/*; do
			! mountpoint -q "$m" || umount "$m" || exit 1
		done
		ndctl disable-namespace all' >"$RESULTS/tests/pmem-teardown.log" 2>&1; then
		record pass pmem-teardown $(( $(date +%s) - t0 ))
	else
		record fail pmem-teardown $(( $(date +%s) - t0 )) \
			"$(tail -n 1 "$RESULTS/tests/pmem-teardown.log")"
	fi
fi
! grep -q '^fail ' "$RESULTS/results"

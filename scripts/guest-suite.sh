#!/bin/sh
# Runs in the guest: set up persistent memory, then run every test
# program in build/tests with its own time limit. Prints a line per
# test and records "pass|fail|skip NAME" in $RESULTS/results.
set -u
: "${TOP:?}"
RESULTS=${RESULTS:-/mnt/results}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
mkdir -p "$RESULTS/tests"
: >"$RESULTS/results"

record() { # record pass|fail|skip NAME SECONDS [DETAIL]
	printf '%s %s\n' "$1" "$2" >>"$RESULTS/results"
	printf '%-4s %-44s %4ss%s\n' "$(echo "$1" | tr a-z A-Z)" "$2" "$3" "${4:+  $4}"
}

t0=$(date +%s)
if env_lines=$(sh "$TOP/scripts/guest-pmem.sh" 2>"$RESULTS/tests/pmem-setup.log"); then
	for kv in $env_lines; do export "$kv"; done
	printf '%s\n' "$env_lines" >"$RESULTS/tests/pmem-setup.env"
	record pass pmem-setup $(( $(date +%s) - t0 ))
else
	record fail pmem-setup $(( $(date +%s) - t0 )) "$(tail -n 1 "$RESULTS/tests/pmem-setup.log")"
fi

for t in "$TOP"/build/tests/*; do
	[ -x "$t" ] && [ -f "$t" ] || continue
	name=${t##*/}
	case " ${TESTS:-$name} " in *" $name "*) ;; *) continue ;; esac
	tap=$RESULTS/tests/$name.tap
	t0=$(date +%s)
	(cd /tmp && timeout -k 10 "$TEST_TIMEOUT" "$t") >"$tap" 2>&1 </dev/null
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
! grep -q '^fail ' "$RESULTS/results"

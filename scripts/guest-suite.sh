#!/bin/sh
# Runs in the guest: set up persistent memory, then run every test
# program built from tests/*.c, each with its own time limit. Prints a
# line per program (PASS, FAIL or SKIP) and records
#   "pass|fail|skip NAME" in $RESULTS/results (one per program or check)
#   "NAME PASSED FAILED SKIPPED" in $RESULTS/cases (counts of test cases)
# How a program is judged, and what the counts mean: tests/README.md.
#
# On a real host, PMEM_SETUP=0 skips the setup (which reconfigures
# namespaces) and uses the DAX_* variables the caller exported.
# DAX_EXPECT_MODEL (refcounted or legacy) names the kernel the caller
# meant to boot; dax_kernel_model checks it before anything else runs.
# DAX_MACHINE=cxl: the CXL guest (qemu-run.sh -c), which runs only the
# cxl pass below, on the device-DAX namespaces of scripts/guest-cxl.sh.
# With --list (on the host, no guest needed), print the programs this
# machine would run under TESTS, and nothing else.
set -u
: "${TOP:?}"
RESULTS=${RESULTS:-/run/results}
# A hang detector per program: the longest (fsdax_gup_faults_in) takes
# about 230 s alone under TCG, and half as much again on a busy host.
TEST_TIMEOUT=${TEST_TIMEOUT:-450}
MACHINE=${DAX_MACHINE:-pmem}
case $MACHINE in
pmem) setup=guest-pmem.sh at="" ;;
cxl) setup=guest-cxl.sh at=@cxl ;;
*) echo "guest-suite: error: DAX_MACHINE must be pmem or cxl, not '$MACHINE'" >&2; exit 1 ;;
esac

# The kernel-model check runs first: every expectation that differs
# between the base kernel and the series depends on it.
EARLY="dax_kernel_model$at"
# Tests that change shared state run last, in this order: remounts,
# device unbind and reconfigure, and poison that stays in the media.
# (Audits of device-DAX reference counts sort before devdax_unbind_*
# and devdax_reconfigure_*, which recreate the struct pages.)
LATE="fsdax_unmount_after_use devdax_hwpoison devdax_unbind_while_mapped
devdax_reconfigure_system_ram fsdax_hwpoison_idle fsdax_hwpoison fsdax_hwpoison_pmd
pmem_sysfs_read fsdax_unbind_while_mapped devdax_unbind_while_pinned"

# Second passes: programs run again on other backings, their DAX_*
# variables pointed at the pass's devices ("NAME@PASS" in the results):
#   mapdev  namespaces whose struct pages live on the device (--map=dev);
#           its xfs has rmapbt, so memory failure there goes through xfs
#           (fsdax_hwpoison_pmd runs last: its poison stays in the media)
#   hmem    the device-DAX instance of dax_hmem (soft-reserved RAM, 2M)
#   cxl     device DAX on a CXL pmem region (2M, 4K), in the CXL guest only
# A variant whose device the pass lacks skips with the variable's name.
PASS_MAPDEV="devdax_refcount_audit devdax_pmd_folios devdax_fault_rw devdax_fork devdax_mremap
devdax_partial_munmap devdax_longterm_pin selftest_gup_test
fsdax_refcount_audit fsdax_pte_fault fsdax_pmd_fault fsdax_truncate_while_pinned
devdax_hwpoison fsdax_hwpoison_pmd"
PASS_HMEM="devdax_refcount_audit devdax_fault_rw devdax_fork devdax_mremap
devdax_partial_munmap devdax_mprotect devdax_madv_dontneed devdax_longterm_pin"
PASS_CXL="devdax_refcount_audit devdax_pmd_folios devdax_fault_rw devdax_fork devdax_mremap
devdax_partial_munmap devdax_mprotect devdax_madv_dontneed devdax_longterm_pin
devdax_process_vm_readv devdax_smaps_pagemap selftest_gup_test
odirect_into_dax_buffer devdax_hwpoison devdax_unbind_while_mapped"

pass_env() { # pass_env PASS: the DAX_* settings of a pass, or nothing
	case $1 in
	mapdev) [ -n "${DAX_MAPDEV_DEV_2M:-}" ] &&
		echo "DAX_DEV_4K=$DAX_MAPDEV_DEV_4K DAX_DEV_2M=$DAX_MAPDEV_DEV_2M" \
			"DAX_DEV_1G= DAX_EXT2_DIR= DAX_EXT4_DIR=$DAX_MAPDEV_EXT4_DIR" \
			"DAX_XFS_DIR=$DAX_MAPDEV_XFS_DIR" ;;
	hmem) [ -n "${DAX_DEV_HMEM:-}" ] &&
		echo "DAX_DEV_4K= DAX_DEV_2M=$DAX_DEV_HMEM DAX_DEV_1G=" ;;
	cxl) [ -n "${DAX_CXL_DEV_2M:-}" ] &&
		echo "DAX_DEV_4K=$DAX_CXL_DEV_4K DAX_DEV_2M=$DAX_CXL_DEV_2M DAX_DEV_1G=" ;;
	esac
}

# hmm-tests runs before any test reads the page-table dump: lib/test_hmm
# takes its device lock under mmap_lock and then mem_hotplug_lock, the
# reverse of ptdump's order, and lockdep would report the pair. Its lock
# classes go away when the program unloads the module.
BEFORE_PTDUMP="selftest_hmm_tests"

ordered_tests() {
	if [ "$MACHINE" = cxl ]; then
		echo "$EARLY"
		for name in $PASS_CXL; do echo "$name@cxl"; done
		return
	fi
	for name in $EARLY $BEFORE_PTDUMP; do
		[ -f "$TOP/tests/$name.c" ] && echo "$name"
	done
	for src in "$TOP"/tests/*.c; do
		name=${src##*/}
		name=${name%.c}
		case " $(echo $EARLY $BEFORE_PTDUMP $LATE) " in *" $name "*) ;; *) echo "$name" ;; esac
	done
	for name in $PASS_MAPDEV; do echo "$name@mapdev"; done
	for name in $PASS_HMEM; do echo "$name@hmem"; done
	for name in $LATE; do
		[ -f "$TOP/tests/$name.c" ] && echo "$name"
	done
}

# selected NAME[@PASS]: TESTS (all when empty) names it or its program.
selected() {
	case " ${TESTS:-$1} " in
	*" $1 "* | *" ${1%@*} "*) return 0 ;;
	esac
	return 1
}

# --list: the programs (NAME or NAME@PASS) this machine runs, in order;
# the host asks before it boots a guest for them.
if [ "${1:-}" = --list ]; then
	for name in $(ordered_tests); do
		! selected "$name" || echo "$name"
	done
	exit 0
fi

mkdir -p "$RESULTS/tests"
: >"$RESULTS/results"
: >"$RESULTS/cases"

record() { # record pass|fail|skip NAME SECONDS [DETAIL]
	printf '%s %s\n' "$1" "$2" >>"$RESULTS/results"
	printf '%-4s %-44s %4ss%s\n' "$(echo "$1" | tr a-z A-Z)" "$2" "$3" "${4:+  $4}"
}

cases() { # cases NAME PASSED FAILED SKIPPED
	printf '%s %s %s %s\n' "$1" "$2" "$3" "$4" >>"$RESULTS/cases"
}

# A check of the runner's own (setup, teardown): one case.
check() { # check pass|fail|skip NAME SECONDS [DETAIL]
	record "$@"
	case $1 in
	pass) cases "$2" 1 0 0 ;;
	fail) cases "$2" 0 1 0 ;;
	skip) cases "$2" 0 0 1 ;;
	esac
}

totals_field() { # totals_field KEY "TOTALS": the number after KEY:, or 0
	_tf=$(printf '%s\n' "$2" | sed -n "s/.*\<$1:\([0-9][0-9]*\).*/\1/p" | head -n 1)
	echo "${_tf:-0}"
}

# Mark the kernel log before each program, so that what it wrote there
# can be checked on its own afterwards.
kmsg_mark() { # kmsg_mark NAME
	echo "dax-suite: begin $1" >/dev/kmsg 2>/dev/null
}

# kmsg_since NAME FILE: the kernel log since NAME's mark, into FILE.
# Fails when there is no mark (/dev/kmsg not writable).
kmsg_since() {
	dmesg 2>/dev/null | awk -v m="dax-suite: begin $1" '
		{ n = length($0) - length(m) }
		n >= 0 && substr($0, n + 1) == m { on = 1; out = "" }
		on { out = out $0 "\n" }
		END { printf "%s", out; exit !on }' >"$2"
}

# KUnit suites built into the kernel ran at boot; debugfs keeps the KTAP
# of each. One result per suite. The baseline kernel has none. (The CXL
# guest boots the same kernel: its suites count once, in the pmem one.)
record_kunit() {
	kunit_suites=0
	for dir in /sys/kernel/debug/kunit/*/; do
		[ -r "${dir}results" ] || continue
		suite=$(basename "$dir")
		kunit_suites=$((kunit_suites + 1))
		tap=$RESULTS/tests/kunit-$suite.tap
		cp "${dir}results" "$tap"
		totals=$(grep -m1 '# Totals:' "$tap" | sed 's/^.*# Totals: //')
		kp=$(totals_field pass "$totals")
		kf=$(totals_field fail "$totals")
		ks=$(totals_field skip "$totals")
		if grep -q "^ok [0-9]* $suite\$" "$tap"; then
			record pass "kunit-$suite" 0 "$totals"
			cases "kunit-$suite" "$kp" "$kf" "$ks"
		else
			record fail "kunit-$suite" 0 "$totals"
			cases "kunit-$suite" "$kp" "$((kf > 0 ? kf : 1))" "$ks"
			grep -E '^ *(not ok|# .*(Expected|ASSERT|EXPECT))' "$tap" |
				head -n 20 | sed 's/^/    /'
		fi
	done
	[ "$kunit_suites" -gt 0 ] ||
		check skip kunit 0 "this kernel has no KUnit suites"
}
[ "$MACHINE" != pmem ] || record_kunit

t0=$(date +%s)
if [ "${PMEM_SETUP:-1}" = 0 ]; then
	# Real hardware: the caller named the devices in DAX_* variables.
	check skip "pmem-setup$at" 0 "PMEM_SETUP=0: using the caller's DAX_* devices"
elif env_lines=$(sh "$TOP/scripts/$setup" 2>"$RESULTS/tests/pmem-setup.log"); then
	for kv in $env_lines; do export "$kv"; done
	printf '%s\n' "$env_lines" >"$RESULTS/tests/pmem-setup.env"
	check pass "pmem-setup$at" $(( $(date +%s) - t0 ))
else
	check fail "pmem-setup$at" $(( $(date +%s) - t0 )) "$(tail -n 1 "$RESULTS/tests/pmem-setup.log")"
fi

# run_test NAME[@PASS]: run one program (in a second pass, with the
# pass's devices) and judge it from its exit status, its TAP totals, its
# skip reasons and the kernel log it caused.
run_test() {
	name=$1
	t=$TOP/build/tests/${name%@*}
	settings=""
	case $name in *@*) settings=$(pass_env "${name#*@}") ;; esac
	tap=$RESULTS/tests/$name.tap
	t0=$(date +%s)
	if [ ! -x "$t" ]; then
		record fail "$name" 0 "not built: run 'make tests'"
		cases "$name" 0 1 0
		return
	fi
	marked=0
	! kmsg_mark "$name" || marked=1
	(cd "${TMPDIR:-/tmp}" && env $settings timeout -k 10 "$TEST_TIMEOUT" "$t") \
		>"$tap" 2>&1 </dev/null
	rc=$?
	secs=$(( $(date +%s) - t0 ))
	totals=$(grep '^# Totals' "$tap" | sed 's/^# Totals: //')
	# xfail is a pass, xpass and error are failures
	p=$(( $(totals_field pass "$totals") + $(totals_field xfail "$totals") ))
	f=$(( $(totals_field fail "$totals") + $(totals_field xpass "$totals") +
		$(totals_field error "$totals") ))
	s=$(totals_field skip "$totals")
	# A skip says why: the harness writes "unknown" when SKIP() had no text.
	unexplained=$(grep -cE '^ok [0-9]+ .*# SKIP *(unknown)?$' "$tap")
	splat=""
	if [ "$marked" = 1 ] && kmsg_since "$name" "$RESULTS/tests/$name.dmesg" &&
	   ! sh "$TOP/scripts/check-splat.sh" "$RESULTS/tests/$name.dmesg" \
		>/dev/null 2>"$RESULTS/tests/$name.splat"; then
		splat=$(head -n 1 "$RESULTS/tests/$name.splat" |
			sed 's/^.*, first: //' | cut -c1-100)
	fi
	[ -s "$RESULTS/tests/$name.splat" ] || rm -f "$RESULTS/tests/$name.splat"
	why=""
	case $rc in
	0 | 1) [ -n "$totals" ] || why="exit $rc without TAP totals" ;;
	124 | 137) why="timed out after ${TEST_TIMEOUT}s" ;;
	*) why="exit $rc" ;;
	esac
	[ -n "$why" ] || [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] ||
		why="exit $rc with no failed case"
	[ "$unexplained" -eq 0 ] || why="${why:+$why; }$unexplained skip(s) without a reason"
	[ -z "$splat" ] || why="${why:+$why; }kernel splat: $splat (log: tests/$name.dmesg)"

	if [ -n "$why" ] || [ "$f" -gt 0 ]; then
		record fail "$name" "$secs" "$why${why:+${totals:+; }}$totals"
		# the program itself failing counts once, beside its cases
		[ -z "$why" ] || f=$((f + 1))
		cases "$name" "$p" "$f" "$s"
		grep -E '^not ok|^#' "$tap" |
			grep -vE '^# +(PASSED|SKIP|Totals|RUN|OK|Starting)' |
			head -n 20 | sed 's/^/    /'
		[ -z "$splat" ] || sed -n '2,12p' "$RESULTS/tests/$name.splat" | sed 's/^/    /'
	elif [ "$p" -eq 0 ] && [ "$s" -gt 0 ]; then
		record skip "$name" "$secs" "all $s case(s) skipped: $(grep -m1 -o '# SKIP .*' "$tap" | sed 's/^# SKIP //')"
		cases "$name" 0 0 "$s"
	else
		record pass "$name" "$secs" "$totals"
		cases "$name" "$p" 0 "$s"
	fi
}

model_ok=1
skipped_passes=""
for name in $(ordered_tests); do
	# the kernel-model check runs whatever TESTS says
	[ "$name" = "$EARLY" ] || selected "$name" || continue
	case $name in
	*@*)
		pass=${name#*@}
		if [ -z "$(pass_env "$pass")" ]; then
			case " $skipped_passes " in *" $pass "*) ;; *)
				skipped_passes="$skipped_passes $pass"
				check skip "pass-$pass" 0 "no devices for the $pass pass (DAX_* unset)" ;;
			esac
			continue
		fi ;;
	esac
	if [ "$model_ok" = 0 ]; then
		record fail "$name" 0 "not run: the kernel is not the one the harness meant to boot"
		cases "$name" 0 1 0
		continue
	fi
	run_test "$name"
	case " $EARLY " in
	*" $name "*) ! grep -q "^fail $name\$" "$RESULTS/results" || model_ok=0 ;;
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
		check pass "pmem-teardown$at" $(( $(date +%s) - t0 ))
	else
		check fail "pmem-teardown$at" $(( $(date +%s) - t0 )) \
			"$(tail -n 1 "$RESULTS/tests/pmem-teardown.log")"
	fi
fi
! grep -q '^fail ' "$RESULTS/results"

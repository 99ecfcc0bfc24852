#!/bin/sh
# check-splat.sh DMESG: fail, and print each splat, if the kernel log
# shows a warning, BUG, oops, bad page, lockdep report, hung task, a
# corrupted page table entry, a negative vmstat counter, a failed memory
# failure recovery, or an ext4 or xfs error or shutdown.
set -eu
. "$(dirname -- "$0")/lib.sh"

pattern='WARNING:|BUG:|Oops|Bad page|kernel BUG|Kernel panic|general protection fault'
# lockdep reports start with "WARNING:" or "INFO: possible ..."; the
# rest catch hung tasks, RCU stalls and any other dumped stack.
pattern="$pattern|INFO: possible|INFO: trying to register non-static key"
pattern="$pattern|turning off the locking correctness validator"
pattern="$pattern|INFO: task .* blocked for more than|rcu_.*detected stall"
pattern="$pattern|suspicious RCU usage|Call Trace:"
# pXd_clear_bad(): an entry that is neither a table nor a leaf. The
# series' zap, split and mremap paths for huge DAX entries must never
# leave one.
pattern="$pattern|bad (pte|pmd|pud|p4d|pgd) "
# "echo 1 > /proc/sys/vm/stat_refresh" names every counter that went
# negative (an rmap removal without its addition, say nr_mapped).
pattern="$pattern|vmstat_refresh: "
# memory_failure() could not handle a DAX page.
pattern="$pattern|recovery action for dax page: Failed"
# ext4: __ext4_error*(), ext4_abort(), the errors=remount-ro fallback.
# A journal aborted by an error comes with one of these; "Aborting
# journal" alone follows a shutdown, which is what unbinding the pmem
# under a mounted ext4 asks for.
pattern="$pattern|EXT4-fs error|EXT4-fs \(.*\): Remounting filesystem read-only"
# xfs: corruption reports and xfs_do_force_shutdown(). A shutdown for
# "Block device removal" is the expected answer to unbinding the pmem
# under a mounted xfs (holder ops), so it is allowed below.
pattern="$pattern|XFS \(.*\): .*[Cc]orruption|Shutting down filesystem"
pattern="$pattern|XFS \(.*\): Internal error"
allowed='Block device removal .* Shutting down filesystem'

[ -r "${1:-}" ] || die "usage: check-splat.sh DMESG-FILE"

hits=$(grep -nE "$pattern" "$1" | grep -vE "$allowed" || true)
[ -n "$hits" ] || exit 0
first=$(printf '%s\n' "$hits" | head -n 1 | cut -d: -f1)
printf 'kernel splat in %s, first: %s\n' "$1" \
	"$(printf '%s\n' "$hits" | head -n 1 | cut -d: -f2- | sed 's/^\[[ 0-9.]*\] *//')" >&2
sed -n "$((first > 5 ? first - 5 : 1)),$((first + 40))p" "$1" >&2
printf '(%d matching lines in all)\n' "$(printf '%s\n' "$hits" | wc -l)" >&2
exit 1

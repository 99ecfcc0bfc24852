#!/bin/sh
# check-splat.sh DMESG: fail, and print each splat, if the kernel log
# shows a warning, BUG, oops, bad page, lockdep report or hung task.
set -eu
. "$(dirname -- "$0")/lib.sh"

[ -r "${1:-}" ] || die "usage: check-splat.sh DMESG-FILE"
pattern='WARNING:|BUG:|Oops|Bad page|kernel BUG|Kernel panic|general protection fault'
# lockdep reports start with "WARNING:" or "INFO: possible ..."; the
# rest catch hung tasks, RCU stalls and any other dumped stack.
pattern="$pattern|INFO: possible|INFO: trying to register non-static key"
pattern="$pattern|turning off the locking correctness validator"
pattern="$pattern|INFO: task .* blocked for more than|rcu_.*detected stall"
pattern="$pattern|suspicious RCU usage|Call Trace:"

hits=$(grep -nE "$pattern" "$1" || true)
[ -n "$hits" ] || exit 0
printf 'kernel splat in %s:\n' "$1" >&2
first=$(printf '%s\n' "$hits" | head -n 1 | cut -d: -f1)
sed -n "$((first > 5 ? first - 5 : 1)),$((first + 40))p" "$1" >&2
printf '(%d matching lines in all)\n' "$(printf '%s\n' "$hits" | wc -l)" >&2
exit 1

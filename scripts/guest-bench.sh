#!/bin/sh
# Runs in the guest: set up persistent memory with devices large enough
# for 1 GiB mappings, then run the benchmark once. Its lines go to the
# terminal and to $RESULTS/bench.txt.
set -eu
: "${TOP:?}"
RESULTS=${RESULTS:-/run/results}
BENCH=${BENCH:-$TOP/build/bench/dax_bench}

[ -x "$BENCH" ] || { echo "guest-bench: no $BENCH; run 'make bench'" >&2; exit 1; }
env_file=$RESULTS/pmem.env
DAX_SIZE_1G=2G DAX_SIZE_2M=1040M DAX_SIZE_4K=1040M PMEM_EXTRAS=0 \
	"$TOP/scripts/guest-pmem.sh" >"$env_file"
set -a
. "$env_file"
set +a
# The memfd peers ask for THP with MADV_HUGEPAGE.
thp=/sys/kernel/mm/transparent_hugepage/shmem_enabled
[ -w "$thp" ] || { echo "guest-bench: no $thp (CONFIG_TRANSPARENT_HUGEPAGE?)" >&2; exit 1; }
echo advise >"$thp"
# Without address space randomization the processes the benchmark forks
# have the same layout in every boot, and so does the work of fork().
command -v setarch >/dev/null 2>&1 ||
	{ echo "guest-bench: setarch (util-linux) is missing" >&2; exit 1; }
# The job's output is what the host shows; keep the benchmark's exit status.
rc=0
setarch "$(uname -m)" -R "$BENCH" "$@" >"$RESULTS/bench.txt" || rc=$?
cat "$RESULTS/bench.txt"
exit $rc

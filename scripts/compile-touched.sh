#!/bin/sh
# compile-touched.sh ARCH
#   Compile every C file that the series (base..HEAD of build/linux)
#   touches, as single objects, in a config that builds as much as
#   possible: allmodconfig on x86_64, the defconfig plus config/dax.config
#   and config/compile.config on the cross architectures. Files under
#   another arch/ are left out, and so are files whose option is off.
#   ARCH: x86_64, arm64, powerpc (ppc64le), riscv or s390.
#   On the cross architectures mm/ and arch/ARCH/mm/ are then built
#   whole: they hold the users of the page table helpers that the series
#   changes in headers, which compiling the touched files alone misses.
#   EACH=1 repeats that at every commit of the series, in a worktree
#   (build/linux-each), to show that each patch builds on its own;
#   EACH_FROM=N starts at the Nth commit (the earlier ones were shown).
set -eu
. "$(dirname -- "$0")/lib.sh"

[ $# -eq 1 ] || die "usage: compile-touched.sh x86_64|arm64|powerpc|riscv|s390"
arch=$1
case $arch in
x86_64) cross= ; config=allmodconfig ;;
arm64) cross=aarch64-linux-gnu- ; config=defconfig ;;
powerpc) cross=powerpc64le-linux-gnu- ; config=ppc64le_defconfig ;;
riscv) cross=riscv64-linux-gnu- ; config=defconfig ;;
s390) cross=s390x-linux-gnu- ; config=defconfig ;;
*) die "unknown arch '$arch' (want x86_64, arm64, powerpc, riscv or s390)" ;;
esac
need_cmd "${cross}gcc" "gcc-${cross%-}"

tree=$BUILD/linux
[ -d "$tree/.git" ] || die "$tree does not exist; run 'make tree'"
src=$tree
obj=$BUILD/out/compile-$arch
log=$BUILD/logs/compile-$arch.log
if [ "${EACH:-0}" = 1 ]; then
	src=$BUILD/linux-each
	obj=$BUILD/out/compile-$arch-each
fi
need_space_mb "$BUILD" 2000

cc="${cross}gcc"
command -v ccache >/dev/null 2>&1 && cc="ccache $cc"
export CCACHE_BASEDIR="$BUILD" CCACHE_DEPEND=1
kmake() {
	make -C "$src" O="$obj" ARCH="$arch" CROSS_COMPILE="$cross" CC="$cc" \
		-j"${JOBS:-$(nproc)}" "$@"
}

# Code under arch/ and drivers/s390/ builds for its own architecture only.
# shellcheck disable=SC2046
set -- $(git -C "$tree" diff --name-only --diff-filter=AM base HEAD -- '*.c' |
	grep -v -e '^tools/' -e '^scripts/' -e '^samples/' |
	awk -v arch="$arch" '
		/^arch\// { if (index($0, "arch/" arch "/") != 1) next }
		/^drivers\/s390\// { if (arch != "s390") next }
		{ print }')
[ $# -gt 0 ] || { note "compile-touched: the series touches no C file"; exit 0; }

if [ "${EACH:-0}" = 1 ] && [ ! -d "$src" ]; then
	git -C "$tree" worktree prune
	git -C "$tree" worktree add -q --detach "$src" base
fi

step_begin "configuring $arch ($config) and preparing $obj"
mkdir -p "$obj"
if [ ! -f "$obj/.config" ] || [ "$obj/.config" -ot "$TOP/config/dax.config" ] ||
	[ "$obj/.config" -ot "$TOP/config/compile.config" ]; then
	run_logged "$log" kmake "$config"
	if [ "$config" != allmodconfig ]; then
		cp "$obj/.config" "$obj/.config.base"
		run_logged "$log" sh "$src/scripts/kconfig/merge_config.sh" -m \
			-O "$obj" "$obj/.config.base" "$TOP/config/dax.config" \
			"$TOP/config/compile.config"
		run_logged "$log" kmake olddefconfig
	fi
fi
run_logged "$log" kmake prepare
step_end

# config_off FILE: print the option that leaves FILE out of this config,
# if the line of its directory's Kbuild (or Makefile) that names the
# object has one and the config has it off. A defconfig leaves out
# drivers that allmodconfig builds, and such a file may not compile on
# its own.
config_off() {
	_co_mk=$src/$(dirname "$1")/Kbuild
	[ -f "$_co_mk" ] || _co_mk=$src/$(dirname "$1")/Makefile
	_co_sym=$(grep -E "[[:space:]+:=]$(basename "$1" .c)\.o([^[:alnum:]_]|$)" \
		"$_co_mk" 2>/dev/null | head -n 1 |
		sed -n 's/.*\$(\(CONFIG_[A-Z0-9_]*\)).*/\1/p')
	[ -n "$_co_sym" ] && ! grep -Eq "^$_co_sym=[ym]" "$obj/.config" &&
		echo "$_co_sym"
}

# compile_files: compile those of the touched files that exist in $src.
compile_files() {
	for f in "$@"; do
		[ -f "$src/$f" ] || continue
		if off=$(config_off "$f"); then
			note "  skipped $f: $off is off in this config"
			continue
		fi
		run_logged "$log" kmake "${f%.c}.o"
	done
}

if [ "${EACH:-0}" != 1 ]; then
	step_begin "compiling $# touched file(s) for $arch"
	compile_files "$@"
	step_end
	if [ -n "$cross" ]; then
		step_begin "building mm/ and arch/$arch/mm/ for $arch"
		run_logged "$log" kmake mm/ "arch/$arch/mm/"
		step_end
	fi
	whole=
	[ -z "$cross" ] || whole=", and mm/ and arch/$arch/mm/ built whole"
	note "compile-touched $arch ($config): $# file(s) compiled without error$whole"
	exit 0
fi

from=${EACH_FROM:-1}
case $from in '' | *[!0-9]* | 0) die "EACH_FROM must be a commit number from 1, not '$from'" ;; esac
commits=$(git -C "$tree" rev-list --reverse base..HEAD)
total=$(echo "$commits" | wc -l)
[ "$from" -le "$total" ] || die "EACH_FROM=$from, but the series has $total commits"
n=0
for c in $commits; do
	n=$((n + 1))
	[ "$n" -ge "$from" ] || continue
	subject=$(git -C "$tree" log -1 --format=%s "$c")
	# -f: a run stopped mid-checkout leaves the worktree dirty, and the
	# worktree holds nothing but commits of the series.
	git -C "$src" checkout -q -f --detach "$c"
	step_begin "[$n/$total] $subject"
	compile_files "$@"
	step_end
done
note "compile-touched $arch ($config): commits $from to $total each compile" \
	"the touched files that exist at them"

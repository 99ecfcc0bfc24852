#!/bin/sh
# compile-touched.sh ARCH
#   Compile every C file that the series (base..HEAD of build/linux)
#   touches, as single objects, in a config that builds as much as
#   possible: allmodconfig on x86_64, the defconfig plus config/dax.config
#   on the cross architectures. Files under another arch/ are left out.
#   ARCH: x86_64, arm64, powerpc (ppc64le), riscv or s390.
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

src=$BUILD/linux
[ -d "$src/.git" ] || die "$src does not exist; run 'make tree'"
obj=$BUILD/out/compile-$arch
log=$BUILD/logs/compile-$arch.log
need_space_mb "$BUILD" 2000

cc="${cross}gcc"
command -v ccache >/dev/null 2>&1 && cc="ccache $cc"
export CCACHE_BASEDIR="$BUILD" CCACHE_DEPEND=1
kmake() {
	make -C "$src" O="$obj" ARCH="$arch" CROSS_COMPILE="$cross" CC="$cc" \
		-j"${JOBS:-$(nproc)}" "$@"
}

# shellcheck disable=SC2046
set -- $(git -C "$src" diff --name-only --diff-filter=AM base HEAD -- '*.c' |
	grep -v -e '^tools/' -e '^scripts/' -e '^samples/' |
	awk -v mine="arch/$arch/" '!/^arch\// || index($0, mine) == 1')
[ $# -gt 0 ] || { note "compile-touched: the series touches no C file"; exit 0; }

step_begin "configuring $arch ($config) and preparing $obj"
mkdir -p "$obj"
if [ ! -f "$obj/.config" ] || [ "$obj/.config" -ot "$TOP/config/dax.config" ]; then
	run_logged "$log" kmake "$config"
	if [ "$config" != allmodconfig ]; then
		cp "$obj/.config" "$obj/.config.base"
		run_logged "$log" sh "$src/scripts/kconfig/merge_config.sh" -m \
			-O "$obj" "$obj/.config.base" "$TOP/config/dax.config"
		run_logged "$log" kmake olddefconfig
	fi
fi
run_logged "$log" kmake prepare
step_end

step_begin "compiling $# touched file(s) for $arch"
for f in "$@"; do
	run_logged "$log" kmake "${f%.c}.o"
done
step_end
note "compile-touched $arch ($config): $# file(s) compiled without error"

#!/bin/sh
# build-kernel.sh FLAVOUR PROFILE [TARGET...]
#   FLAVOUR  patched (build/linux), baseline (the 'base' tag) or part
#            (build/linux-part, where 'make parts' checks out a part)
#   PROFILE  check (lean + dax + debug + users fragments, and series
#            on the patched kernel), bench (lean + dax + bench), or
#            debian (Debian's own amd64 config + dax.config: a
#            kernel for real hardware, slow to build on 2 cores)
#   TARGET   kernel make targets; default: bzImage modules
# Builds out of tree into build/out/FLAVOUR-PROFILE and prints the path
# of the kernel image.
set -eu
. "$(dirname -- "$0")/lib.sh"

[ $# -ge 2 ] || die "usage: build-kernel.sh patched|baseline|part check|bench|debian [TARGET...]"
flavour=$1
profile=$2
shift 2
[ $# -gt 0 ] || set -- bzImage modules

case $flavour in
patched) src=$BUILD/linux ;;
baseline) src=$BUILD/linux-base ;;
part) src=$BUILD/linux-part ;;	# a part's head, checked out by check-parts.sh
*) die "unknown flavour '$flavour' (want patched, baseline or part)" ;;
esac
[ "$flavour" != part ] || [ -d "$src" ] ||
	die "$src does not exist; 'make parts' checks out a part's head there"
case $profile in
check) fragments="$TOP/config/lean.config $TOP/config/dax.config $TOP/config/debug.config $TOP/config/users.config" ;;
bench) fragments="$TOP/config/lean.config $TOP/config/dax.config $TOP/config/bench.config" ;;
debian) fragments="$TOP/config/dax.config" ;;
*) die "unknown profile '$profile' (want check, bench or debian)" ;;
esac
# The series' own tests (KUnit) build into the patched test kernel only,
# and into a part's once the series has added them.
case $flavour-$profile in
patched-check) fragments="$fragments $TOP/config/series.config" ;;
part-check)
	! grep -qs '^config ZONE_DEVICE_KUNIT_TEST$' "$src/mm/Kconfig" ||
		fragments="$fragments $TOP/config/series.config"
	;;
esac

[ -d "$BUILD/linux/.git" ] || die "$BUILD/linux does not exist; run 'make tree'"
if [ "$flavour" = baseline ]; then
	# A worktree pinned to the base tag; the patched tree stays untouched.
	if [ ! -d "$src" ]; then
		git -C "$BUILD/linux" worktree prune
		git -C "$BUILD/linux" worktree add -q --detach "$src" base
	fi
	git -C "$src" checkout -q --detach base
fi

obj=$BUILD/out/$flavour-$profile
log=$BUILD/logs/build-$flavour-$profile.log
mkdir -p "$obj"
need_space_mb "$BUILD" 3000

jobs=${JOBS:-$(nproc)}
cc=gcc
if command -v ccache >/dev/null 2>&1; then
	cc="ccache gcc"
	# Relative paths in the cache key let a fresh clone elsewhere hit it,
	# and depend mode hashes the compiler's own dependency output instead
	# of running the preprocessor a second time on every miss.
	export CCACHE_BASEDIR="$BUILD" CCACHE_DEPEND=1
fi
kmake() {
	make -C "$src" O="$obj" ARCH=x86_64 CC="$cc" HOSTCC="$cc" \
		LOCALVERSION="-dax-$flavour" "$@"
}

# allnoconfig (or Debian's config) plus our fragments, then prove that
# every option we asked for survived Kconfig's dependency resolution.
if [ "$profile" = debian ]; then
	debconf=/usr/src/linux-config-6.12/config.amd64_none_amd64.xz
	[ -r "$debconf" ] || die "$debconf is missing; run 'make deps'"
	xz -dc "$debconf" >"$obj/.config"
	# Debian signs with keys that only its build servers have.
	"$src/scripts/config" --file "$obj/.config" \
		--set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
		--disable MODULE_SIG_ALL --disable DEBUG_INFO_BTF \
		--enable DEBUG_INFO_NONE --disable DEBUG_INFO_DWARF5
else
	run_logged "$log" kmake allnoconfig
fi
run_logged "$log.kconfig" "$src/scripts/kconfig/merge_config.sh" -m \
	-O "$obj" "$obj/.config" $fragments
run_logged "$log.kconfig" kmake olddefconfig
for opt in $(cat $fragments | grep -E '^CONFIG_[A-Z0-9_]+=' || true); do
	grep -qx -- "$opt" "$obj/.config" ||
		die "config option $opt did not take effect (a dependency is" \
			"missing?); see config/*.config and $obj/.config"
done
for opt in $(cat $fragments | sed -n 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1/p'); do
	! grep -q "^$opt=" "$obj/.config" ||
		die "config option $opt is still enabled (something selects it);" \
			"see config/*.config and $obj/.config"
done

step_begin "building $flavour kernel ($profile config): $*"
run_logged "$log" kmake -j"$jobs" "$@"
case " $* " in
*" modules "*)
	# The guest has no /lib/modules for this kernel; it bind-mounts this
	# one, so that tools such as daxctl find the built-in drivers.
	rm -rf "$obj/modroot"
	run_logged "$log.modules" kmake INSTALL_MOD_PATH="$obj/modroot" modules_install
	;;
esac
step_end
case " $* " in
*" bzImage "*) note "kernel: $obj/arch/x86/boot/bzImage" ;;
esac

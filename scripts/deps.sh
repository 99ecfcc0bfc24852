#!/bin/sh
# deps.sh [cross|bench]
# Install what the harness needs from Debian, idempotently: nothing is
# fetched when every package is already there at the pinned version.
# 'cross' also installs the cross compilers for the architectures that had
# a devmap PTE bit (Debian has none for loongarch); 'bench' the plotter.
set -eu
. "$(dirname -- "$0")/lib.sh"

: "${LINUX_PKG_VERSION:?set LINUX_PKG_VERSION (the Makefile does)}"
SRC_PKG=linux-source-6.12

# Build: kernel and tests. Guest: the guest boots on this machine's own
# root, so its tools (ndctl, mkfs, fio-like helpers) come from here too.
PKGS="build-essential bc bison flex libelf-dev libssl-dev cpio kmod rsync
ccache dpkg-dev debhelper python3 python3-ply python3-git git xz-utils
linux-config-6.12
qemu-system-x86 ndctl daxctl xfsprogs e2fsprogs util-linux procps
liburing-dev"
case ${1:-} in
'') ;;
cross) PKGS="$PKGS gcc-aarch64-linux-gnu gcc-powerpc64le-linux-gnu
gcc-riscv64-linux-gnu gcc-s390x-linux-gnu" ;;
bench) PKGS="$PKGS gnuplot-nox" ;;
*) die "unknown argument '$1' (want nothing, 'cross' or 'bench')" ;;
esac

installed_version() {
	dpkg-query -W -f='${db:Status-Abbrev} ${Version}\n' "$1" 2>/dev/null |
		awk '$1 == "ii" { print $2 }'
}

missing=""
for p in $PKGS; do
	[ -n "$(installed_version "$p")" ] || missing="$missing $p"
done
[ "$(installed_version $SRC_PKG)" = "$LINUX_PKG_VERSION" ] ||
	missing="$missing $SRC_PKG=$LINUX_PKG_VERSION"

# The guest boots on this root, read-only, and bind-mounts its kernel's
# modules_install tree on /lib/modules, so the directory must exist.
if [ ! -d /lib/modules ]; then
	${SUDO_CMD:-} mkdir -p /lib/modules 2>/dev/null ||
		die "cannot create /lib/modules (the guest's mount point); run as root"
fi

if [ -z "$missing" ]; then
	note "deps: all packages present ($SRC_PKG $LINUX_PKG_VERSION)"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 ||
		die "need root (or sudo) to install:$missing"
	SUDO=sudo
fi

step_begin "installing:$missing"
log=$BUILD/logs/apt.log
run_logged "$log" $SUDO apt-get update
if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y \
	--no-install-recommends $missing >>"$log" 2>&1; then
	tail -n 20 "$log" >&2
	if ! apt-cache madison $SRC_PKG | grep -q " $LINUX_PKG_VERSION "; then
		avail=$(apt-cache madison $SRC_PKG | awk '{ print $3 }' | tr '\n' ' ')
		die "$SRC_PKG $LINUX_PKG_VERSION is not offered by apt" \
			"(offered: ${avail:-none}); pick one with" \
			"'make LINUX_PKG_VERSION=<version>'"
	fi
	die "apt-get install failed; full log: $log"
fi
step_end

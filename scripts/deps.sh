#!/bin/sh
# deps.sh [cross|bench]
# Install what the harness needs from Debian, idempotently: nothing is
# fetched when every package is already there at the pinned version.
# Debian's archive keeps only the latest linux-source-6.12 uploads: when
# apt no longer offers the pin, LINUX_PKG_VERSION, the newest 6.12 it
# offers is used instead, with one warning line, and recorded in
# build/linux-version for prepare-tree.sh (lib.sh: linux_version_used).
# 'cross' also installs the cross compilers for the architectures that had
# a devmap PTE bit (Debian has none for loongarch); 'bench' the plotter.
set -eu
. "$(dirname -- "$0")/lib.sh"

: "${LINUX_PKG_VERSION:?set LINUX_PKG_VERSION (the Makefile does)}"
SRC_PKG=linux-source-6.12
case $LINUX_PKG_VERSION in
*[!A-Za-z0-9.+~:-]*) bad_version=1 ;;
6.12.[0-9]*) bad_version=0 ;;
*) bad_version=1 ;;
esac
[ "$bad_version" = 0 ] ||
	die "LINUX_PKG_VERSION must be a Debian version of $SRC_PKG," \
		"such as 6.12.117-1~deb12u1, not '$LINUX_PKG_VERSION'"

# Build: kernel and tests. Guest: the guest boots on this machine's own
# root, so its tools (ndctl, mkfs, fio-like helpers) come from here too.
PKGS="build-essential bc bison flex libelf-dev libssl-dev cpio kmod rsync
ccache dpkg-dev debhelper python3 python3-ply python3-git git xz-utils
linux-config-6.12
qemu-system-x86 ndctl daxctl xfsprogs e2fsprogs util-linux procps dmsetup
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

# offered_versions: the versions of linux-source-6.12 apt's lists offer.
offered_versions() {
	apt-cache madison $SRC_PKG 2>/dev/null |
		awk -F'|' '{ gsub(/[ \t]/, "", $2); if ($2 != "") print $2 }'
}

# pick_source_version: the pin while apt offers it, else the newest
# version apt offers, else nothing.
pick_source_version() {
	_best=""
	for _v in $(offered_versions); do
		if [ "$_v" = "$LINUX_PKG_VERSION" ]; then
			printf '%s\n' "$_v"
			return
		fi
		[ -z "$_best" ] || dpkg --compare-versions "$_v" gt "$_best" ||
			continue
		_best=$_v
	done
	printf '%s\n' "$_best"
}

missing=""
for p in $PKGS; do
	[ -n "$(installed_version "$p")" ] || missing="$missing $p"
done

# The source version to use: known now when the pin is installed, or when
# apt's lists already lack the pin and the newest they offer is installed;
# otherwise decided after 'apt-get update'.
installed_src=$(installed_version $SRC_PKG)
src=""
if [ "$installed_src" = "$LINUX_PKG_VERSION" ] || { [ -n "$installed_src" ] &&
	[ "$(pick_source_version)" = "$installed_src" ]; }; then
	src=$installed_src
fi

# The guest boots on this root, read-only, and bind-mounts its kernel's
# modules_install tree on /lib/modules, so the directory must exist.
if [ ! -d /lib/modules ]; then
	${SUDO_CMD:-} mkdir -p /lib/modules 2>/dev/null ||
		die "cannot create /lib/modules (the guest's mount point); run as root"
fi

# record_source_version: say so when the pin is not what is used, and
# tell prepare-tree.sh what is.
record_source_version() {
	[ "$src" = "$LINUX_PKG_VERSION" ] ||
		warn "apt does not offer the pinned $SRC_PKG $LINUX_PKG_VERSION;" \
			"using $src, the newest 6.12 it offers"
	mkdir -p "$BUILD"
	printf '%s %s\n' "$LINUX_PKG_VERSION" "$src" >"$LINUX_VERSION_FILE"
}

if [ -z "$missing" ] && [ -n "$src" ]; then
	record_source_version
	note "deps: all packages present ($SRC_PKG $src)"
	exit 0
fi

# What to install, as far as apt's lists tell before they are updated.
want=$missing
[ -n "$src" ] || want="$want $SRC_PKG$(pick_source_version | sed 's/^./=&/')"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 ||
		die "need root (or sudo) to install:$want"
	SUDO=sudo
fi

step_begin "installing:$want"
log=$BUILD/logs/apt.log
run_logged "$log" $SUDO apt-get update
if [ -z "$src" ]; then
	src=$(pick_source_version)
	[ -n "$src" ] ||
		die "apt offers no $SRC_PKG at all (the pin is $LINUX_PKG_VERSION);" \
			"check /etc/apt/sources.list (Debian 12 with bookworm-security)"
	[ "$src" = "$installed_src" ] || missing="$missing $SRC_PKG=$src"
fi
# --allow-downgrades: back to the pin after trying a newer source.
if [ -n "$missing" ] &&
	! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y \
		--no-install-recommends --allow-downgrades $missing >>"$log" 2>&1; then
	tail -n 20 "$log" >&2
	die "apt-get install failed; full log: $log"
fi
record_source_version
step_end

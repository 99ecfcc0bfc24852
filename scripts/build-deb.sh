#!/bin/sh
# build-deb.sh lean|debian: installable Debian packages of the patched
# kernel (linux-image, linux-headers, linux-libc-dev) in build/out/.
#   lean    the configuration the suite tests, without debug options:
#           boots the QEMU guest, not most real machines
#   debian  Debian's own amd64 configuration plus the DAX options: for
#           real pmem/CXL hosts; hours on 2 cores
set -eu
. "$(dirname -- "$0")/lib.sh"

case ${1:-} in
lean) profile=bench ;;
debian) profile=debian ;;
*) die "usage: build-deb.sh lean|debian" ;;
esac
need_cmd dpkg-buildpackage dpkg-dev

rm -f "$BUILD"/out/*.deb "$BUILD"/out/*.buildinfo "$BUILD"/out/*.changes
"$TOP/scripts/build-kernel.sh" patched "$profile" bindeb-pkg
ls "$BUILD"/out/*.deb >/dev/null 2>&1 || die "no packages were produced"
note "packages:"
ls -1 "$BUILD"/out/*.deb

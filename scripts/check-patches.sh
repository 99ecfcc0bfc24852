#!/bin/sh
# Prove that patches/ applies cleanly, in series order, to a fresh base,
# and that series and the patch files agree.
set -eu
. "$(dirname -- "$0")/lib.sh"

TREE=$BUILD/linux
[ -d "$TREE/.git" ] || die "$TREE does not exist; run 'make tree' first"
base=$(cat "$TREE/.git/dax-base-version" 2>/dev/null || echo '(unknown version)')

listed=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$TOP/patches/series")
for f in "$TOP"/patches/*.patch; do
	[ -e "$f" ] || continue
	printf '%s\n' "$listed" | grep -qx "${f##*/}" ||
		die "patches/${f##*/} is not listed in patches/series"
done

wt=$BUILD/check-patches
git -C "$TREE" worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"
git -C "$TREE" worktree prune
git -C "$TREE" worktree add -q --detach "$wt" base
trap 'git -C "$TREE" worktree remove --force "$wt" >/dev/null 2>&1' EXIT

n=0
for p in $listed; do
	[ -f "$TOP/patches/$p" ] || die "patches/series names missing file '$p'"
	git -C "$wt" am -q --no-3way "$TOP/patches/$p" >/dev/null 2>&1 ||
		die "patch $p does not apply cleanly to a fresh base $base"
	n=$((n + 1))
done
note "check-patches: all $n patch(es) apply cleanly to base $base"

#!/bin/sh
# Prove that patches/ is a series that can be sent and taken apart:
#  - patches/series and the patch files agree;
#  - the whole series applies cleanly, in order, to a fresh base;
#  - each fix of a bug in the base (a patch with a Fixes: tag) applies
#    to the base on its own, so that a stable kernel can take it alone;
#  - the cover letter is there and its shortlog and diffstat are those
#    of the series ('make export' updates them).
set -eu
. "$(dirname -- "$0")/lib.sh"

TREE=$BUILD/linux
[ -d "$TREE/.git" ] || die "$TREE does not exist; run 'make tree' first"
base=$(cat "$TREE/.git/dax-base-version" 2>/dev/null || echo '(unknown version)')

listed=$(series_files)
for f in "$TOP"/patches/*.patch; do
	[ -e "$f" ] || continue
	[ "${f##*/}" != "$COVER_LETTER" ] || continue
	printf '%s\n' "$listed" | grep -qx "${f##*/}" ||
		die "patches/${f##*/} is not listed in patches/series"
done
[ -f "$TOP/patches/$COVER_LETTER" ] ||
	die "patches/$COVER_LETTER is missing: the series needs a cover letter"

wt=$BUILD/check-patches
git -C "$TREE" worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"
git -C "$TREE" worktree prune
git -C "$TREE" worktree add -q --detach "$wt" base
trap 'git -C "$TREE" worktree remove --force "$wt" >/dev/null 2>&1' EXIT

# apply PATCH WHAT: git am one patch in the worktree, or fail naming it.
apply() {
	git -C "$wt" am -q --no-3way "$TOP/patches/$1" >/dev/null 2>&1 || {
		git -C "$wt" am --abort >/dev/null 2>&1 || true
		die "patch $1 does not apply cleanly $2"
	}
}

fixes=0
for p in $listed; do
	[ -f "$TOP/patches/$p" ] || die "patches/series names missing file '$p'"
	grep -q '^Fixes: [0-9a-f]\{12,\} ("' "$TOP/patches/$p" || continue
	git -C "$wt" reset -q --hard base
	apply "$p" "on its own to a fresh base $base (it has a Fixes: tag)"
	fixes=$((fixes + 1))
done

git -C "$wt" reset -q --hard base
n=0
for p in $listed; do
	apply "$p" "to a fresh base $base after the patches before it"
	n=$((n + 1))
done

sh "$TOP/scripts/cover-letter.sh" "$wt" "$TOP/patches/$COVER_LETTER" >"$wt/.cover"
cmp -s "$wt/.cover" "$TOP/patches/$COVER_LETTER" ||
	die "patches/$COVER_LETTER does not match the series (count, shortlog or" \
		"diffstat); 'make export' brings it up to date"
note "check-patches: all $n patch(es) apply cleanly to base $base;" \
	"the $fixes with a Fixes: tag each apply alone; the cover letter matches"

#!/bin/sh
# Write the commits of build/linux on top of 'base' back into patches/,
# as git format-patch files whose bytes depend only on the commits:
# no tool version, no commit ids that change on every 'git am'.
set -eu
. "$(dirname -- "$0")/lib.sh"

TREE=$BUILD/linux
[ -d "$TREE/.git" ] || die "$TREE does not exist; run 'make tree' first"
git -C "$TREE" rev-parse -q --verify base >/dev/null ||
	die "$TREE has no 'base' tag; it was not made by 'make tree'"
[ -z "$(git -C "$TREE" status --porcelain --untracked-files=no)" ] ||
	die "$TREE has uncommitted changes; commit them there first"

out=$TOP/patches
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

git -C "$TREE" format-patch -q --no-signature --zero-commit --no-numbered \
	-o "$tmp" base..HEAD
# The cover letter is written by hand; only its shortlog and diffstat are
# brought up to date, below.
for f in "$out"/*.patch; do
	[ "${f##*/}" = "$COVER_LETTER" ] || rm -f "$f"
done
{
	printf '# Applied in this order to the pinned base by scripts/prepare-tree.sh.\n'
	for f in "$tmp"/*.patch; do
		[ -e "$f" ] || continue
		cp "$f" "$out/"
		printf '%s\n' "${f##*/}"
	done
} >"$out/series"

cover=$out/$COVER_LETTER
if [ -f "$cover" ]; then
	sh "$TOP/scripts/cover-letter.sh" "$TREE" "$cover" >"$tmp/cover"
	mv "$tmp/cover" "$cover"
else
	warn "patches/$COVER_LETTER is missing: write one ('make check-patches' wants it)"
fi

n=$(git -C "$TREE" rev-list --count base..HEAD)
printf '%s %s\n' "$(patches_hash)" "$(git -C "$TREE" rev-parse HEAD)" >"$TREE/.git/dax-applied"
note "export: $n patch(es) written to patches/, and the cover letter's shortlog"

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
rm -f "$out"/*.patch
{
	printf '# Applied in this order to the pinned base by scripts/prepare-tree.sh.\n'
	for f in "$tmp"/*.patch; do
		[ -e "$f" ] || continue
		cp "$f" "$out/"
		printf '%s\n' "${f##*/}"
	done
} >"$out/series"

n=$(git -C "$TREE" rev-list --count base..HEAD)
hash=$(cat "$out/series" "$out"/*.patch 2>/dev/null | git hash-object --stdin)
printf '%s %s\n' "$hash" "$(git -C "$TREE" rev-parse HEAD)" >"$TREE/.git/dax-applied"
note "export: $n patch(es) written to patches/"

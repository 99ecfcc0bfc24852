#!/bin/sh
# Make build/linux: the pinned Debian source as one base commit (tag
# 'base'), with patches/ applied on top by 'git am'.
#
# The tree is where kernel work happens, so it is never thrown away
# behind the developer's back: it is rebuilt from patches/ only when it
# still holds exactly what the last run applied. FORCE=1 discards local
# commits and starts again from patches/.
#
# The base is the linux-source-6.12 version deps.sh installed: the pin,
# or the newest 6.12 apt offers once the pin is gone (lib.sh:
# linux_version_used).
set -eu
. "$(dirname -- "$0")/lib.sh"

: "${LINUX_PKG_VERSION:?set LINUX_PKG_VERSION (the Makefile does)}"
VERSION=$(linux_version_used)
TARBALL=/usr/src/linux-source-6.12.tar.xz
TREE=$BUILD/linux
STAMP=$TREE/.git/dax-applied   # "<patches hash> <HEAD after git am>"

git_tree() { git -C "$TREE" "$@"; }

pinned=""
[ "$VERSION" = "$LINUX_PKG_VERSION" ] || pinned=" (not the pin, $LINUX_PKG_VERSION)"

installed=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
[ "$installed" = "$VERSION" ] ||
	die "linux-source-6.12 is ${installed:-not installed}, want" \
		"$VERSION$pinned; run 'make deps'"
[ -r "$TARBALL" ] || die "$TARBALL is missing; run 'make deps'"

import_base() {
	need_space_mb "$BUILD" 4000
	step_begin "importing linux-source-6.12 $VERSION into $TREE"
	rm -rf "$TREE.tmp"
	mkdir -p "$TREE.tmp"
	tar -xJf "$TARBALL" -C "$TREE.tmp" --strip-components=1
	# Debian's tarball ignores every top-level path in .gitignore, which
	# would hide the whole tree from git; drop just that stanza.
	sed -i '/^# Debian packaging: ignore everything/,/^!\/debian\/$/d' \
		"$TREE.tmp/.gitignore"
	git -C "$TREE.tmp" init -q -b master
	git -C "$TREE.tmp" config user.name "DAX refcount project"
	git -C "$TREE.tmp" config user.email "dax-refcount@localhost"
	git -C "$TREE.tmp" config gc.auto 0
	git -C "$TREE.tmp" add -A
	GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" \
	GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
		git -C "$TREE.tmp" commit -q -m "Linux $VERSION (Debian linux-source-6.12)" \
			-m "Imported from $TARBALL; .gitignore lost Debian's ignore-all stanza."
	git -C "$TREE.tmp" tag base
	printf '%s\n' "$VERSION" >"$TREE.tmp/.git/dax-base-version"
	mv "$TREE.tmp" "$TREE"
	step_end
}

apply_series() {
	git_tree reset -q --hard base
	git_tree clean -q -fdx
	n=0
	for p in $(series_files); do
		[ -f "$TOP/patches/$p" ] ||
			die "patches/series names '$p', which is not in patches/"
		if ! git_tree am -q "$TOP/patches/$p" >"$BUILD/logs/git-am.log" 2>&1; then
			git_tree am --abort >/dev/null 2>&1 || true
			cat "$BUILD/logs/git-am.log" >&2
			die "patch $p does not apply to base $VERSION$pinned"
		fi
		n=$((n + 1))
	done
	printf '%s %s\n' "$(patches_hash)" "$(git_tree rev-parse HEAD)" >"$STAMP"
	note "tree: $n patch(es) from patches/ applied on base $VERSION$pinned"
}

mkdir -p "$BUILD/logs"
[ -d "$TREE/.git" ] || import_base

base_version=$(cat "$TREE/.git/dax-base-version" 2>/dev/null || true)
[ "$base_version" = "$VERSION" ] ||
	die "$TREE was made from ${base_version:-an unknown base}, want" \
		"$VERSION$pinned; export your work, then 'rm -rf $TREE'"

if [ ! -f "$STAMP" ] || [ "${FORCE:-0}" = 1 ]; then
	apply_series
	exit 0
fi

read -r applied_hash applied_head <"$STAMP"
head=$(git_tree rev-parse HEAD)
if [ "$head" != "$applied_head" ] || [ -n "$(git_tree status --porcelain --untracked-files=no)" ]; then
	note "tree: $TREE has local work beyond patches/; building it as is" \
		"('make export' saves it, 'make tree FORCE=1' discards it)"
elif [ "$applied_hash" != "$(patches_hash)" ]; then
	apply_series
fi

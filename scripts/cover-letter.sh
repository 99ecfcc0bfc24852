#!/bin/sh
# cover-letter.sh TREE COVER
#   Print COVER, the series' cover letter, brought up to date with the
#   commits base..HEAD of the git tree TREE: the patch count in its
#   Subject, and after the hand-written text the shortlog and diffstat,
#   laid out as 'git format-patch --cover-letter' lays them out. The
#   hand-written text ends where the shortlog starts ("Name (N):").
set -eu
. "$(dirname -- "$0")/lib.sh"

[ $# -eq 2 ] || die "usage: cover-letter.sh TREE COVER"
tree=$1
cover=$2
[ -f "$cover" ] || die "$cover is missing; the series needs a cover letter"
git -C "$tree" rev-parse -q --verify base >/dev/null ||
	die "$tree has no 'base' tag; it was not made by 'make tree'"
grep -q '^Subject: \[PATCH [0-9]*/[0-9]*\] ' "$cover" ||
	die "$cover has no 'Subject: [PATCH 0/N] ...' line"

n=$(git -C "$tree" rev-list --count base..HEAD)
zero=$(printf '%s' "$n" | tr '0-9' '0')
awk '/^[^[:space:]].* \([0-9]+\):$/ { exit } { print }' "$cover" |
	sed "s|^Subject: \[PATCH [0-9]*/[0-9]*\] |Subject: [PATCH $zero/$n] |"
git -C "$tree" shortlog base..HEAD
git -C "$tree" diff --stat --summary base HEAD

#!/bin/sh
# Run the pinned tree's checkpatch.pl on every patch in series order.
# Exits non-zero when any patch has errors or warnings.
set -eu
. "$(dirname -- "$0")/lib.sh"

cp=$BUILD/linux/scripts/checkpatch.pl
# spdxcheck.py wants the python3 that has Debian's ply, not another one
# earlier in PATH.
PATH=/usr/bin:$PATH
[ -x "$cp" ] || die "$cp is missing; run 'make tree'"
bad=0
n=0
for p in $(series_files); do
	n=$((n + 1))
	# FILE_PATH_CHANGES only asks whether MAINTAINERS needs a line for
	# a new file; the files the series adds sit under paths that it
	# already covers (mm/ has MEMORY MANAGEMENT). UNKNOWN_COMMIT_ID:
	# the pinned tree is a source package with no upstream history, so
	# checkpatch cannot look up the commits that changelogs cite; their
	# ids and subjects are checked against upstream by hand.
	if ! (cd "$BUILD/linux" && ./scripts/checkpatch.pl --quiet \
		--ignore FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID \
		"$TOP/patches/$p"); then
		bad=$((bad + 1))
	fi
done
note "checkpatch: $n patch(es), $bad with findings"
[ "$bad" -eq 0 ]

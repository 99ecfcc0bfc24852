#!/bin/sh
# Run the pinned tree's checkpatch.pl on every patch in series order.
# Exits non-zero when any patch has errors or warnings.
set -eu
. "$(dirname -- "$0")/lib.sh"

cp=$BUILD/linux/scripts/checkpatch.pl
[ -x "$cp" ] || die "$cp is missing; run 'make tree'"
bad=0
n=0
for p in $(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$TOP/patches/series"); do
	n=$((n + 1))
	if ! (cd "$BUILD/linux" && ./scripts/checkpatch.pl --quiet \
		"$TOP/patches/$p"); then
		bad=$((bad + 1))
	fi
done
note "checkpatch: $n patch(es), $bad with findings"
[ "$bad" -eq 0 ]

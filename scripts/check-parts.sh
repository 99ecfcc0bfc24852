#!/bin/sh
# check-parts.sh [PART...]
#   At the head of each part of the series (patches/parts), build the
#   test kernel and run the whole suite on it, expecting the DAX model
#   that part's head follows: each step of the series must boot and pass,
#   not only compile. PART names pick some parts; default: all of them.
#   Prints one line per part and writes build/parts/summary.md (head,
#   build and suite times, the suite's closing line).
set -eu
. "$(dirname -- "$0")/lib.sh"

parts=$TOP/patches/parts
TREE=$BUILD/linux
wt=$BUILD/linux-part
out=$BUILD/parts
[ -f "$parts" ] || die "patches/parts is missing"
[ -d "$TREE/.git" ] || die "$TREE does not exist; run 'make tree'"
ls "$BUILD"/tests/* >/dev/null 2>&1 || die "no test programs in $BUILD/tests; run 'make tests'"

# part_lines: "NAME LAST MODEL" for every part, in order.
part_lines() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$parts"; }
names=$(part_lines | awk '{ print $1 }' | tr '\n' ' ')
for want in "$@"; do
	case " $names" in
	*" $want "*) ;;
	*) die "unknown part '$want'; patches/parts has: $names" ;;
	esac
done

sel=$*
commits=$(git -C "$TREE" rev-list --reverse base..HEAD)
total=$(printf '%s\n' "$commits" | wc -l)

# Every line is checked before the first part runs: a run takes an hour.
part_lines | while read -r name last model; do
	case $last in '' | *[!0-9]*) die "patches/parts: part $name ends at '$last', not a patch number" ;; esac
	n=$(printf '%s' "$last" | sed 's/^0*//')
	if [ -z "$n" ] || [ "$n" -gt "$total" ]; then
		die "patches/parts: part $name ends at patch $last, the series has $total"
	fi
	case $model in
	legacy | refcounted) ;;
	*) die "patches/parts: part $name has model '$model', want legacy or refcounted" ;;
	esac
done || exit 1
mkdir -p "$out"

# write_summary: the table of every part that has a result, in series
# order; parts run one at a time (PARTS=...) add their rows to it.
write_summary() {
	printf '| part | head | model | build | suite | closing line |\n'
	printf '| --- | --- | --- | ---: | ---: | --- |\n'
	for p in $names; do
		[ ! -f "$out/$p.row" ] || cat "$out/$p.row"
	done
}

failed=0
nl='
'
IFS=$nl
for line in $(part_lines); do
	IFS=' 	'
	# shellcheck disable=SC2086
	set -- $line
	name=$1 last=$2 model=${3:-}
	IFS=$nl
	if [ -n "$sel" ]; then
		case " $sel " in *" $name "*) ;; *) continue ;; esac
	fi
	head=$(printf '%s\n' "$commits" | sed -n "$(printf '%s' "$last" | sed 's/^0*//')p")
	subject=$(git -C "$TREE" log -1 --format=%s "$head")

	if [ ! -d "$wt" ]; then
		git -C "$TREE" worktree prune
		git -C "$TREE" worktree add -q --detach "$wt" "$head"
	fi
	git -C "$wt" checkout -q --detach "$head"
	note "==> part $name: patch $last ($subject), DAX pages $model"

	t0=$(date +%s)
	sh "$TOP/scripts/build-kernel.sh" part check
	t1=$(date +%s)
	rm -rf "${out:?}/$name" "$out/$name.row"
	BASELINE=0 DAX_EXPECT_MODEL=$model sh "$TOP/scripts/run-suite.sh" \
		"$BUILD/out/part-check/arch/x86/boot/bzImage" "$out/$name" |
		tee "$out/$name.suite" || true
	t2=$(date +%s)
	closing=$(tail -n 1 "$out/$name.suite")
	case $closing in
	*" passed, 0 failed, "*) ;;
	*) failed=$((failed + 1)) ;;
	esac
	printf '| %s | %s %s | %s | %s | %s | %s |\n' "$name" "$last" "$subject" \
		"$model" "$(minutes $((t1 - t0)))" "$(minutes $((t2 - t1)))" \
		"$closing" >"$out/$name.row"
	note "part $name: $closing"
done
IFS=' 	'
write_summary >"$out/summary.md"
cat "$out/summary.md"
[ "$failed" -eq 0 ] || die "$failed part(s) failed the suite; see $out"

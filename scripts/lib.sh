# Shared helpers for the harness scripts. Source it; do not run it.
# shellcheck shell=sh

TOP=${TOP:-$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}

die() {
	printf '%s: error: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

note() {
	printf '%s\n' "$*"
}

# warn MSG: one line that must not go unseen.
warn() {
	printf '%s: WARNING: %s\n' "${0##*/}" "$*" >&2
}

# The linux-source-6.12 version build/linux is made from. It is the pin,
# LINUX_PKG_VERSION, unless 'make deps' found that apt no longer offers
# the pin and fell back to the newest 6.12 it does: deps.sh records that
# choice as "PIN USED" in $LINUX_VERSION_FILE.
LINUX_VERSION_FILE=$BUILD/linux-version

linux_version_used() {
	_lv_pin=${LINUX_PKG_VERSION:?set LINUX_PKG_VERSION (the Makefile does)}
	_lv_used=""
	if [ -r "$LINUX_VERSION_FILE" ]; then
		read -r _lv_p _lv_used <"$LINUX_VERSION_FILE" || true
		[ "$_lv_p" = "$_lv_pin" ] || _lv_used=""
	fi
	printf '%s\n' "${_lv_used:-$_lv_pin}"
}

# step_begin NAME / step_end: one line when a long step starts and one,
# with the time taken, when it ends.
step_begin() {
	STEP_NAME=$1
	STEP_T0=$(date +%s)
	printf '==> %s\n' "$STEP_NAME"
}

step_end() {
	printf '==> %s: done in %s\n' "$STEP_NAME" "$(elapsed "$STEP_T0")"
}

# elapsed START: the time since START (date +%s), as minutes() gives it.
elapsed() {
	minutes $(( $(date +%s) - $1 ))
}

# minutes SECONDS: "12m05s".
minutes() {
	printf '%dm%02ds' $(($1 / 60)) $(($1 % 60))
}

# run_logged LOG CMD...: run a command with its output in LOG; on failure
# show the end of the log and name it.
# (Shell functions share the caller's variables: hence the odd names.)
run_logged() {
	_rl_log=$1
	shift
	mkdir -p "$(dirname -- "$_rl_log")"
	if ! "$@" >"$_rl_log" 2>&1; then
		tail -n 30 "$_rl_log" >&2
		die "'$*' failed; full log: $_rl_log"
	fi
}

need_cmd() {
	command -v "$1" >/dev/null 2>&1 ||
		die "'$1' is missing; run 'make deps' to install it (package: ${2:-$1})"
}

need_space_mb() {
	mkdir -p "$1"
	_ns_free=$(df -Pm "$1" | awk 'NR == 2 { print $4 }')
	[ "$_ns_free" -ge "$2" ] ||
		die "only ${_ns_free} MiB free under $1, need $2 MiB; free some space"
}

# The cover letter of the series: format-patch style, never applied.
COVER_LETTER=0000-cover-letter.patch

# series_files: the patch files that patches/series names, in order.
series_files() {
	[ -f "$TOP/patches/series" ] || die "patches/series is missing"
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$TOP/patches/series"
}

# patches_hash: one hash of patches/series and the patches it names,
# which is what 'git am' applies (the cover letter is not).
patches_hash() {
	{
		cat "$TOP/patches/series"
		for _ph_p in $(series_files); do
			cat "$TOP/patches/$_ph_p"
		done
	} 2>/dev/null | git hash-object --stdin
}

# Shared helpers of the guest's setup scripts (guest-pmem.sh and
# guest-cxl.sh). Source it; do not run it.
# shellcheck shell=sh

die() {
	printf '%s: error: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

json_field() { # json_field KEY: the first "KEY":"value" on stdin
	sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | head -n 1
}

# devdax_namespace MAP ALIGN SIZE WHERE...: create a device-DAX namespace
# with its struct pages in MAP (mem or dev) where the ndctl arguments
# WHERE say (-b BUS or -r REGION), and print its /dev/daxX.Y.
devdax_namespace() {
	_dn_map=$1 _dn_align=$2 _dn_size=$3
	shift 3
	_dn_dev=$(ndctl create-namespace "$@" -m devdax --map="$_dn_map" \
		-a "$_dn_align" -s "$_dn_size" 2>&1 | json_field chardev) ||
		die "devdax namespace at $_dn_align alignment ($*)"
	[ -n "$_dn_dev" ] ||
		die "devdax namespace at $_dn_align alignment ($*): no chardev"
	printf '/dev/%s\n' "$_dn_dev"
}

#!/usr/bin/env bash
# unit.mkimage: mica_mkarchive --kernel, which makes every image. A made-up
# kernel Image (the arm64 header: image_size 8 KiB, magic ARM\x64; 100
# bytes in the file) gets the archive at 8 KiB, and its header's
# image_size must count the archive; a file that is no Image, whose
# image_size is smaller than itself, or that is already such an image, is
# refused with a message naming it.
#   mkimage.sh MKARCHIVE
set -uo pipefail
mk=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() {
	echo "FAIL $*"
	exit 1
}
le64() { # le64 FILE OFFSET: the little-endian 64-bit word there
	od -An -tu8 -j "$2" -N 8 "$1" | tr -d ' '
}
header() { # header FILE IMAGE_SIZE MAGIC: a 100-byte made-up Image
	{
		head -c 16 /dev/zero
		printf "$(printf '\\%03o' $(($2 & 255)) $(($2 >> 8 & 255)))"
		head -c 38 /dev/zero
		printf '%s' "$3"
		head -c 40 /dev/zero
	} >"$1"
}
echo "the payload" >"$dir/file"
header "$dir/kernel" 8192 'ARMd'
"$mk" --kernel "$dir/kernel" "$dir/out.img" root="$dir/file" || fail "mkarchive --kernel failed"
size=$(stat -c %s "$dir/out.img")
[[ $(head -c 8 <(tail -c +8193 "$dir/out.img")) == MICAARC1 ]] || fail "no archive at 8 KiB"
arc=$(le64 "$dir/out.img" $((8192 + 16)))
((size == 8192 + arc)) || fail "the image is $size bytes, not 8192 + the archive's $arc"
(($(le64 "$dir/out.img" 16) == size)) || fail "image_size is $(le64 "$dir/out.img" 16), not $size"
cmp -s -n 16 "$dir/kernel" "$dir/out.img" || fail "the kernel's first bytes changed"

header "$dir/notimage" 8192 'ELF!'
msg=$("$mk" --kernel "$dir/notimage" "$dir/bad.img" root="$dir/file" 2>&1) &&
	fail "a file without the magic was taken"
[[ $msg == *notimage*"not an arm64 Image"* ]] || fail "unclear message: $msg"
header "$dir/small" 64 'ARMd'
msg=$("$mk" --kernel "$dir/small" "$dir/bad.img" root="$dir/file" 2>&1) &&
	fail "an image_size below the file's size was taken"
[[ $msg == *small*image_size* ]] || fail "unclear message: $msg"
[[ ! -e $dir/bad.img ]] || fail "a refused image was written"
msg=$("$mk" --kernel "$dir/out.img" "$dir/bad.img" root="$dir/file" 2>&1) &&
	fail "an image already packed was packed again"
[[ $msg == *out.img*"already an image, with an archive at 8192"* ]] || fail "unclear message: $msg"
[[ ! -e $dir/bad.img ]] || fail "a refused image was written"
echo "mkarchive --kernel: the archive follows the kernel, counted in image_size"
echo "mkarchive --kernel: an image already packed is refused"

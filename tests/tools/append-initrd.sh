#!/bin/sh
# append-initrd.sh IN OUT: OUT is the initramfs IN with one more file, the
# test script /mica/tests/fromrun, appended as a second newc archive (Linux
# unpacks concatenated ones in turn), for qemu.run-options' --initrd.
set -e
in=$1 out=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/mica/tests"
echo 'echo "mica-guest: initrd: the one tools/run --initrd gave"' >"$dir/mica/tests/fromrun"
(cd "$dir" && find mica | LC_ALL=C sort | cpio --quiet -o -H newc) >"$dir/more.cpio"
cat "$in" "$dir/more.cpio" >"$out.new"
mv "$out.new" "$out"

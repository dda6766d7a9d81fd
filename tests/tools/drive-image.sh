#!/bin/sh
# The machine disk of qemu.linux-drive-*, on the host.
#
#   drive-image.sh make IMAGE
#       IMAGE: 16 MiB of apps/linux/mkdisk's numbered sectors, afresh.
#   drive-image.sh parts IMAGE [LOG]
#       passes if IMAGE is mkdisk's 16 MiB but for 4 MiB to 8 MiB, which
#       holds alpha's sectors, and 8 MiB to 12 MiB, beta's (part_sectors
#       of apps/linux/tests/drive-pattern): qemu.linux-drive-two.
#   drive-image.sh kept IMAGE
#       passes if IMAGE's ext4 file system has /kept.txt holding the drive
#       tests' pattern, read on the host with debugfs (e2fsprogs).
#   drive-image.sh check IMAGE [LOG]
#       passes if IMAGE is mkdisk's 16 MiB with exactly one change: the 1 MiB
#       at 5 MiB (1 MiB into the guest's part, which starts at 4 MiB) holds
#       the drive tests' pattern (apps/linux/tests/drive-pattern). LOG, the
#       serial log ctest's CHECK passes, is not read.
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
action=$1
image=$2

case $action in
make)
	mkdir -p "$(dirname "$image")"
	sh "$src/apps/linux/mkdisk" "$image" 16384
	;;
check)
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	sh "$src/apps/linux/mkdisk" "$work/want" 16384
	. "$src/apps/linux/tests/drive-pattern"
	drive_pattern >"$work/pattern"
	dd if="$work/pattern" of="$work/want" bs=1048576 seek=5 conv=notrunc 2>/dev/null
	if ! cmp "$work/want" "$image"; then
		echo "drive-image.sh: $image is not mkdisk's image with the pattern at 5 MiB" >&2
		exit 1
	fi
	echo "drive-image.sh: $image holds the pattern at 5 MiB and nothing else changed"
	;;
parts)
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	sh "$src/apps/linux/mkdisk" "$work/want" 16384
	. "$src/apps/linux/tests/drive-pattern"
	part_sectors alpha 8192 | dd of="$work/want" bs=1048576 seek=4 conv=notrunc 2>/dev/null
	part_sectors beta 8192 | dd of="$work/want" bs=1048576 seek=8 conv=notrunc 2>/dev/null
	if ! cmp "$work/want" "$image"; then
		echo "drive-image.sh: $image does not hold alpha's part, beta's part and mkdisk's rest" >&2
		exit 1
	fi
	echo "drive-image.sh: $image holds alpha's part at 4 MiB, beta's at 8 MiB, nothing else changed"
	;;
kept)
	. "$src/apps/linux/tests/drive-pattern"
	want=$(drive_pattern | sha256sum | cut -d' ' -f1)
	debugfs=$(PATH=$PATH:/sbin:/usr/sbin command -v debugfs)
	got=$("$debugfs" -R "cat /kept.txt" "$image" 2>/dev/null | sha256sum | cut -d' ' -f1)
	if [ "$got" != "$want" ]; then
		echo "drive-image.sh: /kept.txt in $image is $got, not the pattern ($want)" >&2
		exit 1
	fi
	echo "drive-image.sh: /kept.txt in $image holds the pattern ($got)"
	;;
*)
	echo "usage: drive-image.sh make|check|parts|kept IMAGE [LOG]" >&2
	exit 2
	;;
esac

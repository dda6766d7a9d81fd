#!/bin/sh
# The machine disk of qemu.linux-drive-*, on the host.
#
#   drive-image.sh make IMAGE
#       IMAGE: 16 MiB of apps/linux/mkdisk's numbered sectors, afresh.
#   drive-image.sh parts IMAGE [LOG]
#       passes if IMAGE is mkdisk's 16 MiB but for 4 MiB to 8 MiB, which
#       holds alpha's sectors, and 8 MiB to 12 MiB, beta's (part_sectors
#       of apps/linux/tests/drive-pattern): qemu.linux-drive-two.
#   drive-image.sh gpt IMAGE
#       IMAGE: mkdisk's 16 MiB with a GUID partition table written over its
#       first 34 sectors and its last 33: partition 1 ("alpha") is 4 MiB
#       to 8 MiB, partition 2 ("beta") 8 MiB to 12 MiB.
#   drive-image.sh gpt-parts IMAGE [LOG]
#       passes if IMAGE is gpt's image but for partition 1, which holds
#       alpha's sectors, and partition 2, beta's: qemu.linux-drive-gpt.
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

# The GUID partition table (UEFI 2.10 §5.3) of gpt, written with the
# shell's printf: every field is little-endian, GUIDs as stored on disk.
SECTORS=32768  # 16 MiB.
ENTRIES=128    # Of 128 bytes: 32 sectors.
FIRST_USABLE=34
LAST_USABLE=$((SECTORS - 34))

# bytes HEX...: those bytes.
bytes() {
	for b; do
		printf "\\$(printf %o "0x$b")"
	done
}

# le VALUE COUNT: VALUE as COUNT little-endian bytes.
le() {
	v=$1
	i=0
	while [ $i -lt "$2" ]; do
		printf "\\$(printf %o $((v & 255)))"
		v=$((v >> 8))
		i=$((i + 1))
	done
}

# crc32 FILE: its IEEE CRC-32, the one GPT uses, as gzip's trailer holds it.
crc32() {
	gzip -c <"$1" | tail -c 8 | od -An -tu1 -N4 | {
		read -r b0 b1 b2 b3
		echo $((b0 | b1 << 8 | b2 << 16 | b3 << 24))
	}
}

# entry NUMBER FIRST LAST NAME: a Linux filesystem partition of sectors
# FIRST to LAST inclusive (128 bytes, the name in UTF-16LE).
entry() {
	bytes af 3d c6 0f 83 84 72 47 8e 79 3d 69 d8 47 7d e4
	printf 'mica-gpt-part-%02d' "$1"
	le "$2" 8
	le "$3" 8
	le 0 8
	for c in $(printf '%s' "$4" | od -An -v -tx1); do
		bytes "$c" 00
	done
}

# pad FILE SIZE: FILE's bytes and zeros to SIZE (read from a file, so that
# dd's blocks are whole).
pad() {
	dd if="$1" of="$1.padded" bs="$2" conv=sync 2>/dev/null
	mv "$1.padded" "$1"
}

# header MY ALTERNATE ENTRIES_AT ENTRIES_CRC HEADER_CRC: the 92 bytes.
header() {
	printf 'EFI PART'
	le 65536 4 # Revision 1.0.
	le 92 4
	le "$5" 4
	le 0 4
	le "$1" 8
	le "$2" 8
	le $FIRST_USABLE 8
	le $LAST_USABLE 8
	printf 'mica-gpt-disk-00'
	le "$3" 8
	le $ENTRIES 4
	le 128 4
	le "$4" 4
}

# write_gpt IMAGE: a protective MBR, the primary table and the backup.
write_gpt() {
	gpt=$(mktemp -d)
	entry 1 8192 16383 alpha >"$gpt/e1"
	entry 2 16384 24575 beta >"$gpt/e2"
	pad "$gpt/e1" 128
	cat "$gpt/e1" "$gpt/e2" >"$gpt/entries"
	pad "$gpt/entries" $((ENTRIES * 128))
	ecrc=$(crc32 "$gpt/entries")
	for at in primary backup; do
		if [ $at = primary ]; then
			my=1 alternate=$((SECTORS - 1)) entries_at=2
		else
			my=$((SECTORS - 1)) alternate=1 entries_at=$((SECTORS - 33))
		fi
		header $my $alternate $entries_at "$ecrc" 0 >"$gpt/header"
		hcrc=$(crc32 "$gpt/header")
		header $my $alternate $entries_at "$ecrc" "$hcrc" >"$gpt/header"
		pad "$gpt/header" 512
		dd if="$gpt/header" of="$1" bs=512 seek=$my conv=notrunc 2>/dev/null
		dd if="$gpt/entries" of="$1" bs=512 seek=$entries_at conv=notrunc 2>/dev/null
	done
	{
		dd if=/dev/zero bs=446 count=1 2>/dev/null
		bytes 00 00 02 00 ee ff ff ff # A protective partition of type 0xEE,
		le 1 4                        # from sector 1
		le $((SECTORS - 1)) 4         # to the disk's end.
		dd if=/dev/zero bs=48 count=1 2>/dev/null
		bytes 55 aa
	} >"$gpt/mbr"
	dd if="$gpt/mbr" of="$1" bs=512 conv=notrunc 2>/dev/null
	rm -rf "$gpt"
}

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
gpt)
	mkdir -p "$(dirname "$image")"
	sh "$src/apps/linux/mkdisk" "$image.tmp" 16384
	write_gpt "$image.tmp"
	mv "$image.tmp" "$image"
	;;
gpt-parts)
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	sh "$src/apps/linux/mkdisk" "$work/want" 16384
	write_gpt "$work/want"
	. "$src/apps/linux/tests/drive-pattern"
	part_sectors alpha 8192 | dd of="$work/want" bs=1048576 seek=4 conv=notrunc 2>/dev/null
	part_sectors beta 8192 | dd of="$work/want" bs=1048576 seek=8 conv=notrunc 2>/dev/null
	if ! cmp "$work/want" "$image"; then
		echo "drive-image.sh: $image does not hold the GPT, alpha's partition 1, beta's partition 2 and mkdisk's rest" >&2
		exit 1
	fi
	echo "drive-image.sh: $image holds alpha's sectors in partition 1, beta's in partition 2, nothing else changed"
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
	echo "usage: drive-image.sh make|check|parts|gpt|gpt-parts|kept IMAGE [LOG]" >&2
	exit 2
	;;
esac

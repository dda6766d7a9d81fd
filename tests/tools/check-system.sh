#!/usr/bin/env bash
# Tests of mica_check_system (tools/check-system.c), the build-time check of
# a system description against its image's files: each case builds a small
# description and files, runs the tool, and checks its status and message.
#
# usage: check-system.sh TOOL DTC ELF_GUEST PL011_SERVER
set -euo pipefail

tool=$1
dtc=$2
elf_guest=$3
pl011_server=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0

# A description with one VM "g" (kernel "k", optionally initrd "i") whose
# memory property is $2, and a device of compatible $4 (a PL011 unless
# given) served by "uart", into $dir/$1.dtb.
description() {
	local name=$1 memory=$2 initrd=${3:-} compatible=${4:-arm,pl011}
	cat >"$dir/$name.dts" <<DTS
/dts-v1/;
/ {
	compatible = "mica,system";
	servers { uart { program = "vdev_uart"; }; };
	vms {
		g {
			$memory
			cpus = <1>;
			cpu-affinity = <0>;
			kernel = "k";
			${initrd:+initrd = \"i\";}
			devices {
				#address-cells = <2>;
				#size-cells = <2>;
				serial@9000000 {
					compatible = "$compatible";
					server = "uart";
					reg = <0x0 0x09000000 0x0 0x1000>;
				};
			};
		};
	};
};
DTS
	"$dtc" -q -I dts -O dtb -o "$dir/$name.dtb" "$dir/$name.dts"
}

# A Linux arm64 Image header (64 bytes): text_offset, image_size, flags.
image_header() {
	local out=$1 text_offset=$2 image_size=$3 flags=$4
	le64() { printf '%016x' "$1" | sed 's/../& /g' | awk '{for (i = 8; i >= 1; i--) printf "\\x%s", $i}'; }
	{
		printf '\x00\x00\x00\x14\x00\x00\x00\x00' # code0 and code1: never read
		printf '%b' "$(le64 "$text_offset")" "$(le64 "$image_size")" "$(le64 "$flags")"
		printf '%b' "$(le64 0)" "$(le64 0)" "$(le64 0)"
		printf 'ARM\x64'
		printf '\x00\x00\x00\x00'
	} >"$out"
}

# run NAME STATUS REGEX [name=path ...]: the tool exits with STATUS and, if
# REGEX is not empty, says something matching it.
run() {
	local name=$1 want=$2 regex=$3 status=0
	shift 3
	"$tool" "$@" >"$dir/out" 2>&1 || status=$?
	if [[ $status != "$want" ]]; then
		printf 'FAIL %s: status %s, expected %s\n' "$name" "$status" "$want"
		sed 's/^/    /' "$dir/out"
		failures=$((failures + 1))
	elif [[ -n $regex ]] && ! grep -Eq -- "$regex" "$dir/out"; then
		printf 'FAIL %s: no line matches %s\n' "$name" "$regex"
		sed 's/^/    /' "$dir/out"
		failures=$((failures + 1))
	else
		printf 'ok   %s\n' "$name"
	fi
}

head -c 4096 /dev/zero >"$dir/raw4k"
head -c $((5 << 20)) /dev/zero >"$dir/raw5m"
head -c $((6 << 20)) /dev/zero >"$dir/initrd6m"
image_header "$dir/linux16m" 0 $((16 << 20)) 10
image_header "$dir/linux-be" 0 $((1 << 20)) 1
cp "$pl011_server" "$dir/vmm" # Any AArch64 program will do: it is not run.
mem4m='memory = <0x0 0x40000000 0x0 0x00400000>;'
mem8m='memory = <0x0 0x40000000 0x0 0x00800000>;'
progs=(vmm="$dir/vmm" vdev_uart="$pl011_server")

description small "$mem4m"
description small-initrd "$mem8m" initrd
description high 'memory = <0x0 0x50000000 0x0 0x00400000>;'
description overlap 'memory = <0x0 0x40000000 0x0 0x00400000 0x0 0x40200000 0x0 0x1000>;'
description on-gic 'memory = <0x0 0x40000000 0x0 0x00400000 0x0 0x08000000 0x0 0x1000>;'
description typo "$mem4m" "" "arm,pl01l"
description primecell "$mem4m" "" "arm,primecell"

run "a raw kernel that fits" 0 "" system="$dir/small.dtb" k="$dir/raw4k" "${progs[@]}"
run "an ELF kernel that fits" 0 "" system="$dir/small.dtb" k="$elf_guest" "${progs[@]}"
run "no system: nothing to check" 0 "" k="$dir/raw4k"
run "a raw kernel too big" 1 \
	"small.dtb: /vms/g: property 'kernel': the kernel does not fit in guest RAM \(kernel 5242880 bytes" \
	system="$dir/small.dtb" k="$dir/raw5m" "${progs[@]}"
run "an Image whose image_size is too big" 1 "/vms/g: property 'kernel': .*does not fit" \
	system="$dir/small.dtb" k="$dir/linux16m" "${progs[@]}"
run "a big-endian Image" 1 "/vms/g: property 'kernel': the kernel is big-endian" \
	system="$dir/small.dtb" k="$dir/linux-be" "${progs[@]}"
run "an initrd too big" 1 "/vms/g: property 'initrd': the initrd does not fit in guest RAM" \
	system="$dir/small-initrd.dtb" k="$dir/raw4k" i="$dir/initrd6m" "${progs[@]}"
run "ELF segments outside memory" 1 \
	"/vms/g: property 'kernel': an ELF segment lies outside the VM's memory" \
	system="$dir/high.dtb" k="$elf_guest" "${progs[@]}"
run "missing files, all named" 1 "/servers/uart: property 'program': no file \"vdev_uart\"" \
	system="$dir/small-initrd.dtb"
for re in "/vms: no file \"vmm\"" "/vms/g: property 'kernel': no file \"k\"" \
	"/vms/g: property 'initrd': no file \"i\""; do
	grep -Eq -- "$re" "$dir/out" || {
		printf 'FAIL missing files: no line matches %s\n' "$re"
		failures=$((failures + 1))
	}
done
run "an invalid description" 1 "/vms/g: property 'memory': region 1 overlaps region 0" \
	system="$dir/overlap.dtb" k="$dir/raw4k" "${progs[@]}"
run "RAM on the guest's GIC" 1 \
	"/vms/g: property 'memory': region 1 overlaps the guest's GIC distributor \(0x08000000\.\.0x0800ffff\)" \
	system="$dir/on-gic.dtb" k="$dir/raw4k" "${progs[@]}"
run "a compatible no server declares" 1 \
	"typo.dtb: /vms/g/devices/serial@9000000: property 'compatible': server 'uart' \(program \"vdev_uart\"\) serves no \"arm,pl01l\", only \"arm,pl011\"$" \
	system="$dir/typo.dtb" k="$dir/raw4k" "${progs[@]}"
run "a compatible that is not the kind's first" 1 \
	"/vms/g/devices/serial@9000000: property 'compatible': .*serves no \"arm,primecell\"" \
	system="$dir/primecell.dtb" k="$dir/raw4k" "${progs[@]}"
run "a server program that declares no kind" 1 \
	"/servers/uart: property 'program': \"vdev_uart\" declares no device kind" \
	system="$dir/small.dtb" k="$dir/raw4k" vmm="$dir/vmm" vdev_uart="$elf_guest"
run "a server program that is not an ELF file" 1 \
	"/servers/uart: property 'program': \"vdev_uart\" is not an AArch64 ELF executable" \
	system="$dir/small.dtb" k="$dir/raw4k" vmm="$dir/vmm" vdev_uart="$dir/raw4k"
run "a VMM that is not an AArch64 program" 1 \
	"/vms: file \"vmm\" \(each VM's VMM\) is not an AArch64 ELF executable" \
	system="$dir/small.dtb" k="$dir/raw4k" vmm="$dir/raw4k" vdev_uart="$pl011_server"
run "a root task built for the host" 1 \
	"file \"root\" \(the root task\) is not an AArch64 ELF executable" \
	system="$dir/small.dtb" k="$dir/raw4k" root="$(type -P true)" "${progs[@]}"
run "an unreadable file" 1 "cannot read $dir/nothing" \
	system="$dir/small.dtb" k="$dir/nothing" "${progs[@]}"
run "a bad argument" 2 "bad argument 'oops'" oops

if ((failures > 0)); then
	printf '%d case(s) failed\n' "$failures"
	exit 1
fi

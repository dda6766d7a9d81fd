#!/usr/bin/env bash
# qemu.run-errors: what tools/run says when it is given something wrong,
# before anything boots: each case must fail, and say what is wrong in words,
# naming the option, node or file.
#   run-errors.sh TOOLS_RUN BUILD_DIR
set -uo pipefail
run=$1 build=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0

expect() { # expect NAME REGEX ARGS...: tools/run ARGS fails, saying REGEX
	local name=$1 regex=$2 status=0
	shift 2
	"$run" --build-dir "$build" "$@" --out "$dir/out.img" >"$dir/out" 2>&1 || status=$?
	if ((status == 0)); then
		echo "FAIL $name: tools/run succeeded"
		failures=$((failures + 1))
	elif ! grep -Eq -- "$regex" "$dir/out"; then
		echo "FAIL $name: no line matches $regex:"
		sed 's/^/    /' "$dir/out"
		failures=$((failures + 1))
	else
		echo "ok   $name"
	fi
}

head -c 8192 /dev/urandom >"$dir/noise"
expect "a server program that is not a program" \
	"/servers/pl011: property 'program': \"vdev_pl011\" is not an AArch64 ELF executable" \
	--file vdev_pl011="$dir/noise"
expect "a VMM that is not a program" \
	"/vms: file \"vmm\" \\(each VM's VMM\\) is not an AArch64 ELF executable" \
	--file vmm="$dir/noise"
expect "RAM that is no size" "--mem: 'lots' is not a size" --mem lots
expect "RAM not in 2 MiB steps" "--mem: 3145728 bytes is not a non-zero multiple of 2 MiB" --mem 3M
expect "no such VM" "--vm: the description has no VM 'nope'" --vm nope
expect "a kernel that is not there" "--kernel: cannot read '$dir/none'" --kernel "$dir/none"
expect "a description that does not compile" "--system: dtc cannot compile" --system "$dir/noise"
expect "a server on a CPU --smp takes away" \
	"--smp 2: /servers/virtio-blk: property 'cpu' is 2, a CPU the machine will not have" \
	--system "$(dirname "$run")/../tests/qemu/systems/linux.dts" --smp 2
# What follows -- is QEMU's, and QEMU gets it (and not the -- itself): an
# option it does not know is refused by QEMU, by name.
status=0
# (An image as it is, no disk and no network: nothing to build or make, and
# nothing that tests running beside this one use.)
"$run" --build-dir "$build" --image "$dir/noise" --no-drive --no-net --timeout 60 \
	-- -not-a-qemu-option >"$dir/out" 2>&1 || status=$?
if ((status == 0)) || ! grep -q -- "-not-a-qemu-option: invalid option" "$dir/out" ||
	grep -q -- "--: invalid option" "$dir/out"; then
	echo "FAIL QEMU's own arguments after --:"
	sed 's/^/    /' "$dir/out"
	failures=$((failures + 1))
else
	echo "ok   QEMU's own arguments after --"
fi
((failures == 0)) && echo "tools/run refused each, saying why"
exit $((failures > 0))

#!/usr/bin/env bash
# qemu.run-gdb: tools/run --gdb as docs/debugging.md uses it. QEMU starts
# stopped; gdb-multiarch attaches with the script tools/run wrote, breaks in
# the kernel (kernel_main) and in a user program (the VMM's boot_guest), and
# must name each function and the ELF file it came from, which holds only
# if every program's symbols are loaded at the addresses it runs at.
#   run-gdb.sh TOOLS_RUN BUILD_DIR LOG_DIR
set -euo pipefail
run=$1 build=$2 logs=$3
mkdir -p "$logs"
"$run" --build-dir "$build" --gdb --log "$logs/run-gdb.log" --timeout 90 --no-finished \
	>"$logs/run-gdb.out" 2>&1 &
qemu=$!
script=
for ((i = 0; i < 300; i++)); do
	script=$(sed -n 's/^  gdb-multiarch -x //p' "$logs/run-gdb.out")
	if [[ -n $script ]] && (exec 3<>/dev/tcp/127.0.0.1/1234) 2>/dev/null; then
		break
	fi
	kill -0 $qemu 2>/dev/null || { cat "$logs/run-gdb.out"; exit 1; }
	sleep 0.2
done
[[ -n $script ]] || { echo "run-gdb: tools/run said no gdb script"; cat "$logs/run-gdb.out"; exit 1; }
timeout 80 gdb-multiarch -batch -x "$script" \
	-ex 'break kernel_main' -ex continue -ex 'info symbol $pc' \
	-ex 'break boot_guest' -ex continue -ex 'info symbol $pc' -ex kill \
	>"$logs/run-gdb.gdb" 2>&1 || true
wait $qemu || true
cat "$logs/run-gdb.gdb"
grep -q '^kernel_main + [0-9]* in section .text of .*/mica_kernel.elf$' "$logs/run-gdb.gdb"
grep -q '^boot_guest + [0-9]* in section .text of .*/servers/vmm/vmm.elf$' "$logs/run-gdb.gdb"
echo "run-gdb: both breakpoints hit, with their symbols"

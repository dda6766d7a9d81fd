#!/usr/bin/env bash
# unit.tools_help: every tool's --help works on a machine with nothing
# built and nothing installed: it exits 0 and prints its usage, and runs no
# build, package or emulator command (stand-ins for them on PATH fail the
# test if called).
#   tools-help.sh SOURCE_DIR
set -uo pipefail
src=$1
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
for cmd in cmake ninja apt-get dpkg dpkg-query qemu-system-aarch64 ctest clang dtc; do
	printf '#!/bin/sh\necho "called %s" >>"%s/called"\nexit 99\n' "$cmd" "$fake" >"$fake/$cmd"
	chmod +x "$fake/$cmd"
done
failed=0
for tool in bootstrap run test qemu-run bench smp-bench linux-qemu lint console-bench mkdrive \
	net-bench disk-bench uplink-bench; do
	out=$(cd "$fake" && PATH=$fake:/usr/bin:/bin timeout 20 "$src/tools/$tool" --help 2>&1)
	status=$?
	if ((status != 0)) || [[ $out != usage:* ]]; then
		echo "FAIL tools/$tool --help: status $status, output: ${out:0:200}"
		failed=1
	fi
done
if [[ -f $fake/called ]]; then
	echo "FAIL a --help ran a build or install command:"
	cat "$fake/called"
	failed=1
fi
((failed == 0)) && echo "every tool's --help works with nothing built"
exit $failed

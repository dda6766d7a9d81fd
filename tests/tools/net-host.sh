#!/usr/bin/env bash
# qemu.linux-net-host: two Linux VMs and the host exchange data through the
# virtual switch and its way out (tests/qemu/systems/linux-net-host.dts,
# apps/linux/tests/netmesh). The host forwards a port to each VM's page and
# one to each VM's port 5000; each VM fetches the other's 4 MiB /blob
# through the host. Then the host fetches both /blobs, whose SHA-256 must
# be what the VM printed, and sends each VM 1 MiB of random bytes, whose
# SHA-256 the VM must print. Bash's /dev/tcp is the host's client.
#   net-host.sh TOOLS_RUN BUILD_DIR LOG
set -uo pipefail
run=$1
build=$2
log=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'kill "$qemu" 2>/dev/null; rm -rf "$work"' EXIT

fail() {
	echo "FAIL net-host: $*"
	exit 1
}

# Ports of 127.0.0.1 nothing listens on, none twice.
ports=()
while ((${#ports[@]} < 4)); do
	p=$((20000 + RANDOM % 20000))
	[[ " ${ports[*]} " == *" $p "* ]] && continue
	(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || ports+=("$p")
done
left_http=${ports[0]} right_http=${ports[1]} left_in=${ports[2]} right_in=${ports[3]}
sed -e "s/@LEFT_HTTP@/$left_http/" -e "s/@RIGHT_HTTP@/$right_http/" \
	"$here/../qemu/systems/linux-net-host.dts" >"$work/system.dts"
rm -f "$log" # A last run's lines must not answer for this one.

"$run" --build-dir "$build" --system "$work/system.dts" --smp 2 --no-drive \
	--forward "$left_http:10.0.2.15:80" --forward "$right_http:10.0.2.16:80" \
	--forward "$left_in:10.0.2.15:5000" --forward "$right_in:10.0.2.16:5000" \
	--log "$log" --timeout 240 --no-finished \
	--expect '^\[left\] mica-guest: netmesh: 10.0.2.16 answers pings$' \
	--expect '^\[right\] mica-guest: netmesh: 10.0.2.15 answers pings$' \
	--expect "^\\[left\\] mica-guest: netmesh: fetched 10.0.2.16's page from 10.0.2.16$" \
	--expect "^\\[right\\] mica-guest: netmesh: fetched 10.0.2.15's page from 10.0.2.15$" \
	--expect "^\\[left\\] mica-guest: netmesh: fetched 10.0.2.16's /blob through the host" \
	--expect "^\\[right\\] mica-guest: netmesh: fetched 10.0.2.15's /blob through the host" \
	--expect '^\[left\] mica-guest: tests passed: netmesh$' \
	--expect '^\[right\] mica-guest: tests passed: netmesh$' \
	--expect '^root: every VM has ended$' --reject '^\[(left|right)\] FAIL ' >"$work/out" 2>&1 &
qemu=$!

# Both VMs wait for the host once they have what they fetched.
for _ in $(seq 1 2400); do
	(($(grep -c 'netmesh: waiting for the host' "$log" 2>/dev/null) >= 2)) && break
	kill -0 "$qemu" 2>/dev/null || break
	sleep 0.1
done
(($(grep -c 'netmesh: waiting for the host' "$log" 2>/dev/null) >= 2)) || {
	wait "$qemu"
	cat "$work/out"
	fail "the VMs never both waited for the host"
}

head -c 1048576 /dev/urandom >"$work/random"
sent=$(sha256sum "$work/random" | cut -d' ' -f1)
for vm in left right; do
	if [[ $vm == left ]]; then http=$left_http in=$left_in; else http=$right_http in=$right_in; fi
	# Its /blob, through the forward to its port 80: the body after the
	# headers must be what it serves.
	exec 3<>"/dev/tcp/127.0.0.1/$http" || fail "cannot connect to 127.0.0.1:$http ($vm's port 80)"
	printf 'GET /blob HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
	timeout 60 cat <&3 >"$work/$vm.http"
	exec 3<&-
	end=$(grep -abo $'\r$' "$work/$vm.http" | awk -F: '$1 == prev + 2 { print $1; exit } { prev = $1 }')
	[[ -n $end ]] || fail "$vm's /blob: no end of headers in $(wc -c <"$work/$vm.http") bytes"
	tail -c +$((end + 3)) "$work/$vm.http" >"$work/$vm.blob"
	got=$(sha256sum "$work/$vm.blob" | cut -d' ' -f1)
	served=$(sed -n "s/^\\[$vm\\] mica-guest: netmesh: serving \\/blob, 4194304 bytes, sha256 \\([0-9a-f]*\\).*/\\1/p" "$log")
	[[ $got == "$served" ]] ||
		fail "$vm's /blob through 127.0.0.1:$http: $(wc -c <"$work/$vm.blob") bytes, sha256 $got; $vm serves ${served:-nothing}"
	echo "net-host: the host fetched $vm's /blob through 127.0.0.1:$http, sha256 $got"
	# 1 MiB to its port 5000.
	exec 4<>"/dev/tcp/127.0.0.1/$in" || fail "cannot connect to 127.0.0.1:$in ($vm's port 5000)"
	cat "$work/random" >&4
	exec 4>&-
	echo "net-host: the host sent $vm 1048576 bytes through 127.0.0.1:$in, sha256 $sent"
done

wait "$qemu"
status=$?
cat "$work/out"
((status == 0)) || exit "$status"
for vm in left right; do
	grep -q "^\\[$vm\\] mica-guest: netmesh: received 1048576 bytes from the host, sha256 $sent" "$log" ||
		fail "$vm did not receive the host's 1048576 bytes, sha256 $sent: $(grep "^\\[$vm\\].*received" "$log")"
done
echo "net-host: the VMs and the host exchanged what they sent, through the switch and its way out"

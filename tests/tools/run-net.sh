#!/usr/bin/env bash
# qemu.run-net: tools/run's default system with its network, as a user
# reaches it. The Linux guest (mica.test=netserve) fetches its own page
# through the host; the host then fetches the page through tools/run's
# forward of a host port to the guest's port 80, and through the forward to
# its port 23 (telnetd) runs a command in the guest's shell, which the guest
# sees. Bash's /dev/tcp is the host's client: nothing else is needed.
#   run-net.sh TOOLS_RUN BUILD_DIR LOG
set -uo pipefail
run=$1
build=$2
log=$3
work=$(mktemp -d)
trap 'kill "$qemu" 2>/dev/null; rm -rf "$work"' EXIT

fail() {
	echo "FAIL run-net: $*"
	exit 1
}

# Two ports of 127.0.0.1 nothing listens on (a refused connection says so).
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && [[ $p != "${1:-}" ]]; then
			echo "$p"
			return
		fi
	done
	fail "no free port"
}
rm -f "$log" # A last run's lines must not answer for this one.
http=$(free_port)
telnet=$(free_port "$http")
"$(dirname "$run")/mkdrive" "$work/disk.img" 16M >/dev/null || fail "cannot make a disk"

"$run" --build-dir "$build" --smp 2 --drive "$work/disk.img" \
	--forward "$http:80" --forward "$telnet:23" \
	--cmdline "console=ttyAMA0 loglevel=5 mica.ip=10.0.2.15/24 mica.gw=10.0.2.2 mica.test=netserve mica.hostport=$http" \
	--log "$log" --timeout 120 --no-finished \
	--expect '^\[linux\] mica-guest: serving a shell \(telnet\) on port 23 and a page \(http\) on port 80$' \
	--expect '^\[linux\] mica-guest: netserve: fetched its own page through the host' \
	--expect '^\[linux\] mica-guest: netserve: the host came in through telnet: from the host$' \
	--expect '^\[linux\] mica-guest: tests passed: netserve$' \
	--expect '^root: every VM has ended$' --reject '^\[linux\] FAIL ' >"$work/out" 2>&1 &
qemu=$!

# The guest waits for the host once it is serving.
for _ in $(seq 1 1200); do
	grep -q 'netserve: waiting for the host' "$log" 2>/dev/null && break
	kill -0 "$qemu" 2>/dev/null || break
	sleep 0.1
done
grep -q 'netserve: waiting for the host' "$log" 2>/dev/null || {
	wait "$qemu"
	cat "$work/out"
	fail "the guest never waited for the host"
}

# The page, through the forward to port 80.
exec 3<>"/dev/tcp/127.0.0.1/$http" || fail "cannot connect to 127.0.0.1:$http"
printf 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
page=$(timeout 20 cat <&3)
exec 3<&-
[[ $page == "HTTP/1."[01]" 200 OK"* && $page == *"Hello from a Linux guest on Mica"* ]] ||
	fail "http://127.0.0.1:$http/ did not give the guest's page: ${page:0:300}"
echo "run-net: the host fetched the guest's page through 127.0.0.1:$http"

# A command in the guest's shell, through the forward to port 23.
exec 4<>"/dev/tcp/127.0.0.1/$telnet" || fail "cannot connect to 127.0.0.1:$telnet"
sleep 1
printf 'echo from the host >/tmp/host-was-here\r\nexit\r\n' >&4
timeout 10 cat <&4 >/dev/null
exec 4<&-
echo "run-net: the host ran a command through telnet at 127.0.0.1:$telnet"

wait "$qemu"
status=$?
cat "$work/out"
exit $status

#!/usr/bin/env bash
# qemu.linux-net-crash: the network driver crashes in the middle of a
# transfer that crosses it both ways (tests/qemu/systems/linux-net-crash.dts,
# apps/linux/tests/netcrash); the root task starts it again, and the
# guest's fetch of its own file through the host completes, the same bytes.
# The host forwards a free port of its 127.0.0.1 to the guest's port 80.
#   net-crash.sh TOOLS_RUN BUILD_DIR LOG
set -uo pipefail
run=$1
build=$2
log=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

for _ in $(seq 1 50); do
	port=$((20000 + RANDOM % 20000))
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
done
rm -f "$log" # A last run's lines must not answer for this one.
exec "$run" --build-dir "$build" --system "$here/../qemu/systems/linux-net-crash.dts" \
	--smp 2 --no-drive --forward "$port:80" \
	--cmdline "console=ttyAMA0 loglevel=4 mica.ip=10.0.2.15/24 mica.gw=10.0.2.2 mica.test=netcrash mica.hostport=$port" \
	--log "$log" --timeout 180 --no-finished \
	--expect '^drv eth: crashing on purpose after [0-9]+ frames \(crash-after\)$' \
	--expect '^root: driver "eth" restarted \(1\)$' \
	--expect '^drv eth: restart 1: the device reset, going on from the rings as found$' \
	--expect '^\[linux\] mica-guest: netcrash: fetched /blob through the host, 8388608 bytes, sha256 [0-9a-f]{64}$' \
	--expect '^\[linux\] mica-guest: tests passed: netcrash$' \
	--expect '^root: every VM has ended$' --reject '^\[linux\] FAIL '

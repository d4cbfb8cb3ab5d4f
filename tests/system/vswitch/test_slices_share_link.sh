#!/bin/bash
# System test: bandwidth isolation of two slices on one substrate link.
#
#   a1 ─┐                                       ┌─ a2     slice A: BD slicea,
#       ├─ switch A ══ veth pair (trunk) ══ switch B ─┤      VID 100 on the link
#   b1 ─┘          VIDs 100 and 200             └─ b2     slice B: BD sliceb,
#                                                          VID 200
# Two loom-switch processes (their own EAL file prefixes, sharing the two
# CPUs: same lcores, idle back-off) joined by a veth pair that both slices
# share. Each switch polices what each slice sends into the link: an
# egress policer on its trunk members, at the slice's promised rate.
# Slice A's sender offers 10x its promise (iperf3 UDP), slice B's exactly
# its promise; slice B's receiver gets at least 95% of it, slice A's no more
# than its promise (+10%), and switch A counts A's excess as policer drops.
#
# Rates: the promise is a policer rate, so it counts Ethernet frames (the
# policer meters the frame's length without FCS); iperf3's -b and reports
# count UDP payload. With 1400-byte datagrams a frame is 1442 bytes (14
# Ethernet + 20 IPv4 + 8 UDP): payload rates are converted by 1442/1400.
. "${LOOM_SOURCE_DIR:-$(dirname "$0")/../../..}/tests/system/lib.sh"

sys_init slic
if ! command -v iperf3 >/dev/null; then
	echo "1..0 # SKIP iperf3 is not installed"
	exit 0
fi
tap_plan 12

PROMISE=20000000        # bit/s of frames, both slices
BURST=250000            # bytes: 100 ms of the promise (iperf3 paces in bursts)
DATAGRAM=1400
FRAME=$((DATAGRAM + 42))
SECONDS_RUN=5
B_PAYLOAD=$((PROMISE * DATAGRAM / FRAME))  # exactly the promise in frames
A_PAYLOAD=$((10 * B_PAYLOAD))              # ten times it

LINK_A="${SYS_PREFIX}la"
LINK_B="${SYS_PREFIX}lb"
SW_PIDS=()

# Our own clean-up first (the second switch's files, its EAL directory),
# then lib.sh's (processes by PID, namespaces, veths, SYS_TMP).
cleanup_all() {
	local side
	for side in a b; do
		rm -rf "/var/run/dpdk/loomsys-${SYS_PREFIX}${side}"
	done
	sys_cleanup
	for side in a b; do
		rm -rf "/var/run/dpdk/loomsys-${SYS_PREFIX}${side}"
	done
}
trap cleanup_all EXIT

make_topology() {
	sys_host a1 198.18.10.1/24 || return 1
	sys_host b1 198.18.20.1/24 || return 1
	sys_host a2 198.18.10.2/24 || return 1
	sys_host b2 198.18.20.2/24 || return 1
	ip link add "$LINK_A" type veth peer name "$LINK_B" || return 1
	SYS_LINKS+=("$LINK_A")
	local link
	for link in "$LINK_A" "$LINK_B"; do
		sysctl -qw "net.ipv6.conf.$link.disable_ipv6=1"
		ip link set "$link" up || return 1
		ethtool -K "$link" tx off rx off tso off gso off gro off \
			>/dev/null 2>&1
	done
	return 0
}
tap_check "four namespace hosts, two switches' worth of veths, one shared link" \
	make_topology

# switch_config SIDE SENDER_A SENDER_B LINK: one switch's YAML.
switch_config() {
	local side=$1 a=$2 b=$3 link=$4
	cat <<EOF
eal:
  file_prefix: loomsys-${SYS_PREFIX}${side}
  memory_mb: 128
  lcores: "0-1"
datapath:
  workers: 1
  idle_sleep_max_us: 200
control:
  socket: $SYS_TMP/$side.sock
ports:
  - name: $a
    devargs: net_af_packet0,iface=$(sys_port "$a"),qpairs=1
  - name: $b
    devargs: net_af_packet1,iface=$(sys_port "$b"),qpairs=1
  - name: link
    devargs: net_af_packet2,iface=$link,qpairs=1
bridge_domains:
  - name: slicea
    members:
      - port: $a
      - port: link
        vid: 100
        policer:
          out: {rate: $PROMISE, burst: $BURST}
  - name: sliceb
    members:
      - port: $b
      - port: link
        vid: 200
        policer:
          out: {rate: $PROMISE, burst: $BURST}
EOF
}

# switch_start SIDE: starts the switch whose configuration is
# $SYS_TMP/SIDE.yaml and waits for its control socket.
switch_start() {
	local side=$1 attempt
	for attempt in 1 2 3; do
		switch_launch "$side" && return 0
		# Two af_packet switches in one network namespace can draw the
		# same PACKET_FANOUT group (DPDK 22.11 names it pid ^ ifindex):
		# a new process gets a new pid (see tests/system/lib.sh).
		grep -q 'could not set PACKET_FANOUT' "$SYS_TMP/$side.log" || break
	done
	cat "$SYS_TMP/$side.log"
	return 1
}

switch_launch() {
	local side=$1 pid tries=0
	"$SYS_SWITCH" --config "$SYS_TMP/$side.yaml" >"$SYS_TMP/$side.log" 2>&1 &
	pid=$!
	SYS_PIDS+=("$pid")
	while [ $tries -lt 300 ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			sys_forget_pid "$pid"
			return 1
		fi
		if ctl "$side" version >/dev/null 2>&1; then
			SW_PIDS+=("$pid")
			return 0
		fi
		sleep 0.1
		tries=$((tries + 1))
	done
	return 1
}

ctl() { # SIDE COMMAND [NAME=VALUE...]
	local side=$1
	shift
	"$SYS_LOOMCTL" switch -s "$SYS_TMP/$side.sock" --json "$@"
}

counter() { # SIDE PATH
	ctl "$1" counters | python3 -c '
import json, sys
value = json.load(sys.stdin)
path = sys.argv[1]
first, rest = path.split(".", 1)
if first == "members":
    member, name = rest.rsplit(".", 1)
    print(value[first][member][name])
else:
    for part in path.split("."):
        value = value[part]
    print(value)' "$2"
}

switch_config a a1 b1 "$LINK_A" >"$SYS_TMP/a.yaml"
switch_config b a2 b2 "$LINK_B" >"$SYS_TMP/b.yaml"
tap_check "switch A starts (slices on VIDs 100 and 200 of the link)" \
	switch_start a
tap_check "switch B starts (its own EAL prefix, the same CPUs)" switch_start b

tap_check "slice A: a1 pings a2 across the link" \
	sys_in a1 ping -c 3 -i 0.2 -W 2 198.18.10.2
tap_check "slice B: b1 pings b2 across the link" \
	sys_in b1 ping -c 3 -i 0.2 -W 2 198.18.20.2
tap_check_fails "slices are isolated: a1 cannot reach slice B's address" \
	sys_in a1 ping -c 2 -i 0.2 -W 1 198.18.20.2

# Both senders at once; servers write JSON reports.
sys_background a2 iperf3 -s -1 -B 198.18.10.2 -p 5301 -J \
	--logfile "$SYS_TMP/a2.json"
server_a=$SYS_LAST_PID
sys_background b2 iperf3 -s -1 -B 198.18.20.2 -p 5302 -J \
	--logfile "$SYS_TMP/b2.json"
server_b=$SYS_LAST_PID
sleep 0.5
drops_before=$(counter a "members.slicea/link/100.drops" 2>/dev/null || echo 0)
sys_in a1 timeout 30 iperf3 -u -c 198.18.10.2 -p 5301 -B 198.18.10.1 \
	-b "$A_PAYLOAD" -l $DATAGRAM -t $SECONDS_RUN -J >"$SYS_TMP/a1.json" 2>&1 &
client_a=$!
SYS_PIDS+=("$client_a")
sys_in b1 timeout 30 iperf3 -u -c 198.18.20.2 -p 5302 -B 198.18.20.1 \
	-b "$B_PAYLOAD" -l $DATAGRAM -t $SECONDS_RUN -J >"$SYS_TMP/b1.json" 2>&1 &
client_b=$!
SYS_PIDS+=("$client_b")
wait "$client_a"
status_a=$?
wait "$client_b"
status_b=$?
# Servers exit after their one test (give them a moment to write).
for pid in $server_a $server_b; do
	tries=0
	while kill -0 "$pid" 2>/dev/null && [ $tries -lt 50 ]; do
		sleep 0.1
		tries=$((tries + 1))
	done
done

# report FILE SUM: bits per second from an iperf3 JSON report's end.SUM
# (a client's "sum" is what it sent; a server's "sum_received" what it
# received).
report() {
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(int(r["end"][sys.argv[2]]["bits_per_second"]))' "$1" "$2"
}

both_ran() {
	echo "client A exit $status_a, client B exit $status_b"
	[ "$status_a" = 0 ] && [ "$status_b" = 0 ] &&
		report "$SYS_TMP/a2.json" sum_received >/dev/null &&
		report "$SYS_TMP/b2.json" sum_received >/dev/null
}
tap_check "both iperf3 UDP tests ran ($SECONDS_RUN s at once)" both_ran

a_sent=$(report "$SYS_TMP/a1.json" sum 2>/dev/null || echo 0)
a_got=$(report "$SYS_TMP/a2.json" sum_received 2>/dev/null || echo 0)
b_sent=$(report "$SYS_TMP/b1.json" sum 2>/dev/null || echo 0)
b_got=$(report "$SYS_TMP/b2.json" sum_received 2>/dev/null || echo 0)
# In frames' bits, as the promise counts.
frames() { echo $(($1 * FRAME / DATAGRAM)); }
echo "# promise $PROMISE bit/s of frames per slice"
echo "# slice A offered $(frames "$a_sent"), received $(frames "$a_got") bit/s"
echo "# slice B offered $(frames "$b_sent"), received $(frames "$b_got") bit/s"

b_kept_promise() {
	local got
	got=$(frames "$b_got")
	echo "slice B received $got bit/s of frames; promise $PROMISE"
	[ "$got" -ge $((PROMISE * 95 / 100)) ]
}
tap_check "slice B receives >= 95% of its promise while A offers 10x" \
	b_kept_promise

a_held() {
	local offered got
	offered=$(frames "$a_sent")
	got=$(frames "$a_got")
	echo "slice A offered $offered, received $got bit/s; promise $PROMISE"
	# A really offered far more than its promise, and got no more.
	[ "$offered" -ge $((PROMISE * 5)) ] &&
		[ "$got" -le $((PROMISE * 110 / 100)) ] &&
		[ "$got" -ge $((PROMISE * 80 / 100)) ]
}
tap_check "slice A is held to its promise (+10%)" a_held

a_dropped() {
	local after b_drops
	after=$(counter a "members.slicea/link/100.drops") || return 1
	b_drops=$(counter a "members.sliceb/link/200.drops") || return 1
	echo "switch A dropped $((after - drops_before)) frames of slice A at" \
	     "the link, $b_drops of slice B"
	[ $((after - drops_before)) -gt 0 ]
}
tap_check "switch A counts slice A's excess as drops on its link member" \
	a_dropped

stop_switches() {
	local pid rc=0 tries
	for pid in "${SW_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
		tries=0
		while kill -0 "$pid" 2>/dev/null && [ $tries -lt 200 ]; do
			if [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ]; then
				break
			fi
			sleep 0.1
			tries=$((tries + 1))
		done
		wait "$pid" || rc=1
	done
	return $rc
}
tap_check "both switches stop cleanly on SIGTERM" stop_switches

cleanup_all
left=$(sys_leftovers
	for side in a b; do
		[ -e "/var/run/dpdk/loomsys-${SYS_PREFIX}${side}" ] &&
			echo "directory /var/run/dpdk/loomsys-${SYS_PREFIX}${side}"
	done)
if [ -z "$left" ]; then
	tap_ok "nothing left: namespaces, veths, processes, files"
else
	tap_not_ok "nothing left: namespaces, veths, processes, files"
	printf '%s\n' "$left" | tap_diag
fi
[ "$SYS_TAP_FAILED" = 0 ]

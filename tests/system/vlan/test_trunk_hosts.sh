#!/bin/bash
# System test: kernel hosts on a loom-switch trunk port.
#
# This kernel has no 8021q module and no bridge VLAN filtering, so each
# trunk-side host tags its own frames: tc clsact on its eth0 with the eBPF
# programs of vlan_tag.bpf.c, compiled here once per VID (push on egress;
# on ingress pop the host's VID, drop everything else).
#
#   t10 (VID 10, 198.18.5.1) --+                              +-- a10 (access 10,
#   t20 (VID 20, 198.18.5.1) --+-- bridge -- uplink veth --   |   198.18.5.2)
#   t30 (VID 30, 198.18.5.3) --+   (no VLAN    = loom-switch -+-- a20 (access 20,
#                                   filtering)   trunk 10,20      198.18.5.2)
#
# VLAN 10 and VLAN 20 use the same addresses. Hosts of one VLAN ping and
# transfer through the switch; a host never reaches the other VLAN's host
# of the same address (shown by taking its own peer away); VID 30 is not
# allowed on the trunk. Nothing is left afterwards.
. "${LOOM_SOURCE_DIR:-$(dirname "$0")/../../..}/tests/system/lib.sh"

sys_init vl
if ! command -v clang >/dev/null || ! command -v tc >/dev/null ||
	[ ! -e /usr/include/bpf/bpf_helpers.h ]; then
	echo "1..0 # SKIP needs clang, tc and libbpf-dev (bpf/bpf_helpers.h)"
	exit 0
fi
tap_plan 16

HERE="${LOOM_SOURCE_DIR:-$(dirname "$0")/../../..}/tests/system/vlan"
BRIDGE="${SYS_PREFIX}br"
UPLINK="${SYS_PREFIX}up"   # bridge side of the uplink veth
TRUNK="${SYS_PREFIX}tr"    # loom-switch side (net_af_packet)

# ---- eBPF taggers -----------------------------------------------------------
compile_taggers() {
	local vid
	for vid in 10 20 30; do
		clang -O2 -g -target bpf -DVID="$vid" \
			-I"/usr/include/$(uname -m)-linux-gnu" \
			-c "$HERE/vlan_tag.bpf.c" -o "$SYS_TMP/vlan_tag_$vid.o" || return 1
	done
}
tap_check "eBPF taggers compile (clang -target bpf), one per VID" compile_taggers
echo "clang -O2 -g -target bpf -DVID=<vid> -I/usr/include/$(uname -m)-linux-gnu" \
	"-c vlan_tag.bpf.c -o vlan_tag_<vid>.o" | tap_diag

# ---- hosts --------------------------------------------------------------------
# vlan_offloads_off DEVICE [NAMESPACE]: no VLAN offload where the driver
# has the switch (tags stay in the bytes the switch sees).
vlan_offloads_off() {
	local device=$1 ns=${2:-}
	if [ -n "$ns" ]; then
		ip netns exec "$ns" ethtool -K "$device" rxvlan off txvlan off \
			>/dev/null 2>&1
	else
		ethtool -K "$device" rxvlan off txvlan off >/dev/null 2>&1
	fi
	return 0
}

make_trunk_side() {
	ip link add "$BRIDGE" type bridge || return 1
	SYS_LINKS+=("$BRIDGE")
	sysctl -qw "net.ipv6.conf.$BRIDGE.disable_ipv6=1"
	ip link set "$BRIDGE" up || return 1
	ip link add "$UPLINK" type veth peer name "$TRUNK" || return 1
	SYS_LINKS+=("$UPLINK")
	local end
	for end in "$UPLINK" "$TRUNK"; do
		sysctl -qw "net.ipv6.conf.$end.disable_ipv6=1"
		ethtool -K "$end" tx off rx off tso off gso off gro off \
			>/dev/null 2>&1
		vlan_offloads_off "$end"
		ip link set "$end" up || return 1
	done
	ip link set "$UPLINK" master "$BRIDGE" || return 1
}

# trunk_host NAME VID ADDRESS/LENGTH: a namespace host whose eth0 tags
# with VID; the other end of its veth is a port of the bridge.
trunk_host() {
	local name=$1 vid=$2 address=$3 ns object
	sys_host "$name" "$address" || return 1
	ns=$(sys_namespace "$name")
	object="$SYS_TMP/vlan_tag_$vid.o"
	vlan_offloads_off eth0 "$ns"
	vlan_offloads_off "$(sys_port "$name")"
	ip netns exec "$ns" tc qdisc add dev eth0 clsact || return 1
	ip netns exec "$ns" tc filter add dev eth0 egress bpf direct-action \
		obj "$object" sec tc/egress || return 1
	ip netns exec "$ns" tc filter add dev eth0 ingress bpf direct-action \
		obj "$object" sec tc/ingress || return 1
	ip link set "$(sys_port "$name")" master "$BRIDGE" || return 1
}

access_host() {
	sys_host "$1" "$2" || return 1
	vlan_offloads_off eth0 "$(sys_namespace "$1")"
	vlan_offloads_off "$(sys_port "$1")"
}

make_hosts() {
	make_trunk_side &&
		trunk_host t10 10 198.18.5.1/24 &&
		trunk_host t20 20 198.18.5.1/24 &&
		trunk_host t30 30 198.18.5.3/24 &&
		access_host a10 198.18.5.2/24 &&
		access_host a20 198.18.5.2/24
}
tap_check "trunk hosts (tc + eBPF) on a bridge, access hosts on veths" make_hosts

config="fdb:
  age_seconds: 300
ports:
  - name: trunk
    devargs: net_af_packet0,iface=$TRUNK,qpairs=1
    vlan: {mode: trunk, allowed: \"10,20\"}
  - name: a10
    devargs: net_af_packet1,iface=@PORT_a10@,qpairs=1
    vlan: {mode: access, vid: 10}
  - name: a20
    devargs: net_af_packet2,iface=@PORT_a20@,qpairs=1
    vlan: {mode: access, vid: 20}
bridge_domains:
  - name: v10
    members:
      - port: trunk
        vid: 10
      - port: a10
        vid: 10
  - name: v20
    members:
      - port: trunk
        vid: 20
      - port: a20
        vid: 20"
tap_check "loom-switch starts with a trunk and two access ports" \
	sys_switch_start "$config"

# ---- one VLAN: ping and TCP ----------------------------------------------------
tap_check "t10 pings a10 through VLAN 10 (5 pings)" \
	sys_in t10 ping -c 5 -i 0.2 -W 2 198.18.5.2
tap_check "a20 pings t20 through VLAN 20 (5 pings)" \
	sys_in a20 ping -c 5 -i 0.2 -W 2 198.18.5.1

head -c $((4 << 20)) /dev/urandom >"$SYS_TMP/payload"
# tcp_transfer FROM TO_HOST ADDRESS PORT: 4 MiB through nc, byte for byte.
tcp_transfer() {
	local from=$1 to=$2 address=$3 port=$4 server
	rm -f "$SYS_TMP/received"
	sys_background "$to" sh -c \
		"timeout 30 nc -l -N $address $port >'$SYS_TMP/received'"
	server=$SYS_LAST_PID
	sleep 0.3
	sys_in "$from" timeout 30 nc -N "$address" "$port" <"$SYS_TMP/payload" ||
		return 1
	wait "$server" || return 1
	cmp "$SYS_TMP/payload" "$SYS_TMP/received"
}
tap_check "TCP t10 -> a10 (4 MiB, VLAN 10, byte for byte)" \
	tcp_transfer t10 a10 198.18.5.2 5201
tap_check "TCP a20 -> t20 (4 MiB, VLAN 20, byte for byte)" \
	tcp_transfer a20 t20 198.18.5.1 5202

mac_of() { sys_in "$1" cat /sys/class/net/eth0/address; }

# learned BD MAC=MEMBER...: of the five hosts' MACs, the BD's FDB holds
# exactly these entries (frames the root namespace itself may send on the
# veths are not this test's concern).
learned() {
	local bd=$1
	shift
	sys_ctl fdb-show bd="$bd" | python3 -c '
import json, sys
ours = set(m.lower() for m in sys.argv[1].split())
entries = sorted("%s=%s" % (e["mac"].lower(), e["member"])
                 for e in json.load(sys.stdin) if e["mac"].lower() in ours)
wanted = sorted(w.lower() for w in sys.argv[2:])
print("learned", entries, "expected", wanted)
sys.exit(0 if entries == wanted else 1)' "$(for h in t10 t20 t30 a10 a20; do mac_of $h; done)" "$@"
}
tap_check "v10 learned t10 on trunk.10 and a10, no host of another VLAN" \
	learned v10 "$(mac_of t10)=trunk.10" "$(mac_of a10)=a10.10"
tap_check "v20 learned t20 on trunk.20 and a20, no host of another VLAN" \
	learned v20 "$(mac_of t20)=trunk.20" "$(mac_of a20)=a20.20"

# ---- isolation with the same addresses -------------------------------------------
# capture_start DEVICE MAC [HOST]: records, in the background, the frames
# with source MAC that DEVICE (in HOST's namespace, or here) receives. The
# capture is on the receiving end of a veth: what loom-switch sends through
# its packet socket does not pass the taps of the sending end. Immediate
# mode: otherwise frames still in the capture ring when it is stopped are
# lost.
capture_start() {
	local device=$1 mac=$2 host=${3:-} tries=0
	local run=()
	[ -n "$host" ] && run=(ip netns exec "$(sys_namespace "$host")")
	CAPTURE="$SYS_TMP/capture.pcap"
	rm -f "$CAPTURE" "$SYS_TMP/capture.log"
	"${run[@]}" tcpdump --immediate-mode -i "$device" -Q in -U -nn -w "$CAPTURE" \
		"ether src $mac" 2>"$SYS_TMP/capture.log" &
	CAPTURE_PID=$!
	SYS_PIDS+=("$CAPTURE_PID")
	while ! grep -q listening "$SYS_TMP/capture.log" 2>/dev/null; do
		[ $tries -lt 50 ] || return 1
		sleep 0.1
		tries=$((tries + 1))
	done
}
# capture_count: stops the capture and prints how many frames it holds.
capture_count() {
	kill -INT "$CAPTURE_PID" 2>/dev/null
	wait "$CAPTURE_PID" 2>/dev/null
	tcpdump -r "$CAPTURE" -nn 2>/dev/null | wc -l
}

# unreachable FROM ADDRESS PEER OTHER: with FROM's own peer PEER down,
# ADDRESS exists only on OTHER, in the other VLAN: FROM's pings fail, and
# no frame of FROM reaches OTHER (a capture on OTHER's eth0, by FROM's
# MAC).
unreachable() {
	local from=$1 address=$2 peer=$3 other=$4 leaked
	sys_in "$peer" ip link set eth0 down || return 1
	sys_in "$from" ip neigh flush dev eth0
	capture_start eth0 "$(mac_of "$from")" "$other" || return 1
	if sys_in "$from" ping -c 3 -i 0.3 -W 1 "$address"; then
		echo "$from reached $address with $peer down"
		capture_count >/dev/null
		return 1
	fi
	leaked=$(capture_count)
	echo "frames of $from that reached $other: $leaked"
	[ "$leaked" = 0 ]
}
# From the trunk side: no frame of t10 may reach a20.
tap_check "without a10, t10 cannot reach 198.18.5.2 (a20, VLAN 20); no frame of t10 reaches a20" \
	unreachable t10 198.18.5.2 a10 a20
sys_in a10 ip link set eth0 up

# From the access side: a20's frames (its ARP requests for 198.18.5.1)
# leave the trunk tagged 20 only, never 10, so t10's tagger refuses them.
# tagged_only PORT MAC VID: every frame from MAC that left PORT carries
# an 802.1Q tag with VID (so another VLAN's tagger drops it).
tagged_only() {
	local port=$1 mac=$2 vid=$3 all tagged
	all=$(tcpdump -r "$CAPTURE" -nn -e 2>/dev/null | wc -l)
	tagged=$(tcpdump -r "$CAPTURE" -nn -e "vlan $vid" 2>/dev/null | wc -l)
	echo "$all frames from $mac on $port, $tagged tagged $vid"
	[ "$all" -gt 0 ] && [ "$all" = "$tagged" ]
}
unreachable_from_access() {
	sys_in t20 ip link set eth0 down || return 1
	sys_in a20 ip neigh flush dev eth0
	capture_start "$UPLINK" "$(mac_of a20)" || return 1
	if sys_in a20 ping -c 3 -i 0.3 -W 1 198.18.5.1; then
		echo "a20 reached 198.18.5.1 with t20 down"
		capture_count >/dev/null
		return 1
	fi
	capture_count >/dev/null
	tagged_only "$UPLINK" "$(mac_of a20)" 20
}
tap_check "without t20, a20 cannot reach 198.18.5.1 (t10); its frames leave the trunk tagged 20 only" \
	unreachable_from_access
sys_in t20 ip link set eth0 up

# The same capture sees t10's frames where they belong (so its silence
# above means something).
reaches_a10() {
	local seen
	capture_start eth0 "$(mac_of t10)" a10 || return 1
	sys_in t10 ping -c 3 -i 0.2 -W 2 198.18.5.2 || return 1
	seen=$(capture_count)
	echo "frames of t10 that reached a10: $seen"
	[ "$seen" -ge 3 ]
}
tap_check "with their peers back, t10 pings a10 again; the capture sees t10's frames on a10" \
	reaches_a10
tap_check "and a20 pings t20 again" \
	sys_in a20 ping -c 3 -i 0.2 -W 2 198.18.5.1

# ---- a VID the trunk does not carry -------------------------------------------------
not_allowed() {
	local before after
	before=$(sys_counter drops.vlan_not_allowed) || return 1
	if sys_in t30 ping -c 3 -i 0.3 -W 1 198.18.5.2; then
		echo "t30 (VID 30) reached 198.18.5.2"
		return 1
	fi
	after=$(sys_counter drops.vlan_not_allowed) || return 1
	echo "vlan_not_allowed grew by $((after - before))"
	[ "$after" -gt "$before" ]
}
tap_check "t30 (VID 30, not on the trunk) reaches nobody; vlan_not_allowed counts it" \
	not_allowed

tap_check "loom-switch stops cleanly on SIGTERM" sys_switch_stop

sys_cleanup
left=$(sys_leftovers)
if [ -z "$left" ]; then
	tap_ok "nothing left: namespaces, bridge, veths, processes, files"
else
	tap_not_ok "nothing left: namespaces, bridge, veths, processes, files"
	printf '%s\n' "$left" | tap_diag
fi
[ "$SYS_TAP_FAILED" = 0 ]

#!/bin/bash
# System test: scripts/lab.py's emulated substrate (topo/examples/lab5.yaml:
# five namespaces, five loom-switches joined by veths), provisioned by hand
# the way loom-inp's provisioning does it:
#
#   VNet 1, Ethernet, two hops, a VID per hop:
#     h1 = paris-2 -[VID 100]- paris-1 -[VID 200]- geneva = h2
#   VNet 2, over the ip link, two hops:
#     h3 = paris-2 -[VID 300]- lyon =[VXLAN VNI 10001]= marseille = h4
#
# Each VNet is a BD "v<N>.L0" per substrate node it crosses; hosts are
# namespaces whose eth0 is a veth whose switch side lives in its switch's
# namespace and becomes an af_packet port "v<N>.I<n>" through `apply`
# (the running config read with show-config, the VNet's parts added).
# VTEPs follow provisioning's convention: node index i has
# 198.18.0.(i+1)/15 on its ip port (lyon .3, marseille .4), on-link, so
# the switches resolve each other by ARP; lab.py puts them (MTU 1600) in
# the switches' base configs.
#
# Checks: lab up; every switch answers with every port up (lab.py
# status); the applies; pings both ways on each VNet, full-size frames
# over VXLAN; the transit switch learned both hosts' MACs in its BD; the
# tunnel resolved; VNet isolation; lab.py down leaves no namespace,
# process or DPDK runtime directory, and a second down is harmless.
. "${LOOM_SOURCE_DIR:-$(dirname "$0")/../../..}/tests/system/lib.sh"

sys_init lab
if ! /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
	echo "1..0 # SKIP python3-yaml is not installed"
	exit 0
fi
tap_plan 17

: "${LOOM_SOURCE_DIR:=$(dirname "$0")/../../..}"
LAB=$SYS_PREFIX
LAB_DIR=$SYS_TMP/lab
LAB_PY=$LOOM_SOURCE_DIR/scripts/lab.py
SUBSTRATE=$LOOM_SOURCE_DIR/topo/examples/lab5.yaml

# The lab goes down on any exit, before lib.sh's own clean-up.
lab_down() { /usr/bin/python3 "$LAB_PY" down --dir "$LAB_DIR" --timeout 10; }
trap 'lab_down >/dev/null 2>&1; sys_cleanup' EXIT

tap_check "lab.py up lab5.yaml: five namespaces and switches" \
	/usr/bin/python3 "$LAB_PY" up "$SUBSTRATE" --prefix "$LAB" \
	--dir "$LAB_DIR" --build "$LOOM_BUILD_DIR"

# Every switch answers and has every port up (links come up in a moment).
all_up() {
	local tries=0
	while [ $tries -lt 50 ]; do
		/usr/bin/python3 "$LAB_PY" status --dir "$LAB_DIR" \
			>"$SYS_TMP/status" 2>&1 && { cat "$SYS_TMP/status"; return 0; }
		sleep 0.1
		tries=$((tries + 1))
	done
	cat "$SYS_TMP/status"
	return 1
}
tap_check "every switch answers, every substrate port is up" all_up

# host NAME NODE ATTACHMENT ADDRESS: namespace "<lab>-NAME" whose eth0's
# peer ATTACHMENT is in NODE's switch namespace (lab down removes both).
host() {
	local ns="$LAB-$1" node_ns="$LAB-$2" attachment=$3 address=$4
	ip netns add "$ns" || return 1
	SYS_HOSTS+=("$ns")
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set dev lo up || return 1
	ip link add name "$attachment" netns "$node_ns" type veth \
		peer name eth0 netns "$ns" || return 1
	ip -n "$ns" address add "$address" dev eth0 || return 1
	ip netns exec "$ns" ethtool -K eth0 tx off rx off tso off gso off \
		gro off >/dev/null || return 1
	ip netns exec "$node_ns" ethtool -K "$attachment" tx off rx off tso off \
		gso off gro off >/dev/null || return 1
	ip -n "$ns" link set dev eth0 up || return 1
	ip -n "$node_ns" link set dev "$attachment" up
}
hosts() {
	host h1 paris-2 att1 198.18.21.1/24 &&
		host h2 geneva att2 198.18.21.2/24 &&
		host h3 paris-2 att3 198.18.22.1/24 &&
		host h4 marseille att4 198.18.22.2/24
}
tap_check "four host namespaces attached to paris-2, geneva, marseille" hosts

# lab_apply NODE JSON: the node's running config (show-config) plus the
# ports, BDs and VTEP of JSON, applied as a whole.
lab_apply() {
	/usr/bin/python3 - "$LOOM_SOURCE_DIR/scripts" "$LAB_DIR/$1.sock" "$2" <<'EOF'
import json, sys
sys.path.insert(0, sys.argv.pop(1))
from lab import switch_request  # the lab's own control-socket client


def call(path, request):
    arguments = dict(request)
    command = arguments.pop("command")
    reply = switch_request(path, command, timeout=20, **arguments)
    if not reply.get("ok"):
        sys.exit("%s: %s" % (command, reply.get("error")))
    return reply.get("result")

path, extra = sys.argv[1], json.loads(sys.argv[2])
config = call(path, {"command": "show-config"})
config["ports"] = config.get("ports", []) + extra.get("ports", [])
config["bridge_domains"] = (config.get("bridge_domains", []) +
                            extra.get("bridge_domains", []))
if "vtep" in extra:
    config["vtep"] = extra["vtep"]
call(path, {"command": "apply", "config": config})
print(json.dumps(call(path, {"command": "show-config"})))
EOF
}

attachment() { # PORT VETH
	printf '{"name": "%s", "devargs": "net_af_packet_%s,iface=%s,qpairs=1"}' \
		"$1" "$2" "$2"
}

vnet1() {
	lab_apply paris-2 "{\"ports\": [$(attachment v1.I0 att1)],
	  \"bridge_domains\": [{\"name\": \"v1.L0\", \"members\": [
	    {\"port\": \"v1.I0\"}, {\"port\": \"eth0\", \"vid\": 100}]}]}" &&
	lab_apply paris-1 '{"bridge_domains": [{"name": "v1.L0", "members": [
	    {"port": "eth0", "vid": 100}, {"port": "eth1", "vid": 200}]}]}' &&
	lab_apply geneva "{\"ports\": [$(attachment v1.I1 att2)],
	  \"bridge_domains\": [{\"name\": \"v1.L0\", \"members\": [
	    {\"port\": \"eth1\", \"vid\": 200}, {\"port\": \"v1.I1\"}]}]}"
}
tap_check "VNet 1 applied: paris-2 (VID 100) - paris-1 (transit) - geneva (VID 200)" \
	vnet1

# The VTEPs come from the lab's base configs (lyon 198.18.0.3/15 and
# marseille 198.18.0.4/15 on wan0, MTU 1600), kept by show-config.
vnet2() {
	lab_apply paris-2 "{\"ports\": [$(attachment v2.I0 att3)],
	  \"bridge_domains\": [{\"name\": \"v2.L0\", \"members\": [
	    {\"port\": \"v2.I0\"}, {\"port\": \"eth1\", \"vid\": 300}]}]}" &&
	lab_apply lyon '{"bridge_domains": [{"name": "v2.L0", "members": [
	    {"port": "eth0", "vid": 300},
	    {"tunnel": "198.18.0.4", "vni": 10001}]}]}' &&
	lab_apply marseille "{\"ports\": [$(attachment v2.I1 att4)],
	  \"bridge_domains\": [{\"name\": \"v2.L0\", \"members\": [
	    {\"tunnel\": \"198.18.0.3\", \"vni\": 10001},
	    {\"port\": \"v2.I1\"}]}]}"
}
tap_check "VNet 2 applied: paris-2 (VID 300) - lyon = VXLAN 10001 = marseille" \
	vnet2

in_host() { local ns="$LAB-$1"; shift; ip netns exec "$ns" "$@"; }

# The first ping may wait for ARP through three switches.
in_host h1 ping -c 1 -W 3 198.18.21.2 >/dev/null 2>&1
tap_check "VNet 1: h1 pings h2 over two Ethernet hops (5 pings)" \
	in_host h1 ping -c 5 -i 0.2 -W 2 198.18.21.2
tap_check "VNet 1: h2 pings h1 (5 pings)" \
	in_host h2 ping -c 5 -i 0.2 -W 2 198.18.21.1

transit_learned() {
	local mac1 mac2
	mac1=$(in_host h1 cat /sys/class/net/eth0/address) || return 1
	mac2=$(in_host h2 cat /sys/class/net/eth0/address) || return 1
	"$SYS_LOOMCTL" switch -s "$LAB_DIR/paris-1.sock" --json fdb-show \
		bd=v1.L0 >"$SYS_TMP/fdb" || return 1
	cat "$SYS_TMP/fdb"
	grep -qi "$mac1" "$SYS_TMP/fdb" && grep -qi "$mac2" "$SYS_TMP/fdb"
}
tap_check "paris-1 (transit) learned both hosts' MACs in v1.L0" transit_learned

in_host h3 ping -c 1 -W 3 198.18.22.2 >/dev/null 2>&1
tap_check "VNet 2: h3 pings h4 over VLAN then VXLAN (5 pings)" \
	in_host h3 ping -c 5 -i 0.2 -W 2 198.18.22.2
tap_check "VNet 2: h4 pings h3 (5 pings)" \
	in_host h4 ping -c 5 -i 0.2 -W 2 198.18.22.1
tap_check "VNet 2: full-size frames (1472-byte payloads, DF) cross the VXLAN hop" \
	in_host h3 ping -c 3 -i 0.2 -W 2 -M do -s 1472 198.18.22.2

# On the wire (captured where the frames arrive: a switch's own af_packet
# transmissions may bypass the sender's taps): VNet 1's ICMP tagged 100
# into paris-1 and 200 into geneva, VNet 2's in VXLAN VNI 10001 into
# marseille.
capture() { # NODE DEVICE FILE FILTER
	ip netns exec "$LAB-$1" tcpdump -i "$2" --immediate-mode -U -n -w "$3" "$4" \
		>>"$SYS_TMP/background.log" 2>&1 &
	SYS_LAST_PID=$!
	SYS_PIDS+=("$SYS_LAST_PID")
}
on_the_wire() {
	local pids=() vid100 vid200 vni
	capture paris-1 eth0 "$SYS_TMP/vid100.pcap" "vlan 100 and icmp"
	pids+=("$SYS_LAST_PID")
	capture geneva eth1 "$SYS_TMP/vid200.pcap" "vlan 200 and icmp"
	pids+=("$SYS_LAST_PID")
	capture marseille wan0 "$SYS_TMP/vni.pcap" "udp dst port 4789"
	pids+=("$SYS_LAST_PID")
	sleep 1
	in_host h1 ping -c 2 -i 0.2 -W 2 198.18.21.2 || return 1
	in_host h3 ping -c 2 -i 0.2 -W 2 198.18.22.2 || return 1
	sleep 0.5
	kill -TERM "${pids[@]}"
	wait "${pids[@]}"
	vid100=$(tcpdump -r "$SYS_TMP/vid100.pcap" -n 2>/dev/null | wc -l)
	vid200=$(tcpdump -r "$SYS_TMP/vid200.pcap" -n 2>/dev/null | wc -l)
	vni=$(tcpdump -r "$SYS_TMP/vni.pcap" -n 2>/dev/null | grep -c "vni 10001")
	echo "ICMP with VID 100: $vid100, VID 200: $vid200, VXLAN VNI 10001: $vni"
	[ "$vid100" -ge 2 ] && [ "$vid200" -ge 2 ] && [ "$vni" -ge 2 ]
}
if command -v tcpdump >/dev/null; then
	tap_check "on the wire: VID 100, then VID 200 (VNet 1); VXLAN VNI 10001 (VNet 2)" \
		on_the_wire
else
	tap_skip "on the wire: VID 100, then VID 200 (VNet 1); VXLAN VNI 10001 (VNet 2)" \
		"tcpdump not installed"
fi

tunnel_resolved() {
	"$SYS_LOOMCTL" switch -s "$LAB_DIR/lyon.sock" --json vtep-show |
		/usr/bin/python3 -c '
import json, sys
vtep = json.load(sys.stdin)
print(json.dumps(vtep))
t = [x for x in vtep["tunnels"] if x["remote"] == "198.18.0.4"]
sys.exit(0 if t and t[0]["resolved"] else 1)' || return 1
	# The base's VTEP, as lab.py wrote it (provisioning's convention).
	"$SYS_LOOMCTL" switch -s "$LAB_DIR/marseille.sock" --json show-config |
		/usr/bin/python3 -c '
import json, sys
vtep = json.load(sys.stdin)["vtep"]
print(json.dumps(vtep))
sys.exit(0 if vtep["port"] == "wan0" and vtep["address"] == "198.18.0.4/15"
         and vtep["mtu"] == 1600 else 1)'
}
tap_check "lyon's tunnel to marseille's VTEP 198.18.0.4 resolved (ARP); base VTEPs as lab.py wrote them" \
	tunnel_resolved

# h1 takes VNet 2's address space for a moment: nothing of VNet 2 answers.
isolation() {
	in_host h1 ip address add 198.18.22.9/24 dev eth0 || return 1
	if in_host h1 ping -c 2 -i 0.2 -W 1 198.18.22.2; then
		in_host h1 ip address del 198.18.22.9/24 dev eth0
		echo "h1 (VNet 1) reached h4 (VNet 2)"
		return 1
	fi
	in_host h1 ip address del 198.18.22.9/24 dev eth0
}
tap_check "isolation: h1 (VNet 1) cannot reach h4 (VNet 2)" isolation

# lab.py link: a cut wire is seen by both switches (their wan0 goes
# down) and VNet 2 stops; restored, it comes back.
port_link() { # NODE PORT: "up" or "down" as the switch reports it
	/usr/bin/python3 "$LAB_PY" status --dir "$LAB_DIR" --json |
		/usr/bin/python3 -c '
import json, sys
print(json.load(sys.stdin)[sys.argv[1]]["ports"].get(sys.argv[2]))' "$1" "$2"
}
wait_port() { # NODE PORT STATE
	local tries=0
	while [ $tries -lt 50 ]; do
		[ "$(port_link "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
		tries=$((tries + 1))
	done
	echo "$1 $2: $(port_link "$1" "$2"), not $3"
	return 1
}
cut_and_restore() {
	/usr/bin/python3 "$LAB_PY" link --dir "$LAB_DIR" lyon--marseille down ||
		return 1
	wait_port lyon wan0 down && wait_port marseille wan0 down || return 1
	if in_host h3 ping -c 2 -i 0.2 -W 1 198.18.22.2; then
		echo "VNet 2 still works over a cut wire"
		return 1
	fi
	/usr/bin/python3 "$LAB_PY" link --dir "$LAB_DIR" lyon--marseille up ||
		return 1
	wait_port lyon wan0 up && wait_port marseille wan0 up || return 1
	in_host h3 ping -c 1 -W 3 198.18.22.2 >/dev/null
	in_host h3 ping -c 3 -i 0.2 -W 2 198.18.22.2
}
tap_check "lab.py link lyon--marseille down: both wan0 ports down, VNet 2 cut; up: back" \
	cut_and_restore

# Down: everything with the lab's prefix goes.
leftovers() {
	ip netns list | awk '{print $1}' | grep "^$LAB-" | sed 's/^/namespace /'
	pgrep -af -- "$LAB_DIR/" | grep -v pgrep | sed 's/^/process /'
	ls -d /var/run/dpdk/"$LAB"-* 2>/dev/null | sed 's/^/dpdk /'
	ls "$LAB_DIR"/*.sock "$LAB_DIR"/*.pid 2>/dev/null | sed 's/^/file /'
	return 0
}
down_clean() {
	lab_down || return 1
	local left
	left=$(leftovers)
	[ -z "$left" ] || { echo "$left"; return 1; }
	# Its namespaces are gone: lib.sh need not delete them.
	SYS_HOSTS=()
}
tap_check "lab.py down: no namespace, switch process, DPDK directory or socket left" \
	down_clean
tap_check "lab.py down again: nothing to do, no error" lab_down

[ "$SYS_TAP_FAILED" = 0 ]

#!/bin/bash
# System test: loom-switch as a VTEP against the Linux kernel's VXLAN (a
# VTEP nobody here wrote), over a veth underlay, with real ARP.
#
#   h1 198.18.50.1 --[p h1]--+                 +-- vx1 VNI 5001 (in r1) 198.18.50.2
#                            | loom-switch     |
#   h2 198.18.50.1 --[p h2]--+ VTEP .100.1 ====+ k: eth0 198.18.100.2 (veth,
#                              (underlay k)    |    MTU 1600), the kernel VTEP
#                                              +-- vx2 VNI 5002 (in r2) 198.18.50.2
#                                              +-- vx3 VNI 5003 (in k), no BD
#
# Both slices use the same addresses: BD one (h1, tunnel 198.18.100.2 VNI
# 5001) and BD two (h2, tunnel VNI 5002). The kernel VXLAN devices are
# made in k (their UDP socket is k's, on the underlay) and moved into r1
# and r2, so the two VNIs end in separate namespaces with the same IP.
# No static neighbour: loom-switch resolves 198.18.100.2 by ARP and the
# kernel resolves 198.18.100.1 by asking loom-switch.
#
# Checks: ARP resolution both ways and vtep-show (neighbour reachable with
# k's MAC, every tunnel resolved); ping both ways in both VNIs; TCP both
# ways (4 MiB with nc, compared byte for byte) and iperf3 for 2 s; the
# slices stay isolated (an address only VNI 5002 has is unreachable from
# VNI 5001, each side resolved its peer's MAC in its own VNI only, and
# VNI 5002's kernel device saw none of VNI 5001's traffic); a VNI loom
# does not serve is dropped as vxlan_unknown_vtep; nothing else was
# dropped; a remote VTEP that answers ARP only after a while is still
# resolved; nothing is left afterwards.
. "${LOOM_SOURCE_DIR:-$(dirname "$0")/../../..}/tests/system/lib.sh"

sys_init vx
tap_plan 19

K=$(sys_namespace k)
R1=$(sys_namespace r1)
R2=$(sys_namespace r2)

# A namespace with nothing but lo, removed by lib.sh's clean-up.
bare_namespace() {
	ip netns add "$1" || return 1
	SYS_HOSTS+=("$1")
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip -n "$1" link set lo up
}

# kernel_vxlan NAME VNI NAMESPACE ADDRESS: a kernel VXLAN device made in k
# on its underlay, moved into NAMESPACE (or left in k) with ADDRESS.
kernel_vxlan() {
	local name=$1 vni=$2 ns=$3 address=$4
	ip -n "$K" link add "$name" type vxlan id "$vni" local 198.18.100.2 \
		remote 198.18.100.1 dstport 4789 dev eth0 || return 1
	if [ "$ns" != "$K" ]; then
		ip -n "$K" link set "$name" netns "$ns" || return 1
	fi
	# 1500 inside: 1500 + 14 + 50 fits the 1600-byte underlay.
	ip -n "$ns" link set "$name" mtu 1500 up || return 1
	ip netns exec "$ns" ethtool -K "$name" tx off rx off tso off gso off \
		gro off >/dev/null 2>&1
	ip -n "$ns" addr add "$address" dev "$name"
}

setup() {
	sys_host k 198.18.100.2/24 1600 || return 1
	sys_host h1 198.18.50.1/24 || return 1
	sys_host h2 198.18.50.1/24 || return 1
	bare_namespace "$R1" || return 1
	bare_namespace "$R2" || return 1
	kernel_vxlan vx1 5001 "$R1" 198.18.50.2/24 || return 1
	kernel_vxlan vx2 5002 "$R2" 198.18.50.2/24 || return 1
	# An address only VNI 5002 has.
	ip -n "$R2" addr add 198.18.50.3/24 dev vx2 || return 1
	kernel_vxlan vx3 5003 "$K" 198.18.53.2/24
}
tap_check "namespaces, veths and kernel VXLAN devices (VNIs 5001-5003)" setup

config="ports:
  - name: underlay
    devargs: net_af_packet0,iface=@PORT_k@,qpairs=1
  - name: h1
    devargs: net_af_packet1,iface=@PORT_h1@,qpairs=1
  - name: h2
    devargs: net_af_packet2,iface=@PORT_h2@,qpairs=1
vtep:
  port: underlay
  address: 198.18.100.1/24
  mtu: 1600
bridge_domains:
  - name: one
    members:
      - port: h1
      - {tunnel: 198.18.100.2, vni: 5001}
  - name: two
    members:
      - port: h2
      - {tunnel: 198.18.100.2, vni: 5002}"
tap_check "loom-switch starts as a VTEP on an af_packet underlay" \
	sys_switch_start "$config"

# vtep-show reports the neighbour reachable with k's MAC and every tunnel
# resolved (ARP by loom-switch, answered by the kernel).
resolved() {
	local mac tries=0
	mac=$(ip netns exec "$K" cat /sys/class/net/eth0/address) || return 1
	while [ $tries -lt 50 ]; do
		if sys_ctl vtep-show | python3 -c '
import json, sys
vtep = json.load(sys.stdin)
mac = sys.argv[1].lower()
n = [x for x in vtep["neighbours"] if x["address"] == "198.18.100.2"]
ok = (len(n) == 1 and n[0]["state"] == "reachable"
      and n[0]["mac"].lower() == mac
      and len(vtep["tunnels"]) == 2
      and all(t["resolved"] for t in vtep["tunnels"]))
print(json.dumps(vtep))
sys.exit(0 if ok else 1)' "$mac" >"$SYS_TMP/vtep-show"; then
			return 0
		fi
		sleep 0.1
		tries=$((tries + 1))
	done
	cat "$SYS_TMP/vtep-show"
	return 1
}
tap_check "ARP: vtep-show has 198.18.100.2 reachable at k's MAC, tunnels resolved" \
	resolved

# The kernel resolved our VTEP address by ARP too (loom-switch answered).
kernel_resolved() {
	local ours
	ours=$(cat "/sys/class/net/$(sys_port k)/address") || return 1
	ip -n "$K" neigh show 198.18.100.1 dev eth0
	ip -n "$K" neigh show 198.18.100.1 dev eth0 | grep -qi "lladdr $ours"
}
sys_in h1 ping -c 1 -W 2 198.18.50.2 >/dev/null 2>&1 # warm both ARPs
tap_check "ARP: the kernel VTEP learned 198.18.100.1 from loom-switch's reply" \
	kernel_resolved

tap_check "VNI 5001: h1 pings r1 across the slice (5 pings)" \
	sys_in h1 ping -c 5 -i 0.2 -W 2 198.18.50.2
tap_check "VNI 5001: r1 pings h1 (5 pings)" \
	ip netns exec "$R1" ping -c 5 -i 0.2 -W 2 198.18.50.1
tap_check "VNI 5002: h2 pings r2 (same addresses, 5 pings)" \
	sys_in h2 ping -c 5 -i 0.2 -W 2 198.18.50.2
tap_check "VNI 5002: r2 pings h2 (5 pings)" \
	ip netns exec "$R2" ping -c 5 -i 0.2 -W 2 198.18.50.1
tap_check "full-size frames: h1 pings r1 with 1472-byte payloads (DF)" \
	sys_in h1 ping -c 3 -i 0.2 -W 2 -M do -s 1472 198.18.50.2

# TCP: 4 MiB each way with nc, compared byte for byte.
head -c $((4 << 20)) /dev/urandom >"$SYS_TMP/payload"
# tcp_transfer FROM_CMD TO_CMD ADDRESS PORT: the receiver listens on
# ADDRESS:PORT, the sender sends the payload.
tcp_transfer() {
	local receiver=$1 sender=$2 address=$3 port=$4 server
	rm -f "$SYS_TMP/received"
	ip netns exec "$receiver" sh -c \
		"timeout 30 nc -l -N $address $port >'$SYS_TMP/received'" \
		>>"$SYS_TMP/background.log" 2>&1 &
	server=$!
	SYS_PIDS+=("$server")
	sleep 0.3
	ip netns exec "$sender" timeout 30 nc -N "$address" "$port" \
		<"$SYS_TMP/payload" || return 1
	wait "$server" || return 1
	cmp "$SYS_TMP/payload" "$SYS_TMP/received"
}
H1=$(sys_namespace h1)
H2=$(sys_namespace h2)
tap_check "TCP h1 -> r1 over VNI 5001 (4 MiB, byte for byte)" \
	tcp_transfer "$R1" "$H1" 198.18.50.2 5301
tap_check "TCP r1 -> h1 over VNI 5001 (4 MiB, byte for byte)" \
	tcp_transfer "$H1" "$R1" 198.18.50.1 5302

if command -v iperf3 >/dev/null; then
	iperf_both() {
		local server
		ip netns exec "$R2" iperf3 -s -1 -B 198.18.50.2 -p 5303 \
			>>"$SYS_TMP/background.log" 2>&1 &
		server=$!
		SYS_PIDS+=("$server")
		sleep 0.5
		sys_in h2 timeout 20 iperf3 -c 198.18.50.2 -p 5303 -t 2 || return 1
		wait "$server"
		ip netns exec "$R2" iperf3 -s -1 -B 198.18.50.2 -p 5304 \
			>>"$SYS_TMP/background.log" 2>&1 &
		server=$!
		SYS_PIDS+=("$server")
		sleep 0.5
		sys_in h2 timeout 20 iperf3 -c 198.18.50.2 -p 5304 -t 2 -R ||
			return 1
		wait "$server"
	}
	tap_check "iperf3 h2 <-> r2 over VNI 5002, 2 s each way" iperf_both
else
	tap_skip "iperf3 h2 <-> r2 over VNI 5002, 2 s each way" \
		"iperf3 not installed"
fi

# Isolation. While h1 (VNI 5001) tries to reach an address only VNI 5002
# has, nothing from h1's MAC reaches vx2 in r2; vx1 in r1 sees h1's ARP
# requests for it (the positive control: the capture works).
capture() { # NAMESPACE DEVICE FILE FILTER: tcpdump in the background
	ip netns exec "$1" tcpdump -i "$2" -U -n -w "$3" "$4" \
		>>"$SYS_TMP/background.log" 2>&1 &
	SYS_LAST_PID=$!
	SYS_PIDS+=("$SYS_LAST_PID")
}
isolation() {
	local h1 on_vx1 on_vx2 pid1 pid2
	command -v tcpdump >/dev/null || return 1
	h1=$(sys_in h1 cat /sys/class/net/eth0/address) || return 1
	capture "$R1" vx1 "$SYS_TMP/vx1.pcap" "ether src $h1"
	pid1=$SYS_LAST_PID
	capture "$R2" vx2 "$SYS_TMP/vx2.pcap" "ether src $h1"
	pid2=$SYS_LAST_PID
	sleep 1
	if sys_in h1 ping -c 3 -i 0.2 -W 1 198.18.50.3; then
		echo "h1 reached 198.18.50.3, an address of VNI 5002"
		return 1
	fi
	sleep 0.5
	kill -INT "$pid1" "$pid2"
	wait "$pid1" "$pid2"
	on_vx1=$(tcpdump -n -r "$SYS_TMP/vx1.pcap" 2>/dev/null | grep -c "198.18.50.3")
	on_vx2=$(tcpdump -n -r "$SYS_TMP/vx2.pcap" 2>/dev/null | wc -l)
	echo "from h1: $on_vx1 frames about 198.18.50.3 on vx1, $on_vx2 on vx2"
	[ "$on_vx1" -ge 1 ] && [ "$on_vx2" = 0 ]
}
tap_check "isolation: h1 (VNI 5001) cannot reach VNI 5002's 198.18.50.3; vx2 saw nothing of h1" \
	isolation

# Each side resolved 198.18.50.2 / .1 to its own slice's peer.
own_peers() {
	local vx1 vx2 h1 h2
	vx1=$(ip netns exec "$R1" cat /sys/class/net/vx1/address)
	vx2=$(ip netns exec "$R2" cat /sys/class/net/vx2/address)
	h1=$(sys_in h1 cat /sys/class/net/eth0/address)
	h2=$(sys_in h2 cat /sys/class/net/eth0/address)
	echo "vx1 $vx1 vx2 $vx2 h1 $h1 h2 $h2"
	sys_in h1 ip neigh show 198.18.50.2 | grep -qi "lladdr $vx1" || return 1
	sys_in h2 ip neigh show 198.18.50.2 | grep -qi "lladdr $vx2" || return 1
	ip -n "$R1" neigh show 198.18.50.1 | grep -qi "lladdr $h1" || return 1
	ip -n "$R2" neigh show 198.18.50.1 | grep -qi "lladdr $h2" || return 1
	# BD one learned its own slice's MACs and none of VNI 5002's, and
	# the other way round
	sys_ctl fdb-show bd=one >"$SYS_TMP/fdb-one" || return 1
	sys_ctl fdb-show bd=two >"$SYS_TMP/fdb-two" || return 1
	grep -qi "$vx1" "$SYS_TMP/fdb-one" && grep -qi "$h1" "$SYS_TMP/fdb-one" ||
		return 1
	grep -qi "$vx2" "$SYS_TMP/fdb-two" && grep -qi "$h2" "$SYS_TMP/fdb-two" ||
		return 1
	grep -qi -e "$vx2" -e "$h2" "$SYS_TMP/fdb-one" && return 1
	grep -qi -e "$vx1" -e "$h1" "$SYS_TMP/fdb-two" && return 1
	return 0
}
tap_check "isolation: each slice resolved its own peers; FDBs hold their own MACs" \
	own_peers

# A VNI nobody configured here: the kernel sends, loom-switch drops.
unknown_vni() {
	local before after
	before=$(sys_counter drops.vxlan_unknown_vtep) || return 1
	ip netns exec "$K" ping -c 3 -i 0.2 -W 1 198.18.53.1 && return 1
	after=$(sys_counter drops.vxlan_unknown_vtep) || return 1
	echo "vxlan_unknown_vtep: $before -> $after"
	[ "$after" -gt "$before" ]
}
tap_check "VNI 5003 (not served) from the kernel VTEP: dropped as vxlan_unknown_vtep" \
	unknown_vni

# Counters: traffic on both tunnels; no drop other than the unknown VNI
# and ARP consumed (learned replies), no frame too big or unresolved.
counters_clean() {
	sys_ctl counters | python3 -c '
import json, sys
c = json.load(sys.stdin)
m = c["members"]
t1 = m["one/@198.18.100.2/5001"]
t2 = m["two/@198.18.100.2/5002"]
print("tunnel 5001", t1, "tunnel 5002", t2)
bad = {k: v for k, v in c["drops"].items()
       if v and k not in ("vxlan_unknown_vtep", "arp_learned",
                          "arp_not_for_us")}
print("drops", {k: v for k, v in c["drops"].items() if v})
ok = (t1["rx_packets"] > 3000 and t1["tx_packets"] > 3000 and
      t2["rx_packets"] > 0 and t2["tx_packets"] > 0 and not bad)
sys.exit(0 if ok else 1)'
}
tap_check "counters: both tunnels carried traffic; no unexpected drop" \
	counters_clean

# A remote VTEP that appears late: the tunnel to 198.18.100.3 exists
# before anyone holds that address (its first ARP requests go
# unanswered), then k takes the address. The switch must keep trying and
# resolve it.
late_vtep() { # 0 resolved; 1 never resolved; 2 the set-up failed
	local tries=0
	sys_ctl bd-add 'bd={"name":"late","members":[{"tunnel":"198.18.100.3","vni":5009}]}' ||
		return 2
	sleep 4.5 # longer than three requests a second apart
	ip -n "$K" addr add 198.18.100.3/24 dev eth0 || return 2
	while [ $tries -lt 100 ]; do
		sys_ctl vtep-show | python3 -c '
import json, sys
vtep = json.load(sys.stdin)
t = [x for x in vtep["tunnels"] if x["remote"] == "198.18.100.3"]
sys.exit(0 if t and t[0]["resolved"] else 1)' && return 0
		sleep 0.1
		tries=$((tries + 1))
	done
	sys_ctl vtep-show
	return 1
}
late_vtep >"$SYS_TMP/late.log" 2>&1
case $? in
0) tap_ok "a remote VTEP that answers ARP only after 4.5 s is resolved" ;;
*)
	tap_not_ok "a remote VTEP that answers ARP only after 4.5 s is resolved"
	tap_diag <"$SYS_TMP/late.log"
	;;
esac

tap_check "loom-switch stops cleanly on SIGTERM" sys_switch_stop

sys_cleanup
left=$(sys_leftovers)
if [ -z "$left" ]; then
	tap_ok "nothing left: namespaces, veths, processes, files"
else
	tap_not_ok "nothing left: namespaces, veths, processes, files"
	printf '%s\n' "$left" | tap_diag
fi
[ "$SYS_TAP_FAILED" = 0 ]

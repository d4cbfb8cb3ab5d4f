#!/bin/bash
# System test: kernel hosts in network namespaces switched by loom-switch
# through net_af_packet ports. Hosts a and b share BD "one": ping and a
# TCP transfer pass. Host c is alone in BD "two", in the same IP subnet:
# it cannot reach a, and no frame of BD one ever leaves c's port. After
# the test nothing of it is left (namespaces, veths, processes, files).
. "${LOOM_SOURCE_DIR:-$(dirname "$0")/../../..}/tests/system/lib.sh"

sys_init two
tap_plan 13

hosts_ok=1
sys_host a 198.18.0.1/24 || hosts_ok=0
sys_host b 198.18.0.2/24 || hosts_ok=0
sys_host c 198.18.0.3/24 || hosts_ok=0
if [ $hosts_ok = 1 ]; then
	tap_ok "three namespace hosts on veth pairs"
else
	tap_not_ok "three namespace hosts on veth pairs"
fi

config="fdb:
  age_seconds: 300
ports:
  - name: a
    devargs: net_af_packet0,iface=@PORT_a@,qpairs=1
  - name: b
    devargs: net_af_packet1,iface=@PORT_b@,qpairs=1
  - name: c
    devargs: net_af_packet2,iface=@PORT_c@,qpairs=1
bridge_domains:
  - name: one
    members:
      - port: a
      - port: b
  - name: two
    members:
      - port: c"
tap_check "loom-switch starts with net_af_packet ports" sys_switch_start "$config"
# How DPDK is linked (meson option dpdk_link) is part of the version.
tap_check "--version names DPDK's version and how it is linked" \
	bash -c '"$1" --version | grep -Eq "^loom-switch [0-9.]+ \(DPDK [0-9.]+, linked (static|shared)\)$"' _ "$SYS_SWITCH"

tap_check "a pings b (5 pings)" sys_in a ping -c 5 -i 0.2 -W 2 198.18.0.2
tap_check "b pings a (5 pings)" sys_in b ping -c 5 -i 0.2 -W 2 198.18.0.1

# A TCP transfer: 4 MiB from a to b through nc, compared byte for byte.
head -c $((4 << 20)) /dev/urandom >"$SYS_TMP/payload"
sys_background b sh -c "timeout 20 nc -l -N 198.18.0.2 5201 >'$SYS_TMP/received'"
server=$SYS_LAST_PID
sleep 0.3
tcp_transfer() {
	sys_in a timeout 20 nc -N 198.18.0.2 5201 <"$SYS_TMP/payload" || return 1
	wait "$server" || return 1
	cmp "$SYS_TMP/payload" "$SYS_TMP/received"
}
tap_check "TCP transfer a -> b (4 MiB, byte for byte)" tcp_transfer

# iperf3 for a second: TCP in both directions under load.
if command -v iperf3 >/dev/null; then
	sys_background b iperf3 -s -1 -B 198.18.0.2 -p 5202
	sleep 0.5
	tap_check "iperf3 a -> b for 1 s" \
		sys_in a timeout 20 iperf3 -c 198.18.0.2 -p 5202 -t 1
else
	tap_skip "iperf3 a -> b for 1 s" "iperf3 not installed"
fi

tap_check_fails "c (BD two) cannot ping a (BD one)" \
	sys_in c ping -c 3 -i 0.2 -W 1 198.18.0.1
tap_check_fails "a cannot ping c" sys_in a ping -c 3 -i 0.2 -W 1 198.18.0.3

isolation() {
	local c_tx flooded
	c_tx=$(sys_counter ports.c.tx_packets) || return 1
	flooded=$(sys_counter bridge_domains.two.flooded) || return 1
	echo "port c sent $c_tx frames; BD two flooded $flooded"
	[ "$c_tx" = 0 ] && [ "$flooded" = 0 ]
}
tap_check "no frame of BD one left c's port" isolation

learned() {
	sys_ctl fdb-show bd=one | python3 -c '
import json, sys
entries = json.load(sys.stdin)
members = sorted(e["member"] for e in entries)
print(members)
sys.exit(0 if members == ["a", "b"] else 1)'
}
tap_check "BD one learned exactly a's and b's MACs" learned

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

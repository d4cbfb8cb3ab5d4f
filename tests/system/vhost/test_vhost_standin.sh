#!/bin/bash
# System test: VMs on loom-switch's vhost-user ports, stood in for by
# vhost-guest (a DPDK process with a net_virtio_user port that answers ARP
# and ping, sends UDP probes and counts what it gets).
#
#   host a (198.18.0.1) --af_packet-- [BD one] --vhost-- vm1 (198.18.0.11)
#   host c (198.18.0.3) --af_packet-- [BD two] --vhost-- vm2 (198.18.0.12)
#
# Argument: the switch's role on the vhost-user sockets, "server" (it
# creates them; the guests connect) or "client" (client=1: the guests
# listen with server=1 and the switch connects, and reconnects when a
# guest is restarted).
#
# Checked: ping both ways between a host and a guest, guest-sent traffic
# reaches the host; the two BDs are isolated (ping and broadcasts); a
# guest that goes (cleanly or killed) takes the link down, frames to it
# are dropped and counted, and a guest that comes back resumes; 50
# disconnect/reconnect cycles under traffic (a ping flood towards the
# guest, probes from the guest) leave loom-switch running with the same
# number of file descriptors and no mbuf lost (see "mbufs" below). At the
# end nothing is left behind.
#
# mbufs: loom-switch does not expose how many of its pool's mbufs are in
# use (neither the control socket nor DPDK 22.11's /mempool/info
# telemetry). The proxies: rx_nombuf stays unchanged and, after the
# cycles, more frames than the pool holds pass from the guest into the
# switch with none refused.
. "${LOOM_SOURCE_DIR:-$(dirname "$0")/../../..}/tests/system/lib.sh"
. "${LOOM_SOURCE_DIR:-$(dirname "$0")/../../..}/tests/system/vhost/vhost_lib.sh"

role=${1:-server}
case "$role" in
server) switch_args="" guest_args="" ;;
client) switch_args=",client=1" guest_args=",server=1" ;;
*) echo "usage: $0 server|client" >&2; exit 2 ;;
esac

sys_init "vh${role:0:1}"
vhost_init
tap_plan 26

if [ ! -x "$VHOST_GUEST" ]; then
	echo "Bail out! no vhost-guest in $LOOM_BUILD_DIR/tests/system/vhost"
	exit 1
fi

VM1_MAC=02:00:00:00:00:11
VM2_MAC=02:00:00:00:00:12
VM1_IP=198.18.0.11
VM2_IP=198.18.0.12
CYCLES=50
vm1_devargs="net_virtio_user0,path=$SYS_TMP/vm1.sock,mac=$VM1_MAC$guest_args"
vm2_devargs="net_virtio_user0,path=$SYS_TMP/vm2.sock,mac=$VM2_MAC$guest_args"

hosts_ok=1
sys_host a 198.18.0.1/24 || hosts_ok=0
sys_host c 198.18.0.3/24 || hosts_ok=0
if [ $hosts_ok = 1 ]; then
	tap_ok "two namespace hosts on veth pairs"
else
	tap_not_ok "two namespace hosts on veth pairs"
fi
A_MAC=$(sys_in a cat /sys/class/net/eth0/address)

config="fdb:
  age_seconds: 300
ports:
  - name: a
    devargs: net_af_packet0,iface=@PORT_a@,qpairs=1
  - name: c
    devargs: net_af_packet1,iface=@PORT_c@,qpairs=1
  - name: vm1
    devargs: net_vhost0,iface=@DIR@/vm1.sock$switch_args
  - name: vm2
    devargs: net_vhost1,iface=@DIR@/vm2.sock$switch_args
bridge_domains:
  - name: one
    members:
      - port: a
      - port: vm1
  - name: two
    members:
      - port: c
      - port: vm2"
tap_check "loom-switch starts with two vhost-user ports (switch as $role)" \
	sys_switch_start "$config"
switch_pid=$SYS_SWITCH_PID

start_guests() {
	vhost_guest_start vm1 "$vm1_devargs" "$VM1_IP"
	vhost_guest_start vm2 "$vm2_devargs" "$VM2_IP"
	vhost_guest_wait_connected vm1 10 && vhost_guest_wait_connected vm2 10 &&
		vhost_wait_link vm1 true 5 && vhost_wait_link vm2 true 5
}
tap_check "two guests connect; the switch sees both links up" start_guests

tap_check "a pings vm1 (ARP and ICMP answered by the guest)" \
	sys_in a ping -c 5 -i 0.2 -W 2 "$VM1_IP"
tap_check "c pings vm2" sys_in c ping -c 5 -i 0.2 -W 2 "$VM2_IP"

# Traffic from the guest side: 500 probes from vm1 to a's MAC leave a's
# port (counted by the switch) and are not refused on the way.
guest_to_host() {
	local before after sent
	before=$(sys_counter ports.a.tx_packets) || return 1
	vhost_guest_stop vm1
	vhost_guest_start vm1 "$vm1_devargs" "$VM1_IP" --send-to "$A_MAC" \
		--rate 1000 --count 500
	vhost_guest_wait_connected vm1 10 || return 1
	local tries=50
	while [ $tries -gt 0 ]; do
		sent=$(vhost_guest_stat vm1 probes_sent)
		[ "$sent" -ge 500 ] && break
		sleep 0.1
		tries=$((tries - 1))
	done
	sleep 0.5
	after=$(sys_counter ports.a.tx_packets) || return 1
	echo "vm1 sent $sent probes; port a sent $((after - before)) frames"
	[ "$sent" = 500 ] && [ $((after - before)) -ge 500 ]
}
tap_check "vm1 -> a: 500 probes from the guest leave a's port" guest_to_host
vhost_wait_link vm1 true 5 >/dev/null

tap_check_fails "a (BD one) cannot ping vm2 (BD two)" \
	sys_in a ping -c 3 -i 0.2 -W 1 "$VM2_IP"
tap_check_fails "c (BD two) cannot ping vm1 (BD one)" \
	sys_in c ping -c 3 -i 0.2 -W 1 "$VM1_IP"

# Broadcast probes: from host a (BD one) they reach vm1 and never vm2;
# from host c (BD two) they reach vm2 and never vm1.
broadcast() { # HOST
	sys_in "$1" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
for i in range(200):
    s.sendto(b"probe", ("198.18.0.255", 47001))'
}
broadcast_isolation() {
	local vm1_0 vm2_0 vm1_1 vm2_1 vm1_2 vm2_2
	vm1_0=$(vhost_guest_stat vm1 probes_received)
	vm2_0=$(vhost_guest_stat vm2 probes_received)
	broadcast a || return 1
	sleep 0.5
	vm1_1=$(vhost_guest_stat vm1 probes_received)
	vm2_1=$(vhost_guest_stat vm2 probes_received)
	broadcast c || return 1
	sleep 0.5
	vm1_2=$(vhost_guest_stat vm1 probes_received)
	vm2_2=$(vhost_guest_stat vm2 probes_received)
	echo "a's 200 broadcasts: vm1 got $((vm1_1 - vm1_0)), vm2 got $((vm2_1 - vm2_0))"
	echo "c's 200 broadcasts: vm1 got $((vm1_2 - vm1_1)), vm2 got $((vm2_2 - vm2_1))"
	[ $((vm1_1 - vm1_0)) = 200 ] && [ $((vm2_1 - vm2_0)) = 0 ] &&
		[ $((vm2_2 - vm2_1)) = 200 ] && [ $((vm1_2 - vm1_1)) = 0 ]
}
tap_check "broadcasts stay in their BD: vm1 gets a's only, vm2 gets c's only" \
	broadcast_isolation

# ---- the guest goes and comes back -----------------------------------------
# a keeps vm1's MAC (a permanent neighbour) so that its pings are unicast
# to vm1's port, which the switch learned.
sys_in a ip neigh replace "$VM1_IP" lladdr "$VM1_MAC" dev eth0 nud permanent

drop() { sys_counter "drops.$1"; }

guest_gone() {
	local link_down0 tx_full0 link_down1 tx_full1
	vhost_guest_stop vm1 TERM
	vhost_wait_link vm1 false 5 || return 1
	link_down0=$(drop port_link_down) tx_full0=$(drop tx_full)
	if sys_in a ping -c 5 -i 0.2 -W 1 "$VM1_IP"; then
		echo "a could ping a guest that is gone"
		return 1
	fi
	link_down1=$(drop port_link_down) tx_full1=$(drop tx_full)
	vhost_figure "5 pings to the gone guest: port_link_down +$((link_down1 - link_down0))," \
		"tx_full +$((tx_full1 - tx_full0))"
	[ $((link_down1 - link_down0)) -ge 5 ]
}
vhost_check "guest stops: link down, 5 frames to it dropped as port_link_down" \
	guest_gone

guest_back() {
	vhost_guest_start vm1 "$vm1_devargs" "$VM1_IP"
	vhost_guest_wait_connected vm1 10 || return 1
	vhost_wait_link vm1 true 5 || return 1
	sys_in a ping -c 3 -i 0.2 -W 2 "$VM1_IP"
}
tap_check "guest comes back: link up, a pings vm1 again" guest_back

# A crash: no clean teardown on the guest's side. Frames sent before the
# switch notices (it reads link state once a second) go to a port whose
# queue no longer takes them: tx_full, not port_link_down.
guest_killed() {
	local link_down0 tx_full0 link_down1 tx_full1
	link_down0=$(drop port_link_down) tx_full0=$(drop tx_full)
	vhost_guest_stop vm1 KILL
	sys_in a ping -c 3 -i 0.2 -W 1 "$VM1_IP" >/dev/null
	vhost_wait_link vm1 false 5 || return 1
	sys_in a ping -c 3 -i 0.2 -W 1 "$VM1_IP" >/dev/null
	link_down1=$(drop port_link_down) tx_full1=$(drop tx_full)
	vhost_figure "6 pings around the crash: port_link_down +$((link_down1 - link_down0)), tx_full +$((tx_full1 - tx_full0))"
	[ $((link_down1 - link_down0 + tx_full1 - tx_full0)) -ge 6 ] &&
		kill -0 "$switch_pid"
}
vhost_check "guest killed: link down, frames to it dropped and counted" guest_killed
tap_check "killed guest restarted: a pings vm1 again" guest_back

# ---- 50 disconnect/reconnect cycles under traffic -----------------------
fds0=$(vhost_fd_count "$switch_pid")
pool_in_use() { sys_ctl pool | python3 -c 'import json,sys; print(json.load(sys.stdin)["in_use"])'; }
in_use0=$(pool_in_use)
nombuf0=$(vhost_port_field vm1 'value["device_stats"]["rx_nombuf"]')
pool_nombuf0=$(vhost_port_field a 'value["device_stats"]["rx_nombuf"]')
vm1_rx0=$(sys_counter ports.vm1.rx_packets)
vhost_guest_stop vm1 TERM

# a floods pings at vm1 (unicast, permanent neighbour) the whole time.
sys_background a ping -q -i 0.002 -W 1 -w 600 "$VM1_IP"
flood_pid=$SYS_LAST_PID

cycles() {
	local status
	vhost_guest_start vm1 "$vm1_devargs" "$VM1_IP" --send-to "$A_MAC" \
		--rate 2000 --cycles "$CYCLES" --up-ms 300 --down-ms 100
	local pid
	pid=$(vhost_guest_pid vm1)
	# Server role: ~0.4 s a cycle; client role: up to 1 s more each, the
	# switch's reconnect interval.
	local tries=0
	while kill -0 "$pid" 2>/dev/null && [ $tries -lt 1500 ]; do
		sleep 0.1
		tries=$((tries + 1))
	done
	wait "$pid"
	status=$?
	vhost_figure "guest exit status $status after $((tries / 10)) s;" \
		"stats: $(cat "$SYS_TMP/vm1.json")"
	[ "$status" = 0 ] &&
		[ "$(vhost_guest_stat vm1 connects)" = "$CYCLES" ] &&
		[ "$(vhost_guest_stat vm1 icmp_replies)" -gt 0 ] &&
		[ "$(vhost_guest_stat vm1 probes_sent)" -gt 0 ]
}
vhost_check "$CYCLES disconnect/reconnect cycles under traffic, each connected" cycles
kill -TERM "$flood_pid" 2>/dev/null
wait "$flood_pid" 2>/dev/null

if kill -0 "$switch_pid" 2>/dev/null; then
	tap_ok "loom-switch is still running after $CYCLES cycles"
else
	tap_not_ok "loom-switch is still running after $CYCLES cycles"
	vhost_switch_log 40
fi
vm1_rx1=$(sys_counter ports.vm1.rx_packets)
rx_during=$((vm1_rx1 - vm1_rx0))
if [ "$rx_during" -gt 0 ]; then
	tap_ok "the switch received $rx_during frames from vm1 during the cycles"
else
	tap_not_ok "the switch received no frame from vm1 during the cycles"
fi

# Back to the state before the cycles (guest connected), then compare.
tap_check "after the cycles: guest back, a pings vm1" guest_back
fd_compare() {
	# A leak stays; a control client the switch is still closing, or a
	# vring being set up, goes within moments: sample for up to 3 s.
	local fds1 tries=0
	fds1=$(vhost_fd_count "$switch_pid")
	while [ "$fds1" != "$fds0" ] && [ $tries -lt 30 ]; do
		sleep 0.1
		tries=$((tries + 1))
		fds1=$(vhost_fd_count "$switch_pid")
	done
	vhost_figure "loom-switch file descriptors: $fds0 before, $fds1 after" \
		"(sampled $((tries + 1)) times)"
	[ "$fds1" = "$fds0" ] || ls -l "/proc/$switch_pid/fd"
	[ "$fds1" = "$fds0" ]
}
vhost_check "no file descriptor leaked by $CYCLES cycles" fd_compare

# More frames than the switch's pool holds (8191 by default) go from the
# guest into the switch: all are taken, none refused for want of mbufs.
pool_check() {
	local mbufs rx0 rx1 tx1 refused nombuf1 pool_nombuf1 tries=200
	mbufs=$(sys_ctl show-config | python3 -c '
import json, sys
print(json.load(sys.stdin).get("datapath", {}).get("mbufs", 8191))')
	vhost_guest_stop vm1 TERM
	vhost_wait_link vm1 false 5 || return 1
	# Three times the pool offered, at least twice the pool taken: the
	# guest's ring may refuse some when the switch's worker is slow.
	local count=$((mbufs * 3))
	rx0=$(sys_counter ports.vm1.rx_packets)
	vhost_guest_start vm1 "$vm1_devargs" "$VM1_IP" --send-to "$A_MAC" \
		--rate 8000 --count "$count"
	vhost_guest_wait_connected vm1 10 || return 1
	while [ "$(vhost_guest_stat vm1 probes_sent)" -lt "$count" ] && [ $tries -gt 0 ]; do
		sleep 0.1
		tries=$((tries - 1))
	done
	sleep 0.5
	rx1=$(sys_counter ports.vm1.rx_packets)
	tx1=$(vhost_guest_stat vm1 tx)
	refused=$(vhost_guest_stat vm1 tx_failed)
	nombuf1=$(vhost_port_field vm1 'value["device_stats"]["rx_nombuf"]')
	pool_nombuf1=$(vhost_port_field a 'value["device_stats"]["rx_nombuf"]')
	vhost_figure "pool $mbufs mbufs; guest sent $tx1 frames ($refused refused by its ring);" \
		"switch took $((rx1 - rx0)) from vm1; rx_nombuf vm1 $nombuf0 -> $nombuf1," \
		"a $pool_nombuf0 -> $pool_nombuf1"
	# A refusal by the guest's ring is back-pressure (two shared CPUs);
	# a pool without free mbufs would stop the switch taking any at all.
	[ "$tx1" -ge $((mbufs * 2)) ] && [ $((rx1 - rx0)) = "$tx1" ] &&
		[ "$nombuf1" = "$nombuf0" ] && [ "$pool_nombuf1" = "$pool_nombuf0" ]
}
vhost_check "no mbuf lost: at least twice the pool passes from vm1 into the switch, rx_nombuf unchanged" \
	pool_check


tap_check "a pings vm1 after all that" sys_in a ping -c 3 -i 0.2 -W 2 "$VM1_IP"

# The other BD is untouched by vm1's comings and goings.
tap_check "c still pings vm2" sys_in c ping -c 3 -i 0.2 -W 2 "$VM2_IP"

# The pool's own count, quiet before and after (the mempool counts its
# per-lcore caches as available): a frame or two may still be in flight,
# never what 50 cycles of leaked bursts would hold.
in_use_compare() {
	sleep 0.5
	local in_use1
	in_use1=$(pool_in_use)
	vhost_figure "mbufs in use: $in_use0 before the cycles, $in_use1 after"
	[ $((in_use1 - in_use0)) -le 64 ]
}
vhost_check "the pool's mbufs in use are back where they were" in_use_compare

qemu_args() {
	local text
	text=$(sys_ctl qemu-args port=vm1) || return 1
	echo "$text"
	if [ "$role" = client ]; then
		grep -q 'server=on' <<<"$text" || return 1
	else
		! grep -q 'server=on' <<<"$text" || return 1
	fi
	grep -q "path=$SYS_TMP/vm1.sock" <<<"$text" &&
		grep -q 'memory-backend-memfd' <<<"$text" &&
		grep -q 'share=on' <<<"$text"
}
tap_check "qemu-args for vm1 names its socket and QEMU's role ($role)" qemu_args

tap_check "loom-switch stops cleanly on SIGTERM with guests connected" sys_switch_stop

stop_guests() {
	vhost_guest_stop vm1 TERM
	vhost_guest_stop vm2 TERM
}
tap_check "guests stop" stop_guests

vhost_cleanup
left=$(sys_leftovers; ls -d "/var/run/dpdk/loomsys-$SYS_PREFIX"-* 2>/dev/null)
if [ -z "$left" ]; then
	tap_ok "nothing left: namespaces, veths, processes, sockets, files"
else
	tap_not_ok "nothing left: namespaces, veths, processes, sockets, files"
	printf '%s\n' "$left" | tap_diag
fi
[ "$SYS_TAP_FAILED" = 0 ]

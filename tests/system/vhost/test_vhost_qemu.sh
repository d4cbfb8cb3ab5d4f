#!/bin/bash
# System test: a real QEMU guest (TCG, no KVM here) with a virtio-net NIC
# on a vhost-user port of loom-switch pings a namespace host, and the host
# pings it back; in both roles of the switch:
#
#   host a (198.18.0.1) --af_packet-- [BD one] --vhost-- vm1 (198.18.0.21)
#                                             \--vhost-- vm2 (198.18.0.22)
#   vm1: the switch is the vhost-user server, QEMU connects;
#   vm2: the switch is the client (client=1), QEMU listens (server=on).
#
# The QEMU command line is what `loomctl switch qemu-args port=... tcg=true`
# prints (memfd shared memory, chardev, netdev, virtio-net-pci with
# vectors=0, which QEMU 7.2 needs under TCG) plus kernel, initramfs and
# serial console.
#
# The guest: a Debian cloud kernel, downloaded once with `apt-get
# download` and unpacked with `dpkg-deb -x` into $LOOM_TEST_CACHE
# (/var/cache/loom-test; kept between runs), and a busybox initramfs built
# here: /init loads the virtio modules, gives eth0 its address, pings host
# a and prints the result on the serial console, stays up 30 s for host a
# to ping it, then powers off. Needs qemu-system-x86, busybox-static and
# cpio; skips (TAP SKIP with the reason) without them or without a kernel.
. "${LOOM_SOURCE_DIR:-$(dirname "$0")/../../..}/tests/system/lib.sh"
. "${LOOM_SOURCE_DIR:-$(dirname "$0")/../../..}/tests/system/vhost/vhost_lib.sh"

sys_init vhq
vhost_init

QEMU=qemu-system-x86_64
BUSYBOX=/bin/busybox
for tool in "$QEMU" cpio busybox; do
	if ! command -v "$tool" >/dev/null; then
		echo "1..0 # SKIP $tool is not installed (qemu-system-x86, cpio, busybox-static)"
		exit 0
	fi
done
if ! file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' &&
	! ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic executable'; then
	echo "1..0 # SKIP $BUSYBOX is not static (install busybox-static)"
	exit 0
fi

# ---- the kernel, from the cache or downloaded once -------------------------
CACHE=${LOOM_TEST_CACHE:-/var/cache/loom-test}/kernel
KERNEL_REASON=""
kernel_find() {
	KERNEL=$(ls "$CACHE"/root/boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)
	[ -n "$KERNEL" ] || return 1
	KERNEL_VERSION=${KERNEL##*/vmlinuz-}
	MODULES="$CACHE/root/lib/modules/$KERNEL_VERSION/kernel"
	[ -f "$MODULES/drivers/net/virtio_net.ko" ]
}
kernel_download() {
	local package
	mkdir -p "$CACHE" || { KERNEL_REASON="cannot make $CACHE"; return 1; }
	package=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' 2>/dev/null |
		awk '{print $1}' | sort -V | tail -n 1)
	if [ -z "$package" ]; then
		KERNEL_REASON="apt-cache knows no linux-image-6.1.0-*-cloud-amd64 (apt-get update?)"
		return 1
	fi
	# apt-get download writes into the current directory; as root it
	# warns that _apt cannot write there, which is harmless.
	if ! (cd "$CACHE" && timeout 300 apt-get download "$package") >"$SYS_TMP/apt.log" 2>&1; then
		KERNEL_REASON="apt-get download $package failed: $(grep -m1 -E '^(E|Err)' "$SYS_TMP/apt.log")"
		return 1
	fi
	rm -rf "$CACHE/root.new"
	if ! dpkg-deb -x "$CACHE/${package}"_*.deb "$CACHE/root.new"; then
		KERNEL_REASON="dpkg-deb -x of $package failed"
		rm -rf "$CACHE/root.new"
		return 1
	fi
	rm -rf "$CACHE/root"
	mv "$CACHE/root.new" "$CACHE/root"
}
# Two runs at once share the cache: one downloads, the other waits.
mkdir -p "$CACHE" 2>/dev/null
exec {cache_lock}>>"$CACHE.lock" 2>/dev/null || cache_lock=""
[ -n "$cache_lock" ] && flock "$cache_lock"
if ! kernel_find; then
	kernel_download && kernel_find ||
		KERNEL_REASON=${KERNEL_REASON:-"no vmlinuz/virtio_net.ko in the unpacked package"}
fi
[ -n "$cache_lock" ] && flock -u "$cache_lock"
if [ -n "$KERNEL_REASON" ]; then
	echo "1..0 # SKIP no guest kernel: $KERNEL_REASON"
	exit 0
fi

tap_plan 13

# ---- the initramfs ------------------------------------------------------------
HOST_IP=198.18.0.1
# virtio_net and what it needs, in load order (no modules.dep in the
# unpacked package: depmod never ran).
GUEST_MODULES="drivers/virtio/virtio_ring drivers/virtio/virtio
drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev
drivers/virtio/virtio_pci net/core/failover drivers/net/net_failover
drivers/net/virtio_net"

initramfs_build() { # NAME GUEST_IP
	local name=$1 guest_ip=$2 root="$SYS_TMP/$1-root" module
	mkdir -p "$root"/{bin,dev,proc,sys,lib/modules} || return 1
	cp "$BUSYBOX" "$root/bin/busybox" || return 1
	for module in $GUEST_MODULES; do
		cp "$MODULES/$module.ko" "$root/lib/modules/" || return 1
	done
	cat >"$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for module in $(for m in $GUEST_MODULES; do printf '%s ' "${m##*/}"; done); do
	insmod /lib/modules/\$module.ko || echo "LOOM-INSMOD-FAILED \$module"
done
ip link set lo up
ip link set eth0 up || echo LOOM-NO-ETH0
ip addr add $guest_ip/24 dev eth0
echo "LOOM-GUEST-UP \$(cat /sys/class/net/eth0/address)"
if ping -c 5 -W 3 $HOST_IP; then
	echo LOOM-PING-OK
else
	echo LOOM-PING-FAILED
fi
sleep 30
poweroff -f
EOF
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) \
		>"$SYS_TMP/$name.cpio.gz"
}

built=1
initramfs_build vm1 198.18.0.21 || built=0
initramfs_build vm2 198.18.0.22 || built=0
if [ $built = 1 ]; then
	tap_ok "busybox initramfs built for two guests (kernel $KERNEL_VERSION)"
else
	tap_not_ok "busybox initramfs built for two guests (kernel $KERNEL_VERSION)"
fi

sys_host a "$HOST_IP/24" || echo "# host a not made"
config="fdb:
  age_seconds: 300
ports:
  - name: a
    devargs: net_af_packet0,iface=@PORT_a@,qpairs=1
  - name: vm1
    devargs: net_vhost0,iface=@DIR@/vm1.sock
  - name: vm2
    devargs: net_vhost1,iface=@DIR@/vm2.sock,client=1
bridge_domains:
  - name: one
    members:
      - port: a
      - port: vm1
      - port: vm2"
tap_check "loom-switch starts with a vhost-user server and a client port" \
	sys_switch_start "$config"

# qemu_start NAME MAC: QEMU with the arguments the switch prints.
qemu_start() {
	local name=$1 mac=$2 arguments
	arguments=$(sys_ctl qemu-args port="$name" tcg=true mac="$mac" memory_mb=256 |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["arguments"])') ||
		return 1
	echo "$arguments" >"$SYS_TMP/$name.qemu-args"
	# shellcheck disable=SC2086 # the arguments are words on purpose
	"$QEMU" -accel tcg -m 256M -smp 1 -nodefaults -display none \
		-no-reboot -kernel "$KERNEL" -initrd "$SYS_TMP/$name.cpio.gz" \
		-append "console=ttyS0 panic=-1 loglevel=4" \
		-serial "file:$SYS_TMP/$name.serial" $arguments \
		>"$SYS_TMP/$name.qemu.log" 2>&1 &
	local pid=$!
	SYS_PIDS+=("$pid")
	printf -v "VHOST_PID_$name" '%s' "$pid"
}

# serial_wait NAME PATTERN SECONDS: until the guest's console shows it.
serial_wait() {
	local name=$1 pattern=$2 tries=$(($3 * 10)) pid
	pid=$(vhost_guest_pid "$name")
	while [ $tries -gt 0 ]; do
		grep -q -- "$pattern" "$SYS_TMP/$name.serial" 2>/dev/null && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "QEMU exited"
			break
		fi
		sleep 0.1
		tries=$((tries - 1))
	done
	echo "no '$pattern' on $name's console; QEMU said:"
	tail -n 5 "$SYS_TMP/$name.qemu.log"
	echo "console:"
	tail -n 15 "$SYS_TMP/$name.serial" 2>/dev/null
	return 1
}

qemu_args_check() {
	local text
	text=$(sys_ctl qemu-args port=vm1 tcg=true) || return 1
	echo "$text"
	grep -q 'vectors=0' <<<"$text" && ! grep -q 'server=on' <<<"$text" &&
		text=$(sys_ctl qemu-args port=vm2 tcg=true) &&
		grep -q 'server=on' <<<"$text"
}
tap_check "qemu-args: vectors=0 under TCG; QEMU listens only for the client port" \
	qemu_args_check

boot() { # NAME MAC
	qemu_start "$1" "$2" || return 1
	serial_wait "$1" LOOM-GUEST-UP 120 || return 1
	vhost_figure "$1: $(grep -m1 LOOM-GUEST-UP "$SYS_TMP/$1.serial" | tr -d '\r')"
	vhost_wait_link "$1" true 10
}
guest_pings() { # NAME
	serial_wait "$1" 'LOOM-PING-' 60 || return 1
	vhost_figure "$1: $(grep -m1 'packets transmitted' "$SYS_TMP/$1.serial" | tr -d '\r')"
	grep -q LOOM-PING-OK "$SYS_TMP/$1.serial"
}

vhost_check "vm1 boots under TCG; the switch (server) sees its link up" \
	boot vm1 02:00:00:00:00:21
vhost_check "vm1 pings host a (result on its serial console)" guest_pings vm1
tap_check "host a pings vm1" sys_in a ping -c 3 -W 2 198.18.0.21

vhost_check "vm2 boots; the switch (client) connects to QEMU's socket, link up" \
	boot vm2 02:00:00:00:00:22
vhost_check "vm2 pings host a" guest_pings vm2
tap_check "host a pings vm2" sys_in a ping -c 3 -W 2 198.18.0.22
tap_check "host a pings both guests in turn (one BD)" \
	sys_in a sh -c "ping -c 2 -W 2 198.18.0.21 && ping -c 2 -W 2 198.18.0.22"

# The guests power off after 30 s; stop them now (SIGTERM, by PID): the
# switch sees both links go down.
guests_gone() {
	vhost_guest_stop vm1 TERM
	vhost_guest_stop vm2 TERM
	vhost_wait_link vm1 false 5 && vhost_wait_link vm2 false 5
}
tap_check "QEMU stopped: the switch sees both links down" guests_gone
tap_check "loom-switch stops cleanly on SIGTERM" sys_switch_stop

vhost_cleanup
left=$(sys_leftovers)
if [ -z "$left" ]; then
	tap_ok "nothing left: namespaces, veths, processes, sockets, files"
else
	tap_not_ok "nothing left: namespaces, veths, processes, sockets, files"
	printf '%s\n' "$left" | tap_diag
fi
[ "$SYS_TAP_FAILED" = 0 ]

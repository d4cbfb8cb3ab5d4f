# tests/system/vhost/vhost_lib.sh: helpers for the vhost-user system tests,
# on top of tests/system/lib.sh (source that first, then this, then call
# vhost_init after sys_init).
#
# Guests are vhost-guest processes (a DPDK net_virtio_user port standing
# in for a VM, see vhost_guest.c) started in the root namespace; each has
# its own EAL file prefix "loomsys-<prefix>-<guest>", its stats file and
# log in $SYS_TMP, and its PID in SYS_PIDS so that sys_cleanup stops it.
# vhost_cleanup (installed as the EXIT trap) also removes the guests' EAL
# directories.

VHOST_GUEST_PIDS=()

vhost_init() {
	VHOST_GUEST="$LOOM_BUILD_DIR/tests/system/vhost/vhost-guest"
	trap vhost_cleanup EXIT
}

vhost_cleanup() {
	sys_cleanup
	if [ -n "$SYS_PREFIX" ]; then
		rm -rf "/var/run/dpdk/loomsys-$SYS_PREFIX"-*
	fi
}

# vhost_json FILE EXPRESSION: prints a Python expression over the JSON in
# FILE (as `value`), e.g. vhost_json stats.json 'value["rx"]'.
vhost_json() {
	python3 -c '
import json, sys
with open(sys.argv[1]) as f:
    value = json.load(f)
print(eval(sys.argv[2]))' "$1" "$2"
}

# vhost_guest_start NAME DEVARGS IP [OPTIONS...]: starts a guest in the
# background; its PID is in VHOST_PID_<NAME> (and SYS_PIDS). Stats in
# $SYS_TMP/NAME.json, log in $SYS_TMP/NAME.log.
vhost_guest_start() {
	local name=$1 devargs=$2 ip=$3
	shift 3
	rm -f "$SYS_TMP/$name.json"
	"$VHOST_GUEST" --no-huge -m 128 --no-pci \
		--file-prefix "loomsys-$SYS_PREFIX-$name" --log-level='*:notice' \
		-- --port "$devargs" --ip "$ip" --stats "$SYS_TMP/$name.json" "$@" \
		>>"$SYS_TMP/$name.log" 2>&1 &
	local pid=$!
	SYS_PIDS+=("$pid")
	printf -v "VHOST_PID_$name" '%s' "$pid"
}

vhost_guest_pid() { local v="VHOST_PID_$1"; echo "${!v:-}"; }

# vhost_guest_stat NAME COUNTER: a figure from the guest's stats file.
vhost_guest_stat() { vhost_json "$SYS_TMP/$1.json" "value['$2']"; }

# vhost_guest_wait_connected NAME [SECONDS]: until the guest's device is up.
vhost_guest_wait_connected() {
	local name=$1 tries=$((${2:-10} * 10))
	while [ $tries -gt 0 ]; do
		if [ -s "$SYS_TMP/$name.json" ] &&
			[ "$(vhost_guest_stat "$name" connected)" = True ]; then
			return 0
		fi
		sleep 0.1
		tries=$((tries - 1))
	done
	echo "guest $name did not connect"
	tail -n 5 "$SYS_TMP/$name.log"
	return 1
}

# vhost_guest_stop NAME [SIGNAL]: stops a guest by its PID (SIGTERM: a
# clean disconnect; SIGKILL: a crash) and waits for it.
vhost_guest_stop() {
	local pid signal=${2:-TERM} tries=0
	pid=$(vhost_guest_pid "$1")
	[ -n "$pid" ] || return 1
	kill "-$signal" "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $tries -lt 100 ]; do
		sleep 0.1
		tries=$((tries + 1))
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# vhost_port_field PORT EXPRESSION: a field of one port in show-ports
# (as `value`), e.g. vhost_port_field vm1 'value["link_up"]'.
vhost_port_field() {
	sys_ctl show-ports | python3 -c '
import json, sys
for value in json.load(sys.stdin):
    if value["name"] == sys.argv[1]:
        print(eval(sys.argv[2]))' "$1" "$2"
}

# vhost_wait_link PORT true|false [SECONDS]: until the switch sees the
# port's link in that state (it reads link state once a second).
vhost_wait_link() {
	local port=$1 want=$2 tries=$((${3:-10} * 10)) now
	[ "$want" = true ] && want=True || want=False
	while [ $tries -gt 0 ]; do
		now=$(vhost_port_field "$port" 'value["link_up"]')
		[ "$now" = "$want" ] && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	echo "port $port: link_up is $now, expected $want"
	return 1
}

# vhost_fd_count PID: open file descriptors of a process.
vhost_fd_count() { ls "/proc/$1/fd" | wc -l; }

# vhost_figure TEXT...: a figure worth seeing in the TAP output even when
# the check passes (tap_check shows a passing command's output nowhere);
# vhost_check prints the figures gathered during its check as comments.
vhost_figure() { echo "$*" >>"$SYS_TMP/figures"; }

vhost_check() {
	tap_check "$@"
	if [ -s "$SYS_TMP/figures" ]; then
		tap_diag <"$SYS_TMP/figures"
	fi
	rm -f "$SYS_TMP/figures"
}

# vhost_switch_log: the switch's log as TAP comments (last lines).
vhost_switch_log() { tail -n "${1:-20}" "$SYS_TMP/switch.log" | tap_diag; }

# tests/system/lib.sh: helpers for system tests (bash, TAP output, root).
#
# A system test sources this file, calls sys_init with a short prefix of
# its own, and then builds hosts (network namespaces) joined to the switch
# by veth pairs, starts loom-switch, and reports TAP cases:
#
#   . "$LOOM_SOURCE_DIR/tests/system/lib.sh"
#   sys_init two                 # prefix; needs root, else "1..0 # SKIP"
#   tap_plan 5
#   sys_host a 198.18.0.1/24     # namespace + veth; switch side: $(sys_port a)
#   sys_switch_start "$config"   # @PREFIX@, @SOCKET@, @DIR@, @PORT_a@ ...
#   tap_check "a pings b" sys_in a ping -c 3 -W 2 198.18.0.2
#
# Everything is named "<prefix><pid>..." (interface names stay within 15
# characters), addresses come from 198.18.0.0/15 only (RFC 2544 benchmark
# space), and every namespace, veth, process (by PID) and temporary file
# made here is removed on exit, on failure and on Ctrl-C (trap). Offloads
# are off on both ends of every veth (a software switch sees the frames
# the kernel would otherwise segment or checksum later).

set -u

SYS_PREFIX=""
SYS_TMP=""
SYS_HOSTS=()
SYS_LINKS=()
SYS_PIDS=()
SYS_SWITCH_PID=""
SYS_TAP_COUNT=0
SYS_TAP_FAILED=0
SYS_CLEANED=0

# ---- TAP ------------------------------------------------------------------
tap_plan() { echo "1..$1"; }

tap_ok() {
	SYS_TAP_COUNT=$((SYS_TAP_COUNT + 1))
	echo "ok $SYS_TAP_COUNT - $*"
}

tap_not_ok() {
	SYS_TAP_COUNT=$((SYS_TAP_COUNT + 1))
	SYS_TAP_FAILED=$((SYS_TAP_FAILED + 1))
	echo "not ok $SYS_TAP_COUNT - $*"
}

tap_skip() { # DESCRIPTION REASON
	SYS_TAP_COUNT=$((SYS_TAP_COUNT + 1))
	echo "ok $SYS_TAP_COUNT - $1 # SKIP $2"
}

tap_diag() { sed 's/^/# /'; }

# tap_check DESCRIPTION COMMAND...: ok when the command succeeds; its
# output becomes TAP comments when it fails. The command runs in this
# shell (not a subshell), so what it records (PIDs) stays recorded.
tap_check() {
	local description=$1 output="${SYS_TMP:-/tmp}/tap-output.$$"
	shift
	if "$@" >"$output" 2>&1; then
		tap_ok "$description"
	else
		tap_not_ok "$description"
		tail -n 20 "$output" | tap_diag
	fi
	rm -f "$output"
}

# tap_check_fails DESCRIPTION COMMAND...: ok when the command fails.
tap_check_fails() {
	local description=$1 output="${SYS_TMP:-/tmp}/tap-output.$$"
	shift
	if "$@" >"$output" 2>&1; then
		tap_not_ok "$description"
		tail -n 20 "$output" | tap_diag
	else
		tap_ok "$description"
	fi
	rm -f "$output"
}

# ---- set-up and clean-up --------------------------------------------------

# sys_init PREFIX: PREFIX is at most 4 characters of [a-z0-9].
sys_init() {
	local short=$1
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP system tests need root (network namespaces)"
		exit 0
	fi
	for tool in ip ethtool; do
		if ! command -v "$tool" >/dev/null; then
			echo "1..0 # SKIP $tool is not installed"
			exit 0
		fi
	done
	SYS_PREFIX="${short:0:4}$(($$ % 100000))"
	SYS_TMP=$(mktemp -d "/tmp/loom-sys-$SYS_PREFIX.XXXXXX")
	trap sys_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	LOOM_BUILD_DIR=${LOOM_BUILD_DIR:-$PWD}
	SYS_SWITCH="$LOOM_BUILD_DIR/datapath/loom-switch"
	SYS_LOOMCTL="$LOOM_BUILD_DIR/control/loomctl"
}

sys_namespace() { echo "${SYS_PREFIX}$1"; }
sys_port() { echo "${SYS_PREFIX}$1s"; }

# sys_host NAME ADDRESS/LENGTH [MTU]: a namespace "<prefix>NAME" whose
# eth0 is a veth whose peer "<prefix>NAMEs" stays here for the switch.
sys_host() {
	local name=$1 address=$2 mtu=${3:-1500}
	local ns host_end switch_end
	ns=$(sys_namespace "$name")
	host_end="${SYS_PREFIX}${name}h"
	switch_end=$(sys_port "$name")
	if [ ${#switch_end} -gt 15 ] || [ ${#host_end} -gt 15 ]; then
		echo "# interface name too long: $switch_end" >&2
		return 1
	fi
	case "$address" in
	198.18.* | 198.19.*) ;;
	*) echo "# $address is not in 198.18.0.0/15" >&2; return 1 ;;
	esac
	ip netns add "$ns" || return 1
	SYS_HOSTS+=("$ns")
	ip link add "$switch_end" type veth peer name "$host_end" || return 1
	SYS_LINKS+=("$switch_end")
	ip link set "$host_end" netns "$ns" || return 1
	ip -n "$ns" link set "$host_end" name eth0 || return 1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	sysctl -qw "net.ipv6.conf.$switch_end.disable_ipv6=1"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 mtu "$mtu" up || return 1
	ip -n "$ns" addr add "$address" dev eth0 || return 1
	ip link set "$switch_end" mtu "$mtu" up || return 1
	ip netns exec "$ns" ethtool -K eth0 tx off rx off tso off gso off gro off \
		>/dev/null 2>&1
	ethtool -K "$switch_end" tx off rx off tso off gso off gro off \
		>/dev/null 2>&1
	return 0
}

# sys_in HOST COMMAND...: runs a command in a host's namespace.
sys_in() {
	local ns
	ns=$(sys_namespace "$1")
	shift
	ip netns exec "$ns" "$@"
}

# sys_background HOST COMMAND...: starts a command in a host, in the
# background; its PID (in SYS_LAST_PID) is remembered for clean-up. Call
# it directly, not in $(...): the PID must reach this shell.
sys_background() {
	local ns
	ns=$(sys_namespace "$1")
	shift
	# Output to a file: stdout is the TAP stream.
	ip netns exec "$ns" "$@" >>"$SYS_TMP/background.log" 2>&1 &
	SYS_LAST_PID=$!
	SYS_PIDS+=("$SYS_LAST_PID")
}

# sys_switch_start CONFIG: writes the configuration (with @PREFIX@,
# @SOCKET@, @DIR@ and @PORT_<host>@ replaced), starts loom-switch and
# waits until its control socket answers. Adds eal/control sections when
# the text has none.
sys_switch_start() {
	local text=$1 config="$SYS_TMP/switch.yaml" host
	SYS_SWITCH_PREFIX="loomsys-$SYS_PREFIX"
	SYS_SOCKET="$SYS_TMP/switch.sock"
	text=${text//@PREFIX@/$SYS_SWITCH_PREFIX}
	text=${text//@SOCKET@/$SYS_SOCKET}
	text=${text//@DIR@/$SYS_TMP}
	for ns in "${SYS_HOSTS[@]}"; do
		host=${ns#"$SYS_PREFIX"}
		text=${text//@PORT_${host}@/$(sys_port "$host")}
	done
	{
		grep -q '^eal:' <<<"$text" ||
			printf 'eal:\n  file_prefix: %s\n  memory_mb: 128\n' \
				"$SYS_SWITCH_PREFIX"
		grep -q '^control:' <<<"$text" ||
			printf 'control:\n  socket: %s\n' "$SYS_SOCKET"
		printf '%s\n' "$text"
	} >"$config"
	local attempt
	for attempt in 1 2 3; do
		sys_switch_launch "$config" && return 0
		# DPDK 22.11's af_packet PMD names its PACKET_FANOUT group
		# (pid ^ ifindex): two switches in one network namespace can
		# collide and the second fails to start. A new process gets a
		# new pid; anything else is a real failure.
		grep -q 'could not set PACKET_FANOUT' "$SYS_TMP/switch.log" || break
		tap_diag <<<"fanout group collision (attempt $attempt), starting again"
	done
	tap_diag <"$SYS_TMP/switch.log"
	return 1
}

# sys_forget_pid PID: an exited process leaves the cleanup list (its pid
# may be reused by a stranger).
sys_forget_pid() {
	local keep=() pid
	for pid in "${SYS_PIDS[@]}"; do
		[ "$pid" = "$1" ] || keep+=("$pid")
	done
	SYS_PIDS=("${keep[@]}")
}

# sys_switch_launch CONFIG: one attempt of sys_switch_start.
sys_switch_launch() {
	"$SYS_SWITCH" --config "$1" >"$SYS_TMP/switch.log" 2>&1 &
	SYS_SWITCH_PID=$!
	SYS_PIDS+=("$SYS_SWITCH_PID")
	local tries=0
	while [ $tries -lt 300 ]; do
		if ! kill -0 "$SYS_SWITCH_PID" 2>/dev/null; then
			wait "$SYS_SWITCH_PID" 2>/dev/null
			sys_forget_pid "$SYS_SWITCH_PID"
			return 1
		fi
		if "$SYS_LOOMCTL" switch -s "$SYS_SOCKET" version >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
		tries=$((tries + 1))
	done
	return 1
}

# sys_ctl COMMAND [NAME=VALUE...]: a request to the running switch.
sys_ctl() { "$SYS_LOOMCTL" switch -s "$SYS_SOCKET" --json "$@"; }

# sys_counter PATH: e.g. ports.a.tx_packets (jq-free: python3).
sys_counter() {
	sys_ctl counters | python3 -c '
import json, sys
value = json.load(sys.stdin)
for part in sys.argv[1].split("."):
    value = value[part]
print(value)' "$1"
}

# sys_switch_stop: SIGTERM, then wait up to 20 s (SIGKILL and failure if
# it hangs). Returns the switch's exit status.
sys_switch_stop() {
	[ -n "$SYS_SWITCH_PID" ] || return 1
	local pid=$SYS_SWITCH_PID tries=0 status
	SYS_SWITCH_PID=""
	kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $tries -lt 200 ]; do
		# A zombie still answers kill -0: reap it with wait below.
		if [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ]; then
			break
		fi
		sleep 0.1
		tries=$((tries + 1))
	done
	if [ $tries -ge 200 ]; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 1
	fi
	wait "$pid"
	status=$?
	return $status
}

# sys_cleanup: kills every process started here (by PID), deletes every
# namespace and veth, removes the temporary files. Idempotent; runs on
# exit (trap).
sys_cleanup() {
	[ "$SYS_CLEANED" = 1 ] && return 0
	SYS_CLEANED=1
	local pid ns link
	for pid in "${SYS_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${SYS_PIDS[@]}"; do
		local tries=0
		while kill -0 "$pid" 2>/dev/null && [ $tries -lt 50 ]; do
			sleep 0.1
			tries=$((tries + 1))
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	SYS_PIDS=()
	for ns in "${SYS_HOSTS[@]}"; do
		# Processes still in the namespace (started by tools we ran).
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns delete "$ns" 2>/dev/null
	done
	SYS_HOSTS=()
	for link in "${SYS_LINKS[@]}"; do
		ip link delete "$link" 2>/dev/null
	done
	SYS_LINKS=()
	if [ -n "$SYS_TMP" ]; then
		rm -rf "$SYS_TMP"
	fi
	if [ -n "$SYS_PREFIX" ]; then
		rm -rf "/var/run/dpdk/loomsys-$SYS_PREFIX"
	fi
	return 0
}

# sys_leftovers: prints what is left with this test's prefix (namespaces,
# links, processes, files); prints nothing when clean.
sys_leftovers() {
	ip netns list | awk '{print $1}' | grep "^$SYS_PREFIX" | sed 's/^/namespace /'
	ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' |
		grep "^$SYS_PREFIX" | sed 's/^/link /'
	pgrep -af "loomsys-$SYS_PREFIX|$SYS_TMP" | grep -v "pgrep" |
		sed 's/^/process /'
	[ -e "$SYS_TMP" ] && echo "directory $SYS_TMP"
	[ -e "/var/run/dpdk/loomsys-$SYS_PREFIX" ] &&
		echo "directory /var/run/dpdk/loomsys-$SYS_PREFIX"
	return 0
}

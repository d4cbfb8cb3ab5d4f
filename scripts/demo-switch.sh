#!/usr/bin/env bash
# One loom-switch on its own: sets everything up, then runs loom-switch on a
# sample traffic story (pcap files in, pcap files out) and shows what it
# did: learning, flooding, VLAN translation, bridge-domain isolation, the
# FDB, a trace, the counters, and a verdict. (Loom's whole story, the
# control plane too, is scripts/demo.sh.)
#
#   scripts/demo-switch.sh [--keep]     (--keep leaves the work directory)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
keep=""
[ "${1:-}" = "--keep" ] && keep=1

step() { printf '\n== %s\n' "$*"; }

step "Setting up (Debian packages, build)"
if [ "$(id -u)" -eq 0 ]; then ./scripts/setup-deps.sh; else ./scripts/setup-deps.sh --check; fi
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build datapath/loom-switch control/loomctl >/dev/null
switch=build/datapath/loom-switch
ctl=build/control/loomctl

work=$(mktemp -d /tmp/loom-demo.XXXXXX)
prefix="loom-demo-$$"
sock="$work/switch.sock"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi
  rm -rf "/var/run/dpdk/$prefix"
  if [ -z "$keep" ]; then rm -rf "$work"; else echo "work directory kept: $work"; fi
}
trap cleanup EXIT

step "The story (frames written to pcap files, one per switch port)"
python3 scripts/demo-story.py "$work"

cat >"$work/switch.yaml" <<YAML
# Four ports in two bridge domains. p1 is a trunk of sorts: untagged it is
# in "red", VLAN 100 on it is in "blue". One worker polls the ports in
# order (p0, p1, p2, p3) and each file holds less than a burst, so the
# story plays in order.
eal: {file_prefix: $prefix, memory_mb: 128}
control: {socket: $sock}
fdb: {clock: manual}
ports:
  - {name: p0, devargs: "net_pcap0,rx_pcap=$work/in0.pcap,tx_pcap=$work/out0.pcap"}
  - {name: p1, devargs: "net_pcap1,rx_pcap=$work/in1.pcap,tx_pcap=$work/out1.pcap"}
  - {name: p2, devargs: "net_pcap2,rx_pcap=$work/in2.pcap,tx_pcap=$work/out2.pcap"}
  - {name: p3, devargs: "net_pcap3,rx_pcap=$work/in3.pcap,tx_pcap=$work/out3.pcap"}
bridge_domains:
  - name: red
    members: [{port: p0}, {port: p1}]
  - name: blue
    members: [{port: p2}, {port: p3}, {port: p1, vid: 100}]
    static_macs: [{mac: "02:00:00:00:00:0d", port: p3}]
YAML

step "Starting loom-switch ($switch --config $work/switch.yaml)"
$switch --config "$work/switch.yaml" >"$work/switch.out" 2>"$work/switch.err" &
pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { cat "$work/switch.err"; exit 1; }

rx_of() { # port -> rx_packets
  $ctl switch -s "$sock" --json counters | python3 -c \
    "import json,sys; print(json.load(sys.stdin)['ports']['$1']['rx_packets'])"
}
for port in p0 p1 p2 p3; do
  want=$(python3 -c "import sys; sys.path.insert(0,'scripts'); import pcapgen; print(len(pcapgen.read_pcap('$work/in${port#p}.pcap')))")
  for _ in $(seq 100); do [ "$(rx_of $port)" -ge "$want" ] && break; sleep 0.05; done
  echo "port $port: $want frames received"
done

step "What the switch learned (loomctl switch fdb-show)"
$ctl switch -s "$sock" --json fdb-show | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    print("  %-5s %s on %-8s (%s)" % (e["bd"], e["mac"], e["member"], e["type"]))'

step "What it would do with a new frame from host A to host B (loomctl switch trace)"
frame=$(python3 -c "import sys; sys.path.insert(0,'scripts'); import pcapgen; print(pcapgen.udp_frame('02:00:00:00:00:0b','02:00:00:00:00:0a').hex())")
$ctl switch -s "$sock" --json trace port=p0 frame="$frame" | python3 -c '
import json, sys
t = json.load(sys.stdin)
print("  bridge domain %s, %s -> %s" % (t["bd"], t["action"], ", ".join(o["port"] for o in t["outputs"]) or "-"))'

step "Stopping (SIGTERM closes the ports; the summary is the switch's own)"
kill -TERM "$pid"; wait "$pid"; pid=""
cat "$work/switch.out"

step "Checking every output frame against the story"
python3 scripts/demo-story.py --check "$work"

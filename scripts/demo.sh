#!/usr/bin/env bash
# Loom's whole story on one machine: sets everything up (Debian packages,
# meson build of loom-switch, loom-inp and loomctl), then scripts/demo.py
# runs it in six steps:
#   1. an emulated substrate: five loom-switches, each in its own network
#      namespace, veth links with VLAN tags and one over VXLAN; loom-inp;
#   2. two tenants: SP 1's VNet in Loom's XML, SP 2's a GENI RSpec v3
#      request, both with the same IP addresses (scripts/demo/);
#   3. the manifests, pings inside each VNet and across, per-slice counters;
#   4. a substrate link on a used path down: re-embedded, reachable again;
#   5. an SVG picture of the substrate with both embeddings;
#   6. both VNets deleted, all resources free, everything stopped.
# One line per check, then "demo: PASSED (N checks)" or "demo: FAILED: ...".
#
#   scripts/demo.sh [--keep]    (--keep leaves the lab and loom-inp running,
#                                and says how to explore them with loomctl)
#   LOOM_BUILD_DIR=DIR scripts/demo.sh    (another build directory)
#
# The single-switch pcap story this script used to tell is
# scripts/demo-switch.sh.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${LOOM_BUILD_DIR:-build}

echo "== Setting up (Debian packages; build in $build/)"
if [ "$(id -u)" -eq 0 ]; then
  ./scripts/setup-deps.sh
else
  ./scripts/setup-deps.sh --check || true
  echo "demo: FAILED: needs root (network namespaces); run: sudo $0 $*"
  exit 1
fi
log=$(mktemp /tmp/loom-demo-build.XXXXXX.log)
if [ ! -f "$build/build.ninja" ]; then
  # The same options as scripts/test.sh, so both share the build.
  meson setup "$build" -Dbuildtype=debugoptimized >"$log" 2>&1 ||
    { tail -n 40 "$log"; echo "demo: FAILED: meson setup (log: $log)"; exit 1; }
fi
ninja -C "$build" datapath/loom-switch control/loom-inp control/loomctl \
    >"$log" 2>&1 ||
  { tail -n 40 "$log"; echo "demo: FAILED: build (log: $log)"; exit 1; }
rm -f "$log"
echo "== Built: $build/datapath/loom-switch, $build/control/loom-inp, $build/control/loomctl"
echo

exec /usr/bin/python3 scripts/demo.py --build "$build" "$@"

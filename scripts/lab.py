#!/usr/bin/python3
"""lab.py: an emulated Loom substrate on this machine.

    lab.py up SUBSTRATE.yaml --prefix P --dir D [--build BUILD_DIR]
    lab.py status --dir D [--json]
    lab.py link --dir D LINK down|up
    lab.py down --dir D

`up` turns a substrate file (topo/'s YAML, see topo/examples/substrate.yaml)
into network namespaces and loom-switch processes:

  - per substrate node: a namespace "P-<node>" (characters outside
    [A-Za-z0-9_.-] become '_') running one loom-switch whose ports are the
    node's substrate ports, each an af_packet port on an interface of the
    same name in that namespace;
  - per pair of connected ports: a veth pair, one end in each node's
    namespace, named as the port (several links between the same two
    ports, told apart by their VLANs or VNIs, share it), MTU 9000,
    offloads off;
  - ip links: the underlay is the direct veth, and the VTEP addresses of
    provisioning's convention (198.18.0.(i+1)/15 for node index i) are
    on-link, so the switches find each other by ARP. When one node's ip
    port has links to several nodes, every ip port joins one Linux bridge
    in the namespace "P-ipnet" instead (an IP network all VTEPs share);
  - a port without links: one end of a veth whose other end ("unlinked<n>")
    stays beside it (the switch's port exists, as the substrate says, but
    carries nothing).

A node with ip links gets provisioning's VTEP in its config: on its ip
port, address 198.18.0.(i+1)/15 (i: the node's index in the file), MTU
--vtep-mtu (1600: a guest's 1500-byte frame is 1550 bytes of outer IP).
Provisioning's merge keeps the base's VTEP, MTU included.

It writes into D: one loom-switch config per node (<node>.yaml), its log
(<node>.log), pid (<node>.pid) and control socket (<node>.sock);
substrate.yaml (the input with each node's `control:` set to its socket),
inp.yaml for loom-inp (store, a free loopback port, operator token file,
per node the namespace its switch runs in, host namespaces named "P-...")
and url (loom-inp's address); lab.json, the state `down` and `status` read.

What cannot be emulated is refused before anything is made: a port whose
links go to different ports, a link from a node to itself, a node with ip
links on more than one port or an ip port that also carries ethernet links
(the switch has one VTEP on one underlay port, not a member of any BD), a
port name that is no Linux interface name (1..15 of [A-Za-z0-9_.-]), a
node without ports (loom-switch needs at least one).

`link` cuts or restores a link's wire: both ends of its veth go down or
up, and frames stop crossing (links sharing that wire, with other VLAN
ranges, go with it). The switches see their ports' link go down (they
read an af_packet port's kernel operstate), and loom-inp, which reads
the switches' ports, takes the substrate link down and re-embeds.

`down` stops the switches by PID (SIGTERM, then SIGKILL after --timeout
seconds; a PID is signalled only while it is still the switch lab.py
started), kills what still runs in the lab's namespaces, deletes every
namespace whose name starts with "P-" (the nodes', P-ipnet and the host
namespaces loom-inp made), removes /var/run/dpdk/P-* and the sockets and
pid files. Logs, configs and the store stay in D. It is idempotent and
safe after a crash (lab.json is written before anything is started).

Needs root (namespaces), iproute2, ethtool and python3-yaml.
"""

import argparse
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

try:
    import yaml
except ImportError:
    sys.exit("lab.py: python3-yaml is missing (apt-get install python3-yaml)")

STATE = "lab.json"
IFNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
VETH_MTU = 9000
SOCKET_PATH_MAX = 107
NETNS_MAX = 63  # loom-inp keeps namespace names in 64 bytes
IPNET = "ipnet"


class LabError(Exception):
    pass


def log(message):
    print("lab: " + message, file=sys.stderr, flush=True)


def run(argv, check=True):
    """Runs a command (no shell); raises LabError with its stderr."""
    result = subprocess.run(argv, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if check and result.returncode != 0:
        raise LabError("%s: %s" % (" ".join(argv),
                                   result.stderr.strip() or
                                   "exit status %d" % result.returncode))
    return result


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


# ---- the substrate, checked -------------------------------------------------

def split_endpoint(text, where):
    if not isinstance(text, str) or ":" not in text:
        raise LabError("%s: expected node:port, got %r" % (where, text))
    node, port = text.rsplit(":", 1)
    return node, port


def plan(substrate, prefix):
    """What to make: namespaces, veths, switch ports. Refuses what the
    lab cannot emulate (LabError naming the node, port or link)."""
    if not isinstance(substrate, dict) or "nodes" not in substrate:
        raise LabError("the substrate has no nodes")
    nodes = []
    ports = {}
    for index, node in enumerate(substrate.get("nodes") or []):
        node_id = str(node.get("id", ""))
        if not node_id:
            raise LabError("node %d has no id" % index)
        if node_id in ports:
            raise LabError("node %s appears twice" % node_id)
        node_ports = [str(p) for p in (node.get("ports") or [])]
        if not node_ports:
            raise LabError("node %s has no ports: loom-switch needs at "
                           "least one" % node_id)
        for port in node_ports:
            if not IFNAME_RE.match(port):
                raise LabError("node %s: port %r is no Linux interface "
                               "name (1..15 of [A-Za-z0-9_.-])" %
                               (node_id, port))
        if len(set(node_ports)) != len(node_ports):
            raise LabError("node %s: a port appears twice" % node_id)
        ports[node_id] = node_ports
        nodes.append(node_id)
    if not nodes:
        raise LabError("the substrate has no nodes")

    namespaces = {}
    used = set()
    for node_id in nodes:
        ns = (prefix + "-" + sanitize(node_id))[:NETNS_MAX]
        if ns in used:
            raise LabError("node %s: its namespace name %s is taken by "
                           "another node (names are sanitized and cut at "
                           "%d characters)" % (node_id, ns, NETNS_MAX))
        used.add(ns)
        namespaces[node_id] = ns
    ipnet_ns = prefix + "-" + IPNET

    # (node, port) -> set of (peer node, peer port); kinds per port
    peers = {}
    kinds = {}
    link_ends = {}  # link id -> ((node, port), (node, port))
    for index, link in enumerate(substrate.get("links") or []):
        where = "link %s" % link.get("id", index)
        a = split_endpoint(link.get("a"), where + ": a")
        b = split_endpoint(link.get("b"), where + ": b")
        for node_id, port in (a, b):
            if node_id not in ports:
                raise LabError("%s: no node %s" % (where, node_id))
            if port not in ports[node_id]:
                raise LabError("%s: node %s has no port %s" %
                               (where, node_id, port))
        if a[0] == b[0]:
            raise LabError("%s: a link from node %s to itself cannot be "
                           "emulated" % (where, a[0]))
        kind = str(link.get("kind", "ethernet"))
        if kind not in ("ethernet", "ip"):
            raise LabError("%s: unknown kind %s" % (where, kind))
        link_ends[str(link.get("id", index))] = (a, b)
        peers.setdefault(a, set()).add(b)
        peers.setdefault(b, set()).add(a)
        kinds.setdefault(a, set()).add(kind)
        kinds.setdefault(b, set()).add(kind)

    ip_port = {}
    for (node_id, port), port_kinds in sorted(kinds.items()):
        if "ip" not in port_kinds:
            continue
        if len(port_kinds) > 1:
            raise LabError("node %s port %s carries ip and ethernet links: "
                           "the VTEP's underlay port can be no BD member" %
                           (node_id, port))
        if node_id in ip_port:
            raise LabError("node %s has ip links on ports %s and %s: the "
                           "switch has one VTEP, on one port" %
                           (node_id, ip_port[node_id], port))
        ip_port[node_id] = port
    shared_ip = any(len(peers[(node_id, port)]) > 1
                    for node_id, port in ip_port.items())
    if shared_ip and ipnet_ns in used:
        raise LabError("a node's namespace is named %s, which the shared "
                       "ip network needs" % ipnet_ns)

    veths = []  # (ns_a, port_a, ns_b, port_b)
    bridged = []  # (ns, port) joined to the ip network's bridge
    dummies = []  # (ns, port, the other end's name)
    done = set()
    for node_id in nodes:
        taken = set()
        for port in ports[node_id]:
            endpoint = (node_id, port)
            if endpoint not in peers:
                other = next("unlinked%d" % i for i in range(1000)
                             if "unlinked%d" % i not in ports[node_id] and
                             "unlinked%d" % i not in taken)
                taken.add(other)
                dummies.append((namespaces[node_id], port, other))
                continue
            if shared_ip and node_id in ip_port and ip_port[node_id] == port:
                bridged.append((namespaces[node_id], port))
                continue
            if len(peers[endpoint]) > 1:
                raise LabError(
                    "node %s port %s has links to %s: one port, one peer "
                    "(a veth has two ends)" %
                    (node_id, port, ", ".join(
                        "%s:%s" % p for p in sorted(peers[endpoint]))))
            peer = next(iter(peers[endpoint]))
            if (peer, endpoint) in done:
                continue
            done.add((endpoint, peer))
            veths.append((namespaces[node_id], port,
                          namespaces[peer[0]], peer[1]))
    return {
        "nodes": nodes,
        "ports": ports,
        "namespaces": namespaces,
        "ipnet": ipnet_ns if shared_ip else None,
        "veths": veths,
        "bridged": bridged,
        "dummies": dummies,
        "ip_port": ip_port,
        "links": {
            link_id: {"a": [namespaces[a[0]], a[1]],
                      "b": [namespaces[b[0]], b[1]],
                      "shared": bool(shared_ip and kinds[a] == {"ip"}),
                      "same_wire": sorted(
                          other for other, ends in link_ends.items()
                          if other != link_id and set(ends) == {a, b})}
            for link_id, (a, b) in link_ends.items()},
    }


# ---- namespaces and links ---------------------------------------------------

def offloads_off(ns, dev):
    # A software switch must see frames as the wire carries them (TCP
    # breaks through af_packet with segmentation or checksum offloads).
    run(["ip", "netns", "exec", ns, "ethtool", "-K", dev, "tx", "off", "rx",
         "off", "tso", "off", "gso", "off", "gro", "off"], check=False)


def link_up(ns, dev, mtu):
    run(["ip", "-n", ns, "link", "set", "dev", dev, "mtu", str(mtu), "up"])
    offloads_off(ns, dev)


def namespace_add(ns):
    run(["ip", "netns", "add", ns])
    run(["ip", "netns", "exec", ns, "sysctl", "-qw",
         "net.ipv6.conf.all.disable_ipv6=1"], check=False)
    run(["ip", "netns", "exec", ns, "sysctl", "-qw",
         "net.ipv6.conf.default.disable_ipv6=1"], check=False)
    run(["ip", "-n", ns, "link", "set", "lo", "up"])


def build_network(layout):
    for node_id in layout["nodes"]:
        namespace_add(layout["namespaces"][node_id])
    for ns_a, port_a, ns_b, port_b in layout["veths"]:
        # Made directly in both namespaces: no temporary name in ours.
        run(["ip", "link", "add", "name", port_a, "netns", ns_a, "type",
             "veth", "peer", "name", port_b, "netns", ns_b])
        link_up(ns_a, port_a, VETH_MTU)
        link_up(ns_b, port_b, VETH_MTU)
    for ns, port, other in layout["dummies"]:
        # A veth whose other end stays beside it (no dummy driver in
        # every kernel): the port is up and nothing arrives.
        run(["ip", "-n", ns, "link", "add", "name", port, "type", "veth",
             "peer", "name", other])
        link_up(ns, port, VETH_MTU)
        link_up(ns, other, VETH_MTU)
    if layout["ipnet"]:
        ipnet = layout["ipnet"]
        namespace_add(ipnet)
        run(["ip", "-n", ipnet, "link", "add", "name", "br0", "type",
             "bridge"])
        for index, (ns, port) in enumerate(layout["bridged"]):
            outside = "n%d" % index
            run(["ip", "link", "add", "name", port, "netns", ns, "type",
                 "veth", "peer", "name", outside, "netns", ipnet])
            link_up(ns, port, VETH_MTU)
            link_up(ipnet, outside, VETH_MTU)
            run(["ip", "-n", ipnet, "link", "set", "dev", outside, "master",
                 "br0"])
        link_up(ipnet, "br0", VETH_MTU)


# ---- switches ---------------------------------------------------------------

def switch_config(args, layout, node_id, paths):
    ns = layout["namespaces"][node_id]
    lines = [
        "# loom-switch of substrate node %s, written by scripts/lab.py" %
        node_id,
        "eal:",
        "  memory_mb: %d" % args.memory_mb,
        "  file_prefix: %s" % ns,
        "  no_huge: true",
        "  no_pci: true",
        "datapath:",
        "  workers: 1",
        "  idle_sleep_max_us: %d" % args.idle_sleep_us,
        "  mbufs: %d" % args.mbufs,
        "control:",
        "  socket: %s" % json.dumps(paths["socket"]),
        "fdb:",
        "  capacity: 65536",
        "  age_seconds: 300",
        "# hybrid ports (no vlan key): provisioning's per-member VIDs",
        "ports:",
    ]
    for index, port in enumerate(layout["ports"][node_id]):
        lines.append("  - name: %s" % port)
        lines.append("    devargs: \"net_af_packet_lab%d,iface=%s,qpairs=1\"" %
                     (index, port))
    if node_id in layout["ip_port"]:
        # Provisioning's VTEP (same port and address, so the base's wins
        # and its MTU stays): a 1500-byte guest frame is 1550 bytes of
        # outer IP, more than the switch's default underlay MTU of 1500.
        lines += [
            "vtep:",
            "  port: %s" % layout["ip_port"][node_id],
            "  address: %s/15" % vtep_address(layout["nodes"].index(node_id)),
            "  mtu: %d" % args.vtep_mtu,
        ]
    return "\n".join(lines) + "\n"


def vtep_address(index):
    """Provisioning's convention: node index i has 198.18.0.0 + i + 1."""
    value = (198 << 24 | 18 << 16) + index + 1
    return ".".join(str(value >> shift & 255) for shift in (24, 16, 8, 0))


def node_paths(directory, node_id):
    base = os.path.join(directory, sanitize(node_id))
    return {
        "config": base + ".yaml",
        "log": base + ".log",
        "pid_file": base + ".pid",
        "socket": base + ".sock",
    }


def switch_request(path, command, timeout=2.0, **arguments):
    """One request on a switch's control socket; the reply object."""
    request = dict(arguments, command=command)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        sock.sendall((json.dumps(request) + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data)


def answers(path):
    try:
        return switch_request(path, "version", timeout=1.0).get("ok", False)
    except (OSError, ValueError):
        return False


def process_is(pid, config):
    """True while pid is the switch started with this config (a reused
    pid is never signalled)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as stream:
            argv = stream.read().split(b"\0")
        with open("/proc/%d/stat" % pid) as stream:
            state = stream.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and config.encode() in argv


def process_gone(pid):
    """True once pid has let go of everything: no such process, or a
    zombie. A process still exiting has an empty cmdline already (its
    memory is gone) but may still hold its files and their locks (a DPDK
    process's runtime files, which its successor must lock)."""
    try:
        with open("/proc/%d/stat" % pid) as stream:
            state = stream.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def switch_start(binary, ns, paths):
    for name in ("socket", "pid_file"):
        if os.path.exists(paths[name]):
            os.unlink(paths[name])
    with open(paths["log"], "ab") as out:
        process = subprocess.Popen(
            ["ip", "netns", "exec", ns, binary, "--config", paths["config"]],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    # ip netns exec execs the switch: the pid is the switch's.
    with open(paths["pid_file"], "w") as stream:
        stream.write("%d\n" % process.pid)
    paths["pid"] = process.pid
    return process


def switches_start(binary, layout, state, directory, timeout):
    pending = {}
    for node_id in layout["nodes"]:
        paths = state["switches"][node_id]
        open(paths["log"], "w").close()
        pending[node_id] = (switch_start(binary, paths["netns"], paths), 1)
    deadline = time.monotonic() + timeout
    while pending:
        for node_id, (process, attempt) in list(pending.items()):
            paths = state["switches"][node_id]
            if process.poll() is not None:
                with open(paths["log"], errors="replace") as stream:
                    text = stream.read()
                # DPDK 22.11's af_packet names its PACKET_FANOUT group
                # pid ^ ifindex: a collision is cured by a new pid.
                if "PACKET_FANOUT" in text and attempt < 3:
                    log("%s: fanout group collision, starting again" %
                        node_id)
                    pending[node_id] = (switch_start(binary, paths["netns"],
                                                     paths), attempt + 1)
                    continue
                tail = "\n".join(text.splitlines()[-15:])
                raise LabError("the switch of %s exited (status %d); %s:\n%s"
                               % (node_id, process.returncode, paths["log"],
                                  tail))
            if answers(paths["socket"]):
                del pending[node_id]
        if pending and time.monotonic() > deadline:
            raise LabError("no answer on the control socket of %s after "
                           "%g s (see their logs in %s)" %
                           (", ".join(sorted(pending)), timeout, directory))
        if pending:
            time.sleep(0.1)


# ---- files for loom-inp -----------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_inp_files(substrate, layout, state, directory, prefix):
    copy = dict(substrate)
    copy["nodes"] = []
    for node in substrate["nodes"]:
        node = dict(node)
        node["control"] = state["switches"][str(node["id"])]["socket"]
        copy["nodes"].append(node)
    with open(os.path.join(directory, "substrate.yaml"), "w") as stream:
        stream.write("# written by scripts/lab.py: the substrate with the "
                     "lab's control sockets\n")
        yaml.safe_dump(copy, stream, sort_keys=False,
                       default_flow_style=None)
    port = free_port()
    inp = {
        "substrate": os.path.join(directory, "substrate.yaml"),
        "store": os.path.join(directory, "inp.sqlite"),
        "listen": "127.0.0.1:%d" % port,
        "operator_token_file": os.path.join(directory, "operator.token"),
        "hosts": {"namespace_prefix": prefix,
                  "vhost_directory": os.path.join(directory, "vhost")},
        "switches": {"nodes": {
            node_id: {"netns": layout["namespaces"][node_id]}
            for node_id in layout["nodes"]}},
    }
    os.makedirs(inp["hosts"]["vhost_directory"], exist_ok=True)
    with open(os.path.join(directory, "inp.yaml"), "w") as stream:
        stream.write("# loom-inp's configuration for the lab, written by "
                     "scripts/lab.py:\n#   loom-inp --config %s\n" %
                     os.path.join(directory, "inp.yaml"))
        yaml.safe_dump(inp, stream, sort_keys=False)
    with open(os.path.join(directory, "url"), "w") as stream:
        stream.write("http://127.0.0.1:%d\n" % port)


# ---- commands ---------------------------------------------------------------

def log_tails(directory, count):
    """(path relative to directory, its last `count` lines) of every *.log
    under directory, in name order: what a failed test prints before it
    removes its directory."""
    tails = []
    for top, _, files in sorted(os.walk(directory)):
        for name in sorted(f for f in files if f.endswith(".log")):
            path = os.path.join(top, name)
            with open(path, errors="replace") as stream:
                lines = stream.read().splitlines()[-count:]
            tails.append((os.path.relpath(path, directory), lines))
    return tails


def state_path(directory):
    return os.path.join(directory, STATE)


def state_load(directory):
    try:
        with open(state_path(directory)) as stream:
            return json.load(stream)
    except FileNotFoundError:
        return None


def state_save(directory, state):
    temporary = state_path(directory) + ".new"
    with open(temporary, "w") as stream:
        json.dump(state, stream, indent=2)
        stream.write("\n")
    os.replace(temporary, state_path(directory))


def find_binary(args):
    if args.build:
        candidate = os.path.join(args.build, "datapath", "loom-switch")
    else:
        here = os.path.dirname(os.path.abspath(__file__))
        candidate = os.path.join(here, "..", "build", "datapath",
                                 "loom-switch")
        if not os.path.exists(candidate):
            candidate = shutil.which("loom-switch") or candidate
    candidate = os.path.abspath(candidate)
    if not os.access(candidate, os.X_OK):
        raise LabError("no loom-switch at %s (--build BUILD_DIR)" % candidate)
    return candidate


def check_prefix(prefix):
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$", prefix):
        raise LabError("--prefix: 1..32 of [A-Za-z0-9_.-], starting with a "
                       "letter or digit")


def command_up(args):
    if os.geteuid() != 0:
        raise LabError("needs root (network namespaces)")
    check_prefix(args.prefix)
    for tool in ("ip", "ethtool"):
        if not shutil.which(tool):
            raise LabError("%s is not installed" % tool)
    directory = os.path.abspath(args.dir)
    binary = find_binary(args)
    with open(args.substrate) as stream:
        try:
            substrate = yaml.safe_load(stream)
        except yaml.YAMLError as error:
            raise LabError("%s: %s" % (args.substrate, error))
    layout = plan(substrate, args.prefix)
    os.makedirs(directory, exist_ok=True)

    previous = state_load(directory)
    if previous:
        alive = [n for n, s in previous["switches"].items()
                 if s.get("pid") and process_is(s["pid"], s["config"])]
        if alive:
            raise LabError("a lab is up in %s (switches of %s): lab.py down "
                           "--dir %s first" %
                           (directory, ", ".join(sorted(alive)), directory))
        teardown(previous, args.timeout)
    # Leftovers of a lab of this prefix that left no state.
    teardown({"prefix": args.prefix, "switches": {}}, args.timeout)

    state = {"prefix": args.prefix, "directory": directory,
             "substrate": os.path.abspath(args.substrate),
             "ipnet": layout["ipnet"], "links": layout["links"],
             "switches": {}}
    for node_id in layout["nodes"]:
        paths = node_paths(directory, node_id)
        if len(paths["socket"]) > SOCKET_PATH_MAX:
            raise LabError("%s: longer than a Unix socket path may be (%d); "
                           "use a shorter --dir" %
                           (paths["socket"], SOCKET_PATH_MAX))
        paths["netns"] = layout["namespaces"][node_id]
        paths["ports"] = layout["ports"][node_id]
        state["switches"][node_id] = paths
    # Saved before anything is made: down works after any failure.
    state_save(directory, state)
    try:
        build_network(layout)
        for node_id in layout["nodes"]:
            paths = state["switches"][node_id]
            with open(paths["config"], "w") as stream:
                stream.write(switch_config(args, layout, node_id, paths))
        switches_start(binary, layout, state, directory, args.timeout)
        state_save(directory, state)
        write_inp_files(substrate, layout, state, directory, args.prefix)
    except BaseException:
        if not args.keep_on_failure:
            teardown(state, args.timeout)
            os.unlink(state_path(directory))
        raise
    for node_id in layout["nodes"]:
        paths = state["switches"][node_id]
        print("%-16s %-24s pid %-7d %s" % (node_id, paths["netns"],
                                          paths["pid"], paths["socket"]))
    print("loom-inp: loom-inp --config %s" %
          os.path.join(directory, "inp.yaml"))
    print("loomctl:  export LOOM_URL=http://127.0.0.1:%s LOOM_TOKEN_FILE=%s"
          % (inp_port(directory), os.path.join(directory, "operator.token")))
    return 0


def inp_port(directory):
    with open(os.path.join(directory, "url")) as stream:
        return stream.read().strip().rsplit(":", 1)[1]


def record_pids(state):
    """Pids not in the state (a crash before it was saved) come from the
    pid files; process_is guards against their reuse."""
    for paths in state["switches"].values():
        if isinstance(paths.get("pid"), int):
            continue
        try:
            with open(paths["pid_file"]) as stream:
                paths["pid"] = int(stream.read())
        except (OSError, ValueError, KeyError):
            paths["pid"] = None


def signal_switches(state, sig):
    living = []
    for paths in state["switches"].values():
        pid = paths.get("pid")
        if isinstance(pid, int) and process_is(pid, paths["config"]):
            try:
                os.kill(pid, sig)
                living.append(paths)
            except ProcessLookupError:
                pass
    return living


def namespace_list():
    result = run(["ip", "netns", "list"], check=False)
    return [line.split()[0] for line in result.stdout.splitlines()
            if line.strip()]


def teardown(state, timeout):
    """Everything of the lab goes; nothing there is no error."""
    prefix = state["prefix"]
    record_pids(state)
    if signal_switches(state, signal.SIGTERM):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not any(isinstance(p.get("pid"), int) and
                       process_is(p["pid"], p["config"])
                       for p in state["switches"].values()):
                break
            time.sleep(0.1)
        for paths in signal_switches(state, signal.SIGKILL):
            log("%s did not stop on SIGTERM: killed" % paths["config"])
    owned = {p["netns"] for p in state["switches"].values()}
    if state.get("ipnet"):
        owned.add(state["ipnet"])
    for ns in namespace_list():
        if ns not in owned and not ns.startswith(prefix + "-"):
            continue
        # Whatever still runs there (loom-inp's hosts' tools, a switch
        # of a lab that crashed before it recorded its pid).
        pids = run(["ip", "netns", "pids", ns], check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        run(["ip", "netns", "delete", ns], check=False)
    for path in glob.glob("/var/run/dpdk/%s-*" % glob.escape(prefix)):
        shutil.rmtree(path, ignore_errors=True)
    for paths in state["switches"].values():
        for name in ("socket", "pid_file"):
            path = paths.get(name)
            if isinstance(path, str) and os.path.exists(path):
                os.unlink(path)
        paths["pid"] = None


def command_down(args):
    directory = os.path.abspath(args.dir)
    state = state_load(directory)
    if state is None:
        if not args.prefix:
            log("no lab in %s (no %s): nothing to do (--prefix P removes "
                "the namespaces of a lab whose state was lost)" %
                (directory, STATE))
            return 0
        state = {"prefix": args.prefix, "switches": {}}
    if os.geteuid() != 0:
        raise LabError("needs root (network namespaces)")
    teardown(state, args.timeout)
    if os.path.exists(state_path(directory)):
        os.unlink(state_path(directory))
    return 0


def command_link(args):
    """Takes a link's wire down or up: both ends of its veth, as a cut
    cable would: the switches' ports on it go down."""
    directory = os.path.abspath(args.dir)
    state = state_load(directory)
    if state is None:
        raise LabError("no lab in %s" % directory)
    link = state.get("links", {}).get(args.link)
    if link is None:
        raise LabError("no link %s (links: %s)" % (
            args.link, ", ".join(sorted(state.get("links", {})))))
    if link["shared"]:
        raise LabError("link %s runs over the shared ip network: its ends "
                       "carry other links too" % args.link)
    for ns, port in (link["a"], link["b"]):
        run(["ip", "-n", ns, "link", "set", "dev", port, args.state])
    if link["same_wire"]:
        log("%s shares its wire with %s: %s too" %
            (args.link, ", ".join(link["same_wire"]), args.state))
    return 0


def port_states(path):
    reply = switch_request(path, "show-ports")
    result = reply.get("result")
    if isinstance(result, dict):
        result = result.get("ports", [])
    return {p["name"]: p for p in result or []}


def command_status(args):
    directory = os.path.abspath(args.dir)
    state = state_load(directory)
    if state is None:
        print("no lab in %s" % directory)
        return 1
    report = {}
    healthy = True
    for node_id, paths in state["switches"].items():
        entry = {"netns": paths["netns"], "pid": paths.get("pid"),
                 "socket": paths["socket"], "running": False,
                 "answers": False, "ports": {}}
        pid = paths.get("pid")
        entry["running"] = isinstance(pid, int) and process_is(
            pid, paths["config"])
        if entry["running"] and answers(paths["socket"]):
            entry["answers"] = True
            try:
                for name, port in port_states(paths["socket"]).items():
                    entry["ports"][name] = ("up" if port.get("link_up")
                                            else "down")
            except (OSError, ValueError, KeyError):
                pass
        ok = (entry["answers"] and
              all(entry["ports"].get(p) == "up" for p in paths["ports"]))
        entry["ok"] = ok
        healthy = healthy and ok
        report[node_id] = entry
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for node_id, entry in report.items():
            ports = " ".join("%s:%s" % item for item in
                             sorted(entry["ports"].items()))
            print("%-16s %-6s pid %-7s %s %s" % (
                node_id, "ok" if entry["ok"] else "FAIL", entry["pid"],
                "answers" if entry["answers"] else "silent", ports))
    return 0 if healthy else 1


def main():
    parser = argparse.ArgumentParser(
        description="an emulated Loom substrate: namespaces, veths and one "
        "loom-switch per substrate node")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="build the lab from a substrate file")
    up.add_argument("substrate")
    up.add_argument("--prefix", required=True,
                    help="names: namespaces P-<node>, DPDK prefixes P-<node>")
    up.add_argument("--dir", required=True, help="the lab's files")
    up.add_argument("--build", help="the meson build directory "
                    "(default: ../build, then $PATH)")
    up.add_argument("--memory-mb", type=int, default=64,
                    help="EAL -m per switch (default 64)")
    up.add_argument("--mbufs", type=int, default=4095,
                    help="mbuf pool per switch (default 4095)")
    up.add_argument("--idle-sleep-us", type=int, default=200,
                    help="idle back-off bound per worker (default 200)")
    up.add_argument("--vtep-mtu", type=int, default=1600,
                    help="underlay MTU of the VTEPs (default 1600)")
    up.add_argument("--timeout", type=float, default=30,
                    help="seconds to wait for each switch (default 30)")
    up.add_argument("--keep-on-failure", action="store_true",
                    help="leave what was made for a look")
    down = sub.add_parser("down", help="stop and remove everything")
    down.add_argument("--dir", required=True)
    down.add_argument("--prefix", help="when the state file is lost")
    down.add_argument("--timeout", type=float, default=10,
                      help="seconds between SIGTERM and SIGKILL")
    status = sub.add_parser("status", help="switches running, answering, "
                            "ports up (exit 1 if not all)")
    status.add_argument("--dir", required=True)
    status.add_argument("--json", action="store_true")
    link = sub.add_parser("link", help="cut or restore a link's wire "
                          "(both veth ends down or up)")
    link.add_argument("--dir", required=True)
    link.add_argument("link", help="the substrate link's id")
    link.add_argument("state", choices=["down", "up"])
    args = parser.parse_args()
    try:
        if args.command == "up":
            return command_up(args)
        if args.command == "down":
            return command_down(args)
        if args.command == "link":
            return command_link(args)
        return command_status(args)
    except LabError as error:
        log(str(error))
        return 1


if __name__ == "__main__":
    sys.exit(main())

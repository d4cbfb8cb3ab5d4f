#!/usr/bin/python3
"""demo.py: Loom's whole story on one machine, in six steps.

    scripts/demo.py [--build DIR] [--keep] [--tap] [--prefix P]
                    [--svg FILE] [--dir DIR]

  1. an emulated substrate (scripts/lab.py, topo/examples/lab5.yaml): five
     loom-switch processes, each in its own network namespace, joined by
     veth pairs (net_af_packet ports), six Ethernet links with VLAN tags
     and one `ip` link whose hops use VXLAN; loom-inp on that substrate;
  2. two tenants: SP 1 submits a VNet in Loom's XML
     (scripts/demo/sp1-vnet.xml, with loomctl), SP 2 one as a GENI RSpec v3
     request (scripts/demo/sp2-rspec.xml, through the HTTP API); the same
     IP addresses in both, virtual links across several substrate hops;
  3. each manifest (where each node went, each link's path and tags), pings
     inside each VNet (replies) and from one toward the other (none), and
     the per-slice counters of every switch on the way;
  4. a substrate link on SP 1's path marked down: SP 1's VNet re-embedded
     off it and reachable again (and how long that took);
  5. an SVG picture of the substrate with both embeddings and utilization;
  6. both VNets deleted, the substrate all free again, everything stopped.

Every check prints one line; the last line is the verdict, "demo: PASSED
(N checks) in S s" or "demo: FAILED: ...", and the exit status says the
same (0 or 1). --tap prints TAP instead (one case per check, the plan at
the end) for the system test (tests/system/demo/). --keep leaves the lab
and loom-inp running, with both VNets created again, and says how to use
loomctl on them and how to stop them. Everything it starts is stopped by
PID (lab.py down for the switches and namespaces), also on failure, Ctrl-C
or SIGTERM. Needs root (network namespaces) and a build with
datapath/loom-switch, control/loom-inp and control/loomctl.
"""

import argparse
import html
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ElementTree

import lab  # scripts/lab.py, beside this file

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SUBSTRATE = os.path.join(SOURCE, "topo", "examples", "lab5.yaml")
REQUESTS = os.path.join(SOURCE, "scripts", "demo")
SP1_REQUEST = os.path.join(REQUESTS, "sp1-vnet.xml")
SP2_REQUEST = os.path.join(REQUESTS, "sp2-rspec.xml")
LOOM_BD = re.compile(r"^v(\d+)\.L(\d+)$")
ADDRESS_H1, ADDRESS_H2, ADDRESS_BETA_ONLY = \
    "198.18.10.1", "198.18.10.2", "198.18.10.3"
STEPS = 6


class Stop(Exception):
    """A check that the rest of the story depends on failed."""


class Interrupted(BaseException):
    """SIGTERM, handled like Ctrl-C: stop everything, then exit."""


# ---- what the newcomer reads ------------------------------------------------

class Report:
    """Prints steps, details and checks, readable (default) or as TAP."""

    def __init__(self, tap):
        self.tap = tap
        self.results = []
        self.failures = []

    def step(self, number, text):
        if self.tap:
            print(f"# [{number}/{STEPS}] {text}", flush=True)
        else:
            print(f"[{number}/{STEPS}] {text}", flush=True)

    def detail(self, text, indent=6):
        for line in str(text).rstrip("\n").splitlines():
            if self.tap:
                print(f"# {line}", flush=True)
            else:
                print(" " * indent + line, flush=True)

    def command(self, argv, output, lines=None):
        """Shows a loomctl command and (some of) what it printed."""
        shown = ["loomctl" if a.endswith("/loomctl") else a for a in argv]
        self.detail("$ " + " ".join(shlex.quote(a) for a in shown))
        text = output.rstrip("\n").splitlines()
        if lines is not None and len(text) > lines:
            text = text[:lines] + [f"... ({len(text) - lines} more lines)"]
        self.detail("\n".join(text), indent=8)

    def check(self, what, ok, detail=""):
        self.results.append(bool(ok))
        if not ok:
            self.failures.append(what)
        if self.tap:
            print(f"{'ok' if ok else 'not ok'} {len(self.results)} - {what}",
                  flush=True)
            if detail and not ok:
                self.detail(detail)
        else:
            print(f"      {'ok  ' if ok else 'FAIL'} {what}", flush=True)
            if detail and not ok:
                self.detail(detail, indent=11)
        return ok

    def require(self, what, ok, detail=""):
        if not self.check(what, ok, detail):
            raise Stop(what)


# ---- tools ---------------------------------------------------------------------

def run(argv, timeout=60, env=None):
    return subprocess.run(argv, capture_output=True, text=True,
                          timeout=timeout, env=env)


class Api:
    """loom-inp's HTTP API (docs/api.md) with one tenant's token."""

    def __init__(self, url, token):
        self.url, self.token = url, token

    def call(self, method, path, body=None, content_type="application/json"):
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else \
                json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data,
                                         method=method)
        request.add_header("Authorization", "Bearer " + self.token)
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                text, status = reply.read().decode(), reply.status
        except urllib.error.HTTPError as error:
            text, status = error.read().decode(), error.code
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text


class Loomctl:
    """loomctl with the InP's URL and one tenant's token file."""

    def __init__(self, binary, url, token_file):
        self.binary, self.url, self.token_file = binary, url, token_file

    def argv(self, *arguments):
        return [self.binary, *arguments]

    def __call__(self, *arguments, timeout=60):
        env = dict(os.environ, LOOM_URL=self.url,
                   LOOM_TOKEN_FILE=self.token_file)
        env.pop("LOOM_TOKEN", None)
        return run(self.argv(*arguments), timeout=timeout, env=env)

    def json(self, *arguments):
        result = self("--json", *arguments)
        try:
            return result.returncode, json.loads(result.stdout)
        except ValueError:
            return result.returncode, result.stdout + result.stderr


def ping(namespace, address, count=3, wait=1):
    """Replies received."""
    result = run(["ip", "netns", "exec", namespace, "ping", "-n", "-c",
                  str(count), "-W", str(wait), "-i", "0.2", address],
                 timeout=count * (wait + 1) + 5)
    found = re.search(r"(\d+) received", result.stdout)
    return int(found.group(1)) if found else 0


def mac_of(namespace, device="eth0"):
    result = run(["ip", "-n", namespace, "-j", "link", "show", "dev", device])
    try:
        return json.loads(result.stdout)[0]["address"]
    except (ValueError, IndexError, KeyError):
        return None


def neighbour_mac(namespace, address, device="eth0"):
    result = run(["ip", "-n", namespace, "-j", "neigh", "show", address,
                  "dev", device])
    try:
        entries = json.loads(result.stdout)
    except ValueError:
        return None
    return next((e.get("lladdr") for e in entries if e.get("lladdr")), None)


def namespaces_with(prefix):
    result = run(["ip", "netns", "list"])
    return [line.split()[0] for line in result.stdout.splitlines()
            if line.startswith(prefix + "-")]


def switch_bridge_domains(loomctl, socket_path):
    """{BD name: {"rx": packets in, "tx": packets out}} of Loom's BDs
    (v<id>.L<n>) on one switch, from its members' counters."""
    result = run([loomctl, "switch", "-s", socket_path, "--json",
                  "show-bridge-domains"])
    try:
        domains = json.loads(result.stdout)
    except ValueError:
        return None
    counts = {}
    for domain in domains:
        if not LOOM_BD.match(domain.get("name", "")):
            continue
        members = [m.get("counters", {}) for m in domain.get("members", [])]
        counts[domain["name"]] = {
            "rx": sum(m.get("rx_packets", 0) for m in members),
            "tx": sum(m.get("tx_packets", 0) for m in members)}
    return counts


def links_table(text):
    """`loomctl substrate show`'s link table (the node table is in the
    step's own line)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines)
                  if line.startswith("LINK")), 0)
    return "\n".join(lines[start:])


def usage(substrate):
    """One line: what the VNets hold of the substrate."""
    cpu = sum(n["cpu_used"] for n in substrate["nodes"])
    total = sum(n["cpu"] for n in substrate["nodes"])
    links = [f"{l['id']} {l['bandwidth_used_kbps']} kbit/s "
             f"{l['tags_used']} tag{'s' if l['tags_used'] != 1 else ''}"
             for l in substrate["links"]
             if l["bandwidth_used_kbps"] or l["tags_used"]]
    return (f"in use: CPU {cpu:g} of {total:g}; " +
            ("; ".join(links) if links else "no link"))


def placements(text):
    """`loomctl describe`'s lines that say where things went."""
    return "\n".join(line for line in text.splitlines()
                     if re.match(r"\s*(VNet|node|link|hop) ", line))


def path_of(manifest, link=0):
    return [hop["substrate_link"] for hop in manifest["links"][link]["hops"]]


def nodes_on_path(manifest):
    nodes = set()
    for link in manifest["links"]:
        for hop in link["hops"]:
            nodes.update((hop["from"], hop["to"]))
    return nodes


def hops_text(manifest):
    return ", ".join(f"{hop['substrate_link']} ({hop['kind']} {hop['tag']})"
                     for hop in manifest["links"][0]["hops"])


# ---- the demo ------------------------------------------------------------------

class Demo:
    def __init__(self, args, report):
        self.args, self.report = args, report
        self.build = os.path.abspath(args.build)
        self.loomctl = os.path.join(self.build, "control", "loomctl")
        self.inp = os.path.join(self.build, "control", "loom-inp")
        self.lab_py = os.path.join(SOURCE, "scripts", "lab.py")
        self.prefix = args.prefix
        self.dir = None
        self.daemon = None
        self.daemon_log = None
        self.lab_up = False
        self.stopped = False
        self.vnets = {}      # tenant -> {"id", "name", "manifest"}
        self.sp = {}         # tenant -> Api
        self.ctl = {}        # tenant or "operator" -> Loomctl

    # -- helpers

    def wait_manifest(self, tenant, ready_only=True, seconds=10):
        vnet = self.vnets[tenant]
        deadline = time.monotonic() + seconds
        manifest = None
        while time.monotonic() < deadline:
            status, manifest = self.sp[tenant].call(
                "GET", f"/v1/vnets/{vnet['id']}/manifest")
            if status == 200 and (not ready_only or
                                  manifest.get("state") == "ready"):
                return manifest
            time.sleep(0.1)
        return manifest

    def bridge_domains(self):
        """{substrate node: {BD: counts}} over every switch."""
        return {node: switch_bridge_domains(self.loomctl, paths["socket"])
                for node, paths in self.lab["switches"].items()}

    def host_namespace(self, tenant, node):
        manifest = self.vnets[tenant]["manifest"]
        return next(n["namespace"] for n in manifest["nodes"]
                    if n["id"] == node)

    # -- 1. the substrate

    def step_substrate(self):
        r = self.report
        up = run(["/usr/bin/python3", self.lab_py, "up", SUBSTRATE,
                  "--prefix", self.prefix, "--dir", self.dir,
                  "--build", self.build], timeout=180)
        self.lab_up = True  # whatever it made, `down` undoes
        if up.returncode != 0:
            r.step(1, "substrate: scripts/lab.py up failed")
            r.require("lab.py brings the substrate up", False,
                      up.stdout + up.stderr)
        self.lab = json.load(open(os.path.join(self.dir, "lab.json")))
        switches = self.lab["switches"]
        inside = []
        for node, paths in switches.items():
            pids = run(["ip", "netns", "pids", paths["netns"]]).stdout.split()
            if str(paths["pid"]) in pids:
                inside.append(node)
        # A switch sees its ports' links come up a moment after it starts.
        deadline = time.monotonic() + 10
        while True:
            status = run(["/usr/bin/python3", self.lab_py, "status", "--dir",
                          self.dir, "--json"])
            try:
                healthy = [n for n, e in json.loads(status.stdout).items()
                           if e.get("ok")]
            except ValueError:
                healthy = []
            if len(healthy) == len(switches) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.daemon_log = open(os.path.join(self.dir, "inp.log"), "w")
        # Its own session: Ctrl-C in the terminal reaches the demo, which
        # stops it (or, with --keep, leaves it running).
        self.daemon = subprocess.Popen(
            [self.inp, "--config", os.path.join(self.dir, "inp.yaml")],
            stdout=self.daemon_log, stderr=self.daemon_log,
            start_new_session=True)
        self.url = open(os.path.join(self.dir, "url")).read().strip()
        health = False
        for _ in range(100):
            try:
                urllib.request.urlopen(self.url + "/v1/health", timeout=1)
                health = True
                break
            except OSError:
                if self.daemon.poll() is not None:
                    break
                time.sleep(0.1)
        operator_token = os.path.join(self.dir, "operator.token")
        self.ctl["operator"] = Loomctl(self.loomctl, self.url, operator_token)
        self.operator = Api(self.url, open(operator_token).read().strip()) \
            if health else None
        substrate = self.operator.call("GET", "/v1/substrate")[1] \
            if health else {"nodes": [], "links": []}
        kinds = [link["kind"] for link in substrate["links"]]
        vlan, vxlan = kinds.count("ethernet"), kinds.count("ip")
        names = ", ".join(switches)
        r.step(1, f"substrate: {len(switches)} loom-switches ({names}), "
               f"each in a namespace {self.prefix}-NODE; links: {vlan} "
               f"VLAN, {vxlan} VXLAN; loom-inp at {self.url}")
        r.check("scripts/lab.py up: namespaces, veth pairs, switches",
                True)
        r.check(f"{len(switches)} loom-switch processes, each running in its "
                "own namespace", len(switches) >= 5 and
                len(inside) == len(switches), f"inside: {inside}")
        r.check("every switch answers on its control socket, every "
                "net_af_packet port up", len(healthy) == len(switches),
                status.stdout + status.stderr)
        r.require("loom-inp answers /v1/health", health,
                  open(os.path.join(self.dir, "inp.log")).read()[-2000:])
        shown = self.ctl["operator"]("substrate", "show")
        r.command(shown.args, links_table(shown.stdout))
        r.check("loom-inp reaches all switches; links: Ethernet with VLAN "
                "tags and at least one ip link with VXLAN",
                all(n["switch"]["reachable"] for n in substrate["nodes"]) and
                len(substrate["nodes"]) == len(switches) and vlan >= 1 and
                vxlan >= 1, json.dumps(substrate)[:1500])

    # -- 2. tenants and VNets

    def step_vnets(self):
        r = self.report
        r.step(2, "two tenants; SP 1 asks in Loom's XML, SP 2 as a GENI "
               "RSpec v3 request (same IP addresses)")
        tokens = {}
        for tenant in ("sp1", "sp2"):
            code, body = self.ctl["operator"].json("tenant", "add", tenant)
            token = body.get("token") if isinstance(body, dict) else None
            if token:
                path = os.path.join(self.dir, f"{tenant}.token")
                with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                                  0o600), "w") as stream:
                    stream.write(token + "\n")
                tokens[tenant] = token
                self.ctl[tenant] = Loomctl(self.loomctl, self.url, path)
                self.sp[tenant] = Api(self.url, token)
        r.detail("$ loomctl tenant add sp1; loomctl tenant add sp2   "
                 f"(tokens in {self.dir}/sp1.token, sp2.token)")
        r.require("tenants sp1 and sp2 created, each with its own token",
                  len(tokens) == 2 and tokens["sp1"] != tokens["sp2"],
                  tokens)
        self.create_vnets(show=True)

    def create_vnets(self, show):
        r = self.report
        # SP 1 with loomctl, in Loom's XML.
        created = self.ctl["sp1"]("create", "--wait", SP1_REQUEST)
        if show:
            r.command(created.args[:-1] + [os.path.relpath(SP1_REQUEST,
                                                           SOURCE)],
                      (created.stdout.splitlines() or [""])[0] + "\n" +
                      created.stderr)
        status, sp1 = self.sp["sp1"].call("GET", "/v1/vnets/alpha")
        # SP 2 through the API: an RSpec has no name of its own, the URL
        # gives it one (loomctl's --name renames Loom's format only).
        with open(SP2_REQUEST) as stream:
            rspec = stream.read()
        status2, sp2 = self.sp["sp2"].call(
            "POST", "/v1/vnets?wait=1&name=beta", rspec, "application/xml")
        if show:
            r.detail("$ curl -H 'Authorization: Bearer SP2_TOKEN' "
                     "--data-binary @scripts/demo/sp2-rspec.xml "
                     f"'{self.url}/v1/vnets?wait=1&name=beta'")
            state = sp2.get("state") if isinstance(sp2, dict) else sp2
            r.detail(f"HTTP {status2}: VNet {sp2.get('id', '?')} 'beta' "
                     f"({sp2.get('format', '?')}): {state}"
                     if isinstance(sp2, dict) else f"HTTP {status2}: {sp2}",
                     indent=8)
        ok1 = created.returncode == 0 and status == 200 and \
            sp1.get("state") == "ready"
        ok2 = status2 == 201 and isinstance(sp2, dict) and \
            sp2.get("state") == "ready" and \
            sp2.get("format") == "geni-rspec-v3"
        if show:
            r.check("SP 1's VNet 'alpha' (Loom's XML, via loomctl) is ready",
                    ok1, created.stdout + created.stderr + str(sp1))
            r.check("SP 2's VNet 'beta' (GENI RSpec v3, via the API) is "
                    "ready", ok2, str(sp2)[:1500])
        if not (ok1 and ok2):
            r.detail(open(os.path.join(self.dir, "inp.log")).read()[-2000:])
            raise Stop("the VNets did not become ready")
        self.vnets = {"sp1": {"id": sp1["id"], "name": "alpha"},
                      "sp2": {"id": sp2["id"], "name": "beta"}}
        if show:
            r.detail(usage(self.operator.call("GET", "/v1/substrate")[1]))
        for tenant in self.vnets:
            self.vnets[tenant]["manifest"] = self.wait_manifest(tenant)

    # -- 3. manifests, pings, counters

    def step_manifests(self):
        r = self.report
        r.step(3, "manifests, pings inside each VNet and across, per-slice "
               "counters")
        for tenant, vnet in self.vnets.items():
            described = self.ctl[tenant]("describe", vnet["name"])
            r.command(described.args, placements(described.stdout) +
                      described.stderr)
        manifests = {t: v["manifest"] for t, v in self.vnets.items()}
        self.check_rspec_manifest(manifests["sp2"])
        hops = {f"{v['name']}:{link['id']}": len(link["hops"])
                for t, v in self.vnets.items()
                for link in manifests[t]["links"]}
        r.check("every virtual link crosses more than one substrate hop "
                f"({', '.join(f'{k} {n}' for k, n in hops.items())})",
                hops and all(n > 1 for n in hops.values()), hops)
        kinds = {hop["kind"] for m in manifests.values()
                 for link in m["links"] for hop in link["hops"]}
        r.check("the hops use VLAN tags and VXLAN VNIs",
                {"vlan", "vxlan"} <= kinds, sorted(kinds))
        addresses = {t: sorted(a for n in m["nodes"]
                               for i in n["interfaces"]
                               for a in i["addresses"])
                     for t, m in manifests.items()}
        r.check("both VNets use the same IP addresses "
                f"({ADDRESS_H1}, {ADDRESS_H2})",
                all({f"{ADDRESS_H1}/24", f"{ADDRESS_H2}/24"} <= set(a)
                    for a in addresses.values()), addresses)
        # Where Loom put each VNet, seen from the switches themselves.
        domains = self.bridge_domains()
        for tenant, vnet in self.vnets.items():
            holding = {node for node, bds in domains.items()
                       if any(LOOM_BD.match(bd).group(1) == str(vnet["id"])
                              for bd in bds or {})}
            expected = nodes_on_path(manifests[tenant])
            r.check(f"{vnet['name']}'s bridge domains are on exactly the "
                    f"switches of its path ({', '.join(sorted(expected))})",
                    holding == expected, f"switches holding: {holding}")
        # Pings.
        namespaces = {t: {n: self.host_namespace(t, n) for n in ("h1", "h2")}
                      for t in self.vnets}
        for tenant, vnet in self.vnets.items():
            replies = ping(namespaces[tenant]["h1"], ADDRESS_H2)
            r.check(f"{vnet['name']}: h1 pings h2 ({ADDRESS_H2}): "
                    f"{replies}/3 replies", replies > 0)
        replies = ping(namespaces["sp1"]["h1"], ADDRESS_BETA_ONLY, count=2)
        r.check(f"alpha's h1 pings {ADDRESS_BETA_ONLY} (only beta's h2 has "
                f"it): {replies}/2 replies, isolated", replies == 0)
        macs = {t: mac_of(namespaces[t]["h2"]) for t in self.vnets}
        resolved = {t: neighbour_mac(namespaces[t]["h1"], ADDRESS_H2)
                    for t in self.vnets}
        r.check(f"{ADDRESS_H2} resolves to alpha's own h2 in alpha "
                f"({resolved['sp1']}) and to beta's in beta "
                f"({resolved['sp2']})",
                macs["sp1"] and macs["sp2"] and macs["sp1"] != macs["sp2"] and
                resolved == macs, f"h2 MACs {macs}, resolved {resolved}")
        # Per-slice counters.
        domains = self.bridge_domains()
        r.detail("per-slice counters, packets in/out of each VNet's bridge "
                 "domain per switch")
        r.detail("(loomctl switch -s "
                 f"{self.dir}/NODE.sock show-bridge-domains):")
        counted = True
        for tenant, vnet in self.vnets.items():
            cells = []
            for node in self.lab["switches"]:
                for bd, count in sorted((domains.get(node) or {}).items()):
                    if LOOM_BD.match(bd).group(1) != str(vnet["id"]):
                        continue
                    cells.append(f"{node} {count['rx']}/{count['tx']}")
                    counted = counted and count["rx"] > 0 and count["tx"] > 0
            r.detail(f"{vnet['name']:<6} v{vnet['id']}.L0: " +
                     ", ".join(cells), indent=8)
        r.check("every switch on each path counted the VNet's packets in "
                "and out", counted, json.dumps(domains))

    def check_rspec_manifest(self, manifest):
        """SP 2 speaks GENI: its manifest comes back as a GENI manifest
        RSpec, each node's component_id naming where it went."""
        r = self.report
        described = self.ctl["sp2"]("describe", "--rspec", "beta")
        placed, kind = {}, None
        try:
            root = ElementTree.fromstring(described.stdout)
            kind = root.get("type")
            for node in root:
                if node.tag.endswith("}node"):
                    placed[node.get("client_id")] = \
                        (node.get("component_id") or "").split("+")[-1]
        except ElementTree.ParseError:
            pass
        lines = [line.split(" component_manager_id")[0].strip() + " ...>"
                 for line in described.stdout.splitlines()
                 if line.strip().startswith("<node ")]
        r.command(described.args, "\n".join(lines) or described.stderr)
        want = {n["id"]: n["substrate_node"] for n in manifest["nodes"]}
        r.check("beta's manifest as a GENI manifest RSpec: each node's "
                "component_id is where it went",
                described.returncode == 0 and kind == "manifest" and
                placed == want, (described.stderr, kind, placed, want))

    # -- 4. a link down

    def step_link_down(self):
        r = self.report
        alpha, beta = self.vnets["sp1"], self.vnets["sp2"]
        before = path_of(alpha["manifest"])
        beta_before = path_of(beta["manifest"])
        # A link of alpha's that beta does not use: beta should not move.
        victim = next((l for l in before if l not in beta_before), before[0])
        r.step(4, f"substrate link {victim} (on alpha's path) goes down")
        namespace = self.host_namespace("sp1", "h1")
        start = time.monotonic()
        down = self.ctl["operator"]("substrate", "link", victim, "down")
        r.command(down.args, down.stdout + down.stderr)
        reachable = False
        while time.monotonic() - start < 15:
            if ping(namespace, ADDRESS_H2, count=1, wait=1):
                reachable = True
                break
        elapsed = time.monotonic() - start
        self.victim = victim
        after = self.wait_manifest("sp1")
        after_path = path_of(after) if after and "links" in after else []
        alpha["manifest"] = after if after_path else alpha["manifest"]
        r.detail(f"alpha's link 'wan' was: {', '.join(before)}")
        r.detail(f"                    now: {hops_text(after)}"
                 if after_path else f"now: {after}")
        r.check(f"alpha re-embedded off {victim} and ready",
                down.returncode == 0 and after_path and
                victim not in after_path and after.get("state") == "ready",
                (down.stderr, before, after_path))
        r.check(f"alpha's h1 reaches h2 again, {elapsed:.2f} s after the "
                "link went down", reachable, f"{elapsed:.2f} s")
        beta_after = self.wait_manifest("sp2")
        r.check("beta did not move and still answers",
                path_of(beta_after) == beta_before and
                ping(self.host_namespace("sp2", "h1"), ADDRESS_H2) > 0,
                (beta_before, path_of(beta_after)))

    # -- 5. the picture

    def step_picture(self):
        r = self.report
        svg = os.path.abspath(self.args.svg or
                              os.path.join(self.dir, "substrate.svg"))
        self.svg = svg
        made = self.ctl["operator"]("substrate", "svg", "-o", svg)
        r.step(5, f"picture of the substrate with both VNets: {svg}")
        r.command(made.args, made.stdout + made.stderr)
        texts = []
        try:
            root = ElementTree.parse(svg).getroot()
            texts = [html.unescape("".join(e.itertext()))
                     for e in root.iter() if e.tag.endswith("text")]
            is_svg = root.tag.endswith("svg")
        except (OSError, ElementTree.ParseError):
            is_svg = False
        words = " ".join(texts)
        nodes = list(self.lab["switches"])
        r.check("an SVG drawing every substrate node, both VNets' "
                "embeddings and the utilization",
                made.returncode == 0 and is_svg and
                all(n in words for n in nodes) and
                "alpha" in words and "beta" in words and "%" in words,
                made.stderr + words[:800])

    # -- 6. delete and stop

    def step_delete(self):
        r = self.report
        r.step(6, "both VNets deleted: the substrate is all free again")
        link_up = self.ctl["operator"]("substrate", "link", self.victim, "up")
        r.command(link_up.args, link_up.stdout + link_up.stderr)
        codes = []
        for tenant, vnet in self.vnets.items():
            deleted = self.ctl[tenant]("delete", vnet["name"])
            r.command(deleted.args, deleted.stdout + deleted.stderr)
            codes.append(deleted.returncode)
        r.check("both deletes accepted", codes == [0, 0], codes)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            substrate = self.operator.call("GET", "/v1/substrate")[1]
            used = [n["cpu_used"] for n in substrate["nodes"]] + \
                [l["bandwidth_used_kbps"] + l["tags_used"]
                 for l in substrate["links"]]
            domains = self.bridge_domains()
            hosts = [ns for ns in namespaces_with(self.prefix)
                     if re.match(re.escape(self.prefix) + r"-v\d+-", ns)]
            if not any(used) and not any(domains.values()) and not hosts:
                break
            time.sleep(0.2)
        shown = self.ctl["operator"]("substrate", "show")
        r.command(shown.args, links_table(shown.stdout))
        r.detail(usage(substrate))
        r.check("no CPU, bandwidth or tag in use on any node or link",
                not any(used), used)
        refused = [line for line in open(os.path.join(
            self.dir, "inp.log")).read().splitlines()
            if '"switch_failed"' in line]
        r.check("no switch holds a VNet's bridge domain, no host namespace "
                "is left", not any(domains.values()) and not hosts,
                f"bridge domains left: "
                f"{ {n: sorted(b) for n, b in domains.items() if b} }\n"
                f"host namespaces left: {hosts}\n"
                "loom-inp's log says:\n" + "\n".join(refused))

    def stop(self, verbose):
        """Stops loom-inp (by PID) and the lab (lab.py down). Returns what
        is still there of them."""
        self.stopped = True
        left = []
        if self.daemon and self.daemon.poll() is None:
            self.daemon.terminate()
            try:
                self.daemon.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
        if self.daemon and self.daemon.poll() is None:
            left.append(f"loom-inp pid {self.daemon.pid}")
        if self.daemon_log:
            self.daemon_log.close()
        if self.lab_up:
            down = run(["/usr/bin/python3", self.lab_py, "down", "--dir",
                        self.dir], timeout=120)
            if down.returncode and verbose:
                self.report.detail(down.stdout + down.stderr)
            for paths in self.lab["switches"].values() \
                    if hasattr(self, "lab") else []:
                if os.path.exists(f"/proc/{paths['pid']}"):
                    try:
                        cmdline = open(f"/proc/{paths['pid']}/cmdline").read()
                    except OSError:
                        cmdline = ""
                    if paths["config"] in cmdline:
                        left.append(f"loom-switch pid {paths['pid']}")
            left += namespaces_with(self.prefix)
        return left

    def step_stop(self):
        left = self.stop(verbose=True)
        count = len(self.lab["switches"])
        self.report.check(f"stopped loom-inp and the {count} switches; no "
                          f"'{self.prefix}-' namespace left", not left, left)

    def keep(self):
        """--keep: both VNets again, everything left running."""
        r = self.report
        self.create_vnets(show=False)
        ctl = os.path.relpath(self.loomctl, os.getcwd())
        if ctl.startswith(".."):
            ctl = self.loomctl
        lab_py = os.path.relpath(self.lab_py, os.getcwd())
        if lab_py.startswith(".."):
            lab_py = self.lab_py
        r.detail(f"""
--keep: the lab and loom-inp (pid {self.daemon.pid}) are still running, and
alpha (SP 1) and beta (SP 2) were created again for you to explore:

  export LOOM_URL={self.url}
  export LOOM_TOKEN_FILE={self.dir}/sp1.token   # SP 1; SP 2: sp2.token, the operator: operator.token
  {ctl} describe alpha
  {ctl} console alpha h1                       # a shell in alpha's h1 (ping {ADDRESS_H2})
  {ctl} --token-file {self.dir}/operator.token substrate show
  {ctl} switch -s {self.dir}/lyon.sock show-bridge-domains

Stop it all:
  kill {self.daemon.pid}; {lab_py} down --dir {self.dir}""", indent=2)
        with open(os.path.join(tempfile.gettempdir(), "loom-demo.kept"),
                  "w") as stream:
            stream.write(f"{self.daemon.pid} {self.dir}\n")

    def run(self):
        self.step_substrate()
        self.step_vnets()
        self.step_manifests()
        self.step_link_down()
        self.step_picture()
        self.step_delete()
        if self.args.keep:
            self.keep()
        else:
            self.step_stop()


def main():
    parser = argparse.ArgumentParser(
        description="Loom's whole story on one machine (see the docstring).")
    parser.add_argument("--build", default=os.environ.get(
        "LOOM_BUILD_DIR", os.path.join(SOURCE, "build")),
        help="meson build directory with loom-switch, loom-inp, loomctl")
    parser.add_argument("--keep", action="store_true",
                        help="leave the lab and loom-inp running")
    parser.add_argument("--tap", action="store_true",
                        help="print TAP (the system test)")
    parser.add_argument("--prefix", default="demo",
                        help="namespace prefix of everything made")
    parser.add_argument("--svg", help="where to write the picture "
                        "(default /tmp/loom-demo-substrate.svg; with --tap, "
                        "in the work directory)")
    parser.add_argument("--dir", help="work directory (default: a new "
                        "/tmp/loom-demo.*)")
    args = parser.parse_args()
    if not args.tap and not args.svg:
        args.svg = os.path.join(tempfile.gettempdir(),
                                "loom-demo-substrate.svg")
    report = Report(args.tap)

    if os.geteuid() != 0:
        if args.tap:
            print("1..0 # SKIP needs root (network namespaces)")
            return 0
        print("demo: FAILED: needs root (network namespaces)")
        return 1
    build = os.path.abspath(args.build)
    missing = [p for p in ("datapath/loom-switch", "control/loom-inp",
                           "control/loomctl")
               if not os.path.exists(os.path.join(build, p))]
    if missing:
        if args.tap:
            print(f"1..0 # SKIP not built in {build}: {', '.join(missing)}")
            return 0
        print(f"demo: FAILED: not built in {build}: {', '.join(missing)}")
        return 1
    leftovers = namespaces_with(args.prefix)
    if leftovers:
        advice = ""
        kept = os.path.join(tempfile.gettempdir(), "loom-demo.kept")
        if args.prefix == "demo" and os.path.exists(kept):
            pid, directory = open(kept).read().split()
            advice = (f"; a --keep demo still runs: kill {pid}; "
                      f"scripts/lab.py down --dir {directory}")
        else:
            advice = (f"; remove them with scripts/lab.py down --prefix "
                      f"{args.prefix} --dir /tmp/nothing-here")
        message = (f"namespaces of a previous run are still there "
                   f"({', '.join(leftovers[:3])}...){advice}")
        print(f"1..0 # SKIP {message}" if args.tap
              else f"demo: FAILED: {message}")
        return 0 if args.tap else 1

    kept = os.path.join(tempfile.gettempdir(), "loom-demo.kept")
    if args.prefix == "demo" and os.path.exists(kept):
        os.unlink(kept)  # that demo is gone (no namespace left)

    def on_sigterm(number, frame):
        raise Interrupted()
    signal.signal(signal.SIGTERM, on_sigterm)

    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
        work = os.path.abspath(args.dir)
    else:
        work = tempfile.mkdtemp(prefix="loom-demo.")
    demo = Demo(args, report)
    demo.dir = work
    started = time.monotonic()
    failure = None
    if not args.tap:
        print(f"Loom demo: an InP with 5 substrate nodes, two service "
              f"providers (work directory {work})", flush=True)
    try:
        demo.run()
    except Stop as stop:
        failure = str(stop)
    except (KeyboardInterrupt, Interrupted):
        failure = "interrupted"
        report.results.append(False)
    except Exception as error:  # a bug or a surprise: still clean up
        failure = f"{type(error).__name__}: {error}"
        report.results.append(False)
        import traceback
        report.detail(traceback.format_exc())
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if not demo.stopped and (failure or not args.keep):
            left = demo.stop(verbose=True)
            if left:
                report.detail(f"still there after stopping: {left}")
    elapsed = time.monotonic() - started
    passed = not failure and all(report.results)
    if not passed and not failure:
        failure = "; ".join(report.failures)
    if passed and not args.keep and not args.dir:
        shutil.rmtree(work, ignore_errors=True)
    if args.tap:
        print(f"1..{len(report.results)}")
        report.detail(f"demo: {'PASSED' if passed else 'FAILED'} in "
                      f"{elapsed:.1f} s")
        if not passed:
            report.detail(f"failed: {failure}")
            # A test leaves nothing behind: the logs' last lines go to
            # its output instead (--keep keeps them all).
            if args.keep or args.dir:
                report.detail(f"logs kept in {work}")
            else:
                for name, lines in lab.log_tails(work, 10):
                    report.detail(f"--- {name}")
                    for line in lines:
                        report.detail(line)
                shutil.rmtree(work, ignore_errors=True)
    elif passed:
        where = f"; picture: {demo.svg}" if getattr(demo, "svg", None) \
            else ""
        print(f"demo: PASSED ({len(report.results)} checks) in "
              f"{elapsed:.1f} s{where}")
    else:
        print(f"demo: FAILED: {failure} (logs in {work})")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

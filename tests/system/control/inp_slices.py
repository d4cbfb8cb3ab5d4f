#!/usr/bin/python3
"""System test: loom-inp provisions VNets of host nodes onto a lab of real
loom-switch processes (scripts/lab.py, topo/examples/lab5.yaml: five
switches, each in its own namespace, VLAN and VXLAN links) and keeps them
working through a link failure, a switch restart and a daemon crash.

Checked, as TAP:
  - two tenants' VNets (same IP addresses; one in Loom's XML, one a GENI
    RSpec v3 request) become ready; their virtual
    links cross more than one substrate hop;
  - every switch holds exactly the BDs and members the manifests say;
  - hosts reach each other inside a VNet, and not across VNets;
  - a substrate link on a used path marked down: the VNet is re-embedded
    off it and reachable again within 2 seconds;
  - a switch killed and started again (empty) is re-applied;
  - loom-inp killed with SIGKILL and restarted re-applies nothing new and
    loses nothing;
  - a switch reporting a port without link takes the links on it down:
    the VNet on it moves by itself, and the link returns with the port;
  - delete releases everything: no BD, no namespace, no reservation left.
Needs root; prints "1..0 # SKIP" otherwise."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

PREFIX = "tis"  # every namespace of this test starts with it
SOURCE = os.environ.get("LOOM_SOURCE_DIR",
                        os.path.join(os.path.dirname(__file__), "../../.."))
BUILD = os.environ.get("LOOM_BUILD_DIR", os.path.join(SOURCE, "build"))

# loom-inp's API client: the demo's (scripts/demo.py), one piece of code.
sys.dont_write_bytecode = True  # nothing written into the checkout
sys.path.insert(0, os.path.join(SOURCE, "scripts"))
from demo import Api  # noqa: E402
import lab as lab_script  # noqa: E402  scripts/lab.py's own functions

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok' if ok else 'not ok'} {len(results)} - {name}", flush=True)
    if detail and not ok:
        for line in str(detail).splitlines():
            print(f"# {line}")
    return ok


def diag(text):
    for line in str(text).splitlines():
        print(f"# {line}", flush=True)


def work_directory_remove(directory, ok):
    """Removes the test's directory; after a failure, first prints the
    last lines of every log in it (LOOM_KEEP_LOGS=1 keeps it instead)."""
    if not ok:
        for name, lines in lab_script.log_tails(directory, 15):
            diag(f"--- {name} (last {len(lines)} lines)")
            for line in lines:
                diag(line)
        if os.environ.get("LOOM_KEEP_LOGS"):
            diag(f"logs kept in {directory}")
            return
    shutil.rmtree(directory, ignore_errors=True)


def vnet_xml(name, second_address):
    """Three hosts pinned far apart: a point-to-point link paris-2 <->
    marseille (two hops at least) and a LAN with geneva."""
    return f"""<?xml version="1.0"?>
<vnet xmlns="urn:loom:vnet:1" name="{name}">
  <node id="h1" kind="host" cpu="1">
    <placement><substrate-node id="paris-2"/></placement>
    <interface id="h1:eth0"><ip address="198.18.10.1/24"/></interface>
  </node>
  <node id="h2" kind="host" cpu="1">
    <placement><substrate-node id="marseille"/></placement>
    <interface id="h2:eth0"><ip address="198.18.10.2/24"/>{second_address}</interface>
  </node>
  <link id="wan" capacity="10000">
    <endpoint interface="h1:eth0"/>
    <endpoint interface="h2:eth0"/>
  </link>
</vnet>
"""


def rspec_xml(second_address):
    """The same VNet as a GENI RSpec v3 request (SP 2 speaks GENI):
    component_id pins the nodes, the link's capacity is in kbit/s."""
    return f"""<?xml version="1.0"?>
<rspec type="request" xmlns="http://www.geni.net/resources/rspec/3">
  <node client_id="h1" component_id="urn:publicid:IDN+lab+node+paris-2"
        exclusive="false">
    <sliver_type name="raw-pc"/>
    <interface client_id="h1:eth0">
      <ip address="198.18.10.1" netmask="255.255.255.0" type="ipv4"/>
    </interface>
  </node>
  <node client_id="h2" component_id="urn:publicid:IDN+lab+node+marseille"
        exclusive="false">
    <sliver_type name="raw-pc"/>
    <interface client_id="h2:eth0">
      <ip address="198.18.10.2" netmask="255.255.255.0" type="ipv4"/>
      {second_address}
    </interface>
  </node>
  <link client_id="wan">
    <interface_ref client_id="h1:eth0"/>
    <interface_ref client_id="h2:eth0"/>
    <property source_id="h1:eth0" dest_id="h2:eth0" capacity="10000"/>
    <property source_id="h2:eth0" dest_id="h1:eth0" capacity="10000"/>
  </link>
</rspec>
"""


def run(*command, check_rc=False, timeout=30):
    return subprocess.run(command, capture_output=True, text=True,
                          timeout=timeout, check=check_rc)


def ping(namespace, address, count=2, wait=1):
    return run("ip", "netns", "exec", namespace, "ping", "-c", str(count),
               "-W", str(wait), "-i", "0.2", address).returncode == 0


def switch_call(socket_path, command, arguments=None):
    result = run(os.path.join(BUILD, "control", "loomctl"), "switch", "-s",
                 socket_path, command.replace("_", "-"),
                 *([f"{k}={v}" for k, v in (arguments or {}).items()]))
    try:
        return json.loads(result.stdout)
    except ValueError:
        return None


def loom_bds(config):
    """{bd name: sorted member tuples} of Loom's BDs in a show-config."""
    out = {}
    for bd in (config or {}).get("bridge_domains", []):
        if re.match(r"v\d+\.", bd["name"]):
            members = []
            for m in bd.get("members", []):
                if "tunnel" in m:
                    members.append(("tunnel", m["tunnel"], m["vni"]))
                else:
                    members.append(("port", m["port"], m.get("vid", 0)))
            out[bd["name"]] = sorted(members)
    return out


def expected_bds(vnet_id, manifest, lab_nodes, vteps):
    """What the manifest implies for each substrate node: per link hop
    end, a member on that node's BD of the link."""
    expected = {}
    for index, link in enumerate(manifest["links"]):
        for hop in link["hops"]:
            for end, other in (("from", "to"), ("to", "from")):
                node = hop[end]
                bd = expected.setdefault(node, {}).setdefault(
                    f"v{vnet_id}.L{index}", [])
                if hop["kind"] == "vxlan":
                    bd.append(("tunnel", vteps[hop[other]], hop["tag"]))
                else:
                    bd.append(("port", lab_nodes[node][hop["substrate_link"]],
                               hop["tag"]))
        for node in manifest["nodes"]:
            for interface in node["interfaces"]:
                if interface.get("link") == link["id"]:
                    expected.setdefault(node["substrate_node"], {}) \
                        .setdefault(f"v{vnet_id}.L{index}", []) \
                        .append(("port", interface["switch_port"], 0))
    return {n: {b: sorted(m) for b, m in bds.items()}
            for n, bds in expected.items()}


def restart_switch(directory, node, while_down=None):
    """Kills a lab switch with SIGKILL and starts it again (empty), with
    lab.py's own functions, recording the new pid for `lab.py down`;
    while_down() runs while it is gone."""
    state = json.load(open(os.path.join(directory, "lab.json")))
    paths = state["switches"][node]
    os.kill(paths["pid"], signal.SIGKILL)
    # Gone means its files closed too: the new switch locks the same
    # DPDK runtime files.
    for _ in range(200):
        if lab_script.process_gone(paths["pid"]):
            break
        time.sleep(0.05)
    if while_down:
        while_down()
    binary = os.path.join(BUILD, "datapath", "loom-switch")
    for attempt in range(4):  # an af_packet fanout collision: again
        process = lab_script.switch_start(binary, paths["netns"], paths)
        lab_script.state_save(directory, state)
        for _ in range(100):
            if process.poll() is not None or os.path.exists(paths["socket"]):
                break
            time.sleep(0.05)
        if process.poll() is None:
            return True
        time.sleep(0.25 * (attempt + 1))
    return False


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root")
        return 0
    lab_py = os.path.join(SOURCE, "scripts", "lab.py")
    inp = os.path.join(BUILD, "control", "loom-inp")
    for path in (lab_py, inp):
        if not os.path.exists(path):
            print(f"1..0 # SKIP {path} missing")
            return 0
    print("1..21", flush=True)
    directory = tempfile.mkdtemp(prefix="loom-inp-slices.")
    daemon = None
    log = open(os.path.join(directory, "inp.log"), "w")
    try:
        up = run("/usr/bin/python3", lab_py, "up",
                 os.path.join(SOURCE, "topo", "examples", "lab5.yaml"),
                 "--prefix", PREFIX, "--dir", directory, "--build", BUILD,
                 timeout=180)
        if not check("lab of five loom-switches is up", up.returncode == 0,
                     up.stdout + up.stderr):
            return 1
        state = json.load(open(os.path.join(directory, "lab.json")))
        lab = {"nodes": [{"id": node, "socket": paths["socket"]}
                         for node, paths in state["switches"].items()]}

        def start_daemon():
            return subprocess.Popen([inp, "--config",
                                     os.path.join(directory, "inp.yaml")],
                                    stdout=log, stderr=log)

        daemon = start_daemon()
        url = open(os.path.join(directory, "url")).read().strip()
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/v1/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        operator = Api(url, open(os.path.join(directory,
                                              "operator.token")).read().strip())
        tokens = {}
        for tenant in ("sp1", "sp2"):
            status, body = operator.call("POST", "/v1/tenants",
                                         {"name": tenant})
            tokens[tenant] = body.get("token") if status == 201 else None
        check("two tenants created", all(tokens.values()), tokens)
        sp = {t: Api(url, tokens[t]) for t in tokens}

        # Both VNets use the same addresses; B's h2 also answers on .3.
        created = {}
        requests = {
            "sp1": ("/v1/vnets?wait=1", vnet_xml("alpha", "")),
            "sp2": ("/v1/vnets?wait=1&name=beta", rspec_xml(
                '<ip address="198.18.10.3" netmask="255.255.255.0" '
                'type="ipv4"/>')),
        }
        for tenant, (path, request) in requests.items():
            status, body = sp[tenant].call("POST", path, request,
                                           "application/xml")
            created[tenant] = body
            diag(f"{tenant} create: {status} {body.get('state') if isinstance(body, dict) else body}")
        ready = all(isinstance(b, dict) and b.get("state") == "ready"
                    for b in created.values())
        ready = ready and created["sp2"].get("format") == "geni-rspec-v3" \
            and created["sp2"].get("name") == "beta"
        if not check("both VNets are ready (SP 1's in Loom's XML, SP 2's "
                     "a GENI RSpec named on the URL)", ready,
                     json.dumps(created)[:2000]):
            diag(open(os.path.join(directory, "inp.log")).read()[-3000:])
            return 1
        ids = {t: created[t]["id"] for t in created}
        manifests = {t: sp[t].call("GET", f"/v1/vnets/{ids[t]}/manifest")[1]
                     for t in sp}
        hops = [len(l["hops"]) for m in manifests.values() for l in m["links"]]
        check("every virtual link crosses more than one substrate hop",
              all(h > 1 for h in hops), hops)
        status, rspec = sp["sp2"].call(
            "GET", f"/v1/vnets/{ids['sp2']}/manifest?format=rspec")
        check("beta's manifest as a GENI RSpec names where its nodes went",
              status == 200 and 'type="manifest"' in str(rspec) and
              "marseille" in str(rspec), str(rspec)[:500])
        kinds = {h["kind"] for m in manifests.values() for l in m["links"]
                 for h in l["hops"]}
        diag(f"hop kinds used: {sorted(kinds)}")

        # The switches hold what the manifests say, nothing more.
        substrate = operator.call("GET", "/v1/substrate")[1]
        node_index = {n["id"]: i for i, n in enumerate(substrate["nodes"])}
        vteps = {n: f"198.18.0.{i + 1}" for n, i in node_index.items()}
        ports = {}
        for link in substrate["links"]:
            for end in ("a", "b"):
                node, port = link[end].rsplit(":", 1)
                ports.setdefault(node, {})[link["id"]] = port
        want = {}
        for tenant in sp:
            for node, bds in expected_bds(ids[tenant], manifests[tenant],
                                          ports, vteps).items():
                want.setdefault(node, {}).update(bds)
        mismatches = []
        for node in lab["nodes"]:
            have = loom_bds(switch_call(node["socket"], "show_config"))
            if have != want.get(node["id"], {}):
                mismatches.append(f"{node['id']}: have {have} want "
                                  f"{want.get(node['id'], {})}")
        check("each switch holds exactly the manifests' BDs and members",
              not mismatches, "\n".join(mismatches))

        ns = {t: {n["id"]: n["namespace"] for n in manifests[t]["nodes"]}
              for t in sp}
        check("alpha: h1 reaches h2 across the substrate",
              ping(ns["sp1"]["h1"], "198.18.10.2", count=3))
        check("beta: h1 reaches h2 (same addresses as alpha)",
              ping(ns["sp2"]["h1"], "198.18.10.2", count=3))
        check("alpha cannot reach beta's 198.18.10.3",
              not ping(ns["sp1"]["h1"], "198.18.10.3", count=2))

        # A link on alpha's path goes down.
        path = [h["substrate_link"] for h in manifests["sp1"]["links"][0]["hops"]]
        victim = path[0]
        start = time.monotonic()
        status, _ = operator.call("POST", f"/v1/substrate/links/{victim}",
                                  {"state": "down"})
        reachable = False
        while time.monotonic() - start < 10:
            if ping(ns["sp1"]["h1"], "198.18.10.2", count=1, wait=1):
                reachable = True
                break
        elapsed = time.monotonic() - start
        diag(f"{victim} down: alpha reachable again after {elapsed:.2f} s")
        for _ in range(50):
            after = sp["sp1"].call("GET",
                                   f"/v1/vnets/{ids['sp1']}/manifest")[1]
            if after.get("state") == "ready":
                break
            time.sleep(0.1)
        if "links" not in after:
            diag(f"manifest after the failure: {after}")
            diag(sp["sp1"].call("GET", f"/v1/vnets/{ids['sp1']}")[1])
            after = {"links": [{"hops": []}], "nodes": [], "state": None}
        new_path = [h["substrate_link"] for h in after["links"][0]["hops"]]
        check(f"alpha re-embedded off {victim}",
              status == 200 and victim not in new_path and
              after["state"] == "ready", (status, path, new_path))
        check("alpha reachable again within 2 seconds",
              reachable and elapsed <= 2.0, f"{elapsed:.2f} s")
        operator.call("POST", f"/v1/substrate/links/{victim}",
                      {"state": "up"})
        manifests["sp1"] = after

        # A switch restarts empty: the daemon re-applies it.
        node = next(n for n in lab["nodes"]
                    if n["id"] == after["nodes"][0]["substrate_node"])
        before = loom_bds(switch_call(node["socket"], "show_config"))
        restart = restart_switch(directory, node["id"])
        deadline = time.monotonic() + 10
        again = None
        while time.monotonic() < deadline:
            again = loom_bds(switch_call(node["socket"], "show_config"))
            if again == before:
                break
            time.sleep(0.2)
        check(f"switch of {node['id']} restarted empty is re-applied",
              restart and again == before and before,
              f"before {before}\nafter {again}")
        check("alpha reachable after the switch restart",
              ping(ns["sp1"]["h1"], "198.18.10.2", count=3))

        # loom-inp killed: after a restart nothing is lost or changed.
        configs = {n["id"]: loom_bds(switch_call(n["socket"], "show_config"))
                   for n in lab["nodes"]}
        daemon.send_signal(signal.SIGKILL)
        daemon.wait()
        daemon = start_daemon()
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/v1/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(1.5)
        states = [sp[t].call("GET", f"/v1/vnets/{ids[t]}")[1].get("state")
                  for t in sp]
        configs_after = {n["id"]: loom_bds(switch_call(n["socket"],
                                                       "show_config"))
                         for n in lab["nodes"]}
        check("after kill -9 and restart both VNets are still ready and "
              "the switches unchanged",
              states == ["ready", "ready"] and configs == configs_after,
              (states, configs, configs_after))
        check("beta still reachable after the daemon restart",
              ping(ns["sp2"]["h1"], "198.18.10.2", count=3))

        # A switch reports a port down (its veth lost its link): the links
        # on that port are down, and beta moves off them by itself.
        beta = sp["sp2"].call("GET", f"/v1/vnets/{ids['sp2']}/manifest")[1]
        hop = beta["links"][0]["hops"][0]
        link = next(l for l in substrate["links"]
                    if l["id"] == hop["substrate_link"])
        node_id, port = link["a"].rsplit(":", 1)
        netns = state["switches"][node_id]["netns"]
        run("ip", "netns", "exec", netns, "ip", "link", "set", port, "down")
        start = time.monotonic()
        moved = False
        while time.monotonic() - start < 10 and not moved:
            now = sp["sp2"].call("GET", f"/v1/vnets/{ids['sp2']}/manifest")[1]
            moved = now.get("state") == "ready" and link["id"] not in [
                h["substrate_link"] for l in now["links"] for h in l["hops"]]
            if not moved:
                time.sleep(0.2)
        reachable = moved and ping(ns["sp2"]["h1"], "198.18.10.2", count=3)
        diag(f"{node_id}:{port} down: beta moved in "
             f"{time.monotonic() - start:.2f} s")
        shown = operator.call("GET", "/v1/substrate")[1]
        state_of = next(l for l in shown["links"] if l["id"] == link["id"])
        check("a port the switch reports down takes its link down and "
              "beta is re-embedded off it, reachable",
              moved and reachable and state_of.get("down_by") == "switch",
              (moved, reachable, state_of))
        run("ip", "netns", "exec", netns, "ip", "link", "set", port, "up")
        back = False
        for _ in range(50):
            shown = operator.call("GET", "/v1/substrate")[1]
            back = next(l for l in shown["links"]
                        if l["id"] == link["id"])["state"] == "up"
            if back:
                break
            time.sleep(0.2)
        check("the port back up: the link is usable again", back)

        # Delete while the switch of one of alpha's hosts is down:
        # everything is released, and that host's namespace does not wait
        # for its switch (a switch that comes back is applied afresh).
        alpha = sp["sp1"].call("GET", f"/v1/vnets/{ids['sp1']}/manifest")[1]
        down = next(n for n in lab["nodes"]
                    if n["id"] == alpha["nodes"][0]["substrate_node"])
        hosts_left = ["not checked"]

        def delete_all():
            for t in sp:
                sp[t].call("DELETE", f"/v1/vnets/{ids[t]}")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                namespaces = run("ip", "netns", "list").stdout
                hosts_left[:] = [line for line in namespaces.splitlines()
                                 if line.startswith(f"{PREFIX}-v")]
                if not hosts_left:
                    break
                time.sleep(0.2)
        restart = restart_switch(directory, down["id"],
                                 while_down=delete_all)
        check(f"after delete with the switch of {down['id']} down no host "
              "namespace is left", not hosts_left, hosts_left)
        deadline = time.monotonic() + 10
        leftovers = None
        while time.monotonic() < deadline:
            leftovers = {n["id"]: loom_bds(switch_call(n["socket"],
                                                       "show_config"))
                         for n in lab["nodes"]}
            if restart and not any(leftovers.values()):
                break
            time.sleep(0.2)
        check("after delete no switch holds a Loom BD (the one down back "
              "up)", restart and not any(leftovers.values()), leftovers)
        substrate = operator.call("GET", "/v1/substrate")[1]
        used = [n["cpu_used"] for n in substrate["nodes"]] + \
            [l["bandwidth_used_kbps"] + l["tags_used"]
             for l in substrate["links"]]
        check("after delete the substrate is all free", not any(used), used)
        status, body = operator.call("GET", "/v1/substrate/svg")
        check("the substrate picture renders", status == 200 and
              "<svg" in str(body), str(body)[:300])
        return 0 if all(results) else 1
    except BaseException:
        results.append(False)
        raise
    finally:
        if daemon and daemon.poll() is None:
            daemon.terminate()
            try:
                daemon.wait(timeout=10)
            except subprocess.TimeoutExpired:
                daemon.kill()
        log.close()
        run("/usr/bin/python3", lab_py, "down", "--dir", directory,
            timeout=120)
        work_directory_remove(directory, all(results))


if __name__ == "__main__":
    sys.exit(main())
